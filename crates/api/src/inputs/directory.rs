//! Inputs of the directory of territorial services (action research, activity 11).

use async_graphql::{InputObject, ID};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::vocab::*;
use super::{CommandInput, Ids};

/// Adds a territorial service to the directory.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapServiceInput {
    /// A new ULID for the service, chosen by the client.
    pub service_id: ID,
    /// When it was mapped: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    #[graphql(flatten)]
    #[serde(flatten)]
    pub description: ServiceDescriptionInput,
}

impl CommandInput for MapServiceInput {
    const COMMAND: &'static str = "MapService";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("serviceId", &self.service_id)
    }
}

/// Replaces the directory entry of a service with a new, verified description.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateServiceInput {
    /// The service (ULID), not retired.
    pub service_id: ID,
    /// When it was updated: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    #[graphql(flatten)]
    #[serde(flatten)]
    pub description: ServiceDescriptionInput,
}

impl CommandInput for UpdateServiceInput {
    const COMMAND: &'static str = "UpdateService";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("serviceId", &self.service_id)
    }
}

/// What the directory says about a service: the fields of `mapService` and `updateService`.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDescriptionInput {
    /// Name of the service ("ASL Roma 1 – Consultorio via Nomentana").
    pub name: String,
    /// Kind of service.
    pub kind: ServiceKind,
    /// Street address.
    pub address: String,
    /// Opening hours in words ("Mon–Fri 9:00–13:00").
    pub opening_hours: String,
    /// Languages spoken at the service, as ISO 639 codes.
    pub languages: Vec<String>,
    /// How to get access ("by appointment, with STP code").
    pub access_rules: String,
    /// Capacity to face the Ukrainian crisis, if mapped.
    pub ukraine_capacity: Option<UkraineCapacityInput>,
    /// Day the entry was last checked with the service (`yyyy-mm-dd`), not in the future.
    pub verified_on: NaiveDate,
}

/// Capacity of a service to face the Ukrainian crisis.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UkraineCapacityInput {
    /// Reception places available for temporary-protection holders.
    pub reception_places: u32,
    /// Gives health care to temporary-protection holders.
    pub health: bool,
    /// Gives access to school to their children.
    pub school_access: bool,
}

/// Retires a service from the directory: it can no longer be referred to.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetireServiceInput {
    /// The service (ULID), not already retired.
    pub service_id: ID,
    /// When it was retired: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// Why ("closed", "merged into …"); not personal data.
    pub reason: String,
}

impl CommandInput for RetireServiceInput {
    const COMMAND: &'static str = "RetireService";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("serviceId", &self.service_id)
    }
}

/// Sets a site's (*sportello*'s) name and the weekdays it opens; scheduling a site again replaces
/// its days. Admins and supervisors.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleSiteInput {
    /// Site slug (a-z, 0-9 and -, like `montelucci-4`).
    pub site_id: String,
    /// When the schedule was set: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// The site's name and address as people know it.
    pub name: String,
    /// The weekdays it opens (none: closed until scheduled again).
    pub opening_days: Vec<Weekday>,
}

impl CommandInput for ScheduleSiteInput {
    const COMMAND: &'static str = "ScheduleSite";

    fn ids(&self) -> Ids<'_> {
        Ids::default()
    }
}
