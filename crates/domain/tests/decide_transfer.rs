//! Given events, when `TransferCase`, then `CaseTransferred` or a rejection: one test per rule.

mod support;

use domain::RejectionKind as K;
use domain::*;
use support::*;

#[test]
fn a_supervisor_moves_a_case_and_names_the_service_that_holds_it() {
    given(base())
        .when_by(supervisor(), transfer())
        .then_events(vec![CaseTransferred {
            case_id: case(),
            person_id: person(),
            site_id: site(),
            occurred_at: t("2024-05-10T10:00:00Z"),
            case_worker: Some("l.bianchi".into()),
            holding_service: Some(HoldingService {
                service_id: asl(),
                reference: "CF-2024/0173".into(),
            }),
        }
        .into()]);
}

#[test]
fn the_holding_service_alone_keeps_the_case_worker() {
    let decision = given(base())
        .when_by(
            supervisor(),
            TransferCase {
                case_worker: None,
                ..transfer()
            },
        )
        .then_accepted();
    assert_eq!(decision.stream, StreamId::case(case()));
    let Event::CaseTransferred(e) = &decision.events[0] else {
        panic!("{:?}", decision.events)
    };
    assert_eq!(e.case_worker, None);
}

#[test]
fn an_unknown_case_is_refused() {
    given(base())
        .when_by(
            supervisor(),
            TransferCase {
                case_id: CaseId(ulid::Ulid(7)),
                ..transfer()
            },
        )
        .then_rejected("caseId", K::NotFound);
}

#[test]
fn a_closed_case_is_refused() {
    let mut events = base();
    events.extend(given(base()).when(close_case()).then_accepted().events);
    given(events)
        .when_by(supervisor(), transfer())
        .then_rejected("caseId", K::CaseClosed);
}

#[test]
fn the_same_case_worker_is_refused() {
    // `open_case()` gave the case to m.haddad.
    given(base())
        .when_by(
            supervisor(),
            TransferCase {
                case_worker: Some("m.haddad".into()),
                holding_service: None,
                ..transfer()
            },
        )
        .then_rejected("caseWorker", K::Invalid);
}

#[test]
fn the_case_worker_it_was_moved_to_is_the_same_one_next_time() {
    let mut events = base();
    events.extend(
        given(base())
            .when_by(supervisor(), transfer())
            .then_accepted()
            .events,
    );
    given(events)
        .when_by(
            supervisor(),
            TransferCase {
                holding_service: None,
                occurred_at: t("2024-05-11T10:00:00Z"),
                ..transfer()
            },
        )
        .then_rejected("caseWorker", K::Invalid);
}

#[test]
fn nothing_to_move_is_refused() {
    given(base())
        .when_by(
            supervisor(),
            TransferCase {
                case_worker: None,
                holding_service: None,
                ..transfer()
            },
        )
        .then_rejected("caseWorker", K::Required);
}

#[test]
fn an_unknown_service_is_refused() {
    given(base())
        .when_by(
            supervisor(),
            TransferCase {
                holding_service: Some(HoldingService {
                    service_id: ServiceId(ulid::Ulid(7)),
                    reference: "CF-2024/0173".into(),
                }),
                ..transfer()
            },
        )
        .then_rejected("holdingService.serviceId", K::NotFound);
}

#[test]
fn a_retired_service_is_refused() {
    let mut events = base();
    events.extend(
        given(base())
            .when_by(supervisor(), retire_cpia())
            .then_accepted()
            .events,
    );
    given(events)
        .when_by(
            supervisor(),
            TransferCase {
                holding_service: Some(HoldingService {
                    service_id: cpia(),
                    reference: "CPIA-12".into(),
                }),
                ..transfer()
            },
        )
        .then_rejected("holdingService.serviceId", K::Retired);
}

#[test]
fn a_service_without_its_reference_is_refused() {
    given(base())
        .when_by(
            supervisor(),
            TransferCase {
                holding_service: Some(HoldingService {
                    service_id: asl(),
                    reference: " ".into(),
                }),
                ..transfer()
            },
        )
        .then_rejected("holdingService.reference", K::Required);
}

#[test]
fn a_mediator_may_not_transfer_a_case() {
    let command: Command = transfer().into();
    assert!(!command.permits(Role::Mediator));
    assert!(command.permits(Role::Supervisor));
}
