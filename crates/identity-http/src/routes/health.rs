use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::dependencies::ReadyCheck;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(operation_id = "health", tag = "operations", responses((status = OK, body = Health)))]
#[get("/health")]
pub async fn health() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct DependencyStatus {
    #[schema(example = "postgres")]
    pub name: &'static str,
    /// The variable that points at it, when there is one (what to check when it is down).
    #[schema(example = "DATABASE_URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variable: Option<&'static str>,
    /// `ok`, `unavailable`, or `degraded` (RabbitMQ only: events wait in the outbox).
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct OutboxStatus {
    /// Outbox rows the relay parked because it cannot decode them (see docs/operations.md).
    /// Information only: parked rows never make readiness fail.
    #[schema(example = 0)]
    pub parked: u64,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ok`, `degraded` (200: only RabbitMQ is down), `unavailable` or `draining` (503).
    #[schema(example = "ok")]
    pub status: &'static str,
    pub dependencies: Vec<DependencyStatus>,
    /// The outbox, when the store answered in time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbox: Option<OutboxStatus>,
}

/// Readiness: every required dependency (PostgreSQL, Redis) answers. 503 while one does not,
/// so a load balancer stops sending traffic, and 503 `draining` from the moment the process
/// is told to stop. RabbitMQ down is 200 `degraded`: events wait in the outbox. Also reports
/// how many outbox rows are parked, without letting them affect the status.
#[utoipa::path(
    operation_id = "ready",
    tag = "operations",
    responses(
        (status = OK, body = Readiness),
        (status = SERVICE_UNAVAILABLE, body = Readiness, description = "A dependency is down (`unavailable`), or the process is shutting down (`draining`)"),
    )
)]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let checks = state.checks.iter().map(|ReadyCheck { check, variable }| async move {
        let outcome = tokio::time::timeout(std::time::Duration::from_secs(2), check.check()).await;
        let ok = matches!(outcome, Ok(Ok(())));
        if !ok {
            let error = match outcome {
                Ok(Err(e)) => format!("{e:#}"),
                _ => "timed out".to_owned(),
            };
            tracing::warn!(dependency = check.name(), %error, "readiness check failed");
        }
        let status = match (ok, check.required()) {
            (true, _) => "ok",
            (false, true) => "unavailable",
            (false, false) => "degraded",
        };
        DependencyStatus { name: check.name(), variable: Some(*variable), status }
    });
    let parked = tokio::time::timeout(std::time::Duration::from_secs(2), state.outbox.parked_count());
    let (dependencies, parked) = futures_util::future::join(futures_util::future::join_all(checks), parked).await;
    let outbox = match parked {
        Ok(Ok(parked)) => Some(OutboxStatus { parked }),
        _ => None,
    };
    let failed = |status| dependencies.iter().any(|d| d.status == status);
    let draining = state.draining.load(std::sync::atomic::Ordering::SeqCst);
    let status = if draining {
        "draining"
    } else if failed("unavailable") {
        "unavailable"
    } else if failed("degraded") {
        "degraded"
    } else {
        "ok"
    };
    let body = Readiness { status, dependencies, outbox };
    if matches!(status, "ok" | "degraded") {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

#[derive(Serialize, ToSchema)]
pub struct PublicKey {
    /// PASERK key id, as in the token footer's `kid`.
    #[schema(example = "k4.pid.…")]
    pub kid: String,
    /// The Ed25519 public key as PASERK `k4.public.…`.
    #[schema(example = "k4.public.…")]
    pub paserk: String,
}

#[derive(Serialize, ToSchema)]
pub struct PublicKeys {
    pub keys: Vec<PublicKey>,
}

/// The public keys access tokens are verified with (PASETO v4.public). Services verify
/// tokens offline: pick the key whose `kid` matches the token footer.
#[utoipa::path(
    operation_id = "public_keys", tag = "tokens", responses((status = OK, body = PublicKeys)))]
#[get("/.well-known/paserk")]
pub async fn paserk(state: web::Data<AppState>) -> HttpResponse {
    let keys =
        state.public_keys.iter().map(|(kid, paserk)| PublicKey { kid: kid.clone(), paserk: paserk.clone() }).collect();
    HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=300")).json(PublicKeys { keys })
}
