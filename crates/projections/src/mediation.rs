//! The mediations' read model: requests (`MediationRow`) and sessions (`SessionRow`), their views
//! and queries, and the fold of the mediation events.

use chrono::{DateTime, NaiveDate, Utc};
use domain::*;
use journal::Position;
use serde::Serialize;
use ulid::Ulid;

use crate::apply::{At, Fold};
use crate::audit::Page;
use crate::index::{page_rows, Cursor};
use crate::model::*;
use crate::period::Period;
use crate::sym::Sym;

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct MediationRow {
    pub id: MediationId,
    pub site: Sym,
    pub requested_at: DateTime<Utc>,
    pub position: Position,
    pub mode: MediationMode,
    pub requesting_service: Option<ServiceId>,
    pub person: Option<Ix>,
    pub case: Option<Ix>,
    pub language: Sym,
    pub slot_start: Option<DateTime<Utc>>,
    pub slot_end: Option<DateTime<Utc>>,
    pub cancelled: Option<(DateTime<Utc>, CancellationReason)>,
    pub sessions: Vec<Ix>,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct SessionRow {
    pub event_id: Ulid,
    pub mediation: Ix,
    pub site: Sym,
    pub person: Option<Ix>,
    pub case: Option<Ix>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub position: Position,
    pub mediator: Sym,
    pub from: Sym,
    pub to: Sym,
    pub kind: MediationKind,
    pub outcome: SessionOutcome,
    pub follow_up_needed: bool,
    pub follow_up_by: Option<NaiveDate>,
    pub place: Option<SessionPlace>,
}

impl SessionRow {
    pub(crate) fn minutes(&self) -> u64 {
        u64::try_from((self.ended_at - self.started_at).num_minutes()).unwrap_or(0)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MediationRequestView {
    pub id: MediationId,
    pub site: SiteId,
    pub requested_at: DateTime<Utc>,
    pub position: Position,
    pub mode: MediationMode,
    pub requesting_service: Option<ServiceId>,
    pub person: Option<PersonId>,
    pub case: Option<CaseId>,
    pub language: String,
    pub slot_start: Option<DateTime<Utc>>,
    pub slot_end: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancellation_reason: Option<CancellationReason>,
    pub session_count: u32,
    pub duration_minutes: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MediationSessionView {
    pub mediation: MediationId,
    pub site: SiteId,
    pub person: Option<PersonId>,
    pub case: Option<CaseId>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// Whole minutes from start to end.
    pub duration_minutes: u64,
    pub position: Position,
    pub mediator: String,
    pub language_from: String,
    pub language_to: String,
    /// The request's mode and requesting service and language.
    pub mode: Option<MediationMode>,
    pub requesting_service: Option<ServiceId>,
    pub language: Option<String>,
    pub kind: MediationKind,
    pub outcome: SessionOutcome,
    pub follow_up_needed: bool,
    /// Where it was held, when recorded.
    pub place: Option<SessionPlace>,
}

/// For requests, `period` is on the request time; for sessions, on the start time. `language`
/// is the request's language (for sessions also either language of the pair).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediationFilter {
    pub site: Option<SiteId>,
    pub language: Option<String>,
    pub mode: Option<MediationMode>,
    pub requesting_service: Option<ServiceId>,
    pub period: Option<Period>,
    pub mediator: Option<String>,
}

impl ReadModels {
    fn request_view(&self, m: &MediationRow) -> MediationRequestView {
        MediationRequestView {
            id: m.id,
            site: self.site(m.site),
            requested_at: m.requested_at,
            position: m.position,
            mode: m.mode,
            requesting_service: m.requesting_service,
            person: m.person.map(|p| self.person_keys.key(self.kept(p))),
            case: m.case.map(|c| self.case_keys.key(c)),
            language: self.syms.name(m.language).to_string(),
            slot_start: m.slot_start,
            slot_end: m.slot_end,
            cancelled_at: m.cancelled.map(|c| c.0),
            cancellation_reason: m.cancelled.map(|c| c.1),
            session_count: u32::try_from(m.sessions.len()).unwrap_or(u32::MAX),
            duration_minutes: m
                .sessions
                .iter()
                .map(|s| self.sessions[*s as usize].minutes())
                .sum(),
        }
    }

    /// The site a mediation filter names (`None`: any) and the test a request must pass; `None`
    /// when the filter names a site never seen, which matches nothing.
    fn request_matcher<'a>(
        &'a self,
        f: &'a MediationFilter,
    ) -> Option<(Option<Sym>, impl Fn(&MediationRow) -> bool + 'a)> {
        let site = self.site_filter(&f.site)?;
        let language = f.language.as_deref().map(|l| self.syms.get(l));
        let mediator = f.mediator.as_deref().map(|l| self.syms.get(l));
        let matches = move |m: &MediationRow| {
            site.is_none_or(|s| s == m.site)
                && language.is_none_or(|l| l == Some(m.language))
                && f.mode.is_none_or(|x| x == m.mode)
                && f.requesting_service
                    .is_none_or(|s| Some(s) == m.requesting_service)
                && f.period.is_none_or(|p| p.contains(m.requested_at))
                && mediator.is_none_or(|x| {
                    m.sessions
                        .iter()
                        .any(|s| Some(self.sessions[*s as usize].mediator) == x)
                })
        };
        Some((site, matches))
    }

    /// Mediation requests matching the filter (`period` on the request time), in request order.
    pub fn mediation_requests(&self, f: &MediationFilter) -> Vec<MediationRequestView> {
        let Some((_, matches)) = self.request_matcher(f) else {
            return Vec::new();
        };
        let mut rows: Vec<&MediationRow> = self
            .mediations
            .iter()
            .flatten()
            .filter(|m| matches(m))
            .collect();
        rows.sort_by_key(|m| m.position);
        rows.into_iter().map(|m| self.request_view(m)).collect()
    }

    /// One page of [`ReadModels::mediation_requests`], walked from the cursor on.
    pub fn mediation_requests_page(
        &self,
        f: &MediationFilter,
        cursor: &Cursor,
    ) -> Page<MediationRequestView> {
        let Some((site, matches)) = self.request_matcher(f) else {
            return Page::empty(cursor.with_total);
        };
        let page = page_rows(self.request_order.list(site), cursor, |p, ix| {
            self.mediations[ix as usize]
                .as_ref()
                .is_some_and(|m| m.position == p && matches(m))
        });
        page.filter_map(|ix| {
            self.mediations[ix as usize]
                .as_ref()
                .map(|m| self.request_view(m))
        })
    }

    /// The site a mediation filter names (`None`: any) and the test a session must pass; `None`
    /// when the filter names a site never seen, which matches nothing.
    fn session_matcher<'a>(
        &'a self,
        f: &'a MediationFilter,
    ) -> Option<(Option<Sym>, impl Fn(&SessionRow) -> bool + 'a)> {
        let site = self.site_filter(&f.site)?;
        let language = f.language.as_deref().map(|l| self.syms.get(l));
        let mediator = f.mediator.as_deref().map(|l| self.syms.get(l));
        let matches = move |s: &SessionRow| {
            let req = self.mediations[s.mediation as usize].as_ref();
            site.is_none_or(|x| x == s.site)
                && language.is_none_or(|l| {
                    l.is_some_and(|l| {
                        l == s.from || l == s.to || req.is_some_and(|r| r.language == l)
                    })
                })
                && f.mode.is_none_or(|x| req.is_some_and(|r| r.mode == x))
                && f.requesting_service
                    .is_none_or(|x| req.is_some_and(|r| r.requesting_service == Some(x)))
                && f.period.is_none_or(|p| p.contains(s.started_at))
                && mediator.is_none_or(|x| x == Some(s.mediator))
        };
        Some((site, matches))
    }

    fn session_view(&self, s: &SessionRow) -> MediationSessionView {
        let req = self.mediations[s.mediation as usize].as_ref();
        MediationSessionView {
            mediation: self.mediation_keys.key(s.mediation),
            site: self.site(s.site),
            person: s.person.map(|p| self.person_keys.key(self.kept(p))),
            case: s.case.map(|c| self.case_keys.key(c)),
            started_at: s.started_at,
            ended_at: s.ended_at,
            duration_minutes: s.minutes(),
            position: s.position,
            mediator: self.syms.name(s.mediator).to_string(),
            language_from: self.syms.name(s.from).to_string(),
            language_to: self.syms.name(s.to).to_string(),
            mode: req.map(|r| r.mode),
            requesting_service: req.and_then(|r| r.requesting_service),
            language: req.map(|r| self.syms.name(r.language).to_string()),
            kind: s.kind,
            outcome: s.outcome,
            follow_up_needed: s.follow_up_needed,
            place: s.place,
        }
    }

    /// Mediation sessions matching the filter (`period` on the start), in journal order.
    pub fn mediation_sessions(&self, f: &MediationFilter) -> Vec<MediationSessionView> {
        let Some((_, matches)) = self.session_matcher(f) else {
            return Vec::new();
        };
        self.sessions
            .iter()
            .filter(|s| matches(s))
            .map(|s| self.session_view(s))
            .collect()
    }

    /// One page of [`ReadModels::mediation_sessions`], walked from the cursor on.
    pub fn mediation_sessions_page(
        &self,
        f: &MediationFilter,
        cursor: &Cursor,
    ) -> Page<MediationSessionView> {
        let Some((site, matches)) = self.session_matcher(f) else {
            return Page::empty(cursor.with_total);
        };
        let page = page_rows(self.session_order.list(site), cursor, |p, ix| {
            self.sessions
                .get(ix as usize)
                .is_some_and(|s| s.position == p && matches(s))
        });
        page.filter_map(|ix| self.sessions.get(ix as usize).map(|s| self.session_view(s)))
    }
}

// The fold: no rules here, whatever is in the journal happened.

impl Fold for MediationRequested {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At {
            position,
            site,
            person,
            case,
            ..
        } = *at;
        let ix = m.mediation_ix(self.mediation_id);
        let language = m.syms.intern(&self.language);
        m.mediations[ix as usize] = Some(MediationRow {
            id: self.mediation_id,
            site,
            requested_at: self.occurred_at,
            position,
            mode: self.mode,
            requesting_service: self.requesting_service,
            person,
            case,
            language,
            slot_start: self.slot_start,
            slot_end: self.slot_end,
            cancelled: None,
            sessions: Vec::new(),
        });
        m.request_order.push(position, site, ix);
        Some(Target::Mediation(ix))
    }
}

