//! Queries over the read models: persons, cases with their timelines, referrals, mediations, the
//! logbook, the service directory, supervision meetings and the monitoring figures.
//!
//! Conventions:
//! - Lists of case work that grow without bound (`cases`, `referrals`, mediation `requests` and
//!   `sessions`) are Relay connections in journal order; the cursor is the journal position of
//!   the row, so a page stays stable while new events arrive. `first` defaults to 50, at most 500.
//! - Lists bounded by what they are (the service directory) or by a required period (`logbook`,
//!   `supervisionMeetings`, at most 366 days) are plain lists.
//! - Personal data (name, birth date, contacts) is only on `person(id) { personal }`; lists and
//!   figures name persons by id.
//! - A malformed argument is answered with `extensions.code` `BAD_INPUT`; a lookup of an id the
//!   desk does not know answers `null`.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, NaiveDate, Utc};
use desk::Desk;
use domain::{CaseId, PersonId, ServiceId, SiteId};
use journal::Position;
use projections::{Period, ReadModels};
use ulid::Ulid;

use crate::access::{self, Allow};
use crate::error;
use crate::inputs::vocab::{
    CancellationReason, CaseOutcome, ClosureReason, ConsentScope, ContactKind, GroupActivityKind,
    MediationKind, MediationMode, NeedArea, PermitType, ReferralOutcome, RotationSlot, ServiceKind,
    SessionOutcome, Sex, SurveyItem, Urgency, VulnerabilityCategory, Weekday,
};
use crate::objects::EventNode;

/// Largest page of a connection.
const MAX_PAGE: usize = 500;
/// Page size when the client names none.
const DEFAULT_PAGE: usize = 50;
/// Longest period of a query that lists rows per day or per month.
const MAX_PERIOD_DAYS: i64 = 366;

// ---- arguments ------------------------------------------------------------------------------

fn parse_ulid(field: &str, id: &ID) -> Result<Ulid> {
    Ulid::from_string(id.as_str()).map_err(|_| {
        error::bad_input(format!(
            "{field} must be a ULID (26 characters), got {:?}",
            id.as_str()
        ))
    })
}

fn parse_site(field: &str, slug: &str) -> Result<SiteId> {
    let site = SiteId::new(slug);
    if !site.is_valid() {
        return Err(error::bad_input(format!(
            "{field} must be a site slug (a-z, 0-9 and -, like montelucci-4), got {slug:?}"
        )));
    }
    Ok(site)
}

fn parse_language(field: &str, code: &str) -> Result<String> {
    if !domain::is_language_code(code) {
        return Err(error::bad_input(format!(
            "{field} must be an ISO 639 code (2 or 3 lowercase letters, like uk), got {code:?}"
        )));
    }
    Ok(code.to_string())
}

fn opt<T>(value: &Option<String>, parse: impl Fn(&str) -> Result<T>) -> Result<Option<T>> {
    value.as_deref().map(parse).transpose()
}

fn opt_id<T: From<Ulid>>(field: &str, id: &Option<ID>) -> Result<Option<T>> {
    id.as_ref()
        .map(|id| parse_ulid(field, id).map(T::from))
        .transpose()
}

fn period(from: NaiveDate, to: NaiveDate) -> Result<Period> {
    Period::new(from, to).map_err(|e| error::bad_input(e.to_string()))
}

/// A filter's period: open at either end when that end is not given.
fn open_period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Option<Period>> {
    if from.is_none() && to.is_none() {
        return Ok(None);
    }
    period(from.unwrap_or(NaiveDate::MIN), to.unwrap_or(NaiveDate::MAX)).map(Some)
}

/// A required period of at most [`MAX_PERIOD_DAYS`].
fn bounded_period(from: NaiveDate, to: NaiveDate) -> Result<Period> {
    let p = period(from, to)?;
    let days = (p.to - p.from).num_days() + 1;
    if days > MAX_PERIOD_DAYS {
        return Err(error::bad_input(format!(
            "the period spans {days} days; ask for at most {MAX_PERIOD_DAYS}"
        )));
    }
    Ok(p)
}

/// `period: "2024-05"`, or `from` and `to`.
fn report_period(
    month: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Period> {
    match (month, from, to) {
        (Some(month), None, None) => {
            Period::parse_month(month).map_err(|e| error::bad_input(e.to_string()))
        }
        (None, Some(from), Some(to)) => period(from, to),
        _ => Err(error::bad_input(
            "give either period (a month, like \"2024-05\") or both from and to",
        )),
    }
}

fn id(ulid: impl std::fmt::Display) -> ID {
    ID(ulid.to_string())
}

fn ids<T: std::fmt::Display>(items: &[T]) -> Vec<ID> {
    items.iter().map(id).collect()
}

fn words<L: Copy, G: From<L>>(items: &[L]) -> Vec<G> {
    items.iter().map(|w| G::from(*w)).collect()
}

// ---- pages ----------------------------------------------------------------------------------

/// Extra fields of every connection.
#[derive(SimpleObject)]
pub struct TotalCount {
    /// How many rows match the filter (ignores the cursor and `first`).
    pub total_count: u64,
}

type Page<N> = Connection<u64, N, TotalCount, EmptyFields>;

pub(crate) struct PageArgs {
    pub(crate) first: usize,
    pub(crate) after: Option<u64>,
}

pub(crate) fn page_args(first: Option<i32>, after: Option<String>) -> Result<PageArgs> {
    let first = match first {
        None => DEFAULT_PAGE,
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| *n <= MAX_PAGE)
            .ok_or_else(|| error::bad_input(format!("first must be 0 to {MAX_PAGE}, got {n}")))?,
    };
    let after = after
        .map(|c| {
            c.parse::<u64>().map_err(|_| {
                error::bad_input(format!(
                    "after must be a cursor from a previous page, got {c:?}"
                ))
            })
        })
        .transpose()?;
    Ok(PageArgs { first, after })
}

/// One page of `items`, which are in ascending order of `position`.
fn page<N: async_graphql::OutputType>(
    items: Vec<N>,
    position: impl Fn(&N) -> u64,
    args: &PageArgs,
) -> Page<N> {
    let total = items.len();
    let skipped = args
        .after
        .map_or(0, |a| items.partition_point(|n| position(n) <= a));
    let has_next = total - skipped > args.first;
    let mut connection = Connection::with_additional_fields(
        skipped > 0,
        has_next,
        TotalCount {
            total_count: u64::try_from(total).unwrap_or(u64::MAX),
        },
    );
    connection.edges.extend(
        items
            .into_iter()
            .skip(skipped)
            .take(args.first)
            .map(|n| Edge::new(position(&n), n)),
    );
    connection
}

// ---- enums of the read models ---------------------------------------------------------------

/// Whether a case is open now.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "projections::CaseStatus")]
pub enum CaseStatus {
    Open,
    Closed,
}

/// Where a referral stands: its latest outcome, or `ISSUED` before any.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ReferralStatus {
    Issued,
    Accepted,
    AppointmentSet,
    ServiceReceived,
    Refused,
    NoShow,
    LostContact,
}

