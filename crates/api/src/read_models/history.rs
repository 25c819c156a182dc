//! A person's own history: `personHistory`.

use super::*;

/// One fact of a person's own history: what, when, where; the event itself is in the audit
/// trail (`event(id)`, supervisors) under its position.
#[derive(SimpleObject)]
pub struct HistoryEntry {
    /// Journal position of the event.
    pub position: u64,
    /// `IntakeRecorded`, `InterventionDelivered`, `ReferralIssued`, `MediationRequested`,
    /// `MediationSessionHeld` or `MediationCancelled`.
    #[graphql(name = "type")]
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    pub site: Option<String>,
    /// The registration the fact was recorded under: the person's id, or one merged into it.
    pub person_id: Option<ID>,
    pub case_id: Option<ID>,
    /// Who recorded it.
    pub actor_id: String,
}

#[derive(Default)]
pub struct PersonHistoryQuery;

#[Object]
impl PersonHistoryQuery {
    /// A person's own history in journal order: intakes, interventions outside a case,
    /// referrals, mediation requests, sessions and cancellations, for them and every
    /// registration merged into them. `null` for an id the desk does not know and, alike, for a
    /// person of another site than a mediator's own.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn person_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        id: ID,
    ) -> Result<Option<Vec<HistoryEntry>>> {
        let id = PersonId(parse_ulid("id", &id)?);
        let scope = access::site_scope(ctx)?;
        let found = with_models(ctx, as_of, |m| {
            let person = m.person(id)?;
            let kept = person
                .merged_into
                .and_then(|k| m.person(k))
                .unwrap_or(person);
            if !person_in_scope(scope.as_ref(), &kept) {
                return None;
            }
            m.person_history(id)
        })
        .await?;
        let Some(entries) = found else {
            return Ok(None);
        };
        entries
            .into_iter()
            .map(|e| {
                let occurred_at = e.occurred_at.to_datetime().ok_or_else(|| {
                    error::internal(format!(
                        "event at position {} has a time outside the calendar",
                        e.position.0
                    ))
                })?;
                Ok(HistoryEntry {
                    position: e.position.0,
                    event_type: e.event_type,
                    occurred_at,
                    site: e.site.map(|s| s.0),
                    person_id: e.person.map(id_of),
                    case_id: e.case.map(id_of),
                    actor_id: e.actor_id,
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }
}

fn id_of(ulid: impl std::fmt::Display) -> ID {
    id(ulid)
}
