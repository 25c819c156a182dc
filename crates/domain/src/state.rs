//! The write model: what decisions need to know, folded from events.
//!
//! `apply` only records facts; every rule lives in `decide`.

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::calendar::{LocalClosure, SiteCalendar};
use crate::command::*;
use crate::event::*;
use crate::ids::*;
use crate::permission::Placement;
use crate::personal::PERSONAL_FIELD_NAMES;
use crate::rejection::{Rejection, RejectionKind as K};
use crate::vocab::*;

/// The stream version a decision was made against; the journal appends only if it still holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expected {
    /// The stream must not exist yet (creation; a retry or a race finds it taken).
    NoStream,
    /// The stream's last event must have this version.
    Exactly(u64),
}

/// The outcome of a command: events to append to one stream, guarded by `expected`.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub stream: StreamId,
    pub expected: Expected,
    pub events: Vec<Event>,
}

/// The earliest time a fact can have: the project's start. IMPACT LAZIO is funded by the EU
/// asylum, migration and integration fund (FAMI/AMIF), whose programme began on 1 January 2014,
/// so nothing the desk records happened before 2014-01-01T00:00:00+01:00, the default. A desk
/// that knows its own start configures it (`impact serve --project-start`); the first site
/// schedule is a later bound once there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProjectStart(pub DateTime<Utc>);

impl ProjectStart {
    /// 2014-01-01T00:00:00+01:00 (Rome): the FAMI/AMIF 2014-2020 programme's first day.
    pub fn fami_programme() -> ProjectStart {
        const SECONDS: i64 = 1_388_530_800;
        ProjectStart(DateTime::from_timestamp(SECONDS, 0).unwrap_or(DateTime::<Utc>::MIN_UTC))
    }
}

impl Default for ProjectStart {
    fn default() -> Self {
        ProjectStart::fami_programme()
    }
}

/// What a decision is made with: the time now and who asks.
#[derive(Clone, Debug, PartialEq)]
pub struct Context {
    pub now: DateTime<Utc>,
    pub actor: Actor,
}

/// What the journal says about a stored event, beside the event itself.
#[derive(Clone, Debug, PartialEq)]
pub struct EventMeta {
    pub id: Ulid,
    pub stream: StreamId,
    /// The event's version within its stream.
    pub version: u64,
    /// The event's position in the whole journal.
    pub position: u64,
    pub recorded_at: DateTime<Utc>,
    pub actor: Actor,
}

/// What a correction needs of the event it corrects. The stream and the site are numbers in
/// `DeskState::stream_ids` and `DeskState::site_ids` (a million events name far fewer of them).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct StoredEvent {
    stream: u32,
    #[serde(with = "crate::snapshot::event_type")]
    event_type: crate::snapshot::EventTypeName,
    site: Option<u32>,
    person_id: Option<PersonId>,
    case_id: Option<CaseId>,
}