impl From<projections::ReferralStatus> for ReferralStatus {
    fn from(status: projections::ReferralStatus) -> Self {
        use domain::ReferralOutcome as O;
        match status {
            projections::ReferralStatus::Issued => ReferralStatus::Issued,
            projections::ReferralStatus::Outcome(o) => match o {
                O::Accepted => ReferralStatus::Accepted,
                O::AppointmentSet => ReferralStatus::AppointmentSet,
                O::ServiceReceived => ReferralStatus::ServiceReceived,
                O::Refused => ReferralStatus::Refused,
                O::NoShow => ReferralStatus::NoShow,
                O::LostContact => ReferralStatus::LostContact,
            },
        }
    }
}

impl From<ReferralStatus> for projections::ReferralStatus {
    fn from(status: ReferralStatus) -> Self {
        use domain::ReferralOutcome as O;
        use projections::ReferralStatus::{Issued, Outcome};
        match status {
            ReferralStatus::Issued => Issued,
            ReferralStatus::Accepted => Outcome(O::Accepted),
            ReferralStatus::AppointmentSet => Outcome(O::AppointmentSet),
            ReferralStatus::ServiceReceived => Outcome(O::ServiceReceived),
            ReferralStatus::Refused => Outcome(O::Refused),
            ReferralStatus::NoShow => Outcome(O::NoShow),
            ReferralStatus::LostContact => Outcome(O::LostContact),
        }
    }
}

/// What a contact was: an intake, an intervention of one of the four individual activities, or
/// a mediation session.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "projections::ContactActivity")]
pub enum ContactActivity {
    Intake,
    OrientationAccompaniment,
    IntegratedCaseSupport,
    ParentalSupport,
    LegalAdvice,
    Mediation,
}

/// Age bands, by age reached in the year the period ends (that year minus birth year).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "projections::AgeBand")]
pub enum AgeBand {
    #[graphql(name = "UNDER_18")]
    Under18,
    #[graphql(name = "FROM_18_TO_24")]
    From18To24,
    #[graphql(name = "FROM_25_TO_34")]
    From25To34,
    #[graphql(name = "FROM_35_TO_44")]
    From35To44,
    #[graphql(name = "FROM_45_TO_54")]
    From45To54,
    #[graphql(name = "FROM_55_TO_64")]
    From55To64,
    #[graphql(name = "FROM_65")]
    From65,
}

// ---- persons --------------------------------------------------------------------------------

/// A registered person: the fields statistics count by (corrections applied), and the personal
/// data apart.
#[derive(SimpleObject)]
pub struct Person {
    pub id: ID,
    /// The site that registered the person.
    pub site: String,
    pub registered_at: DateTime<Utc>,
    /// Journal position of the registration.
    pub position: u64,
    pub birth_year: i32,
    pub sex: Sex,
    /// ISO 3166-1 alpha-2 codes; the first is the one reports count by.
    pub citizenships: Vec<String>,
    pub country_of_birth: String,
    pub arrival_year: Option<i32>,
    pub permit_type: PermitType,
    pub permit_expires_on: Option<NaiveDate>,
    /// ISO 639 codes.
    pub languages: Vec<String>,
    pub household_size: u8,
    pub minor: bool,
    pub unaccompanied_minor: bool,
    /// Categories of the latest vulnerability assessment (empty if none or never assessed).
    pub vulnerabilities: Vec<VulnerabilityCategory>,
    /// Scopes currently consented.
    pub consents: Vec<ConsentScope>,
    /// Name, exact birth date and contacts: special-category data, shown only here. After an
    /// erasure the name reads `[erased]`, the birth date `null` and the contacts are empty.
    pub personal: PersonalData,
    /// The person's personal data was erased (`erasePerson`): only the statistics fields are
    /// left.
    pub erased: bool,
}

/// Name, exact birth date and contacts of a person.
#[derive(SimpleObject)]
pub struct PersonalData {
    pub full_name: String,
    pub birth_date: Option<NaiveDate>,
    pub contacts: Vec<PersonContact>,
}

/// One way to reach a person.
#[derive(SimpleObject)]
pub struct PersonContact {
    pub kind: ContactKind,
    pub value: String,
}

impl From<projections::PersonView> for Person {
    fn from(v: projections::PersonView) -> Self {
        Person {
            id: id(v.id),
            site: v.site.0,
            registered_at: v.registered_at,
            position: v.position.0,
            birth_year: v.birth_year,
            sex: v.sex.into(),
            citizenships: v.citizenships,
            country_of_birth: v.country_of_birth,
            arrival_year: v.arrival_year,
            permit_type: v.permit_type.into(),
            permit_expires_on: v.permit_expires_on,
            languages: v.languages,
            household_size: v.household_size,
            minor: v.minor,
            unaccompanied_minor: v.unaccompanied_minor,
            vulnerabilities: words(&v.vulnerabilities),
            consents: words(&v.consents),
            erased: v.personal.is_erased(),
            personal: PersonalData {
                full_name: v.personal.full_name,
                birth_date: v.personal.birth_date,
                contacts: v
                    .personal
                    .contacts
                    .into_iter()
                    .map(|c| PersonContact {
                        kind: c.kind.into(),
                        value: c.value,
                    })
                    .collect(),
            },
        }
    }
}

// ---- cases ----------------------------------------------------------------------------------

/// A case file (*cartella sociale*).
#[derive(SimpleObject, Clone)]
pub struct Case {
    pub id: ID,
    /// The person taken in charge (their data: `person(id)`).
    pub person_id: ID,
    pub site: String,
    pub case_worker: String,
    pub opened_at: DateTime<Utc>,
    /// Journal position of the opening; the cursor of `cases`.
    pub position: u64,
    pub status: CaseStatus,
    pub vulnerabilities: Vec<VulnerabilityCategory>,
    pub partner_service_ids: Vec<ID>,
    /// The latest care plan.
    pub care_plan: Option<CarePlan>,
    /// The latest closure (kept after a reopening).
    pub last_closure: Option<CaseClosure>,
    pub reopen_count: u32,
    /// Every event touching the case, in journal order: the intake before it, its own events,
    /// interventions, referrals and their outcomes, mediations, supervision meetings that
    /// discussed it, corrections.
    pub timeline: Vec<TimelineEntry>,
}

#[derive(SimpleObject, Clone)]
pub struct CarePlan {
    pub agreed_at: DateTime<Utc>,
    pub needs: Vec<NeedArea>,
    pub review_on: Option<NaiveDate>,
}

#[derive(SimpleObject, Clone)]
pub struct CaseClosure {
    pub closed_at: DateTime<Utc>,
    pub reason: ClosureReason,
    pub outcome: CaseOutcome,
}

/// One event in a case's timeline.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct TimelineEntry {
    pub position: u64,
    pub event_id: ID,
    /// The event type (`CaseOpened`).
    #[graphql(name = "type")]
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
}

