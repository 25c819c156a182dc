//! The one place where failures and refusals become GraphQL errors with `extensions.code`.
//!
//! Codes: `BAD_INPUT` (the request or a field is wrong: fix it), `REJECTED` (the desk's rules
//! refused the command; `extensions.field` and `extensions.reason` say which and why),
//! `CONFLICT` (the stream moved on: reload and retry), `NOT_FOUND`, `UNAUTHENTICATED`,
//! `FORBIDDEN`, `DISK_FULL` (the desk's disk is full: nothing was recorded; once the operators
//! free space the same request can be sent again), `INTERNAL` (details are logged,
//! never sent).

use async_graphql::{Error, ErrorExtensions};
use desk::{DeskError, Refused};

pub const BAD_INPUT: &str = "BAD_INPUT";
pub const REJECTED: &str = "REJECTED";
pub const CONFLICT: &str = "CONFLICT";
pub const NOT_FOUND: &str = "NOT_FOUND";
pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
pub const FORBIDDEN: &str = "FORBIDDEN";
pub const INTERNAL: &str = "INTERNAL";
pub const DISK_FULL: &str = "DISK_FULL";

pub fn coded(code: &'static str, message: impl Into<String>) -> Error {
    Error::new(message.into()).extend_with(|_, e| e.set("code", code))
}

pub fn bad_input(message: impl Into<String>) -> Error {
    coded(BAD_INPUT, message)
}

pub fn not_found(what: impl std::fmt::Display) -> Error {
    coded(NOT_FOUND, format!("{what} does not exist"))
}

/// A failure: logged with its detail, answered with a generic message.
pub fn internal(error: impl std::fmt::Display) -> Error {
    tracing::error!(%error, "request failed");
    coded(
        INTERNAL,
        "internal error; the event was logged for the operators",
    )
}

pub fn from_desk(error: DeskError) -> Error {
    if error.is_disk_full() {
        return disk_full(error);
    }
    match error {
        DeskError::Journal(error) => from_journal(error),
        other => internal(other),
    }
}

/// The disk is full: logged for the operators, answered with its own code.
fn disk_full(error: impl std::fmt::Display) -> Error {
    tracing::error!(%error, "the disk is full; a request was refused");
    coded(
        DISK_FULL,
        "the desk's disk is full; nothing was recorded. Tell the operators: once they have \
         freed space, send the same request again",
    )
}

pub fn from_journal(error: desk::journal::JournalError) -> Error {
    if error.is_disk_full() {
        return disk_full(error);
    }
    match error {
        // A proof asked for sizes the tree does not have: the request is wrong.
        desk::journal::JournalError::ProofRange(range) => bad_input(range.to_string()),
        other => internal(other),
    }
}

pub fn from_refused(refused: &Refused) -> Error {
    let message = desk::describe_refusal(refused);
    match refused {
        Refused::Rejected(rejection) => {
            let field = rejection.field.clone();
            let reason = serde_json::to_value(rejection.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let code = match rejection.kind {
                domain::RejectionKind::NotFound => NOT_FOUND,
                domain::RejectionKind::NotPermitted => FORBIDDEN,
                domain::RejectionKind::TooLarge => BAD_INPUT,
                _ => REJECTED,
            };
            Error::new(rejection.message.clone()).extend_with(move |_, e| {
                e.set("code", code);
                e.set("field", field.clone());
                e.set("reason", reason.clone());
            })
        }
        Refused::Conflict {
            stream,
            expected,
            actual,
        } => {
            let (stream, expected, actual) = (stream.clone(), *expected, *actual);
            Error::new(message).extend_with(move |_, e| {
                e.set("code", CONFLICT);
                e.set("stream", stream.clone());
                e.set("expectedVersion", expected);
                e.set("actualVersion", actual);
            })
        }
        Refused::IdReused { .. } => coded(CONFLICT, message),
    }
}
