//! The desk's own pages: server-rendered HTML in Italian (English by the switch), at `/`.
//!
//! Key items: [`Web`] (what the pages need), [`router`], [`accounts::Accounts`],
//! [`signin::SignIns`]. `docs/adr/0008-pages.md` says why it is built this way.
//! Invariants: every read and write goes through the GraphQL schema ([`door`]), with the
//! signed-in account's principal; nothing here calls the desk. No personal data in a URL or a
//! log line; every page is `Cache-Control: no-store` under a CSP without inline script.

pub mod accounts;
mod assets;
mod charts;
mod door;
mod forms;
pub mod i18n;
mod pages;
mod render;
pub mod signin;
pub mod staff;
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
    /// How far the accounts file's lines are recorded in the journal (`staff.rs`).
    staff_recorded: staff::Recorded,
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
            staff_recorded: staff::Recorded::default(),
        }
    }

    /// Records in the journal the accounts file's lines not recorded yet ([`staff`]).
    pub async fn record_account_changes(&self) -> staff::Outcome {
        staff::record_account_changes(self).await
    }

    /// Records, every `every`, what `impact account` appended to the accounts file while the
    /// server runs (the admin page records its own changes at once).
    pub fn watch_accounts(&self, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let web = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                web.record_account_changes().await;
            }
        })
    }
}

/// The pages' routes and their assets; `impact serve` merges them with `api::app`.
pub fn router(web: Web) -> Router {
    pages::routes(web)
}
