//! Given events, when `DefineSurvey` or `RecordSurveyResponse`, then events or a rejection: a
//! definition's versions are recorded in order and checked item by item; a response answers
//! the definition it names, or the one in force on its day, and its scores are checked against
//! that definition's items and scales.

mod support;

use domain::RejectionKind as K;
use domain::*;
use support::*;

fn define() -> DefineSurvey {
    DefineSurvey::sample()
}

/// The sample definition (`gradimento-impact` version 1, in force from 2024-06-01) recorded.
fn defined() -> Vec<Event> {
    given(vec![])
        .when_by(admin(), define())
        .then_accepted()
        .events
}

/// A day when the sample definition is in force.
fn june() -> chrono::DateTime<chrono::Utc> {
    t("2024-06-05T12:00:00Z")
}

fn response(at: &str, definition: Option<&str>, version: Option<u32>) -> RecordSurveyResponse {
    RecordSurveyResponse {
        occurred_at: t(at),
        person_id: None,
        definition: definition.map(Into::into),
        version,
        scores: vec![
            ItemScore {
                item: "accoglienza".into(),
                score: 4,
            },
            ItemScore {
                item: "raccomanderei".into(),
                score: 0,
            },
        ],
        ..survey_cmd()
    }
}

fn answered(event: &Event) -> (&str, u32) {
    match event {
        Event::SatisfactionSurveyCompleted(e) => (e.definition.as_str(), e.version),
        other => panic!("not a survey: {other:?}"),
    }
}

#[test]
fn a_definition_is_recorded_on_its_own_stream_as_the_commissioner_set_it() {
    let c = define();
    let decision = given(vec![])
        .when_by(supervisor(), c.clone())
        .then_events(vec![SurveyDefined {
            definition: c.definition.clone(),
            version: 1,
            occurred_at: c.occurred_at,
            heading: c.heading.clone(),
            languages: c.languages.clone(),
            items: c.items.clone(),
            valid_from: d("2024-06-01"),
        }
        .into()]);
    assert_eq!(
        (decision.stream, decision.expected),
        (
            StreamId::new("survey-definition-gradimento-impact"),
            Expected::NoStream
        )
    );
}

#[test]
fn versions_are_numbered_in_order_the_built_in_one_being_version_1() {
    given(vec![])
        .when_by(
            admin(),
            DefineSurvey {
                version: 2,
                ..define()
            },
        )
        .then_rejected("version", K::OutOfRange);
    given(defined())
        .when_by(admin(), define())
        .then_rejected("version", K::OutOfRange);
    given(defined())
        .when_by(
            admin(),
            DefineSurvey {
                version: 2,
                ..define()
            },
        )
        .then_decision(
            StreamId::new("survey-definition-gradimento-impact"),
            Expected::Exactly(1),
        );
    // The built-in definition has its version 1: the commissioner's change of it is version 2.
    let builtin = || DefineSurvey {
        definition: DEFAULT_SURVEY.into(),
        ..define()
    };
    given(vec![])
        .when_by(admin(), builtin())
        .then_rejected("version", K::OutOfRange);
    given(vec![])
        .when_by(
            admin(),
            DefineSurvey {
                version: 2,
                ..builtin()
            },
        )
        .then_accepted();
    // A later version is valid from the day the one before it is, or later.
    given(defined())
        .when_by(
            admin(),
            DefineSurvey {
                version: 2,
                valid_from: d("2024-05-31"),
                ..define()
            },
        )
        .then_rejected("validFrom", K::OutOfRange);
}

#[test]
fn a_definition_names_itself_its_heading_and_languages() {
    let refused = |c: DefineSurvey, field: &str, kind: K| {
        given(vec![]).when_by(admin(), c).then_rejected(field, kind);
    };
    refused(
        DefineSurvey {
            definition: "Gradimento IMPACT".into(),
            ..define()
        },
        "definition",
        K::Invalid,
    );
    refused(
        DefineSurvey {
            heading: Label {
                it: " ".into(),
                en: Some("Survey".into()),
            },
            ..define()
        },
        "heading.it",
        K::Required,
    );
    refused(
        DefineSurvey {
            languages: vec![],
            ..define()
        },
        "languages",
        K::Required,
    );
    refused(
        DefineSurvey {
            languages: vec!["it".into(), "Arabo".into()],
            ..define()
        },
        "languages[1]",
        K::Invalid,
    );
    refused(
        DefineSurvey {
            languages: vec!["it".into(), "it".into()],
            ..define()
        },
        "languages[1]",
        K::Duplicate,
    );
}

