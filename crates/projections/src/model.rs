//! The [`ReadModels`] that holds every read model's rows (each row, view and fold is in the file of
//! its read model: `person.rs`, `case.rs`, ...), and the indices of their tables.

use domain::*;
use journal::Position;
use ulid::Ulid;

use crate::audit::AuditIndex;
use crate::index::RowOrder;
use crate::period::SiteSchedule;
use crate::sym::{Keys, Symbols};
use crate::table::{Map, Table};

pub(crate) use crate::activity::*;
pub(crate) use crate::apply::len_ix;
pub(crate) use crate::calendar::AppointmentRow;
pub(crate) use crate::case::*;
pub(crate) use crate::logbook::*;
pub(crate) use crate::mediation::*;
pub(crate) use crate::person::*;
pub(crate) use crate::referral::*;
pub(crate) use crate::service::*;
pub(crate) use crate::supervision::*;

/// Index of a person, case, ... in its table.
pub(crate) type Ix = u32;
/// No index.
pub(crate) const NO_IX: Ix = u32::MAX;

/// Every read model, folded from the journal up to [`ReadModels::position`].
///
/// `Clone` costs the same whatever the history's length: the tables share structure (`table.rs`),
/// and a change copies only the path to what it changes, so a clone keeps answering as of the
/// position it was taken at however far the models it was taken from are folded on, and what
/// the two hold apart is what changed since. The survey definitions, few and bounded, are copied.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct ReadModels {
    pub(crate) position: Position,
    pub(crate) undecodable: u64,
    /// Corrections naming an event this fold does not know (or one without a row).
    pub(crate) corrections_unmatched: u64,
    pub(crate) schedule: SiteSchedule,
    pub(crate) syms: Symbols,
    pub(crate) audit: AuditIndex,
    pub(crate) person_keys: Keys<PersonId>,
    pub(crate) persons: Table<PersonRow>,
    pub(crate) case_keys: Keys<CaseId>,
    pub(crate) cases: Table<Option<CaseRow>>,
    /// The cases in the order they were opened (the pages of `cases`).
    pub(crate) case_order: RowOrder,
    pub(crate) referral_keys: Keys<ReferralId>,
    pub(crate) referrals: Table<Option<ReferralRow>>,
    /// The referrals in the order they were issued.
    pub(crate) referral_order: RowOrder,
    pub(crate) mediation_keys: Keys<MediationId>,
    pub(crate) mediations: Table<Option<MediationRow>>,
    /// The mediation requests in the order they were made.
    pub(crate) request_order: RowOrder,
    pub(crate) service_keys: Keys<ServiceId>,
    pub(crate) services: Table<Option<ServiceRow>>,
    pub(crate) intakes: Table<IntakeRow>,
    pub(crate) interventions: Table<InterventionRow>,
    pub(crate) sessions: Table<SessionRow>,
    /// The sessions in journal order, per site.
    pub(crate) session_order: RowOrder,
    pub(crate) groups: Table<GroupRow>,
    /// Information material distributed (`report/facts.rs` reads it).
    pub(crate) materials: Table<crate::report::MaterialRow>,
    pub(crate) surveys: Table<SurveyRow>,
    /// Survey definitions' versions as recorded (`survey.rs`).
    pub(crate) survey_definitions: Vec<domain::SurveyDefined>,
    pub(crate) logbook: Table<LogbookRow>,
    pub(crate) meetings: Table<MeetingRow>,
    pub(crate) appointment_keys: Keys<AppointmentId>,
    pub(crate) appointments: Table<Option<AppointmentRow>>,
    /// Where the row of each event lives, for corrections.
    pub(crate) targets: Map<Ulid, (Target, Position)>,
}

impl Default for ReadModels {
    fn default() -> Self {
        ReadModels::with_schedule(SiteSchedule::default())
    }
}

