//! The client against a local Secrets Manager (moto's server): a secret's current text,
//! the rotated one after a rotation, and a refusal told from an outage.

use identity_aws::FetchError;
use identity_aws::testing::Moto;
use secrecy::ExposeSecret;

fn name() -> String {
    format!("identity/test/{}", uuid::Uuid::now_v7().simple())
}

#[tokio::test]
async fn the_current_text_of_a_secret_by_arn_or_name_and_the_new_one_after_a_rotation() {
    let moto = Moto::start();
    let name = name();
    let arn = moto.create_secret(&name, r#"{"username":"a","password":"one"}"#).await;
    assert!(arn.starts_with("arn:aws:secretsmanager:us-east-1:"), "{arn}");
    let client = moto.client();
    for id in [&arn, &name] {
        let text = client.fetch(id).await.unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(text.expose_secret(), r#"{"username":"a","password":"one"}"#);
    }
    moto.rotate(&arn, r#"{"username":"a","password":"two"}"#).await;
    assert_eq!(client.fetch(&arn).await.unwrap().expose_secret(), r#"{"username":"a","password":"two"}"#);
}

#[tokio::test]
async fn an_unknown_secret_is_refused_and_an_endpoint_that_is_down_is_unreachable() {
    let moto = Moto::start();
    let missing = moto.client().fetch(&name()).await.unwrap_err();
    assert!(matches!(missing, FetchError::Refused(_)), "{missing:?}");
    assert!(!missing.is_transient());
    assert!(missing.to_string().contains("ResourceNotFoundException"), "{missing}");
    drop(moto);

    // Nothing listens there any more.
    let gone = Moto::start();
    let client = gone.client();
    drop(gone);
    let down = client.fetch(&name()).await.unwrap_err();
    assert!(down.is_transient(), "{down:?}");
}
