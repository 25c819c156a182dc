//! The figures supervisors and evaluators ask for (DOMAIN.md, "What supervisors and evaluators
//! ask of the data"), for a period and optionally one site.
//!
//! Common definitions:
//! - *In the period*: the UTC date of the event's time (a session's start) is within the period.
//! - *Contact*: one individual meeting of the desk with a person, of one of three kinds of event:
//!   an intake (`IntakeRecorded`, activity [`ContactActivity::Intake`]), an intervention
//!   (`InterventionDelivered`, counted under its activity) or a mediation session
//!   (`MediationSessionHeld`, [`ContactActivity::Mediation`]; counted even without a person).
//!   Group activities are counted apart, by attendees, since they name no person.
//! - *Beneficiary*: a distinct person with at least one contact in the period (at the site, when
//!   one is given). Their profile is as the fold knows it, corrections included. Two
//!   registrations merged (`PersonsMerged`) are one person, counted under the one kept, with
//!   its profile.
//! - With a site, every figure keeps only events at that site; supervision meetings count when
//!   they name the site; the directory (capacity) is territorial and ignores the site.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::*;
use journal::Position;
use serde::Serialize;

use crate::model::*;
use crate::period::Period;
use crate::query::{count, days_between};
use crate::sym::{from_bits, Sym};
use crate::{MissingLogbookDays, MonthMeetings};

/// What a contact was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactActivity {
    Intake,
    OrientationAccompaniment,
    IntegratedCaseSupport,
    ParentalSupport,
    LegalAdvice,
    Mediation,
}

impl ContactActivity {
    /// The value as written in JSON and CSV exports.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactActivity::Intake => "intake",
            ContactActivity::OrientationAccompaniment => "orientation_accompaniment",
            ContactActivity::IntegratedCaseSupport => "integrated_case_support",
            ContactActivity::ParentalSupport => "parental_support",
            ContactActivity::LegalAdvice => "legal_advice",
            ContactActivity::Mediation => "mediation",
        }
    }
}

impl From<Activity> for ContactActivity {
    fn from(a: Activity) -> Self {
        match a {
            Activity::OrientationAccompaniment => ContactActivity::OrientationAccompaniment,
            Activity::IntegratedCaseSupport => ContactActivity::IntegratedCaseSupport,
            Activity::ParentalSupport => ContactActivity::ParentalSupport,
            Activity::LegalAdvice => ContactActivity::LegalAdvice,
        }
    }
}

/// Age bands, by age reached in the year the period ends (that year minus birth year).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum AgeBand {
    #[serde(rename = "0-17")]
    Under18,
    #[serde(rename = "18-24")]
    From18To24,
    #[serde(rename = "25-34")]
    From25To34,
    #[serde(rename = "35-44")]
    From35To44,
    #[serde(rename = "45-54")]
    From45To54,
    #[serde(rename = "55-64")]
    From55To64,
    #[serde(rename = "65+")]
    From65,
}

impl AgeBand {
    /// The band as written in JSON and CSV exports: `0-17`, `18-24`, ..., `65+`.
    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Under18 => "0-17",
            AgeBand::From18To24 => "18-24",
            AgeBand::From25To34 => "25-34",
            AgeBand::From35To44 => "35-44",
            AgeBand::From45To54 => "45-54",
            AgeBand::From55To64 => "55-64",
            AgeBand::From65 => "65+",
        }
    }

    pub fn of_age(age: i32) -> AgeBand {
        match age {
            i32::MIN..=17 => AgeBand::Under18,
            18..=24 => AgeBand::From18To24,
            25..=34 => AgeBand::From25To34,
            35..=44 => AgeBand::From35To44,
            45..=54 => AgeBand::From45To54,
            55..=64 => AgeBand::From55To64,
            _ => AgeBand::From65,
        }
    }
}

/// A count under a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Count<K> {
    pub key: K,
    pub count: u32,
}

