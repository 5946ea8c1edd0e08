//! Request extractors that answer bad input with problem documents: a JSON body with a size
//! limit and field-level errors, and the caller's access token.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use identity_core::FieldError;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// Largest body a JSON route reads, in bytes (`MAX_BODY_BYTES`).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body. Answers 415 for another content type, 413 past the size limit
/// (checked against `Content-Length` before reading, and while reading), 400 for malformed
/// JSON and 422 naming the field for a missing, unknown or mistyped field.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json(req, payload, false);
        Box::pin(async move {
            let body = body.await?;
            parse(body.as_deref().unwrap_or_default()).map(JsonBody)
        })
    }
}

/// A JSON request body that may be left out: no body at all (or only whitespace) is `None`;
/// any other body is read like [`JsonBody`] (415, 413, 400, 422). `null` is not "no body":
/// like every body that is not an object, it is a 422.
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json(req, payload, true);
        Box::pin(async move {
            match body.await? {
                Some(body) => parse(&body).map(|value| OptionalJsonBody(Some(value))),
                None => Ok(OptionalJsonBody(None)),
            }
        })
    }
}

/// A form body (`application/x-www-form-urlencoded`), answered like [`JsonBody`]: 415 for
/// another content type, 413 past the size limit, 400 for a form that does not parse, 422
/// naming the field for a missing, repeated or mistyped one or a control character.
#[derive(Debug)]
pub struct FormBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for FormBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (limit, declared) = body_limits(req);
        let is_form = req.mime_type().ok().flatten().is_some_and(|m| {
            m.type_() == actix_web::mime::APPLICATION && m.subtype() == actix_web::mime::WWW_FORM_URLENCODED
        });
        let payload = payload.take();
        Box::pin(async move {
            if !is_form {
                return Err(ApiError::new(
                    crate::error::ProblemCode::UnsupportedMediaType,
                    "send the body as application/x-www-form-urlencoded",
                ));
            }
            let body = read_limited(payload, limit, declared).await?;
            let raw = std::str::from_utf8(&body).map_err(|_| ApiError::malformed("the form is not UTF-8"))?;
            let mut seen = std::collections::BTreeSet::new();
            for (name, _) in form_urlencoded::parse(raw.as_bytes()) {
                if !seen.insert(name.clone()) {
                    return Err(ApiError::validation(&[FieldError::new(
                        name.into_owned(),
                        "repeated",
                        "this field may be given once",
                    )]));
                }
            }
            parse_query(raw).map(FormBody)
        })
    }
}

/// Reads a JSON body within the size limit. `optional`: an empty body is `None` whatever its
/// content type (a client that sends nothing need not declare a type).
fn read_json(
    req: &HttpRequest,
    payload: &mut Payload,
    optional: bool,
) -> impl Future<Output = Result<Option<web::BytesMut>, ApiError>> + 'static {
    let (limit, declared) = body_limits(req);
    let is_json = req.mime_type().ok().flatten().is_some_and(|m| {
        m.type_() == actix_web::mime::APPLICATION
            && (m.subtype() == actix_web::mime::JSON || m.suffix() == Some(actix_web::mime::JSON))
    });
    let payload = payload.take();
    let unsupported =
        || ApiError::new(crate::error::ProblemCode::UnsupportedMediaType, "send the body as application/json");
    async move {
        if !is_json && !optional {
            return Err(unsupported());
        }
        let body = read_limited(payload, limit, declared).await?;
        if optional && body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if !is_json {
            return Err(unsupported());
        }
        Ok(Some(body))
    }
}

/// The body limit of a request (`MAX_BODY_BYTES`) and the length its `Content-Length` declares.
fn body_limits(req: &HttpRequest) -> (usize, Option<usize>) {
    let limit = req.app_data::<BodyLimit>().copied().unwrap_or(BodyLimit(64 * 1024)).0;
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    (limit, declared)
}

