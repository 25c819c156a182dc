//! Inputs about a case (*presa in carico*), the interventions delivered and the referrals issued.

use async_graphql::{InputObject, ID};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::vocab::*;
use super::{CommandInput, Ids};

/// Opens a case: the person is taken in charge (needs the SERVICE consent; one open case per
/// person).
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenCaseInput {
    /// A new ULID for the case, chosen by the client.
    pub case_id: ID,
    /// The registered person taken in charge (ULID).
    pub person_id: ID,
    /// The desk holding the case: `montelucci-4`.
    pub site_id: ID,
    /// When the case was opened: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// The operator who holds the case (account id, e.g. `m.rossi`); the token's actor when
    /// left out.
    pub case_worker: Option<String>,
    /// Vulnerabilities that motivate the case, no repeats (special-category data).
    #[graphql(default)]
    pub vulnerabilities: Vec<VulnerabilityCategory>,
    /// Partner services of the integrated case-taking (directory ULIDs, not retired).
    #[graphql(default)]
    pub partner_services: Vec<ID>,
}

impl CommandInput for OpenCaseInput {
    const COMMAND: &'static str = "OpenCase";

    fn ids(&self) -> Ids<'_> {
        Ids::default()
            .id("caseId", &self.case_id)
            .id("personId", &self.person_id)
            .list("partnerServices", &self.partner_services)
    }

    fn default_actor(&mut self, actor: &str) {
        self.case_worker.get_or_insert_with(|| actor.to_owned());
    }
}

/// Records the care plan agreed with the person for an open case.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgreeCarePlanInput {
    /// The open case (ULID).
    pub case_id: ID,
    /// When the plan was agreed: ISO 8601 date-time with offset, not before the case opened.
    pub occurred_at: DateTime<Utc>,
    /// Areas of need the plan addresses, at least one.
    pub needs: Vec<NeedArea>,
    /// Personal data: the goals agreed, one free-text line each.
    /// At most 4,000 characters a line; no control characters or bidi overrides.
    #[graphql(default)]
    pub goals: Vec<String>,
    /// Partner services involved (directory ULIDs, not retired).
    #[graphql(default)]
    pub partner_services: Vec<ID>,
    /// Day the plan is reviewed (`yyyy-mm-dd`), after the day it is agreed.
    pub review_on: NaiveDate,
}

impl CommandInput for AgreeCarePlanInput {
    const COMMAND: &'static str = "AgreeCarePlan";

    fn ids(&self) -> Ids<'_> {
        Ids::default()
            .id("caseId", &self.case_id)
            .list("partnerServices", &self.partner_services)
    }
}

/// Closes an open case.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloseCaseInput {
    /// The open case (ULID).
    pub case_id: ID,
    /// When the case was closed: ISO 8601 date-time with offset, not before it opened.
    pub occurred_at: DateTime<Utc>,
    /// Why the case is closed.
    pub reason: ClosureReason,
    /// How the case ended.
    pub outcome: CaseOutcome,
    /// Personal data: free-text closing note.
    /// At most 4,000 characters; no control characters or bidi overrides.
    pub note: Option<String>,
}

impl CommandInput for CloseCaseInput {
    const COMMAND: &'static str = "CloseCase";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("caseId", &self.case_id)
    }
}

/// Reopens a closed case (the person must have no other open case).
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReopenCaseInput {
    /// The closed case (ULID).
    pub case_id: ID,
    /// When the case was reopened: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// Personal data: free-text note on why the case is reopened.
    /// At most 4,000 characters; no control characters or bidi overrides.
    pub note: Option<String>,
}

impl CommandInput for ReopenCaseInput {
    const COMMAND: &'static str = "ReopenCase";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("caseId", &self.case_id)
    }
}

