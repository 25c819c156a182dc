//! Given events, when a command about a person at a site, then events or a rejection: a person
//! of another site answers exactly as an unknown one until that site takes them on.

mod support;

use domain::RejectionKind as K;
use domain::*;
use support::*;

fn taken_on() -> Vec<Event> {
    let mut events = base();
    events.extend(given(base()).when(take_on()).then_accepted().events);
    events
}

#[test]
fn a_site_takes_on_a_person_of_another_site_on_their_stream() {
    given(base())
        .when(take_on())
        .then_events(vec![PersonTakenOn {
            person_id: person(),
            site_id: other_site(),
            occurred_at: t("2024-05-16T11:59:40Z"),
        }
        .into()]);
}

#[test]
fn taking_on_needs_a_known_person_not_yet_of_the_site() {
    given(vec![])
        .when(take_on())
        .then_rejected("personId", K::NotFound);
    given(base())
        .when(TakeOnPerson {
            site_id: site(),
            ..take_on()
        })
        .then_rejected("siteId", K::AlreadyExists);
    given(taken_on())
        .when(take_on())
        .then_rejected("siteId", K::AlreadyExists);
    given(base())
        .when(TakeOnPerson {
            site_id: SiteId::new("Tivoli 1"),
            ..take_on()
        })
        .then_rejected("siteId", K::Invalid);
}

#[test]
fn another_sites_person_answers_as_an_unknown_one() {
    let elsewhere = RecordIntake {
        site_id: other_site(),
        ..intake()
    };
    let not_yours = given(base())
        .when(elsewhere.clone())
        .then_rejected("personId", K::NotFound);
    let unknown = given(base())
        .when(RecordIntake {
            person_id: minor(),
            ..elsewhere.clone()
        })
        .then_rejected("personId", K::NotFound);
    assert_eq!(not_yours, unknown, "the same refusal, word for word");
    // The consent Olena gave at Montelucci does not make her a person of Tivoli.
    given(base())
        .when(GiveConsent {
            site_id: other_site(),
            ..consent()
        })
        .then_rejected("personId", K::NotFound);
}

#[test]
fn once_taken_on_the_facts_are_recorded_at_the_second_site() {
    given(taken_on())
        .when(RecordIntake {
            site_id: other_site(),
            ..intake()
        })
        .then_decision(StreamId::person(person()), Expected::Exactly(4));
}