/// Reads a whole body within `limit`: 413 on a declared length past it (before reading) or
/// once the chunks read pass it, 400 when the body cannot be read.
async fn read_limited(mut payload: Payload, limit: usize, declared: Option<usize>) -> Result<web::BytesMut, ApiError> {
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large(limit));
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::malformed("the request body could not be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(crate::error::ProblemCode::PayloadTooLarge, format!("the request body is larger than {limit} bytes"))
}

/// Parses JSON, telling syntax errors (400) from shape errors (422 with the field's path).
/// A string holding NUL (at any depth, keys included) is a 422 `invalid_characters` naming
/// its path: no store can keep that character, so it never gets past the edge.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::malformed("the request body is empty; send a JSON object"));
    }
    // Every request body is a JSON object; valid JSON of another shape is a 422 on the body.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Ok(_) => {
                Err(ApiError::validation(&[FieldError::new("body", "invalid_type", "the body must be a JSON object")]))
            }
            Err(e) => Err(ApiError::malformed(format!("the request body is not valid JSON: {e}"))),
        };
    }
    let nul = nul_fields(body);
    if !nul.is_empty() {
        return Err(ApiError::validation(&nul));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::validation(&[field_error(&path, &inner)]),
            _ => ApiError::malformed(format!("the request body is not valid JSON: {inner}")),
        }
    })?;
    de.end().map_err(|e| ApiError::malformed(format!("the request body is not valid JSON: {e}")))?;
    Ok(value)
}

/// The places a JSON document holds NUL, each as an `invalid_characters` error naming its path
/// the way shape errors do (`preferences.ai.model`, `roles[0]`). Costs one scan of the bytes
/// for every ordinary body: JSON can only write NUL as the escape `\u0000` (a raw control byte
/// is a syntax error), so only a body containing that escape is looked at closer.
fn nul_fields(body: &[u8]) -> Vec<FieldError> {
    const ESCAPE: &[u8] = b"\\u0000";
    if !body.windows(ESCAPE.len()).any(|w| w == ESCAPE) {
        return Vec::new();
    }
    // Not JSON after all: the parse that follows answers the syntax error.
    let Ok(document) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    find_nul(&document, "", &mut errors);
    errors
}

fn find_nul(value: &serde_json::Value, path: &str, errors: &mut Vec<FieldError>) {
    let here = || if path.is_empty() { "body".to_owned() } else { path.to_owned() };
    match value {
        serde_json::Value::String(text) => errors.extend(identity_core::no_nul(&here(), text).err()),
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                find_nul(item, &format!("{path}[{index}]"), errors);
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields {
                if let Err(error) = identity_core::no_nul(&here(), key) {
                    errors.push(error);
                } else if path.is_empty() {
                    find_nul(item, key, errors);
                } else {
                    find_nul(item, &format!("{path}.{key}"), errors);
                }
            }
        }
        _ => {}
    }
}

/// Turns serde's data error into a field error: which field, and what was wrong with it.
fn field_error(path: &str, error: &serde_json::Error) -> FieldError {
    let message = error.to_string();
    // serde's messages end in " at line L column C"; the position is not useful to a client.
    let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
    let quoted = || message.split('`').nth(1).map(str::to_owned);
    let join = |name: String| {
        if path == "." || path.is_empty() { name } else { format!("{path}.{name}") }
    };
    if message.starts_with("missing field") {
        let field = quoted().map_or_else(|| path.to_owned(), join);
        FieldError::new(field, "required", "this field is required")
    } else if message.starts_with("unknown field") {
        // The path already ends with the unknown field's name.
        let field = if path == "." { quoted().unwrap_or_else(|| "body".to_owned()) } else { path.to_owned() };
        FieldError::new(field, "unknown_field", "this field is not part of the request")
    } else {
        let field = if path == "." { "body".to_owned() } else { path.to_owned() };
        FieldError::new(field, "invalid_type", message)
    }
}

