//! The monitoring figures of a period, as `projections::MonitoringReport` computes them.

use desk::projections::{suppressed_row, MonitoringSuppression};

use super::*;

/// A count under a key; `count` is `null` when the row is suppressed (`suppressed: true`).
#[derive(SimpleObject)]
#[graphql(concrete(name = "CountByText", params(String)))]
#[graphql(concrete(name = "CountBySex", params(Sex)))]
#[graphql(concrete(name = "CountByAgeBand", params(AgeBand)))]
#[graphql(concrete(name = "CountByPermitType", params(PermitType)))]
#[graphql(concrete(name = "CountByVulnerability", params(VulnerabilityCategory)))]
#[graphql(concrete(name = "CountByClosureReason", params(ClosureReason)))]
pub struct Count<K: async_graphql::OutputType> {
    pub key: K,
    /// `null`: suppressed.
    pub count: Option<u32>,
    /// True when the row is suppressed as a small cell (fewer people than `minCell`), or so
    /// that no difference gives one back.
    pub suppressed: bool,
}

/// A figure, or `None` when `hidden`.
pub(super) fn shown<T>(figure: T, hidden: bool) -> Option<T> {
    (!hidden).then_some(figure)
}

pub(super) fn counts<L, K: async_graphql::OutputType + From<L>>(
    items: Vec<desk::projections::Count<L>>,
    hidden: &[bool],
) -> Vec<Count<K>> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let suppressed = suppressed_row(hidden, i);
            Count {
                key: c.key.into(),
                count: shown(c.count, suppressed),
                suppressed,
            }
        })
        .collect()
}

/// Contacts of one activity, at one site or over all sites (`site: null`).
#[derive(SimpleObject)]
pub struct ContactFigure {
    pub activity: ContactActivity,
    /// `null`: all sites.
    pub site: Option<String>,
    /// `null`: suppressed.
    pub contacts: Option<u32>,
    /// Distinct persons among those contacts (sessions without a person add none); `null`:
    /// suppressed.
    pub distinct_persons: Option<u32>,
    /// True when the row is suppressed (its distinct persons fewer than `minCell`, or so that no
    /// difference gives such a row back).
    pub suppressed: bool,
}

/// Beneficiaries: distinct persons with at least one contact in the period (at the site, when
/// one is given); their profile as the fold knows it, corrections included. Each breakdown's
/// rows say whether they are suppressed; a `null` figure here is suppressed.
#[derive(SimpleObject)]
pub struct Beneficiaries {
    /// Distinct persons with a contact in the period.
    pub total: Option<u32>,
    /// Beneficiaries not registered before the period started.
    pub new: Option<u32>,
    /// Beneficiaries registered before the period started.
    pub returning: Option<u32>,
    /// By first citizenship listed (the one the commissioner's formats ask for).
    pub by_citizenship: Vec<Count<String>>,
    pub by_sex: Vec<Count<Sex>>,
    /// Age reached in the year the period ends.
    pub by_age_band: Vec<Count<AgeBand>>,
    pub by_permit_type: Vec<Count<PermitType>>,
    /// By category of the latest assessment; a person counts under each category they have.
    pub by_vulnerability: Vec<Count<VulnerabilityCategory>>,
    /// Beneficiaries whose latest assessment found none, or who were never assessed.
    pub without_vulnerability: Option<u32>,
}

/// Mediation under one key: requests made and sessions held in the period, with their minutes.
/// Every figure is `null` when the row is suppressed.
#[derive(SimpleObject)]
#[graphql(concrete(name = "MediationByLanguage", params(String)))]
#[graphql(concrete(name = "MediationByMode", params(MediationMode)))]
pub struct MediationFigure<K: async_graphql::OutputType> {
    pub key: K,
    pub requests: Option<u32>,
    pub sessions: Option<u32>,
    /// Whole minutes from start to end, summed over the sessions.
    pub minutes: Option<u64>,
    /// `minutes / 60`.
    pub hours: Option<f64>,
    /// True when the row is suppressed (fewer requests or sessions than `minCell`, or so that
    /// no difference gives such a row back).
    pub suppressed: bool,
}

