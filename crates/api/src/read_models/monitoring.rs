//! The monitoring figures of a period, as `projections::MonitoringReport` computes them.

use super::*;

/// A count under a key.
#[derive(SimpleObject)]
#[graphql(concrete(name = "CountByText", params(String)))]
#[graphql(concrete(name = "CountBySex", params(Sex)))]
#[graphql(concrete(name = "CountByAgeBand", params(AgeBand)))]
#[graphql(concrete(name = "CountByPermitType", params(PermitType)))]
#[graphql(concrete(name = "CountByVulnerability", params(VulnerabilityCategory)))]
#[graphql(concrete(name = "CountByClosureReason", params(ClosureReason)))]
pub struct Count<K: async_graphql::OutputType> {
    pub key: K,
    pub count: u32,
}

pub(super) fn counts<L, K: async_graphql::OutputType + From<L>>(
    items: Vec<desk::projections::Count<L>>,
) -> Vec<Count<K>> {
    items
        .into_iter()
        .map(|c| Count {
            key: c.key.into(),
            count: c.count,
        })
        .collect()
}

/// Contacts of one activity, at one site or over all sites (`site: null`).
#[derive(SimpleObject)]
pub struct ContactFigure {
    pub activity: ContactActivity,
    /// `null`: all sites.
    pub site: Option<String>,
    pub contacts: u32,
    /// Distinct persons among those contacts (sessions without a person add none).
    pub distinct_persons: u32,
}

/// Beneficiaries: distinct persons with at least one contact in the period (at the site, when
/// one is given); their profile as the fold knows it, corrections included.
#[derive(SimpleObject)]
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
    /// Age reached in the year the period ends.
    pub by_age_band: Vec<Count<AgeBand>>,
    pub by_permit_type: Vec<Count<PermitType>>,
    /// By category of the latest assessment; a person counts under each category they have.
    pub by_vulnerability: Vec<Count<VulnerabilityCategory>>,
    /// Beneficiaries whose latest assessment found none, or who were never assessed.
    pub without_vulnerability: u32,
}

/// Mediation under one key: requests made and sessions held in the period, with their minutes.
#[derive(SimpleObject)]
#[graphql(concrete(name = "MediationByLanguage", params(String)))]
#[graphql(concrete(name = "MediationByMode", params(MediationMode)))]
pub struct MediationFigure<K: async_graphql::OutputType> {
    pub key: K,
    pub requests: u32,
    pub sessions: u32,
    /// Whole minutes from start to end, summed over the sessions.
    pub minutes: u64,
    /// `minutes / 60`.
    pub hours: f64,
}

/// Mediation for one requesting service (`serviceId: null`: the desk itself asked).
#[derive(SimpleObject)]
pub struct MediationByRequestingService {
    pub service_id: Option<ID>,
    pub requests: u32,
    pub sessions: u32,
    /// Whole minutes from start to end, summed over the sessions.
    pub minutes: u64,
    /// `minutes / 60`.
    pub hours: f64,
}

pub(super) fn mediation_figures<L, K: async_graphql::OutputType + From<L>>(
    items: Vec<desk::projections::MediationFigure<L>>,
) -> Vec<MediationFigure<K>> {
    items
        .into_iter()
        .map(|f| MediationFigure {
            key: f.key.into(),
            requests: f.requests,
            sessions: f.sessions,
            minutes: f.minutes,
            hours: f.hours,
        })
        .collect()
}

/// Mediation in the period. Requests are counted by request time, sessions by start time; a
/// session is keyed by its request's language, mode and requesting service.
#[derive(SimpleObject)]
pub struct MediationFigures {
    pub requests: u32,
    /// Requests made in the period that were cancelled (by now).
    pub cancelled: u32,
    pub sessions: u32,
    pub minutes: u64,
    pub hours: f64,
    /// By the language the request asked for.
    pub by_language: Vec<MediationFigure<String>>,
    /// On call versus scheduled.
    pub by_mode: Vec<MediationFigure<MediationMode>>,
    pub by_requesting_service: Vec<MediationByRequestingService>,
    /// Sessions by where they were held (`place: null`: not recorded).
    pub by_place: Vec<SessionsByPlace>,
}

/// The sessions held at one kind of place in the period.
#[derive(SimpleObject)]
pub struct SessionsByPlace {
    pub place: Option<SessionPlace>,
    pub sessions: u32,
    /// Whole minutes from start to end, summed over the sessions.
    pub minutes: u64,
    /// `minutes / 60`.
    pub hours: f64,
}

/// The referrals issued in the period to one service, followed to their outcomes as the fold
/// knows them (a cohort: outcomes after the period count).
#[derive(SimpleObject)]
pub struct FunnelFigure {
    pub service_id: ID,
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
#[derive(SimpleObject)]
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
    /// On-call requests in the period with at least one session.
    pub on_call_requests_served: u32,
    /// Median hours from an on-call request to its first session: the response time.
    pub median_hours_on_call_request_to_session: Option<f64>,
}

