//! The referrals' read model: `ReferralRow` with its outcomes, `ReferralView` and the referral
//! queries, and the fold of the referral events.

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
use crate::query::days_between;
use crate::sym::Sym;

#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct OutcomeRow {
    pub outcome: ReferralOutcome,
    pub at: DateTime<Utc>,
    pub appointment_on: Option<NaiveDate>,
    pub position: Position,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ReferralRow {
    pub id: ReferralId,
    pub event_id: Ulid,
    /// Who issued it, and so follows it up.
    pub issued_by: Sym,
    pub person: Ix,
    pub case: Option<Ix>,
    pub site: Sym,
    pub service: ServiceId,
    pub reason: NeedArea,
    pub urgency: Urgency,
    pub issued_at: DateTime<Utc>,
    pub position: Position,
    pub outcomes: Vec<OutcomeRow>,
}

/// Where a referral stands: its latest outcome, or `Issued` before any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralStatus {
    Issued,
    Outcome(ReferralOutcome),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferralOutcomeView {
    pub outcome: ReferralOutcome,
    pub occurred_at: DateTime<Utc>,
    pub appointment_on: Option<NaiveDate>,
    pub position: Position,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferralView {
    pub id: ReferralId,
    pub person: PersonId,
    pub case: Option<CaseId>,
    pub site: SiteId,
    pub service: ServiceId,
    pub reason: NeedArea,
    pub urgency: Urgency,
    pub issued_at: DateTime<Utc>,
    pub position: Position,
    pub status: ReferralStatus,
    pub outcomes: Vec<ReferralOutcomeView>,
    /// UTC days from issue to the first outcome recorded.
    pub days_to_first_outcome: Option<i64>,
    /// The first final outcome (service received, refused, lost contact).
    pub final_outcome: Option<ReferralOutcome>,
    /// UTC days from issue to the final outcome.
    pub days_to_final_outcome: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReferralFilter {
    pub site: Option<SiteId>,
    pub status: Option<ReferralStatus>,
    pub service: Option<ServiceId>,
    pub person: Option<PersonId>,
    pub issued_in: Option<Period>,
}

impl ReadModels {
    fn referral_view(&self, r: &ReferralRow) -> ReferralView {
        let first = r.outcomes.first();
        let fin = r.outcomes.iter().find(|o| o.outcome.is_final());
        ReferralView {
            id: r.id,
            person: self.person_keys.key(self.kept(r.person)),
            case: r.case.map(|c| self.case_keys.key(c)),
            site: self.site(r.site),
            service: r.service,
            reason: r.reason,
            urgency: r.urgency,
            issued_at: r.issued_at,
            position: r.position,
            status: referral_status(r),
            outcomes: r
                .outcomes
                .iter()
                .map(|o| ReferralOutcomeView {
                    outcome: o.outcome,
                    occurred_at: o.at,
                    appointment_on: o.appointment_on,
                    position: o.position,
                })
                .collect(),
            days_to_first_outcome: first.map(|o| days_between(r.issued_at, o.at)),
            final_outcome: fin.map(|o| o.outcome),
            days_to_final_outcome: fin.map(|o| days_between(r.issued_at, o.at)),
        }
    }

    pub fn referral(&self, id: ReferralId) -> Option<ReferralView> {
        let ix = self.referral_keys.get(&id)?;
        self.referrals[ix as usize]
            .as_ref()
            .map(|r| self.referral_view(r))
    }

    /// The site a referral filter names (`None`: any) and the test a row must pass; `None`
    /// when the filter names a site never seen, which matches nothing.
    fn referral_matcher<'a>(
        &'a self,
        f: &'a ReferralFilter,
    ) -> Option<(Option<Sym>, impl Fn(&ReferralRow) -> bool + 'a)> {
        let site = self.site_filter(&f.site)?;
        let person = f.person.map(|p| self.person_keys.get(&p));
        let matches = move |r: &ReferralRow| {
            site.is_none_or(|s| s == r.site)
                && f.service.is_none_or(|s| s == r.service)
                && person.is_none_or(|p| p.map(|p| self.kept(p)) == Some(self.kept(r.person)))
                && f.status.is_none_or(|s| s == referral_status(r))
                && f.issued_in.is_none_or(|p| p.contains(r.issued_at))
        };
        Some((site, matches))
    }

    /// Referrals matching the filter, in the order they were issued.
    pub fn referrals(&self, f: &ReferralFilter) -> Vec<ReferralView> {
        let Some((_, matches)) = self.referral_matcher(f) else {
            return Vec::new();
        };
        let mut rows: Vec<&ReferralRow> = self
            .referrals
            .iter()
            .flatten()
            .filter(|r| matches(r))
            .collect();
        rows.sort_by_key(|r| r.position);
        rows.into_iter().map(|r| self.referral_view(r)).collect()
    }

    /// One page of [`ReadModels::referrals`], walked from the cursor on.
    pub fn referrals_page(&self, f: &ReferralFilter, cursor: &Cursor) -> Page<ReferralView> {
        let Some((site, matches)) = self.referral_matcher(f) else {
            return Page::empty(cursor.with_total);
        };
        let page = page_rows(self.referral_order.list(site), cursor, |p, ix| {
            self.referrals[ix as usize]
                .as_ref()
                .is_some_and(|r| r.position == p && matches(r))
        });
        page.filter_map(|ix| {
            self.referrals[ix as usize]
                .as_ref()
                .map(|r| self.referral_view(r))
        })
    }
}

fn referral_status(r: &ReferralRow) -> ReferralStatus {
    r.outcomes.last().map_or(ReferralStatus::Issued, |o| {
        ReferralStatus::Outcome(o.outcome)
    })
}

// The fold: no rules here, whatever is in the journal happened.

impl Fold for ReferralIssued {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At {
            rec,
            position,
            site,
            person,
            case,
            ..
        } = *at;
        let ix = m.referral_ix(self.referral_id);
        let issued_by = m.syms.intern(&rec.actor.id);
        m.referrals[ix as usize] = Some(ReferralRow {
            id: self.referral_id,
            event_id: rec.id,
            issued_by,
            person: person.unwrap_or(NO_IX),
            case,
            site,
            service: self.service_id,
            reason: self.reason,
            urgency: self.urgency,
            issued_at: self.occurred_at,
            position,
            outcomes: Vec::new(),
        });
        m.referral_order.push(position, site, ix);
        Some(Target::Referral(ix))
    }
}

impl Fold for ReferralOutcomeRecorded {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At { position, .. } = *at;
        let ix = m.referral_ix(self.referral_id);
        match m.referrals[ix as usize].as_mut() {
            Some(r) => {
                r.outcomes.push(OutcomeRow {
                    outcome: self.outcome,
                    at: self.occurred_at,
                    appointment_on: self.appointment_on,
                    position,
                });
                at.extra_case = r.case;
                Some(Target::ReferralOutcome(ix, len_ix(r.outcomes.len())))
            }
            None => None,
        }
    }
}
