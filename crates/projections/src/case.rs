//! The cases' read model: `CaseRow` (its transitions, closure, care plan, timeline), `CaseView`
//! and the case queries, and the fold of the case events.

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
use crate::sym::{bits, from_bits, Sym};
use crate::table::Table;

#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct Transition {
    pub at: DateTime<Utc>,
    pub position: Position,
    pub open: bool,
}

#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct Closure {
    pub at: DateTime<Utc>,
    pub position: Position,
    pub reason: ClosureReason,
    pub outcome: CaseOutcome,
}

#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct Plan {
    pub event_id: Ulid,
    pub agreed_at: DateTime<Utc>,
    pub position: Position,
    pub needs: u32,
    pub review_on: NaiveDate,
}

/// One event in a case's timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub position: Position,
    pub event_id: Ulid,
    #[serde(with = "domain::snapshot::event_type")]
    pub event_type: domain::snapshot::EventTypeName,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct CaseRow {
    pub id: CaseId,
    pub person: Ix,
    pub site: Sym,
    pub opened_at: DateTime<Utc>,
    pub position: Position,
    pub case_worker: Sym,
    pub vulnerabilities: u32,
    pub partner_services: Vec<ServiceId>,
    /// Opening, closures and reopenings, in position order; the first is the opening.
    pub transitions: Vec<Transition>,
    /// The latest closure.
    pub closure: Option<Closure>,
    pub plan: Option<Plan>,
    /// The partner service that holds the case (the latest `CaseTransferred` naming one).
    pub holding_service: Option<HoldingService>,
    /// The case conferences held with the services, in journal order (their texts opened).
    pub conferences: Vec<CaseConferenceView>,
    /// Every event touching the case: shared between clones, as the tables are (a busy case's
    /// timeline is long).
    pub timeline: Table<TimelineEntry>,
}

impl CaseRow {
    pub(crate) fn is_open(&self) -> bool {
        self.transitions.last().is_none_or(|t| t.open)
    }

