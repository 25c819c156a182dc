//! The write model: what decisions need to know, folded from events.
//!
//! `apply` only records facts; every rule lives in `decide`.

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::command::*;
use crate::event::*;
use crate::ids::*;
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

#[derive(Clone, Debug)]
struct PersonState {
    registered_at: DateTime<Utc>,
    /// The site that registered them.
    site_id: SiteId,
    /// The sites that took them on after (`PersonTakenOn`).
    taken_on: Vec<SiteId>,
    minor: bool,
    consents: BTreeSet<ConsentScope>,
    open_case: Option<CaseId>,
    /// Their personal data was erased: nothing new is recorded about them.
    erased: bool,
    /// The registration kept when this one was merged away (`PersonsMerged`).
    merged_into: Option<PersonId>,
}

#[derive(Clone, Debug)]
struct CaseState {
    person_id: PersonId,
    site_id: SiteId,
    opened_at: DateTime<Utc>,
    open: bool,
}

#[derive(Clone, Debug)]
struct ReferralState {
    person_id: PersonId,
    service_id: ServiceId,
    site_id: SiteId,
    issued_at: DateTime<Utc>,
    last_outcome: Option<ReferralOutcome>,
}

#[derive(Clone, Debug)]
struct MediationState {
    site_id: SiteId,
    person_id: Option<PersonId>,
    case_id: Option<CaseId>,
    requested_at: DateTime<Utc>,
    cancelled: bool,
}

#[derive(Clone, Debug)]
struct ServiceState {
    retired: bool,
}

/// What a correction needs of the event it corrects. The stream and the site are numbers in
/// `DeskState::stream_ids` and `DeskState::site_ids` (a million events name far fewer of them).
#[derive(Clone, Debug)]
struct StoredEvent {
    stream: u32,
    event_type: &'static str,
    site: Option<u32>,
    person_id: Option<PersonId>,
    case_id: Option<CaseId>,
}

/// Everything decisions need, folded from the journal in order.
#[derive(Clone, Debug, Default)]
pub struct DeskState {
    /// Each stream's last version, and its number in `stream_ids`.
    streams: HashMap<StreamId, (u64, u32)>,
    stream_ids: Vec<StreamId>,
    /// The number of each site in `site_ids`.
    sites: HashMap<SiteId, u32>,
    site_ids: Vec<SiteId>,
    events: HashMap<Ulid, StoredEvent>,
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
    /// When the project started: the time of the first site's first schedule.
    project_start: Option<DateTime<Utc>>,
}

type Decided = Result<Decision, Rejection>;

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
mod case;
mod check;
mod correction;
mod directory;
mod mediation;
mod merge;
mod person;
mod referral;
mod sites;
mod supervision;

use check::*;

