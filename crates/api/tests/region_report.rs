//! `regionReport` over a desk that imported the real fixture: evaluators always get small cells
//! suppressed, supervisors exact figures unless they ask for a threshold.

use std::fs::File;
use std::io::BufReader;

use serde_json::Value;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/montelucci-2024-05.jsonl"
);

async fn state(dir: &tempfile::TempDir) -> api::AppState {
    let desk = desk::Desk::open(dir.path().join("data"), desk::DeskOptions::default()).unwrap();
    desk.import(BufReader::new(File::open(FIXTURE).unwrap()))
        .await
        .unwrap();
    let security = api::Security::open(&dir.path().join("data")).unwrap();
    api::AppState::new(desk, api::ApiConfig::default(), security)
}

async fn run(state: &api::AppState, role: domain::Role, query: &str) -> Value {
    let request = async_graphql::Request::new(query)
        .data(api::Principal::new(
            domain::Actor::new("x.rossi", role),
            None,
        ))
        .data(api::access::ReadLog::default());
    let response = serde_json::to_value(state.schema.execute(request).await).unwrap();
    assert!(response.get("errors").is_none(), "{response}");
    response["data"]["regionReport"].clone()
}

/// The persons column of a table's rows.
fn last_cells(report: &Value, table: &str) -> Vec<String> {
    let t = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == table)
        .unwrap_or_else(|| panic!("no table {table}"));
    t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .last()
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

const QUERY: &str = r#"{ regionReport(template: "monitoraggio-mensile", period: "2024-05", minCell: 2) {
  template version minCell suppressed tables { name header rows suppressed } } }"#;

#[tokio::test]
async fn evaluators_get_small_cells_suppressed_and_supervisors_exact_figures() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    use domain::Role;

    // An evaluator cannot lower the threshold under 5.
    let evaluator = run(&state, Role::Evaluator, QUERY).await;
    assert_eq!(evaluator["template"], "monitoraggio-mensile");
    assert_eq!(evaluator["minCell"], 5);
    let cells = last_cells(&evaluator, "destinatari_per_sesso_e_eta");
    assert!(cells.iter().any(|c| c == "*"), "{cells:?}");
    assert!(evaluator["suppressed"].as_u64().unwrap() > 0);

    // A supervisor asked for 2 and gets 2; without minCell, exact figures.
    let supervisor = run(&state, Role::Supervisor, QUERY).await;
    assert_eq!(supervisor["minCell"], 2);
    let exact = run(&state, Role::Supervisor, &QUERY.replace(", minCell: 2", "")).await;
    assert_eq!(exact["minCell"], Value::Null);
    assert_eq!(exact["suppressed"], 0);
    let cells = last_cells(&exact, "destinatari_per_sesso_e_eta");
    assert!(!cells.iter().any(|c| c == "*"), "{cells:?}");
    // The same rows, only figures hidden.
    assert_eq!(
        cells.len(),
        last_cells(&evaluator, "destinatari_per_sesso_e_eta").len()
    );
}