/// Cases open at the end of the period held by one operator.
#[derive(SimpleObject)]
pub struct CaseloadFigure {
    pub operator: String,
    pub open_cases: u32,
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
    /// Beneficiaries in the period holding temporary protection.
    pub beneficiaries: u32,
    /// Persons registered by the end of the period holding temporary protection.
    pub registered: u32,
    /// Services in the directory, not retired, with a Ukrainian-crisis capacity.
    pub services_with_capacity: u32,
    /// Reception places of those services.
    pub reception_places: u64,
    /// Of those services, offering health care.
    pub services_with_health: u32,
    /// Of those services, offering school access.
    pub services_with_school_access: u32,
}

/// Group activities of one kind held in the period.
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
    /// Per activity and site, then per activity over all sites (`site: null`).
    pub contacts: Vec<ContactFigure>,
    /// All contacts in the period.
    pub total_contacts: u32,
    pub beneficiaries: Beneficiaries,
    pub mediation: MediationFigures,
    /// Per target service.
    pub referral_funnel: Vec<FunnelFigure>,
    pub access: AccessTimes,
    /// Cases open at the end of the period (opened at the site, when a site is given), per
    /// operator.
    pub open_caseload: Vec<CaseloadFigure>,
    /// Cases open at the end of the period (opened at the site, when a site is given).
    pub open_cases: u32,
    /// Cases closed in the period, by reason of that closure.
    pub closure_reasons: Vec<Count<ClosureReason>>,
    pub satisfaction: Satisfaction,
    pub compliance: Compliance,
    pub temporary_protection: TemporaryProtection,
    pub group_activities: Vec<GroupFigure>,
}

impl From<desk::projections::MonitoringReport> for MonitoringReport {
    fn from(r: desk::projections::MonitoringReport) -> Self {
        let b = r.beneficiaries;
        let m = r.mediation;
        let s = r.satisfaction;
        let c = r.compliance;
        let tp = r.temporary_protection;
        MonitoringReport {
            from: r.period.from,
            to: r.period.to,
            site: r.site.map(|s| s.0),
            as_of_position: r.as_of.0,
            contacts: r
                .contacts
                .into_iter()
                .map(|f| ContactFigure {
                    activity: f.activity.into(),
                    site: f.site.map(|s| s.0),
                    contacts: f.contacts,
                    distinct_persons: f.distinct_persons,
                })
                .collect(),
            total_contacts: r.total_contacts,
            beneficiaries: Beneficiaries {
                total: b.total,
                new: b.new,
                returning: b.returning,
                by_citizenship: counts(b.by_citizenship),
                by_sex: counts(b.by_sex),
                by_age_band: counts(b.by_age_band),
                by_permit_type: counts(b.by_permit_type),
                by_vulnerability: counts(b.by_vulnerability),
                without_vulnerability: b.without_vulnerability,
            },
            mediation: MediationFigures {
                requests: m.requests,
                cancelled: m.cancelled,
                sessions: m.sessions,
                minutes: m.minutes,
                hours: m.hours,
                by_language: mediation_figures(m.by_language),
                by_mode: mediation_figures(m.by_mode),
                by_requesting_service: m
                    .by_requesting_service
                    .into_iter()
                    .map(|f| MediationByRequestingService {
                        service_id: f.key.map(id),
                        requests: f.requests,
                        sessions: f.sessions,
                        minutes: f.minutes,
                        hours: f.hours,
                    })
                    .collect(),
                by_place: m
                    .by_place
                    .into_iter()
                    .map(|f| SessionsByPlace {
                        place: f.key.map(Into::into),
                        sessions: f.sessions,
                        minutes: f.minutes,
                        hours: f.hours,
                    })
                    .collect(),
            },
            referral_funnel: r
                .referral_funnel
                .into_iter()
                .map(|f| FunnelFigure {
                    service_id: id(f.service),
                    service_name: f.service_name,
                    issued: f.issued,
                    accepted: f.accepted,
                    concluded: f.concluded,
                    service_received: f.service_received,
                    median_days_to_first_outcome: f.median_days_to_first_outcome,
                    median_days_to_conclusion: f.median_days_to_conclusion,
                })
                .collect(),
            access: AccessTimes {
                intakes: r.access.intakes,
                intakes_with_intervention: r.access.intakes_with_intervention,
                median_days_intake_to_intervention: r.access.median_days_intake_to_intervention,
                mediation_requests: r.access.mediation_requests,
                mediation_requests_served: r.access.mediation_requests_served,
                median_days_request_to_session: r.access.median_days_request_to_session,
                on_call_requests_served: r.access.on_call_requests_served,
                median_hours_on_call_request_to_session: r
                    .access
                    .median_hours_on_call_request_to_session,
            },
            open_caseload: r
                .open_caseload
                .into_iter()
                .map(|c| CaseloadFigure {
                    operator: c.operator,
                    open_cases: c.open_cases,
                })
                .collect(),
            open_cases: r.open_cases,
            closure_reasons: counts(r.closure_reasons),
            satisfaction: Satisfaction {
                responses: s.responses,
                response_rate: s.response_rate,
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
                beneficiaries: tp.beneficiaries,
                registered: tp.registered,
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
