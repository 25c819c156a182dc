//! The desk's day: a site's and a mediator's agenda, and what is due (`CalendarQuery`).

use desk::projections::{AppointmentView, DueFilter, DueItem as DueRow};

use super::*;
use crate::inputs::vocab::{AppointmentStatus, IntakeChannel};

/// Longest look-ahead of the due list.
const MAX_WITHIN_DAYS: u32 = 366;

/// An appointment of an agenda. The person is named by id, as in every list.
#[derive(SimpleObject)]
pub struct Appointment {
    pub id: ID,
    /// The booking's event.
    pub event_id: ID,
    /// Journal position of the booking.
    pub position: u64,
    /// The person (the registration kept, when theirs was merged into another).
    pub person_id: ID,
    pub site: String,
    pub booked_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub mediator: String,
    /// ISO 639 code of the language needed.
    pub language: String,
    pub channel: IntakeChannel,
    pub referred_by_id: Option<ID>,
    pub status: AppointmentStatus,
    /// How many times it was moved.
    pub rescheduled: u32,
}

impl From<AppointmentView> for Appointment {
    fn from(v: AppointmentView) -> Self {
        Appointment {
            id: id(v.id),
            event_id: ID(v.event_id.to_string()),
            position: v.position.0,
            person_id: id(v.person),
            site: v.site.0,
            booked_at: v.booked_at,
            starts_at: v.starts_at,
            ends_at: v.ends_at,
            mediator: v.mediator,
            language: v.language,
            channel: v.channel.into(),
            referred_by_id: v.referred_by.map(id),
            status: v.status.into(),
            rescheduled: v.rescheduled,
        }
    }
}

/// What an item of the due list asks for, and what closes it.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "desk::projections::DueKind")]
pub enum DueKind {
    /// A booked appointment to hold, then to record as attended or missed (or to cancel).
    Appointment,
    /// A residence permit expires within 60 days (or has expired): closed by a new expiry or a
    /// pending renewal.
    PermitExpiring,
    /// A care plan's review day: closed by a new plan or the case closed.
    CarePlanReview,
    /// A referral's next outcome is not recorded, 30 days after the last fact (or the day after
    /// an appointment set): closed by an outcome.
    ReferralOutcome,
    /// A follow-up marked as needed by a mediation session: closed by the next session of the
    /// request, or its cancellation.
    FollowUp,
    /// An action of a supervision meeting: closed by `completeSupervisionAction`.
    SupervisionAction,
}

/// One thing to do: its kind, by when, whose, and the fact it comes from.
#[derive(SimpleObject)]
pub struct DueItem {
    pub kind: DueKind,
    pub due_on: NaiveDate,
    /// Who it falls to; `null` for a permit outside any case.
    pub owner: Option<String>,
    /// `null` for a supervision action (a meeting is about several sites).
    pub site: Option<String>,
    /// The event the item comes from.
    pub event_id: ID,
    pub person_id: Option<ID>,
    pub case_id: Option<ID>,
    pub referral_id: Option<ID>,
    pub mediation_id: Option<ID>,
    pub appointment_id: Option<ID>,
    pub meeting_id: Option<ID>,
    /// The action's index in the meeting's actions.
    pub action: Option<u32>,
}

impl From<DueRow> for DueItem {
    fn from(v: DueRow) -> Self {
        DueItem {
            kind: v.kind.into(),
            due_on: v.due_on,
            owner: v.owner,
            site: v.site.map(|s| s.0),
            event_id: ID(v.event_id.to_string()),
            person_id: v.person.map(id),
            case_id: v.case.map(id),
            referral_id: v.referral.map(id),
            mediation_id: v.mediation.map(id),
            appointment_id: v.appointment.map(id),
            meeting_id: v.meeting.map(id),
            action: v.action,
        }
    }
}

#[derive(Default)]
pub struct CalendarQuery;

/// The day `on` stands for: the one asked, else the day (in Rome) of `asOf.at`, else today.
fn day_of(ctx: &Context<'_>, on: Option<NaiveDate>, as_of: Option<AsOfInput>) -> Result<NaiveDate> {
    if let Some(on) = on {
        return Ok(on);
    }
    let now = match as_of.and_then(|a| a.at) {
        Some(at) => at,
        None => ctx.data::<Desk>()?.now(),
    };
    Ok(domain::calendar::rome_date(now))
}

