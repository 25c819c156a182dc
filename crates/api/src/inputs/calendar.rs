//! Inputs of the calendar: a site's closures, appointments and what became of them, and the
//! supervision actions done.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Command;

use super::vocab::*;
use super::*;

/// Closes a scheduled site from `from` to `to` (both included): a local feast, a strike, works.
/// Public holidays need no record. Admins and supervisors.
#[derive(InputObject)]
pub struct CloseSiteInput {
    /// Site slug, scheduled.
    pub site_id: String,
    /// When the closure was decided: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// The first day closed (`yyyy-mm-dd`, Rome).
    pub from: NaiveDate,
    /// The last day closed, on or after `from`, at most a year later.
    pub to: NaiveDate,
    /// Why, in a few words that name nobody.
    pub reason: String,
}

impl CommandInput for CloseSiteInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            site_id,
            occurred_at,
            from,
            to,
            reason,
        } = self;
        Ok(domain::CloseSite {
            site_id: domain::SiteId::new(site_id),
            occurred_at,
            from,
            to,
            reason,
        }
        .into())
    }
}

/// Books a slot for a person of the site with a mediator: inside the site's opening hours, on a
/// day it is open, not already begun, not overlapping another appointment of the mediator.
#[derive(InputObject)]
pub struct BookAppointmentInput {
    /// New ULID for the appointment.
    pub appointment_id: ID,
    /// The person (ULID), of the site (another site's person is answered as unknown).
    pub person_id: ID,
    /// Site slug.
    pub site_id: String,
    /// When it was booked: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// The slot's start, not before the booking.
    pub starts_at: DateTime<Utc>,
    /// The slot's end, the same day, within one opening period.
    pub ends_at: DateTime<Utc>,
    /// The mediator who holds it (account id); the token's actor when left out.
    pub mediator: Option<String>,
    /// ISO 639 code of the language needed.
    pub language: String,
    /// How it was asked for.
    pub channel: IntakeChannel,
    /// The referring service (ULID), for `REFERRED_BY_SERVICE` only.
    pub referred_by: Option<ID>,
    /// Personal data: a free-text note. At most 4,000 characters.
    pub note: Option<String>,
}

impl CommandInput for BookAppointmentInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            appointment_id,
            person_id,
            site_id,
            occurred_at,
            starts_at,
            ends_at,
            mediator,
            language,
            channel,
            referred_by,
            note,
        } = self;
        Ok(domain::BookAppointment {
            appointment_id: id("appointmentId", &appointment_id)?,
            person_id: id("personId", &person_id)?,
            site_id: domain::SiteId::new(site_id),
            occurred_at,
            starts_at,
            ends_at,
            mediator: mediator.unwrap_or_default(),
            language,
            channel: channel.into(),
            referred_by: opt_id("referredBy", referred_by.as_ref())?,
            note: note.map(domain::PersonalNote),
        }
        .into())
    }

    fn default_actor(&mut self, actor: &str) {
        self.mediator.get_or_insert_with(|| actor.to_owned());
    }
}

/// Moves a booked appointment to another slot, with the same rules as a booking.
#[derive(InputObject)]
pub struct RescheduleAppointmentInput {
    /// The appointment (ULID), still booked.
    pub appointment_id: ID,
    /// When it was moved: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Another mediator to hold it; the same one when left out.
    pub mediator: Option<String>,
}

impl CommandInput for RescheduleAppointmentInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            appointment_id,
            occurred_at,
            starts_at,
            ends_at,
            mediator,
        } = self;
        Ok(domain::RescheduleAppointment {
            appointment_id: id("appointmentId", &appointment_id)?,
            occurred_at,
            starts_at,
            ends_at,
            mediator,
        }
        .into())
    }
}

/// Cancels a booked appointment.
#[derive(InputObject)]
pub struct CancelAppointmentInput {
    /// The appointment (ULID), still booked.
    pub appointment_id: ID,
    pub occurred_at: DateTime<Utc>,
    pub reason: CancellationReason,
}

impl CommandInput for CancelAppointmentInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            appointment_id,
            occurred_at,
            reason,
        } = self;
        Ok(domain::CancelAppointment {
            appointment_id: id("appointmentId", &appointment_id)?,
            occurred_at,
            reason: reason.into(),
        }
        .into())
    }
}

/// Records that the person came to a booked appointment (not before its start).
#[derive(InputObject)]
pub struct RecordAppointmentAttendedInput {
    pub appointment_id: ID,
    pub occurred_at: DateTime<Utc>,
}

impl CommandInput for RecordAppointmentAttendedInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            appointment_id,
            occurred_at,
        } = self;
        Ok(domain::RecordAppointmentAttended {
            appointment_id: id("appointmentId", &appointment_id)?,
            occurred_at,
        }
        .into())
    }
}

/// Records that the person did not come to a booked appointment (not before its start).
#[derive(InputObject)]
pub struct RecordNoShowInput {
    pub appointment_id: ID,
    pub occurred_at: DateTime<Utc>,
}

impl CommandInput for RecordNoShowInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            appointment_id,
            occurred_at,
        } = self;
        Ok(domain::RecordNoShow {
            appointment_id: id("appointmentId", &appointment_id)?,
            occurred_at,
        }
        .into())
    }
}

/// Records that an action of a supervision meeting was done (supervisors).
#[derive(InputObject)]
pub struct CompleteSupervisionActionInput {
    /// The meeting (ULID).
    pub meeting_id: ID,
    /// The action's index in the meeting's actions, from 0.
    pub action: u32,
    pub occurred_at: DateTime<Utc>,
}

impl CommandInput for CompleteSupervisionActionInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            meeting_id,
            action,
            occurred_at,
        } = self;
        Ok(domain::CompleteSupervisionAction {
            meeting_id: id("meetingId", &meeting_id)?,
            action,
            occurred_at,
        }
        .into())
    }
}

/// The mutations of this file's inputs (merged into `MutationRoot`).
#[derive(Default)]
pub struct CalendarMutations;

#[Object]
impl CalendarMutations {
    /// Closes a scheduled site from one day to another (a local feast, a strike, works); public
    /// holidays need no record. Admins and supervisors.
    async fn close_site(
        &self,
        ctx: &Context<'_>,
        input: CloseSiteInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Books an appointment for a person of the site with a mediator (the token's actor when
    /// left out), inside the site's opening hours on a day it is open. Refused naming the field:
    /// outside the hours, a closed day, a slot already begun, the mediator already booked then.
    async fn book_appointment(
        &self,
        ctx: &Context<'_>,
        input: BookAppointmentInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Moves a booked appointment to another slot (and perhaps another mediator).
    async fn reschedule_appointment(
        &self,
        ctx: &Context<'_>,
        input: RescheduleAppointmentInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Cancels a booked appointment: its slot is free again.
    async fn cancel_appointment(
        &self,
        ctx: &Context<'_>,
        input: CancelAppointmentInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records that the person came to their appointment.
    async fn record_appointment_attended(
        &self,
        ctx: &Context<'_>,
        input: RecordAppointmentAttendedInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records that the person did not come to their appointment (a no-show).
    async fn record_no_show(
        &self,
        ctx: &Context<'_>,
        input: RecordNoShowInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records that an action of a supervision meeting was done (supervisors): it leaves the
    /// owner's due list.
    async fn complete_supervision_action(
        &self,
        ctx: &Context<'_>,
        input: CompleteSupervisionActionInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }
}