#[ComplexObject]
impl TimelineEntry {
    /// The event itself, read from the journal.
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<EventNode>> {
        let desk = ctx.data::<Desk>()?;
        Ok(desk
            .journal()
            .get(Position(self.position))
            .map_err(error::from_journal)?
            .map(EventNode::new))
    }
}

impl From<projections::CaseView> for Case {
    fn from(v: projections::CaseView) -> Self {
        Case {
            id: id(v.id),
            person_id: id(v.person),
            site: v.site.0,
            case_worker: v.case_worker,
            opened_at: v.opened_at,
            position: v.position.0,
            status: v.status.into(),
            vulnerabilities: words(&v.vulnerabilities),
            partner_service_ids: ids(&v.partner_services),
            care_plan: v.plan_agreed_at.map(|agreed_at| CarePlan {
                agreed_at,
                needs: words(&v.plan_needs),
                review_on: v.plan_review_on,
            }),
            last_closure: match (v.closed_at, v.closure_reason, v.closure_outcome) {
                (Some(closed_at), Some(reason), Some(outcome)) => Some(CaseClosure {
                    closed_at,
                    reason: reason.into(),
                    outcome: outcome.into(),
                }),
                _ => None,
            },
            reopen_count: v.reopen_count,
            timeline: v
                .timeline
                .into_iter()
                .map(|t| TimelineEntry {
                    position: t.position.0,
                    event_id: id(t.event_id),
                    event_type: t.event_type.to_string(),
                    occurred_at: t.occurred_at,
                })
                .collect(),
        }
    }
}

/// Which cases to list; every field given must match.
#[derive(InputObject, Default)]
pub struct CaseFilter {
    /// Site slug (`montelucci-4`).
    pub site: Option<String>,
    pub status: Option<CaseStatus>,
    pub case_worker: Option<String>,
    pub person_id: Option<ID>,
    /// Opened on or after this day (UTC).
    pub opened_from: Option<NaiveDate>,
    /// Opened on or before this day (UTC).
    pub opened_to: Option<NaiveDate>,
}

impl CaseFilter {
    fn parse(&self) -> Result<projections::CaseFilter> {
        Ok(projections::CaseFilter {
            site: opt(&self.site, |s| parse_site("site", s))?,
            status: self.status.map(Into::into),
            operator: self.case_worker.clone(),
            person: opt_id::<PersonId>("personId", &self.person_id)?,
            opened_in: open_period(self.opened_from, self.opened_to)?,
        })
    }
}

// ---- referrals ------------------------------------------------------------------------------

/// A referral (*invio*) of a person to a territorial service, followed to its outcomes.
#[derive(SimpleObject, Clone)]
pub struct Referral {
    pub id: ID,
    pub person_id: ID,
    pub case_id: Option<ID>,
    pub site: String,
    /// The target service.
    pub service_id: ID,
    /// The target service's name in the directory.
    pub service_name: Option<String>,
    pub reason: NeedArea,
    pub urgency: Urgency,
    pub issued_at: DateTime<Utc>,
    /// Journal position of the issue; the cursor of `referrals`.
    pub position: u64,
    /// The latest outcome, or `ISSUED` before any.
    pub status: ReferralStatus,
    /// Every outcome recorded, in order.
    pub outcomes: Vec<ReferralOutcomeEntry>,
    /// UTC days from issue to the first outcome recorded.
    pub days_to_first_outcome: Option<i64>,
    /// The first final outcome (service received, refused, lost contact).
    pub final_outcome: Option<ReferralOutcome>,
    /// UTC days from issue to the final outcome.
    pub days_to_final_outcome: Option<i64>,
}

#[derive(SimpleObject, Clone)]
pub struct ReferralOutcomeEntry {
    pub outcome: ReferralOutcome,
    pub occurred_at: DateTime<Utc>,
    pub appointment_on: Option<NaiveDate>,
    pub position: u64,
}

fn service_name(models: &ReadModels, service: ServiceId) -> Option<String> {
    models.service(service).map(|s| s.description.name)
}

impl Referral {
    fn new(v: projections::ReferralView, models: &ReadModels) -> Self {
        Referral {
            id: id(v.id),
            person_id: id(v.person),
            case_id: v.case.map(id),
            site: v.site.0,
            service_id: id(v.service),
            service_name: service_name(models, v.service),
            reason: v.reason.into(),
            urgency: v.urgency.into(),
            issued_at: v.issued_at,
            position: v.position.0,
            status: v.status.into(),
            outcomes: v
                .outcomes
                .into_iter()
                .map(|o| ReferralOutcomeEntry {
                    outcome: o.outcome.into(),
                    occurred_at: o.occurred_at,
                    appointment_on: o.appointment_on,
                    position: o.position.0,
                })
                .collect(),
            days_to_first_outcome: v.days_to_first_outcome,
            final_outcome: v.final_outcome.map(Into::into),
            days_to_final_outcome: v.days_to_final_outcome,
        }
    }
}

/// Which referrals to list; every field given must match.
#[derive(InputObject, Default)]
pub struct ReferralFilter {
    /// Site slug.
    pub site: Option<String>,
    /// Where the referral stands now (its latest outcome, or `ISSUED`).
    pub status: Option<ReferralStatus>,
    /// The target service.
    pub service_id: Option<ID>,
    pub person_id: Option<ID>,
    /// Issued on or after this day (UTC).
    pub issued_from: Option<NaiveDate>,
    /// Issued on or before this day (UTC).
    pub issued_to: Option<NaiveDate>,
}

impl ReferralFilter {
    fn parse(&self) -> Result<projections::ReferralFilter> {
        Ok(projections::ReferralFilter {
            site: opt(&self.site, |s| parse_site("site", s))?,
            status: self.status.map(Into::into),
            service: opt_id::<ServiceId>("serviceId", &self.service_id)?,
            person: opt_id::<PersonId>("personId", &self.person_id)?,
            issued_in: open_period(self.issued_from, self.issued_to)?,
        })
    }
}

// ---- mediations -----------------------------------------------------------------------------

/// A request for mediation, on call or scheduled.
#[derive(SimpleObject, Clone)]
pub struct MediationRequest {
    pub id: ID,
    pub site: String,
    pub requested_at: DateTime<Utc>,
    /// Journal position of the request; the cursor of `requests`.
    pub position: u64,
    /// On call or scheduled.
    pub mode: MediationMode,
    /// The service that asked; `null` when the desk itself asked.
    pub requesting_service_id: Option<ID>,
    pub person_id: Option<ID>,
    pub case_id: Option<ID>,
    /// The language asked for (ISO 639).
    pub language: String,
    pub slot_start: Option<DateTime<Utc>>,
    pub slot_end: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancellation_reason: Option<CancellationReason>,
    pub session_count: u32,
    /// Whole minutes of its sessions.
    pub duration_minutes: u64,
}

