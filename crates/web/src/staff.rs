//! The accounts file's changes recorded as facts of the journal, through the one door: each line
//! of `accounts.jsonl` becomes `openStaffAccount`, `disableStaffAccount` or `resetStaffPassword`,
//! sent as the admin who made it (or `accounts::CONSOLE_ACTOR` for `impact account`) under the
//! line's own event id, so a line read again is recorded once. The server records what the file
//! holds at start, after each change on the admin page, and what `impact account` appended while
//! it runs (`Web::watch_accounts`).

use std::sync::Arc;

use domain::{Actor, Role};
use serde_json::{json, Value};

use crate::accounts::{AccountChange, Change};
use crate::door;
use crate::Web;

/// How many lines of the accounts file this process has recorded (or found refused): the next
/// recording starts after them.
#[derive(Clone, Default)]
pub struct Recorded(Arc<tokio::sync::Mutex<usize>>);

/// What a recording did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Lines recorded now, or found recorded already.
    pub recorded: usize,
    /// Lines the desk refused (logged, by kind of refusal only).
    pub refused: usize,
}

fn operation(change: &AccountChange) -> (&'static str, Value) {
    let at = change.at.to_rfc3339();
    match &change.change {
        Change::Opened { role, site } => (
            "mutation($input: OpenStaffAccountInput!, $options: RecordOptions) { \
             openStaffAccount(input: $input, options: $options) { alreadyRecorded } }",
            json!({
                "user": change.user,
                "role": role.as_str().to_uppercase(),
                "siteId": site.as_ref().map(|s| s.as_str()),
                "occurredAt": at,
            }),
        ),
        Change::Disabled => (
            "mutation($input: DisableStaffAccountInput!, $options: RecordOptions) { \
             disableStaffAccount(input: $input, options: $options) { alreadyRecorded } }",
            json!({ "user": change.user, "occurredAt": at }),
        ),
        Change::PasswordReset => (
            "mutation($input: ResetStaffPasswordInput!, $options: RecordOptions) { \
             resetStaffPassword(input: $input, options: $options) { alreadyRecorded } }",
            json!({ "user": change.user, "occurredAt": at }),
        ),
    }
}

/// Records every line of the accounts file this process has not recorded yet. A refusal by the
/// desk (a line it finds makes no sense) is logged and passed; a failure of the desk stops here,
/// to be tried again at the next call.
pub async fn record_account_changes(web: &Web) -> Outcome {
    let mut done = web.staff_recorded.0.lock().await;
    let changes = match web.accounts.changes_from(*done) {
        Ok(changes) => changes,
        Err(error) => {
            tracing::error!(%error, "the accounts file cannot be read to record its changes");
            return Outcome::default();
        }
    };
    let mut outcome = Outcome::default();
    for change in changes {
        let principal = api::Principal::new(Actor::new(change.by.clone(), Role::Admin), None);
        let (query, input) = operation(&change);
        let variables = json!({
            "input": input,
            "options": { "eventId": change.event_id.to_string() },
        });
        match door::run(&web.api, &principal, query, variables).await {
            Ok(_) => outcome.recorded += 1,
            Err(refusals) if refusals.iter().all(|r| r.code == "REJECTED") => {
                let reason = refusals.first().and_then(|r| r.reason.clone());
                tracing::warn!(
                    line = *done + 1,
                    reason = reason.as_deref().unwrap_or("-"),
                    "a line of the accounts file was refused by the desk and is not in the journal"
                );
                outcome.refused += 1;
            }
            Err(refusals) => {
                let code = refusals.first().map(|r| r.code.clone());
                tracing::error!(
                    line = *done + 1,
                    code = code.as_deref().unwrap_or("-"),
                    "a line of the accounts file cannot be recorded now; tried again later"
                );
                return outcome;
            }
        }
        *done += 1;
    }
    outcome
}
