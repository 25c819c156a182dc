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
    minor: bool,
    consents: BTreeSet<ConsentScope>,
    open_case: Option<CaseId>,
    /// Their personal data was erased: nothing new is recorded about them.
    erased: bool,
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
    logbook_authors: HashMap<StreamId, String>,
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
                        minor: e.minor,
                        consents: BTreeSet::new(),
                        open_case: None,
                        erased: false,
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
                self.logbook_authors.insert(stream, e.mediator.clone());
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
            Event::VulnerabilityAssessed(_)
            | Event::IntakeRecorded(_)
            | Event::CarePlanAgreed(_)
            | Event::MediationSessionHeld(_)
            | Event::GroupActivityHeld(_)
            | Event::InformationMaterialDistributed(_)
            | Event::SatisfactionSurveyCompleted(_)
            | Event::SupervisionMeetingHeld(_)
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
            Command::RecordSupervisionMeeting(c) => self.record_supervision(c, ctx),
            Command::RecordCheckpoint(c) => self.record_checkpoint(c, ctx),
            Command::MapService(c) => self.map_service(c, ctx),
            Command::UpdateService(c) => self.update_service(c, ctx),
            Command::RetireService(c) => self.retire_service(c),
            Command::ScheduleSite(c) => self.schedule_site(c, ctx),
            Command::CorrectEvent(c) => self.correct_event(c),
            Command::ErasePerson(c) => self.erase_person(c, ctx),
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
            Some(p) => Ok(p),
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

    fn register_person(&self, c: &RegisterPerson, ctx: &Context) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !self.persons.contains_key(&c.person_id),
            "personId",
            K::AlreadyExists,
            "this person is already registered"
        );
        ensure!(
            !c.personal.full_name.trim().is_empty(),
            "personal.fullName",
            K::Required,
            "the name is missing"
        );
        ensure!(
            c.personal.full_name.trim() != crate::personal::ERASED,
            "personal.fullName",
            K::Invalid,
            "{} marks erased data; it is not a name",
            crate::personal::ERASED
        );
        let this_year = ctx.now.year();
        ensure!(
            (1900..=this_year).contains(&c.birth_year),
            "birthYear",
            K::OutOfRange,
            "the birth year must be between 1900 and {this_year}"
        );
        if let Some(date) = c.personal.birth_date {
            ensure!(
                date.year() == c.birth_year,
                "personal.birthDate",
                K::Mismatch,
                "the birth date is not in the birth year"
            );
            ensure!(
                date <= ctx.now.date_naive(),
                "personal.birthDate",
                K::InFuture,
                "the birth date is in the future"
            );
        }
        countries(&c.citizenships, "citizenships")?;
        ensure!(
            is_country_code(&c.country_of_birth),
            "countryOfBirth",
            K::Invalid,
            "use a two-letter country code such as UA or BD"
        );
        if let Some(arrival) = c.arrival_year {
            ensure!(
                arrival >= c.birth_year && arrival <= this_year,
                "arrivalYear",
                K::OutOfRange,
                "the arrival year must be between the birth year and this year"
            );
        }
        languages(&c.languages, "languages")?;
        ensure!(
            c.household_size >= 1,
            "householdSize",
            K::OutOfRange,
            "a household has at least one person"
        );
        let age_this_year = this_year - c.birth_year;
        ensure!(
            !(c.minor && age_this_year > 18),
            "minor",
            K::Mismatch,
            "someone born in {} cannot be a minor",
            c.birth_year
        );
        ensure!(
            c.minor || age_this_year >= 17,
            "minor",
            K::Mismatch,
            "someone born in {} is a minor",
            c.birth_year
        );
        ensure!(
            !c.unaccompanied_minor || c.minor,
            "unaccompaniedMinor",
            K::Mismatch,
            "an unaccompanied minor must also be marked as a minor"
        );
        ensure!(
            !(c.permit_type == PermitType::None && c.permit_expires_on.is_some()),
            "permitExpiresOn",
            K::Invalid,
            "a person without a permit has no permit expiry"
        );
        let event = PersonRegistered {
            person_id: c.person_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            birth_year: c.birth_year,
            sex: c.sex,
            citizenships: c.citizenships.clone(),
            country_of_birth: c.country_of_birth.clone(),
            arrival_year: c.arrival_year,
            permit_type: c.permit_type,
            permit_expires_on: c.permit_expires_on,
            languages: c.languages.clone(),
            household_size: c.household_size,
            minor: c.minor,
            unaccompanied_minor: c.unaccompanied_minor,
            personal: c.personal.clone(),
        };
        self.creation(StreamId::person(c.person_id), "personId", "person", event)
    }

    fn give_consent(&self, c: &GiveConsent) -> Decided {
        site(&c.site_id, "siteId")?;
        let p = self.person(c.person_id, "personId")?;
        ensure!(
            !c.scopes.is_empty(),
            "scopes",
            K::Required,
            "say what the consent covers"
        );
        no_duplicates(&c.scopes, "scopes")?;
        ensure!(
            !c.scopes.contains(&ConsentScope::Sharing) || !c.shared_with.is_empty(),
            "sharedWith",
            K::Required,
            "a consent to sharing names the bodies data may be shared with"
        );
        ensure!(
            !p.minor || c.given_by == ConsentGiver::Guardian,
            "givenBy",
            K::GuardianRequired,
            "the person is a minor: consent must be given by a parent or guardian"
        );
        let event = ConsentGiven {
            person_id: c.person_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            scopes: c.scopes.clone(),
            shared_with: c.shared_with.clone(),
            given_by: c.given_by,
        };
        self.decision(StreamId::person(c.person_id), event)
    }

    fn withdraw_consent(&self, c: &WithdrawConsent) -> Decided {
        site(&c.site_id, "siteId")?;
        let p = self.person(c.person_id, "personId")?;
        ensure!(
            !c.scopes.is_empty(),
            "scopes",
            K::Required,
            "say which consent is withdrawn"
        );
        no_duplicates(&c.scopes, "scopes")?;
        for (i, scope) in c.scopes.iter().enumerate() {
            ensure!(
                p.consents.contains(scope),
                format!("scopes[{i}]"),
                K::ConsentMissing,
                "there is no consent to {} to withdraw",
                scope.as_str().replace('_', " ")
            );
        }
        let event = ConsentWithdrawn {
            person_id: c.person_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            scopes: c.scopes.clone(),
        };
        self.decision(StreamId::person(c.person_id), event)
    }

    fn assess_vulnerability(&self, c: &AssessVulnerability) -> Decided {
        site(&c.site_id, "siteId")?;
        let p = self.person_with_consent(c.person_id, ConsentScope::Service)?;
        no_duplicates(&c.categories, "categories")?;
        let says_minor = c.categories.iter().any(|v| {
            matches!(
                v,
                VulnerabilityCategory::Minor | VulnerabilityCategory::UnaccompaniedMinor
            )
        });
        ensure!(
            !says_minor || p.minor,
            "categories",
            K::Mismatch,
            "the person was registered as an adult, not a minor"
        );
        let event = VulnerabilityAssessed {
            person_id: c.person_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            categories: c.categories.clone(),
            note: c.note.clone(),
        };
        self.decision(StreamId::person(c.person_id), event)
    }

    fn record_intake(&self, c: &RecordIntake) -> Decided {
        site(&c.site_id, "siteId")?;
        self.person_with_consent(c.person_id, ConsentScope::Service)?;
        ensure!(
            !c.needs.is_empty(),
            "needs",
            K::Required,
            "say at least one area of need"
        );
        no_duplicates(&c.needs, "needs")?;
        match (c.channel, c.referred_by) {
            (IntakeChannel::ReferredByService, None) => {
                return reject(
                    "referredBy",
                    K::Required,
                    "say which service referred the person",
                );
            }
            (IntakeChannel::ReferredByService, Some(s)) => {
                ensure!(
                    self.services.contains_key(&s),
                    "referredBy",
                    K::NotFound,
                    "this service is not in the directory"
                );
            }
            (_, Some(_)) => {
                return reject(
                    "referredBy",
                    K::Invalid,
                    "only an intake referred by a service names a referring service",
                );
            }
            (_, None) => {}
        }
        let event = IntakeRecorded {
            person_id: c.person_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            channel: c.channel,
            referred_by: c.referred_by,
            needs: c.needs.clone(),
            note: c.note.clone(),
        };
        self.decision(StreamId::person(c.person_id), event)
    }

    fn open_case(&self, c: &OpenCase) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !self.cases.contains_key(&c.case_id),
            "caseId",
            K::AlreadyExists,
            "this case is already open"
        );
        let p = self.person_with_consent(c.person_id, ConsentScope::Service)?;
        ensure!(
            p.open_case.is_none(),
            "personId",
            K::CaseAlreadyOpen,
            "the person already has an open case"
        );
        ensure!(
            !c.case_worker.trim().is_empty(),
            "caseWorker",
            K::Required,
            "say who holds the case"
        );
        no_duplicates(&c.vulnerabilities, "vulnerabilities")?;
        for (i, s) in c.partner_services.iter().enumerate() {
            self.usable_service(*s, &format!("partnerServices[{i}]"))?;
        }
        let event = CaseOpened {
            case_id: c.case_id,
            person_id: c.person_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            case_worker: c.case_worker.clone(),
            vulnerabilities: c.vulnerabilities.clone(),
            partner_services: c.partner_services.clone(),
        };
        self.creation(StreamId::case(c.case_id), "caseId", "case", event)
    }

    fn agree_care_plan(&self, c: &AgreeCarePlan) -> Decided {
        let case = self.case(c.case_id, "caseId")?;
        ensure!(
            case.open,
            "caseId",
            K::CaseClosed,
            "the case is closed: reopen it first"
        );
        after_opening(case, c.occurred_at)?;
        ensure!(
            !c.needs.is_empty(),
            "needs",
            K::Required,
            "say at least one area of need"
        );
        ensure!(
            c.review_on > c.occurred_at.date_naive(),
            "reviewOn",
            K::OutOfRange,
            "the review date must come after the day the plan is agreed"
        );
        for (i, s) in c.partner_services.iter().enumerate() {
            self.usable_service(*s, &format!("partnerServices[{i}]"))?;
        }
        let event = CarePlanAgreed {
            case_id: c.case_id,
            person_id: case.person_id,
            site_id: case.site_id.clone(),
            occurred_at: c.occurred_at,
            needs: c.needs.clone(),
            goals: c.goals.clone(),
            partner_services: c.partner_services.clone(),
            review_on: c.review_on,
        };
        self.decision(StreamId::case(c.case_id), event)
    }

    fn close_case(&self, c: &CloseCase) -> Decided {
        let case = self.case(c.case_id, "caseId")?;
        ensure!(
            case.open,
            "caseId",
            K::CaseClosed,
            "the case is already closed"
        );
        after_opening(case, c.occurred_at)?;
        let event = CaseClosed {
            case_id: c.case_id,
            person_id: case.person_id,
            site_id: case.site_id.clone(),
            occurred_at: c.occurred_at,
            reason: c.reason,
            outcome: c.outcome,
            note: c.note.clone(),
        };
        self.decision(StreamId::case(c.case_id), event)
    }

    fn reopen_case(&self, c: &ReopenCase) -> Decided {
        let case = self.case(c.case_id, "caseId")?;
        ensure!(
            !case.open,
            "caseId",
            K::CaseNotClosed,
            "the case is open: there is nothing to reopen"
        );
        after_opening(case, c.occurred_at)?;
        let p = self.person(case.person_id, "personId")?;
        ensure!(
            p.open_case.is_none(),
            "caseId",
            K::CaseAlreadyOpen,
            "the person has another open case"
        );
        let event = CaseReopened {
            case_id: c.case_id,
            person_id: case.person_id,
            site_id: case.site_id.clone(),
            occurred_at: c.occurred_at,
            note: c.note.clone(),
        };
        self.decision(StreamId::case(c.case_id), event)
    }

    fn record_intervention(&self, c: &RecordIntervention) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !self.interventions.contains(&c.intervention_id),
            "interventionId",
            K::AlreadyExists,
            "this intervention is already recorded (the same id was sent twice)"
        );
        self.person_with_consent(c.person_id, ConsentScope::Service)?;
        if let Some(case_id) = c.case_id {
            self.open_case_of(case_id, c.person_id, "caseId")?;
        }
        duration(c.duration_minutes, "durationMinutes")?;
        ensure!(
            !c.staff.iter().all(|s| s.trim().is_empty()),
            "staff",
            K::Required,
            "say who delivered the intervention"
        );
        language(&c.language, "language")?;
        match c.activity {
            Activity::IntegratedCaseSupport => {
                ensure!(
                    c.case_id.is_some(),
                    "caseId",
                    K::Required,
                    "integrated case support is given within a case"
                );
                ensure!(
                    c.service_id.is_some(),
                    "serviceId",
                    K::Required,
                    "say which partner service is supported"
                );
            }
            Activity::LegalAdvice => {
                ensure!(
                    c.legal_topic.is_some(),
                    "legalTopic",
                    K::Required,
                    "say the topic of the legal advice"
                );
            }
            Activity::ParentalSupport => {
                ensure!(
                    c.parental_kind.is_some(),
                    "parentalKind",
                    K::Required,
                    "say which kind of parental support"
                );
            }
            Activity::OrientationAccompaniment => {}
        }
        if let Some(s) = c.service_id {
            self.usable_service(s, "serviceId")?;
        }
        let event = InterventionDelivered {
            intervention_id: c.intervention_id,
            person_id: c.person_id,
            case_id: c.case_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            activity: c.activity,
            mode: c.mode,
            duration_minutes: c.duration_minutes,
            staff: c.staff.clone(),
            language: c.language.clone(),
            need: c.need,
            service_id: c.service_id,
            legal_topic: c.legal_topic,
            parental_kind: c.parental_kind,
            outcome: c.outcome,
            note: c.note.clone(),
        };
        let stream = match c.case_id {
            Some(case_id) => StreamId::case(case_id),
            None => StreamId::person(c.person_id),
        };
        self.decision(stream, event)
    }

    fn issue_referral(&self, c: &IssueReferral) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !self.referrals.contains_key(&c.referral_id),
            "referralId",
            K::AlreadyExists,
            "this referral is already issued (the same id was sent twice)"
        );
        self.person_with_consent(c.person_id, ConsentScope::Service)?;
        self.person_with_consent(c.person_id, ConsentScope::Sharing)?;
        self.usable_service(c.service_id, "serviceId")?;
        if let Some(case_id) = c.case_id {
            self.open_case_of(case_id, c.person_id, "caseId")?;
        }
        let event = ReferralIssued {
            referral_id: c.referral_id,
            person_id: c.person_id,
            case_id: c.case_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            service_id: c.service_id,
            reason: c.reason,
            urgency: c.urgency,
            note: c.note.clone(),
        };
        self.creation(
            StreamId::referral(c.referral_id),
            "referralId",
            "referral",
            event,
        )
    }

    fn record_referral_outcome(&self, c: &RecordReferralOutcome) -> Decided {
        let Some(r) = self.referrals.get(&c.referral_id) else {
            return reject(
                "referralId",
                K::NotFound,
                "no referral with this id was issued",
            );
        };
        if let Some(last) = r.last_outcome.filter(|o| o.is_final()) {
            return reject(
                "referralId",
                K::AlreadyFinal,
                format!(
                    "the referral already ended with outcome {}",
                    last.as_str().replace('_', " ")
                ),
            );
        }
        ensure!(
            c.occurred_at >= r.issued_at,
            "occurredAt",
            K::OutOfRange,
            "an outcome cannot come before the referral was issued"
        );
        if c.outcome == ReferralOutcome::AppointmentSet {
            let Some(on) = c.appointment_on else {
                return reject(
                    "appointmentOn",
                    K::Required,
                    "say the day of the appointment",
                );
            };
            ensure!(
                on >= c.occurred_at.date_naive(),
                "appointmentOn",
                K::OutOfRange,
                "the appointment cannot be before the day it was set"
            );
        }
        let event = ReferralOutcomeRecorded {
            referral_id: c.referral_id,
            person_id: r.person_id,
            service_id: r.service_id,
            site_id: r.site_id.clone(),
            occurred_at: c.occurred_at,
            outcome: c.outcome,
            appointment_on: c.appointment_on,
            note: c.note.clone(),
        };
        self.decision(StreamId::referral(c.referral_id), event)
    }

    fn request_mediation(&self, c: &RequestMediation) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !self.mediations.contains_key(&c.mediation_id),
            "mediationId",
            K::AlreadyExists,
            "this mediation request is already recorded (the same id was sent twice)"
        );
        language(&c.language, "language")?;
        if let Some(s) = c.requesting_service {
            self.usable_service(s, "requestingService")?;
        }
        if let Some(p) = c.person_id {
            self.person(p, "personId")?;
        }
        if let Some(case_id) = c.case_id {
            let Some(p) = c.person_id else {
                return reject(
                    "personId",
                    K::Required,
                    "a mediation within a case names the person",
                );
            };
            self.open_case_of(case_id, p, "caseId")?;
        }
        match (c.slot_start, c.slot_end) {
            (Some(start), Some(end)) => {
                ensure!(
                    start >= c.occurred_at,
                    "slotStart",
                    K::OutOfRange,
                    "the slot cannot start before the request was made"
                );
                ensure!(
                    end > start,
                    "slotEnd",
                    K::EndsBeforeStart,
                    "the slot must end after it starts"
                );
                ensure!(
                    end - start < TimeDelta::days(1),
                    "slotEnd",
                    K::TooLong,
                    "a slot lasts less than a day"
                );
            }
            (None, None) => {
                ensure!(
                    c.mode == MediationMode::OnCall,
                    "slotStart",
                    K::Required,
                    "a scheduled mediation needs a slot"
                );
            }
            (None, Some(_)) => {
                return reject("slotStart", K::Required, "the slot has an end but no start")
            }
            (Some(_), None) => {
                return reject("slotEnd", K::Required, "the slot has a start but no end")
            }
        }
        let event = MediationRequested {
            mediation_id: c.mediation_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            mode: c.mode,
            requesting_service: c.requesting_service,
            person_id: c.person_id,
            case_id: c.case_id,
            language: c.language.clone(),
            slot_start: c.slot_start,
            slot_end: c.slot_end,
        };
        self.creation(
            StreamId::mediation(c.mediation_id),
            "mediationId",
            "mediation request",
            event,
        )
    }

    fn record_mediation_session(&self, c: &RecordMediationSession) -> Decided {
        let Some(m) = self.mediations.get(&c.mediation_id) else {
            return reject(
                "mediationId",
                K::NotFound,
                "no mediation with this id was requested",
            );
        };
        ensure!(
            !m.cancelled,
            "mediationId",
            K::Cancelled,
            "the mediation was cancelled: a session cannot be held"
        );
        ensure!(
            c.ended_at > c.started_at,
            "endedAt",
            K::EndsBeforeStart,
            "the session must end after it starts"
        );
        ensure!(
            c.ended_at - c.started_at < TimeDelta::days(1),
            "endedAt",
            K::TooLong,
            "a session lasts less than a day"
        );
        ensure!(
            c.started_at >= m.requested_at,
            "startedAt",
            K::OutOfRange,
            "a session cannot start before it was requested"
        );
        ensure!(
            !c.mediator.trim().is_empty(),
            "mediator",
            K::Required,
            "say who mediated"
        );
        language(&c.languages.from, "languages.from")?;
        language(&c.languages.to, "languages.to")?;
        ensure!(
            c.languages.from != c.languages.to,
            "languages",
            K::Invalid,
            "a mediation bridges two different languages"
        );
        ensure!(
            !c.parties.is_empty(),
            "parties",
            K::Required,
            "say who took part"
        );
        let event = MediationSessionHeld {
            mediation_id: c.mediation_id,
            site_id: m.site_id.clone(),
            person_id: m.person_id,
            case_id: m.case_id,
            started_at: c.started_at,
            ended_at: c.ended_at,
            mediator: c.mediator.clone(),
            languages: c.languages.clone(),
            parties: c.parties.clone(),
            kind: c.kind,
            outcome: c.outcome,
            follow_up_needed: c.follow_up_needed,
            note: c.note.clone(),
        };
        self.decision(StreamId::mediation(c.mediation_id), event)
    }

    fn cancel_mediation(&self, c: &CancelMediation) -> Decided {
        let Some(m) = self.mediations.get(&c.mediation_id) else {
            return reject(
                "mediationId",
                K::NotFound,
                "no mediation with this id was requested",
            );
        };
        ensure!(
            !m.cancelled,
            "mediationId",
            K::Cancelled,
            "the mediation is already cancelled"
        );
        ensure!(
            c.occurred_at >= m.requested_at,
            "occurredAt",
            K::OutOfRange,
            "a cancellation cannot come before the request"
        );
        let event = MediationCancelled {
            mediation_id: c.mediation_id,
            site_id: m.site_id.clone(),
            occurred_at: c.occurred_at,
            reason: c.reason,
        };
        self.decision(StreamId::mediation(c.mediation_id), event)
    }

    fn record_group_activity(&self, c: &RecordGroupActivity) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !c.title.trim().is_empty(),
            "title",
            K::Required,
            "give the activity a title"
        );
        duration(c.duration_minutes, "durationMinutes")?;
        ensure!(
            c.attendees_third_country + c.attendees_other > 0,
            "attendeesThirdCountry",
            K::OutOfRange,
            "a group activity has at least one attendee"
        );
        languages(&c.languages, "languages")?;
        ensure!(
            !c.facilitators.is_empty(),
            "facilitators",
            K::Required,
            "say who led the activity"
        );
        ensure!(
            c.kind != GroupActivityKind::CommunityActivation || !c.associations.is_empty(),
            "associations",
            K::Required,
            "community activation names the associations involved"
        );
        let event = GroupActivityHeld {
            activity_id: c.activity_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            kind: c.kind,
            title: c.title.clone(),
            duration_minutes: c.duration_minutes,
            attendees_third_country: c.attendees_third_country,
            attendees_other: c.attendees_other,
            languages: c.languages.clone(),
            associations: c.associations.clone(),
            facilitators: c.facilitators.clone(),
        };
        self.creation(
            StreamId::group_activity(c.activity_id),
            "activityId",
            "group activity",
            event,
        )
    }

    fn distribute_material(&self, c: &DistributeInformationMaterial) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !c.item.trim().is_empty(),
            "item",
            K::Required,
            "say which material was distributed"
        );
        language(&c.language, "language")?;
        ensure!(
            c.quantity >= 1,
            "quantity",
            K::OutOfRange,
            "at least one copy is distributed"
        );
        let event = InformationMaterialDistributed {
            distribution_id: c.distribution_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            item: c.item.clone(),
            language: c.language.clone(),
            quantity: c.quantity,
            channel: c.channel,
        };
        self.creation(
            StreamId::distribution(c.distribution_id),
            "distributionId",
            "distribution",
            event,
        )
    }

    fn record_survey(&self, c: &RecordSurveyResponse) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !c.scores.is_empty(),
            "scores",
            K::Required,
            "a survey has at least one answer"
        );
        let mut seen = BTreeSet::new();
        for (i, s) in c.scores.iter().enumerate() {
            ensure!(
                (1..=5).contains(&s.score),
                format!("scores[{i}].score"),
                K::OutOfRange,
                "scores go from 1 to 5"
            );
            ensure!(
                seen.insert(s.item),
                format!("scores[{i}].item"),
                K::Duplicate,
                "each item is scored once"
            );
        }
        if let Some(p) = c.person_id {
            self.person_with_consent(p, ConsentScope::SurveyContact)?;
        }
        let event = SatisfactionSurveyCompleted {
            survey_id: c.survey_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            person_id: c.person_id,
            scores: c.scores.clone(),
            helpful_for_integration: c.helpful_for_integration,
            comment: c.comment.clone(),
        };
        self.creation(StreamId::survey(c.survey_id), "surveyId", "survey", event)
    }

    fn write_logbook_entry(&self, c: &WriteLogbookEntry, ctx: &Context) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            c.date <= ctx.now.date_naive(),
            "date",
            K::InFuture,
            "a logbook entry cannot be dated in the future"
        );
        ensure!(
            c.occurred_at.date_naive() >= c.date,
            "occurredAt",
            K::OutOfRange,
            "a logbook entry is written on the day it describes or later"
        );
        ensure!(
            !c.mediator.trim().is_empty(),
            "mediator",
            K::Required,
            "say which mediator writes the entry"
        );
        ensure!(
            ctx.actor.role != Role::Mediator || ctx.actor.id == c.mediator,
            "mediator",
            K::Mismatch,
            "a mediator writes the logbook entry in their own name"
        );
        languages(&c.languages, "languages")?;
        let stream = StreamId::logbook(&c.site_id, c.date);
        if let Some(author) = self.logbook_authors.get(&stream) {
            return reject(
                "date",
                K::AlreadyExists,
                format!(
                    "{author} already wrote the logbook of {} for {}",
                    c.site_id, c.date
                ),
            );
        }
        let event = LogbookEntryWritten {
            site_id: c.site_id.clone(),
            date: c.date,
            occurred_at: c.occurred_at,
            mediator: c.mediator.clone(),
            slot: c.slot,
            contacts: c.contacts,
            languages: c.languages.clone(),
            observations: c.observations.clone(),
            incidents: c.incidents.clone(),
            emerging_needs: c.emerging_needs.clone(),
        };
        self.creation(stream, "date", "logbook entry", event)
    }

    fn erase_person(&self, c: &ErasePerson, ctx: &Context) -> Decided {
        ensure!(
            ctx.actor.role == Role::Supervisor,
            "actor",
            K::NotPermitted,
            "only a supervisor erases a person's data"
        );
        // `person` refuses an erased person with `Erased`: an erasure happens once.
        self.person(c.person_id, "personId")?;
        self.decision(
            StreamId::person(c.person_id),
            PersonErased {
                person_id: c.person_id,
                occurred_at: c.occurred_at,
                reason: c.reason,
            },
        )
    }

    fn record_supervision(&self, c: &RecordSupervisionMeeting, ctx: &Context) -> Decided {
        ensure!(
            matches!(ctx.actor.role, Role::Supervisor | Role::Admin),
            "actor",
            K::NotPermitted,
            "only a supervisor records a supervision meeting"
        );
        duration(c.duration_minutes, "durationMinutes")?;
        ensure!(
            !c.supervisor.trim().is_empty(),
            "supervisor",
            K::Required,
            "say who supervised"
        );
        ensure!(
            !c.attendees.is_empty(),
            "attendees",
            K::Required,
            "say who attended"
        );
        ensure!(
            !c.site_ids.is_empty(),
            "siteIds",
            K::Required,
            "say which sites were discussed"
        );
        for (i, s) in c.site_ids.iter().enumerate() {
            site(s, &format!("siteIds[{i}]"))?;
        }
        for (i, case_id) in c.cases_discussed.iter().enumerate() {
            self.case(*case_id, &format!("casesDiscussed[{i}]"))?;
        }
        for (i, a) in c.actions.iter().enumerate() {
            ensure!(
                !a.owner.trim().is_empty(),
                format!("actions[{i}].owner"),
                K::Required,
                "every action has an owner"
            );
        }
        let event = SupervisionMeetingHeld {
            meeting_id: c.meeting_id,
            occurred_at: c.occurred_at,
            duration_minutes: c.duration_minutes,
            supervisor: c.supervisor.clone(),
            attendees: c.attendees.clone(),
            site_ids: c.site_ids.clone(),
            themes: c.themes.clone(),
            cases_discussed: c.cases_discussed.clone(),
            decisions: c.decisions.clone(),
            actions: c.actions.clone(),
        };
        self.creation(
            StreamId::supervision(c.meeting_id),
            "meetingId",
            "supervision meeting",
            event,
        )
    }

    fn record_checkpoint(&self, c: &RecordCheckpoint, ctx: &Context) -> Decided {
        ensure!(
            matches!(ctx.actor.role, Role::Supervisor | Role::Admin),
            "actor",
            K::NotPermitted,
            "only a supervisor or an administrator signs a checkpoint"
        );
        ensure!(
            c.tree_size > 0,
            "treeSize",
            K::Invalid,
            "the journal is empty: there is nothing to sign yet"
        );
        let hex64 = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        ensure!(
            hex64(&c.root),
            "root",
            K::Invalid,
            "the root is 64 hex digits"
        );
        ensure!(
            hex64(&c.public_key),
            "publicKey",
            K::Invalid,
            "the public key is 64 hex digits"
        );
        ensure!(
            !c.signature.trim().is_empty(),
            "signature",
            K::Required,
            "a checkpoint carries its signature"
        );
        let stream = StreamId::checkpoints();
        Ok(Decision {
            expected: self.expected(&stream),
            stream,
            events: vec![CheckpointSigned {
                occurred_at: c.occurred_at,
                tree_size: c.tree_size,
                root: c.root.clone(),
                public_key: c.public_key.clone(),
                signature: c.signature.clone(),
            }
            .into()],
        })
    }

    fn map_service(&self, c: &MapService, ctx: &Context) -> Decided {
        ensure!(
            !self.services.contains_key(&c.service_id),
            "serviceId",
            K::AlreadyExists,
            "this service is already in the directory"
        );
        description(&c.description, ctx)?;
        let event = ServiceMapped {
            service_id: c.service_id,
            occurred_at: c.occurred_at,
            description: c.description.clone(),
        };
        self.creation(
            StreamId::service(c.service_id),
            "serviceId",
            "service",
            event,
        )
    }

    fn update_service(&self, c: &UpdateService, ctx: &Context) -> Decided {
        self.usable_service(c.service_id, "serviceId")?;
        description(&c.description, ctx)?;
        let event = ServiceUpdated {
            service_id: c.service_id,
            occurred_at: c.occurred_at,
            description: c.description.clone(),
        };
        self.decision(StreamId::service(c.service_id), event)
    }

    fn retire_service(&self, c: &RetireService) -> Decided {
        self.usable_service(c.service_id, "serviceId")?;
        ensure!(
            !c.reason.trim().is_empty(),
            "reason",
            K::Required,
            "say why the service is retired"
        );
        let event = ServiceRetired {
            service_id: c.service_id,
            occurred_at: c.occurred_at,
            reason: c.reason.clone(),
        };
        self.decision(StreamId::service(c.service_id), event)
    }

    fn schedule_site(&self, c: &ScheduleSite, ctx: &Context) -> Decided {
        ensure!(
            matches!(ctx.actor.role, Role::Admin | Role::Supervisor),
            "actor",
            K::NotPermitted,
            "only an admin or a supervisor sets a site's schedule"
        );
        ensure!(
            c.site_id.is_valid(),
            "siteId",
            K::Invalid,
            "a site is a slug of a-z, 0-9 and - (like montelucci-4)"
        );
        ensure!(
            !c.name.trim().is_empty() && c.name.len() <= 200,
            "name",
            K::Required,
            "give the site's name (at most 200 characters)"
        );
        let mut days = c.opening_days.clone();
        days.sort();
        days.dedup();
        ensure!(
            days.len() == c.opening_days.len(),
            "openingDays",
            K::Invalid,
            "a weekday is named twice"
        );
        let event = SiteScheduled {
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            name: c.name.trim().to_string(),
            opening_days: c.opening_days.clone(),
        };
        self.decision(StreamId::site(&c.site_id), event)
    }

    fn correct_event(&self, c: &CorrectEvent) -> Decided {
        let Some(original) = self.events.get(&c.corrects) else {
            return reject("corrects", K::NotFound, "there is no event with this id");
        };
        ensure!(
            original.event_type != "EventCorrected",
            "corrects",
            K::NotCorrectable,
            "a correction is not corrected: correct the original event again"
        );
        ensure!(
            original.event_type != "PersonErased",
            "corrects",
            K::NotCorrectable,
            "an erasure is final and is not corrected"
        );
        ensure!(
            original.event_type != "SiteScheduled",
            "corrects",
            K::NotCorrectable,
            "a site's schedule is not corrected: schedule the site again"
        );
        ensure!(
            !c.reason.trim().is_empty(),
            "reason",
            K::Required,
            "say why the correction is made"
        );
        ensure!(
            !c.fields.is_empty() || !c.personal_fields.is_empty(),
            "fields",
            K::Required,
            "say which fields are corrected"
        );
        let known = self.field_names.get(original.event_type);
        let names = c
            .fields
            .keys()
            .map(|n| (n, false))
            .chain(c.personal_fields.0.keys().map(|n| (n, true)));
        for (name, in_personal) in names {
            let field = if in_personal {
                format!("personalFields.{name}")
            } else {
                format!("fields.{name}")
            };
            ensure!(
                known.is_some_and(|k| k.contains(name)),
                field,
                K::Invalid,
                "{} has no field {name}",
                original.event_type
            );
            ensure!(
                !(name.ends_with("Id") || name.ends_with("Ids")) && name != "date",
                field,
                K::NotCorrectable,
                "{name} says where the event belongs: record a new fact instead"
            );
            let personal = PERSONAL_FIELD_NAMES.contains(&name.as_str());
            ensure!(
                personal == in_personal,
                field,
                K::Invalid,
                "{}",
                if personal {
                    "this field holds personal data: put it in personalFields"
                } else {
                    "this field is not personal data: put it in fields"
                }
            );
        }
        let event = EventCorrected {
            corrects: c.corrects,
            corrected_event_type: original.event_type.to_string(),
            site_id: original.site.map(|ix| self.site_ids[ix as usize].clone()),
            person_id: original.person_id,
            case_id: original.case_id,
            occurred_at: c.occurred_at,
            fields: c.fields.clone(),
            personal_fields: c.personal_fields.clone(),
            reason: c.reason.clone(),
        };
        self.decision(self.stream_ids[original.stream as usize].clone(), event)
    }
}

