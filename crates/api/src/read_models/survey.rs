//! Survey definitions as the commissioner set them (`surveyDefinitions`, `surveyInForce`): what
//! a survey form asks and a report's satisfaction figures are made of.

use super::*;

/// A text in Italian, and in English when given.
#[derive(SimpleObject)]
pub struct SurveyLabel {
    pub it: String,
    pub en: Option<String>,
}

impl From<domain::Label> for SurveyLabel {
    fn from(l: domain::Label) -> Self {
        SurveyLabel { it: l.it, en: l.en }
    }
}

/// The scale an item is scored on, and its points' labels (none, or one per point from `min`).
#[derive(SimpleObject)]
pub struct SurveyScale {
    pub min: u8,
    pub max: u8,
    pub labels: Vec<SurveyLabel>,
}

/// One item of a questionnaire.
#[derive(SimpleObject)]
pub struct SurveyItemDefinition {
    /// The code a response's score names.
    pub code: String,
    pub label: SurveyLabel,
    pub scale: SurveyScale,
}

/// A version of a survey definition.
#[derive(SimpleObject)]
pub struct SurveyDefinition {
    /// The definition's slug (`gradimento-sportello` is the built-in one).
    pub definition: String,
    pub version: u32,
    pub heading: SurveyLabel,
    /// The languages it is given in (ISO 639 codes).
    pub languages: Vec<String>,
    pub items: Vec<SurveyItemDefinition>,
    /// The first day responses answer it.
    pub valid_from: NaiveDate,
    /// When it was recorded (the built-in one: 1970-01-01).
    pub occurred_at: DateTime<Utc>,
}

impl From<domain::SurveyDefined> for SurveyDefinition {
    fn from(d: domain::SurveyDefined) -> Self {
        SurveyDefinition {
            definition: d.definition,
            version: d.version,
            heading: d.heading.into(),
            languages: d.languages,
            items: d
                .items
                .into_iter()
                .map(|i| SurveyItemDefinition {
                    code: i.code,
                    label: i.label.into(),
                    scale: SurveyScale {
                        min: i.scale.min,
                        max: i.scale.max,
                        labels: i.scale.labels.into_iter().map(Into::into).collect(),
                    },
                })
                .collect(),
            valid_from: d.valid_from,
            occurred_at: d.occurred_at,
        }
    }
}
