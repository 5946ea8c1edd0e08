//! `PROXY_ROUTES`: which path prefixes go to which upstream, and which app they need.
//!
//! The grammar (white space around items is ignored):
//!
//! ```text
//! PROXY_ROUTES = route *( "," route )
//! route        = prefix "=" upstream *( ";" option )
//! prefix       = 1*( "/" segment )        ; no trailing "/", no "." or ".." segment
//! segment      = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" )
//! upstream     = ( "http://" / "https://" ) host [ ":" port ] [ path ]   ; no query, fragment or user
//! option       = "app=" app-key / "strip_prefix"
//! ```
//!
//! `/api/documents=http://127.0.0.1:8001;app=docs,/api/chat=http://chat:8002/v1;strip_prefix`.
//! A prefix matches a request path equal to it or continuing with `/` (`/api/documents` takes
//! `/api/documents` and `/api/documents/1`, not `/api/documentsX`); the longest matching prefix
//! wins. The upstream gets the whole request path after its own path (`/api/documents/1` →
//! `http://127.0.0.1:8001/api/documents/1`), or with `strip_prefix` only what follows the
//! prefix (`/api/chat/rooms` → `http://chat:8002/v1/rooms`); the query string is kept as sent.

use std::fmt;

use url::Url;

/// One forwarding rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `/api/documents`: starts with `/`, never ends with one.
    pub prefix: String,
    /// Where matching requests go (`http://127.0.0.1:8001`, maybe with a base path).
    pub upstream: Url,
    /// The app the caller must have been granted (`app=docs`); checked by whoever authenticates.
    pub app: Option<String>,
    /// Whether the prefix is cut from the path the upstream sees.
    pub strip_prefix: bool,
}

/// Every route, longest prefix first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes(Vec<Route>);

/// Why `PROXY_ROUTES` cannot be used: the entry, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{entry:?}: {message}")]
pub struct RouteError {
    pub entry: String,
    pub message: String,
}

fn error(entry: &str, message: impl Into<String>) -> RouteError {
    RouteError { entry: entry.to_owned(), message: message.into() }
}

