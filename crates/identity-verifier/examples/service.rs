//! The README's service: `GET /hello` for signed-in users only.
//! Run with `IDENTITY_URL=http://127.0.0.1:8080 cargo run -p identity-verifier --example service`.

use actix_web::{App, HttpServer, get, web};
use identity_verifier::{Authenticated, Config, Verifier};

#[get("/hello")]
async fn hello(user: Authenticated) -> String {
    format!("hello {}, your roles: {:?}", user.sub, user.roles)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let identity = std::env::var("IDENTITY_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let verifier = Verifier::new(Config::new(identity, "identity", "identity")).map_err(std::io::Error::other)?;
    let verifier = web::Data::new(verifier);
    HttpServer::new(move || App::new().app_data(verifier.clone()).service(hello)).bind(("127.0.0.1", 8081))?.run().await
}
