//! PostgreSQL adapters for the store ports (diesel + diesel-async on a deadpool pool), and
//! the schema migrations of the top-level `migrations/` folder, embedded in the binary.

mod credentials;
mod errors;
mod migrate;
mod models;
mod schema;
mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
mod tls;
mod trace;

pub use credentials::{CredentialsRefused, DatabaseUrl, UrlSource};
pub use migrate::{run_migrations, run_migrations_at, run_shared_migrations, run_shared_migrations_at};
pub use store::{PgStore, PoolSettings};
pub use tls::{PgTarget, SslMode};
