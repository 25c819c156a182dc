//! Given events, when `MergePersons`, then `PersonsMerged` or a rejection: one test per rule.

mod support;

use domain::RejectionKind as K;
use domain::*;
use support::*;

/// The base history (Olena registered, consenting, with an open case) and her duplicate.
fn with_duplicate() -> Vec<Event> {
    history(vec![
        m(map_asl()),
        m(map_cpia()),
        m(register()),
        m(consent()),
        m(intake()),
        m(open_case()),
        m(register_duplicate()),
    ])
}

fn merged() -> Vec<Event> {
    let mut events = with_duplicate();
    events.extend(
        given(with_duplicate())
            .when_by(supervisor(), merge())
            .then_accepted()
            .events,
    );
    events
}

#[test]
fn a_supervisor_merges_a_duplicate_on_its_stream() {
    given(with_duplicate())
        .when_by(supervisor(), merge())
        .then_events(vec![PersonsMerged {
            person_id: duplicate(),
            into_person_id: person(),
            site_id: site(),
            occurred_at: t("2024-05-16T11:59:30Z"),
        }
        .into()]);
    let decision = given(with_duplicate())
        .when_by(supervisor(), merge())
        .then_accepted();
    assert_eq!(
        (decision.stream, decision.expected),
        (StreamId::person(duplicate()), Expected::Exactly(1))
    );
}

#[test]
fn only_a_supervisor_merges() {
    given(with_duplicate())
        .when(merge())
        .then_rejected("actor", K::NotPermitted);
}

#[test]
fn a_registration_is_not_merged_into_itself() {
    given(with_duplicate())
        .when_by(
            supervisor(),
            MergePersons {
                into_person_id: duplicate(),
                ..merge()
            },
        )
        .then_rejected("intoPersonId", K::Invalid);
}

#[test]
fn both_registrations_must_exist() {
    given(base())
        .when_by(supervisor(), merge())
        .then_rejected("personId", K::NotFound);
    given(history(vec![m(register_duplicate())]))
        .when_by(supervisor(), merge())
        .then_rejected("intoPersonId", K::NotFound);
}

#[test]
fn an_erased_registration_is_not_merged() {
    let erase = |person_id| ErasePerson {
        person_id,
        occurred_at: t("2024-05-16T11:00:00Z"),
        reason: ErasureReason::PersonRequest,
    };
    let mut erased_duplicate = with_duplicate();
    erased_duplicate.push(
        PersonErased {
            person_id: duplicate(),
            occurred_at: erase(duplicate()).occurred_at,
            reason: erase(duplicate()).reason,
        }
        .into(),
    );
    given(erased_duplicate)
        .when_by(supervisor(), merge())
        .then_rejected("personId", K::Erased);
    let mut erased_kept = with_duplicate();
    erased_kept.push(
        PersonErased {
            person_id: person(),
            occurred_at: erase(person()).occurred_at,
            reason: erase(person()).reason,
        }
        .into(),
    );
    given(erased_kept)
        .when_by(supervisor(), merge())
        .then_rejected("intoPersonId", K::Erased);
}

#[test]
fn a_registration_is_merged_once() {
    given(merged())
        .when_by(supervisor(), merge())
        .then_rejected("personId", K::Merged);
}

#[test]
fn a_registration_with_an_open_case_is_not_merged_away() {
    // Olena's own registration has the open case: merging it into the duplicate is refused.
    given(with_duplicate())
        .when_by(
            supervisor(),
            MergePersons {
                person_id: person(),
                into_person_id: duplicate(),
                ..merge()
            },
        )
        .then_rejected("personId", K::CaseNotClosed);
}

#[test]
fn nothing_is_merged_into_a_merged_registration() {
    let mut events = merged();
    events.extend(history(vec![m(RegisterPerson {
        person_id: minor(),
        ..register_duplicate()
    })]));
    given(events)
        .when_by(
            supervisor(),
            MergePersons {
                person_id: minor(),
                into_person_id: duplicate(),
                ..merge()
            },
        )
        .then_rejected("intoPersonId", K::Merged);
}

#[test]
fn nothing_new_is_recorded_on_a_merged_registration() {
    given(merged())
        .when(GiveConsent {
            person_id: duplicate(),
            ..consent()
        })
        .then_rejected("personId", K::Merged);
}

#[test]
fn a_merged_registration_is_still_erased_on_its_own() {
    given(merged())
        .when_by(
            supervisor(),
            ErasePerson {
                person_id: duplicate(),
                occurred_at: t("2024-05-16T12:00:00Z"),
                reason: ErasureReason::PersonRequest,
            },
        )
        .then_decision(StreamId::person(duplicate()), Expected::Exactly(2));
}
