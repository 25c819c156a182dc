//! A returning person, over HTTP (`api::app(..).oneshot(..)`) on a real desk holding the fixture
//! month: a mediator finds her and records what changed (`updatePerson`); a case or referral of
//! another site answers exactly as an unknown id; the `reporting` consent governs the evaluators'
//! rows, not the figures.

use std::fs::File;
use std::io::BufReader;

use api::{ApiConfig, AppState};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{Duration, Utc};
use domain::{Role, SiteId};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/montelucci-2024-05.jsonl"
);
const SITE: &str = "montelucci-4";
/// Olena Marchuk-Vey, 1979, temporary protection until 31 December 2024.
const OLENA_ID: &str = "01HX8YRV80B3SXYDR3FYBNC7DY";
const CASE_ID: &str = "01HX90FS20CBN90BACRDM3N2QV";
const REFERRAL_ID: &str = "01HWW4G620GH956H9GW16YB51W";
/// Ids nobody recorded.
const UNKNOWN_ID: &str = "01HX9999999999999999999999";

struct Desk {
    app: Router,
    mediator: String,
    other_mediator: String,
    supervisor: String,
    evaluator: String,
    _dir: tempfile::TempDir,
}

impl Desk {
    async fn open() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let desk = desk::Desk::open(&data, desk::DeskOptions::default()).unwrap();
        desk.import(BufReader::new(File::open(FIXTURE).unwrap()))
            .await
            .unwrap();
        let security = api::Security::open(&data).unwrap();
        let issue = |actor: &str, role: Role, site: Option<&str>| {
            security
                .tokens
                .issue(
                    actor,
                    role,
                    site.map(SiteId::new),
                    Duration::hours(1),
                    Utc::now(),
                )
                .unwrap()
                .token
        };
        Desk {
            mediator: issue("m.haddad", Role::Mediator, Some(SITE)),
            other_mediator: issue("l.ferri", Role::Mediator, Some("guidonia-centro")),
            supervisor: issue("s.ferri", Role::Supervisor, None),
            evaluator: issue("e.verdi", Role::Evaluator, None),
            app: api::app(AppState::new(desk, ApiConfig::default(), security)),
            _dir: dir,
        }
    }

    async fn query(&self, token: &str, query: &str, variables: Value) -> Value {
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(
                json!({ "query": query, "variables": variables }).to_string(),
            ))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }
}

const PERSON: &str = "query($id: ID!) { person(id: $id) { id permitType permitExpiresOn \
     permitRenewalPending householdSize languages updatedAt personal { fullName contacts { value } } } }";

#[tokio::test]
async fn a_mediator_finds_a_returning_person_and_records_her_renewed_permit() {
    let desk = Desk::open().await;
    // She comes back in June: the mediator finds her by a part of her name, written without
    // the hyphen and in another order, and her birth year.
    let found = desk
        .query(
            &desk.mediator,
            "query($s: PersonSearchInput!) { searchPersons(search: $s) { persons { id } } }",
            json!({ "s": { "name": "vey olena", "birthYear": 1979 } }),
        )
        .await;
    assert_eq!(
        found["data"]["searchPersons"]["persons"],
        json!([{ "id": OLENA_ID }]),
        "{found}"
    );
    let before = desk
        .query(&desk.mediator, PERSON, json!({ "id": OLENA_ID }))
        .await;
    assert_eq!(before["data"]["person"]["permitExpiresOn"], "2024-12-31");
    assert_eq!(before["data"]["person"]["updatedAt"], Value::Null);
    // Her temporary protection was renewed; she has a new phone and her son joined her.
    let recorded = desk
        .query(
            &desk.mediator,
            "mutation($input: UpdatePersonInput!) { updatePerson(input: $input) { \
               alreadyRecorded events { type } } }",
            json!({ "input": {
                "personId": OLENA_ID,
                "siteId": SITE,
                "occurredAt": "2024-06-04T09:30:00+02:00",
                "permit": { "permitType": "TEMPORARY_PROTECTION", "expiresOn": "2025-03-04" },
                "householdSize": 3,
                "personal": { "contacts": [{ "kind": "PHONE", "value": "+39 0774 555 0101" }] },
            } }),
        )
        .await;
    assert!(recorded.get("errors").is_none(), "{recorded}");
    assert_eq!(
        recorded["data"]["updatePerson"]["events"][0]["type"],
        "PersonUpdated"
    );
    let after = desk
        .query(&desk.mediator, PERSON, json!({ "id": OLENA_ID }))
        .await;
    let person = &after["data"]["person"];
    assert_eq!(person["permitType"], "TEMPORARY_PROTECTION", "{after}");
    assert_eq!(person["permitExpiresOn"], "2025-03-04");
    assert_eq!(person["permitRenewalPending"], false);
    assert_eq!(person["householdSize"], 3);
    assert_eq!(
        person["languages"],
        json!(["uk"]),
        "what was not given stays"
    );
    assert_eq!(person["updatedAt"], "2024-06-04T07:30:00+00:00");
    assert_eq!(
        person["personal"]["contacts"],
        json!([{ "value": "+39 0774 555 0101" }])
    );
    assert_eq!(person["personal"]["fullName"], "Olena Marchuk-Vey");
    // The new phone finds her too.
    let by_phone = desk
        .query(
            &desk.mediator,
            "query($s: PersonSearchInput!) { searchPersons(search: $s) { persons { id } } }",
            json!({ "s": { "phone": "0774 5550101" } }),
        )
        .await;
    assert_eq!(
        by_phone["data"]["searchPersons"]["persons"],
        json!([{ "id": OLENA_ID }]),
        "{by_phone}"
    );
    // A mediator of another site cannot record news about her: the same refusal as an unknown id.
    let update = |id: &str| {
        json!({ "input": { "personId": id, "siteId": "guidonia-centro",
                            "occurredAt": "2024-06-04T09:30:00+02:00", "householdSize": 2 } })
    };
    let mutation = "mutation($input: UpdatePersonInput!) { updatePerson(input: $input) { \
                    alreadyRecorded } }";
    let not_yours = desk
        .query(&desk.other_mediator, mutation, update(OLENA_ID))
        .await;
    let unknown = desk
        .query(&desk.other_mediator, mutation, update(UNKNOWN_ID))
        .await;
    assert_eq!(not_yours["errors"][0]["extensions"]["code"], "NOT_FOUND");
    assert_eq!(not_yours, unknown);
}