impl Routes {
    /// Parses the whole variable (see the module's grammar). Empty is no route at all.
    pub fn parse(raw: &str) -> Result<Self, RouteError> {
        let mut routes: Vec<Route> = Vec::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let route = Route::parse(entry)?;
            if routes.iter().any(|r| r.prefix == route.prefix) {
                return Err(error(entry, format!("the prefix {} is routed twice", route.prefix)));
            }
            routes.push(route);
        }
        routes.sort_by(|a, b| b.prefix.len().cmp(&a.prefix.len()).then_with(|| a.prefix.cmp(&b.prefix)));
        Ok(Self(routes))
    }

    /// The route of `path` (the path as the router decoded it): the longest prefix that matches
    /// on a segment boundary.
    pub fn find(&self, path: &str) -> Option<&Route> {
        self.0.iter().find(|route| route.matches(path))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Route> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Route {
    fn parse(entry: &str) -> Result<Self, RouteError> {
        let (prefix, rest) = entry
            .split_once('=')
            .ok_or_else(|| error(entry, "expected PREFIX=URL (say /api/docs=http://docs:8001)"))?;
        let prefix = prefix.trim();
        let mut parts = rest.split(';').map(str::trim);
        let upstream = parts.next().unwrap_or_default();
        check_prefix(prefix).map_err(|message| error(entry, message))?;
        let upstream = parse_upstream(upstream).map_err(|message| error(entry, message))?;
        let (mut app, mut strip_prefix) = (None, false);
        for option in parts {
            match option.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
                Some(("app", key)) if !key.is_empty() && app.is_none() => app = Some(key.to_owned()),
                Some(("app", _)) => return Err(error(entry, "app= needs one app key (say app=docs)")),
                None if option == "strip_prefix" && !strip_prefix => strip_prefix = true,
                _ => return Err(error(entry, format!("unknown option {option:?} (known: app=KEY, strip_prefix)"))),
            }
        }
        Ok(Self { prefix: prefix.to_owned(), upstream, app, strip_prefix })
    }

    /// Whether `path` is the prefix or below it.
    pub fn matches(&self, path: &str) -> bool {
        path.strip_prefix(self.prefix.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// The upstream URL of a request for `raw_path` (as the client sent it, percent-encoding
    /// included) and its query. `None` when the path is not this route's or holds a dot
    /// segment (`..`, `%2e%2e`): URL parsers resolve those, which would leave the prefix the
    /// request was authorized for.
    pub fn target(&self, raw_path: &str, query: &str) -> Option<Url> {
        if has_dot_segment(raw_path) {
            return None;
        }
        let rest = if self.strip_prefix {
            let rest = raw_path.strip_prefix(self.prefix.as_str())?;
            (rest.is_empty() || rest.starts_with('/')).then_some(rest)?
        } else {
            raw_path
        };
        let base = self.upstream.path().trim_end_matches('/');
        let path = match (base, rest) {
            ("", "") => "/".to_owned(),
            (base, rest) => format!("{base}{rest}"),
        };
        let mut url = self.upstream.clone();
        url.set_path(&path);
        url.set_query(Some(query).filter(|q| !q.is_empty()));
        Some(url)
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} → {}", self.prefix, self.upstream)?;
        if let Some(app) = &self.app {
            write!(f, " (app {app})")?;
        }
        Ok(())
    }
}

fn check_prefix(prefix: &str) -> Result<(), String> {
    let Some(path) = prefix.strip_prefix('/') else {
        return Err(format!("the prefix {prefix:?} must start with '/'"));
    };
    if path.is_empty() {
        return Err("the prefix '/' would take every path: name one (say /api/documents)".to_owned());
    }
    for segment in path.split('/') {
        let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        if segment.is_empty() || segment == "." || segment == ".." || !segment.bytes().all(unreserved) {
            return Err(format!(
                "the prefix {prefix:?} must be /-separated segments of letters, digits, '-', '.', '_' or '~' \
                 (no empty, '.' or '..' segment, no trailing '/')"
            ));
        }
    }
    Ok(())
}

fn parse_upstream(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("the upstream {raw:?} is not an http:// or https:// URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(format!("the upstream {raw:?} must be an http:// or https:// URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(format!("the upstream {raw:?} may not carry a query, a fragment or credentials"));
    }
    Ok(url)
}

/// Whether a path has a `.` or `..` segment, percent-encoded or not.
pub fn has_dot_segment(raw_path: &str) -> bool {
    raw_path.split('/').any(|segment| {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        decoded == "." || decoded == ".."
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn parses_the_documented_grammar() {
        let routes = Routes::parse(
            " /api/documents=http://127.0.0.1:8001;app=docs , /api/chat = http://chat:8002/v1/ ; strip_prefix,,",
        )
        .unwrap();
        let all: Vec<&Route> = routes.iter().collect();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].prefix, "/api/documents");
        assert_eq!(all[0].upstream.as_str(), "http://127.0.0.1:8001/");
        assert_eq!((all[0].app.as_deref(), all[0].strip_prefix), (Some("docs"), false));
        assert_eq!(all[1].prefix, "/api/chat");
        assert_eq!((all[1].app.as_deref(), all[1].strip_prefix), (None, true));
        assert!(Routes::parse("").unwrap().is_empty());
        assert!(Routes::parse(" , ").unwrap().is_empty());
    }

    #[test]
    fn refuses_bad_entries_naming_them() {
        for (raw, says) in [
            ("/api", "expected PREFIX=URL"),
            ("api=http://x", "must start with '/'"),
            ("/=http://x", "every path"),
            ("/api/=http://x", "no trailing"),
            ("/api//x=http://x", "segments"),
            ("/api/../v1=http://x", "segments"),
            ("/api x=http://x", "segments"),
            ("/api=ftp://x", "http:// or https://"),
            ("/api=127.0.0.1:8001", "http:// or https://"),
            ("/api=not a url", "not an http:// or https:// URL"),
            ("/api=http://x?a=1", "query"),
            ("/api=http://u:p@x", "credentials"),
            ("/api=http://x#f", "fragment"),
            ("/api=http://x;app=", "app= needs"),
            ("/api=http://x;app=a;app=b", "app= needs"),
            ("/api=http://x;strip", "unknown option"),
            ("/api=http://x;timeout=3", "unknown option"),
            ("/api=http://x,/api=http://y", "routed twice"),
        ] {
            let error = Routes::parse(raw).expect_err(raw);
            assert!(error.to_string().contains(says), "{raw}: {error}");
        }
    }

    #[test]
    fn the_longest_prefix_wins_on_a_segment_boundary() {
        let routes = Routes::parse("/api=http://a,/api/documents=http://b,/api/documents/admin=http://c").unwrap();
        let host = |path: &str| routes.find(path).map(|r| r.upstream.host_str().unwrap_or_default().to_owned());
        assert_eq!(host("/api/documents/1").as_deref(), Some("b"));
        assert_eq!(host("/api/documents").as_deref(), Some("b"));
        assert_eq!(host("/api/documents/").as_deref(), Some("b"));
        assert_eq!(host("/api/documents/admin/x").as_deref(), Some("c"));
        assert_eq!(host("/api/documentsX").as_deref(), Some("a"));
        assert_eq!(host("/api/documents-admin").as_deref(), Some("a"));
        assert_eq!(host("/api").as_deref(), Some("a"));
        assert_eq!(host("/apix"), None);
        assert_eq!(host("/v1/auth/me"), None);
        assert_eq!(host("/"), None);
    }

    #[test]
    fn targets_keep_the_raw_path_and_query() {
        let routes =
            Routes::parse("/api/documents=http://b:8001,/api/chat=http://c/v1/;strip_prefix,/x=http://d/base").unwrap();
        let target = |path: &str, query: &str| {
            routes.find(path).and_then(|r| r.target(path, query)).map(|u| u.to_string()).unwrap_or_default()
        };
        assert_eq!(target("/api/documents/a%20b", "q=1&r=%2F"), "http://b:8001/api/documents/a%20b?q=1&r=%2F");
        assert_eq!(target("/api/documents", ""), "http://b:8001/api/documents");
        assert_eq!(target("/api/chat/rooms/1", ""), "http://c/v1/rooms/1");
        assert_eq!(target("/api/chat", "x"), "http://c/v1?x");
        assert_eq!(target("/x/y", ""), "http://d/base/x/y");
        // Dot segments would move the request out of the prefix it was authorized for.
        for path in ["/api/documents/../admin", "/api/documents/%2e%2e/admin", "/api/documents/%2E", "/api/documents/."]
        {
            assert_eq!(target(path, ""), "", "{path}");
        }
        // Dots inside a segment are ordinary.
        assert_eq!(target("/api/documents/a..b/.c", ""), "http://b:8001/api/documents/a..b/.c");
    }
}