fn not_in_future(at: DateTime<Utc>, ctx: &Context, field: &str) -> Result<(), Rejection> {
    ensure!(
        at <= ctx.now,
        field,
        K::InFuture,
        "this time is in the future"
    );
    Ok(())
}

impl DeskState {
    /// Refuses a time before the project started (the first site's first schedule), before the
    /// registration of the person the command is about, or before the opening of its case,
    /// naming the bound: a mistyped year (`0099`) is not recorded.
    fn not_before_its_bounds(&self, cmd: &Command, field: &str) -> Result<(), Rejection> {
        let at = cmd.occurred_at();
        let value = serde_json::to_value(cmd).unwrap_or_default();
        let id = |name: &str| -> Option<Ulid> { value.get(name)?.as_str()?.parse().ok() };
        let mut bounds = Vec::new();
        if let Some(start) = self.project_start {
            bounds.push((start, "the project started (its first site schedule)"));
        }
        if let Some(person) = id("personId").and_then(|p| self.persons.get(&PersonId(p))) {
            bounds.push((person.registered_at, "the person was registered"));
        }
        if let Some(case) = id("caseId").and_then(|c| self.cases.get(&CaseId(c))) {
            bounds.push((case.opened_at, "the case was opened"));
        }
        for (bound, what) in bounds {
            ensure!(
                at >= bound,
                field,
                K::OutOfRange,
                "this time ({}) is before {what} ({}); check the date",
                at.format("%Y-%m-%dT%H:%M:%SZ"),
                bound.format("%Y-%m-%dT%H:%M:%SZ")
            );
        }
        Ok(())
    }
}

