//! Inputs about a case (*presa in carico*), the interventions delivered and the referrals issued.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Command;

use super::vocab::*;
use super::*;

/// Opens a case: the person is taken in charge (needs the SERVICE consent; one open case per
/// person).
#[derive(InputObject)]
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
    /// left out. A mediator opens a case only in their own name; a supervisor, for anyone.
    pub case_worker: Option<String>,
    /// Vulnerabilities that motivate the case, no repeats (special-category data).
    #[graphql(default)]
    pub vulnerabilities: Vec<VulnerabilityCategory>,
    /// Partner services of the integrated case-taking (directory ULIDs, not retired).
    #[graphql(default)]
    pub partner_services: Vec<ID>,
}

impl CommandInput for OpenCaseInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            case_id,
            person_id,
            site_id,
            occurred_at,
            case_worker,
            vulnerabilities,
            partner_services,
        } = self;
        Ok(domain::OpenCase {
            case_id: id("caseId", &case_id)?,
            person_id: id("personId", &person_id)?,
            site_id: site(site_id),
            occurred_at,
            case_worker: case_worker.unwrap_or_default(),
            vulnerabilities: words(vulnerabilities),
            partner_services: ids("partnerServices", &partner_services)?,
        }
        .into())
    }

    fn default_actor(&mut self, actor: &str) {
        self.case_worker.get_or_insert_with(|| actor.to_owned());
    }
}

/// Records the care plan agreed with the person for an open case.
#[derive(InputObject)]
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
    fn into_command(self) -> Result<Command> {
        let Self {
            case_id,
            occurred_at,
            needs,
            goals,
            partner_services,
            review_on,
        } = self;
        Ok(domain::AgreeCarePlan {
            case_id: id("caseId", &case_id)?,
            occurred_at,
            needs: words(needs),
            goals: goals.into_iter().map(domain::PersonalNote).collect(),
            partner_services: ids("partnerServices", &partner_services)?,
            review_on,
        }
        .into())
    }
}

/// Closes an open case.
#[derive(InputObject)]
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
    fn into_command(self) -> Result<Command> {
        let Self {
            case_id,
            occurred_at,
            reason,
            outcome,
            note,
        } = self;
        Ok(domain::CloseCase {
            case_id: id("caseId", &case_id)?,
            occurred_at,
            reason: reason.into(),
            outcome: outcome.into(),
            note: note.map(domain::PersonalNote),
        }
        .into())
    }
}

/// Reopens a closed case (the person must have no other open case).
#[derive(InputObject)]
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
    fn into_command(self) -> Result<Command> {
        let Self {
            case_id,
            occurred_at,
            note,
        } = self;
        Ok(domain::ReopenCase {
            case_id: id("caseId", &case_id)?,
            occurred_at,
            note: note.map(domain::PersonalNote),
        }
        .into())
    }
}

/// Records an intervention delivered to a person (needs the SERVICE consent): orientation,
/// integrated case support, parental support or legal advice.
#[derive(InputObject)]
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
    fn into_command(self) -> Result<Command> {
        let Self {
            intervention_id,
            person_id,
            case_id,
            site_id,
            occurred_at,
            activity,
            mode,
            duration_minutes,
            staff,
            language,
            need,
            service_id,
            legal_topic,
            parental_kind,
            outcome,
            note,
        } = self;
        Ok(domain::RecordIntervention {
            intervention_id: id("interventionId", &intervention_id)?,
            person_id: id("personId", &person_id)?,
            case_id: opt_id("caseId", case_id.as_ref())?,
            site_id: site(site_id),
            occurred_at,
            activity: activity.into(),
            mode: mode.into(),
            duration_minutes,
            staff,
            language,
            need: need.map(Into::into),
            service_id: opt_id("serviceId", service_id.as_ref())?,
            legal_topic: legal_topic.map(Into::into),
            parental_kind: parental_kind.map(Into::into),
            outcome: outcome.into(),
            note: note.map(domain::PersonalNote),
        }
        .into())
    }
}

/// Issues a referral (*invio*) of a person to a territorial service (needs the SERVICE and
/// SHARING consents).
#[derive(InputObject)]
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
    fn into_command(self) -> Result<Command> {
        let Self {
            referral_id,
            person_id,
            case_id,
            site_id,
            occurred_at,
            service_id,
            reason,
            urgency,
            note,
        } = self;
        Ok(domain::IssueReferral {
            referral_id: id("referralId", &referral_id)?,
            person_id: id("personId", &person_id)?,
            case_id: opt_id("caseId", case_id.as_ref())?,
            site_id: site(site_id),
            occurred_at,
            service_id: id("serviceId", &service_id)?,
            reason: reason.into(),
            urgency: urgency.into(),
            note: note.map(domain::PersonalNote),
        }
        .into())
    }
}

/// Records an outcome (*esito*) of a referral; none follows a final one.
#[derive(InputObject)]
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
    fn into_command(self) -> Result<Command> {
        let Self {
            referral_id,
            occurred_at,
            outcome,
            appointment_on,
            note,
        } = self;
        Ok(domain::RecordReferralOutcome {
            referral_id: id("referralId", &referral_id)?,
            occurred_at,
            outcome: outcome.into(),
            appointment_on,
            note: note.map(domain::PersonalNote),
        }
        .into())
    }
}

