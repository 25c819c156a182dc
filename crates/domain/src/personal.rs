//! Personal data, kept in its own types.
//!
//! Everything here can identify a person or says something about one in free words. It lives
//! apart from the fields statistics use so that a later layer can encrypt it under a per-person
//! key and erase it by destroying the key. `Debug` never prints the content: logs must never
//! contain personal data.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Name, exact birth date and contacts of a person.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonalData {
    pub full_name: String,
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
}

impl fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// One way to reach a person.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub kind: ContactKind,
    pub value: String,
}

impl fmt::Debug for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Phone,
    Email,
    Address,
}

/// Free text that is about a person or may name one: notes, comments, observations.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonalNote(pub String);

impl PersonalNote {
    pub fn new(text: impl Into<String>) -> Self {
        PersonalNote(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonalNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Corrected values of personal fields, carried by `EventCorrected` apart from the others.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonalFields(pub BTreeMap<String, serde_json::Value>);

impl PersonalFields {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for PersonalFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Names of event fields that hold personal data, in every event type.
pub const PERSONAL_FIELD_NAMES: &[&str] = &[
    "personal",
    "note",
    "comment",
    "goals",
    "observations",
    "incidents",
    "decisions",
    "actions",
];

/// Event types whose payload names no person and holds no personal field: an evaluator bundle
/// carries their full stored record, so that an outsider re-hashes it.
pub const TYPES_WITHOUT_PERSONAL_DATA: &[&str] = &[
    "ServiceMapped",
    "ServiceUpdated",
    "ServiceRetired",
    "InformationMaterialDistributed",
    "CheckpointSigned",
];