/// Query parameters. A value of the wrong type is a 422 naming the parameter (actix's own
/// `Query` cannot say which one).
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Parses a query string into `T`, naming the parameter a bad value was given for. Every
/// parameter is one line of text: a control character (`%00`, `%0A`, …) is a 422
/// `invalid_characters` naming the parameter.
pub fn parse_query<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    let controls: Vec<FieldError> = form_urlencoded::parse(raw.as_bytes())
        .filter_map(|(name, value)| match identity_core::single_line("query", &name) {
            Err(error) => Some(error),
            Ok(()) => identity_core::single_line(&name, &value).err(),
        })
        .collect();
    if !controls.is_empty() {
        return Err(ApiError::validation(&controls));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." || path.is_empty() { "query".to_owned() } else { path };
        let message = error.into_inner().to_string();
        ApiError::validation(&[FieldError::new(field, "invalid_type", message)])
    })
}

/// Where a request's access token came from.
pub enum AccessToken {
    Bearer(String),
    Cookie(String),
}

/// The access token of a request: `Authorization: Bearer …`, or else the auth cookie.
pub fn access_token(req: &HttpRequest, cookie_name: &str) -> Option<AccessToken> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned())
            .filter(|t| !t.is_empty())
            .map(AccessToken::Bearer);
    }
    req.cookie(cookie_name).map(|c| c.value().to_owned()).filter(|t| !t.is_empty()).map(AccessToken::Cookie)
}

/// The signed-in caller. Extracting it answers 401 `unauthenticated` when the token is
/// missing, invalid, expired, or its session or account ended; then, for a token from the
/// cookie on an unsafe request, 403 `csrf_rejected` unless it comes from an allowed origin
/// (401 before 403, as everywhere). Routes with a security requirement extract it before
/// anything else (`crate::gate`).
pub struct CurrentUser(pub identity_core::usecases::Authenticated);

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = state.as_ref().and_then(|s| access_token(req, &s.cookies.access_name));
        // A cookie is sent by the browser on its own: unsafe requests must prove their origin.
        let csrf = match (&token, &state) {
            (Some(AccessToken::Cookie(_)), Some(state)) => crate::security::check_origin(req, &state.allowed_origins),
            _ => Ok(()),
        };
        // Already authenticated by the idempotency middleware (same request, same token).
        let authenticated = req.extensions().get::<identity_core::usecases::Caller>().and_then(|c| c.user()).cloned();
        let client = match &state {
            Some(state) => crate::client::client_info(req, state),
            None => identity_core::ports::ClientInfo::default(),
        };
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                ApiError::from(identity_core::usecases::CoreError::Internal(anyhow::anyhow!("no state")))
            })?;
            let token = match token.ok_or_else(ApiError::unauthenticated)? {
                AccessToken::Bearer(token) | AccessToken::Cookie(token) => token,
            };
            let mut auth = match authenticated {
                Some(auth) => auth,
                None => state.services.sessions.authenticate(&token).await?,
            };
            csrf?;
            auth.client = client;
            Ok(CurrentUser(auth))
        })
    }
}

/// What a service client authenticates with.
#[derive(Debug, PartialEq, Eq)]
pub enum ServiceCredentials {
    /// HTTP Basic (RFC 7617): the client id as user name, the secret as password, each
    /// form-urlencoded first as RFC 6749 §2.3.1 asks (ids and our secrets need no escaping).
    Basic { client_id: String, secret: String },
    /// A token of the `client_credentials` grant.
    Bearer(String),
}

