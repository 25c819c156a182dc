//! Finding persons (`searchPersons`), through `schema.execute(..)` over a desk with persons at
//! two sites.

use api::{ApiConfig, AppState, Principal};
use async_graphql::{Request, Variables};
use domain::{Actor, Command, PersonId, Role, SiteId};
use serde_json::{json, Value};
use tempfile::TempDir;
use ulid::Ulid;

const MONTELUCCI: &str = "montelucci-4";
const TIVOLI: &str = "tivoli-1";
/// Thị Nguyễn, 1990, at Montelucci: a phone with the 0774 prefix and a fiscal code.
const THI: &str = "01HX0000000000000000000001";
const THI_FISCAL_CODE: &str = "NGYTHX90A41Z251O";
/// Ana Maria Popescu, 1985, at Montelucci.
const ANA: &str = "01HX0000000000000000000002";
/// Văn An Nguyen, 1978, at Tivoli.
const VAN: &str = "01HX0000000000000000000003";

struct Desk {
    state: AppState,
    _dir: TempDir,
}

fn register(id: &str, site: &str, name: &str, birth_year: i32, personal: Value) -> Command {
    let mut personal_json = json!({ "fullName": name, "contacts": [] });
    if let (Some(all), Some(more)) = (personal_json.as_object_mut(), personal.as_object()) {
        all.extend(more.clone());
    }
    serde_json::from_value(json!({
        "command": "RegisterPerson",
        "personId": id,
        "siteId": site,
        "occurredAt": "2024-05-02T09:15:00Z",
        "birthYear": birth_year,
        "sex": "female",
        "citizenships": ["VN"],
        "countryOfBirth": "VN",
        "permitType": "work",
        "languages": ["vi"],
        "householdSize": 1,
        "personal": personal_json,
    }))
    .unwrap()
}

fn mediator_of(site: &str) -> Principal {
    Principal::new(
        Actor::new(format!("m.{site}"), Role::Mediator),
        Some(SiteId::new(site)),
    )
}

fn supervisor() -> Principal {
    Principal::new(Actor::new("s.bianchi", Role::Supervisor), None)
}

