//! Inputs about social and intercultural mediation: requests, sessions, cancellations.

use async_graphql::{InputObject, ID};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::vocab::*;
use super::{CommandInput, Ids};

/// Records a request for a mediator, on call or scheduled.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
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
    const COMMAND: &'static str = "RequestMediation";

    fn ids(&self) -> Ids<'_> {
        Ids::default()
            .id("mediationId", &self.mediation_id)
            .opt("requestingService", &self.requesting_service)
            .opt("personId", &self.person_id)
            .opt("caseId", &self.case_id)
    }
}

/// Records a mediation session held for a request.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordMediationSessionInput {
    /// The mediation request (ULID), not cancelled.
    pub mediation_id: ID,
    /// When the session started: ISO 8601 date-time with offset, not before the request.
    pub started_at: DateTime<Utc>,
    /// When it ended: after the start, less than a day later, not in the future. Mediation
    /// hours are counted from the two.
    pub ended_at: DateTime<Utc>,
    /// The mediator (account id, e.g. `m.rossi`); the token's actor when left out.
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
}

impl CommandInput for RecordMediationSessionInput {
    const COMMAND: &'static str = "RecordMediationSession";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("mediationId", &self.mediation_id)
    }

    fn default_actor(&mut self, actor: &str) {
        self.mediator.get_or_insert_with(|| actor.to_owned());
    }
}

/// The two languages a mediator bridged.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LanguagePairInput {
    /// ISO 639 code of the person's language (`ar`).
    pub from: String,
    /// ISO 639 code of the other language (`it`); different from `from`.
    pub to: String,
}

/// Cancels a mediation request.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelMediationInput {
    /// The mediation request (ULID), not already cancelled.
    pub mediation_id: ID,
    /// When it was cancelled: ISO 8601 date-time with offset, not before the request.
    pub occurred_at: DateTime<Utc>,
    /// Why it was cancelled.
    pub reason: CancellationReason,
}

impl CommandInput for CancelMediationInput {
    const COMMAND: &'static str = "CancelMediation";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("mediationId", &self.mediation_id)
    }
}
