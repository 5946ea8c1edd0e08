//! `Idempotency-Key` on POSTs that create things (each such route declares it where it is
//! defined: `#[post(…, wrap = "…from_fn(crate::idempotency::middleware)")]`): the first answer is kept for 24 hours and
//! replayed for a retry with the same key and body; the same key with another body is a 422;
//! of concurrent duplicates one runs and the others get a 409. Server errors are not kept, so
//! a retry after one runs again. Answers that carry tokens are never stored.

use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use identity_core::domain::{REQUEST_KEY_TTL, RequestKey};

use crate::error::{ApiError, ProblemCode, refuse};
use crate::state::AppState;

/// How long a claim lives if the request never finishes (the replica died): longer than any
/// request takes (bounded by the hashing queue and the pools' timeouts), short enough that a
/// client retrying after a crash waits seconds, not minutes. The in-progress answer says how
/// long (`Retry-After`).
const CLAIM: Duration = Duration::from_secs(10);

#[derive(Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Record {
    Running { fingerprint: String },
    Done { fingerprint: String, status: u16, content_type: Option<String>, body: String },
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn problem(code: ProblemCode, detail: &str) -> ApiError {
    ApiError::new(code, detail)
}

/// 1–255 visible ASCII characters (`!` to `~`), as documented.
pub fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req.headers().get("idempotency-key").map(|v| v.to_str().map(str::to_owned));
    let Some(key) = key else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(key) = key.ok().filter(|k| valid_key(k)) else {
        let error = problem(ProblemCode::InvalidIdempotencyKey, "Idempotency-Key is 1–255 visible ASCII characters");
        return Ok(refuse(req, error));
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // Keys belong to their caller: a stored answer is replayed only to the account that made
    // it. Callers without a valid token share the anonymous scope (a stale cookie on a
    // registration must not switch idempotency off); routes that need a token refuse them.
    let token = match crate::extract::access_token(req.request(), &state.cookies.access_name) {
        Some(crate::extract::AccessToken::Bearer(token) | crate::extract::AccessToken::Cookie(token)) => Some(token),
        None => None,
    };
    let authenticated = match token {
        Some(token) => state.services.sessions.authenticate(&token).await.ok(),
        None => None,
    };
    let scope = authenticated.as_ref().map_or_else(|| "anonymous".to_owned(), |auth| auth.user.id.to_string());
    // The handler's `CurrentUser` takes it from here instead of authenticating again.
    if let Some(auth) = authenticated {
        req.extensions_mut().insert(identity_core::usecases::Caller::from(auth));
    }
    let body = req.extract::<web::Bytes>().await?;
    let fingerprint = hex(&Sha256::new().chain_update(req.path()).chain_update([0]).chain_update(&body).finalize());
    let store_key = format!("idempotency:{scope}:{}:{}", req.path(), hex(&Sha256::digest(key.as_bytes())));
    let codes = state.codes.clone();
    let unavailable = |e: identity_core::ports::RepoError| -> actix_web::Error {
        ApiError::from(identity_core::usecases::CoreError::from(e)).into()
    };

    let running = serde_json::to_string(&Record::Running { fingerprint: fingerprint.clone() }).unwrap_or_default();
    if !codes.put_if_absent(&store_key, &running, CLAIM).await.map_err(unavailable)? {
        let stored = codes.get(&store_key).await.map_err(unavailable)?;
        return match stored.and_then(|s| serde_json::from_str::<Record>(&s).ok()) {
            Some(Record::Done { fingerprint: seen, .. } | Record::Running { fingerprint: seen })
                if seen != fingerprint =>
            {
                Ok(refuse(
                    req,
                    problem(
                        ProblemCode::IdempotencyKeyReused,
                        "this Idempotency-Key was used with another request body",
                    ),
                ))
            }
            Some(Record::Done { status, content_type, body, .. }) => {
                let mut replay = HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
                if let Some(content_type) = content_type {
                    replay.insert_header((header::CONTENT_TYPE, content_type));
                }
                replay.insert_header(("Idempotent-Replayed", "true"));
                Ok(req.into_response(replay.body(body)))
            }
            _ => {
                let left = codes.time_to_live(&store_key).await.map_err(unavailable)?.unwrap_or(CLAIM);
                let error = problem(
                    ProblemCode::IdempotencyInProgress,
                    "a request with this Idempotency-Key is still running; retry after Retry-After seconds",
                )
                .with_header("Retry-After", left.as_secs().max(1).to_string());
                Ok(refuse(req, error))
            }
        };
    }

    // The use case records the request in the transaction that creates the resource: should
    // this process die before the answer below is kept, a retry still gets that resource.
    req.extensions_mut().insert(RequestKey { key: store_key.clone(), fingerprint: fingerprint.clone() });
    req.set_payload(actix_web::dev::Payload::from(body));
    let res = next.call(req).await?;
    let status = res.status();
    if status.is_server_error() {
        // Nothing was done (or nothing is known): let a retry run again.
        codes.delete(&store_key).await.map_err(unavailable)?;
        return Ok(res.map_into_boxed_body());
    }
    let (req, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| actix_web::Error::from(problem(ProblemCode::InternalError, "the answer could not be read")))?;
    let content_type = head.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let record = Record::Done {
        fingerprint,
        status: status.as_u16(),
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    if let Ok(json) = serde_json::to_string(&record) {
        // Kept as long as the creating transaction's record of the key (`REQUEST_KEY_TTL`).
        let keep = REQUEST_KEY_TTL.to_std().unwrap_or(Duration::from_secs(24 * 3600));
        codes.put(&store_key, &json, keep).await.map_err(unavailable)?;
    }
    let mut response = head.set_body(BoxBody::new(bytes));
    response
        .headers_mut()
        .insert(header::HeaderName::from_static("idempotent-replayed"), HeaderValue::from_static("false"));
    Ok(ServiceResponse::new(req, response))
}

/// The request's `Idempotency-Key` as the use cases record it (set by [`middleware`]; none
/// without a key).
pub struct Keyed(pub Option<RequestKey>);

impl actix_web::FromRequest for Keyed {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(Self(req.extensions().get::<RequestKey>().cloned())))
    }
}
