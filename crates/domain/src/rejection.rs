//! Why a command was refused, in words a mediator understands.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kind of a refusal. Tests and callers compare kinds; the message is for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionKind {
    /// A value that must be given is missing or empty.
    Required,
    /// A value is not in the expected form (a language code, a site slug...).
    Invalid,
    /// A number or a date is outside what makes sense.
    OutOfRange,
    /// A time or date lies in the future.
    InFuture,
    /// The person, case, referral, request, service or event named does not exist.
    NotFound,
    /// The thing to create already exists (a retried command, or a second logbook entry).
    AlreadyExists,
    /// The same value appears twice in a list.
    Duplicate,
    /// The service was retired from the directory.
    Retired,
    /// The case is closed.
    CaseClosed,
    /// The case is open, and the command needs it closed.
    CaseNotClosed,
    /// The person already has an open case.
    CaseAlreadyOpen,
    /// The mediation request was cancelled.
    Cancelled,
    /// An end comes before its start.
    EndsBeforeStart,
    /// Something lasts a day or more.
    TooLong,
    /// A text is longer than its limit (`domain::text`), or a command's texts together are.
    TooLarge,
    /// A minor's consent must be given by a guardian.
    GuardianRequired,
    /// The person has not given (or has withdrawn) the consent this needs.
    ConsentMissing,
    /// The actor's role may not do this.
    NotPermitted,
    /// Two values that must agree do not (a case of another person, a mediator not the author).
    Mismatch,
    /// The referral already has a final outcome; the appointment was attended, missed or
    /// cancelled; the supervision action is already done.
    AlreadyFinal,
    /// The site is closed that day: not an opening day, a public holiday or a recorded closure.
    SiteClosed,
    /// The slot is not within one of the site's opening periods of that day.
    OutsideOpeningHours,
    /// The mediator already has an appointment that overlaps the slot.
    DoubleBooked,
    /// The field cannot be corrected (it names the stream, or is itself a correction).
    NotCorrectable,
    /// The person's data was erased: nothing more is recorded about them.
    Erased,
    /// The person was merged into another registration: record on the id kept.
    Merged,
}

/// A refused command: which field, what kind of problem, and a sentence saying it plainly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The JSON name of the field at fault (`"endedAt"`, `"scores[2].score"`), or `"actor"`.
    pub field: String,
    pub kind: RejectionKind,
    pub message: String,
}

impl Rejection {
    pub fn new(field: impl Into<String>, kind: RejectionKind, message: impl Into<String>) -> Self {
        Rejection {
            field: field.into(),
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for Rejection {}
