//! Inputs of survey definitions: a version of a questionnaire as the commissioner set it (its
//! heading, languages, items with their labels and scales, and the day it is valid from).

use async_graphql::{Context, InputObject, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Command;

use super::*;

/// A text in Italian, and optionally in English.
#[derive(InputObject)]
pub struct LabelInput {
    pub it: String,
    pub en: Option<String>,
}

impl From<LabelInput> for domain::Label {
    fn from(l: LabelInput) -> Self {
        let LabelInput { it, en } = l;
        domain::Label { it, en }
    }
}

/// The scale an item is scored on: whole numbers from `min` to `max` (at most 10), with one
/// label per point from `min` up, or none.
#[derive(InputObject)]
pub struct SurveyScaleInput {
    pub min: u8,
    pub max: u8,
    #[graphql(default)]
    pub labels: Vec<LabelInput>,
}

/// One item of a questionnaire: the code a response's score names (2 to 40 of a-z, 0-9, '-'
/// and '_'), its label and its scale.
#[derive(InputObject)]
pub struct SurveyItemDefinitionInput {
    pub code: String,
    pub label: LabelInput,
    pub scale: SurveyScaleInput,
}

/// Records a version of a survey definition (supervisors and admins): versions of a definition
/// are numbered in order from 1 (the built-in `gradimento-sportello` has version 1 already).
#[derive(InputObject)]
pub struct DefineSurveyInput {
    /// The definition's slug: `gradimento-impact`.
    pub definition: String,
    /// The version: the definition's last version plus one.
    pub version: u32,
    /// When it was recorded: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// The questionnaire's heading (no person's data).
    pub heading: LabelInput,
    /// The languages it is given in (ISO 639 codes).
    pub languages: Vec<String>,
    /// Its items, in the questionnaire's order.
    pub items: Vec<SurveyItemDefinitionInput>,
    /// The first day responses answer it (`yyyy-mm-dd`).
    pub valid_from: NaiveDate,
}

impl CommandInput for DefineSurveyInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            definition,
            version,
            occurred_at,
            heading,
            languages,
            items,
            valid_from,
        } = self;
        Ok(domain::DefineSurvey {
            definition,
            version,
            occurred_at,
            heading: heading.into(),
            languages,
            items: items
                .into_iter()
                .map(|SurveyItemDefinitionInput { code, label, scale }| {
                    let SurveyScaleInput { min, max, labels } = scale;
                    domain::SurveyItemDefinition {
                        code,
                        label: label.into(),
                        scale: domain::SurveyScale {
                            min,
                            max,
                            labels: labels.into_iter().map(Into::into).collect(),
                        },
                    }
                })
                .collect(),
            valid_from,
        }
        .into())
    }
}

/// The mutations of this file's inputs (merged into `MutationRoot`).
#[derive(Default)]
pub struct SurveyMutations;

#[Object]
impl SurveyMutations {
    /// Records a version of a survey definition (supervisors and admins).
    async fn define_survey(
        &self,
        ctx: &Context<'_>,
        input: DefineSurveyInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }
}
