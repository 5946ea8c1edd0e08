//! The one place a connection to RabbitMQ is opened (the outbox relay's publisher, the
//! consumer of other services' events, the WebSocket gateway's feed).

use identity_tls::CaBundle;
use lapin::tcp::OwnedTLSConfig;
use lapin::{Connection, ConnectionProperties};

/// Opens a connection to `url`. `amqps://` is TLS (rustls, aws-lc-rs): the broker's
/// certificate must chain up to the system's roots or to `ca` (`AMQP_CA_FILE`, trusted in
/// addition to them) and be issued for the URL's host name. A certificate that fails is an
/// error [`identity_tls::is_certificate_error`] recognises.
pub(crate) async fn connect(url: &str, ca: Option<&CaBundle>) -> lapin::Result<Connection> {
    if url.starts_with("amqps://") {
        identity_tls::provider();
    }
    let tls = OwnedTLSConfig { identity: None, cert_chain: ca.map(|ca| ca.pem().to_owned()) };
    Connection::connect_with_config(url, ConnectionProperties::default(), tls, lapin::runtime::default_runtime()?).await
}

/// What the reconnecting loops log (at ERROR) when the broker's certificate fails: not an
/// outage that ends by itself.
pub(crate) const UNTRUSTED: &str =
    "the broker's TLS certificate failed verification; check the amqps:// URL's host name and the CA file";

/// Whether `error` is a certificate that failed verification.
pub(crate) fn untrusted(error: &anyhow::Error) -> bool {
    error.chain().any(identity_tls::is_certificate_error)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use identity_core::EventType;
    use identity_core::ports::EventPublisher;
    use identity_core::testkit::fixtures;
    use identity_tls::CaBundle;
    use identity_tls::testing::{TestPki, TlsTerminator, WRONG_HOST};
    use lapin::options::{BasicGetOptions, QueueBindOptions, QueueDeclareOptions};
    use lapin::types::FieldTable;

    use crate::{AmqpPublisher, AmqpSettings};

    fn url() -> lapin::uri::AMQPUri {
        std::env::var("TEST_AMQP_URL")
            .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
            .parse()
            .unwrap()
    }

    /// AMQPS is AMQP inside TLS, so a TLS terminator of the test's own (tokio-rustls, showing
    /// the throwaway PKI's certificate) in front of the local RabbitMQ's plain port is, byte for
    /// byte, a broker's TLS listener; a second RabbitMQ node with TLS would take seconds to start.
    #[tokio::test]
    async fn amqps_verifies_the_certificate_and_the_host_name() {
        let pki = TestPki::generate();
        let plain = url();
        let broker = tokio::net::lookup_host((plain.authority.host.as_str(), plain.authority.port))
            .await
            .unwrap()
            .next()
            .expect("the broker's address");
        let terminator = TlsTerminator::start(&pki, broker).await;
        let (user, password) = (&plain.authority.userinfo.username, &plain.authority.userinfo.password);
        let amqps = |host: &str| format!("amqps://{user}:{password}@{host}:{}/%2f", terminator.port());
        let ca = CaBundle::from_file(pki.path("ca.pem")).unwrap();
        let other_ca = CaBundle::from_file(pki.path("other-ca.pem")).unwrap();

        // The right CA and host name: events go out over TLS.
        let exchange = format!("identity.test.{}", uuid::Uuid::now_v7().simple());
        let settings = AmqpSettings {
            url: amqps("localhost"),
            exchange: exchange.clone(),
            source: "/identity/test".into(),
            timeout: std::time::Duration::from_secs(10),
            ca: Some(ca.clone()),
        };
        let publisher = AmqpPublisher::connect(settings).await.unwrap();
        let conn = super::connect(&amqps("127.0.0.1"), Some(&ca)).await.unwrap();
        let channel = conn.create_channel().await.unwrap();
        let private = QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
        let queue = channel.queue_declare("".into(), private, FieldTable::default()).await.unwrap();
        channel
            .queue_bind(
                queue.name().clone(),
                exchange.as_str().into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let event = fixtures::event(EventType::UserRegistered, uuid::Uuid::now_v7());
        publisher.publish(std::slice::from_ref(&event)).await.unwrap();
        let got = channel.basic_get(queue.name().clone(), BasicGetOptions { no_ack: true }).await.unwrap();
        assert!(got.is_some(), "the event went through the TLS connection");
        channel.exchange_delete(exchange.as_str().into(), Default::default()).await.unwrap();

        let refused = [
            ("the wrong host name", amqps(WRONG_HOST), Some(&ca), "not valid for name"),
            ("an unknown CA", amqps("localhost"), Some(&other_ca), "UnknownIssuer"),
            ("the system's roots", amqps("localhost"), None, "UnknownIssuer"),
        ];
        for (case, url, ca, why) in refused {
            let error = super::connect(&url, ca).await.expect_err(case);
            assert!(identity_tls::is_certificate_error(&error), "{case}: {error:#}");
            assert!(format!("{error:#}").contains(why), "{case}: {error:#}");
        }
    }
}