/// Contacts of one activity (at one site, or all sites when `site` is `None`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactFigure {
    pub activity: ContactActivity,
    pub site: Option<SiteId>,
    pub contacts: u32,
    /// Distinct persons among those contacts (sessions without a person add none).
    pub distinct_persons: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Beneficiaries {
    /// Distinct persons with a contact in the period.
    pub total: u32,
    /// Beneficiaries not registered before the period started.
    pub new: u32,
    /// Beneficiaries registered before the period started.
    pub returning: u32,
    /// By first citizenship listed (the one the commissioner's formats ask for).
    pub by_citizenship: Vec<Count<String>>,
    pub by_sex: Vec<Count<Sex>>,
    pub by_age_band: Vec<Count<AgeBand>>,
    pub by_permit_type: Vec<Count<PermitType>>,
    /// By category of the latest assessment; a person counts under each category they have.
    pub by_vulnerability: Vec<Count<VulnerabilityCategory>>,
    /// Beneficiaries whose latest assessment found none, or who were never assessed.
    pub without_vulnerability: u32,
}

/// Mediation under one key: requests made and sessions held in the period, with their minutes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MediationFigure<K> {
    pub key: K,
    pub requests: u32,
    pub sessions: u32,
    /// Whole minutes from start to end, summed over the sessions.
    pub minutes: u64,
    /// `minutes / 60`.
    pub hours: f64,
}

/// Mediation in the period. Requests are counted by request time, sessions by start time; a
/// session is keyed by its request's language, mode and requesting service.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MediationFigures {
    pub requests: u32,
    /// Requests made in the period that were cancelled (by now).
    pub cancelled: u32,
    pub sessions: u32,
    pub minutes: u64,
    pub hours: f64,
    /// By the language the request asked for.
    pub by_language: Vec<MediationFigure<String>>,
    pub by_mode: Vec<MediationFigure<MediationMode>>,
    /// `None`: the desk itself asked.
    pub by_requesting_service: Vec<MediationFigure<Option<ServiceId>>>,
    /// Sessions by where they were held (`None`: not recorded); requests are not counted here.
    pub by_place: Vec<MediationFigure<Option<SessionPlace>>>,
}

/// The referrals issued in the period to one service, followed to their outcomes as the fold
/// knows them (a cohort: outcomes after the period count).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunnelFigure {
    pub service: ServiceId,
    pub service_name: Option<String>,
    pub issued: u32,
    /// With an outcome `accepted`, `appointment_set` or `service_received`.
    pub accepted: u32,
    /// With a final outcome (`service_received`, `refused`, `lost_contact`).
    pub concluded: u32,
    /// Of those concluded, with `service_received`.
    pub service_received: u32,
    /// Median UTC days from issue to first outcome, over referrals with one.
    pub median_days_to_first_outcome: Option<f64>,
    /// Median UTC days from issue to final outcome, over concluded referrals.
    pub median_days_to_conclusion: Option<f64>,
}

/// Days from request to first contact.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessTimes {
    /// Intakes in the period.
    pub intakes: u32,
    /// Of those, followed by an intervention for the same person (at or after the intake).
    pub intakes_with_intervention: u32,
    /// Median UTC days from an intake to the first intervention at or after it.
    pub median_days_intake_to_intervention: Option<f64>,
    /// Mediation requests in the period.
    pub mediation_requests: u32,
    /// Of those, with at least one session.
    pub mediation_requests_served: u32,
    /// Median UTC days from a mediation request to its first session.
    pub median_days_request_to_session: Option<f64>,
    /// On-call mediation requests in the period with at least one session.
    pub on_call_requests_served: u32,
    /// Median hours from an on-call request to its first session (the response time).
    pub median_hours_on_call_request_to_session: Option<f64>,
}