fn after_opening(case: &CaseState, at: DateTime<Utc>) -> Result<(), Rejection> {
    ensure!(
        at >= case.opened_at,
        "occurredAt",
        K::OutOfRange,
        "this cannot happen before the case was opened"
    );
    Ok(())
}

fn site(id: &SiteId, field: &str) -> Result<(), Rejection> {
    ensure!(
        id.is_valid(),
        field,
        K::Invalid,
        "a site is named by a short lowercase name such as montelucci-4"
    );
    Ok(())
}

fn duration(minutes: u32, field: &str) -> Result<(), Rejection> {
    ensure!(
        minutes >= 1,
        field,
        K::OutOfRange,
        "the duration is at least one minute"
    );
    ensure!(
        minutes < MINUTES_IN_A_DAY,
        field,
        K::TooLong,
        "it lasts less than a day"
    );
    Ok(())
}

fn language(code: &str, field: &str) -> Result<(), Rejection> {
    ensure!(
        is_language_code(code),
        field,
        K::Invalid,
        "use a language code such as ar, uk or ti"
    );
    Ok(())
}

fn languages(codes: &[String], field: &str) -> Result<(), Rejection> {
    ensure!(
        !codes.is_empty(),
        field,
        K::Required,
        "say at least one language"
    );
    for (i, code) in codes.iter().enumerate() {
        language(code, &format!("{field}[{i}]"))?;
    }
    no_duplicates(codes, field)
}