    /// Open at the instant `at`: the latest transition (in journal order) that happened before
    /// `at` says; a case opened after `at` is not open.
    pub(crate) fn open_at(&self, at: DateTime<Utc>) -> bool {
        self.transitions
            .iter()
            .rev()
            .find(|t| t.at < at)
            .is_some_and(|t| t.open)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Closed,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseView {
    pub id: CaseId,
    pub person: PersonId,
    pub site: SiteId,
    /// Who holds the case now: the case worker it was opened with, or the one it was moved to.
    pub case_worker: String,
    /// The partner service that holds the case, with its own reference, if one was recorded.
    pub holding_service: Option<HoldingService>,
    pub opened_at: DateTime<Utc>,
    pub position: Position,
    pub status: CaseStatus,
    pub vulnerabilities: Vec<VulnerabilityCategory>,
    pub partner_services: Vec<ServiceId>,
    /// The latest care plan.
    pub plan_agreed_at: Option<DateTime<Utc>>,
    pub plan_needs: Vec<NeedArea>,
    pub plan_review_on: Option<NaiveDate>,
    /// The latest closure (kept after a reopening).
    pub closed_at: Option<DateTime<Utc>>,
    pub closure_reason: Option<ClosureReason>,
    pub closure_outcome: Option<CaseOutcome>,
    pub reopen_count: u32,
    /// The case conferences held with the partner services, in journal order.
    pub conferences: Vec<CaseConferenceView>,
    /// Every event touching the case, in journal order: the intake before it, its own events,
    /// interventions, referrals and their outcomes, mediations, supervision meetings that
    /// discussed it, corrections.
    pub timeline: Vec<TimelineEntry>,
}

/// A case conference held with the partner services (`CaseConferenceHeld`).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseConferenceView {
    pub event_id: Ulid,
    pub position: Position,
    pub occurred_at: DateTime<Utc>,
    pub mediator: String,
    pub services: Vec<ServiceId>,
    /// The services' people present (`[erased]` once the person is erased).
    pub participants: Vec<PersonalNote>,
    pub decisions: Vec<PersonalNote>,
    pub next_review: Option<NaiveDate>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseFilter {
    pub site: Option<SiteId>,
    pub status: Option<CaseStatus>,
    /// Case worker.
    pub operator: Option<String>,
    pub person: Option<PersonId>,
    pub opened_in: Option<Period>,
}

impl ReadModels {
    fn case_view(&self, c: &CaseRow) -> CaseView {
        CaseView {
            id: c.id,
            // A registration merged into another is the kept one's: one person, one id.
            person: self.person_keys.key(self.kept(c.person)),
            site: self.site(c.site),
            case_worker: self.syms.name(c.case_worker).to_string(),
            holding_service: c.holding_service.clone(),
            opened_at: c.opened_at,
            position: c.position,
            status: if c.is_open() {
                CaseStatus::Open
            } else {
                CaseStatus::Closed
            },
            vulnerabilities: from_bits(VulnerabilityCategory::ALL, c.vulnerabilities),
            partner_services: c.partner_services.clone(),
            plan_agreed_at: c.plan.map(|p| p.agreed_at),
            plan_needs: c
                .plan
                .map_or_else(Vec::new, |p| from_bits(NeedArea::ALL, p.needs)),
            plan_review_on: c.plan.map(|p| p.review_on),
            closed_at: c.closure.map(|cl| cl.at),
            closure_reason: c.closure.map(|cl| cl.reason),
            closure_outcome: c.closure.map(|cl| cl.outcome),
            reopen_count: u32::try_from(c.transitions.iter().skip(1).filter(|t| t.open).count())
                .unwrap_or(u32::MAX),
            conferences: c.conferences.clone(),
            timeline: c.timeline.iter().cloned().collect(),
        }
    }

    pub fn case(&self, id: CaseId) -> Option<CaseView> {
        let ix = self.case_keys.get(&id)?;
        self.cases[ix as usize].as_ref().map(|c| self.case_view(c))
    }

    /// The site a case filter names (`None`: any) and the test a row must pass; `None` when
    /// the filter names a site never seen, which matches nothing.
    fn case_matcher<'a>(
        &'a self,
        f: &'a CaseFilter,
    ) -> Option<(Option<Sym>, impl Fn(&CaseRow) -> bool + 'a)> {
        let site = self.site_filter(&f.site)?;
        let operator = f.operator.as_deref().map(|o| self.syms.get(o));
        let person = f.person.map(|p| self.person_keys.get(&p));
        let matches = move |c: &CaseRow| {
            site.is_none_or(|s| s == c.site)
                && operator.is_none_or(|o| o == Some(c.case_worker))
                && person.is_none_or(|p| p.map(|p| self.kept(p)) == Some(self.kept(c.person)))
                && f.status
                    .is_none_or(|s| (s == CaseStatus::Open) == c.is_open())
                && f.opened_in.is_none_or(|p| p.contains(c.opened_at))
        };
        Some((site, matches))
    }

    /// Cases matching the filter, in the order they were opened.
    pub fn cases(&self, f: &CaseFilter) -> Vec<CaseView> {
        let Some((_, matches)) = self.case_matcher(f) else {
            return Vec::new();
        };
        let mut rows: Vec<&CaseRow> = self.cases.iter().flatten().filter(|c| matches(c)).collect();
        rows.sort_by_key(|c| c.position);
        rows.into_iter().map(|c| self.case_view(c)).collect()
    }

    /// One page of [`ReadModels::cases`]: it walks the cases of the filter's site (or all) from
    /// the cursor on, and stops once the page is full.
    pub fn cases_page(&self, f: &CaseFilter, cursor: &Cursor) -> Page<CaseView> {
        let Some((site, matches)) = self.case_matcher(f) else {
            return Page::empty(cursor.with_total);
        };
        let page = page_rows(self.case_order.list(site), cursor, |p, ix| {
            self.cases[ix as usize]
                .as_ref()
                .is_some_and(|c| c.position == p && matches(c))
        });
        page.filter_map(|ix| self.cases[ix as usize].as_ref().map(|c| self.case_view(c)))
    }
}

// The fold: no rules here, whatever is in the journal happened.

impl Fold for CaseOpened {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At {
            position,
            site,
            person: _,
            case: _,
            ..
        } = *at;
        let person = m.person_ix(self.person_id);
        let ix = m.case_ix(self.case_id);
        let mut timeline = Table::new();
        // The intake that led to the case, when the person had one before it.
        if let Some((pos, id, at)) = m.persons[person as usize].last_intake {
            timeline.push_back(TimelineEntry {
                position: pos,
                event_id: id,
                event_type: "IntakeRecorded",
                occurred_at: at,
            });
        }
        let case_worker = m.syms.intern(&self.case_worker);
        m.cases[ix as usize] = Some(CaseRow {
            id: self.case_id,
            person,
            site,
            opened_at: self.occurred_at,
            position,
            case_worker,
            vulnerabilities: bits(VulnerabilityCategory::ALL, &self.vulnerabilities),
            partner_services: self.partner_services.clone(),
            transitions: vec![Transition {
                at: self.occurred_at,
                position,
                open: true,
            }],
            closure: None,
            plan: None,
            holding_service: None,
            conferences: Vec::new(),
            timeline,
        });
        m.case_order.push(position, site, ix);
        Some(Target::CaseOpened(ix))
    }
}