impl From<projections::MediationRequestView> for MediationRequest {
    fn from(v: projections::MediationRequestView) -> Self {
        MediationRequest {
            id: id(v.id),
            site: v.site.0,
            requested_at: v.requested_at,
            position: v.position.0,
            mode: v.mode.into(),
            requesting_service_id: v.requesting_service.map(id),
            person_id: v.person.map(id),
            case_id: v.case.map(id),
            language: v.language,
            slot_start: v.slot_start,
            slot_end: v.slot_end,
            cancelled_at: v.cancelled_at,
            cancellation_reason: v.cancellation_reason.map(Into::into),
            session_count: v.session_count,
            duration_minutes: v.duration_minutes,
        }
    }
}

/// A mediation session held.
#[derive(SimpleObject, Clone)]
pub struct MediationSession {
    /// The request the session serves.
    pub mediation_id: ID,
    pub site: String,
    pub person_id: Option<ID>,
    pub case_id: Option<ID>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// Whole minutes from start to end.
    pub duration_minutes: u64,
    /// Journal position of the session; the cursor of `sessions`.
    pub position: u64,
    pub mediator: String,
    pub language_from: String,
    pub language_to: String,
    /// The request's mode (on call or scheduled).
    pub mode: Option<MediationMode>,
    /// The request's requesting service.
    pub requesting_service_id: Option<ID>,
    /// The request's language.
    pub language: Option<String>,
    pub kind: MediationKind,
    pub outcome: SessionOutcome,
    pub follow_up_needed: bool,
}

impl From<projections::MediationSessionView> for MediationSession {
    fn from(v: projections::MediationSessionView) -> Self {
        MediationSession {
            mediation_id: id(v.mediation),
            site: v.site.0,
            person_id: v.person.map(id),
            case_id: v.case.map(id),
            started_at: v.started_at,
            ended_at: v.ended_at,
            duration_minutes: v.duration_minutes,
            position: v.position.0,
            mediator: v.mediator,
            language_from: v.language_from,
            language_to: v.language_to,
            mode: v.mode.map(Into::into),
            requesting_service_id: v.requesting_service.map(id),
            language: v.language,
            kind: v.kind.into(),
            outcome: v.outcome.into(),
            follow_up_needed: v.follow_up_needed,
        }
    }
}

/// Which mediations to list; every field given must match. The period is on the request time
/// for requests and on the start for sessions.
#[derive(InputObject, Default)]
pub struct MediationFilter {
    /// Site slug.
    pub site: Option<String>,
    /// ISO 639 code: the request's language (for sessions also either language of the pair).
    pub language: Option<String>,
    /// On call or scheduled.
    pub mode: Option<MediationMode>,
    pub requesting_service_id: Option<ID>,
    /// Only requests whose sessions include one by this mediator; only sessions held by them.
    pub mediator: Option<String>,
    /// On or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// On or before this day (UTC).
    pub to: Option<NaiveDate>,
}

impl MediationFilter {
    fn parse(&self) -> Result<projections::MediationFilter> {
        Ok(projections::MediationFilter {
            site: opt(&self.site, |s| parse_site("site", s))?,
            language: opt(&self.language, |l| parse_language("language", l))?,
            mode: self.mode.map(Into::into),
            requesting_service: opt_id::<ServiceId>(
                "requestingServiceId",
                &self.requesting_service_id,
            )?,
            period: open_period(self.from, self.to)?,
            mediator: self.mediator.clone(),
        })
    }
}

/// Mediation requests and sessions matching a filter.
pub struct Mediations {
    requests: Vec<MediationRequest>,
    sessions: Vec<MediationSession>,
}

