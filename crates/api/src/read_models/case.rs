//! Cases with their care plan, closure and timeline, and the filter of `cases`.

use super::*;

/// A case file (*cartella sociale*).
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Case {
    pub id: ID,
    /// The person taken in charge (their data: `person(id)`).
    pub person_id: ID,
    pub site: String,
    /// Who holds the case now: the case worker it was opened with, or the one it was moved to
    /// (`transferCase`).
    pub case_worker: String,
    /// The partner service that holds the case, with its own reference, if one was recorded.
    pub holding_service: Option<HoldingService>,
    pub opened_at: DateTime<Utc>,
    /// Journal position of the opening; the cursor of `cases`.
    pub position: u64,
    pub status: CaseStatus,
    pub vulnerabilities: Vec<VulnerabilityCategory>,
    pub partner_service_ids: Vec<ID>,
    /// The latest care plan.
    pub care_plan: Option<CarePlan>,
    /// The latest closure (kept after a reopening).
    pub last_closure: Option<CaseClosure>,
    pub reopen_count: u32,
    /// Every event touching the case, in journal order: the intake before it, its own events,
    /// interventions, referrals and their outcomes, mediations, supervision meetings that
    /// discussed it, corrections.
    pub timeline: Vec<TimelineEntry>,
    #[graphql(skip)]
    pub person: PersonId,
    #[graphql(skip)]
    pub conference_views: Vec<desk::projections::CaseConferenceView>,
}

#[ComplexObject]
impl Case {
    /// The case conferences held with the partner services, in the order recorded. Their texts
    /// are the person's data: reading them is recorded in the read audit.
    async fn conferences(&self, ctx: &Context<'_>) -> Result<Vec<CaseConference>> {
        if !self.conference_views.is_empty() {
            access::note_read(
                ctx,
                self.person,
                [
                    "conferences.participants".to_owned(),
                    "conferences.decisions".to_owned(),
                ],
            )?;
        }
        Ok(self
            .conference_views
            .iter()
            .cloned()
            .map(CaseConference::from)
            .collect())
    }
}

/// A case conference (*riunione di rete*) held with the partner services present.
#[derive(SimpleObject, Clone)]
pub struct CaseConference {
    pub event_id: ID,
    pub position: u64,
    pub occurred_at: DateTime<Utc>,
    /// The desk's mediator who took part.
    pub mediator: String,
    /// The services present (`services`).
    pub service_ids: Vec<ID>,
    /// The services' people present (`[erased]` once the person is erased).
    pub participants: Vec<String>,
    pub decisions: Vec<String>,
    /// When the case is reviewed again, if a day was fixed.
    pub next_review: Option<NaiveDate>,
}

impl From<desk::projections::CaseConferenceView> for CaseConference {
    fn from(v: desk::projections::CaseConferenceView) -> Self {
        CaseConference {
            event_id: id(v.event_id),
            position: v.position.0,
            occurred_at: v.occurred_at,
            mediator: v.mediator,
            service_ids: ids(&v.services),
            participants: v.participants.into_iter().map(|n| n.0).collect(),
            decisions: v.decisions.into_iter().map(|n| n.0).collect(),
            next_review: v.next_review,
        }
    }
}

/// A partner service that holds a case (*presa in carico* by the service).
#[derive(SimpleObject, Clone)]
pub struct HoldingService {
    /// The service (`services`).
    pub service_id: ID,
    /// The service's own reference for the case.
    pub reference: String,
}

#[derive(SimpleObject, Clone)]
pub struct CarePlan {
    pub agreed_at: DateTime<Utc>,
    pub needs: Vec<NeedArea>,
    pub review_on: Option<NaiveDate>,
}

#[derive(SimpleObject, Clone)]
pub struct CaseClosure {
    pub closed_at: DateTime<Utc>,
    pub reason: ClosureReason,
    pub outcome: CaseOutcome,
}

/// One event in a case's timeline.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct TimelineEntry {
    pub position: u64,
    pub event_id: ID,
    /// The event type (`CaseOpened`).
    #[graphql(name = "type")]
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
}

#[ComplexObject]
impl TimelineEntry {
    /// The event itself, read from the journal.
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<EventNode>> {
        let desk = ctx.data::<Desk>()?;
        Ok(desk
            .journal()
            .get(Position(self.position))
            .map_err(error::from_journal)?
            .map(EventNode::new))
    }
}

impl From<desk::projections::CaseView> for Case {
    fn from(v: desk::projections::CaseView) -> Self {
        Case {
            id: id(v.id),
            person_id: id(v.person),
            site: v.site.0,
            case_worker: v.case_worker,
            holding_service: v.holding_service.map(|h| HoldingService {
                service_id: id(h.service_id),
                reference: h.reference,
            }),
            opened_at: v.opened_at,
            position: v.position.0,
            status: v.status.into(),
            vulnerabilities: words(&v.vulnerabilities),
            partner_service_ids: ids(&v.partner_services),
            care_plan: v.plan_agreed_at.map(|agreed_at| CarePlan {
                agreed_at,
                needs: words(&v.plan_needs),
                review_on: v.plan_review_on,
            }),
            last_closure: match (v.closed_at, v.closure_reason, v.closure_outcome) {
                (Some(closed_at), Some(reason), Some(outcome)) => Some(CaseClosure {
                    closed_at,
                    reason: reason.into(),
                    outcome: outcome.into(),
                }),
                _ => None,
            },
            reopen_count: v.reopen_count,
            person: v.person,
            conference_views: v.conferences,
            timeline: v
                .timeline
                .into_iter()
                .map(|t| TimelineEntry {
                    position: t.position.0,
                    event_id: id(t.event_id),
                    event_type: t.event_type.to_string(),
                    occurred_at: t.occurred_at,
                })
                .collect(),
        }
    }
}

/// Which cases to list; every field given must match.
#[derive(InputObject, Default)]
pub struct CaseFilter {
    /// Site slug (`montelucci-4`).
    pub site: Option<String>,
    pub status: Option<CaseStatus>,
    pub case_worker: Option<String>,
    pub person_id: Option<ID>,
    /// Opened on or after this day (UTC).
    pub opened_from: Option<NaiveDate>,
    /// Opened on or before this day (UTC).
    pub opened_to: Option<NaiveDate>,
}

impl CaseFilter {
    pub(super) fn parse(&self) -> Result<desk::projections::CaseFilter> {
        Ok(desk::projections::CaseFilter {
            site: opt(&self.site, |s| parse_site("site", s))?,
            status: self.status.map(Into::into),
            operator: self.case_worker.clone(),
            person: opt_id::<PersonId>("personId", &self.person_id)?,
            opened_in: open_period(self.opened_from, self.opened_to)?,
        })
    }
}
