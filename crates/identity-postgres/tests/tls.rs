//! TLS to PostgreSQL as libpq users expect it, against a throwaway server that speaks TLS only
//! (`PrivatePostgres`), with a throwaway CA: each `sslmode` connects or refuses as libpq's does,
//! through one connection, the pool and the migrations alike.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::sql_types::Bool;
use diesel_async::RunQueryDsl;
use identity_postgres::testkit::{PrivatePostgres, connect};
use identity_postgres::{PgStore, PoolSettings};
use identity_tls::testing::{TestPki, WRONG_HOST};

#[derive(diesel::QueryableByName)]
struct Ssl {
    #[diesel(sql_type = Bool)]
    ssl: bool,
}

/// Whether the connection to `url` is encrypted, as the server sees it.
async fn encrypted(url: &str) -> Result<bool, String> {
    let mut conn = connect(url).await?;
    let row: Ssl = diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.ssl)
}

#[tokio::test]
async fn each_sslmode_connects_or_refuses_as_libpq_does() {
    let pki = TestPki::generate();
    let server = PrivatePostgres::tls(&pki);
    let (ca, other_ca) = (pki.file("ca.pem"), pki.file("other-ca.pem"));

    let connects = [
        (
            "verify-full, the right CA and host name",
            server.url("localhost", &format!("sslmode=verify-full&sslrootcert={ca}")),
        ),
        (
            "verify-full to the address the certificate names",
            server.url("127.0.0.1", &format!("sslmode=verify-full&sslrootcert={ca}")),
        ),
        (
            "verify-ca despite the wrong host name",
            server.url(WRONG_HOST, &format!("sslmode=verify-ca&sslrootcert={ca}")),
        ),
        ("require despite an unknown CA", server.url(WRONG_HOST, "sslmode=require")),
        ("prefer (the default) to a TLS-only server", server.url("127.0.0.1", "application_name=tls-test")),
    ];
    for (case, url) in connects {
        assert_eq!(encrypted(&url).await, Ok(true), "{case}");
    }

    let refused = [
        (
            "verify-full, the wrong host name",
            server.url(WRONG_HOST, &format!("sslmode=verify-full&sslrootcert={ca}")),
            "not valid for name",
        ),
        (
            "verify-full, an unknown CA",
            server.url("localhost", &format!("sslmode=verify-full&sslrootcert={other_ca}")),
            "UnknownIssuer",
        ),
        (
            "verify-ca, an unknown CA",
            server.url("localhost", &format!("sslmode=verify-ca&sslrootcert={other_ca}")),
            "UnknownIssuer",
        ),
        // libpq: with a root file, require checks the chain as verify-ca does.
        (
            "require with an unknown CA's root file",
            server.url("localhost", &format!("sslmode=require&sslrootcert={other_ca}")),
            "UnknownIssuer",
        ),
        // The system's roots do not hold the throwaway CA.
        ("verify-full with the system's roots", server.url("localhost", "sslmode=verify-full"), "UnknownIssuer"),
    ];
    for (case, url, why) in refused {
        let error = encrypted(&url).await.expect_err(case);
        assert!(error.contains("invalid peer certificate") && error.contains(why), "{case}: {error}");
        let error = std::io::Error::other(error);
        assert!(identity_tls::is_certificate_error(&error), "{case}: a certificate failure, not an outage");
    }

    let error = encrypted(&server.url("127.0.0.1", "sslmode=disable")).await.expect_err("a plain connection");
    assert!(error.contains("no pg_hba.conf entry") && error.contains("no encryption"), "{error}");
}

/// The pool and the migrations connect as the URL says: verified, or refused with the
/// certificate's error.
#[tokio::test]
async fn the_pool_and_the_migrations_verify_the_certificate_too() {
    let pki = TestPki::generate();
    let server = PrivatePostgres::tls(&pki);
    let good = server.url("localhost", &format!("sslmode=verify-full&sslrootcert={}", pki.file("ca.pem")));
    let applied = identity_postgres::run_migrations(&good).await.unwrap();
    assert!(!applied.is_empty());
    let settings = PoolSettings { max_size: 2, ..PoolSettings::default() };
    PgStore::connect(&good, &settings).await.unwrap();

    let bad = server.url("localhost", &format!("sslmode=verify-full&sslrootcert={}", pki.file("other-ca.pem")));
    let error = identity_postgres::run_migrations(&bad).await.unwrap_err();
    assert!(error.chain().any(identity_tls::is_certificate_error), "{error:#}");
    let error = PgStore::connect(&bad, &settings).await.err().expect("refused");
    assert!(error.chain().any(identity_tls::is_certificate_error), "{error:#}");
    // The pool is built lazily, so a bad root file is found before any connection.
    let error = PgStore::lazy(&server.url("localhost", "sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem"), &settings)
        .err()
        .expect("an unreadable sslrootcert");
    assert!(format!("{error}").contains("sslrootcert"), "{error}");
}
