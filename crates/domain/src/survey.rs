//! Satisfaction surveys as the commissioner defines them: a survey definition, named by a slug
//! and numbered by version, says the questionnaire's heading, the languages it is given in, its
//! items (a code, an Italian label, an English one optionally, and a scale) and the day it is
//! valid from. Each version is a fact of its own, `SurveyDefined`, on the stream
//! `survey-definition-<slug>`; a response (`SatisfactionSurveyCompleted`) records which
//! definition and version it answers.
//!
//! The built-in definition ([`default_definition`], `gradimento-sportello` version 1) is the
//! questionnaire the desk used before definitions were recorded: its six items, scored 1 to 5,
//! in Italian. A response recorded before (schema version 1) answers it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::vocab::SurveyItem;

/// The slug of the built-in definition.
pub const DEFAULT_SURVEY: &str = "gradimento-sportello";

/// A text in Italian, the desk's language, and optionally in English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Label {
    pub it: String,
    #[serde(default)]
    pub en: Option<String>,
}

impl Label {
    pub fn new(it: &str, en: &str) -> Label {
        Label {
            it: it.into(),
            en: Some(en.into()),
        }
    }
}

/// The scale an item is scored on: whole numbers from `min` to `max`, and, when given, one label
/// per point from `min` up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SurveyScale {
    pub min: u8,
    pub max: u8,
    #[serde(default)]
    pub labels: Vec<Label>,
}

/// One item of a survey definition: its code (what a response's score names), its label and
/// its scale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SurveyItemDefinition {
    pub code: String,
    pub label: Label,
    pub scale: SurveyScale,
}

/// A version of a survey definition was recorded (supervisors and admins), as the commissioner
/// set it. `heading` is the questionnaire's title (no person's data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SurveyDefined {
    pub definition: String,
    pub version: u32,
    pub occurred_at: DateTime<Utc>,
    pub heading: Label,
    /// The languages the questionnaire is given in (ISO 639 codes).
    pub languages: Vec<String>,
    pub items: Vec<SurveyItemDefinition>,
    /// The first day responses may answer this version; the version in force on a day is the
    /// one with the latest `valid_from` not after it.
    pub valid_from: NaiveDate,
}

/// Records a version of a survey definition (supervisors and admins).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DefineSurvey {
    pub definition: String,
    pub version: u32,
    pub occurred_at: DateTime<Utc>,
    pub heading: Label,
    pub languages: Vec<String>,
    pub items: Vec<SurveyItemDefinition>,
    pub valid_from: NaiveDate,
}

impl SurveyDefined {
    /// The item with this code, if the definition has it.
    pub fn item(&self, code: &str) -> Option<&SurveyItemDefinition> {
        self.items.iter().find(|i| i.code == code)
    }
}

/// The built-in definition, version 1 of [`DEFAULT_SURVEY`]: the six items of [`SurveyItem`],
/// scored 1 (poor) to 5 (excellent), in Italian, valid from the FAMI programme's first day.
pub fn default_definition() -> SurveyDefined {
    let five = SurveyScale {
        min: 1,
        max: 5,
        labels: vec![
            Label::new("Scarso", "Poor"),
            Label::new("Mediocre", "Fair"),
            Label::new("Sufficiente", "Adequate"),
            Label::new("Buono", "Good"),
            Label::new("Ottimo", "Excellent"),
        ],
    };
    let label = |item: SurveyItem| match item {
        SurveyItem::Welcome => Label::new("Accoglienza", "Welcome"),
        SurveyItem::Clarity => Label::new("Chiarezza delle informazioni", "Clarity"),
        SurveyItem::Usefulness => Label::new("Utilità", "Usefulness"),
        SurveyItem::WaitingTime => Label::new("Tempo di attesa", "Waiting time"),
        SurveyItem::Language => Label::new("Lingua", "Language"),
        SurveyItem::Overall => Label::new("Nel complesso", "Overall"),
    };
    SurveyDefined {
        definition: DEFAULT_SURVEY.into(),
        version: 1,
        occurred_at: DateTime::<Utc>::UNIX_EPOCH,
        heading: Label::new(
            "Questionario di gradimento dello sportello",
            "The desk's satisfaction survey",
        ),
        languages: vec!["it".into()],
        items: SurveyItem::ALL
            .iter()
            .map(|i| SurveyItemDefinition {
                code: i.as_str().into(),
                label: label(*i),
                scale: five.clone(),
            })
            .collect(),
        valid_from: NaiveDate::from_ymd_opt(2014, 1, 1).unwrap_or(NaiveDate::MIN),
    }
}

/// `true` for a definition's slug or an item's code: 2 to 40 of `a-z`, `0-9`, `-` and `_`,
/// starting with a letter.
pub fn is_survey_code(code: &str) -> bool {
    (2..=40).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}
