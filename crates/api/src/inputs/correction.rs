//! The input of a correction: nothing is edited, a new event names the one it corrects.

use std::collections::BTreeMap;

use async_graphql::{Context, InputObject, Json, Object, Result, ID};
use chrono::{DateTime, Utc};
use domain::Command;

use super::*;

/// Corrects fields of an earlier event. The original stays in the journal; readers see the
/// corrected values. Ids and the logbook date cannot be corrected: record a new fact instead.
#[derive(InputObject)]
pub struct CorrectEventInput {
    /// The id (ULID) of the event to correct; not itself a correction.
    pub corrects: ID,
    /// When the correction was made: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// Statistics fields with their right values, by the event's JSON field names:
    /// `{"durationMinutes": 45}`.
    pub fields: Option<Json<BTreeMap<String, serde_json::Value>>>,
    /// Personal data: personal fields (`note`, `comment`, `personal`, `goals`, `observations`,
    /// `incidents`, `decisions`, `actions`) with their right values.
    pub personal_fields: Option<Json<BTreeMap<String, serde_json::Value>>>,
    /// Why the correction is made ("typo in the duration"); name nobody here.
    pub reason: String,
}

impl CommandInput for CorrectEventInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            corrects,
            occurred_at,
            fields,
            personal_fields,
            reason,
        } = self;
        Ok(domain::CorrectEvent {
            corrects: parse_ulid("corrects", &corrects)?,
            occurred_at,
            fields: fields.map(|f| f.0).unwrap_or_default(),
            personal_fields: domain::PersonalFields(
                personal_fields.map(|f| f.0).unwrap_or_default(),
            ),
            reason,
        }
        .into())
    }
}

/// The mutations of this file's inputs (merged into `MutationRoot`).
#[derive(Default)]
pub struct CorrectionMutations;

#[Object]
impl CorrectionMutations {
    /// Corrects fields of an earlier event with a new event that names it; nothing is edited.
    async fn correct_event(
        &self,
        ctx: &Context<'_>,
        input: CorrectEventInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }
}