#[Object]
impl Mediations {
    /// Requests, in request order.
    async fn requests(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<MediationRequest>> {
        let args = page_args(first, after)?;
        Ok(page(self.requests.clone(), |r| r.position, &args))
    }

    /// Sessions, in journal order.
    async fn sessions(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<MediationSession>> {
        let args = page_args(first, after)?;
        Ok(page(self.sessions.clone(), |s| s.position, &args))
    }

    /// Whole minutes of all the matching sessions.
    async fn session_minutes(&self) -> u64 {
        self.sessions.iter().map(|s| s.duration_minutes).sum()
    }
}

// ---- logbook --------------------------------------------------------------------------------

/// A mediator's logbook entry (*diario di bordo*) for one opening day of a site.
#[derive(SimpleObject)]
pub struct LogbookEntry {
    pub site: String,
    /// The day the entry is about.
    pub date: NaiveDate,
    pub written_at: DateTime<Utc>,
    pub position: u64,
    pub mediator: String,
    pub slot: RotationSlot,
    pub contacts: u32,
    pub languages: Vec<String>,
    pub emerging_needs: Vec<NeedArea>,
}

/// One site's opening days in a period, and those without a logbook entry.
#[derive(SimpleObject)]
pub struct LogbookCoverage {
    pub site: String,
    /// Days the site was open in the period (by its schedule).
    pub opening_days: u32,
    /// Opening days with an entry.
    pub days_with_entry: u32,
    /// Opening days without an entry.
    pub missing_days: Vec<NaiveDate>,
}

impl From<projections::MissingLogbookDays> for LogbookCoverage {
    fn from(m: projections::MissingLogbookDays) -> Self {
        LogbookCoverage {
            site: m.site.0,
            opening_days: m.opening_days,
            days_with_entry: m.entries,
            missing_days: m.missing,
        }
    }
}

/// The logbook over a period.
#[derive(SimpleObject)]
pub struct Logbook {
    /// Entries, by site then date.
    pub entries: Vec<LogbookEntry>,
    /// Per site of the schedule (or the one asked for): opening days without an entry, by
    /// anyone (the `mediator` argument filters `entries` only).
    pub coverage: Vec<LogbookCoverage>,
    pub every_opening_day_has_entry: bool,
}

// ---- services -------------------------------------------------------------------------------

/// A territorial service in the directory.
#[derive(SimpleObject)]
pub struct Service {
    pub id: ID,
    pub name: String,
    pub kind: ServiceKind,
    pub address: String,
    pub opening_hours: String,
    /// ISO 639 codes the service works in.
    pub languages: Vec<String>,
    pub access_rules: String,
    /// What it offers to Ukrainian-crisis (temporary protection) beneficiaries; `null` if nothing.
    pub ukraine_capacity: Option<UkraineCapacity>,
    pub verified_on: NaiveDate,
    pub mapped_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
    pub retired_reason: Option<String>,
}

#[derive(SimpleObject)]
pub struct UkraineCapacity {
    pub reception_places: u32,
    pub health: bool,
    pub school_access: bool,
}

impl From<projections::ServiceView> for Service {
    fn from(v: projections::ServiceView) -> Self {
        let d = v.description;
        Service {
            id: id(v.id),
            name: d.name,
            kind: d.kind.into(),
            address: d.address,
            opening_hours: d.opening_hours,
            languages: d.languages,
            access_rules: d.access_rules,
            ukraine_capacity: d.ukraine_capacity.map(|c| UkraineCapacity {
                reception_places: c.reception_places,
                health: c.health,
                school_access: c.school_access,
            }),
            verified_on: d.verified_on,
            mapped_at: v.mapped_at,
            updated_at: v.updated_at,
            retired_at: v.retired_at,
            retired_reason: v.retired_reason,
        }
    }
}

/// Which services to list; every field given must match.
#[derive(InputObject, Default)]
pub struct ServiceFilter {
    pub kind: Option<ServiceKind>,
    /// ISO 639 code the service works in.
    pub language: Option<String>,
    /// `true`: only services with a Ukrainian-crisis capacity; `false`: only without.
    pub ukraine_capacity: Option<bool>,
    /// Also list retired services.
    #[graphql(default)]
    pub include_retired: bool,
}

impl ServiceFilter {
    fn parse(&self) -> Result<projections::ServiceFilter> {
        Ok(projections::ServiceFilter {
            kind: self.kind.map(Into::into),
            language: opt(&self.language, |l| parse_language("language", l))?,
            ukraine_capacity: self.ukraine_capacity,
            retired: (!self.include_retired).then_some(false),
        })
    }
}

// ---- sites ----------------------------------------------------------------------------------

/// A site (*sportello*) of the desk and the weekdays it opens.
#[derive(SimpleObject)]
pub struct Site {
    /// Site slug.
    pub site_id: String,
    /// The name an admin gave it (`null` for the site the service page describes, until an admin
    /// schedules it).
    pub name: Option<String>,
    pub opening_days: Vec<Weekday>,
}

fn weekday(day: chrono::Weekday) -> Weekday {
    match day {
        chrono::Weekday::Mon => Weekday::Monday,
        chrono::Weekday::Tue => Weekday::Tuesday,
        chrono::Weekday::Wed => Weekday::Wednesday,
        chrono::Weekday::Thu => Weekday::Thursday,
        chrono::Weekday::Fri => Weekday::Friday,
        chrono::Weekday::Sat => Weekday::Saturday,
        chrono::Weekday::Sun => Weekday::Sunday,
    }
}

// ---- supervision ----------------------------------------------------------------------------

/// A supervision meeting held.
#[derive(SimpleObject)]
pub struct SupervisionMeeting {
    pub id: ID,
    pub occurred_at: DateTime<Utc>,
    pub position: u64,
    pub duration_minutes: u32,
    pub supervisor: String,
    pub attendees: Vec<String>,
    pub sites: Vec<String>,
    pub themes: Vec<String>,
    pub cases_discussed: Vec<ID>,
}

/// The meetings held in one month (within the period asked for).
#[derive(SimpleObject)]
pub struct MonthMeetings {
    /// `yyyy-mm`.
    pub month: String,
    pub meetings: u32,
    pub has_meeting: bool,
}

impl From<projections::MonthMeetings> for MonthMeetings {
    fn from(m: projections::MonthMeetings) -> Self {
        MonthMeetings {
            month: m.month.to_string(),
            meetings: m.meetings,
            has_meeting: m.has_meeting(),
        }
    }
}

/// Supervision over a period.
#[derive(SimpleObject)]
pub struct Supervision {
    /// Meetings held in the period, in time order.
    pub meetings: Vec<SupervisionMeeting>,
    /// Every month the period touches, with the meetings held in it.
    pub months: Vec<MonthMeetings>,
    pub every_month_has_meeting: bool,
}

// ---- monitoring -----------------------------------------------------------------------------

/// A count under a key.
#[derive(SimpleObject)]
#[graphql(concrete(name = "CountByText", params(String)))]
#[graphql(concrete(name = "CountBySex", params(Sex)))]
#[graphql(concrete(name = "CountByAgeBand", params(AgeBand)))]
#[graphql(concrete(name = "CountByPermitType", params(PermitType)))]
#[graphql(concrete(name = "CountByVulnerability", params(VulnerabilityCategory)))]
#[graphql(concrete(name = "CountByClosureReason", params(ClosureReason)))]
pub struct Count<K: async_graphql::OutputType> {
    pub key: K,
    pub count: u32,
}

fn counts<L, K: async_graphql::OutputType + From<L>>(
    items: Vec<projections::Count<L>>,
) -> Vec<Count<K>> {
    items
        .into_iter()
        .map(|c| Count {
            key: c.key.into(),
            count: c.count,
        })
        .collect()
}

/// Contacts of one activity, at one site or over all sites (`site: null`).
#[derive(SimpleObject)]
pub struct ContactFigure {
    pub activity: ContactActivity,
    /// `null`: all sites.
    pub site: Option<String>,
    pub contacts: u32,
    /// Distinct persons among those contacts (sessions without a person add none).
    pub distinct_persons: u32,
}

/// Beneficiaries: distinct persons with at least one contact in the period (at the site, when
/// one is given); their profile as the fold knows it, corrections included.
#[derive(SimpleObject)]
pub struct Beneficiaries {
    /// Distinct persons with a contact in the period.
    pub total: u32,
    /// Beneficiaries not registered before the period started.
    pub new: u32,
    /// Beneficiaries registered before the period started.
    pub returning: u32,
    /// By first citizenship listed (the one the commissioner's formats ask for).
    pub by_citizenship: Vec<Count<String>>,
    pub by_sex: Vec<Count<Sex>>,
    /// Age reached in the year the period ends.
    pub by_age_band: Vec<Count<AgeBand>>,
    pub by_permit_type: Vec<Count<PermitType>>,
    /// By category of the latest assessment; a person counts under each category they have.
    pub by_vulnerability: Vec<Count<VulnerabilityCategory>>,
    /// Beneficiaries whose latest assessment found none, or who were never assessed.
    pub without_vulnerability: u32,
}

/// Mediation under one key: requests made and sessions held in the period, with their minutes.
#[derive(SimpleObject)]
#[graphql(concrete(name = "MediationByLanguage", params(String)))]
#[graphql(concrete(name = "MediationByMode", params(MediationMode)))]
pub struct MediationFigure<K: async_graphql::OutputType> {
    pub key: K,
    pub requests: u32,
    pub sessions: u32,
    /// Whole minutes from start to end, summed over the sessions.
    pub minutes: u64,
    /// `minutes / 60`.
    pub hours: f64,
}

/// Mediation for one requesting service (`serviceId: null`: the desk itself asked).
#[derive(SimpleObject)]
pub struct MediationByRequestingService {
    pub service_id: Option<ID>,
    pub requests: u32,
    pub sessions: u32,
    /// Whole minutes from start to end, summed over the sessions.
    pub minutes: u64,
    /// `minutes / 60`.
    pub hours: f64,
}

fn mediation_figures<L, K: async_graphql::OutputType + From<L>>(
    items: Vec<projections::MediationFigure<L>>,
) -> Vec<MediationFigure<K>> {
    items
        .into_iter()
        .map(|f| MediationFigure {
            key: f.key.into(),
            requests: f.requests,
            sessions: f.sessions,
            minutes: f.minutes,
            hours: f.hours,
        })
        .collect()
}

/// Mediation in the period. Requests are counted by request time, sessions by start time; a
/// session is keyed by its request's language, mode and requesting service.
#[derive(SimpleObject)]
pub struct MediationFigures {
    pub requests: u32,
    /// Requests made in the period that were cancelled (by now).
    pub cancelled: u32,
    pub sessions: u32,
    pub minutes: u64,
    pub hours: f64,
    /// By the language the request asked for.
    pub by_language: Vec<MediationFigure<String>>,
    /// On call versus scheduled.
    pub by_mode: Vec<MediationFigure<MediationMode>>,
    pub by_requesting_service: Vec<MediationByRequestingService>,
}

/// The referrals issued in the period to one service, followed to their outcomes as the fold
/// knows them (a cohort: outcomes after the period count).
#[derive(SimpleObject)]
pub struct FunnelFigure {
    pub service_id: ID,
    pub service_name: Option<String>,
    pub issued: u32,
    /// With an outcome `accepted`, `appointment_set` or `service_received`.
    pub accepted: u32,
    /// With a final outcome (`service_received`, `refused`, `lost_contact`).
    pub concluded: u32,
    /// Of those concluded, with `service_received`.
    pub service_received: u32,
    /// Median UTC days from issue to first outcome, over referrals with one.
    pub median_days_to_first_outcome: Option<f64>,
    /// Median UTC days from issue to final outcome, over concluded referrals.
    pub median_days_to_conclusion: Option<f64>,
}

/// Days from request to first contact.
#[derive(SimpleObject)]
pub struct AccessTimes {
    /// Intakes in the period.
    pub intakes: u32,
    /// Of those, followed by an intervention for the same person (at or after the intake).
    pub intakes_with_intervention: u32,
    /// Median UTC days from an intake to the first intervention at or after it.
    pub median_days_intake_to_intervention: Option<f64>,
    /// Mediation requests in the period.
    pub mediation_requests: u32,
    /// Of those, with at least one session.
    pub mediation_requests_served: u32,
    /// Median UTC days from a mediation request to its first session.
    pub median_days_request_to_session: Option<f64>,
}

/// Cases open at the end of the period held by one operator.
#[derive(SimpleObject)]
pub struct CaseloadFigure {
    pub operator: String,
    pub open_cases: u32,
}

#[derive(SimpleObject)]
pub struct SurveyItemFigure {
    pub item: SurveyItem,
    /// Surveys in the period that scored this item.
    pub answers: u32,
    pub mean: Option<f64>,
    /// Share (0 to 1) of those answers scoring 4 or 5.
    pub share_4_or_5: Option<f64>,
}

#[derive(SimpleObject)]
pub struct Satisfaction {
    /// Surveys completed in the period.
    pub responses: u32,
    /// Responses divided by beneficiaries in the period (the desk records no "survey offered"
    /// fact, so persons served stand for the surveys that could have been answered).
    pub response_rate: Option<f64>,
    /// Share (0 to 1) of responses saying "helpful for integration".
    pub helpful_share: Option<f64>,
    pub items: Vec<SurveyItemFigure>,
}

#[derive(SimpleObject)]
pub struct Compliance {
    /// Every month the period touches, with the meetings held in it.
    pub months: Vec<MonthMeetings>,
    pub every_month_has_meeting: bool,
    /// Per site of the schedule: opening days in the period without a logbook entry.
    pub logbook: Vec<LogbookCoverage>,
    pub every_opening_day_has_entry: bool,
}

#[derive(SimpleObject)]
pub struct TemporaryProtection {
    /// Beneficiaries in the period holding temporary protection.
    pub beneficiaries: u32,
    /// Persons registered by the end of the period holding temporary protection.
    pub registered: u32,
    /// Services in the directory, not retired, with a Ukrainian-crisis capacity.
    pub services_with_capacity: u32,
    /// Reception places of those services.
    pub reception_places: u64,
    /// Of those services, offering health care.
    pub services_with_health: u32,
    /// Of those services, offering school access.
    pub services_with_school_access: u32,
}

/// Group activities of one kind held in the period.
#[derive(SimpleObject)]
pub struct GroupFigure {
    pub kind: GroupActivityKind,
    pub activities: u32,
    pub attendees_third_country: u32,
    pub attendees_other: u32,
    pub minutes: u64,
}

/// Every monitoring figure for a period (and a site), as of `asOfPosition`.
///
/// - *In the period*: the UTC date of the event's time (a session's start) is within the period.
/// - *Contact*: one individual meeting of the desk with a person, of one of three kinds of
///   event: an intake (`IntakeRecorded`, activity `INTAKE`), an intervention
///   (`InterventionDelivered`, counted under its activity) or a mediation session
///   (`MediationSessionHeld`, `MEDIATION`; counted even without a person). Group activities are
///   counted apart, by attendees, since they name no person.
/// - *Beneficiary*: a distinct person with at least one contact in the period (at the site, when
///   one is given). Their profile is as the fold knows it, corrections included.
/// - With a site, every figure keeps only events at that site; supervision meetings count when
///   they name the site; the directory (capacity) is territorial and ignores the site.
#[derive(SimpleObject)]
pub struct MonitoringReport {
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period (included).
    pub to: NaiveDate,
    /// The site asked for; `null`: all sites.
    pub site: Option<String>,
    /// The journal position the figures were folded up to.
    pub as_of_position: u64,
    /// Per activity and site, then per activity over all sites (`site: null`).
    pub contacts: Vec<ContactFigure>,
    /// All contacts in the period.
    pub total_contacts: u32,
    pub beneficiaries: Beneficiaries,
    pub mediation: MediationFigures,
    /// Per target service.
    pub referral_funnel: Vec<FunnelFigure>,
    pub access: AccessTimes,
    /// Cases open at the end of the period (opened at the site, when a site is given), per
    /// operator.
    pub open_caseload: Vec<CaseloadFigure>,
    /// Cases open at the end of the period (opened at the site, when a site is given).
    pub open_cases: u32,
    /// Cases closed in the period, by reason of that closure.
    pub closure_reasons: Vec<Count<ClosureReason>>,
    pub satisfaction: Satisfaction,
    pub compliance: Compliance,
    pub temporary_protection: TemporaryProtection,
    pub group_activities: Vec<GroupFigure>,
}

impl From<projections::MonitoringReport> for MonitoringReport {
    fn from(r: projections::MonitoringReport) -> Self {
        let b = r.beneficiaries;
        let m = r.mediation;
        let s = r.satisfaction;
        let c = r.compliance;
        let tp = r.temporary_protection;
        MonitoringReport {
            from: r.period.from,
            to: r.period.to,
            site: r.site.map(|s| s.0),
            as_of_position: r.as_of.0,
            contacts: r
                .contacts
                .into_iter()
                .map(|f| ContactFigure {
                    activity: f.activity.into(),
                    site: f.site.map(|s| s.0),
                    contacts: f.contacts,
                    distinct_persons: f.distinct_persons,
                })
                .collect(),
            total_contacts: r.total_contacts,
            beneficiaries: Beneficiaries {
                total: b.total,
                new: b.new,
                returning: b.returning,
                by_citizenship: counts(b.by_citizenship),
                by_sex: counts(b.by_sex),
                by_age_band: counts(b.by_age_band),
                by_permit_type: counts(b.by_permit_type),
                by_vulnerability: counts(b.by_vulnerability),
                without_vulnerability: b.without_vulnerability,
            },
            mediation: MediationFigures {
                requests: m.requests,
                cancelled: m.cancelled,
                sessions: m.sessions,
                minutes: m.minutes,
                hours: m.hours,
                by_language: mediation_figures(m.by_language),
                by_mode: mediation_figures(m.by_mode),
                by_requesting_service: m
                    .by_requesting_service
                    .into_iter()
                    .map(|f| MediationByRequestingService {
                        service_id: f.key.map(id),
                        requests: f.requests,
                        sessions: f.sessions,
                        minutes: f.minutes,
                        hours: f.hours,
                    })
                    .collect(),
            },
            referral_funnel: r
                .referral_funnel
                .into_iter()
                .map(|f| FunnelFigure {
                    service_id: id(f.service),
                    service_name: f.service_name,
                    issued: f.issued,
                    accepted: f.accepted,
                    concluded: f.concluded,
                    service_received: f.service_received,
                    median_days_to_first_outcome: f.median_days_to_first_outcome,
                    median_days_to_conclusion: f.median_days_to_conclusion,
                })
                .collect(),
            access: AccessTimes {
                intakes: r.access.intakes,
                intakes_with_intervention: r.access.intakes_with_intervention,
                median_days_intake_to_intervention: r.access.median_days_intake_to_intervention,
                mediation_requests: r.access.mediation_requests,
                mediation_requests_served: r.access.mediation_requests_served,
                median_days_request_to_session: r.access.median_days_request_to_session,
            },
            open_caseload: r
                .open_caseload
                .into_iter()
                .map(|c| CaseloadFigure {
                    operator: c.operator,
                    open_cases: c.open_cases,
                })
                .collect(),
            open_cases: r.open_cases,
            closure_reasons: counts(r.closure_reasons),
            satisfaction: Satisfaction {
                responses: s.responses,
                response_rate: s.response_rate,
                helpful_share: s.helpful_share,
                items: s
                    .items
                    .into_iter()
                    .map(|i| SurveyItemFigure {
                        item: i.item.into(),
                        answers: i.answers,
                        mean: i.mean,
                        share_4_or_5: i.share_4_or_5,
                    })
                    .collect(),
            },
            compliance: Compliance {
                months: c.months.into_iter().map(Into::into).collect(),
                every_month_has_meeting: c.every_month_has_meeting,
                logbook: c.logbook.into_iter().map(Into::into).collect(),
                every_opening_day_has_entry: c.every_opening_day_has_entry,
            },
            temporary_protection: TemporaryProtection {
                beneficiaries: tp.beneficiaries,
                registered: tp.registered,
                services_with_capacity: tp.services_with_capacity,
                reception_places: tp.reception_places,
                services_with_health: tp.services_with_health,
                services_with_school_access: tp.services_with_school_access,
            },
            group_activities: r
                .group_activities
                .into_iter()
                .map(|g| GroupFigure {
                    kind: g.kind.into(),
                    activities: g.activities,
                    attendees_third_country: g.attendees_third_country,
                    attendees_other: g.attendees_other,
                    minutes: g.minutes,
                })
                .collect(),
        }
    }
}

// ---- the queries ----------------------------------------------------------------------------

/// A past moment to answer as of: exactly one of `at` (what had been recorded by then) and
/// `position` (the journal up to that position). Later events, corrections included, do not
/// change such an answer.
#[derive(InputObject, Clone, Copy)]
pub struct AsOfInput {
    /// An instant of recording: the answer holds what had been recorded by then, whenever it
    /// happened (`period`, `from` and `to` select by when things happened).
    pub at: Option<DateTime<Utc>>,
    /// A journal position: the answer holds the events up to it.
    pub position: Option<u64>,
}

impl AsOfInput {
    fn parse(self) -> Result<desk::AsOf> {
        match (self.at, self.position) {
            (Some(at), None) => Ok(desk::AsOf::Time(at)),
            (None, Some(position)) => Ok(desk::AsOf::Position(journal::Position(position))),
            _ => Err(crate::error::bad_input(
                "asOf takes exactly one of `at` (a date-time) and `position`",
            )),
        }
    }
}

/// The names of the fields selected under the current field (`fullName`, `personal.contacts`).
fn selected_fields(ctx: &Context<'_>) -> Vec<String> {
    fn walk(prefix: &str, set: async_graphql::SelectionField<'_>, out: &mut Vec<String>) {
        for field in set.selection_set() {
            let name = if prefix.is_empty() {
                field.name().to_string()
            } else {
                format!("{prefix}.{}", field.name())
            };
            let before = out.len();
            walk(&name, field, out);
            if out.len() == before && !name.ends_with("__typename") {
                out.push(name);
            }
        }
    }
    let mut out = Vec::new();
    walk("", ctx.field(), &mut out);
    out.sort();
    out.dedup();
    out
}

/// Runs `f` on the read models now, or as they stood at `as_of` (folded off the async threads and
/// cached by the desk).
pub(crate) async fn with_models<R>(
    ctx: &Context<'_>,
    as_of: Option<AsOfInput>,
    f: impl FnOnce(&projections::ReadModels) -> R,
) -> Result<R> {
    let desk = ctx.data::<Desk>()?;
    match as_of {
        None => Ok(desk.read(f)),
        Some(as_of) => {
            let as_of = as_of.parse()?;
            let desk = desk.clone();
            let (_, models) = tokio::task::spawn_blocking(move || desk.read_models_as_of(as_of))
                .await
                .map_err(crate::error::internal)?
                .map_err(crate::error::from_desk)?;
            Ok(f(&models))
        }
    }
}

#[derive(Default)]
pub struct ReadModelQuery;

#[Object]
impl ReadModelQuery {
    /// One registered person, with their personal data; `null` if the desk does not know the id.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn person(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        id: ID,
    ) -> Result<Option<Person>> {
        let id = PersonId(parse_ulid("id", &id)?);
        let Some(person) = with_models(ctx, as_of, |m| m.person(id)).await? else {
            return Ok(None);
        };
        access::ensure_site(ctx, person.site.as_str())?;
        // Every field of a person is about them: record the ones asked for.
        let fields = selected_fields(ctx);
        access::note_read(ctx, id, fields)?;
        Ok(Some(Person::from(person)))
    }

    /// One case with its full timeline; `null` if the desk does not know the id.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn case(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        id: ID,
    ) -> Result<Option<Case>> {
        let id = CaseId(parse_ulid("id", &id)?);
        let case = with_models(ctx, as_of, |m| m.case(id)).await?;
        if let Some(case) = &case {
            access::ensure_site(ctx, case.site.as_str())?;
        }
        Ok(case.map(Case::from))
    }

