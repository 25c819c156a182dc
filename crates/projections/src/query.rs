//! Queries over the read models: plain structs, filters as structs, for the API to expose.

use chrono::{DateTime, NaiveDate, Utc};
use domain::*;
use journal::Position;
use serde::Serialize;

use crate::model::*;
use crate::period::{Month, Period};
use crate::sym::{from_bits, Sym};

pub use crate::model::TimelineEntry;

/// Whole days from `from` to `to` (UTC dates), never negative.
pub(crate) fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to.date_naive() - from.date_naive()).num_days().max(0)
}

// ---- persons --------------------------------------------------------------------------------

/// A registered person: the statistics fields as the domain gives them (corrections applied),
/// and the personal data, which the API shows only to whom it may.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonView {
    pub id: PersonId,
    pub site: SiteId,
    pub registered_at: DateTime<Utc>,
    pub position: Position,
    pub birth_year: i32,
    pub sex: Sex,
    pub citizenships: Vec<String>,
    pub country_of_birth: String,
    pub arrival_year: Option<i32>,
    pub permit_type: PermitType,
    pub permit_expires_on: Option<NaiveDate>,
    /// The permit's renewal was applied for.
    pub permit_renewal_pending: bool,
    /// When the latest update (`PersonUpdated`) happened: the values shown are the current ones.
    pub updated_at: Option<DateTime<Utc>>,
    pub languages: Vec<String>,
    pub household_size: u8,
    pub minor: bool,
    pub unaccompanied_minor: bool,
    /// Categories of the latest vulnerability assessment (empty if none or never assessed).
    pub vulnerabilities: Vec<VulnerabilityCategory>,
    pub consents: Vec<ConsentScope>,
    pub personal: PersonalData,
    /// The registration this one was merged into (`PersonsMerged`): the same person, whose id
    /// is the one to use.
    pub merged_into: Option<PersonId>,
    /// The sites that took the person on after the one that registered them.
    pub taken_on: Vec<SiteId>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonFilter {
    pub site: Option<SiteId>,
    pub permit_type: Option<PermitType>,
    pub sex: Option<Sex>,
    /// ISO 3166-1 alpha-2; matches any of the person's citizenships.
    pub citizenship: Option<String>,
    pub vulnerability: Option<VulnerabilityCategory>,
    pub registered_in: Option<Period>,
}

// ---- cases ----------------------------------------------------------------------------------

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
    /// Every event touching the case, in journal order: the intake before it, its own events,
    /// interventions, referrals and their outcomes, mediations, supervision meetings that
    /// discussed it, corrections.
    pub timeline: Vec<TimelineEntry>,
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

// ---- referrals ------------------------------------------------------------------------------

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

// ---- mediations -----------------------------------------------------------------------------

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

// ---- logbook --------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogbookEntryView {
    pub site: SiteId,
    pub date: NaiveDate,
    pub written_at: DateTime<Utc>,
    pub position: Position,
    pub mediator: String,
    pub slot: RotationSlot,
    pub contacts: u32,
    pub languages: Vec<String>,
    pub emerging_needs: Vec<NeedArea>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogbookFilter {
    pub site: Option<SiteId>,
    /// On the entry's date (the day it is about).
    pub period: Option<Period>,
    pub mediator: Option<String>,
}

/// One site's opening days in a period that have no logbook entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingLogbookDays {
    pub site: SiteId,
    pub opening_days: u32,
    pub entries: u32,
    pub missing: Vec<NaiveDate>,
}

// ---- services -------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceView {
    pub id: ServiceId,
    pub description: ServiceDescription,
    pub mapped_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
    pub retired_reason: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceFilter {
    pub kind: Option<ServiceKind>,
    pub language: Option<String>,
    /// `Some(true)`: only services with a Ukrainian-crisis capacity; `Some(false)`: only without.
    pub ukraine_capacity: Option<bool>,
    /// `Some(false)` (the usual): only services still in use.
    pub retired: Option<bool>,
}

