//! Given events, when `RecordCaseConference`, then `CaseConferenceHeld` or a rejection: one test
//! per rule.

mod support;

use domain::RejectionKind as K;
use domain::*;
use support::*;

#[test]
fn a_mediator_records_a_conference_with_the_services_present() {
    let decision = given(base())
        .when(conference())
        .then_events(vec![CaseConferenceHeld {
            case_id: case(),
            person_id: person(),
            site_id: site(),
            occurred_at: t("2024-05-16T10:30:00Z"),
            mediator: "m.haddad".into(),
            services: vec![asl()],
            participants: vec![PersonalNote::new("assistente sociale del consultorio")],
            decisions: vec![PersonalNote::new("visita ginecologica entro giugno")],
            next_review: Some(d("2024-06-13")),
        }
        .into()]);
    // On the case's stream: a closing recorded meanwhile makes the journal refuse it.
    assert_eq!(decision.stream, StreamId::case(case()));
    assert!(matches!(decision.expected, Expected::Exactly(_)));
}

#[test]
fn a_supervisor_records_for_a_mediator() {
    given(base())
        .when_by(
            supervisor(),
            RecordCaseConference {
                mediator: "o.kovalenko".into(),
                ..conference()
            },
        )
        .then_accepted();
}

#[test]
fn a_mediator_records_only_in_their_own_name() {
    given(base())
        .when(RecordCaseConference {
            mediator: "o.kovalenko".into(),
            ..conference()
        })
        .then_rejected("mediator", K::NotPermitted);
}

#[test]
fn an_unknown_case_is_refused() {
    given(base())
        .when(RecordCaseConference {
            case_id: CaseId(ulid::Ulid(7)),
            ..conference()
        })
        .then_rejected("caseId", K::NotFound);
}

#[test]
fn a_closed_case_is_refused() {
    let mut events = base();
    events.extend(given(base()).when(close_case()).then_accepted().events);
    given(events)
        .when(RecordCaseConference {
            occurred_at: t("2024-05-15T10:30:00Z"),
            ..conference()
        })
        .then_rejected("caseId", K::CaseClosed);
}

#[test]
fn a_conference_in_the_future_is_refused() {
    given(base())
        .when(RecordCaseConference {
            occurred_at: t("2024-05-17T10:30:00Z"),
            ..conference()
        })
        .then_rejected("occurredAt", K::InFuture);
}

#[test]
fn a_conference_before_the_case_opened_is_refused() {
    given(base())
        .when(RecordCaseConference {
            occurred_at: t("2024-05-02T06:00:00Z"),
            ..conference()
        })
        .then_rejected("occurredAt", K::OutOfRange);
}

#[test]
fn a_conference_without_services_is_refused() {
    given(base())
        .when(RecordCaseConference {
            services: vec![],
            ..conference()
        })
        .then_rejected("services", K::Required);
}

#[test]
fn a_service_named_twice_is_refused() {
    given(base())
        .when(RecordCaseConference {
            services: vec![asl(), asl()],
            ..conference()
        })
        .then_rejected("services[1]", K::Duplicate);
}

#[test]
fn an_unknown_service_is_refused() {
    given(base())
        .when(RecordCaseConference {
            services: vec![asl(), ServiceId(ulid::Ulid(7))],
            ..conference()
        })
        .then_rejected("services[1]", K::NotFound);
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
        .when(RecordCaseConference {
            services: vec![cpia()],
            ..conference()
        })
        .then_rejected("services[0]", K::Retired);
}

#[test]
fn a_review_before_the_conference_is_refused() {
    given(base())
        .when(RecordCaseConference {
            next_review: Some(d("2024-05-15")),
            ..conference()
        })
        .then_rejected("nextReview", K::OutOfRange);
}

#[test]
fn a_mediator_without_a_name_is_refused() {
    given(base())
        .when_by(
            supervisor(),
            RecordCaseConference {
                mediator: " ".into(),
                ..conference()
            },
        )
        .then_rejected("mediator", K::Required);
}

#[test]
fn the_conference_belongs_to_the_site_of_its_case() {
    let given = given(base());
    let command: Command = conference().into();
    assert_eq!(given.state().placement(&command), Placement::Site(site()));
    assert!(command.permits(Role::Mediator) && command.permits(Role::Supervisor));
    assert!(!command.permits(Role::Admin) && !command.permits(Role::Evaluator));
}
