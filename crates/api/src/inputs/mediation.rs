//! Inputs about social and intercultural mediation: requests, sessions, cancellations.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use domain::Command;

use super::vocab::*;
use super::*;

/// Records a request for a mediator, on call or scheduled.
#[derive(InputObject)]
pub struct RequestMediationInput {
    /// A new ULID for the mediation, chosen by the client; its sessions and cancellation name it.
    pub mediation_id: ID,
    /// The desk that will provide the mediator: `montelucci-4`.
    pub site_id: ID,
    /// When the request was made: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// ON_CALL or SCHEDULED (a scheduled request gives a slot).
    pub mode: MediationMode,
    /// The service that asked for a mediator (directory ULID, not retired); empty when the desk
    /// itself asked.
    pub requesting_service: Option<ID>,
    /// The registered person concerned, if any (ULID).
    pub person_id: Option<ID>,
    /// The person's open case, if any (ULID; needs `personId`).
    pub case_id: Option<ID>,
    /// Language needed, as an ISO 639 code (`ar`, `uk`, `ti`).
    pub language: String,
    /// Start of the slot: ISO 8601 date-time with offset, not before the request.
    pub slot_start: Option<DateTime<Utc>>,
    /// End of the slot: after its start, less than a day later.
    pub slot_end: Option<DateTime<Utc>>,
}

impl CommandInput for RequestMediationInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            mediation_id,
            site_id,
            occurred_at,
            mode,
            requesting_service,
            person_id,
            case_id,
            language,
            slot_start,
            slot_end,
        } = self;
        Ok(domain::RequestMediation {
            mediation_id: id("mediationId", &mediation_id)?,
            site_id: site(site_id),
            occurred_at,
            mode: mode.into(),
            requesting_service: opt_id("requestingService", requesting_service.as_ref())?,
            person_id: opt_id("personId", person_id.as_ref())?,
            case_id: opt_id("caseId", case_id.as_ref())?,
            language,
            slot_start,
            slot_end,
        }
        .into())
    }
}

/// Records a mediation session held for a request.
#[derive(InputObject)]
pub struct RecordMediationSessionInput {
    /// The mediation request (ULID), not cancelled.
    pub mediation_id: ID,
    /// When the session started: ISO 8601 date-time with offset, not before the request.
    pub started_at: DateTime<Utc>,
    /// When it ended: after the start, less than a day later, not in the future. Mediation
    /// hours are counted from the two.
    pub ended_at: DateTime<Utc>,
    /// The mediator (account id, e.g. `m.rossi`); the token's actor when left out. A mediator
    /// records only their own sessions; a supervisor, anyone's.
    pub mediator: Option<String>,
    /// The two languages bridged.
    pub languages: LanguagePairInput,
    /// Who took part, by role, at least one.
    pub parties: Vec<PartyRole>,
    /// Kind of mediation.
    pub kind: MediationKind,
    /// How the session went.
    pub outcome: SessionOutcome,
    /// Another session or action is needed.
    #[graphql(default)]
    pub follow_up_needed: bool,
    /// Personal data: free-text note on the session.
    /// At most 4,000 characters; no control characters or bidi overrides.
    pub note: Option<String>,
    /// Where it was held (at the desk, a hospital, the *Questura*, a school, by phone).
    pub place: Option<SessionPlace>,
    /// With `followUpNeeded`: the day the follow-up is due by (default: a week after).
    pub follow_up_by: Option<chrono::NaiveDate>,
}

impl CommandInput for RecordMediationSessionInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            mediation_id,
            started_at,
            ended_at,
            mediator,
            languages: LanguagePairInput { from, to },
            parties,
            kind,
            outcome,
            follow_up_needed,
            note,
            place,
            follow_up_by,
        } = self;
        Ok(domain::RecordMediationSession {
            mediation_id: id("mediationId", &mediation_id)?,
            started_at,
            ended_at,
            mediator: mediator.unwrap_or_default(),
            languages: domain::LanguagePair { from, to },
            parties: words(parties),
            kind: kind.into(),
            outcome: outcome.into(),
            follow_up_needed,
            note: note.map(domain::PersonalNote),
            place: place.map(Into::into),
            follow_up_by,
        }
        .into())
    }

    fn default_actor(&mut self, actor: &str) {
        self.mediator.get_or_insert_with(|| actor.to_owned());
    }
}

/// The two languages a mediator bridged.
#[derive(InputObject)]
pub struct LanguagePairInput {
    /// ISO 639 code of the person's language (`ar`).
    pub from: String,
    /// ISO 639 code of the other language (`it`); different from `from`.
    pub to: String,
}

/// Cancels a mediation request.
#[derive(InputObject)]
pub struct CancelMediationInput {
    /// The mediation request (ULID), not already cancelled.
    pub mediation_id: ID,
    /// When it was cancelled: ISO 8601 date-time with offset, not before the request.
    pub occurred_at: DateTime<Utc>,
    /// Why it was cancelled.
    pub reason: CancellationReason,
}

impl CommandInput for CancelMediationInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            mediation_id,
            occurred_at,
            reason,
        } = self;
        Ok(domain::CancelMediation {
            mediation_id: id("mediationId", &mediation_id)?,
            occurred_at,
            reason: reason.into(),
        }
        .into())
    }
}

/// The mutations of this file's inputs (merged into `MutationRoot`).
#[derive(Default)]
pub struct MediationMutations;

#[Object]
impl MediationMutations {
    /// Records a request for mediation, on call or scheduled.
    async fn request_mediation(
        &self,
        ctx: &Context<'_>,
        input: RequestMediationInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records a mediation session held for a request.
    async fn record_mediation_session(
        &self,
        ctx: &Context<'_>,
        input: RecordMediationSessionInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Cancels a mediation request.
    async fn cancel_mediation(
        &self,
        ctx: &Context<'_>,
        input: CancelMediationInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }
}
