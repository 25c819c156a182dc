//! Personal data, kept in its own types.
//!
//! Everything here can identify a person or says something about one in free words. It lives
//! apart from the fields statistics use so that the desk can encrypt it under a per-person key
//! (crate `vault`) and erase it by destroying the key. `Debug` never prints the content: logs must
//! never contain personal data.
//!
//! Erased values read as the marker [`ERASED`]: a note is the text `"[erased]"`, personal data
//! has the name `"[erased]"`, no birth date and no contacts. The desk decodes a sealed value whose
//! key was destroyed into that form, so projections and the API see it like any other value.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Name, exact birth date and contacts of a person.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersonalData {
    pub full_name: String,
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// The Italian *codice fiscale* where the person has one: 16 uppercase letters and digits.
    /// Absent in payloads written before it existed, which decode as `None`.
    #[serde(default)]
    pub fiscal_code: Option<String>,
}

/// What an erased personal value reads as.
pub const ERASED: &str = "[erased]";

impl PersonalData {
    /// Personal data whose person was erased: the name reads [`ERASED`], nothing else is left.
    pub fn erased() -> Self {
        PersonalData {
            full_name: ERASED.to_string(),
            birth_date: None,
            contacts: Vec::new(),
            fiscal_code: None,
        }
    }

    /// `true` for [`PersonalData::erased`].
    pub fn is_erased(&self) -> bool {
        self.full_name == ERASED
            && self.birth_date.is_none()
            && self.contacts.is_empty()
            && self.fiscal_code.is_none()
    }

    /// The JSON an erased value decodes from (what the desk puts in place of a sealed value it
    /// cannot open).
    pub fn erased_json() -> serde_json::Value {
        serde_json::json!({ "fullName": ERASED })
    }
}

impl fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// One way to reach a person.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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

    /// A note whose person was erased: reads [`ERASED`].
    pub fn erased() -> Self {
        PersonalNote(ERASED.to_string())
    }

    /// `true` for [`PersonalNote::erased`].
    pub fn is_erased(&self) -> bool {
        self.0 == ERASED
    }

    /// The JSON an erased note decodes from.
    pub fn erased_json() -> serde_json::Value {
        serde_json::Value::String(ERASED.to_string())
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

/// Names of event fields that hold personal data, in every event type. In an event about one
/// person (it names a `personId`), the desk seals each of these values (each element of a list)
/// and each value of `personalFields` under that person's key before it is recorded.
pub const PERSONAL_FIELD_NAMES: &[&str] = &[
    "personal",
    "note",
    "comment",
    "goals",
    "observations",
    "incidents",
    "decisions",
    "actions",
    "guardianName",
    "difficulties",
    "strategies",
    "trainingNeeds",
    "participants",
    "title",
];

/// The field of `EventCorrected` that carries corrected personal values by field name; each of
/// its values is personal, like the fields of [`PERSONAL_FIELD_NAMES`].
pub const PERSONAL_FIELDS: &str = "personalFields";

/// The personal field that holds [`PersonalData`]; every other one holds notes.
pub const PERSONAL_DATA_FIELD: &str = "personal";

/// The JSON an erased value of the personal field `name` decodes from: [`PersonalData::erased`]
/// for [`PERSONAL_DATA_FIELD`], [`PersonalNote::erased`] for the others.
pub fn erased_json(name: &str) -> serde_json::Value {
    if name == PERSONAL_DATA_FIELD {
        PersonalData::erased_json()
    } else if name == "actions" {
        // A supervision action: its description and owner redacted, no due date.
        serde_json::json!({ "description": ERASED, "owner": ERASED, "dueOn": null })
    } else {
        PersonalNote::erased_json()
    }
}

/// The payload fields that hold a person's id: evaluator views replace each by its pseudonym.
pub const PERSON_ID_FIELDS: &[&str] = &["personId", "intoPersonId"];

/// The payload fields that name members of staff (account names, alone or in a list): the
/// fields that repeat a command's actor (`own_name` in `commands!`) and every other one that
/// holds an account name. Evaluator bundles replace each name by a pseudonym
/// (`Vault::staff_pseudonym`); `crates/domain/tests/samples.rs` checks that every account name
/// in a stored sample sits in one of these fields.
pub const STAFF_NAME_FIELDS: &[&str] = &[
    "mediator",
    "caseWorker",
    "staff",
    "facilitators",
    "supervisor",
    "attendees",
    "owner",
    "user",
];

/// Event types whose payload names no person, no member of staff and holds no personal field:
/// an evaluator bundle carries their full stored record, so that an outsider re-hashes it. (The
/// staff accounts' events name a member of staff: a bundle shows them pseudonymised, not whole.)
pub const TYPES_WITHOUT_PERSONAL_DATA: &[&str] = &[
    "ServiceMapped",
    "ServiceUpdated",
    "ServiceRetired",
    "InformationMaterialDistributed",
    "CheckpointSigned",
    "SiteScheduled",
];

/// `true` for a *codice fiscale* as the desk stores it: 16 uppercase ASCII letters and digits in
/// the shape of a person's code (six letters, then birth year, month letter, day and place, with
/// the digits possibly replaced by letters for homonyms, *omocodia*), ending in its check letter.
pub fn is_fiscal_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    if bytes.len() != 16
        || !bytes
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return false;
    }
    // Letters where the shape has letters: surname and name, month, place letter, check letter.
    let letters = [0, 1, 2, 3, 4, 5, 8, 11, 15];
    if !letters.iter().all(|&i| bytes[i].is_ascii_uppercase()) {
        return false;
    }
    fiscal_code_check_letter(&bytes[..15]) == bytes[15]
}

/// The check letter of the first 15 characters of a *codice fiscale* (DM 23/12/1976).
fn fiscal_code_check_letter(first: &[u8]) -> u8 {
    // Values of a character at an odd place (1st, 3rd, ...), for 0-9 and A-Z alike.
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    let sum: u32 = first
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let v = if b.is_ascii_digit() {
                b - b'0'
            } else {
                b - b'A'
            };
            let v = usize::from(v);
            if i % 2 == 0 {
                ODD[v]
            } else {
                u32::try_from(v).unwrap_or(0)
            }
        })
        .sum();
    b'A' + u8::try_from(sum % 26).unwrap_or(0)
}