impl Desk {
    async fn open() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let desk = desk::Desk::open(dir.path().join("data"), desk::DeskOptions::default()).unwrap();
        let persons = [
            register(
                THI,
                MONTELUCCI,
                "Thị Nguyễn",
                1990,
                json!({
                    "contacts": [{ "kind": "phone", "value": "+39 0774 123 456" }],
                    "fiscalCode": THI_FISCAL_CODE,
                }),
            ),
            register(ANA, MONTELUCCI, "Ana-Maria Popescu", 1985, json!({})),
            register(VAN, TIVOLI, "Văn An Nguyen", 1978, json!({})),
        ];
        for command in persons {
            let actor = Actor::new("m.rossi", Role::Mediator);
            let recorded = desk.execute(&actor, &command, None, None).await.unwrap();
            assert!(recorded.is_ok(), "{recorded:?}");
        }
        let security = api::Security::open(&dir.path().join("data")).unwrap();
        Desk {
            state: AppState::new(desk, ApiConfig::default(), security),
            _dir: dir,
        }
    }

    /// The ids `searchPersons` finds for `principal`, and the persons the read log noted.
    async fn search(&self, principal: Principal, search: Value) -> (Vec<String>, Vec<PersonId>) {
        let log = api::access::ReadLog::default();
        let request = Request::new(
            "query($s: PersonSearchInput!) { searchPersons(search: $s) { \
               truncated persons { id personal { fullName } } } }",
        )
        .variables(Variables::from_json(json!({ "s": search })))
        .data(principal)
        .data(log.clone());
        let response = serde_json::to_value(self.state.schema.execute(request).await).unwrap();
        assert!(response.get("errors").is_none(), "{response:#}");
        let found = &response["data"]["searchPersons"];
        assert_eq!(found["truncated"], json!(false));
        let ids = found["persons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        (ids, log.take().into_keys().collect())
    }

    async fn found(&self, principal: Principal, search: Value) -> Vec<String> {
        self.search(principal, search).await.0
    }

    /// The `extensions.code` of a search that must fail.
    async fn refused(&self, principal: Principal, search: Value) -> String {
        let request = Request::new(
            "query($s: PersonSearchInput!) { searchPersons(search: $s) { persons { id } } }",
        )
        .variables(Variables::from_json(json!({ "s": search })))
        .data(principal)
        .data(api::access::ReadLog::default());
        let response = serde_json::to_value(self.state.schema.execute(request).await).unwrap();
        response["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

fn ids(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn a_name_is_found_in_any_case_order_and_accent() {
    let desk = Desk::open().await;
    for name in ["nguyen thi", "THI NGUYEN", "Nguyễn", "guy", "thị"] {
        assert_eq!(
            desk.found(mediator_of(MONTELUCCI), json!({ "name": name }))
                .await,
            ids(&[THI]),
            "{name}"
        );
    }
    assert_eq!(
        desk.found(mediator_of(MONTELUCCI), json!({ "name": "maria ana" }))
            .await,
        ids(&[ANA])
    );
    assert!(desk
        .found(mediator_of(MONTELUCCI), json!({ "name": "nguyen popescu" }))
        .await
        .is_empty());
}

#[tokio::test]
async fn a_mediator_finds_the_persons_of_their_site_a_supervisor_everyone() {
    let desk = Desk::open().await;
    let by_name = json!({ "name": "nguyen" });
    assert_eq!(
        desk.found(mediator_of(MONTELUCCI), by_name.clone()).await,
        ids(&[THI])
    );
    assert_eq!(
        desk.found(mediator_of(TIVOLI), by_name.clone()).await,
        ids(&[VAN])
    );
    assert_eq!(desk.found(supervisor(), by_name).await, ids(&[THI, VAN]));
    assert_eq!(
        desk.refused(
            mediator_of(MONTELUCCI),
            json!({ "name": "nguyen", "site": TIVOLI })
        )
        .await,
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn birth_year_phone_and_fiscal_code_find_a_person() {
    let desk = Desk::open().await;
    let m = || mediator_of(MONTELUCCI);
    assert_eq!(
        desk.found(m(), json!({ "birthYear": 1985 })).await,
        ids(&[ANA])
    );
    assert!(desk
        .found(m(), json!({ "name": "ana", "birthYear": 1990 }))
        .await
        .is_empty());
    for phone in [
        "0774 123456",
        "+390774123456",
        "0039 0774-123-456",
        "123456",
    ] {
        assert_eq!(
            desk.found(m(), json!({ "phone": phone })).await,
            ids(&[THI]),
            "{phone}"
        );
    }
    assert!(desk
        .found(m(), json!({ "phone": "0774 123457" }))
        .await
        .is_empty());
    assert_eq!(
        desk.found(m(), json!({ "fiscalCode": "ngythx90a41z251o" }))
            .await,
        ids(&[THI])
    );
}

#[tokio::test]
async fn the_persons_found_are_noted_as_read() {
    let desk = Desk::open().await;
    let (found, read) = desk.search(supervisor(), json!({ "name": "nguyen" })).await;
    assert_eq!(found, ids(&[THI, VAN]));
    let read: Vec<String> = read.iter().map(|p| p.0.to_string()).collect();
    assert_eq!(read, ids(&[THI, VAN]));
}

#[tokio::test]
async fn a_search_names_something_long_enough() {
    let desk = Desk::open().await;
    for search in [
        json!({}),
        json!({ "name": " - " }),
        json!({ "phone": "0774" }),
        json!({ "site": "Not A Slug" , "name": "nguyen"}),
    ] {
        assert_eq!(
            desk.refused(supervisor(), search.clone()).await,
            "BAD_INPUT",
            "{search}"
        );
    }
}

#[tokio::test]
async fn an_erased_person_is_not_found() {
    let desk = Desk::open().await;
    let erase: Command = serde_json::from_value(json!({
        "command": "ErasePerson",
        "personId": THI,
        "occurredAt": "2024-05-20T09:00:00Z",
        "reason": "person_request",
    }))
    .unwrap();
    let supervisor_actor = Actor::new("s.bianchi", Role::Supervisor);
    assert!(desk
        .state
        .desk
        .execute(&supervisor_actor, &erase, Some(Ulid::new()), None)
        .await
        .unwrap()
        .is_ok());
    assert_eq!(
        desk.found(supervisor(), json!({ "name": "nguyen" })).await,
        ids(&[VAN])
    );
    for search in [
        json!({ "fiscalCode": THI_FISCAL_CODE }),
        json!({ "phone": "0774123456" }),
        json!({ "birthYear": 1990 }),
    ] {
        assert!(desk.found(supervisor(), search).await.is_empty());
    }
}

// ---- possible duplicates and merges ----------------------------------------------------------

/// A fourth registration: Thị again, at Tivoli, her name typed without accents.
const THI_AGAIN: &str = "01HX0000000000000000000004";

impl Desk {
    async fn register_thi_again(&self) {
        let command = register(THI_AGAIN, TIVOLI, "Nguyen Thi", 1990, json!({}));
        let actor = Actor::new("m.tivoli", Role::Mediator);
        let recorded = self
            .state
            .desk
            .execute(&actor, &command, None, None)
            .await
            .unwrap();
        assert!(recorded.is_ok(), "{recorded:?}");
    }

    async fn run(&self, principal: Principal, query: &str, variables: Value) -> Value {
        let request = Request::new(query)
            .variables(Variables::from_json(variables))
            .data(principal)
            .data(api::access::ReadLog::default());
        serde_json::to_value(self.state.schema.execute(request).await).unwrap()
    }

    async fn duplicates(&self, principal: Principal, variables: Value) -> Value {
        let response = self
            .run(
                principal,
                "query($n: String!, $y: Int!, $f: String) { \
                   possibleDuplicates(fullName: $n, birthYear: $y, fiscalCode: $f) { \
                     id site birthYear matchedBy } }",
                variables,
            )
            .await;
        assert!(response.get("errors").is_none(), "{response:#}");
        response["data"]["possibleDuplicates"].clone()
    }

    async fn merge(&self, principal: Principal, person: &str, into: &str) -> Value {
        self.run(
            principal,
            "mutation($i: MergePersonsInput!) { mergePersons(input: $i) { events { type } } }",
            json!({ "i": { "personId": person, "intoPersonId": into } }),
        )
        .await
    }
}

#[tokio::test]
async fn possible_duplicates_are_found_at_every_site_by_exact_identifiers() {
    let desk = Desk::open().await;
    // A mediator of Tivoli about to register Thị: her registration at Montelucci shows.
    let found = desk
        .duplicates(
            mediator_of(TIVOLI),
            json!({ "n": "NGUYEN Thi", "y": 1990, "f": THI_FISCAL_CODE }),
        )
        .await;
    assert_eq!(
        found,
        json!([{ "id": THI, "site": MONTELUCCI, "birthYear": 1990,
                 "matchedBy": ["FISCAL_CODE", "NAME_AND_BIRTH_YEAR"] }])
    );
    // The fiscal code alone, with another name.
    let found = desk
        .duplicates(
            mediator_of(TIVOLI),
            json!({ "n": "T. Nguyen", "y": 1991, "f": THI_FISCAL_CODE }),
        )
        .await;
    assert_eq!(found[0]["matchedBy"], json!(["FISCAL_CODE"]));
    // A part of the name, or another birth year, is not an identifier.
    for (name, year) in [
        ("Nguyen", 1990),
        ("Thi Nguyen", 1991),
        ("Thi Nguyen An", 1990),
    ] {
        let found = desk
            .duplicates(mediator_of(TIVOLI), json!({ "n": name, "y": year }))
            .await;
        assert_eq!(found, json!([]), "{name} {year}");
    }
}

#[tokio::test]
async fn a_supervisor_merges_a_duplicate_and_it_is_found_as_the_one_kept() {
    let desk = Desk::open().await;
    desk.register_thi_again().await;
    assert_eq!(
        desk.found(supervisor(), json!({ "birthYear": 1990 })).await,
        ids(&[THI, THI_AGAIN])
    );
    let refused = desk.merge(mediator_of(TIVOLI), THI_AGAIN, THI).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let merged = desk.merge(supervisor(), THI_AGAIN, THI).await;
    assert_eq!(
        merged["data"]["mergePersons"]["events"],
        json!([{ "type": "PersonsMerged" }]),
        "{merged:#}"
    );
    // Found once, as the registration kept, by either name.
    for search in [
        json!({ "birthYear": 1990 }),
        json!({ "name": "nguyen thi" }),
    ] {
        assert_eq!(desk.found(supervisor(), search).await, ids(&[THI]));
    }
    let again = desk
        .duplicates(supervisor(), json!({ "n": "Nguyen Thi", "y": 1990 }))
        .await;
    assert_eq!(again[0]["id"], THI);
    // The merged id answers with the id to use.
    let person = desk
        .run(
            supervisor(),
            &format!("{{ person(id: \"{THI_AGAIN}\") {{ id mergedInto }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(person["data"]["person"]["mergedInto"], THI, "{person:#}");
    // Merging it again is refused by the desk's rules.
    let twice = desk.merge(supervisor(), THI_AGAIN, THI).await;
    assert_eq!(
        twice["errors"][0]["extensions"]["reason"], "merged",
        "{twice:#}"
    );
}

impl Desk {
    /// Thị registered twice, each registration with a consent and an intake at its site.
    async fn thi_twice_with_intakes(&self) {
        self.register_thi_again().await;
        for (person, site) in [(THI, MONTELUCCI), (THI_AGAIN, TIVOLI)] {
            let consent: Command = serde_json::from_value(json!({
                "command": "GiveConsent",
                "personId": person,
                "siteId": site,
                "occurredAt": "2024-05-03T08:55:00Z",
                "scopes": ["service"],
                "sharedWith": [],
                "givenBy": "person",
            }))
            .unwrap();
            let actor = Actor::new("m.rossi", Role::Mediator);
            let recorded = self
                .state
                .desk
                .execute(&actor, &consent, None, None)
                .await
                .unwrap();
            assert!(recorded.is_ok(), "{recorded:?}");
            let intake: Command = serde_json::from_value(json!({
                "command": "RecordIntake",
                "personId": person,
                "siteId": site,
                "occurredAt": "2024-05-03T09:00:00Z",
                "channel": "walk_in",
                "needs": ["work"],
            }))
            .unwrap();
            let actor = Actor::new("m.rossi", Role::Mediator);
            let recorded = self
                .state
                .desk
                .execute(&actor, &intake, None, None)
                .await
                .unwrap();
            assert!(recorded.is_ok(), "{recorded:?}");
        }
    }

    async fn history(&self, principal: Principal, person: &str) -> Value {
        let response = self
            .run(
                principal,
                &format!("{{ personHistory(id: \"{person}\") {{ type site personId }} }}"),
                json!({}),
            )
            .await;
        assert!(response.get("errors").is_none(), "{response:#}");
        response["data"]["personHistory"].clone()
    }
}

#[tokio::test]
async fn figures_count_merged_registrations_once() {
    let desk = Desk::open().await;
    desk.thi_twice_with_intakes().await;
    let beneficiaries = || async {
        let response = desk
            .run(
                supervisor(),
                "{ monitoring(period: \"2024-05\") { beneficiaries { total } } }",
                json!({}),
            )
            .await;
        assert!(response.get("errors").is_none(), "{response:#}");
        response["data"]["monitoring"]["beneficiaries"]["total"].clone()
    };
    assert_eq!(beneficiaries().await, 2);
    let merged = desk.merge(supervisor(), THI_AGAIN, THI).await;
    assert!(merged.get("errors").is_none(), "{merged:#}");
    assert_eq!(beneficiaries().await, 1);
}

#[tokio::test]
async fn a_persons_history_holds_their_merged_registrations_for_their_site_only() {
    let desk = Desk::open().await;
    desk.thi_twice_with_intakes().await;
    let intake = |person: &str, site: &str| json!({ "type": "IntakeRecorded", "site": site, "personId": person });
    assert_eq!(
        desk.history(mediator_of(MONTELUCCI), THI).await,
        json!([intake(THI, MONTELUCCI)])
    );
    let merged = desk.merge(supervisor(), THI_AGAIN, THI).await;
    assert!(merged.get("errors").is_none(), "{merged:#}");
    let both = json!([intake(THI, MONTELUCCI), intake(THI_AGAIN, TIVOLI)]);
    assert_eq!(desk.history(mediator_of(MONTELUCCI), THI).await, both);
    assert_eq!(desk.history(supervisor(), THI_AGAIN).await, both);
    // Another site's person answers like an unknown id.
    assert_eq!(desk.history(mediator_of(TIVOLI), THI).await, Value::Null);
    assert_eq!(
        desk.history(mediator_of(TIVOLI), "01J00000000000000000000000")
            .await,
        Value::Null
    );
}

// ---- persons of another site -------------------------------------------------------------------

#[tokio::test]
async fn another_sites_person_is_found_by_exact_identifier_and_taken_on() {
    let desk = Desk::open().await;
    let tivoli = || mediator_of(TIVOLI);
    let person = |id: &str| format!("{{ person(id: \"{id}\") {{ id takenOnAt }} }}");
    // Unknown and not yours answer alike: `null` to a read, the same refusal to a record.
    assert_eq!(
        desk.run(tivoli(), &person(THI), json!({})).await,
        desk.run(tivoli(), &person("01J00000000000000000000000"), json!({}))
            .await
    );
    assert_eq!(
        desk.run(tivoli(), &person(THI), json!({})).await,
        json!({ "data": { "person": null } })
    );
    let intake = |id: &str| {
        json!({ "input": { "personId": id, "siteId": TIVOLI,
                           "occurredAt": "2024-05-03T09:00:00Z", "channel": "WALK_IN",
                           "needs": ["WORK"] } })
    };
    let record =
        "mutation($input: RecordIntakeInput!) { recordIntake(input: $input) { events { type } } }";
    let not_yours = desk.run(tivoli(), record, intake(THI)).await;
    let unknown = desk
        .run(tivoli(), record, intake("01J00000000000000000000000"))
        .await;
    assert_eq!(not_yours["errors"][0]["extensions"]["code"], "NOT_FOUND");
    assert_eq!(not_yours["errors"], unknown["errors"]);
    // A partial search does not reach another site; an exact identifier does.
    assert!(desk
        .found(tivoli(), json!({ "name": "thi" }))
        .await
        .is_empty());
    let found = desk
        .duplicates(tivoli(), json!({ "n": "Thi Nguyen", "y": 1990 }))
        .await;
    assert_eq!(found[0]["id"], THI);
    // Taken on at Tivoli: a recorded fact, seen by supervisors on the person.
    let taken = desk
        .run(
            tivoli(),
            "mutation($i: TakeOnPersonInput!) { takeOnPerson(input: $i) { events { type } } }",
            json!({ "i": { "personId": THI, "siteId": TIVOLI } }),
        )
        .await;
    assert_eq!(
        taken["data"]["takeOnPerson"]["events"],
        json!([{ "type": "PersonTakenOn" }]),
        "{taken:#}"
    );
    assert_eq!(
        desk.run(supervisor(), &person(THI), json!({})).await["data"]["person"]["takenOnAt"],
        json!([TIVOLI])
    );
    assert_eq!(
        desk.found(tivoli(), json!({ "name": "thi" })).await,
        ids(&[THI])
    );
    assert_eq!(
        desk.run(tivoli(), &person(THI), json!({})).await["data"]["person"]["id"],
        THI
    );
}

#[tokio::test]
async fn a_case_of_a_merged_registration_is_a_case_of_the_person_kept() {
    let desk = Desk::open().await;
    desk.register_thi_again().await;
    // A case opened and closed on the second registration, at Tivoli, before the merge.
    let case = "01HX0000000000000000000C01";
    let actor = Actor::new("m.tivoli", Role::Mediator);
    for command in [
        json!({ "command": "OpenCase", "caseId": case, "personId": THI_AGAIN, "siteId": TIVOLI,
                "occurredAt": "2024-05-03T09:00:00Z", "caseWorker": "m.tivoli" }),
        json!({ "command": "CloseCase", "caseId": case, "occurredAt": "2024-05-03T10:00:00Z",
                "reason": "goals_achieved", "outcome": "positive" }),
    ] {
        let command: Command = serde_json::from_value(command).unwrap();
        let recorded = desk
            .state
            .desk
            .execute(&actor, &command, None, None)
            .await
            .unwrap();
        assert!(recorded.is_ok(), "{recorded:?}");
    }
    let merged = desk.merge(supervisor(), THI_AGAIN, THI).await;
    assert!(merged.get("errors").is_none(), "{merged:#}");
    // The case row names the person kept, and a filter by either id finds it: one person.
    for asked in [THI, THI_AGAIN] {
        let cases = desk
            .run(
                supervisor(),
                "query($p: ID!) { cases(filter: { personId: $p }) { totalCount nodes { id personId } } }",
                json!({ "p": asked }),
            )
            .await;
        assert_eq!(
            cases["data"]["cases"],
            json!({ "totalCount": 1, "nodes": [{ "id": case, "personId": THI }] }),
            "{asked}: {cases:#}"
        );
    }
}