/// Everything decisions need, folded from the journal in order.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct DeskState {
    /// Each stream's last version, and its number in `stream_ids`.
    streams: HashMap<StreamId, (u64, u32)>,
    stream_ids: Vec<StreamId>,
    /// The number of each site in `site_ids`.
    sites: HashMap<SiteId, u32>,
    site_ids: Vec<SiteId>,
    events: HashMap<Ulid, StoredEvent>,
    #[serde(with = "crate::snapshot::event_type_keys")]
    field_names: HashMap<&'static str, BTreeSet<String>>,
    persons: HashMap<PersonId, PersonState>,
    cases: HashMap<CaseId, CaseState>,
    referrals: HashMap<ReferralId, ReferralState>,
    mediations: HashMap<MediationId, MediationState>,
    services: HashMap<ServiceId, ServiceState>,
    /// Per logbook day (`logbook-<site>-<date>`): who wrote in which slot.
    logbook_days: HashMap<StreamId, Vec<(String, RotationSlot)>>,
    /// Logbook entries by event id: their site and day.
    logbook_entries: HashMap<Ulid, (SiteId, NaiveDate)>,
    /// Event ids of the facts whose free text was redacted (`TextRedacted`).
    redacted_texts: HashSet<Ulid>,
    interventions: HashSet<InterventionId>,
    /// When the project started, as configured: no fact is earlier.
    #[serde(skip)]
    project_start: ProjectStart,
    /// The time of the first site's first schedule: no later fact is earlier.
    first_schedule: Option<DateTime<Utc>>,
    /// Each scheduled site's days, hours, phones and closures.
    calendars: HashMap<SiteId, SiteCalendar>,
    appointments: HashMap<AppointmentId, AppointmentState>,
    /// The appointments each mediator holds, to refuse a double booking.
    mediator_appointments: HashMap<String, Vec<AppointmentId>>,
    meetings: HashMap<MeetingId, MeetingState>,
    /// Staff accounts by user name: disabled or not (`staff.rs`).
    staff_accounts: HashMap<String, StaffAccountState>,
    /// Survey definitions by slug: their versions in order (`survey.rs`).
    survey_definitions: HashMap<String, Vec<SurveyDefined>>,
}

type Decided = Result<Decision, Rejection>;

/// A command's own decision, and the site its fact belongs to: one impl per command, beside the
/// other decisions of its stream in `state/<stream>.rs`. `commands!` dispatches to them, so a
/// command without one does not compile.
pub(crate) trait Decide {
    /// Where the fact belongs ([`DeskState::placement`]): the command's own `siteId`, or the site
    /// of the record it acts on. No default: each command says it.
    fn placement(&self, state: &DeskState) -> Placement;

    /// The events to append, or why not; [`DeskState::decide`] has run the checks every command
    /// shares (actor, texts, time, the person's site) before.
    fn decide(&self, state: &DeskState, ctx: &Context) -> Decided;
}

/// A recorded event's part of the write model: one impl per event type, beside the decisions of
/// its stream in `state/<stream>.rs`. No rule: whatever is in the journal happened.
/// [`DeskState::apply`] hands each event to its impl through [`Event::handle`], so an event type
/// without one does not compile.
pub(crate) trait Evolve {
    fn evolve(&self, state: &mut DeskState, at: Applied);
}

/// What an [`Evolve`] impl may read of the event's envelope.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Applied {
    /// The event's id.
    pub id: Ulid,
    /// The event's stream, as its number in `DeskState::stream_ids`.
    pub stream: u32,
}

/// The write model as an [`Event::handle`] handler.
struct Evolving<'a> {
    state: &'a mut DeskState,
    at: Applied,
}

impl<E: Evolve> Handle<E> for Evolving<'_> {
    type Output = ();
    fn handle(&mut self, event: &E) {
        event.evolve(self.state, self.at);
    }
}

fn reject<T>(
    field: impl Into<String>,
    kind: K,
    message: impl Into<String>,
) -> Result<T, Rejection> {
    Err(Rejection::new(field, kind, message))
}

macro_rules! ensure {
    ($cond:expr, $field:expr, $kind:expr, $($msg:tt)+) => {
        if !$cond {
            return reject($field, $kind, format!($($msg)+));
        }
    };
}

const MINUTES_IN_A_DAY: u32 = 24 * 60;

// The decisions, by the stream they append to (declared after `ensure!`, which they use).
mod activity;
mod appointment;
mod case;
mod check;
mod correction;
mod directory;
mod mediation;
mod merge;
mod person;
mod referral;
mod sites;
mod staff;
mod supervision;
mod survey;
mod update;

use appointment::AppointmentState;
use case::CaseState;
use check::*;
use directory::ServiceState;
use mediation::MediationState;
use person::PersonState;
use referral::ReferralState;
use staff::StaffAccountState;
use supervision::MeetingState;
use update::{giver, permit};