/// The service credentials of a request's `Authorization` header, if it holds any.
pub fn service_credentials(req: &HttpRequest) -> Option<ServiceCredentials> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return (!rest.is_empty()).then(|| ServiceCredentials::Bearer(rest.to_owned()));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape =
        |raw: &str| form_urlencoded::parse(format!("v={raw}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Some(ServiceCredentials::Basic { client_id: unescape(id)?, secret: unescape(secret)? })
}

/// The challenge of a 401 on a service route: which schemes it takes.
pub const SERVICE_CHALLENGE: &str = "Basic realm=\"identity\", Bearer realm=\"identity\"";

/// The calling service client. Extracting it answers 401 `unauthenticated` (with
/// `WWW-Authenticate: Basic`) when the credentials are missing, unknown, wrong, expired or the
/// client's, revoked. Service routes extract it before anything else (`crate::gate`).
pub struct CurrentService(pub identity_core::domain::ServiceCaller);

impl FromRequest for CurrentService {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let credentials = service_credentials(req);
        let authenticated =
            req.extensions().get::<identity_core::usecases::Caller>().and_then(|c| c.service()).cloned();
        let client = match &state {
            Some(state) => crate::client::client_info(req, state),
            None => identity_core::ports::ClientInfo::default(),
        };
        Box::pin(async move {
            if let Some(service) = authenticated {
                return Ok(CurrentService(service));
            }
            let refused = || {
                ApiError::new(crate::error::ProblemCode::Unauthenticated, "missing or invalid service credentials")
                    .with_header("www-authenticate", SERVICE_CHALLENGE.to_owned())
            };
            let state = state.ok_or_else(|| {
                ApiError::from(identity_core::usecases::CoreError::Internal(anyhow::anyhow!("no state")))
            })?;
            let clients = &state.services.clients;
            let outcome = match credentials.ok_or_else(refused)? {
                ServiceCredentials::Basic { client_id, secret } => {
                    clients.authenticate_secret(&client_id, &secret, client).await
                }
                ServiceCredentials::Bearer(token) => clients.authenticate_token(&token, client).await,
            };
            match outcome {
                Ok(service) => Ok(CurrentService(service)),
                Err(identity_core::usecases::CoreError::Unauthenticated) => Err(refused()),
                Err(other) => Err(other.into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        email: String,
        age: Option<u32>,
    }

    fn problem(body: &str) -> crate::error::Problem {
        parse::<Input>(body.as_bytes()).err().map(|e| e.problem()).unwrap_or_else(|| panic!("{body} parsed"))
    }

    #[test]
    fn service_credentials_come_from_basic_or_bearer() {
        use actix_web::test::TestRequest;
        let with = |value: &str| {
            service_credentials(&TestRequest::default().insert_header((header::AUTHORIZATION, value)).to_http_request())
        };
        // "id:s3cr%3At" → the secret "s3cr:t" (RFC 6749 §2.3.1 escapes it first).
        assert_eq!(
            with("Basic aWQ6czNjciUzQXQ="),
            Some(ServiceCredentials::Basic { client_id: "id".into(), secret: "s3cr:t".into() })
        );
        assert_eq!(with("bearer abc"), Some(ServiceCredentials::Bearer("abc".into())));
        for bad in ["Basic !!!", "Basic aWQ=", "Digest x", "Bearer ", "Basic"] {
            assert_eq!(with(bad), None, "{bad}");
        }
        assert_eq!(service_credentials(&TestRequest::default().to_http_request()), None);
    }

    #[test]
    fn syntax_errors_are_400() {
        for body in ["{", "not json", "", "   ", "{\"email\": \"a\"} trailing"] {
            let p = problem(body);
            assert_eq!((p.status, p.code.as_str()), (400, "malformed_body"), "{body:?}");
        }
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Page {
        limit: Option<usize>,
        since: Option<chrono::DateTime<chrono::Utc>>,
        cursor: Option<String>,
    }

    #[test]
    fn bad_query_values_name_their_parameter() {
        let page: Page = parse_query("limit=20&cursor=abc&extra=1").unwrap();
        assert_eq!((page.limit, page.cursor.as_deref()), (Some(20), Some("abc")));
        let empty: Page = parse_query("").unwrap();
        assert!(empty.limit.is_none());
        for (raw, field) in [("limit=abc", "limit"), ("limit=-1", "limit"), ("cursor=x&since=yesterday", "since")] {
            let problem = parse_query::<Page>(raw).unwrap_err().problem();
            assert_eq!((problem.status, problem.errors[0].field.as_str()), (422, field), "{raw}");
        }
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Nested {
        email: String,
        preferences: Option<serde_json::Value>,
        roles: Option<Vec<String>>,
    }

    #[test]
    fn nul_anywhere_in_a_body_is_422_naming_its_path() {
        let fields = |body: &str| {
            let p = parse::<Nested>(body.as_bytes()).unwrap_err().problem();
            assert_eq!((p.status, p.code.as_str()), (422, "validation_failed"), "{body}");
            assert!(p.errors.iter().all(|e| e.code == "invalid_characters"), "{body}");
            p.errors.iter().map(|e| e.field.clone()).collect::<Vec<_>>()
        };
        assert_eq!(fields(r#"{"email": "a\u0000b@example.com"}"#), ["email"]);
        assert_eq!(fields(r#"{"email": "a", "preferences": {"ai": {"model": "x\u0000"}}}"#), ["preferences.ai.model"]);
        assert_eq!(fields(r#"{"email": "a", "roles": ["user", "\u0000"]}"#), ["roles[1]"]);
        assert_eq!(fields(r#"{"email": "a", "preferences": {"k\u0000": 1}}"#), ["preferences"]);
        assert_eq!(fields(r#"{"e\u0000": "a"}"#), ["body"]);
        // Before the shape is looked at: the unknown field is not what is reported.
        assert_eq!(fields(r#"{"email": "\u0000", "extra": 1}"#), ["email"]);
        // An escaped backslash followed by `u0000` is six ordinary characters.
        let ok: Nested = parse(br#"{"email": "\\u0000"}"#).unwrap();
        assert_eq!(ok.email, "\\u0000");
        // Other control characters are the fields' business (a description may hold a line break).
        assert!(parse::<Nested>(br#"{"email": "a\nb\tc\u0001"}"#).is_ok());
        // Broken JSON with the escape in it is still a syntax error.
        assert_eq!(parse::<Nested>(br#"{"email": "\u0000"#).unwrap_err().problem().status, 400);
    }

    #[test]
    fn control_characters_in_query_parameters_are_422_naming_them() {
        for (raw, field) in [
            ("cursor=a%00b", "cursor"),
            ("limit=5&cursor=%0A", "cursor"),
            ("cursor=%09", "cursor"),
            ("cursor=%C2%85", "cursor"),
            ("a%00b=1", "query"),
        ] {
            let p = parse_query::<Page>(raw).unwrap_err().problem();
            assert_eq!(
                (p.status, p.errors[0].field.as_str(), p.errors[0].code.as_str()),
                (422, field, "invalid_characters"),
                "{raw}"
            );
        }
        let page: Page = parse_query("cursor=caf%C3%A9+ok%FF").unwrap();
        assert_eq!(page.cursor.as_deref(), Some("café ok\u{fffd}"));
    }

    #[test]
    fn shape_errors_are_422_naming_the_field() {
        let p = problem("{}");
        assert_eq!((p.status, p.code.as_str()), (422, "validation_failed"));
        assert_eq!((p.errors[0].field.as_str(), p.errors[0].code.as_str()), ("email", "required"));

        let p = problem(r#"{"email": 42}"#);
        assert_eq!((p.errors[0].field.as_str(), p.errors[0].code.as_str()), ("email", "invalid_type"));

        let p = problem(r#"{"email": "a", "role": "admin"}"#);
        assert_eq!((p.errors[0].field.as_str(), p.errors[0].code.as_str()), ("role", "unknown_field"));

        let p = problem("[1, 2]");
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "body"));
    }
}