/// Cases open at the end of the period held by one operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseloadFigure {
    pub operator: String,
    pub open_cases: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SurveyItemFigure {
    pub item: SurveyItem,
    /// Surveys in the period that scored this item.
    pub answers: u32,
    pub mean: Option<f64>,
    /// Share (0 to 1) of those answers scoring 4 or 5.
    pub share_4_or_5: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Satisfaction {
    /// Surveys completed in the period.
    pub responses: u32,
    /// Responses divided by beneficiaries in the period (the desk records no "survey offered"
    /// fact, so persons served stand for the surveys that could have been answered).
    pub response_rate: Option<f64>,
    /// Share (0 to 1) of responses saying "helpful for integration".
    pub helpful_share: Option<f64>,
    pub items: Vec<SurveyItemFigure>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Compliance {
    /// Every month the period touches, with the meetings held in it.
    pub months: Vec<MonthMeetings>,
    pub every_month_has_meeting: bool,
    /// Per site of the schedule: opening days in the period without a logbook entry.
    pub logbook: Vec<MissingLogbookDays>,
    pub every_opening_day_has_entry: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemporaryProtection {
    /// Beneficiaries in the period holding temporary protection.
    pub beneficiaries: u32,
    /// Persons registered by the end of the period holding temporary protection.
    pub registered: u32,
    /// Services in the directory, not retired, with a Ukrainian-crisis capacity.
    pub services_with_capacity: u32,
    pub reception_places: u64,
    pub services_with_health: u32,
    pub services_with_school_access: u32,
}

/// Group activities of one kind held in the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupFigure {
    pub kind: GroupActivityKind,
    pub activities: u32,
    pub attendees_third_country: u32,
    pub attendees_other: u32,
    pub minutes: u64,
}

/// Every monitoring figure for a period (and a site), as of [`MonitoringReport::as_of`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringReport {
    pub period: Period,
    pub site: Option<SiteId>,
    pub as_of: Position,
    /// Per activity and site, then per activity over all sites (`site: None`).
    pub contacts: Vec<ContactFigure>,
    /// All contacts, and the distinct persons among them (= beneficiaries).
    pub total_contacts: u32,
    pub beneficiaries: Beneficiaries,
    pub mediation: MediationFigures,
    pub referral_funnel: Vec<FunnelFigure>,
    pub access: AccessTimes,
    /// Cases open at the end of the period (opened at the site, when a site is given).
    pub open_caseload: Vec<CaseloadFigure>,
    pub open_cases: u32,
    /// Cases closed in the period, by reason of that closure.
    pub closure_reasons: Vec<Count<ClosureReason>>,
    pub satisfaction: Satisfaction,
    pub compliance: Compliance,
    pub temporary_protection: TemporaryProtection,
    pub group_activities: Vec<GroupFigure>,
}

/// The median, the mean of the two middle values for an even count.
pub fn median(mut values: Vec<i64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    let mid = n / 2;
    Some(if n % 2 == 1 {
        values[mid] as f64
    } else {
        (values[mid - 1] + values[mid]) as f64 / 2.0
    })
}

fn counts<K: Ord + Clone>(map: BTreeMap<K, u32>) -> Vec<Count<K>> {
    map.into_iter()
        .map(|(key, count)| Count { key, count })
        .collect()
}

fn ratio(a: u32, b: u32) -> Option<f64> {
    (b > 0).then(|| f64::from(a) / f64::from(b))
}

#[derive(Default)]
struct MedAcc {
    requests: u32,
    sessions: u32,
    minutes: u64,
}

fn med_figures<K: Ord + Clone>(map: BTreeMap<K, MedAcc>) -> Vec<MediationFigure<K>> {
    map.into_iter()
        .map(|(key, a)| MediationFigure {
            key,
            requests: a.requests,
            sessions: a.sessions,
            minutes: a.minutes,
            hours: a.minutes as f64 / 60.0,
        })
        .collect()
}

/// One contact (see the module docs).
struct Contact {
    activity: ContactActivity,
    site: Sym,
    person: Option<Ix>,
    at: DateTime<Utc>,
}

/// One beneficiary of a period (a person with at least one contact in it), described only by
/// the statistics fields: no name, no contacts, no birth date. Sheets such as the quarterly FAMI
/// beneficiary list are made of these rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BeneficiaryRow {
    pub person: PersonId,
    /// The first citizenship listed; `None` (like the other profile fields) for a person the
    /// fold has contacts of but no registration.
    pub citizenship: Option<String>,
    pub sex: Option<Sex>,
    /// By age reached in the year the period ends, as in [`Beneficiaries::by_age_band`].
    pub age_band: Option<AgeBand>,
    pub permit_type: Option<PermitType>,
    /// Categories of the latest assessment (empty if none or never assessed).
    pub vulnerabilities: Vec<VulnerabilityCategory>,
    /// The distinct activities of the person's contacts in the period, in declaration order.
    pub activities: Vec<ContactActivity>,
    /// Contacts in the period.
    pub contacts: u32,
    /// The UTC date of the first contact in the period.
    pub first_contact_on: NaiveDate,
}

