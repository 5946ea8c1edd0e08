//! Forward-auth (`GET /v1/auth/verify`): a reverse proxy (nginx `auth_request`, Traefik
//! `ForwardAuth`, Envoy `ext_authz`) asks whether the caller of a request it holds may go
//! through, and who they are. The caller is authenticated like on every route; a role the
//! proxy requires is decided by the one authorizer ([`decide`]); an app it requires is a grant
//! of the user or of one of their groups (the per-app permission). An app may also follow from
//! the forwarded request's path ([`ForwardRoutes`], `FORWARD_AUTH_ROUTES`): one forward-auth URL
//! for every route of the proxy, the path-to-app map kept here.

use super::model::AppKey;
use super::service::AccessService;
use crate::authz::{Authenticated, Caller, Need, Refusal, decide};
use crate::domain::{Role, ValidationErrors};
use crate::usecases::CoreError;

/// What the proxy requires of the caller, from the query it calls forward-auth with (its own
/// configuration: `auth_request /v1/auth/verify?app=docs`). Never read from the forwarded
/// request's URI, which the client chose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardCheck {
    /// A role the caller must hold now (`admin`).
    pub role: Option<String>,
    /// An app the caller must have been granted (`docs`), directly or through a group.
    pub app: Option<String>,
    /// The forwarded request's URI (`X-Forwarded-Uri`, `X-Original-URI`), which the proxy sets:
    /// the app of its path ([`ForwardRoutes`]) is required too.
    pub uri: Option<String>,
}

/// Which app a forwarded request's path needs (`FORWARD_AUTH_ROUTES`:
/// `/api/documents=docs,/api/chat=chat`): the longest prefix that matches on a segment
/// boundary. The path is read the way a proxy routes it (percent-escapes decoded, repeated
/// slashes merged) so that no spelling of a path reaches an app without its grant; a path
/// that could be read two ways (a `.` or `..` segment, an escaped `/` or `\`, NUL, a broken
/// escape) is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardRoutes(Vec<(String, AppKey)>);

impl ForwardRoutes {
    /// Parses `PREFIX=APP` pairs, comma-separated. A prefix is `/`-separated segments of
    /// letters, digits, `-`, `.`, `_`, `~` (no trailing `/`, no `.` or `..` segment).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut routes: Vec<(String, AppKey)> = Vec::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (prefix, app) =
                entry.split_once('=').ok_or_else(|| format!("{entry:?}: expected PREFIX=APP (say /api/docs=docs)"))?;
            let prefix = prefix.trim();
            let segments: Vec<&str> = prefix.split('/').skip(1).collect();
            let valid = prefix.starts_with('/')
                && !segments.is_empty()
                && segments.iter().all(|s| {
                    !s.is_empty()
                        && *s != "."
                        && *s != ".."
                        && s.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
                });
            if !valid {
                return Err(format!(
                    "{entry:?}: the prefix must be /-separated segments of letters, digits, -, ., _, ~"
                ));
            }
            let app = AppKey::parse(app.trim()).map_err(|e| format!("{entry:?}: {}", e.message))?;
            if routes.iter().any(|(p, _)| p == prefix) {
                return Err(format!("{entry:?}: the prefix {prefix} is listed twice"));
            }
            routes.push((prefix.to_owned(), app));
        }
        routes.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        Ok(Self(routes))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The app `uri`'s path needs (`None`: no route names it); `Err` for a path that could
    /// be read two ways.
    pub fn app_for(&self, uri: &str) -> Result<Option<&AppKey>, AmbiguousPath> {
        let path = normalised_path(uri)?;
        Ok(self
            .0
            .iter()
            .find(|(prefix, _)| path.strip_prefix(prefix.as_str()).is_some_and(|r| r.is_empty() || r.starts_with('/')))
            .map(|(_, app)| app))
    }
}

/// A forwarded path that could be read two ways (see [`ForwardRoutes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmbiguousPath;

/// The path of `uri` as a proxy routes it: up to `?` or `#`, percent-escapes decoded,
/// repeated slashes merged. `Err` for an escaped `/` or `\`, NUL, a broken escape, text that
/// is not UTF-8, or a `.` or `..` segment.
fn normalised_path(uri: &str) -> Result<String, AmbiguousPath> {
    let raw = uri.split(['?', '#']).next().unwrap_or_default();
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3).ok_or(AmbiguousPath)?).map_err(|_| AmbiguousPath)?;
            let byte = u8::from_str_radix(hex, 16).map_err(|_| AmbiguousPath)?;
            if matches!(byte, b'/' | b'\\' | 0) {
                return Err(AmbiguousPath);
            }
            decoded.push(byte);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let path = String::from_utf8(decoded).map_err(|_| AmbiguousPath)?;
    if !path.starts_with('/') || path.contains('\0') {
        return Err(AmbiguousPath);
    }
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(AmbiguousPath);
    }
    Ok(format!("/{}", segments.join("/")))
}

