//! The desk's own pages: server-rendered HTML in Italian (English by the switch), at `/`.
//!
//! Key items: [`Web`] (what the pages need), [`router`], [`accounts::Accounts`],
//! [`signin::SignIns`]. `docs/adr/0008-pages.md` says why it is built this way.
//! Invariants: every read and write goes through the GraphQL schema ([`door`]), with the
//! signed-in account's principal; nothing here calls the desk. No personal data in a URL or a
//! log line; every page is `Cache-Control: no-store` under a CSP without inline script.

pub mod accounts;
mod assets;
mod door;
mod forms;
pub mod i18n;
mod pages;
mod render;
pub mod signin;
pub mod time;

use std::sync::Arc;

use axum::Router;

pub use accounts::{Account, AccountError, Accounts};
pub use render::Templates;

/// Everything the pages need. Cheap to clone.
#[derive(Clone)]
pub struct Web {
    /// The API's state: the schema the pages run their operations on, and the read audit.
    pub api: api::AppState,
    pub accounts: Accounts,
    pub sign_ins: signin::SignIns,
    catalogues: Arc<i18n::Catalogues>,
    templates: Arc<Templates>,
    /// The cookie is marked `Secure` (the server is behind TLS).
    secure_cookies: bool,
    /// At most this many password checks run at once (Argon2 is the costly part).
    password_checks: Arc<tokio::sync::Semaphore>,
}

impl Web {
    pub fn new(api: api::AppState, accounts: Accounts, secure_cookies: bool) -> Web {
        let catalogues = Arc::new(i18n::Catalogues::default());
        Web {
            api,
            accounts,
            sign_ins: signin::SignIns::default(),
            templates: Arc::new(Templates::new(Arc::clone(&catalogues))),
            catalogues,
            secure_cookies,
            password_checks: Arc::new(tokio::sync::Semaphore::new(2)),
        }
    }
}

/// The pages' routes and their assets; `impact serve` merges them with `api::app`.
pub fn router(web: Web) -> Router {
    pages::routes(web)
}