/// Where figures are counted: a period, and one site or all.
#[derive(Clone, Copy)]
struct Scope<'a> {
    period: &'a Period,
    site: Option<Sym>,
}

impl Scope<'_> {
    fn at_site(&self, site: Sym) -> bool {
        self.site.is_none_or(|x| x == site)
    }
}

/// What the access times need of the mediation requests of a period.
struct MediationAccess {
    requests: u32,
    served: u32,
    request_days: Vec<i64>,
    /// Minutes from each served on-call request to its first session.
    on_call_minutes: Vec<i64>,
}

impl ReadModels {
    /// Every contact in the period at the site (all sites for `None`), in no particular order;
    /// a contact of a registration merged into another counts as the kept one's.
    fn contacts_in(&self, period: &Period, site_sym: Option<Sym>) -> Vec<Contact> {
        let at_site = |s: Sym| site_sym.is_none_or(|x| x == s);
        let mut contacts = Vec::new();
        for r in &self.intakes {
            if at_site(r.site) && period.contains(r.at) {
                contacts.push(Contact {
                    activity: ContactActivity::Intake,
                    site: r.site,
                    person: Some(self.kept(r.person)),
                    at: r.at,
                });
            }
        }
        for r in &self.interventions {
            if at_site(r.site) && period.contains(r.at) {
                contacts.push(Contact {
                    activity: r.activity.into(),
                    site: r.site,
                    person: Some(r.person).filter(|p| *p != NO_IX).map(|p| self.kept(p)),
                    at: r.at,
                });
            }
        }
        for s in &self.sessions {
            if at_site(s.site) && period.contains(s.started_at) {
                contacts.push(Contact {
                    activity: ContactActivity::Mediation,
                    site: s.site,
                    person: s.person.map(|p| self.kept(p)),
                    at: s.started_at,
                });
            }
        }
        contacts
    }

    /// The beneficiaries of the period at one site or all, one row each, ordered by first
    /// contact then person id. Their number is [`Beneficiaries::total`] of the same period.
    pub fn beneficiaries(&self, period: &Period, site: Option<&SiteId>) -> Vec<BeneficiaryRow> {
        let site_sym: Option<Sym> = site.map(|s| self.syms.get(s.as_str()).unwrap_or(Sym::NONE));
        let ref_year = period.to.year();
        let mut by_person: HashMap<Ix, (DateTime<Utc>, BTreeSet<ContactActivity>, u32)> =
            HashMap::default();
        for c in self.contacts_in(period, site_sym) {
            let Some(p) = c.person else { continue };
            let e = by_person
                .entry(p)
                .or_insert_with(|| (c.at, BTreeSet::new(), 0));
            e.0 = e.0.min(c.at);
            e.1.insert(c.activity);
            e.2 += 1;
        }
        let mut rows: Vec<BeneficiaryRow> = by_person
            .into_iter()
            .map(|(p, (first, activities, contacts))| {
                let row = &self.persons[p as usize];
                let pr = row.profile.as_ref();
                BeneficiaryRow {
                    person: row.id,
                    citizenship: pr.and_then(|pr| {
                        pr.citizenships
                            .first()
                            .map(|c| self.syms.name(*c).to_string())
                    }),
                    sex: pr.map(|pr| pr.sex),
                    age_band: pr.map(|pr| AgeBand::of_age(ref_year - pr.birth_year)),
                    permit_type: pr.map(|pr| pr.permit_type),
                    vulnerabilities: from_bits(VulnerabilityCategory::ALL, row.vulnerabilities),
                    activities: activities.into_iter().collect(),
                    contacts,
                    first_contact_on: domain::state::desk_day(first),
                }
            })
            .collect();
        rows.sort_by_key(|r| (r.first_contact_on, r.person));
        rows
    }