fn within(days: u32) -> Result<u32> {
    if days > MAX_WITHIN_DAYS {
        return Err(error::bad_input(format!(
            "withinDays is at most {MAX_WITHIN_DAYS}"
        )));
    }
    Ok(days)
}

async fn agenda_of(
    ctx: &Context<'_>,
    as_of: Option<AsOfInput>,
    sites: Vec<Option<SiteId>>,
    date: NaiveDate,
    mediator: Option<String>,
) -> Result<Vec<Appointment>> {
    let rows = with_models(ctx, as_of, |m| {
        access::per_site(
            &sites,
            |site| m.agenda(site.as_ref(), date, mediator.as_deref()),
            |a| (a.starts_at, a.id),
        )
    })
    .await?;
    Ok(rows.into_iter().map(Appointment::from).collect())
}

async fn due_of(
    ctx: &Context<'_>,
    as_of: Option<AsOfInput>,
    sites: Vec<Option<SiteId>>,
    filter: DueFilter,
) -> Result<Vec<DueItem>> {
    let rows = with_models(ctx, as_of, |m| {
        access::per_site(
            &sites,
            |site| {
                m.due(&DueFilter {
                    site,
                    ..filter.clone()
                })
            },
            |i| (i.due_on, i.kind, i.event_id, i.action),
        )
    })
    .await?;
    Ok(rows.into_iter().map(DueItem::from).collect())
}

#[Object]
impl CalendarQuery {
    /// A site's appointments of a day (`date` in Rome), in time order, cancelled ones with their
    /// status. A mediator sees their own site only.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn agenda(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        #[graphql(desc = "Site slug; a mediator's own site when omitted.")] site: Option<String>,
        date: NaiveDate,
        #[graphql(desc = "Only this mediator's appointments.")] mediator: Option<String>,
    ) -> Result<Vec<Appointment>> {
        let site = opt(&site, |s| parse_site("site", s))?;
        let sites = access::scoped_sites(ctx, site)?;
        agenda_of(ctx, as_of, sites, date, mediator).await
    }

    /// The token's actor's own appointments of a day (`date` in Rome; today when omitted).
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn my_agenda(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        date: Option<NaiveDate>,
    ) -> Result<Vec<Appointment>> {
        let date = day_of(ctx, date, as_of)?;
        let sites = access::scoped_sites(ctx, None)?;
        let actor = access::principal(ctx)?.actor.id.clone();
        agenda_of(ctx, as_of, sites, date, Some(actor)).await
    }

    /// What is due at a site by `on` + `withinDays` (overdue items included), by due day:
    /// appointments to hold, permits expiring within 60 days, care-plan reviews, referral
    /// outcomes not recorded after 30 days, follow-ups marked as needed, supervision actions.
    /// Each item links to the fact it comes from and leaves the list when the fact that closes
    /// it is recorded. A mediator sees their own site only.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn due(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        #[graphql(desc = "Site slug; a mediator's own site, or every site, when omitted.")]
        site: Option<String>,
        #[graphql(desc = "The day to look from (Rome); today when omitted.")] on: Option<NaiveDate>,
        #[graphql(default = 1, desc = "How many days ahead of `on` (at most 366).")]
        within_days: u32,
    ) -> Result<Vec<DueItem>> {
        let site = opt(&site, |s| parse_site("site", s))?;
        let filter = DueFilter {
            on: day_of(ctx, on, as_of)?,
            within_days: within(within_days)?,
            site: None,
            owner: None,
        };
        due_of(ctx, as_of, access::scoped_sites(ctx, site)?, filter).await
    }

    /// `due` for the token's actor: the items that fall to them.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn my_due(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        #[graphql(desc = "The day to look from (Rome); today when omitted.")] on: Option<NaiveDate>,
        #[graphql(default = 1, desc = "How many days ahead of `on` (at most 366).")]
        within_days: u32,
    ) -> Result<Vec<DueItem>> {
        let filter = DueFilter {
            on: day_of(ctx, on, as_of)?,
            within_days: within(within_days)?,
            site: None,
            owner: Some(access::principal(ctx)?.actor.id.clone()),
        };
        due_of(ctx, as_of, access::scoped_sites(ctx, None)?, filter).await
    }
}
