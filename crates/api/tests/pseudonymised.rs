//! `pseudonymisedPersons` is k-anonymous for evaluators, exact for supervisors, over real HTTP
//! (a server on 127.0.0.1, a desk in a temporary directory holding the demo month and eleven
//! more persons): five share one combination of age band, sex, citizenship, permit type and
//! household size; five are alone in theirs but share it once their citizenships are read as
//! their area (Asia); one is alone even so.

#[path = "../../../tests/support/raw_http.rs"]
mod raw_http;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::net::SocketAddr;

use api::{ApiConfig, AppState};
use chrono::{Duration, Utc};
use domain::Role;
use serde_json::{json, Value};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/montelucci-2024-05.jsonl"
);

/// The fixture's first registration and consent, copied for another person.
fn person(n: u32, citizenship: &str, household: u8) -> String {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let line = |command: &str| -> Value {
        text.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|v| v["command"]["command"] == command)
            .unwrap()
    };
    let id = format!("01J0000000000000000000{n:04}");
    let mut register = line("RegisterPerson");
    register["eventId"] = json!(format!("01J0000000000000000001{n:04}"));
    let c = &mut register["command"];
    c["personId"] = json!(id);
    c["birthYear"] = json!(1990);
    c["sex"] = json!("male");
    c["citizenships"] = json!([citizenship]);
    c["countryOfBirth"] = json!(citizenship);
    c["permitType"] = json!("work");
    c["permitExpiresOn"] = json!("2025-12-31");
    c["householdSize"] = json!(household);
    c["personal"]["fullName"] = json!(format!("Persona {n}"));
    c["personal"]["contacts"] = json!([]);
    let mut consent = line("GiveConsent");
    consent["eventId"] = json!(format!("01J0000000000000000002{n:04}"));
    consent["command"]["personId"] = json!(id);
    format!("{register}\n{consent}\n")
}

async fn serve() -> (SocketAddr, api::auth::Tokens, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let desk = desk::Desk::open(&data, desk::DeskOptions::default()).unwrap();
    let mut lines = std::fs::read_to_string(FIXTURE).unwrap();
    for n in 0..5 {
        lines.push_str(&person(n, "PK", 1));
    }
    for (n, c) in (5..).zip(["BD", "AF", "IN", "CN", "NP"]) {
        lines.push_str(&person(n, c, 1));
    }
    lines.push_str(&person(10, "PE", 9));
    desk.import(Cursor::new(lines)).await.unwrap();
    let security = api::Security::open(&data).unwrap();
    let tokens = security.tokens.clone();
    let app = api::app(AppState::new(desk, ApiConfig::default(), security));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, tokens, dir)
}

/// POSTs a GraphQL request over a plain HTTP/1.1 connection and reads the JSON answer.
async fn graphql(addr: SocketAddr, token: &str, query: &str) -> Value {
    let auth = format!("Bearer {token}");
    let body = json!({ "query": query }).to_string();
    let reply = raw_http::http(
        addr,
        "POST",
        "/graphql",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        &body,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

const ROWS: &str = "{ pseudonymisedPersons(first: 500) {
    minCell generalised heldBack
    edges { node { pseudonym ageBand sex citizenship citizenshipArea permitType householdSize generalised } } } }";

fn rows(answer: &Value) -> Vec<Value> {
    assert!(answer.get("errors").is_none(), "{answer}");
    answer["data"]["pseudonymisedPersons"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn combination(row: &Value) -> String {
    let place = if row["generalised"] == true {
        &row["citizenshipArea"]
    } else {
        &row["citizenship"]
    };
    format!(
        "{} {} {} {} {}",
        row["ageBand"], row["sex"], place, row["permitType"], row["householdSize"]
    )
}

#[tokio::test]
async fn evaluators_see_k_anonymous_rows_and_supervisors_exact_ones() {
    let (addr, tokens, _dir) = serve().await;
    let issue = |actor: &str, role: Role| {
        tokens
            .issue(actor, role, None, Duration::hours(1), Utc::now())
            .unwrap()
            .token
    };
    let supervisor = graphql(addr, &issue("s.ferri", Role::Supervisor), ROWS).await;
    let evaluator = graphql(addr, &issue("e.verdi", Role::Evaluator), ROWS).await;

    // Supervisors: every row exact (19 of the month, 11 added).
    let exact = rows(&supervisor);
    assert_eq!(exact.len(), 30);
    let released = &supervisor["data"]["pseudonymisedPersons"];
    assert_eq!(released["minCell"], Value::Null);
    assert_eq!(released["heldBack"], 0);
    assert!(exact.iter().all(|r| r["generalised"] == false));
    let by_citizenship = |c: &str| -> Vec<String> {
        exact
            .iter()
            .filter(|r| {
                r["citizenship"] == c
                    && r["permitType"] == "WORK"
                    && r["householdSize"] == 1
                    && r["sex"] == "MALE"
            })
            .map(|r| r["pseudonym"].as_str().unwrap().to_string())
            .collect()
    };
    let pakistani = by_citizenship("PK");
    let asian: Vec<String> = ["BD", "AF", "IN", "CN", "NP"]
        .iter()
        .flat_map(|c| by_citizenship(c))
        .collect();
    let peruvian: Vec<String> = exact
        .iter()
        .filter(|r| r["citizenship"] == "PE" && r["householdSize"] == 9)
        .map(|r| r["pseudonym"].as_str().unwrap().to_string())
        .collect();
    assert_eq!((pakistani.len(), asian.len(), peruvian.len()), (5, 5, 1));

    // Evaluators: threshold 5; the five sharing a combination exact, the five of Asia
    // generalised, the one alone held back; every combination shown has at least five rows.
    let shown = rows(&evaluator);
    let released = &evaluator["data"]["pseudonymisedPersons"];
    assert_eq!(released["minCell"], 5);
    let held_back = released["heldBack"].as_u64().unwrap();
    assert_eq!(shown.len() as u64 + held_back, 30);
    let row = |p: &str| shown.iter().find(|r| r["pseudonym"] == p);
    for p in &pakistani {
        let r = row(p).expect("a Pakistani row shown");
        assert_eq!(
            (&r["citizenship"], &r["generalised"]),
            (&json!("PK"), &json!(false))
        );
    }
    for p in &asian {
        let r = row(p).expect("an Asian row shown generalised");
        assert_eq!(r["citizenship"], Value::Null, "{r}");
        assert_eq!(
            (&r["citizenshipArea"], &r["generalised"]),
            (&json!("asia"), &json!(true))
        );
    }
    assert!(row(&peruvian[0]).is_none(), "the one alone is held back");
    assert!(held_back >= 1);
    let generalised = shown.iter().filter(|r| r["generalised"] == true).count();
    assert_eq!(released["generalised"], generalised);
    let mut combinations: BTreeMap<String, usize> = BTreeMap::new();
    for r in &shown {
        *combinations.entry(combination(r)).or_default() += 1;
    }
    assert!(
        combinations.values().all(|n| *n >= 5),
        "a combination of fewer than 5 rows shown: {combinations:?}"
    );

    // An evaluator cannot ask for less than the desk's threshold.
    let three = graphql(
        addr,
        &issue("e.verdi", Role::Evaluator),
        "{ pseudonymisedPersons(minCell: 3) { minCell heldBack } }",
    )
    .await;
    assert_eq!(
        three["data"]["pseudonymisedPersons"]["minCell"], 5,
        "{three}"
    );
}