#[tokio::test]
async fn a_case_or_referral_of_another_site_answers_as_an_unknown_id() {
    let desk = Desk::open().await;
    for (field, id) in [("case", CASE_ID), ("referral", REFERRAL_ID)] {
        let query = format!("query($id: ID!) {{ {field}(id: $id) {{ id }} }}");
        let own = desk
            .query(&desk.mediator, &query, json!({ "id": id }))
            .await;
        assert_eq!(own["data"][field]["id"], id, "{own}");
        let not_yours = desk
            .query(&desk.other_mediator, &query, json!({ "id": id }))
            .await;
        let unknown = desk
            .query(&desk.other_mediator, &query, json!({ "id": UNKNOWN_ID }))
            .await;
        assert_eq!(not_yours, json!({ "data": { field: null } }), "{field}");
        assert_eq!(not_yours, unknown, "{field}: no existence oracle");
    }
}

#[tokio::test]
async fn without_the_reporting_consent_a_person_is_no_evaluator_row_but_still_counted() {
    let desk = Desk::open().await;
    let rows = "{ pseudonymisedPersons(first: 100) { heldBack edges { node { pseudonym } } } }";
    let figures = "{ monitoring(period: \"2024-05\") { beneficiaries { total } } }";
    let rows_before = desk.query(&desk.evaluator, rows, json!({})).await;
    let figures_before = desk.query(&desk.evaluator, figures, json!({})).await;
    // Rows shown and rows held back (k-anonymity for evaluators): every consenting person.
    let count = |v: &Value| {
        let p = &v["data"]["pseudonymisedPersons"];
        p["edges"].as_array().map_or(0, Vec::len)
            + usize::try_from(p["heldBack"].as_u64().unwrap_or(0)).unwrap()
    };
    let withdrawn = desk
        .query(
            &desk.mediator,
            "mutation($input: WithdrawConsentInput!) { withdrawConsent(input: $input) { \
               alreadyRecorded } }",
            json!({ "input": { "personId": OLENA_ID, "siteId": SITE,
                               "occurredAt": "2024-05-31T10:00:00+02:00",
                               "scopes": ["REPORTING"] } }),
        )
        .await;
    assert!(withdrawn.get("errors").is_none(), "{withdrawn}");
    let rows_after = desk.query(&desk.evaluator, rows, json!({})).await;
    let figures_after = desk.query(&desk.evaluator, figures, json!({})).await;
    assert!(count(&rows_before) > 0, "{rows_before}");
    assert_eq!(count(&rows_after), count(&rows_before) - 1, "{rows_after}");
    assert_eq!(figures_after, figures_before, "the figures count everyone");
    // The supervisor's view is the same table.
    let supervised = desk.query(&desk.supervisor, rows, json!({})).await;
    assert_eq!(count(&supervised), count(&rows_after));
}
