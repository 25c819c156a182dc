//! `RedactText` on the free text of a group activity and of an anonymous survey, which are sealed
//! under keys of their own (`docs/adr/0010-sealed-free-text.md`); a named respondent's survey is
//! the person's data and goes with their erasure.

mod support;

use domain::RejectionKind as K;
use domain::*;
use support::*;

fn events() -> Vec<Event> {
    history(vec![
        m(map_asl()),
        m(map_cpia()),
        m(register()),
        m(consent()),
        m(group_activity()),
        m(RecordSurveyResponse {
            person_id: None,
            ..survey_cmd()
        }),
        m(RecordSurveyResponse {
            survey_id: SurveyId(ulid::Ulid(77)),
            ..survey_cmd()
        }),
    ])
}

fn redact(event_id: ulid::Ulid) -> RedactText {
    RedactText {
        event_id,
        occurred_at: t("2024-05-16T11:56:00Z"),
        reason: ErasureReason::PersonRequest,
    }
}

#[test]
fn each_event_says_the_key_of_its_free_text() {
    let events = events();
    let keys: Vec<(&str, Option<TextKey>)> = events
        .iter()
        .map(|e| (e.event_type(), e.text_key()))
        .collect();
    assert!(keys.contains(&("GroupActivityHeld", Some(TextKey::Own))));
    assert!(keys.contains(&("SatisfactionSurveyCompleted", Some(TextKey::Own))));
    assert!(keys.contains(&("SatisfactionSurveyCompleted", None)));
}

#[test]
fn a_supervisor_redacts_a_group_activity() {
    let events = events();
    given(events.clone())
        .when_by(supervisor(), redact(id_of(&events, "GroupActivityHeld")))
        .then_decision(StreamId::group_activity(group()), Expected::Exactly(1));
}

#[test]
fn a_supervisor_redacts_an_anonymous_survey_but_not_a_named_one() {
    let events = events();
    let surveys: Vec<ulid::Ulid> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.event_type() == "SatisfactionSurveyCompleted")
        .map(|(i, _)| event_id(i))
        .collect();
    given(events.clone())
        .when_by(supervisor(), redact(surveys[0]))
        .then_decision(StreamId::survey(survey()), Expected::Exactly(1));
    given(events)
        .when_by(supervisor(), redact(surveys[1]))
        .then_rejected("eventId", K::Mismatch);
}
