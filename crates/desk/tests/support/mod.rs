//! What the desk's tests share: the fixture month and how many events it records, and the
//! answers a set of read models gives, to compare two of them.

// Each test file uses what it needs of this module.
#![allow(dead_code)]

use projections::*;

#[path = "../../../../fixtures/fixture.rs"]
pub mod fixture;

/// Every list and figure the read models answer (all sites, the fixture's month and the whole
/// year), so that two models that answer alike hold the same rows.
#[derive(Debug, PartialEq)]
pub struct Answers {
    position: journal::Position,
    unmatched_corrections: u64,
    persons: Vec<PersonView>,
    cases: Vec<CaseView>,
    referrals: Vec<ReferralView>,
    mediation_requests: Vec<MediationRequestView>,
    mediation_sessions: Vec<MediationSessionView>,
    logbook: Vec<LogbookEntryView>,
    missing_logbook_days: Vec<MissingLogbookDays>,
    services: Vec<ServiceView>,
    meetings: Vec<MeetingView>,
    pub monitoring_month: MonitoringReport,
    monitoring_year: MonitoringReport,
    beneficiaries: Vec<BeneficiaryRow>,
    audit: Vec<AuditEntry>,
}

pub fn answers(models: &ReadModels) -> Answers {
    let month = Period::parse_month("2024-05").unwrap();
    let year = Period::new(
        chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap(),
    )
    .unwrap();
    let audit = models
        .audit_positions(&AuditFilter::default(), &PageRequest::default())
        .items
        .into_iter()
        .map(|p| models.audit_entry(p).unwrap())
        .collect();
    Answers {
        position: models.position(),
        unmatched_corrections: models.unmatched_corrections(),
        persons: models.persons(&PersonFilter::default()),
        cases: models.cases(&CaseFilter::default()),
        referrals: models.referrals(&ReferralFilter::default()),
        mediation_requests: models.mediation_requests(&MediationFilter::default()),
        mediation_sessions: models.mediation_sessions(&MediationFilter::default()),
        logbook: models.logbook_entries(&LogbookFilter::default()),
        missing_logbook_days: models.missing_logbook_days(&month, None),
        services: models.services(&ServiceFilter::default()),
        meetings: models.supervision_meetings(&year, None),
        monitoring_month: models.monitoring(&month, None),
        monitoring_year: models.monitoring(&year, None),
        beneficiaries: models.beneficiaries(&year, None),
        audit,
    }
}