/// Mediation for one requesting service (`serviceId: null`: the desk itself asked). Every
/// figure is `null` when the row is suppressed.
#[derive(SimpleObject)]
pub struct MediationByRequestingService {
    pub service_id: Option<ID>,
    pub requests: Option<u32>,
    pub sessions: Option<u32>,
    /// Whole minutes from start to end, summed over the sessions.
    pub minutes: Option<u64>,
    /// `minutes / 60`.
    pub hours: Option<f64>,
    pub suppressed: bool,
}

pub(super) fn mediation_figures<L, K: async_graphql::OutputType + From<L>>(
    items: Vec<desk::projections::MediationFigure<L>>,
    hidden: &[bool],
) -> Vec<MediationFigure<K>> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let suppressed = suppressed_row(hidden, i);
            MediationFigure {
                key: f.key.into(),
                requests: shown(f.requests, suppressed),
                sessions: shown(f.sessions, suppressed),
                minutes: shown(f.minutes, suppressed),
                hours: shown(f.hours, suppressed),
                suppressed,
            }
        })
        .collect()
}

/// Mediation in the period. Requests are counted by request time, sessions by start time; a
/// session is keyed by its request's language, mode and requesting service. A `null` figure is
/// suppressed.
#[derive(SimpleObject)]
pub struct MediationFigures {
    pub requests: Option<u32>,
    /// Requests made in the period that were cancelled (by now).
    pub cancelled: Option<u32>,
    pub sessions: Option<u32>,
    pub minutes: Option<u64>,
    pub hours: Option<f64>,
    /// By the language the request asked for.
    pub by_language: Vec<MediationFigure<String>>,
    /// On call versus scheduled.
    pub by_mode: Vec<MediationFigure<MediationMode>>,
    pub by_requesting_service: Vec<MediationByRequestingService>,
    /// Sessions by where they were held (`place: null`: not recorded).
    pub by_place: Vec<SessionsByPlace>,
}

/// The sessions held at one kind of place in the period; every figure `null` when suppressed.
#[derive(SimpleObject)]
pub struct SessionsByPlace {
    pub place: Option<SessionPlace>,
    pub sessions: Option<u32>,
    /// Whole minutes from start to end, summed over the sessions.
    pub minutes: Option<u64>,
    /// `minutes / 60`.
    pub hours: Option<f64>,
    pub suppressed: bool,
}

/// The referrals issued in the period to one service, followed to their outcomes as the fold
/// knows them (a cohort: outcomes after the period count). Every figure is `null` when the row
/// is suppressed (one of its counts fewer than `minCell`, or so that no difference gives such a
/// row back).
#[derive(SimpleObject)]
pub struct FunnelFigure {
    pub service_id: ID,
    pub service_name: Option<String>,
    pub issued: Option<u32>,
    /// With an outcome `accepted`, `appointment_set` or `service_received`.
    pub accepted: Option<u32>,
    /// With a final outcome (`service_received`, `refused`, `lost_contact`).
    pub concluded: Option<u32>,
    /// Of those concluded, with `service_received`.
    pub service_received: Option<u32>,
    /// Median UTC days from issue to first outcome, over referrals with one.
    pub median_days_to_first_outcome: Option<f64>,
    /// Median UTC days from issue to final outcome, over concluded referrals.
    pub median_days_to_conclusion: Option<f64>,
    pub suppressed: bool,
}

/// Days from request to first contact. Each pair of counts with its median is suppressed
/// together (`null`, with the `...Suppressed` flag) when a count is fewer than `minCell`.
#[derive(SimpleObject)]
pub struct AccessTimes {
    /// Intakes in the period.
    pub intakes: Option<u32>,
    /// Of those, followed by an intervention for the same person (at or after the intake).
    pub intakes_with_intervention: Option<u32>,
    /// Median UTC days from an intake to the first intervention at or after it.
    pub median_days_intake_to_intervention: Option<f64>,
    /// The three figures above are suppressed.
    pub intakes_suppressed: bool,
    /// Mediation requests in the period.
    pub mediation_requests: Option<u32>,
    /// Of those, with at least one session.
    pub mediation_requests_served: Option<u32>,
    /// Median UTC days from a mediation request to its first session.
    pub median_days_request_to_session: Option<f64>,
    /// The three figures above are suppressed.
    pub mediation_requests_suppressed: bool,
    /// On-call requests in the period with at least one session.
    pub on_call_requests_served: Option<u32>,
    /// Median hours from an on-call request to its first session: the response time.
    pub median_hours_on_call_request_to_session: Option<f64>,
    /// The two figures above are suppressed.
    pub on_call_suppressed: bool,
}