impl ReadModels {
    /// Empty models with the given opening days.
    pub fn with_schedule(schedule: SiteSchedule) -> Self {
        ReadModels {
            position: Position::ZERO,
            undecodable: 0,
            corrections_unmatched: 0,
            schedule,
            syms: Symbols::default(),
            audit: AuditIndex::default(),
            person_keys: Keys::default(),
            persons: Table::new(),
            case_keys: Keys::default(),
            cases: Table::new(),
            case_order: RowOrder::default(),
            referral_keys: Keys::default(),
            referrals: Table::new(),
            referral_order: RowOrder::default(),
            mediation_keys: Keys::default(),
            mediations: Table::new(),
            request_order: RowOrder::default(),
            service_keys: Keys::default(),
            services: Table::new(),
            intakes: Table::new(),
            interventions: Table::new(),
            sessions: Table::new(),
            session_order: RowOrder::default(),
            groups: Table::new(),
            materials: Table::new(),
            surveys: Table::new(),
            survey_definitions: Vec::new(),
            logbook: Table::new(),
            meetings: Table::new(),
            appointment_keys: Keys::default(),
            appointments: Table::new(),
            targets: Map::default(),
        }
    }

    /// The position of the last event applied; [`Position::ZERO`] before any.
    pub fn position(&self) -> Position {
        self.position
    }

    /// How many events could not be decoded (passed to `apply_undecodable`).
    pub fn undecodable_count(&self) -> u64 {
        self.undecodable
    }

    /// How many corrections named an event this fold has no row for.
    pub fn unmatched_corrections(&self) -> u64 {
        self.corrections_unmatched
    }

    pub fn schedule(&self) -> &SiteSchedule {
        &self.schedule
    }

    /// Replaces the opening days; they only affect queries, so no refold is needed.
    pub fn set_schedule(&mut self, schedule: SiteSchedule) {
        self.schedule = schedule;
    }

    pub(crate) fn person_ix(&mut self, id: PersonId) -> Ix {
        let (ix, new) = self.person_keys.insert(id);
        if new {
            self.persons.push_back(PersonRow {
                id,
                profile: None,
                vulnerabilities: 0,
                assessed_at: None,
                consents: 0,
                last_intake: None,
                merged_into: NO_IX,
                taken_on: Vec::new(),
            });
        }
        ix
    }

    /// The person a row counts as: the end of its chain of merges (itself if never merged).
    /// The domain refuses a merge into a merged registration, so a chain has no loop; the bound
    /// keeps a damaged journal from looping all the same.
    pub(crate) fn kept(&self, mut ix: Ix) -> Ix {
        for _ in 0..self.persons.len() {
            match self.persons.get(ix as usize).map(|p| p.merged_into) {
                Some(next) if next != NO_IX => ix = next,
                _ => break,
            }
        }
        ix
    }

    pub(crate) fn case_ix(&mut self, id: CaseId) -> Ix {
        let (ix, new) = self.case_keys.insert(id);
        if new {
            self.cases.push_back(None);
        }
        ix
    }

    pub(crate) fn referral_ix(&mut self, id: ReferralId) -> Ix {
        let (ix, new) = self.referral_keys.insert(id);
        if new {
            self.referrals.push_back(None);
        }
        ix
    }

    pub(crate) fn mediation_ix(&mut self, id: MediationId) -> Ix {
        let (ix, new) = self.mediation_keys.insert(id);
        if new {
            self.mediations.push_back(None);
        }
        ix
    }

    pub(crate) fn appointment_ix(&mut self, id: AppointmentId) -> Ix {
        let (ix, new) = self.appointment_keys.insert(id);
        if new {
            self.appointments.push_back(None);
        }
        ix
    }

    pub(crate) fn service_ix(&mut self, id: ServiceId) -> Ix {
        let (ix, new) = self.service_keys.insert(id);
        if new {
            self.services.push_back(None);
        }
        ix
    }
}

/// Which row an event made, so that a correction can find it.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) enum Target {
    Person(Ix),
    Assessment(Ix),
    Intake(Ix),
    CaseOpened(Ix),
    CarePlan(Ix),
    CaseClosed(Ix),
    CaseReopened(Ix),
    Intervention(Ix),
    Referral(Ix),
    ReferralOutcome(Ix, u32),
    Mediation(Ix),
    Session(Ix),
    Cancellation(Ix),
    Group(Ix),
    Survey(Ix),
    Logbook(Ix),
    Meeting(Ix),
    ServiceDescription(Ix),
    ServiceRetired(Ix),
}