    /// Every monitoring figure for the period, at one site or all (see the module docs for the
    /// definitions), each from its own function below. A site never seen gives zeros.
    pub fn monitoring(&self, period: &Period, site: Option<&SiteId>) -> MonitoringReport {
        let scope = Scope {
            period,
            site: site.map(|s| self.syms.get(s.as_str()).unwrap_or(Sym::NONE)),
        };
        let (contacts, persons, total_contacts) = self.contact_figures(scope);
        let beneficiaries = self.beneficiary_figures(period, &persons);
        let (mediation, mediation_access) = self.mediation_figures(scope);
        let (open_caseload, open_cases, closure_reasons) = self.caseload_and_closures(scope);
        MonitoringReport {
            period: *period,
            site: site.cloned(),
            as_of: self.position,
            contacts,
            total_contacts,
            satisfaction: self.satisfaction(scope, beneficiaries.total),
            beneficiaries,
            mediation,
            referral_funnel: self.referral_funnel(scope),
            access: self.access_times(scope, mediation_access),
            open_caseload,
            open_cases,
            closure_reasons,
            compliance: self.compliance(period, site),
            temporary_protection: self.temporary_protection(scope, &persons),
            group_activities: self.group_figures(scope),
        }
    }

    /// Contacts per activity and site, then per activity; the distinct persons among them; and
    /// how many contacts in all.
    fn contact_figures(&self, scope: Scope) -> (Vec<ContactFigure>, BTreeSet<Ix>, u32) {
        let contacts: Vec<(ContactActivity, Sym, Option<Ix>)> = self
            .contacts_in(scope.period, scope.site)
            .into_iter()
            .map(|c| (c.activity, c.site, c.person))
            .collect();
        let mut by_site: BTreeMap<(ContactActivity, &str), (u32, HashSet<Ix>)> = BTreeMap::new();
        let mut by_activity: BTreeMap<ContactActivity, (u32, HashSet<Ix>)> = BTreeMap::new();
        let mut persons: BTreeSet<Ix> = BTreeSet::new();
        for (activity, s, p) in &contacts {
            let e = by_site.entry((*activity, self.syms.name(*s))).or_default();
            let a = by_activity.entry(*activity).or_default();
            e.0 += 1;
            a.0 += 1;
            if let Some(p) = p {
                e.1.insert(*p);
                a.1.insert(*p);
                persons.insert(*p);
            }
        }
        let mut contact_figures: Vec<ContactFigure> = by_site
            .into_iter()
            .map(|((activity, s), (n, ps))| ContactFigure {
                activity,
                site: Some(SiteId::new(s)),
                contacts: n,
                distinct_persons: count(ps.len()),
            })
            .collect();
        contact_figures.extend(
            by_activity
                .into_iter()
                .map(|(activity, (n, ps))| ContactFigure {
                    activity,
                    site: None,
                    contacts: n,
                    distinct_persons: count(ps.len()),
                }),
        );
        (contact_figures, persons, count(contacts.len()))
    }

    /// The beneficiaries (the persons with a contact) by what statistics count them by.
    fn beneficiary_figures(&self, period: &Period, persons: &BTreeSet<Ix>) -> Beneficiaries {
        let ref_year = period.to.year();
        let mut b = Beneficiaries {
            total: count(persons.len()),
            new: 0,
            returning: 0,
            by_citizenship: Vec::new(),
            by_sex: Vec::new(),
            by_age_band: Vec::new(),
            by_permit_type: Vec::new(),
            by_vulnerability: Vec::new(),
            without_vulnerability: 0,
        };
        let (mut cit, mut sex, mut age, mut permit, mut vul) = (
            BTreeMap::new(),
            BTreeMap::new(),
            BTreeMap::new(),
            BTreeMap::new(),
            BTreeMap::new(),
        );
        for p in persons {
            let row = &self.persons[*p as usize];
            if let Some(pr) = &row.profile {
                if domain::state::desk_day(pr.registered_at) < period.from {
                    b.returning += 1;
                } else {
                    b.new += 1;
                }
                let c = pr
                    .citizenships
                    .first()
                    .map_or("", |c| self.syms.name(*c))
                    .to_string();
                *cit.entry(c).or_insert(0) += 1;
                *sex.entry(pr.sex).or_insert(0) += 1;
                *age.entry(AgeBand::of_age(ref_year - pr.birth_year))
                    .or_insert(0) += 1;
                *permit.entry(pr.permit_type).or_insert(0) += 1;
            } else {
                b.new += 1;
            }
            let cats = from_bits(VulnerabilityCategory::ALL, row.vulnerabilities);
            if cats.is_empty() {
                b.without_vulnerability += 1;
            }
            for c in cats {
                *vul.entry(c).or_insert(0) += 1;
            }
        }
        b.by_citizenship = counts(cit);
        b.by_sex = counts(sex);
        b.by_age_band = counts(age);
        b.by_permit_type = counts(permit);
        b.by_vulnerability = counts(vul);
        b
    }

