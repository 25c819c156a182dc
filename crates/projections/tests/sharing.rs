//! Clones of the read models share their tables (`src/table.rs`) and must stay independent all
//! the same: clones taken at random points of a random history, some of them folded on apart
//! from the models they were taken from, each answer exactly as a fresh fold of the history up
//! to their own position, and so do the models folded on past them.

mod support;

use chrono::{NaiveDate, TimeDelta};
use domain::generator::{Generator, GeneratorConfig};
use domain::*;
use journal::Position;
use projections::*;
use proptest::prelude::*;
use support::*;

const START: (i32, u32, u32) = (2023, 1, 2);

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(START.0, START.1, START.2).unwrap()
}

/// Every list and figure the models answer over the generated days, the pages read from the
/// indexes among them: two models that answer alike hold the same rows.
#[derive(Debug, PartialEq)]
struct Answers {
    position: Position,
    unmatched_corrections: u64,
    persons: Vec<PersonView>,
    cases: Vec<CaseView>,
    cases_page: Page<CaseView>,
    referrals: Vec<ReferralView>,
    referrals_page: Page<ReferralView>,
    mediation_requests: Vec<MediationRequestView>,
    mediation_sessions: Vec<MediationSessionView>,
    logbook: Vec<LogbookEntryView>,
    services: Vec<ServiceView>,
    meetings: Vec<MeetingView>,
    monitoring: MonitoringReport,
    beneficiaries: Vec<BeneficiaryRow>,
    audit: Vec<AuditEntry>,
    intakes: Page<Position>,
}

fn answers(m: &ReadModels) -> Answers {
    let period = Period::new(start(), start() + TimeDelta::days(120)).unwrap();
    let audit = m
        .audit_positions(&AuditFilter::default(), &PageRequest::default())
        .items
        .into_iter()
        .map(|p| m.audit_entry(p).unwrap())
        .collect();
    let half = Position(m.position().get() / 2);
    let cursor = Cursor {
        after: Some(half),
        first: 5,
        with_total: true,
    };
    let intakes = AuditFilter {
        event_types: vec!["IntakeRecorded".into(), "EventCorrected".into()],
        ..AuditFilter::default()
    };
    Answers {
        position: m.position(),
        unmatched_corrections: m.unmatched_corrections(),
        persons: m.persons(&PersonFilter::default()),
        cases: m.cases(&CaseFilter::default()),
        cases_page: m.cases_page(&CaseFilter::default(), &cursor),
        referrals: m.referrals(&ReferralFilter::default()),
        referrals_page: m.referrals_page(&ReferralFilter::default(), &cursor),
        mediation_requests: m.mediation_requests(&MediationFilter::default()),
        mediation_sessions: m.mediation_sessions(&MediationFilter::default()),
        logbook: m.logbook_entries(&LogbookFilter::default()),
        services: m.services(&ServiceFilter::default()),
        meetings: m.supervision_meetings(&period, None),
        monitoring: m.monitoring(&period, None),
        beneficiaries: m.beneficiaries(&period, None),
        audit,
        intakes: m.audit_positions(
            &intakes,
            &PageRequest {
                after: Some(half),
                first: Some(4),
                with_total: true,
                ..PageRequest::default()
            },
        ),
    }
}

/// A correction of the latest intake folded so far (its needs), if there is one: corrections
/// change rows made long before them, in tables a clone shares.
fn correct_latest_intake(desk: &mut Desk) {
    let Some((rec, event)) = desk
        .history
        .iter()
        .rev()
        .find(|(r, _)| r.event_type == "IntakeRecorded")
    else {
        return;
    };
    let (corrects, _) = (rec.id, event);
    let occurred_at = desk.history.last().unwrap().1.occurred_at();
    desk.run(
        &supervisor(),
        CorrectEvent {
            corrects,
            occurred_at,
            fields: [("needs".to_string(), serde_json::json!(["legal"]))].into(),
            personal_fields: PersonalFields::default(),
            reason: "bisogno registrato male all'accoglienza".into(),
        },
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn clones_answer_as_a_fresh_fold_to_their_position_however_the_others_are_folded_on(
        seed in any::<u64>(),
        lines in 150u64..320,
        clone_at in prop::collection::vec(0usize..320, 1..5),
        corrections in prop::collection::vec(0usize..320, 0..4),
        forks in prop::collection::vec((0usize..5, 1usize..120), 0..3),
    ) {
        let config = GeneratorConfig {
            start: start(),
            days: 120,
            sites: 2,
            new_persons_per_opening: 2,
            max_lines: Some(lines),
        };
        let at = |points: &[usize], i: usize| {
            points.iter().filter(|&&p| p % (lines as usize) == i).count()
        };
        let mut desk = Desk::default();
        let mut clones: Vec<ReadModels> = Vec::new();
        for (i, line) in Generator::new(seed, config).enumerate() {
            desk.run_line(&line);
            if at(&corrections, i) > 0 {
                correct_latest_intake(&mut desk);
            }
            for _ in 0..at(&clone_at, i) {
                clones.push(desk.models.clone());
            }
        }
        prop_assert_eq!(clones.len(), clone_at.len());
        prop_assert!(!desk.models.cases(&CaseFilter::default()).is_empty(), "a history with cases");
        // Clones folded on apart, after the models they came from have moved on: each change
        // copies what it changes, in the clone and never in the others.
        let mut forked: Vec<ReadModels> = Vec::new();
        for &(k, n) in &forks {
            let Some(base) = clones.get(k % clones.len().max(1)) else { continue };
            let mut fork = base.clone();
            let from = fork.position();
            for (rec, event) in desk.history.iter().filter(|(r, _)| r.position > from).take(n) {
                fork.apply(rec, event);
            }
            forked.push(fork);
        }
        for m in clones.iter().chain(&forked).chain([&desk.models]) {
            let fresh = desk.as_of(m.position());
            prop_assert_eq!(answers(m), answers(&fresh), "as of {:?}", m.position());
        }
    }
}