/// Cases open at the end of the period held by one operator; `openCases` is `null` when the row
/// is suppressed.
#[derive(SimpleObject)]
pub struct CaseloadFigure {
    pub operator: String,
    pub open_cases: Option<u32>,
    pub suppressed: bool,
}

#[derive(SimpleObject)]
pub struct SurveyItemFigure {
    pub item: SurveyItem,
    /// Surveys in the period that scored this item.
    pub answers: u32,
    pub mean: Option<f64>,
    /// Share (0 to 1) of those answers scoring 4 or 5.
    pub share_4_or_5: Option<f64>,
}

/// The survey's figures. Responses are anonymous: they count no person and are never
/// suppressed; the response rate is `null` when the beneficiaries' total is suppressed (it
/// would give it back).
#[derive(SimpleObject)]
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

#[derive(SimpleObject)]
pub struct Compliance {
    /// Every month the period touches, with the meetings held in it.
    pub months: Vec<MonthMeetings>,
    pub every_month_has_meeting: bool,
    /// Per site of the schedule: opening days in the period without a logbook entry.
    pub logbook: Vec<LogbookCoverage>,
    pub every_opening_day_has_entry: bool,
}

#[derive(SimpleObject)]
pub struct TemporaryProtection {
    /// Beneficiaries in the period holding temporary protection; `null`: suppressed.
    pub beneficiaries: Option<u32>,
    /// Persons registered by the end of the period holding temporary protection; `null`:
    /// suppressed.
    pub registered: Option<u32>,
    /// Services in the directory, not retired, with a Ukrainian-crisis capacity.
    pub services_with_capacity: u32,
    /// Reception places of those services.
    pub reception_places: u64,
    /// Of those services, offering health care.
    pub services_with_health: u32,
    /// Of those services, offering school access.
    pub services_with_school_access: u32,
}

/// Group activities of one kind held in the period (attendees are counted, never named: not
/// suppressed).
#[derive(SimpleObject)]
pub struct GroupFigure {
    pub kind: GroupActivityKind,
    pub activities: u32,
    pub attendees_third_country: u32,
    pub attendees_other: u32,
    pub minutes: u64,
}

/// Every monitoring figure for a period (and a site), as of `asOfPosition`.
///
/// - *In the period*: the UTC date of the event's time (a session's start) is within the period.
/// - *Contact*: one individual meeting of the desk with a person, of one of three kinds of
///   event: an intake (`IntakeRecorded`, activity `INTAKE`), an intervention
///   (`InterventionDelivered`, counted under its activity) or a mediation session
///   (`MediationSessionHeld`, `MEDIATION`; counted even without a person). Group activities are
///   counted apart, by attendees, since they name no person.
/// - *Beneficiary*: a distinct person with at least one contact in the period (at the site, when
///   one is given). Their profile is as the fold knows it, corrections included.
/// - With a site, every figure keeps only events at that site; supervision meetings count when
///   they name the site; the directory (capacity) is territorial and ignores the site.
/// - *Small cells* (`docs/adr/0013`): with a `minCell` (always for evaluators), a row of a
///   breakdown whose people (distinct persons; requests, sessions, referrals or cases where the
///   figures count no persons) are more than none and fewer than `minCell` is suppressed: its
///   row says `suppressed: true` and each of its figures is `null`. Secondary suppression then
///   suppresses more rows, so that no total minus the other rows gives one back. A total under
///   `minCell` is `null`. Counts are otherwise never `null`, so a `null` count always means
///   suppressed. Group activities, survey responses, supervision, the logbook and the directory
///   count no person and are never suppressed.
#[derive(SimpleObject)]
pub struct MonitoringReport {
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period (included).
    pub to: NaiveDate,
    /// The site asked for; `null`: all sites.
    pub site: Option<String>,
    /// The journal position the figures were folded up to.
    pub as_of_position: u64,
    /// The small-cell threshold applied; `null`: exact figures, for supervisors inside the desk
    /// only.
    pub min_cell: Option<u32>,
    /// How many rows and figures are suppressed.
    pub suppressed: u32,
    /// Per activity and site, then per activity over all sites (`site: null`).
    pub contacts: Vec<ContactFigure>,
    /// All contacts in the period; `null` with `beneficiaries.total` when that is suppressed.
    pub total_contacts: Option<u32>,
    pub beneficiaries: Beneficiaries,
    pub mediation: MediationFigures,
    /// Per target service.
    pub referral_funnel: Vec<FunnelFigure>,
    pub access: AccessTimes,
    /// Cases open at the end of the period (opened at the site, when a site is given), per
    /// operator.
    pub open_caseload: Vec<CaseloadFigure>,
    /// Cases open at the end of the period (opened at the site, when a site is given); `null`:
    /// suppressed.
    pub open_cases: Option<u32>,
    /// Cases closed in the period, by reason of that closure.
    pub closure_reasons: Vec<Count<ClosureReason>>,
    pub satisfaction: Satisfaction,
    pub compliance: Compliance,
    pub temporary_protection: TemporaryProtection,
    pub group_activities: Vec<GroupFigure>,
}

