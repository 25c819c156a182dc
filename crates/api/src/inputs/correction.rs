//! The input of a correction: nothing is edited, a new event names the one it corrects.

use std::collections::BTreeMap;

use async_graphql::{InputObject, Json, ID};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{CommandInput, Ids};

/// Corrects fields of an earlier event. The original stays in the journal; readers see the
/// corrected values. Ids and the logbook date cannot be corrected: record a new fact instead.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CorrectEventInput {
    /// The id (ULID) of the event to correct; not itself a correction.
    pub corrects: ID,
    /// When the correction was made: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// Statistics fields with their right values, by the event's JSON field names:
    /// `{"durationMinutes": 45}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Json<BTreeMap<String, serde_json::Value>>>,
    /// Personal data: personal fields (`note`, `comment`, `personal`, `goals`, `observations`,
    /// `incidents`, `decisions`, `actions`) with their right values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_fields: Option<Json<BTreeMap<String, serde_json::Value>>>,
    /// Why the correction is made ("typo in the duration"); name nobody here.
    pub reason: String,
}

impl CommandInput for CorrectEventInput {
    const COMMAND: &'static str = "CorrectEvent";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("corrects", &self.corrects)
    }
}
