//! `monitoring` suppresses small cells for evaluators and keeps exact figures for supervisors,
//! over real HTTP (a server on 127.0.0.1, a desk in a temporary directory): seven persons, each
//! with an intake in May 2024, six women and one man. The man alone is a small cell, and the
//! women's row is the total minus his: it is suppressed too, or the total would give him back.

#[path = "../../../tests/support/raw_http.rs"]
mod raw_http;

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

/// The fixture's first line of `command`.
fn line(command: &str) -> Value {
    std::fs::read_to_string(FIXTURE)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["command"]["command"] == command)
        .unwrap()
}

/// A person registered on 2 May 2024 and their intake the same morning.
fn person(n: u32, sex: &str) -> String {
    let id = format!("01J0000000000000000000{n:04}");
    let mut register = line("RegisterPerson");
    register["eventId"] = json!(format!("01J0000000000000000001{n:04}"));
    let c = &mut register["command"];
    c["personId"] = json!(id);
    c["birthYear"] = json!(1994);
    c["sex"] = json!(sex);
    c["citizenships"] = json!(["MA"]);
    c["countryOfBirth"] = json!("MA");
    c["permitType"] = json!("work");
    c["personal"]["fullName"] = json!(format!("Persona {n}"));
    c["personal"]["contacts"] = json!([]);
    let mut intake = line("RecordIntake");
    intake["eventId"] = json!(format!("01J0000000000000000002{n:04}"));
    intake["command"]["personId"] = json!(id);
    format!("{register}\n{intake}\n")
}

async fn serve() -> (SocketAddr, api::auth::Tokens, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let desk = desk::Desk::open(&data, desk::DeskOptions::default()).unwrap();
    let mut lines = format!("{}\n", line("ScheduleSite"));
    for n in 0..6 {
        lines.push_str(&person(n, "female"));
    }
    lines.push_str(&person(6, "male"));
    desk.import(Cursor::new(lines)).await.unwrap();
    let security = api::Security::open(&data).unwrap();
    let tokens = security.tokens.clone();
    let app = api::app(AppState::new(desk, ApiConfig::default(), security));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, tokens, dir)
}

/// POSTs a GraphQL request over a plain HTTP/1.1 connection and reads the `monitoring` answer.
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
    let answer: Value = serde_json::from_str(&reply.body).unwrap();
    assert!(answer.get("errors").is_none(), "{answer}");
    answer["data"]["monitoring"].clone()
}

fn query(args: &str) -> String {
    format!(
        "{{ monitoring(period: \"2024-05\"{args}) {{
            minCell suppressed totalContacts
            contacts {{ activity site contacts distinctPersons suppressed }}
            beneficiaries {{ total new returning
              bySex {{ key count suppressed }} byCitizenship {{ key count suppressed }} }}
            satisfaction {{ responseRate }}
        }} }}"
    )
}

/// `key → (count, suppressed)` of a breakdown.
fn rows(list: &Value) -> Vec<(String, Value, bool)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                r["count"].clone(),
                r["suppressed"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn evaluators_get_small_cells_suppressed_and_supervisors_exact_figures() {
    let (addr, tokens, _dir) = serve().await;
    let issue = |actor: &str, role: Role| {
        tokens
            .issue(actor, role, None, Duration::hours(1), Utc::now())
            .unwrap()
            .token
    };
    let supervisor = issue("s.ferri", Role::Supervisor);
    let evaluator = issue("e.verdi", Role::Evaluator);

    // Supervisors, inside the desk: exact, and the answer says so.
    let exact = graphql(addr, &supervisor, &query("")).await;
    assert_eq!(exact["minCell"], Value::Null);
    assert_eq!(exact["suppressed"], 0);
    assert_eq!(exact["beneficiaries"]["total"], 7);
    assert_eq!(
        rows(&exact["beneficiaries"]["bySex"]),
        [
            ("FEMALE".into(), json!(6), false),
            ("MALE".into(), json!(1), false)
        ]
    );

    // Evaluators: threshold 5. The man is a small cell; the women's 6 is the total (7, shown)
    // minus him, so it is suppressed as well. Suppressed counts are null, never 0.
    let protected = graphql(addr, &evaluator, &query("")).await;
    assert_eq!(protected["minCell"], 5);
    assert_eq!(protected["beneficiaries"]["total"], 7);
    assert_eq!(protected["totalContacts"], 7);
    assert_eq!(
        rows(&protected["beneficiaries"]["bySex"]),
        [
            ("FEMALE".into(), Value::Null, true),
            ("MALE".into(), Value::Null, true)
        ]
    );
    // Seven of Morocco: one row of seven, shown.
    assert_eq!(
        rows(&protected["beneficiaries"]["byCitizenship"]),
        [("MA".into(), json!(7), false)]
    );
    let intakes = &protected["contacts"][0];
    assert_eq!(
        (&intakes["activity"], &intakes["distinctPersons"]),
        (&json!("INTAKE"), &json!(7))
    );
    assert_eq!(protected["suppressed"], 2);

    // An evaluator may ask for more, never less; a total under the threshold is suppressed,
    // and so is the survey's response rate, which would give it back.
    let eight = graphql(addr, &evaluator, &query(", minCell: 8")).await;
    assert_eq!(eight["minCell"], 8);
    assert_eq!(eight["beneficiaries"]["total"], Value::Null);
    assert_eq!(eight["totalContacts"], Value::Null);
    assert_eq!(eight["satisfaction"]["responseRate"], Value::Null);
    assert!(eight["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["suppressed"] == true && c["distinctPersons"].is_null()));
    let three = graphql(addr, &evaluator, &query(", minCell: 3")).await;
    assert_eq!(three["minCell"], 5);
    assert_eq!(three["beneficiaries"]["bySex"][1]["count"], Value::Null);

    // A supervisor who asks for a threshold gets what an evaluator gets.
    let asked = graphql(addr, &supervisor, &query(", minCell: 5")).await;
    assert_eq!(asked, protected);
}