    /// Cases matching the filter, in the order they were opened.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn cases(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        filter: Option<CaseFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Case>> {
        let mut filter = filter.unwrap_or_default().parse()?;
        filter.site = access::scoped_site(ctx, filter.site)?;
        let args = page_args(first, after)?;
        let cases = with_models(ctx, as_of, |m| m.cases(&filter)).await?;
        Ok(page(
            cases.into_iter().map(Case::from).collect(),
            |c| c.position,
            &args,
        ))
    }

    /// One referral; `null` if the desk does not know the id.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        id: ID,
    ) -> Result<Option<Referral>> {
        let id = domain::ReferralId(parse_ulid("id", &id)?);
        let referral =
            with_models(ctx, as_of, |m| m.referral(id).map(|r| Referral::new(r, m))).await?;
        if let Some(referral) = &referral {
            access::ensure_site(ctx, &referral.site)?;
        }
        Ok(referral)
    }

    /// Referrals matching the filter, in the order they were issued, with their outcomes and the
    /// days to them.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        filter: Option<ReferralFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Referral>> {
        let mut filter = filter.unwrap_or_default().parse()?;
        filter.site = access::scoped_site(ctx, filter.site)?;
        let args = page_args(first, after)?;
        let referrals = with_models(ctx, as_of, |m| {
            m.referrals(&filter)
                .into_iter()
                .map(|r| Referral::new(r, m))
                .collect()
        })
        .await?;
        Ok(page(referrals, |r| r.position, &args))
    }

    /// Mediation requests and sessions matching the filter.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn mediations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        filter: Option<MediationFilter>,
    ) -> Result<Mediations> {
        let mut filter = filter.unwrap_or_default().parse()?;
        filter.site = access::scoped_site(ctx, filter.site)?;
        let (requests, sessions) = with_models(ctx, as_of, |m| {
            (m.mediation_requests(&filter), m.mediation_sessions(&filter))
        })
        .await?;
        Ok(Mediations {
            requests: requests.into_iter().map(Into::into).collect(),
            sessions: sessions.into_iter().map(Into::into).collect(),
        })
    }

    /// The logbook from `from` to `to` (days included, at most 366): the entries, and the
    /// opening days that lack one.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn logbook(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        #[graphql(desc = "Site slug; all sites when omitted.")] site: Option<String>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(desc = "Only entries written by this mediator.")] mediator: Option<String>,
    ) -> Result<Logbook> {
        let site = access::scoped_site(ctx, opt(&site, |s| parse_site("site", s))?)?;
        let period = bounded_period(from, to)?;
        let filter = projections::LogbookFilter {
            site: site.clone(),
            period: Some(period),
            mediator,
        };
        let (entries, coverage) = with_models(ctx, as_of, |m| {
            (
                m.logbook_entries(&filter),
                m.missing_logbook_days(&period, site.as_ref()),
            )
        })
        .await?;
        Ok(Logbook {
            entries: entries
                .into_iter()
                .map(|e| LogbookEntry {
                    site: e.site.0,
                    date: e.date,
                    written_at: e.written_at,
                    position: e.position.0,
                    mediator: e.mediator,
                    slot: e.slot.into(),
                    contacts: e.contacts,
                    languages: e.languages,
                    emerging_needs: words(&e.emerging_needs),
                })
                .collect(),
            every_opening_day_has_entry: coverage.iter().all(|c| c.missing.is_empty()),
            coverage: coverage.into_iter().map(Into::into).collect(),
        })
    }

    /// One service of the directory (retired or not); `null` if the desk does not know the id.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn service(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        id: ID,
    ) -> Result<Option<Service>> {
        let id = ServiceId(parse_ulid("id", &id)?);
        Ok(with_models(ctx, as_of, |m| m.service(id))
            .await?
            .map(Service::from))
    }

    /// The desk's sites and the weekdays each opens, by slug.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn sites(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
    ) -> Result<Vec<Site>> {
        let schedule = with_models(ctx, as_of, |m| m.schedule().clone()).await?;
        Ok(schedule
            .opening_days
            .iter()
            .map(|(site, days)| Site {
                site_id: site.0.clone(),
                name: schedule.names.get(site).cloned(),
                opening_days: days.iter().map(|d| weekday(*d)).collect(),
            })
            .collect())
    }

    /// The territorial service directory, in the order services were mapped; services still in
    /// use unless `includeRetired`.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn services(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        filter: Option<ServiceFilter>,
    ) -> Result<Vec<Service>> {
        let filter = filter.unwrap_or_default().parse()?;
        Ok(with_models(ctx, as_of, |m| m.services(&filter))
            .await?
            .into_iter()
            .map(Service::from)
            .collect())
    }

    /// Supervision meetings from `from` to `to` (days included, at most 366), optionally those
    /// about one site, and for every month the period touches whether it had one.
    #[graphql(guard = "Allow(access::SUPERVISORS)")]
    async fn supervision_meetings(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(desc = "Site slug: only meetings that name it.")] site: Option<String>,
    ) -> Result<Supervision> {
        let site = opt(&site, |s| parse_site("site", s))?;
        let period = bounded_period(from, to)?;
        let (meetings, months) = with_models(ctx, as_of, |m| {
            (
                m.supervision_meetings(&period, site.as_ref()),
                m.supervision_months(&period, site.as_ref()),
            )
        })
        .await?;
        Ok(Supervision {
            meetings: meetings
                .into_iter()
                .map(|m| SupervisionMeeting {
                    id: id(m.id),
                    occurred_at: m.occurred_at,
                    position: m.position.0,
                    duration_minutes: m.duration_minutes,
                    supervisor: m.supervisor,
                    attendees: m.attendees,
                    sites: m.sites.into_iter().map(|s| s.0).collect(),
                    themes: m.themes,
                    cases_discussed: ids(&m.cases_discussed),
                })
                .collect(),
            every_month_has_meeting: months.iter().all(projections::MonthMeetings::has_meeting),
            months: months.into_iter().map(Into::into).collect(),
        })
    }

    /// Every figure supervisors and evaluators ask for, for a month (`period: "2024-05"`) or
    /// from `from` to `to` (days included), at one site or all.
    #[graphql(guard = "Allow(access::EVALUATION)")]
    async fn monitoring(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        #[graphql(desc = "A month written yyyy-mm; or give from and to.")] period: Option<String>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        #[graphql(desc = "Site slug; all sites when omitted.")] site: Option<String>,
    ) -> Result<MonitoringReport> {
        let period = report_period(period.as_deref(), from, to)?;
        let site = opt(&site, |s| parse_site("site", s))?;
        Ok(
            with_models(ctx, as_of, |m| m.monitoring(&period, site.as_ref()))
                .await?
                .into(),
        )
    }
}
