//! The files the pages load, all served by the binary (no external network): Bootstrap
//! Italia's stylesheet and the Titillium Web fonts (`assets/bootstrap-italia/`, with their
//! licences), the pages' own stylesheet and their one small script.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "bootstrap-italia.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/bootstrap-italia/bootstrap-italia.min.css"),
    ),
    (
        "titillium-web-400.woff2",
        "font/woff2",
        include_bytes!(
            "../assets/bootstrap-italia/fonts/titillium-web-v10-latin-ext_latin-regular.woff2"
        ),
    ),
    (
        "titillium-web-600.woff2",
        "font/woff2",
        include_bytes!(
            "../assets/bootstrap-italia/fonts/titillium-web-v10-latin-ext_latin-600.woff2"
        ),
    ),
    (
        "titillium-web-700.woff2",
        "font/woff2",
        include_bytes!(
            "../assets/bootstrap-italia/fonts/titillium-web-v10-latin-ext_latin-700.woff2"
        ),
    ),
    (
        "pages.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/pages.css"),
    ),
    (
        "pages.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/pages.js"),
    ),
];

/// `GET /risorse/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
