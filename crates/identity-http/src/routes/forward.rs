//! `GET /v1/auth/verify`: forward-auth for reverse proxies (nginx `auth_request`, Traefik
//! `ForwardAuth`, and Envoy's `ext_authz`, which checks with the original method: `POST`,
//! `PUT`, `PATCH` and `DELETE` answer the same; docs/integration.md). The rule is core's ([`AccessService::verify_forwarded`]);
//! this is the HTTP shape: the caller's identity as headers and no body.
//!
//! [`AccessService::verify_forwarded`]: identity_core::usecases::AccessService::verify_forwarded

use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use identity_core::usecases::ForwardCheck;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, Problem};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// What the proxy requires of the caller: put it in the URL the proxy calls (its own
/// configuration), never taken from the forwarded request. Any other parameter is refused
/// (422): a typo in a proxy's configuration must not silently require nothing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// A role the caller must hold now (`admin`).
    #[param(pattern = "^(admin|user)?$")]
    pub role: Option<String>,
    /// An app the caller must have been granted, directly or through a group (`docs`).
    #[param(pattern = "^([a-z0-9][a-z0-9_.-]{0,63})?$")]
    pub app: Option<String>,
}

/// The answer of every method: the caller's identity as headers, no body.
async fn answer(
    req: &HttpRequest,
    state: &AppState,
    user: &CurrentUser,
    query: VerifyQuery,
) -> Result<HttpResponse, ApiError> {
    // Set by the proxy (Traefik: `X-Forwarded-Uri`; nginx: `X-Original-URI $request_uri`).
    let uri = ["x-forwarded-uri", "x-original-uri"]
        .iter()
        .find_map(|name| req.headers().get(*name))
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let check = ForwardCheck { role: query.role, app: query.app, uri };
    let identity = state.services.access.verify_forwarded(&user.0, &check).await?;
    let header = |value: &str| {
        HeaderValue::from_str(value)
            .map_err(|e| ApiError::from(identity_core::usecases::CoreError::Internal(anyhow::anyhow!(e))))
    };
    let mut answer = HttpResponse::Ok();
    answer
        .insert_header((CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header(("X-User-Id", header(&identity.user_id)?))
        .insert_header(("X-User-Email", header(&identity.email)?))
        .insert_header(("X-User-Roles", header(&identity.roles.join(","))?))
        .insert_header(("X-Session-Id", header(&identity.session_id)?))
        .insert_header(("X-User-Aal", HeaderValue::from(u16::from(identity.aal))));
    Ok(answer.finish())
}

/// Each method of forward-auth: `GET` (nginx, Traefik) and the methods Envoy's HTTP
/// `ext_authz` checks with (the original request's, its `path_override` set to
/// `/v1/auth/verify?app=docs`; a body is not read), all with one answer and one annotation.
/// A cookie-authenticated check of an unsafe method must come from an allowed origin (the
/// browser's `Origin`, which the proxy passes on), as every unsafe request.
macro_rules! verify_with {
    ($(#[doc = $doc:literal])* $name:ident, $method:ident, $operation:literal) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            operation_id = $operation,
            tag = "auth",
            params(
                VerifyQuery,
                ("X-Forwarded-Uri" = Option<String>, Header, description = "The forwarded request's URI (Traefik sets it): with `FORWARD_AUTH_ROUTES`, the app of its path is required too"),
                ("X-Original-URI" = Option<String>, Header, description = "The same, as nginx is told to send it (`proxy_set_header X-Original-URI $request_uri`)"),
            ),
            security(("bearer" = []), ("cookie" = [])),
            responses(
                (status = OK, description = "The caller may go through; who they are is in the headers", headers(
                    ("X-User-Id" = String, description = "The user's id"),
                    ("X-User-Email" = String, description = "The user's address"),
                    ("X-User-Roles" = String, description = "The user's roles, comma-separated (`admin,user`)"),
                    ("X-Session-Id" = String, description = "The session's id"),
                    ("X-User-Aal" = String, description = "`1`, or `2` when the session proved a second factor"),
                )),
                (status = UNAUTHORIZED, description = "`unauthenticated`: no token, or an invalid or expired one, or its session ended", body = Problem, content_type = "application/problem+json"),
                (status = FORBIDDEN, description = "`forbidden`: the caller lacks the role, the app, or the app of the forwarded path (or that path could be read two ways: a dot segment, an escaped slash)", body = Problem, content_type = "application/problem+json"),
                (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: `role` names no role, or `app` is no app key (the proxy's configuration is wrong)", body = Problem, content_type = "application/problem+json"),
            )
        )]
        #[$method("/verify")]
        pub async fn $name(
            req: HttpRequest,
            state: web::Data<AppState>,
            user: CurrentUser,
            query: crate::extract::Query<VerifyQuery>,
        ) -> Result<HttpResponse, ApiError> {
            answer(&req, &state, &user, query.into_inner()).await
        }
    };
}

verify_with!(
    /// Whether the caller of a request a reverse proxy holds may go through, and who they are:
    /// 200 with `X-User-Id`, `X-User-Email`, `X-User-Roles` (comma-separated), `X-Session-Id` and
    /// `X-User-Aal` (`1` or `2`) and no body, which the proxy copies onto the request it
    /// forwards. The access token comes as a bearer header or the auth cookie, as on every route.
    /// `role` and `app` are what the proxy's configuration requires (see docs/integration.md).
    verify, get, "verify_forwarded"
);
verify_with!(
    /// Forward-auth as Envoy's `ext_authz` asks it for a `POST`: the same answer as `GET`.
    verify_post, post, "verify_forwarded_post"
);
verify_with!(
    /// Forward-auth as Envoy's `ext_authz` asks it for a `PUT`: the same answer as `GET`.
    verify_put, put, "verify_forwarded_put"
);
verify_with!(
    /// Forward-auth as Envoy's `ext_authz` asks it for a `PATCH`: the same answer as `GET`.
    verify_patch, patch, "verify_forwarded_patch"
);
verify_with!(
    /// Forward-auth as Envoy's `ext_authz` asks it for a `DELETE`: the same answer as `GET`.
    verify_delete, delete, "verify_forwarded_delete"
);