impl DeskState {
    pub fn new() -> Self {
        Self::default()
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
        match event {
            Event::PersonRegistered(e) => {
                self.persons.insert(
                    e.person_id,
                    PersonState {
                        registered_at: e.occurred_at,
                        site_id: e.site_id.clone(),
                        taken_on: Vec::new(),
                        minor: e.minor,
                        consents: BTreeSet::new(),
                        open_case: None,
                        erased: false,
                        merged_into: None,
                    },
                );
            }
            Event::ConsentGiven(e) => {
                if let Some(p) = self.persons.get_mut(&e.person_id) {
                    p.consents.extend(e.scopes.iter().copied());
                }
            }
            Event::ConsentWithdrawn(e) => {
                if let Some(p) = self.persons.get_mut(&e.person_id) {
                    for scope in &e.scopes {
                        p.consents.remove(scope);
                    }
                }
            }
            Event::CaseOpened(e) => {
                self.cases.insert(
                    e.case_id,
                    CaseState {
                        person_id: e.person_id,
                        site_id: e.site_id.clone(),
                        opened_at: e.occurred_at,
                        open: true,
                    },
                );
                if let Some(p) = self.persons.get_mut(&e.person_id) {
                    p.open_case = Some(e.case_id);
                }
            }
            Event::CaseClosed(e) => {
                if let Some(c) = self.cases.get_mut(&e.case_id) {
                    c.open = false;
                }
                if let Some(p) = self.persons.get_mut(&e.person_id) {
                    if p.open_case == Some(e.case_id) {
                        p.open_case = None;
                    }
                }
            }
            Event::CaseReopened(e) => {
                if let Some(c) = self.cases.get_mut(&e.case_id) {
                    c.open = true;
                }
                if let Some(p) = self.persons.get_mut(&e.person_id) {
                    p.open_case = Some(e.case_id);
                }
            }
            Event::InterventionDelivered(e) => {
                self.interventions.insert(e.intervention_id);
            }
            Event::ReferralIssued(e) => {
                self.referrals.insert(
                    e.referral_id,
                    ReferralState {
                        person_id: e.person_id,
                        service_id: e.service_id,
                        site_id: e.site_id.clone(),
                        issued_at: e.occurred_at,
                        last_outcome: None,
                    },
                );
            }
            Event::ReferralOutcomeRecorded(e) => {
                if let Some(r) = self.referrals.get_mut(&e.referral_id) {
                    r.last_outcome = Some(e.outcome);
                }
            }
            Event::MediationRequested(e) => {
                self.mediations.insert(
                    e.mediation_id,
                    MediationState {
                        site_id: e.site_id.clone(),
                        person_id: e.person_id,
                        case_id: e.case_id,
                        requested_at: e.occurred_at,
                        cancelled: false,
                    },
                );
            }
            Event::MediationCancelled(e) => {
                if let Some(m) = self.mediations.get_mut(&e.mediation_id) {
                    m.cancelled = true;
                }
            }
            Event::LogbookEntryWritten(e) => {
                let stream = self.stream_ids[stream as usize].clone();
                self.logbook_days
                    .entry(stream)
                    .or_default()
                    .push((e.mediator.clone(), e.slot));
                self.logbook_entries.insert(id, (e.site_id.clone(), e.date));
            }
            Event::TextRedacted(e) => {
                self.redacted_texts.insert(e.event_id);
            }
            Event::ServiceMapped(e) => {
                self.services
                    .insert(e.service_id, ServiceState { retired: false });
            }
            Event::ServiceRetired(e) => {
                if let Some(s) = self.services.get_mut(&e.service_id) {
                    s.retired = true;
                }
            }
            Event::PersonErased(e) => {
                if let Some(p) = self.persons.get_mut(&e.person_id) {
                    p.erased = true;
                }
            }
            Event::SiteScheduled(e) => {
                let first = self
                    .project_start
                    .map_or(e.occurred_at, |t| t.min(e.occurred_at));
                self.project_start = Some(first);
            }
            Event::PersonTakenOn(e) => {
                if let Some(p) = self.persons.get_mut(&e.person_id) {
                    p.taken_on.push(e.site_id.clone());
                }
            }
            Event::PersonsMerged(e) => {
                if let Some(p) = self.persons.get_mut(&e.person_id) {
                    p.merged_into = Some(e.into_person_id);
                }
            }
            Event::VulnerabilityAssessed(_)
            | Event::IntakeRecorded(_)
            | Event::CarePlanAgreed(_)
            | Event::MediationSessionHeld(_)
            | Event::GroupActivityHeld(_)
            | Event::InformationMaterialDistributed(_)
            | Event::SatisfactionSurveyCompleted(_)
            | Event::SupervisionMeetingHeld(_)
            | Event::LogbookEntryCommented(_)
            | Event::CheckpointSigned(_)
            | Event::ServiceUpdated(_)
            | Event::EventCorrected(_) => {}
        }
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
        let time_field = if let Command::RecordMediationSession(_) = cmd {
            "endedAt"
        } else {
            "occurredAt"
        };
        not_in_future(cmd.occurred_at(), ctx, time_field)?;
        self.not_before_its_bounds(cmd, time_field)?;
        self.person_of_the_site(cmd)?;
        match cmd {
            Command::RegisterPerson(c) => self.register_person(c, ctx),
            Command::GiveConsent(c) => self.give_consent(c),
            Command::WithdrawConsent(c) => self.withdraw_consent(c),
            Command::AssessVulnerability(c) => self.assess_vulnerability(c),
            Command::RecordIntake(c) => self.record_intake(c),
            Command::OpenCase(c) => self.open_case(c),
            Command::AgreeCarePlan(c) => self.agree_care_plan(c),
            Command::CloseCase(c) => self.close_case(c),
            Command::ReopenCase(c) => self.reopen_case(c),
            Command::RecordIntervention(c) => self.record_intervention(c),
            Command::IssueReferral(c) => self.issue_referral(c),
            Command::RecordReferralOutcome(c) => self.record_referral_outcome(c),
            Command::RequestMediation(c) => self.request_mediation(c),
            Command::RecordMediationSession(c) => self.record_mediation_session(c),
            Command::CancelMediation(c) => self.cancel_mediation(c),
            Command::RecordGroupActivity(c) => self.record_group_activity(c),
            Command::DistributeInformationMaterial(c) => self.distribute_material(c),
            Command::RecordSurveyResponse(c) => self.record_survey(c),
            Command::WriteLogbookEntry(c) => self.write_logbook_entry(c, ctx),
            Command::CommentLogbookEntry(c) => self.comment_logbook_entry(c, ctx),
            Command::RedactText(c) => self.redact_text(c, ctx),
            Command::RecordSupervisionMeeting(c) => self.record_supervision(c, ctx),
            Command::RecordCheckpoint(c) => self.record_checkpoint(c, ctx),
            Command::MapService(c) => self.map_service(c, ctx),
            Command::UpdateService(c) => self.update_service(c, ctx),
            Command::RetireService(c) => self.retire_service(c),
            Command::ScheduleSite(c) => self.schedule_site(c, ctx),
            Command::CorrectEvent(c) => self.correct_event(c),
            Command::ErasePerson(c) => self.erase_person(c, ctx),
            Command::MergePersons(c) => self.merge_persons(c, ctx),
            Command::TakeOnPerson(c) => self.take_on_person(c),
        }
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

/// The day of a time in UTC; handy for callers that group by day.
pub fn utc_day(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}