// ---- supervision ----------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingView {
    pub id: MeetingId,
    pub occurred_at: DateTime<Utc>,
    pub position: Position,
    pub duration_minutes: u32,
    pub supervisor: String,
    pub attendees: Vec<String>,
    pub sites: Vec<SiteId>,
    pub themes: Vec<String>,
    pub cases_discussed: Vec<CaseId>,
    /// What was decided, opened (`[erased]` once redacted).
    pub decisions: Vec<PersonalNote>,
    /// The actions, each with its owner and due date where recorded.
    pub actions: Vec<SupervisionAction>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthMeetings {
    pub month: Month,
    pub meetings: u32,
}

impl MonthMeetings {
    pub fn has_meeting(&self) -> bool {
        self.meetings > 0
    }
}

impl ReadModels {
    fn site(&self, sym: Sym) -> SiteId {
        SiteId::new(self.syms.name(sym))
    }

    /// `Some(sym)` for a site the models know; the outer `None` when the filter names a site
    /// never seen, which matches nothing.
    pub(crate) fn site_filter(&self, site: &Option<SiteId>) -> Option<Option<Sym>> {
        match site {
            None => Some(None),
            Some(s) => self.syms.get(s.as_str()).map(Some),
        }
    }

    // ---- persons ----

    pub(crate) fn person_view(&self, p: &PersonRow) -> Option<PersonView> {
        let pr = p.profile.as_ref()?;
        Some(PersonView {
            id: p.id,
            site: self.site(pr.site),
            registered_at: pr.registered_at,
            position: pr.position,
            birth_year: pr.birth_year,
            sex: pr.sex,
            citizenships: self.syms.names(&pr.citizenships),
            country_of_birth: self.syms.name(pr.country_of_birth).to_string(),
            arrival_year: pr.arrival_year,
            permit_type: pr.permit_type,
            permit_expires_on: pr.permit_expires_on,
            permit_renewal_pending: pr.permit_renewal_pending,
            updated_at: pr.updated_at,
            languages: self.syms.names(&pr.languages),
            household_size: pr.household_size,
            minor: pr.minor,
            unaccompanied_minor: pr.unaccompanied_minor,
            vulnerabilities: from_bits(VulnerabilityCategory::ALL, p.vulnerabilities),
            consents: from_bits(ConsentScope::ALL, p.consents),
            personal: pr.personal.clone(),
            taken_on: p.taken_on.iter().map(|s| self.site(*s)).collect(),
            merged_into: (p.merged_into != NO_IX)
                .then(|| self.person_keys.key(self.kept(p.merged_into))),
        })
    }

    pub fn person(&self, id: PersonId) -> Option<PersonView> {
        let ix = self.person_keys.get(&id)?;
        self.person_view(&self.persons[ix as usize])
    }

    /// Registered persons matching the filter, in registration order; a registration merged
    /// into another is left out (the kept one stands for both).
    pub fn persons(&self, f: &PersonFilter) -> Vec<PersonView> {
        let Some(site) = self.site_filter(&f.site) else {
            return Vec::new();
        };
        let citizenship = f.citizenship.as_deref().map(|c| self.syms.get(c));
        let mut rows: Vec<&PersonRow> = self
            .persons
            .iter()
            .filter(|p| {
                let Some(pr) = p.profile.as_ref() else {
                    return false;
                };
                p.merged_into == NO_IX
                    && site.is_none_or(|s| s == pr.site || p.taken_on.contains(&s))
                    && f.permit_type.is_none_or(|t| t == pr.permit_type)
                    && f.sex.is_none_or(|s| s == pr.sex)
                    && citizenship.is_none_or(|c| c.is_some_and(|c| pr.citizenships.contains(&c)))
                    && f.vulnerability.is_none_or(|v| {
                        from_bits(VulnerabilityCategory::ALL, p.vulnerabilities).contains(&v)
                    })
                    && f.registered_in.is_none_or(|r| r.contains(pr.registered_at))
            })
            .collect();
        rows.sort_by_key(|p| p.profile.as_ref().map(|pr| pr.position));
        rows.into_iter()
            .filter_map(|p| self.person_view(p))
            .collect()
    }