/// Records an intervention delivered to a person (needs the SERVICE consent): orientation,
/// integrated case support, parental support or legal advice.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordInterventionInput {
    /// A new ULID for the intervention, chosen by the client.
    pub intervention_id: ID,
    /// The registered person served (ULID).
    pub person_id: ID,
    /// The person's open case, if delivered within it (ULID); required for
    /// INTEGRATED_CASE_SUPPORT.
    pub case_id: Option<ID>,
    /// The desk that delivered it: `montelucci-4`.
    pub site_id: ID,
    /// When it was delivered: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// Which activity of the desk.
    pub activity: Activity,
    /// How it was delivered.
    pub mode: InterventionMode,
    /// Length in minutes (1 to 1439).
    pub duration_minutes: u32,
    /// Operators who delivered it (account ids), at least one.
    pub staff: Vec<String>,
    /// Language used, as an ISO 639 code (`ar`, `uk`, `it`).
    pub language: String,
    /// The area of need addressed.
    pub need: Option<NeedArea>,
    /// The service the person was oriented to, or the partner service supported (directory
    /// ULID, not retired); required for INTEGRATED_CASE_SUPPORT.
    pub service_id: Option<ID>,
    /// Topic of the advice; required for LEGAL_ADVICE.
    pub legal_topic: Option<LegalTopic>,
    /// Kind of support; required for PARENTAL_SUPPORT.
    pub parental_kind: Option<ParentalSupportKind>,
    /// How it ended.
    pub outcome: InterventionOutcome,
    /// Personal data: free-text note on the intervention.
    /// At most 4,000 characters; no control characters or bidi overrides.
    pub note: Option<String>,
}

impl CommandInput for RecordInterventionInput {
    const COMMAND: &'static str = "RecordIntervention";

    fn ids(&self) -> Ids<'_> {
        Ids::default()
            .id("interventionId", &self.intervention_id)
            .id("personId", &self.person_id)
            .opt("caseId", &self.case_id)
            .opt("serviceId", &self.service_id)
    }
}

/// Issues a referral (*invio*) of a person to a territorial service (needs the SERVICE and
/// SHARING consents).
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueReferralInput {
    /// A new ULID for the referral, chosen by the client.
    pub referral_id: ID,
    /// The registered person referred (ULID).
    pub person_id: ID,
    /// The person's open case, if issued within it (ULID).
    pub case_id: Option<ID>,
    /// The desk issuing it: `montelucci-4`.
    pub site_id: ID,
    /// When it was issued: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// The service the person is referred to (directory ULID, not retired).
    pub service_id: ID,
    /// Why: the area of need.
    pub reason: NeedArea,
    /// How soon the service should act.
    pub urgency: Urgency,
    /// Personal data: free-text note for the receiving service.
    /// At most 4,000 characters; no control characters or bidi overrides.
    pub note: Option<String>,
}

impl CommandInput for IssueReferralInput {
    const COMMAND: &'static str = "IssueReferral";

    fn ids(&self) -> Ids<'_> {
        Ids::default()
            .id("referralId", &self.referral_id)
            .id("personId", &self.person_id)
            .opt("caseId", &self.case_id)
            .id("serviceId", &self.service_id)
    }
}

/// Records an outcome (*esito*) of a referral; none follows a final one.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordReferralOutcomeInput {
    /// The referral (ULID).
    pub referral_id: ID,
    /// When the outcome was learnt: ISO 8601 date-time with offset, not before the referral.
    pub occurred_at: DateTime<Utc>,
    /// The outcome.
    pub outcome: ReferralOutcome,
    /// Day of the appointment (`yyyy-mm-dd`); required for APPOINTMENT_SET, not before the day
    /// it was set.
    pub appointment_on: Option<NaiveDate>,
    /// Personal data: free-text note on the outcome.
    /// At most 4,000 characters; no control characters or bidi overrides.
    pub note: Option<String>,
}

impl CommandInput for RecordReferralOutcomeInput {
    const COMMAND: &'static str = "RecordReferralOutcome";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("referralId", &self.referral_id)
    }
}
