//! The gate of requests while the database is not migrated yet (PostgreSQL was down at
//! start-up, see `crate::dependencies`): the operational routes are served, every other
//! request answers 503 `service_unavailable`.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use crate::error::{ApiError, ProblemCode, refuse};
use crate::state::AppState;

/// What is served while the database is not migrated yet: the operational routes.
fn served_before_migrations(path: &str) -> bool {
    matches!(path, "/health" | "/ready" | "/metrics" | "/openapi.json" | "/docs" | "/.well-known/paserk")
        || path.starts_with("/docs/")
}

/// Answers 503 `service_unavailable` (with `Retry-After`) to every request that needs the
/// database while its migrations have not run (PostgreSQL was down at start-up).
pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let waiting = req.app_data::<web::Data<AppState>>().is_some_and(|state| !state.migrations.done());
    if waiting && !served_before_migrations(req.path()) {
        let error = ApiError::new(
            ProblemCode::ServiceUnavailable,
            "the service is starting: the database (DATABASE_URL) does not answer yet; retry shortly",
        )
        .with_header("Retry-After", "5".to_owned());
        return Ok(refuse(req, error));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
