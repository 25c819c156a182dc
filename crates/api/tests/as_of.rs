//! As of a past moment: the answers recorded at T1 in a live run equal the answers given later
//! with `asOf` T1 (by position and by instant), after more events and a correction of an event
//! from before T1 were recorded.

use std::io::BufReader;

use serde_json::{json, Value};

#[path = "../../../fixtures/fixture.rs"]
mod fixture;
use fixture::{FIXTURE, FIXTURE_EVENTS};
/// Line 49 records the CPI referral's outcome "accepted"; it is corrected after T1.
const CORRECTED_EVENT: &str = "01HXETEPR0F1BM082N35A1XVDQ";

/// Every read model the issue names, with `asOf` as a variable.
const QUERY: &str = r#"
query Figures($asOf: AsOfInput) {
  monitoring(period: "2024-05", asOf: $asOf) {
    asOfPosition
    totalContacts
    contacts { activity site contacts distinctPersons }
    beneficiaries { total new returning }
    referralFunnel { serviceName issued accepted concluded }
  }
  cases(asOf: $asOf) { totalCount edges { node { id status timeline { position type } } } }
  referrals(asOf: $asOf) { totalCount edges { node { id status finalOutcome outcomes { outcome } } } }
  mediations(asOf: $asOf) { requests { totalCount } sessions { totalCount } sessionMinutes }
  logbook(from: "2024-05-01", to: "2024-05-31", asOf: $asOf) {
    entries { date mediator }
    everyOpeningDayHasEntry
  }
  services(asOf: $asOf) { id name }
  supervisionMeetings(from: "2024-05-01", to: "2024-05-31", asOf: $asOf) {
    everyMonthHasMeeting
    meetings { id }
  }
}"#;

fn security(dir: &std::path::Path) -> api::Security {
    api::Security::open(dir).unwrap()
}

async fn run(state: &api::AppState, query: &str, variables: Value) -> Value {
    let request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables))
        .data(api::Principal::new(
            domain::Actor::new("s.bianchi", domain::Role::Supervisor),
            None,
        ))
        .data(api::access::ReadLog::default());
    let response = serde_json::to_value(state.schema.execute(request).await).unwrap();
    assert!(
        response.get("errors").is_none(),
        "failed: {:#}",
        response["errors"]
    );
    response["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_as_of_t1_equal_what_was_seen_at_t1() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk::Desk::open(dir.path().join("data"), desk::DeskOptions::default()).unwrap();
    let lines: Vec<&str> = FIXTURE.lines().collect();
    let first = lines[..60].join("\n");
    desk.import(BufReader::new(first.as_bytes())).await.unwrap();
    let state = api::AppState::new(
        desk.clone(),
        api::ApiConfig::default(),
        security(&dir.path().join("data")),
    );

    // T1: what the desk showed after 60 commands.
    let seen_at_t1 = run(&state, QUERY, json!({})).await;
    let head = run(
        &state,
        "{ auditTrail(last: 1) { edges { node { position recordedAt } } } }",
        json!({}),
    )
    .await;
    let node = &head["auditTrail"]["edges"][0]["node"];
    let p1 = node["position"].as_u64().unwrap();
    let t1 = node["recordedAt"].as_str().unwrap().to_owned();
    assert_eq!(p1, 60);

    // Later: the rest of the month, and a correction of an event recorded before T1.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let rest = lines[60..].join("\n");
    desk.import(BufReader::new(rest.as_bytes())).await.unwrap();
    let corrected = run(
        &state,
        r#"mutation($input: CorrectEventInput!) { correctEvent(input: $input) { events { position } } }"#,
        json!({"input": {
            "corrects": CORRECTED_EVENT,
            "occurredAt": "2024-05-31T10:00:00Z",
            "fields": {"outcome": "refused"},
            "reason": "the job centre refused the appointment; accepted was entered by mistake"
        }}),
    )
    .await;
    assert!(
        corrected["correctEvent"]["events"][0]["position"]
            .as_u64()
            .unwrap()
            > FIXTURE_EVENTS
    );

    let now = run(&state, QUERY, json!({})).await;
    assert_ne!(now, seen_at_t1, "the later events change today's answers");

    let by_position = run(&state, QUERY, json!({"asOf": {"position": p1}})).await;
    assert_eq!(by_position, seen_at_t1, "asOf by position");
    let by_time = run(&state, QUERY, json!({"asOf": {"at": t1}})).await;
    assert_eq!(by_time, seen_at_t1, "asOf by instant");
    // Asked again: the same answer (from the desk's kept snapshot).
    let again = run(&state, QUERY, json!({"asOf": {"position": p1}})).await;
    assert_eq!(again, seen_at_t1);

    // As of the head, the answer is today's.
    let at_head = run(&state, QUERY, json!({"asOf": {"position": 10_000}})).await;
    assert_eq!(at_head, now);
    // Before anything was recorded: nothing.
    let before = run(
        &state,
        "{ services(asOf: {at: \"2000-01-01T00:00:00Z\"}) { id } }",
        json!({}),
    )
    .await;
    assert_eq!(before["services"], json!([]));
}

#[tokio::test]
async fn as_of_takes_exactly_one_moment() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk::Desk::open(dir.path().join("data"), desk::DeskOptions::default()).unwrap();
    let state = api::AppState::new(
        desk,
        api::ApiConfig::default(),
        security(&dir.path().join("data")),
    );
    for as_of in [r#"{}"#, r#"{position: 3, at: "2024-05-01T00:00:00Z"}"#] {
        let response = state
            .schema
            .execute(
                async_graphql::Request::new(format!("{{ services(asOf: {as_of}) {{ id }} }}"))
                    .data(api::Principal::new(
                        domain::Actor::new("e.verdi", domain::Role::Evaluator),
                        None,
                    )),
            )
            .await;
        let response = serde_json::to_value(response).unwrap();
        assert_eq!(
            response["errors"][0]["extensions"]["code"], "BAD_INPUT",
            "{as_of}: {response}"
        );
    }
}