impl DeskState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the project's start ([`ProjectStart`]): commands that say an earlier time are
    /// refused, naming it.
    pub fn set_project_start(&mut self, start: ProjectStart) {
        self.project_start = start;
    }

    /// The project's start, as configured.
    pub fn project_start(&self) -> ProjectStart {
        self.project_start
    }

    /// `true` if some recorded fact names this site (a site exists once something happened
    /// there, or once it was scheduled).
    pub fn knows_site(&self, site: &SiteId) -> bool {
        self.sites.contains_key(site)
    }

    /// The version of the last event applied to `stream`, or `None` if it has none.
    pub fn stream_version(&self, stream: &StreamId) -> Option<u64> {
        self.streams.get(stream).map(|&(version, _)| version)
    }

    /// `true` if the event with this id has been applied.
    pub fn knows_event(&self, id: Ulid) -> bool {
        self.events.contains_key(&id)
    }

    /// The site of a case, if the case exists.
    pub(crate) fn case_site(&self, id: CaseId) -> Option<&SiteId> {
        self.cases.get(&id).map(|case| &case.site_id)
    }

    /// The site of a referral, if it was issued.
    pub(crate) fn referral_site(&self, id: ReferralId) -> Option<&SiteId> {
        self.referrals.get(&id).map(|referral| &referral.site_id)
    }

    /// The site of a mediation, if it was requested.
    pub(crate) fn mediation_site(&self, id: MediationId) -> Option<&SiteId> {
        self.mediations.get(&id).map(|mediation| &mediation.site_id)
    }

    /// The site of an appointment, if it was booked.
    pub(crate) fn appointment_site(&self, id: AppointmentId) -> Option<&SiteId> {
        self.appointments.get(&id).map(|a| &a.site_id)
    }

    /// A scheduled site's calendar (its days, hours, phones and closures).
    pub fn calendar(&self, site: &SiteId) -> Option<&SiteCalendar> {
        self.calendars.get(site)
    }

    /// The site of a recorded event (`Some(None)`: it has none), if the event was applied.
    pub(crate) fn event_site(&self, id: Ulid) -> Option<Option<&SiteId>> {
        self.events
            .get(&id)
            .map(|stored| stored.site.map(|ix| &self.site_ids[ix as usize]))
    }

    /// Records a stored event. Holds no rule: whatever is in the journal happened.
    pub fn apply(&mut self, meta: &EventMeta, event: &Event) {
        self.apply_stored(meta.id, meta.stream.as_str(), meta.version, event);
    }

    /// [`DeskState::apply`] with only what it reads of the envelope: the event's id, stream and
    /// version in it (a replay need not build an [`EventMeta`] for each event).
    pub fn apply_stored(&mut self, id: Ulid, stream: &str, version: u64, event: &Event) {
        let stream = match self.streams.get_mut(stream) {
            Some((last, ix)) => {
                *last = version;
                *ix
            }
            None => {
                let ix = u32::try_from(self.stream_ids.len()).expect("fewer than 2^32 streams");
                self.stream_ids.push(StreamId::new(stream));
                self.streams.insert(StreamId::new(stream), (version, ix));
                ix
            }
        };
        let site = event.site_id().map(|site| match self.sites.get(site) {
            Some(&ix) => ix,
            None => {
                let ix = u32::try_from(self.site_ids.len()).expect("fewer than 2^32 sites");
                self.site_ids.push(site.clone());
                self.sites.insert(site.clone(), ix);
                ix
            }
        });
        self.events.insert(
            id,
            StoredEvent {
                stream,
                event_type: event.event_type(),
                site,
                person_id: event.person_id(),
                case_id: event.case_id(),
            },
        );
        if !self.field_names.contains_key(event.event_type()) {
            let names = match serde_json::from_slice::<serde_json::Value>(&event.to_payload()) {
                Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
                _ => BTreeSet::new(),
            };
            self.field_names.insert(event.event_type(), names);
        }
        event.handle(&mut Evolving {
            state: self,
            at: Applied { id, stream },
        });
    }

    /// Decides a command against the current state: the events to append, or why not.
    pub fn decide(&self, cmd: &Command, ctx: &Context) -> Result<Decision, Rejection> {
        ensure!(
            ctx.actor.role != Role::Evaluator,
            "actor",
            K::NotPermitted,
            "evaluators look at the data; they cannot record anything"
        );
        ensure!(
            !ctx.actor.id.trim().is_empty(),
            "actor",
            K::Required,
            "the actor has no id"
        );
        crate::text::check(cmd)?;
        let (at, time_field) = cmd.occurred();
        not_in_future(at, ctx, time_field)?;
        self.not_before_its_bounds(cmd, time_field)?;
        self.person_of_the_site(cmd)?;
        in_own_name(cmd, ctx)?;
        cmd.decide_in(self, ctx)
    }

    fn expected(&self, stream: &StreamId) -> Expected {
        match self.stream_version(stream) {
            Some(v) => Expected::Exactly(v),
            None => Expected::NoStream,
        }
    }

    fn decision(&self, stream: StreamId, event: impl Into<Event>) -> Decided {
        let expected = self.expected(&stream);
        Ok(Decision {
            stream,
            expected,
            events: vec![event.into()],
        })
    }

    fn creation(
        &self,
        stream: StreamId,
        field: &str,
        what: &str,
        event: impl Into<Event>,
    ) -> Decided {
        ensure!(
            self.stream_version(&stream).is_none(),
            field,
            K::AlreadyExists,
            "this {what} is already recorded (the same id was sent twice)"
        );
        Ok(Decision {
            stream,
            expected: Expected::NoStream,
            events: vec![event.into()],
        })
    }

    fn person(&self, id: PersonId, field: &str) -> Result<&PersonState, Rejection> {
        match self.persons.get(&id) {
            Some(p) if p.erased => reject(
                field,
                K::Erased,
                "this person's data was erased: nothing more is recorded about them",
            ),
            Some(p) => match p.merged_into {
                Some(into) => reject(
                    field,
                    K::Merged,
                    format!("this registration was merged into person {into}: record on that id"),
                ),
                None => Ok(p),
            },
            None => reject(field, K::NotFound, "this person is not registered"),
        }
    }

    fn person_with_consent(
        &self,
        id: PersonId,
        scope: ConsentScope,
    ) -> Result<&PersonState, Rejection> {
        let p = self.person(id, "personId")?;
        ensure!(
            p.consents.contains(&scope),
            "personId",
            K::ConsentMissing,
            "the person has not given consent to {} (or has withdrawn it)",
            scope.as_str().replace('_', " ")
        );
        Ok(p)
    }

    fn case(&self, id: CaseId, field: &str) -> Result<&CaseState, Rejection> {
        match self.cases.get(&id) {
            Some(c) => Ok(c),
            None => reject(field, K::NotFound, "there is no case with this id"),
        }
    }

    fn open_case_of(
        &self,
        id: CaseId,
        person: PersonId,
        field: &str,
    ) -> Result<&CaseState, Rejection> {
        let c = self.case(id, field)?;
        ensure!(
            c.person_id == person,
            field,
            K::Mismatch,
            "this case belongs to another person"
        );
        ensure!(
            c.open,
            field,
            K::CaseClosed,
            "the case is closed: reopen it first"
        );
        Ok(c)
    }

    fn usable_service(&self, id: ServiceId, field: &str) -> Result<(), Rejection> {
        match self.services.get(&id) {
            None => reject(field, K::NotFound, "this service is not in the directory"),
            Some(s) if s.retired => reject(
                field,
                K::Retired,
                "this service was retired from the directory",
            ),
            Some(_) => Ok(()),
        }
    }
}

/// The desk's day of an instant: the day it falls on in Rome, where the desk works. Every
/// comparison of an instant with a day (a logbook's date, a review date, "not in the future")
/// goes through it, so that 00:30 in Rome is the new day although UTC is still on the old one.
pub fn desk_day(at: DateTime<Utc>) -> NaiveDate {
    crate::calendar::rome_date(at)
}