    /// Mediation requests and sessions, by language, mode and requesting service; and what the
    /// access times need of the requests.
    fn mediation_figures(&self, scope: Scope) -> (MediationFigures, MediationAccess) {
        let at_site = |s: Sym| scope.at_site(s);
        let period = scope.period;
        let mut by_language: BTreeMap<String, MedAcc> = BTreeMap::new();
        let mut by_mode: BTreeMap<MediationMode, MedAcc> = BTreeMap::new();
        let mut by_service: BTreeMap<Option<ServiceId>, MedAcc> = BTreeMap::new();
        let (mut requests, mut cancelled, mut sessions, mut minutes) = (0u32, 0u32, 0u32, 0u64);
        let mut request_days = Vec::new();
        let mut on_call_minutes = Vec::new();
        let mut by_place: BTreeMap<Option<SessionPlace>, MedAcc> = BTreeMap::new();
        let mut served = 0u32;
        for m in self.mediations.iter().flatten() {
            if !(at_site(m.site) && period.contains(m.requested_at)) {
                continue;
            }
            requests += 1;
            if m.cancelled.is_some() {
                cancelled += 1;
            }
            by_language
                .entry(self.syms.name(m.language).to_string())
                .or_default()
                .requests += 1;
            by_mode.entry(m.mode).or_default().requests += 1;
            by_service.entry(m.requesting_service).or_default().requests += 1;
            if let Some(first) = m
                .sessions
                .iter()
                .map(|s| self.sessions[*s as usize].started_at)
                .min()
            {
                served += 1;
                request_days.push(days_between(m.requested_at, first));
                if m.mode == MediationMode::OnCall {
                    on_call_minutes.push((first - m.requested_at).num_minutes().max(0));
                }
            }
        }
        for s in &self.sessions {
            if !(at_site(s.site) && period.contains(s.started_at)) {
                continue;
            }
            let mins = s.minutes();
            sessions += 1;
            minutes += mins;
            let place = by_place.entry(s.place).or_default();
            place.sessions += 1;
            place.minutes += mins;
            let req = self.mediations[s.mediation as usize].as_ref();
            let language = req.map_or(s.from, |r| r.language);
            let acc = by_language
                .entry(self.syms.name(language).to_string())
                .or_default();
            acc.sessions += 1;
            acc.minutes += mins;
            if let Some(r) = req {
                let acc = by_mode.entry(r.mode).or_default();
                acc.sessions += 1;
                acc.minutes += mins;
                let acc = by_service.entry(r.requesting_service).or_default();
                acc.sessions += 1;
                acc.minutes += mins;
            }
        }
        let mediation = MediationFigures {
            requests,
            cancelled,
            sessions,
            minutes,
            hours: minutes as f64 / 60.0,
            by_language: med_figures(by_language),
            by_mode: med_figures(by_mode),
            by_requesting_service: med_figures(by_service),
            by_place: med_figures(by_place),
        };
        let access = MediationAccess {
            requests,
            served,
            request_days,
            on_call_minutes,
        };
        (mediation, access)
    }

