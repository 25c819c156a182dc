//! Mediation requests and sessions, and the filter of `mediations`.

use super::*;

/// A request for mediation, on call or scheduled.
#[derive(SimpleObject, Clone)]
pub struct MediationRequest {
    pub id: ID,
    pub site: String,
    pub requested_at: DateTime<Utc>,
    /// Journal position of the request; the cursor of `requests`.
    pub position: u64,
    /// On call or scheduled.
    pub mode: MediationMode,
    /// The service that asked; `null` when the desk itself asked.
    pub requesting_service_id: Option<ID>,
    pub person_id: Option<ID>,
    pub case_id: Option<ID>,
    /// The language asked for (ISO 639).
    pub language: String,
    pub slot_start: Option<DateTime<Utc>>,
    pub slot_end: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancellation_reason: Option<CancellationReason>,
    pub session_count: u32,
    /// Whole minutes of its sessions.
    pub duration_minutes: u64,
}

impl From<desk::projections::MediationRequestView> for MediationRequest {
    fn from(v: desk::projections::MediationRequestView) -> Self {
        MediationRequest {
            id: id(v.id),
            site: v.site.0,
            requested_at: v.requested_at,
            position: v.position.0,
            mode: v.mode.into(),
            requesting_service_id: v.requesting_service.map(id),
            person_id: v.person.map(id),
            case_id: v.case.map(id),
            language: v.language,
            slot_start: v.slot_start,
            slot_end: v.slot_end,
            cancelled_at: v.cancelled_at,
            cancellation_reason: v.cancellation_reason.map(Into::into),
            session_count: v.session_count,
            duration_minutes: v.duration_minutes,
        }
    }
}

/// A mediation session held.
#[derive(SimpleObject, Clone)]
pub struct MediationSession {
    /// The request the session serves.
    pub mediation_id: ID,
    pub site: String,
    pub person_id: Option<ID>,
    pub case_id: Option<ID>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// Whole minutes from start to end.
    pub duration_minutes: u64,
    /// Journal position of the session; the cursor of `sessions`.
    pub position: u64,
    pub mediator: String,
    pub language_from: String,
    pub language_to: String,
    /// The request's mode (on call or scheduled).
    pub mode: Option<MediationMode>,
    /// The request's requesting service.
    pub requesting_service_id: Option<ID>,
    /// The request's language.
    pub language: Option<String>,
    pub kind: MediationKind,
    pub outcome: SessionOutcome,
    pub follow_up_needed: bool,
    /// Where it was held, when recorded.
    pub place: Option<SessionPlace>,
}

impl From<desk::projections::MediationSessionView> for MediationSession {
    fn from(v: desk::projections::MediationSessionView) -> Self {
        MediationSession {
            mediation_id: id(v.mediation),
            site: v.site.0,
            person_id: v.person.map(id),
            case_id: v.case.map(id),
            started_at: v.started_at,
            ended_at: v.ended_at,
            duration_minutes: v.duration_minutes,
            position: v.position.0,
            mediator: v.mediator,
            language_from: v.language_from,
            language_to: v.language_to,
            mode: v.mode.map(Into::into),
            requesting_service_id: v.requesting_service.map(id),
            language: v.language,
            kind: v.kind.into(),
            outcome: v.outcome.into(),
            follow_up_needed: v.follow_up_needed,
            place: v.place.map(Into::into),
        }
    }
}

/// Which mediations to list; every field given must match. The period is on the request time
/// for requests and on the start for sessions.
#[derive(InputObject, Default)]
pub struct MediationFilter {
    /// Site slug.
    pub site: Option<String>,
    /// ISO 639 code: the request's language (for sessions also either language of the pair).
    pub language: Option<String>,
    /// On call or scheduled.
    pub mode: Option<MediationMode>,
    pub requesting_service_id: Option<ID>,
    /// Only requests whose sessions include one by this mediator; only sessions held by them.
    pub mediator: Option<String>,
    /// On or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// On or before this day (UTC).
    pub to: Option<NaiveDate>,
}

impl MediationFilter {
    pub(super) fn parse(&self) -> Result<desk::projections::MediationFilter> {
        Ok(desk::projections::MediationFilter {
            site: opt(&self.site, |s| parse_site("site", s))?,
            language: opt(&self.language, |l| parse_language("language", l))?,
            mode: self.mode.map(Into::into),
            requesting_service: opt_id::<ServiceId>(
                "requestingServiceId",
                &self.requesting_service_id,
            )?,
            period: open_period(self.from, self.to)?,
            mediator: self.mediator.clone(),
        })
    }
}

/// Mediation requests and sessions matching a filter: each list read as a page of the models
/// when it is asked for.
pub struct Mediations {
    pub(super) filter: desk::projections::MediationFilter,
    /// The sites the reader may see (`None`: every site).
    pub(super) sites: Vec<Option<SiteId>>,
    pub(super) as_of: Option<AsOfInput>,
}

impl Mediations {
    fn with_site(&self, site: Option<SiteId>) -> desk::projections::MediationFilter {
        desk::projections::MediationFilter {
            site,
            ..self.filter.clone()
        }
    }
}

#[Object]
impl Mediations {
    /// Requests, in request order.
    async fn requests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<MediationRequest>> {
        let cursor = page_args(first, after)?.cursor(ctx);
        let page = with_models(ctx, self.as_of, |m| {
            per_site_page(
                &self.sites,
                &cursor,
                |s| m.mediation_requests_page(&self.with_site(s), &cursor),
                |r| r.position.0,
            )
        })
        .await?;
        Ok(connection(page.map(MediationRequest::from), |r| r.position))
    }

    /// Sessions, in journal order.
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<MediationSession>> {
        let cursor = page_args(first, after)?.cursor(ctx);
        let page = with_models(ctx, self.as_of, |m| {
            per_site_page(
                &self.sites,
                &cursor,
                |s| m.mediation_sessions_page(&self.with_site(s), &cursor),
                |r| r.position.0,
            )
        })
        .await?;
        Ok(connection(page.map(MediationSession::from), |r| r.position))
    }

    /// Whole minutes of all the matching sessions.
    async fn session_minutes(&self, ctx: &Context<'_>) -> Result<u64> {
        with_models(ctx, self.as_of, |m| {
            access::per_site(
                &self.sites,
                |s| m.mediation_sessions(&self.with_site(s)),
                |r| r.position,
            )
            .iter()
            .map(|s| s.duration_minutes)
            .sum()
        })
        .await
    }
}