impl Fold for CarePlanAgreed {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At { rec, position, .. } = *at;
        let ix = m.case_ix(self.case_id);
        if let Some(c) = m.cases[ix as usize].as_mut() {
            c.plan = Some(Plan {
                event_id: rec.id,
                agreed_at: self.occurred_at,
                position,
                needs: bits(NeedArea::ALL, &self.needs),
                review_on: self.review_on,
            });
            for s in &self.partner_services {
                if !c.partner_services.contains(s) {
                    c.partner_services.push(*s);
                }
            }
        }
        Some(Target::CarePlan(ix))
    }
}

impl Fold for CaseClosed {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At { position, .. } = *at;
        let ix = m.case_ix(self.case_id);
        if let Some(c) = m.cases[ix as usize].as_mut() {
            c.transitions.push(Transition {
                at: self.occurred_at,
                position,
                open: false,
            });
            c.closure = Some(Closure {
                at: self.occurred_at,
                position,
                reason: self.reason,
                outcome: self.outcome,
            });
        }
        Some(Target::CaseClosed(ix))
    }
}

impl Fold for CaseReopened {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At { position, .. } = *at;
        let ix = m.case_ix(self.case_id);
        if let Some(c) = m.cases[ix as usize].as_mut() {
            c.transitions.push(Transition {
                at: self.occurred_at,
                position,
                open: true,
            });
        }
        Some(Target::CaseReopened(ix))
    }
}

impl Fold for CaseConferenceHeld {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At { rec, position, .. } = *at;
        let ix = m.case_ix(self.case_id);
        if let Some(c) = m.cases[ix as usize].as_mut() {
            c.conferences.push(CaseConferenceView {
                event_id: rec.id,
                position,
                occurred_at: self.occurred_at,
                mediator: self.mediator.clone(),
                services: self.services.clone(),
                participants: self.participants.clone(),
                decisions: self.decisions.clone(),
                next_review: self.next_review,
            });
        }
        None
    }
}

impl Fold for CaseTransferred {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        let worker = self.case_worker.as_ref().map(|w| m.syms.intern(w));
        let ix = m.case_ix(self.case_id);
        if let Some(c) = m.cases[ix as usize].as_mut() {
            if let Some(w) = worker {
                c.case_worker = w;
            }
            if let Some(holding) = &self.holding_service {
                c.holding_service = Some(holding.clone());
            }
        }
        None
    }
}
