//! GraphiQL, served from the binary in dev mode (`--dev`, `--demo`): the page and its scripts and
//! styles (`crates/api/assets/graphiql/`, with their versions and licences), so that it works on
//! a network that reaches nothing but this server. Its content security policy lets the page
//! load and connect to this server only.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Scripts, styles and connections from this server only; the stylesheet's fonts and icons are
/// `data:` URIs inside it. No inline script, no `eval`, no frames.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const PAGE: &[u8] = include_bytes!("../assets/graphiql/index.html");

/// The files under `/graphiql/`: name, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "start.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/start.js"),
    ),
    (
        "page.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/graphiql/page.css"),
    ),
];

/// The GraphiQL page.
pub fn page() -> Response {
    served("text/html; charset=utf-8", PAGE)
}

/// One of the page's files, or 404.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, bytes)) => served(content_type, bytes),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

fn served(content_type: &'static str, bytes: &'static [u8]) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