    /// Referrals issued in the period, per service, and what became of them.
    fn referral_funnel(&self, scope: Scope) -> Vec<FunnelFigure> {
        let at_site = |s: Sym| scope.at_site(s);
        let period = scope.period;
        struct Funnel {
            issued: u32,
            accepted: u32,
            concluded: u32,
            received: u32,
            first: Vec<i64>,
            last: Vec<i64>,
        }
        let mut funnel: BTreeMap<ServiceId, Funnel> = BTreeMap::new();
        for r in self.referrals.iter().flatten() {
            if !(at_site(r.site) && period.contains(r.issued_at)) {
                continue;
            }
            let f = funnel.entry(r.service).or_insert(Funnel {
                issued: 0,
                accepted: 0,
                concluded: 0,
                received: 0,
                first: Vec::new(),
                last: Vec::new(),
            });
            f.issued += 1;
            if r.outcomes.iter().any(|o| {
                matches!(
                    o.outcome,
                    ReferralOutcome::Accepted
                        | ReferralOutcome::AppointmentSet
                        | ReferralOutcome::ServiceReceived
                )
            }) {
                f.accepted += 1;
            }
            if let Some(o) = r.outcomes.first() {
                f.first.push(days_between(r.issued_at, o.at));
            }
            if let Some(o) = r.outcomes.iter().find(|o| o.outcome.is_final()) {
                f.concluded += 1;
                if o.outcome == ReferralOutcome::ServiceReceived {
                    f.received += 1;
                }
                f.last.push(days_between(r.issued_at, o.at));
            }
        }
        funnel
            .into_iter()
            .map(|(service, f)| FunnelFigure {
                service,
                service_name: self
                    .service_keys
                    .get(&service)
                    .and_then(|ix| self.services[ix as usize].as_ref())
                    .map(|s| s.description.name.clone()),
                issued: f.issued,
                accepted: f.accepted,
                concluded: f.concluded,
                service_received: f.received,
                median_days_to_first_outcome: median(f.first),
                median_days_to_conclusion: median(f.last),
            })
            .collect()
    }

    /// Days from an intake to the next intervention, and from a mediation request to its first
    /// session.
    fn access_times(&self, scope: Scope, mediation: MediationAccess) -> AccessTimes {
        let at_site = |s: Sym| scope.at_site(s);
        let period = scope.period;
        let MediationAccess {
            requests,
            served,
            request_days,
            on_call_minutes,
        } = mediation;
        let mut interventions_by_person: HashMap<Ix, Vec<DateTime<Utc>>> = HashMap::default();
        for r in &self.interventions {
            // A merged registration's facts are the kept one's: one person.
            interventions_by_person
                .entry(self.kept(r.person))
                .or_default()
                .push(r.at);
        }
        for v in interventions_by_person.values_mut() {
            v.sort_unstable();
        }
        let (mut intakes, mut followed) = (0u32, 0u32);
        let mut intake_days = Vec::new();
        for r in &self.intakes {
            if !(at_site(r.site) && period.contains(r.at)) {
                continue;
            }
            intakes += 1;
            let next = interventions_by_person
                .get(&self.kept(r.person))
                .and_then(|v| {
                    let i = v.partition_point(|t| *t < r.at);
                    v.get(i)
                });
            if let Some(next) = next {
                followed += 1;
                intake_days.push(days_between(r.at, *next));
            }
        }
        AccessTimes {
            intakes,
            intakes_with_intervention: followed,
            median_days_intake_to_intervention: median(intake_days),
            mediation_requests: requests,
            mediation_requests_served: served,
            median_days_request_to_session: median(request_days),
            on_call_requests_served: u32::try_from(on_call_minutes.len()).unwrap_or(u32::MAX),
            median_hours_on_call_request_to_session: median(on_call_minutes).map(|m| m / 60.0),
        }
    }

    /// Cases open at the end of the period per operator, how many, and the closures in it by
    /// reason.
    fn caseload_and_closures(
        &self,
        scope: Scope,
    ) -> (Vec<CaseloadFigure>, u32, Vec<Count<ClosureReason>>) {
        let at_site = |s: Sym| scope.at_site(s);
        let period = scope.period;
        let end = period.end_exclusive();
        let mut caseload: BTreeMap<&str, u32> = BTreeMap::new();
        let mut open_cases = 0u32;
        let mut closures: BTreeMap<ClosureReason, u32> = BTreeMap::new();
        for c in self.cases.iter().flatten() {
            if !at_site(c.site) {
                continue;
            }
            if c.open_at(end) {
                open_cases += 1;
                *caseload.entry(self.syms.name(c.case_worker)).or_insert(0) += 1;
            }
            if let Some(cl) = c.closure {
                if period.contains(cl.at) {
                    *closures.entry(cl.reason).or_insert(0) += 1;
                }
            }
        }
        let open_caseload = caseload
            .into_iter()
            .map(|(operator, open_cases)| CaseloadFigure {
                operator: operator.to_string(),
                open_cases,
            })
            .collect();
        (open_caseload, open_cases, counts(closures))
    }