    // ---- cases ----

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
            timeline: c.timeline.clone(),
        }
    }

    pub fn case(&self, id: CaseId) -> Option<CaseView> {
        let ix = self.case_keys.get(&id)?;
        self.cases[ix as usize].as_ref().map(|c| self.case_view(c))
    }

    /// Cases matching the filter, in the order they were opened.
    pub fn cases(&self, f: &CaseFilter) -> Vec<CaseView> {
        let Some(site) = self.site_filter(&f.site) else {
            return Vec::new();
        };
        let operator = f.operator.as_deref().map(|o| self.syms.get(o));
        let person = f.person.map(|p| self.person_keys.get(&p));
        let mut rows: Vec<&CaseRow> = self
            .cases
            .iter()
            .flatten()
            .filter(|c| {
                site.is_none_or(|s| s == c.site)
                    && operator.is_none_or(|o| o == Some(c.case_worker))
                    && person.is_none_or(|p| p.map(|p| self.kept(p)) == Some(self.kept(c.person)))
                    && f.status
                        .is_none_or(|s| (s == CaseStatus::Open) == c.is_open())
                    && f.opened_in.is_none_or(|p| p.contains(c.opened_at))
            })
            .collect();
        rows.sort_by_key(|c| c.position);
        rows.into_iter().map(|c| self.case_view(c)).collect()
    }

    // ---- referrals ----

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

    /// Referrals matching the filter, in the order they were issued.
    pub fn referrals(&self, f: &ReferralFilter) -> Vec<ReferralView> {
        let Some(site) = self.site_filter(&f.site) else {
            return Vec::new();
        };
        let person = f.person.map(|p| self.person_keys.get(&p));
        let mut rows: Vec<&ReferralRow> = self
            .referrals
            .iter()
            .flatten()
            .filter(|r| {
                site.is_none_or(|s| s == r.site)
                    && f.service.is_none_or(|s| s == r.service)
                    && person.is_none_or(|p| p.map(|p| self.kept(p)) == Some(self.kept(r.person)))
                    && f.status.is_none_or(|s| s == referral_status(r))
                    && f.issued_in.is_none_or(|p| p.contains(r.issued_at))
            })
            .collect();
        rows.sort_by_key(|r| r.position);
        rows.into_iter().map(|r| self.referral_view(r)).collect()
    }

    // ---- mediations ----

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

    /// Mediation requests matching the filter (`period` on the request time), in request order.
    pub fn mediation_requests(&self, f: &MediationFilter) -> Vec<MediationRequestView> {
        let Some(site) = self.site_filter(&f.site) else {
            return Vec::new();
        };
        let language = f.language.as_deref().map(|l| self.syms.get(l));
        let mediator = f.mediator.as_deref().map(|l| self.syms.get(l));
        let mut rows: Vec<&MediationRow> = self
            .mediations
            .iter()
            .flatten()
            .filter(|m| {
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
            })
            .collect();
        rows.sort_by_key(|m| m.position);
        rows.into_iter().map(|m| self.request_view(m)).collect()
    }

    /// Mediation sessions matching the filter (`period` on the start), in journal order.
    pub fn mediation_sessions(&self, f: &MediationFilter) -> Vec<MediationSessionView> {
        let Some(site) = self.site_filter(&f.site) else {
            return Vec::new();
        };
        let language = f.language.as_deref().map(|l| self.syms.get(l));
        let mediator = f.mediator.as_deref().map(|l| self.syms.get(l));
        self.sessions
            .iter()
            .filter(|s| {
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
            })
            .map(|s| {
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
            })
            .collect()
    }

    // ---- logbook ----

    /// Logbook entries matching the filter, by site then date.
    pub fn logbook_entries(&self, f: &LogbookFilter) -> Vec<LogbookEntryView> {
        let Some(site) = self.site_filter(&f.site) else {
            return Vec::new();
        };
        let mediator = f.mediator.as_deref().map(|l| self.syms.get(l));
        let mut out: Vec<LogbookEntryView> = self
            .logbook
            .iter()
            .filter(|l| {
                site.is_none_or(|s| s == l.site)
                    && f.period.is_none_or(|p| p.contains_date(l.date))
                    && mediator.is_none_or(|m| m == Some(l.mediator))
            })
            .map(|l| LogbookEntryView {
                site: self.site(l.site),
                date: l.date,
                written_at: l.written_at,
                position: l.position,
                mediator: self.syms.name(l.mediator).to_string(),
                slot: l.slot,
                contacts: l.contacts,
                languages: self.syms.names(&l.languages),
                emerging_needs: from_bits(NeedArea::ALL, l.emerging_needs),
            })
            .collect();
        out.sort_by(|a, b| (a.site.as_str(), a.date).cmp(&(b.site.as_str(), b.date)));
        out
    }

    /// For each site of the schedule (or only `site`), its opening days in the period without a
    /// logbook entry. A site not in the schedule has no opening days.
    pub fn missing_logbook_days(
        &self,
        period: &Period,
        site: Option<&SiteId>,
    ) -> Vec<MissingLogbookDays> {
        self.schedule
            .opening_days
            .keys()
            .filter(|s| site.is_none_or(|x| x == *s))
            .map(|s| {
                let sym = self.syms.get(s.as_str());
                let open = self.schedule.opening_days_in(s, period);
                let written: std::collections::BTreeSet<NaiveDate> = self
                    .logbook
                    .iter()
                    .filter(|l| Some(l.site) == sym && period.contains_date(l.date))
                    .map(|l| l.date)
                    .collect();
                let missing: Vec<NaiveDate> = open
                    .iter()
                    .copied()
                    .filter(|d| !written.contains(d))
                    .collect();
                MissingLogbookDays {
                    site: s.clone(),
                    opening_days: count(open.len()),
                    entries: count(open.len() - missing.len()),
                    missing,
                }
            })
            .collect()
    }

    // ---- services ----

    /// The directory, in the order services were mapped.
    pub fn services(&self, f: &ServiceFilter) -> Vec<ServiceView> {
        self.services
            .iter()
            .flatten()
            .filter(|s| {
                let d = &s.description;
                f.kind.is_none_or(|k| k == d.kind)
                    && f.language.as_ref().is_none_or(|l| d.languages.contains(l))
                    && f.ukraine_capacity
                        .is_none_or(|u| u == d.ukraine_capacity.is_some())
                    && f.retired.is_none_or(|r| r == s.retired.is_some())
            })
            .map(service_view)
            .collect()
    }

    pub fn service(&self, id: ServiceId) -> Option<ServiceView> {
        let ix = self.service_keys.get(&id)?;
        self.services[ix as usize].as_ref().map(service_view)
    }

    // ---- supervision ----

    /// Supervision meetings held in the period (optionally about a site), in time order.
    pub fn supervision_meetings(&self, period: &Period, site: Option<&SiteId>) -> Vec<MeetingView> {
        let mut out: Vec<MeetingView> = self
            .meetings
            .iter()
            .filter(|m| period.contains(m.at) && site.is_none_or(|s| m.sites.contains(s)))
            .map(|m| MeetingView {
                id: m.id,
                occurred_at: m.at,
                position: m.position,
                duration_minutes: m.duration_minutes,
                supervisor: m.supervisor.clone(),
                attendees: m.attendees.clone(),
                sites: m.sites.clone(),
                themes: m.themes.clone(),
                cases_discussed: m.cases_discussed.clone(),
                decisions: m.decisions.clone(),
                actions: m.actions.iter().map(ActionRow::action).collect(),
            })
            .collect();
        out.sort_by_key(|m| (m.occurred_at, m.position));
        out
    }

    /// For every month the period touches, how many meetings were held in it (within the period).
    pub fn supervision_months(&self, period: &Period, site: Option<&SiteId>) -> Vec<MonthMeetings> {
        period
            .months()
            .into_iter()
            .map(|month| MonthMeetings {
                month,
                meetings: count(
                    self.meetings
                        .iter()
                        .filter(|m| {
                            period.contains(m.at)
                                && Month::of(m.at.date_naive()) == month
                                && site.is_none_or(|s| m.sites.contains(s))
                        })
                        .count(),
                ),
            })
            .collect()
    }
}

pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn referral_status(r: &ReferralRow) -> ReferralStatus {
    r.outcomes.last().map_or(ReferralStatus::Issued, |o| {
        ReferralStatus::Outcome(o.outcome)
    })
}

fn service_view(s: &ServiceRow) -> ServiceView {
    ServiceView {
        id: s.id,
        description: s.description.clone(),
        mapped_at: s.mapped_at,
        updated_at: s.updated_at,
        retired_at: s.retired.as_ref().map(|r| r.0),
        retired_reason: s.retired.as_ref().map(|r| r.1.clone()),
    }
}