fn countries(codes: &[String], field: &str) -> Result<(), Rejection> {
    ensure!(
        !codes.is_empty(),
        field,
        K::Required,
        "say at least one citizenship"
    );
    for (i, code) in codes.iter().enumerate() {
        ensure!(
            is_country_code(code),
            format!("{field}[{i}]"),
            K::Invalid,
            "use a two-letter country code such as UA or BD"
        );
    }
    no_duplicates(codes, field)
}

fn no_duplicates<T: Ord>(items: &[T], field: &str) -> Result<(), Rejection> {
    let mut seen = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        ensure!(
            seen.insert(item),
            format!("{field}[{i}]"),
            K::Duplicate,
            "this value is given twice"
        );
    }
    Ok(())
}

fn description(d: &ServiceDescription, ctx: &Context) -> Result<(), Rejection> {
    ensure!(
        !d.name.trim().is_empty(),
        "name",
        K::Required,
        "give the service a name"
    );
    ensure!(
        !d.address.trim().is_empty(),
        "address",
        K::Required,
        "give the service's address"
    );
    ensure!(
        d.verified_on <= ctx.now.date_naive(),
        "verifiedOn",
        K::InFuture,
        "a service cannot be verified in the future"
    );
    for (i, code) in d.languages.iter().enumerate() {
        language(code, &format!("languages[{i}]"))?;
    }
    Ok(())
}

/// The day of a time in UTC; handy for callers that group by day.
pub fn utc_day(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}
