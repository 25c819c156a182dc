//! `erasePerson` through the schema against a real desk: supervisors only, the person reads as
//! erased afterwards, the statistics fields stay, and an erasure happens once.

use api::{ApiConfig, AppState, Principal};
use async_graphql::{Request, Response, Variables};
use chrono::{Duration, Utc};
use domain::{Actor, Role};
use serde_json::{json, Value};
use ulid::Ulid;

struct Harness {
    state: AppState,
    _tmp: tempfile::TempDir,
}

impl Harness {
    fn open() -> Harness {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let desk = desk::Desk::open(&data, desk::DeskOptions::default()).unwrap();
        let security = api::Security::open(&data).unwrap();
        Harness {
            state: AppState::new(desk, ApiConfig::default(), security),
            _tmp: tmp,
        }
    }

    async fn run(&self, actor: Actor, query: &str, variables: Value) -> Response {
        let request = Request::new(query)
            .variables(Variables::from_json(variables))
            .data(Principal::new(
                actor,
                Some(domain::SiteId::new("montelucci-4")),
            ))
            .data(api::access::ReadLog::default());
        self.state.schema.execute(request).await
    }

    async fn erase(&self, actor: Actor, person: &str) -> Response {
        self.run(
            actor,
            "mutation($input: ErasePersonInput!) { erasePerson(input: $input) { \
               alreadyRecorded events { type stream payload } } }",
            json!({"input": {"personId": person, "reason": "PERSON_REQUEST"}}),
        )
        .await
    }

    async fn person(&self, person: &str) -> Value {
        let response = self
            .run(
                supervisor(),
                "query($id: ID!) { person(id: $id) { birthYear erased \
                   personal { fullName birthDate contacts { value } } } }",
                json!({"id": person}),
            )
            .await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        response.data.into_json().unwrap()["person"].clone()
    }
}

fn mediator() -> Actor {
    Actor::new("m.rossi", Role::Mediator)
}

fn supervisor() -> Actor {
    Actor::new("s.bianchi", Role::Supervisor)
}

fn code(response: &Response) -> String {
    let error = response.errors.first().expect("an error");
    error
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .map(|c| c.clone().into_json().unwrap())
        .and_then(|c| c.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_supervisor_erases_a_person_who_then_reads_as_erased() {
    let h = Harness::open();
    let person = Ulid::new().to_string();
    let registered = h
        .run(
            mediator(),
            "mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { \
               events { payload } } }",
            json!({"input": {
                "personId": person, "siteId": "montelucci-4",
                "occurredAt": (Utc::now() - Duration::days(3)).to_rfc3339(),
                "birthYear": 1988, "sex": "FEMALE", "citizenships": ["UA"],
                "countryOfBirth": "UA", "permitType": "TEMPORARY_PROTECTION",
                "languages": ["uk"], "householdSize": 1,
                "personal": {"fullName": "Olena Kovalenko", "birthDate": "1988-05-17",
                    "contacts": [{"kind": "PHONE", "value": "+39 333 000 0000"}]},
            }}),
        )
        .await;
    assert!(registered.errors.is_empty(), "{:?}", registered.errors);
    // The reader is shown the payload opened; the journal stores the personal data sealed.
    let payload = &registered.data.into_json().unwrap()["registerPerson"]["events"][0]["payload"];
    assert_eq!(
        payload["personal"]["fullName"], "Olena Kovalenko",
        "{payload}"
    );
    let stored = h
        .state
        .desk
        .journal()
        .get(desk::journal::Position(1))
        .unwrap()
        .unwrap();
    let stored: Value = serde_json::from_slice(&stored.payload).unwrap();
    assert!(stored["personal"]["sealed"].is_string(), "{stored}");
    assert!(!stored.to_string().contains("Kovalenko"));
    let before = h.person(&person).await;
    assert_eq!(before["erased"], false);
    assert_eq!(before["personal"]["fullName"], "Olena Kovalenko");

    let refused = h.erase(mediator(), &person).await;
    assert_eq!(code(&refused), "FORBIDDEN");
    assert_eq!(h.person(&person).await, before, "nothing erased");

    let erased = h.erase(supervisor(), &person).await;
    assert!(erased.errors.is_empty(), "{:?}", erased.errors);
    let event = &erased.data.into_json().unwrap()["erasePerson"]["events"][0];
    assert_eq!(event["type"], "PersonErased");
    assert_eq!(event["stream"], format!("person-{person}"));
    assert_eq!(event["payload"]["reason"], "person_request");

    let after = h.person(&person).await;
    assert_eq!(
        after,
        json!({
            "birthYear": 1988,
            "erased": true,
            "personal": {"fullName": "[erased]", "birthDate": null, "contacts": []},
        })
    );

    let again = h.erase(supervisor(), &person).await;
    assert_eq!(code(&again), "REJECTED");
    let unknown = h.erase(supervisor(), &Ulid::new().to_string()).await;
    assert_eq!(code(&unknown), "NOT_FOUND");
}