impl Fold for MediationSessionHeld {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At {
            rec,
            position,
            site,
            person,
            case,
            ..
        } = *at;
        let mediation = m.mediation_ix(self.mediation_id);
        let session = SessionRow {
            event_id: rec.id,
            mediation,
            site,
            person,
            case,
            started_at: self.started_at,
            ended_at: self.ended_at,
            position,
            mediator: m.syms.intern(&self.mediator),
            from: m.syms.intern(&self.languages.from),
            to: m.syms.intern(&self.languages.to),
            kind: self.kind,
            outcome: self.outcome,
            follow_up_needed: self.follow_up_needed,
            follow_up_by: self.follow_up_by,
            place: self.place,
        };
        m.sessions.push_back(session);
        let ix = len_ix(m.sessions.len());
        m.session_order.push(position, site, ix);
        if let Some(row) = m.mediations[mediation as usize].as_mut() {
            row.sessions.push(ix);
            if case.is_none() {
                at.extra_case = row.case;
            }
        }
        Some(Target::Session(ix))
    }
}

impl Fold for MediationCancelled {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let ix = m.mediation_ix(self.mediation_id);
        if let Some(row) = m.mediations[ix as usize].as_mut() {
            row.cancelled = Some((self.occurred_at, self.reason));
            at.extra_case = row.case;
        }
        Some(Target::Cancellation(ix))
    }
}