impl MonitoringReport {
    /// The report's figures with those `hide` names suppressed (`null`).
    pub fn protected(r: desk::projections::MonitoringReport, hide: &MonitoringSuppression) -> Self {
        let b = r.beneficiaries;
        let m = r.mediation;
        let s = r.satisfaction;
        let c = r.compliance;
        let tp = r.temporary_protection;
        let a = r.access;
        MonitoringReport {
            from: r.period.from,
            to: r.period.to,
            site: r.site.map(|s| s.0),
            as_of_position: r.as_of.0,
            min_cell: hide.min_cell,
            suppressed: hide.count(),
            contacts: r
                .contacts
                .into_iter()
                .enumerate()
                .map(|(i, f)| {
                    let suppressed = suppressed_row(&hide.contacts, i);
                    ContactFigure {
                        activity: f.activity.into(),
                        site: f.site.map(|s| s.0),
                        contacts: shown(f.contacts, suppressed),
                        distinct_persons: shown(f.distinct_persons, suppressed),
                        suppressed,
                    }
                })
                .collect(),
            total_contacts: shown(r.total_contacts, hide.total),
            beneficiaries: Beneficiaries {
                total: shown(b.total, hide.total),
                new: shown(b.new, hide.new),
                returning: shown(b.returning, hide.returning),
                by_citizenship: counts(b.by_citizenship, &hide.by_citizenship),
                by_sex: counts(b.by_sex, &hide.by_sex),
                by_age_band: counts(b.by_age_band, &hide.by_age_band),
                by_permit_type: counts(b.by_permit_type, &hide.by_permit_type),
                by_vulnerability: counts(b.by_vulnerability, &hide.by_vulnerability),
                without_vulnerability: shown(b.without_vulnerability, hide.without_vulnerability),
            },
            mediation: MediationFigures {
                requests: shown(m.requests, hide.mediation_requests),
                cancelled: shown(m.cancelled, hide.mediation_cancelled),
                sessions: shown(m.sessions, hide.mediation_sessions),
                minutes: shown(m.minutes, hide.mediation_sessions),
                hours: shown(m.hours, hide.mediation_sessions),
                by_language: mediation_figures(m.by_language, &hide.mediation_by_language),
                by_mode: mediation_figures(m.by_mode, &hide.mediation_by_mode),
                by_requesting_service: m
                    .by_requesting_service
                    .into_iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let suppressed = suppressed_row(&hide.mediation_by_requesting_service, i);
                        MediationByRequestingService {
                            service_id: f.key.map(id),
                            requests: shown(f.requests, suppressed),
                            sessions: shown(f.sessions, suppressed),
                            minutes: shown(f.minutes, suppressed),
                            hours: shown(f.hours, suppressed),
                            suppressed,
                        }
                    })
                    .collect(),
                by_place: m
                    .by_place
                    .into_iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let suppressed = suppressed_row(&hide.mediation_by_place, i);
                        SessionsByPlace {
                            place: f.key.map(Into::into),
                            sessions: shown(f.sessions, suppressed),
                            minutes: shown(f.minutes, suppressed),
                            hours: shown(f.hours, suppressed),
                            suppressed,
                        }
                    })
                    .collect(),
            },
            referral_funnel: r
                .referral_funnel
                .into_iter()
                .enumerate()
                .map(|(i, f)| {
                    let suppressed = suppressed_row(&hide.referral_funnel, i);
                    FunnelFigure {
                        service_id: id(f.service),
                        service_name: f.service_name,
                        issued: shown(f.issued, suppressed),
                        accepted: shown(f.accepted, suppressed),
                        concluded: shown(f.concluded, suppressed),
                        service_received: shown(f.service_received, suppressed),
                        median_days_to_first_outcome: f
                            .median_days_to_first_outcome
                            .filter(|_| !suppressed),
                        median_days_to_conclusion: f
                            .median_days_to_conclusion
                            .filter(|_| !suppressed),
                        suppressed,
                    }
                })
                .collect(),
            access: AccessTimes {
                intakes: shown(a.intakes, hide.access_intakes),
                intakes_with_intervention: shown(a.intakes_with_intervention, hide.access_intakes),
                median_days_intake_to_intervention: a
                    .median_days_intake_to_intervention
                    .filter(|_| !hide.access_intakes),
                intakes_suppressed: hide.access_intakes,
                mediation_requests: shown(a.mediation_requests, hide.access_mediation),
                mediation_requests_served: shown(
                    a.mediation_requests_served,
                    hide.access_mediation,
                ),
                median_days_request_to_session: a
                    .median_days_request_to_session
                    .filter(|_| !hide.access_mediation),
                mediation_requests_suppressed: hide.access_mediation,
                on_call_requests_served: shown(a.on_call_requests_served, hide.access_on_call),
                median_hours_on_call_request_to_session: a
                    .median_hours_on_call_request_to_session
                    .filter(|_| !hide.access_on_call),
                on_call_suppressed: hide.access_on_call,
            },
            open_caseload: r
                .open_caseload
                .into_iter()
                .enumerate()
                .map(|(i, c)| {
                    let suppressed = suppressed_row(&hide.open_caseload, i);
                    CaseloadFigure {
                        operator: c.operator,
                        open_cases: shown(c.open_cases, suppressed),
                        suppressed,
                    }
                })
                .collect(),
            open_cases: shown(r.open_cases, hide.open_cases),
            closure_reasons: counts(r.closure_reasons, &hide.closure_reasons),
            satisfaction: Satisfaction {
                responses: s.responses,
                response_rate: s.response_rate.filter(|_| !hide.response_rate),
                helpful_share: s.helpful_share,
                items: s
                    .items
                    .into_iter()
                    .map(|i| SurveyItemFigure {
                        item: i.item.into(),
                        answers: i.answers,
                        mean: i.mean,
                        share_4_or_5: i.share_4_or_5,
                    })
                    .collect(),
            },
            compliance: Compliance {
                months: c.months.into_iter().map(Into::into).collect(),
                every_month_has_meeting: c.every_month_has_meeting,
                logbook: c.logbook.into_iter().map(Into::into).collect(),
                every_opening_day_has_entry: c.every_opening_day_has_entry,
            },
            temporary_protection: TemporaryProtection {
                beneficiaries: shown(tp.beneficiaries, hide.temporary_protection_beneficiaries),
                registered: shown(tp.registered, hide.temporary_protection_registered),
                services_with_capacity: tp.services_with_capacity,
                reception_places: tp.reception_places,
                services_with_health: tp.services_with_health,
                services_with_school_access: tp.services_with_school_access,
            },
            group_activities: r
                .group_activities
                .into_iter()
                .map(|g| GroupFigure {
                    kind: g.kind.into(),
                    activities: g.activities,
                    attendees_third_country: g.attendees_third_country,
                    attendees_other: g.attendees_other,
                    minutes: g.minutes,
                })
                .collect(),
        }
    }
}
