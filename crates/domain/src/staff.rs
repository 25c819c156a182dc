//! The desk's staff accounts as facts: who was given which role and site, when and by whom,
//! which account was disabled and when a password was drawn again. The accounts themselves (their
//! password hashes) live in `accounts.jsonl` (`web::accounts`); the journal holds these facts so
//! that the audit trail shows them, never a password or its hash. Each is recorded on the
//! account's stream `staff-<user>`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::SiteId;
use crate::vocab::Role;

/// A staff account was opened: its user name (the actor id its events record), its role and,
/// for a mediator, the site they work at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffAccountOpened {
    pub user: String,
    pub role: Role,
    pub site_id: Option<SiteId>,
    pub occurred_at: DateTime<Utc>,
}

/// A staff account was disabled: it no longer signs in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffAccountDisabled {
    pub user: String,
    pub occurred_at: DateTime<Utc>,
}

/// A new password was drawn for a staff account (the old one stopped working). The password and
/// its hash are never recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffPasswordReset {
    pub user: String,
    pub occurred_at: DateTime<Utc>,
}

/// Records that a staff account was opened (admins).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenStaffAccount {
    pub user: String,
    pub role: Role,
    #[serde(default)]
    pub site_id: Option<SiteId>,
    pub occurred_at: DateTime<Utc>,
}

/// Records that a staff account was disabled (admins).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisableStaffAccount {
    pub user: String,
    pub occurred_at: DateTime<Utc>,
}

/// Records that a staff account's password was drawn again (admins).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetStaffPassword {
    pub user: String,
    pub occurred_at: DateTime<Utc>,
}

/// `true` for a user name: 2 to 64 characters of `a-z`, `0-9`, `.`, `_` and `-` (it is an
/// actor id, so no personal name is needed in it).
pub fn is_user_name(user: &str) -> bool {
    (2..=64).contains(&user.len())
        && user
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}