#[test]
fn each_item_has_a_code_once_an_italian_label_and_a_scale() {
    let with_items = |change: &dyn Fn(&mut Vec<SurveyItemDefinition>)| {
        let mut c = define();
        change(&mut c.items);
        given(vec![]).when_by(admin(), c)
    };
    with_items(&|items| items.clear()).then_rejected("items", K::Required);
    with_items(&|items| items[0].code = "Accoglienza!".into())
        .then_rejected("items[0].code", K::Invalid);
    with_items(&|items| items[1].code = "accoglienza".into())
        .then_rejected("items[1].code", K::Duplicate);
    with_items(&|items| items[2].label.it = String::new())
        .then_rejected("items[2].label.it", K::Required);
    with_items(&|items| items[0].scale.min = 4).then_rejected("items[0].scale", K::OutOfRange);
    with_items(&|items| items[2].scale.max = 11).then_rejected("items[2].scale", K::OutOfRange);
    with_items(&|items| {
        items[1].scale.labels.pop();
    })
    .then_rejected("items[1].scale.labels", K::Invalid);
}

#[test]
fn a_response_without_a_definition_answers_the_one_in_force_on_its_day() {
    // Before any definition: the built-in one, version 1.
    let plain = RecordSurveyResponse {
        person_id: None,
        definition: None,
        version: None,
        ..survey_cmd()
    };
    let d = given(vec![]).when(plain.clone()).then_accepted();
    assert_eq!(answered(&d.events[0]), (DEFAULT_SURVEY, 1));
    // Recorded, but not yet in force on 2024-05-16: still the built-in one.
    let d = given(defined()).when(plain).then_accepted();
    assert_eq!(answered(&d.events[0]), (DEFAULT_SURVEY, 1));
    // In force from 2024-06-01: a June response answers it.
    let d = given(defined())
        .when_at(
            june(),
            mediator(),
            response("2024-06-05T10:00:00Z", None, None),
        )
        .then_accepted();
    assert_eq!(answered(&d.events[0]), ("gradimento-impact", 1));
}

#[test]
fn a_response_names_a_known_definition_and_version_in_force() {
    let when = |r: RecordSurveyResponse| given(defined()).when_at(june(), mediator(), r);
    let at = "2024-06-05T10:00:00Z";
    when(response(at, Some("gradimento-impact"), Some(1))).then_accepted();
    when(response(at, Some("gradimento-impact"), None)).then_accepted();
    when(response(at, Some("gradimento-eu"), Some(1))).then_rejected("definition", K::NotFound);
    when(response(at, Some("gradimento-impact"), Some(2))).then_rejected("version", K::NotFound);
    when(response(at, None, Some(1))).then_rejected("definition", K::Required);
    // Before its first day.
    let may = "2024-05-20T10:00:00Z";
    when(response(may, Some("gradimento-impact"), Some(1))).then_rejected("version", K::OutOfRange);
    when(response(may, Some("gradimento-impact"), None)).then_rejected("definition", K::OutOfRange);
}

#[test]
fn a_response_scores_the_definitions_items_once_each_on_their_scales() {
    let at = "2024-06-05T10:00:00Z";
    let with_scores = |scores: Vec<(&str, u8)>| {
        let r = RecordSurveyResponse {
            scores: scores
                .into_iter()
                .map(|(item, score)| ItemScore {
                    item: item.into(),
                    score,
                })
                .collect(),
            ..response(at, Some("gradimento-impact"), Some(1))
        };
        given(defined()).when_at(june(), mediator(), r)
    };
    // An item of the built-in definition is no item of this one.
    with_scores(vec![("accoglienza", 3), ("welcome", 5)])
        .then_rejected("scores[1].item", K::NotFound);
    // 1 to 4 here, 0 to 10 for the recommendation.
    with_scores(vec![("accoglienza", 5)]).then_rejected("scores[0].score", K::OutOfRange);
    with_scores(vec![("accoglienza", 0)]).then_rejected("scores[0].score", K::OutOfRange);
    with_scores(vec![("raccomanderei", 11)]).then_rejected("scores[0].score", K::OutOfRange);
    with_scores(vec![("raccomanderei", 10), ("informazioni", 1)]).then_accepted();
    with_scores(vec![("informazioni", 1), ("informazioni", 2)])
        .then_rejected("scores[1].item", K::Duplicate);
    with_scores(vec![]).then_rejected("scores", K::Required);
}

#[test]
fn a_response_recorded_before_definitions_answers_the_built_in_one() {
    let v1 = include_bytes!("samples/SatisfactionSurveyCompleted.v1.json");
    let event = Event::from_payload("SatisfactionSurveyCompleted", 1, v1).unwrap();
    assert_eq!(answered(&event), (DEFAULT_SURVEY, 1));
}
