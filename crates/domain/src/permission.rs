//! Who may send each command, and which site its fact belongs to.
//!
//! Both decide who may act, so both are one arm per command with no catch-all: a new command
//! does not compile until it says who may send it (deny by default: a role not named is refused)
//! and where its fact belongs. The HTTP layer asks these; the rules of the facts themselves stay
//! in [`DeskState::decide`](crate::DeskState::decide).

use crate::command::Command;
use crate::ids::SiteId;
use crate::state::DeskState;
use crate::vocab::Role;

/// The site's facts: mediators (of that site) and supervisors.
const SITE_STAFF: &[Role] = &[Role::Mediator, Role::Supervisor];
/// Supervision, erasures and merges.
const SUPERVISORS: &[Role] = &[Role::Supervisor];
/// The service directory and the sites' schedules.
const DIRECTORY_KEEPERS: &[Role] = &[Role::Supervisor, Role::Admin];
/// Nobody sends it: the desk records it itself.
const NOBODY: &[Role] = &[];

impl Command {
    /// The roles that may send this command. A `RecordCheckpoint` is sent by nobody: the desk
    /// records it when it signs with its own key (`Desk::sign_checkpoint`). Evaluators send
    /// nothing.
    pub fn roles(&self) -> &'static [Role] {
        match self {
            Command::RegisterPerson(_)
            | Command::GiveConsent(_)
            | Command::WithdrawConsent(_)
            | Command::AssessVulnerability(_)
            | Command::RecordIntake(_)
            | Command::OpenCase(_)
            | Command::AgreeCarePlan(_)
            | Command::CloseCase(_)
            | Command::ReopenCase(_)
            | Command::RecordIntervention(_)
            | Command::IssueReferral(_)
            | Command::RecordReferralOutcome(_)
            | Command::RequestMediation(_)
            | Command::RecordMediationSession(_)
            | Command::CancelMediation(_)
            | Command::RecordGroupActivity(_)
            | Command::DistributeInformationMaterial(_)
            | Command::RecordSurveyResponse(_)
            | Command::WriteLogbookEntry(_)
            | Command::CorrectEvent(_)
            | Command::TakeOnPerson(_) => SITE_STAFF,
            Command::RecordSupervisionMeeting(_)
            | Command::CommentLogbookEntry(_)
            | Command::RedactText(_)
            | Command::ErasePerson(_)
            | Command::MergePersons(_) => SUPERVISORS,
            Command::MapService(_)
            | Command::UpdateService(_)
            | Command::RetireService(_)
            | Command::ScheduleSite(_) => DIRECTORY_KEEPERS,
            Command::RecordCheckpoint(_) => NOBODY,
        }
    }

    /// `true` when `role` may send this command ([`Command::roles`]).
    pub fn permits(&self, role: Role) -> bool {
        self.roles().contains(&role)
    }
}

/// Where the fact a command records belongs, as the state knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// The fact belongs to this site: the command names it, or the record it acts on has it.
    Site(SiteId),
    /// The fact belongs to no one site: the directory, supervision (several sites), an erasure,
    /// a checkpoint, or a correction of such a fact.
    NoSite,
    /// The record it acts on is not known (the decision refuses the command).
    Unknown,
}

impl DeskState {
    /// Where the fact `cmd` records belongs: its own `siteId`, or the site of the case,
    /// referral, mediation or event it acts on.
    pub fn placement(&self, cmd: &Command) -> Placement {
        let own = |site: &SiteId| Placement::Site(site.clone());
        let known = |site: Option<&SiteId>| site.map_or(Placement::Unknown, own);
        match cmd {
            Command::RegisterPerson(c) => own(&c.site_id),
            Command::GiveConsent(c) => own(&c.site_id),
            Command::WithdrawConsent(c) => own(&c.site_id),
            Command::AssessVulnerability(c) => own(&c.site_id),
            Command::RecordIntake(c) => own(&c.site_id),
            Command::OpenCase(c) => own(&c.site_id),
            Command::RecordIntervention(c) => own(&c.site_id),
            Command::IssueReferral(c) => own(&c.site_id),
            Command::RequestMediation(c) => own(&c.site_id),
            Command::RecordGroupActivity(c) => own(&c.site_id),
            Command::DistributeInformationMaterial(c) => own(&c.site_id),
            Command::RecordSurveyResponse(c) => own(&c.site_id),
            Command::WriteLogbookEntry(c) => own(&c.site_id),
            Command::ScheduleSite(c) => own(&c.site_id),
            Command::TakeOnPerson(c) => own(&c.site_id),
            Command::AgreeCarePlan(c) => known(self.case_site(c.case_id)),
            Command::CloseCase(c) => known(self.case_site(c.case_id)),
            Command::ReopenCase(c) => known(self.case_site(c.case_id)),
            Command::RecordReferralOutcome(c) => known(self.referral_site(c.referral_id)),
            Command::RecordMediationSession(c) => known(self.mediation_site(c.mediation_id)),
            Command::CancelMediation(c) => known(self.mediation_site(c.mediation_id)),
            Command::CorrectEvent(c) => self.placement_of_event(c.corrects),
            Command::CommentLogbookEntry(c) => self.placement_of_event(c.entry_id),
            Command::RedactText(c) => self.placement_of_event(c.event_id),
            Command::RecordSupervisionMeeting(_)
            | Command::RecordCheckpoint(_)
            | Command::MapService(_)
            | Command::UpdateService(_)
            | Command::RetireService(_)
            | Command::ErasePerson(_)
            | Command::MergePersons(_) => Placement::NoSite,
        }
    }

    /// Where a command acting on a recorded event belongs: that event's site.
    fn placement_of_event(&self, id: ulid::Ulid) -> Placement {
        match self.event_site(id) {
            None => Placement::Unknown,
            Some(None) => Placement::NoSite,
            Some(Some(site)) => Placement::Site(site.clone()),
        }
    }
}
