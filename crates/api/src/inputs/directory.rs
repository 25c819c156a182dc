//! Inputs of the directory of territorial services (action research, activity 11).

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Command;

use super::vocab::*;
use super::*;

/// Adds a territorial service to the directory.
#[derive(InputObject)]
pub struct MapServiceInput {
    /// A new ULID for the service, chosen by the client.
    pub service_id: ID,
    /// When it was mapped: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    #[graphql(flatten)]
    pub description: ServiceDescriptionInput,
}

impl CommandInput for MapServiceInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            service_id,
            occurred_at,
            description,
        } = self;
        Ok(domain::MapService {
            service_id: id("serviceId", &service_id)?,
            occurred_at,
            description: description.into(),
        }
        .into())
    }
}

/// Replaces the directory entry of a service with a new, verified description.
#[derive(InputObject)]
pub struct UpdateServiceInput {
    /// The service (ULID), not retired.
    pub service_id: ID,
    /// When it was updated: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    #[graphql(flatten)]
    pub description: ServiceDescriptionInput,
}

impl CommandInput for UpdateServiceInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            service_id,
            occurred_at,
            description,
        } = self;
        Ok(domain::UpdateService {
            service_id: id("serviceId", &service_id)?,
            occurred_at,
            description: description.into(),
        }
        .into())
    }
}

/// What the directory says about a service: the fields of `mapService` and `updateService`.
#[derive(InputObject)]
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

impl From<ServiceDescriptionInput> for domain::ServiceDescription {
    fn from(input: ServiceDescriptionInput) -> Self {
        let ServiceDescriptionInput {
            name,
            kind,
            address,
            opening_hours,
            languages,
            access_rules,
            ukraine_capacity,
            verified_on,
        } = input;
        domain::ServiceDescription {
            name,
            kind: kind.into(),
            address,
            opening_hours,
            languages,
            access_rules,
            ukraine_capacity: ukraine_capacity.map(
                |UkraineCapacityInput {
                     reception_places,
                     health,
                     school_access,
                 }| domain::UkraineCapacity {
                    reception_places,
                    health,
                    school_access,
                },
            ),
            verified_on,
        }
    }
}

/// Capacity of a service to face the Ukrainian crisis.
#[derive(InputObject)]
pub struct UkraineCapacityInput {
    /// Reception places available for temporary-protection holders.
    pub reception_places: u32,
    /// Gives health care to temporary-protection holders.
    pub health: bool,
    /// Gives access to school to their children.
    pub school_access: bool,
}

/// Retires a service from the directory: it can no longer be referred to.
#[derive(InputObject)]
pub struct RetireServiceInput {
    /// The service (ULID), not already retired.
    pub service_id: ID,
    /// When it was retired: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// Why ("closed", "merged into …"); not personal data.
    pub reason: String,
}

impl CommandInput for RetireServiceInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            service_id,
            occurred_at,
            reason,
        } = self;
        Ok(domain::RetireService {
            service_id: id("serviceId", &service_id)?,
            occurred_at,
            reason,
        }
        .into())
    }
}

/// Sets a site's (*sportello*'s) name and the weekdays it opens; scheduling a site again replaces
/// its days. Admins and supervisors.
#[derive(InputObject)]
pub struct ScheduleSiteInput {
    /// Site slug (a-z, 0-9 and -, like `montelucci-4`).
    pub site_id: String,
    /// When the schedule was set: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// The site's name and address as people know it.
    pub name: String,
    /// The weekdays it opens (none: closed until scheduled again).
    pub opening_days: Vec<Weekday>,
    /// The opening periods of each opening day, in Rome's local time (`09:00`-`12:00`); when
    /// any is given, every opening day has one. Appointments are booked inside them.
    #[graphql(default)]
    pub hours: Vec<OpeningHoursInput>,
    /// The site's public phone numbers (`0774 301234`).
    #[graphql(default)]
    pub phones: Vec<String>,
}

/// One opening period of a weekday, in Rome's local time.
#[derive(InputObject)]
pub struct OpeningHoursInput {
    pub day: Weekday,
    /// `HH:MM`, Rome's local time.
    pub opens: String,
    /// `HH:MM`, after `opens`.
    pub closes: String,
}

/// A time of day written `HH:MM` (or `HH:MM:SS`), or `BAD_INPUT` naming the field.
fn time_of_day(field: String, text: &str) -> Result<chrono::NaiveTime> {
    use async_graphql::ErrorExtensions;
    chrono::NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| chrono::NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .map_err(|_| {
            crate::error::bad_input(format!("{field} is a time written HH:MM, got {text:?}"))
                .extend_with(move |_, e| e.set("field", field.clone()))
        })
}

impl CommandInput for ScheduleSiteInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            site_id,
            occurred_at,
            name,
            opening_days,
            hours,
            phones,
        } = self;
        Ok(domain::ScheduleSite {
            site_id: domain::SiteId::new(site_id),
            occurred_at,
            name,
            opening_days: words(opening_days),
            hours: hours
                .into_iter()
                .enumerate()
                .map(|(i, OpeningHoursInput { day, opens, closes })| {
                    Ok(domain::OpeningHours {
                        day: day.into(),
                        opens: time_of_day(format!("hours[{i}].opens"), &opens)?,
                        closes: time_of_day(format!("hours[{i}].closes"), &closes)?,
                    })
                })
                .collect::<Result<_>>()?,
            phones,
        }
        .into())
    }
}

/// The mutations of this file's inputs (merged into `MutationRoot`).
#[derive(Default)]
pub struct DirectoryMutations;

#[Object]
impl DirectoryMutations {
    /// Adds a territorial service to the directory.
    async fn map_service(
        &self,
        ctx: &Context<'_>,
        input: MapServiceInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Replaces a service's directory entry with a new, verified description.
    async fn update_service(
        &self,
        ctx: &Context<'_>,
        input: UpdateServiceInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Sets a site's name and opening weekdays (admins and supervisors); the logbook check
    /// counts a site's opening days from its schedule.
    async fn schedule_site(
        &self,
        ctx: &Context<'_>,
        input: ScheduleSiteInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Retires a service from the directory.
    async fn retire_service(
        &self,
        ctx: &Context<'_>,
        input: RetireServiceInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }
}