    /// Survey responses of the period: the rate (over `beneficiaries`), and each item's scores.
    fn satisfaction(&self, scope: Scope, beneficiaries: u32) -> Satisfaction {
        let at_site = |s: Sym| scope.at_site(s);
        let period = scope.period;
        let mut responses = 0u32;
        let mut helpful = 0u32;
        let mut item_sum = [0u32; 6];
        let mut item_n = [0u32; 6];
        let mut item_high = [0u32; 6];
        for s in &self.surveys {
            if !(at_site(s.site) && period.contains(s.at)) {
                continue;
            }
            responses += 1;
            if s.helpful {
                helpful += 1;
            }
            for (i, score) in s.scores.iter().enumerate() {
                if *score > 0 {
                    item_n[i] += 1;
                    item_sum[i] += u32::from(*score);
                    if *score >= 4 {
                        item_high[i] += 1;
                    }
                }
            }
        }
        Satisfaction {
            responses,
            response_rate: ratio(responses, beneficiaries),
            helpful_share: ratio(helpful, responses),
            items: SurveyItem::ALL
                .iter()
                .enumerate()
                .map(|(i, item)| SurveyItemFigure {
                    item: *item,
                    answers: item_n[i],
                    mean: ratio(item_sum[i], item_n[i]),
                    share_4_or_5: ratio(item_high[i], item_n[i]),
                })
                .collect(),
        }
    }

    /// A supervision meeting every month, a logbook entry every opening day.
    fn compliance(&self, period: &Period, site: Option<&SiteId>) -> Compliance {
        let months = self.supervision_months(period, site);
        let logbook = self.missing_logbook_days(period, site);
        Compliance {
            every_month_has_meeting: months.iter().all(MonthMeetings::has_meeting),
            months,
            every_opening_day_has_entry: logbook.iter().all(|l| l.missing.is_empty()),
            logbook,
        }
    }

    /// Beneficiaries and registrations with temporary protection, and the directory's capacity
    /// for the Ukrainian crisis.
    fn temporary_protection(&self, scope: Scope, persons: &BTreeSet<Ix>) -> TemporaryProtection {
        let at_site = |s: Sym| scope.at_site(s);
        let end = scope.period.end_exclusive();
        let tp_beneficiaries = persons
            .iter()
            .filter_map(|p| self.persons[*p as usize].profile.as_ref())
            .filter(|pr| pr.permit_type == PermitType::TemporaryProtection)
            .count();
        let registered_tp = self
            .persons
            .iter()
            .filter(|p| p.merged_into == NO_IX)
            .filter_map(|p| p.profile.as_ref())
            .filter(|pr| {
                at_site(pr.site)
                    && pr.permit_type == PermitType::TemporaryProtection
                    && pr.registered_at < end
            })
            .count();
        let mut tp = TemporaryProtection {
            beneficiaries: count(tp_beneficiaries),
            registered: count(registered_tp),
            services_with_capacity: 0,
            reception_places: 0,
            services_with_health: 0,
            services_with_school_access: 0,
        };
        for s in self.services.iter().flatten() {
            if s.retired.is_some() {
                continue;
            }
            if let Some(cap) = &s.description.ukraine_capacity {
                tp.services_with_capacity += 1;
                tp.reception_places += u64::from(cap.reception_places);
                tp.services_with_health += u32::from(cap.health);
                tp.services_with_school_access += u32::from(cap.school_access);
            }
        }
        tp
    }

    /// Group activities of the period, per kind.
    fn group_figures(&self, scope: Scope) -> Vec<GroupFigure> {
        let at_site = |s: Sym| scope.at_site(s);
        let period = scope.period;
        let mut groups: BTreeMap<GroupActivityKind, GroupFigure> = BTreeMap::new();
        for g in &self.groups {
            if !(at_site(g.site) && period.contains(g.at)) {
                continue;
            }
            let f = groups.entry(g.kind).or_insert(GroupFigure {
                kind: g.kind,
                activities: 0,
                attendees_third_country: 0,
                attendees_other: 0,
                minutes: 0,
            });
            f.activities += 1;
            f.attendees_third_country += g.attendees_third_country;
            f.attendees_other += g.attendees_other;
            f.minutes += u64::from(g.duration_minutes);
        }
        groups.into_values().collect()
    }
}