/// Who the caller is, as forward-auth answers it (the `X-User-*` headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedIdentity {
    pub user_id: String,
    pub email: String,
    /// Sorted.
    pub roles: Vec<String>,
    pub session_id: String,
    /// `1` or `2` (authenticator assurance level).
    pub aal: u8,
}

impl AccessService {
    /// The caller's identity when they meet `check`: `Forbidden` when they lack the role or
    /// the app, a validation error when `check` names no role core knows or is no app key
    /// (the proxy is misconfigured: its operator must hear of it, not its users).
    pub async fn verify_forwarded(
        &self,
        auth: &Authenticated,
        check: &ForwardCheck,
    ) -> Result<ForwardedIdentity, CoreError> {
        let mut errors = ValidationErrors::new();
        let role = check.role.as_deref().filter(|r| !r.is_empty()).and_then(|raw| {
            let known = Role::KNOWN.iter().find(|known| **known == raw).copied();
            if known.is_none() {
                errors.push(crate::domain::FieldError::new("role", "unknown_role", "no such role"));
            }
            known
        });
        let app = check.app.as_deref().filter(|a| !a.is_empty()).and_then(|raw| errors.collect(AppKey::parse(raw)));
        errors.into_result()?;
        // The app of the forwarded path, when routes are configured; a path that could be read
        // two ways goes nowhere.
        let routes = &self.ctx.settings.forward_routes;
        let path_app = match check.uri.as_deref().filter(|_| !routes.is_empty()) {
            Some(uri) => routes.app_for(uri).map_err(|AmbiguousPath| Refusal::Forbidden)?.cloned(),
            None => None,
        };
        let caller = Caller::User(auth.clone());
        if let Some(role) = role
            && let Err(refusal) = decide(Some(&caller), Need::Role(role))
        {
            return Err(refusal.into());
        }
        let required: Vec<AppKey> = app.into_iter().chain(path_app).collect();
        if !required.is_empty() {
            let granted = self.apps_of(auth.user.id).await?;
            if !required.iter().all(|app| granted.iter().any(|g| &g.app_key == app)) {
                return Err(Refusal::Forbidden.into());
            }
        }
        let mut roles = auth.user.role_names();
        roles.sort();
        Ok(ForwardedIdentity {
            user_id: auth.user.id.to_string(),
            email: auth.user.email.as_str().to_owned(),
            roles,
            session_id: auth.claims.sid.to_string(),
            aal: auth.assurance().level.number(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn paths_need_the_app_of_their_longest_prefix_however_they_are_spelt() {
        let routes = ForwardRoutes::parse(" /api/documents=docs, /api=api ,/api/documents/admin=docs-admin").unwrap();
        let app = |uri: &str| routes.app_for(uri).map(|a| a.map(|a| a.as_str().to_owned()));
        assert_eq!(app("/api/documents/1?x=y"), Ok(Some("docs".into())));
        assert_eq!(app("/api/documents"), Ok(Some("docs".into())));
        assert_eq!(app("/api/documents/admin/x"), Ok(Some("docs-admin".into())));
        assert_eq!(app("/api/documentsX"), Ok(Some("api".into())));
        assert_eq!(app("/other"), Ok(None));
        // Spellings a proxy routes to the same place.
        assert_eq!(app("/api/%64ocuments/1"), Ok(Some("docs".into())));
        assert_eq!(app("//api///documents/1"), Ok(Some("docs".into())));
        // Ambiguous spellings go nowhere.
        for bad in [
            "/api/documents/../chat",
            "/api/%2e%2e/x",
            "/api/./documents",
            "/api%2fdocuments",
            "/a%5cb",
            "/x%zz",
            "/x%00",
            "/x%ff",
            "relative",
        ] {
            assert_eq!(app(bad), Err(AmbiguousPath), "{bad}");
        }
        for bad in ["api=x", "/api/=x", "/a/../b=x", "/api=Not A Key", "/a b=x", "/api=x,/api=y", "/api"] {
            assert!(ForwardRoutes::parse(bad).is_err(), "{bad}");
        }
        assert!(ForwardRoutes::parse("").unwrap().is_empty());
    }
}