/// Moves an open case to another case worker, or records the partner service that holds it
/// (*presa in carico* by the service), or both (supervisors).
#[derive(InputObject)]
pub struct TransferCaseInput {
    /// The open case (ULID).
    pub case_id: ID,
    /// When the case moved: ISO 8601 date-time with offset, not before it opened.
    pub occurred_at: DateTime<Utc>,
    /// The case worker who takes the case (account id, e.g. `l.bianchi`), not the one who holds
    /// it now; left out: the same.
    pub case_worker: Option<String>,
    /// The partner service that holds the case from now on; left out: the same.
    pub holding_service: Option<HoldingServiceInput>,
}

/// A partner service that holds a case, with its own reference for it.
#[derive(InputObject)]
pub struct HoldingServiceInput {
    /// The service (directory ULID, not retired).
    pub service_id: ID,
    /// The service's own reference for the case (its file or protocol number), not empty.
    pub reference: String,
}

impl CommandInput for TransferCaseInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            case_id,
            occurred_at,
            case_worker,
            holding_service,
        } = self;
        let holding_service = match holding_service {
            Some(HoldingServiceInput {
                service_id,
                reference,
            }) => Some(domain::HoldingService {
                service_id: id("holdingService.serviceId", &service_id)?,
                reference,
            }),
            None => None,
        };
        Ok(domain::TransferCase {
            case_id: id("caseId", &case_id)?,
            occurred_at,
            case_worker,
            holding_service,
        }
        .into())
    }
}

/// A case conference held on an open case with the partner services that take the person in
/// charge.
#[derive(InputObject)]
pub struct RecordCaseConferenceInput {
    /// The open case (ULID).
    pub case_id: ID,
    /// When the conference was held: ISO 8601 date-time with offset, not in the future, not
    /// before the case opened.
    pub occurred_at: DateTime<Utc>,
    /// The desk's mediator who took part (account id); a mediator: themselves (the default).
    pub mediator: Option<String>,
    /// The services present (directory ULIDs, not retired), at least one, each once.
    pub services: Vec<ID>,
    /// The services' people present (names, roles), as free text: personal data, sealed.
    #[graphql(default)]
    pub participants: Vec<String>,
    /// What was decided: personal data, sealed.
    #[graphql(default)]
    pub decisions: Vec<String>,
    /// The day the services and the desk review the case again (`yyyy-mm-dd`), not before the
    /// conference.
    pub next_review: Option<NaiveDate>,
}

impl CommandInput for RecordCaseConferenceInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            case_id,
            occurred_at,
            mediator,
            services,
            participants,
            decisions,
            next_review,
        } = self;
        Ok(domain::RecordCaseConference {
            case_id: id("caseId", &case_id)?,
            occurred_at,
            mediator: mediator.unwrap_or_default(),
            services: ids("services", &services)?,
            participants: participants.into_iter().map(domain::PersonalNote).collect(),
            decisions: decisions.into_iter().map(domain::PersonalNote).collect(),
            next_review,
        }
        .into())
    }

    fn default_actor(&mut self, actor: &str) {
        self.mediator.get_or_insert_with(|| actor.to_owned());
    }
}

/// The mutations of this file's inputs (merged into `MutationRoot`).
#[derive(Default)]
pub struct CaseMutations;

#[Object]
impl CaseMutations {
    /// Opens a case: the person is taken in charge (*presa in carico*).
    async fn open_case(
        &self,
        ctx: &Context<'_>,
        input: OpenCaseInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records the care plan agreed for an open case.
    async fn agree_care_plan(
        &self,
        ctx: &Context<'_>,
        input: AgreeCarePlanInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Closes an open case with its reason and outcome.
    async fn close_case(
        &self,
        ctx: &Context<'_>,
        input: CloseCaseInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Reopens a closed case.
    async fn reopen_case(
        &self,
        ctx: &Context<'_>,
        input: ReopenCaseInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Moves an open case to another case worker, or records the partner service that holds
    /// it, or both (supervisors). Refused if the case is unknown or closed, if it is already with
    /// that case worker, or if the service is unknown or retired.
    async fn transfer_case(
        &self,
        ctx: &Context<'_>,
        input: TransferCaseInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records a case conference held with the partner services present (activity 2 supports
    /// the services' *presa in carico*). Refused if the case is unknown or closed, if a service
    /// is unknown, retired or named twice, or if a mediator names someone else.
    async fn record_case_conference(
        &self,
        ctx: &Context<'_>,
        input: RecordCaseConferenceInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records an intervention delivered to a person: orientation, integrated case support,
    /// parental support or legal advice.
    async fn record_intervention(
        &self,
        ctx: &Context<'_>,
        input: RecordInterventionInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Issues a referral (*invio*) of a person to a territorial service.
    async fn issue_referral(
        &self,
        ctx: &Context<'_>,
        input: IssueReferralInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records an outcome (*esito*) of a referral.
    async fn record_referral_outcome(
        &self,
        ctx: &Context<'_>,
        input: RecordReferralOutcomeInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }
}
