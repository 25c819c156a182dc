//! Persons and sites: a fact about a person is recorded at a site that registered them or took
//! them on (`TakeOnPerson`), and a person of another site is refused exactly as an unknown one,
//! so that a refusal never tells whether an id exists elsewhere.

use super::*;

/// The person a command records a fact about at its own site, if any. One arm per command, no
/// catch-all: a new command says whether it names a person at a site.
fn person_at_site(cmd: &Command) -> Option<(PersonId, &SiteId)> {
    match cmd {
        Command::GiveConsent(c) => Some((c.person_id, &c.site_id)),
        Command::WithdrawConsent(c) => Some((c.person_id, &c.site_id)),
        Command::AssessVulnerability(c) => Some((c.person_id, &c.site_id)),
        Command::RecordIntake(c) => Some((c.person_id, &c.site_id)),
        Command::OpenCase(c) => Some((c.person_id, &c.site_id)),
        Command::RecordIntervention(c) => Some((c.person_id, &c.site_id)),
        Command::IssueReferral(c) => Some((c.person_id, &c.site_id)),
        Command::RequestMediation(c) => c.person_id.map(|p| (p, &c.site_id)),
        Command::RecordSurveyResponse(c) => c.person_id.map(|p| (p, &c.site_id)),
        // A registration creates the person; taking on is how another site comes in; the rest
        // act on a record of their own site, or on no person, or belong to no site.
        Command::RegisterPerson(_)
        | Command::TakeOnPerson(_)
        | Command::AgreeCarePlan(_)
        | Command::CloseCase(_)
        | Command::ReopenCase(_)
        | Command::RecordReferralOutcome(_)
        | Command::RecordMediationSession(_)
        | Command::CancelMediation(_)
        | Command::RecordGroupActivity(_)
        | Command::DistributeInformationMaterial(_)
        | Command::WriteLogbookEntry(_)
        | Command::CommentLogbookEntry(_)
        | Command::RedactText(_)
        | Command::RecordSupervisionMeeting(_)
        | Command::RecordCheckpoint(_)
        | Command::MapService(_)
        | Command::UpdateService(_)
        | Command::RetireService(_)
        | Command::ScheduleSite(_)
        | Command::CorrectEvent(_)
        | Command::ErasePerson(_)
        | Command::MergePersons(_) => None,
    }
}

/// What an unknown person and a person of another site both answer.
const NOT_AT_THIS_SITE: &str = "this person is not registered at this site: search for them, \
     and take them on if they were registered at another site";

impl DeskState {
    /// Refuses a command about a person the command's site neither registered nor took on, in
    /// the same words as for an id nobody registered.
    pub(super) fn person_of_the_site(&self, cmd: &Command) -> Result<(), Rejection> {
        let Some((person, site)) = person_at_site(cmd) else {
            return Ok(());
        };
        match self.persons.get(&person) {
            Some(p) if p.site_id == *site || p.taken_on.contains(site) => Ok(()),
            Some(_) | None => reject("personId", K::NotFound, NOT_AT_THIS_SITE),
        }
    }

    pub(super) fn take_on_person(&self, c: &TakeOnPerson) -> Decided {
        site(&c.site_id, "siteId")?;
        let p = self.person(c.person_id, "personId")?;
        ensure!(
            p.site_id != c.site_id && !p.taken_on.contains(&c.site_id),
            "siteId",
            K::AlreadyExists,
            "this person is already a person of this site"
        );
        self.decision(
            StreamId::person(c.person_id),
            PersonTakenOn {
                person_id: c.person_id,
                site_id: c.site_id.clone(),
                occurred_at: c.occurred_at,
            },
        )
    }
}
