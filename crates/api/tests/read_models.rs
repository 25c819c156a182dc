//! The read-model queries, through `schema.execute(..)` over a desk that imported the real
//! fixture `fixtures/montelucci-2024-05.jsonl` (one month of the Montelucci desk).
//!
//! Expected values were counted from the fixture by hand (see the comments) or are read from it
//! here, line by line, so that a change in either the fixture or the code shows.

use std::fs::File;
use std::io::BufReader;

use serde_json::{json, Value};

#[path = "../../../fixtures/fixture.rs"]
mod fixture;
use fixture::{FIXTURE_EVENTS, FIXTURE_LINES};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/montelucci-2024-05.jsonl"
);

/// The canary: the only person whose name must never show outside `person { personal }`.
const CANARY_ID: &str = "01HWW2G3903GE5WBXZ6BWN1ZZR";
const CANARY_NAME: &str = "Zorbeta Quillfeather";
/// The one case: Olena's, opened 7 May, closed 28 May.
const CASE_ID: &str = "01HX90FS20CBN90BACRDM3N2QV";
const OLENA_ID: &str = "01HX8YRV80B3SXYDR3FYBNC7DY";
const YUSUF_ID: &str = "01HX9JGJ30WBNPQPATHV6PDT8S";
const SAIMA_ID: &str = "01HX91XHX03WWWGQKXCA7WSR06";
const ASL_ID: &str = "01HWVYS2P08YEB52DDD3BHMNM3";
const CPIA_ID: &str = "01HWVZ27N0XZH97TDVBXAM0YN4";
const CPI_ID: &str = "01HWVZBCM0HV1B3ZG8XAZS3VZZ";
const ANAGRAFE_ID: &str = "01HWVZMHK0GWRQ1K5ZB8AVCDT6";
const QUESTURA_ID: &str = "01HWVZXPJ0KPYKBBC6768JAYG9";
const CAS_ID: &str = "01HWW06VH0W5C0KDFJGZPDTAH4";
/// A well-formed ULID nothing in the fixture uses.
const UNKNOWN_ID: &str = "01J00000000000000000000000";

struct Fixture {
    _dir: tempfile::TempDir,
    state: api::AppState,
}

async fn fixture() -> Result<Fixture, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let desk = desk::Desk::open(dir.path().join("data"), desk::DeskOptions::default())?;
    let report = desk.import(BufReader::new(File::open(FIXTURE)?)).await?;
    assert_eq!(report.recorded, FIXTURE_LINES);
    let security = api::Security::open(&dir.path().join("data"))?;
    let state = api::AppState::new(desk, api::ApiConfig::default(), security);
    Ok(Fixture { _dir: dir, state })
}

/// A query as a supervisor (who may read every read model), with a read log.
fn as_supervisor(query: &str) -> async_graphql::Request {
    async_graphql::Request::new(query)
        .data(api::Principal::new(
            domain::Actor::new("s.bianchi", domain::Role::Supervisor),
            None,
        ))
        .data(api::access::ReadLog::default())
}

impl Fixture {
    /// Runs a query that must succeed; returns its data.
    async fn data(&self, query: &str) -> Value {
        let response =
            serde_json::to_value(self.state.schema.execute(as_supervisor(query)).await).unwrap();
        assert!(
            response.get("errors").is_none(),
            "{query}\nfailed: {:#}",
            response["errors"]
        );
        response["data"].clone()
    }

    /// Runs a query that must fail; returns the `extensions.code` of each error, and checks
    /// that no data came back for the field.
    async fn codes(&self, query: &str) -> Vec<String> {
        let response =
            serde_json::to_value(self.state.schema.execute(as_supervisor(query)).await).unwrap();
        let errors = response["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{query}\nsucceeded: {response:#}"));
        if let Some(data) = response["data"].as_object() {
            assert!(data.values().all(Value::is_null), "{query}: {response:#}");
        }
        errors
            .iter()
            .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

/// The fixture's lines, parsed.
fn lines() -> Vec<Value> {
    std::fs::read_to_string(FIXTURE)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn commands<'a>(lines: &'a [Value], name: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| l["command"]["command"] == name)
        .map(|l| &l["command"])
        .collect()
}

fn strings(value: &Value, field: &str) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v[field].as_str().unwrap().to_string())
        .collect()
}

fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn person_shows_statistics_fields_and_personal_data() -> Result<(), Box<dyn std::error::Error>>
{
    let f = fixture().await?;
    let data = f
        .data(&format!(
            r#"{{
              canary: person(id: "{CANARY_ID}") {{
                id site birthYear sex citizenships countryOfBirth arrivalYear permitType
                permitExpiresOn languages householdSize minor unaccompaniedMinor vulnerabilities
                consents personal {{ fullName birthDate contacts {{ kind value }} }}
              }}
              yusuf: person(id: "{YUSUF_ID}") {{ minor unaccompaniedMinor vulnerabilities }}
              saima: person(id: "{SAIMA_ID}") {{ consents }}
              nobody: person(id: "{UNKNOWN_ID}") {{ id }}
            }}"#
        ))
        .await;
    assert_eq!(
        data["canary"],
        json!({
            "id": CANARY_ID,
            "site": "montelucci-4",
            "birthYear": 1988,
            "sex": "FEMALE",
            "citizenships": ["UA"],
            "countryOfBirth": "UA",
            "arrivalYear": 2022,
            "permitType": "TEMPORARY_PROTECTION",
            "permitExpiresOn": "2024-12-31",
            "languages": ["uk", "ru"],
            "householdSize": 3,
            "minor": false,
            "unaccompaniedMinor": false,
            "vulnerabilities": [],
            "consents": ["SERVICE", "SHARING", "SURVEY_CONTACT", "REPORTING"],
            "personal": {
                "fullName": CANARY_NAME,
                "birthDate": null,
                "contacts": [{ "kind": "PHONE", "value": "+39 300 000 0101" }],
            },
        })
    );
    // Assessed on 7 May: minor and unaccompanied.
    assert_eq!(
        data["yusuf"],
        json!({
            "minor": true,
            "unaccompaniedMinor": true,
            "vulnerabilities": ["MINOR", "UNACCOMPANIED_MINOR"],
        })
    );
    // Gave all four scopes on 7 May, withdrew survey contact on 28 May.
    assert_eq!(
        data["saima"]["consents"],
        json!(["SERVICE", "SHARING", "REPORTING"])
    );
    assert_eq!(data["nobody"], Value::Null);
    Ok(())
}

#[tokio::test]
async fn lists_and_figures_never_show_personal_data() -> Result<(), Box<dyn std::error::Error>> {
    let f = fixture().await?;
    let data = f
        .data(
            r#"{
              cases { edges { node { id personId caseWorker timeline { type } } } }
              referrals(first: 500) { edges { node { id personId serviceName outcomes { outcome } } } }
              mediations { requests { edges { node { id personId language } } }
                           sessions { edges { node { personId mediator } } } }
              logbook(from: "2024-05-01", to: "2024-05-31") { entries { mediator contacts } }
              supervisionMeetings(from: "2024-05-01", to: "2024-05-31") { meetings { themes attendees } }
              monitoring(period: "2024-05") { totalContacts beneficiaries { byCitizenship { key count } } }
            }"#,
        )
        .await;
    let text = data.to_string();
    assert!(text.contains(CANARY_ID), "the canary is in the lists by id");
    assert!(!text.contains(CANARY_NAME));
    assert!(!text.contains("+39 300"));
    Ok(())
}

#[tokio::test]
async fn cases_list_filter_and_page() -> Result<(), Box<dyn std::error::Error>> {
    let f = fixture().await?;
    let data = f
        .data(&format!(
            r#"{{
              all: cases {{ totalCount pageInfo {{ hasNextPage hasPreviousPage }}
                edges {{ cursor node {{ id personId site caseWorker openedAt status
                  vulnerabilities partnerServiceIds reopenCount position
                  carePlan {{ agreedAt needs reviewOn }}
                  lastClosure {{ closedAt reason outcome }} }} }} }}
              closed: cases(filter: {{ status: CLOSED, site: "montelucci-4" }}) {{ totalCount }}
              open: cases(filter: {{ status: OPEN }}) {{ totalCount }}
              byWorker: cases(filter: {{ caseWorker: "o.kovalenko" }}) {{ totalCount }}
              otherWorker: cases(filter: {{ caseWorker: "m.haddad" }}) {{ totalCount }}
              byPerson: cases(filter: {{ personId: "{OLENA_ID}" }}) {{ totalCount }}
              canary: cases(filter: {{ personId: "{CANARY_ID}" }}) {{ totalCount }}
              inMay: cases(filter: {{ openedFrom: "2024-05-07", openedTo: "2024-05-07" }}) {{ totalCount }}
              inJune: cases(filter: {{ openedFrom: "2024-06-01" }}) {{ totalCount }}
              otherSite: cases(filter: {{ site: "tor-bella-monaca" }}) {{ totalCount }}
              none: cases(first: 0) {{ totalCount edges {{ cursor }} pageInfo {{ hasNextPage }} }}
            }}"#
        ))
        .await;
    // The fixture opens one case (line 26) and closes it (line 93).
    let opened = commands(&lines(), "OpenCase").len();
    assert_eq!(data["all"]["totalCount"], opened);
    let case = &data["all"]["edges"][0]["node"];
    assert_eq!(
        case,
        &json!({
            "id": CASE_ID,
            "personId": OLENA_ID,
            "site": "montelucci-4",
            "caseWorker": "o.kovalenko",
            "openedAt": "2024-05-07T07:50:00+00:00",
            "status": "CLOSED",
            "vulnerabilities": ["SERIOUS_OR_MENTAL_ILLNESS"],
            "partnerServiceIds": [ASL_ID, CPI_ID],
            "reopenCount": 0,
            "position": 27,
            "carePlan": {
                "agreedAt": "2024-05-09T07:10:00+00:00",
                "needs": ["HEALTH", "WORK"],
                "reviewOn": "2024-06-06",
            },
            "lastClosure": {
                "closedAt": "2024-05-28T07:30:00+00:00",
                "reason": "GOALS_ACHIEVED",
                "outcome": "POSITIVE",
            },
        })
    );
    assert_eq!(data["all"]["edges"][0]["cursor"], "27");
    assert_eq!(
        data["all"]["pageInfo"],
        json!({ "hasNextPage": false, "hasPreviousPage": false })
    );
    let total = |k: &str| data[k]["totalCount"].as_u64().unwrap();
    assert_eq!(total("closed"), 1);
    assert_eq!(total("open"), 0);
    assert_eq!(total("byWorker"), 1);
    assert_eq!(total("otherWorker"), 0);
    assert_eq!(total("byPerson"), 1);
    assert_eq!(total("canary"), 0);
    assert_eq!(total("inMay"), 1);
    assert_eq!(total("inJune"), 0);
    assert_eq!(total("otherSite"), 0);
    assert_eq!(
        data["none"],
        json!({ "totalCount": 1, "edges": [], "pageInfo": { "hasNextPage": true } })
    );
    Ok(())
}

#[tokio::test]
async fn case_has_its_full_timeline_with_the_events() -> Result<(), Box<dyn std::error::Error>> {
    let f = fixture().await?;
    let data = f
        .data(&format!(
            r#"{{
              case(id: "{CASE_ID}") {{
                id
                timeline {{ position eventId type occurredAt
                  event {{ id position type stream actor {{ id role }} }} }}
              }}
              missing: case(id: "{UNKNOWN_ID}") {{ id }}
            }}"#
        ))
        .await;
    assert_eq!(data["missing"], Value::Null);
    let timeline = data["case"]["timeline"].as_array().unwrap();
    // Olena's intake (line 25), the opening (27), the care plan (39), the referral (40), the
    // intervention (41), the referral's outcomes (79, 107), the case conference with the
    // services (84), the supervision meeting that discussed the case (90) and the closure (108).
    // Each fixture line records one event, so a line number is a position.
    let lines = lines();
    let expected: Vec<(u64, &str)> = vec![
        (25, "IntakeRecorded"),
        (27, "CaseOpened"),
        (39, "CarePlanAgreed"),
        (40, "ReferralIssued"),
        (41, "InterventionDelivered"),
        (79, "ReferralOutcomeRecorded"),
        (84, "CaseConferenceHeld"),
        (90, "SupervisionMeetingHeld"),
        (107, "ReferralOutcomeRecorded"),
        (108, "CaseClosed"),
    ];
    let got: Vec<(u64, &str)> = timeline
        .iter()
        .map(|t| (t["position"].as_u64().unwrap(), t["type"].as_str().unwrap()))
        .collect();
    assert_eq!(got, expected);
    for t in timeline {
        let position = t["position"].as_u64().unwrap();
        let line = &lines[usize::try_from(position - 1)?];
        assert_eq!(t["eventId"], line["eventId"], "position {position}");
        assert_eq!(t["event"]["id"], line["eventId"]);
        assert_eq!(t["event"]["position"], position);
        assert_eq!(t["event"]["type"], t["type"]);
        assert_eq!(t["event"]["actor"]["id"], line["actor"]["id"]);
    }
    assert_eq!(timeline[2]["occurredAt"], "2024-05-09T07:10:00+00:00");
    assert_eq!(timeline[2]["event"]["stream"], format!("case-{CASE_ID}"));
    Ok(())
}

#[tokio::test]
async fn referrals_by_status_and_service_with_outcomes() -> Result<(), Box<dyn std::error::Error>> {
    let f = fixture().await?;
    let data = f
        .data(&format!(
            r#"{{
              all: referrals(first: 500) {{ totalCount edges {{ node {{ id status outcomes {{ outcome }} }} }} }}
              received: referrals(filter: {{ status: SERVICE_RECEIVED }}) {{ edges {{ node {{ id }} }} }}
              accepted: referrals(filter: {{ status: ACCEPTED }}) {{ totalCount }}
              appointment: referrals(filter: {{ status: APPOINTMENT_SET }}) {{ totalCount }}
              noShow: referrals(filter: {{ status: NO_SHOW }}) {{ totalCount }}
              issued: referrals(filter: {{ status: ISSUED }}) {{ totalCount }}
              toCpi: referrals(filter: {{ serviceId: "{CPI_ID}" }}) {{ edges {{ node {{ id serviceName }} }} }}
              cpiaAccepted: referrals(filter: {{ serviceId: "{CPIA_ID}", status: ACCEPTED }}) {{ totalCount }}
              olena: referrals(filter: {{ personId: "{OLENA_ID}" }}) {{ edges {{ node {{ caseId }} }} }}
              lateMay: referrals(filter: {{ issuedFrom: "2024-05-16" }}) {{ totalCount }}
              first: referrals(first: 1) {{ edges {{ node {{
                id personId caseId site serviceId serviceName reason urgency issuedAt position
                status daysToFirstOutcome finalOutcome daysToFinalOutcome
                outcomes {{ outcome occurredAt appointmentOn position }} }} }} }}
              one: referral(id: "01HXVMQBY0W9CDMGMA9EGF02FF") {{ status daysToFirstOutcome finalOutcome
                outcomes {{ appointmentOn }} }}
              none: referral(id: "{UNKNOWN_ID}") {{ id }}
            }}"#
        ))
        .await;
    let lines = lines();
    let issued = commands(&lines, "IssueReferral");
    let outcomes = commands(&lines, "RecordReferralOutcome");
    assert_eq!((issued.len(), outcomes.len()), (9, 11));
    assert_eq!(data["all"]["totalCount"], issued.len());
    let all = nodes(&data["all"]);
    assert_eq!(
        all.iter().map(|n| n["id"].clone()).collect::<Vec<_>>(),
        issued
            .iter()
            .map(|c| c["referralId"].clone())
            .collect::<Vec<_>>(),
        "in the order they were issued"
    );
    let outcome_count: usize = all
        .iter()
        .map(|n| n["outcomes"].as_array().unwrap().len())
        .sum();
    assert_eq!(outcome_count, outcomes.len());
    // The status is the last outcome recorded for each referral in the fixture.
    for node in &all {
        let last = outcomes
            .iter()
            .rev()
            .find(|o| o["referralId"] == node["id"])
            .map_or("ISSUED".to_string(), |o| {
                o["outcome"].as_str().unwrap().to_uppercase()
            });
        assert_eq!(node["status"], last.as_str(), "{}", node["id"]);
    }
    // By hand: received R1 (ASL), R4 (CPI, Olena's case), R5 (Anagrafe); accepted R2, R3, R8;
    // an appointment set R6 (Commissariato); no-show R7; R9 (ASL, Amadou, 23 May) just issued.
    assert_eq!(
        strings(&nodes(&data["received"]).into(), "id"),
        [
            "01HWW4G620GH956H9GW16YB51W",
            "01HXE44K604QZPEX2YFKE21A85",
            "01HXE84RR0546MDH7H87W5RQ2P"
        ]
    );
    let total = |k: &str| data[k]["totalCount"].as_u64().unwrap();
    assert_eq!(total("accepted"), 3);
    assert_eq!(total("appointment"), 1);
    assert_eq!(total("noShow"), 1);
    assert_eq!(total("issued"), 1);
    assert_eq!(total("cpiaAccepted"), 2);
    assert_eq!(total("lateMay"), 3);
    let to_cpi = nodes(&data["toCpi"]);
    assert_eq!(
        to_cpi.len(),
        issued.iter().filter(|c| c["serviceId"] == CPI_ID).count()
    );
    assert_eq!(to_cpi.len(), 3);
    assert!(to_cpi
        .iter()
        .all(|n| n["serviceName"] == "Centro per l'impiego di Tivoli"));
    assert_eq!(
        data["olena"]["edges"],
        json!([{ "node": { "caseId": CASE_ID } }])
    );
    assert_eq!(
        data["first"]["edges"][0]["node"],
        json!({
            "id": "01HWW4G620GH956H9GW16YB51W",
            "personId": CANARY_ID,
            "caseId": null,
            "site": "montelucci-4",
            "serviceId": ASL_ID,
            "serviceName": "ASL Roma 5 - Consultorio familiare di Guidonia Montecelio",
            "reason": "HEALTH",
            "urgency": "ROUTINE",
            "issuedAt": "2024-05-02T07:50:00+00:00",
            "position": 12,
            "status": "SERVICE_RECEIVED",
            "daysToFirstOutcome": 5,
            "finalOutcome": "SERVICE_RECEIVED",
            "daysToFinalOutcome": 12,
            "outcomes": [
                { "outcome": "APPOINTMENT_SET", "occurredAt": "2024-05-07T07:05:00+00:00",
                  "appointmentOn": "2024-05-14", "position": 22 },
                { "outcome": "SERVICE_RECEIVED", "occurredAt": "2024-05-14T08:30:00+00:00",
                  "appointmentOn": null, "position": 54 },
            ],
        })
    );
    // R6: issued 14 May, appointment set on 23 May for 4 June, no final outcome yet.
    assert_eq!(
        data["one"],
        json!({ "status": "APPOINTMENT_SET", "daysToFirstOutcome": 9, "finalOutcome": null,
                "outcomes": [{ "appointmentOn": "2024-06-04" }] })
    );
    assert_eq!(data["none"], Value::Null);
    Ok(())
}

#[tokio::test]
async fn referrals_page_by_cursor() -> Result<(), Box<dyn std::error::Error>> {
    let f = fixture().await?;
    let mut after = String::new();
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let data = f
            .data(&format!(
                r#"{{ referrals(first: 3{after}) {{ totalCount
                      pageInfo {{ hasNextPage hasPreviousPage endCursor }}
                      edges {{ cursor node {{ id position }} }} }} }}"#
            ))
            .await;
        let page = &data["referrals"];
        let total = commands(&lines(), "IssueReferral").len();
        assert_eq!(page["totalCount"], total);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], pages > 0);
        for edge in page["edges"].as_array().unwrap() {
            assert_eq!(edge["cursor"], edge["node"]["position"].to_string());
            ids.push(edge["node"]["id"].as_str().unwrap().to_string());
        }
        pages += 1;
        if page["pageInfo"]["hasNextPage"] == false {
            assert_eq!(page["edges"].as_array().unwrap().len(), (total - 1) % 3 + 1);
            break;
        }
        assert_eq!(page["edges"].as_array().unwrap().len(), 3);
        after = format!(
            r#", after: "{}""#,
            page["pageInfo"]["endCursor"].as_str().unwrap()
        );
        assert!(pages < 5, "paging does not end");
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = commands(&lines(), "IssueReferral")
        .iter()
        .map(|c| c["referralId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, expected);
    Ok(())
}

#[tokio::test]
async fn mediations_by_site_language_mode_service_period() -> Result<(), Box<dyn std::error::Error>>
{
    let f = fixture().await?;
    let q = |name: &str, filter: &str| {
        format!(
            r#"{name}: mediations{filter} {{ sessionMinutes
                 requests {{ totalCount edges {{ node {{ id }} }} }}
                 sessions {{ totalCount edges {{ node {{ mediationId durationMinutes }} }} }} }}"#
        )
    };
    let data = f
        .data(&format!(
            "{{ {} {} {} {} {} {} {} {} \
               detail: mediations {{ requests {{ edges {{ node {{ id site mode requestingServiceId \
                 personId language slotStart slotEnd cancelledAt cancellationReason sessionCount \
                 durationMinutes position }} }} }} \
               sessions(first: 1) {{ edges {{ node {{ mediationId site personId startedAt endedAt \
                 durationMinutes mediator languageFrom languageTo mode requestingServiceId \
                 language kind outcome followUpNeeded position }} }} }} }} }}",
            q("all", ""),
            q("site", r#"(filter: { site: "montelucci-4" })"#),
            q("otherSite", r#"(filter: { site: "tor-bella-monaca" })"#),
            q("onCall", "(filter: { mode: ON_CALL })"),
            q("arabic", r#"(filter: { language: "ar" })"#),
            q(
                "questura",
                &format!(r#"(filter: {{ requestingServiceId: "{QUESTURA_ID}" }})"#)
            ),
            q("fromTenth", r#"(filter: { from: "2024-05-10" })"#),
            q("tesfaye", r#"(filter: { mediator: "t.tesfaye" })"#),
        ))
        .await;
    let lines = lines();
    let requests = commands(&lines, "RequestMediation");
    let sessions = commands(&lines, "RecordMediationSession");
    let counts = |k: &str| {
        (
            data[k]["requests"]["totalCount"].as_u64().unwrap(),
            data[k]["sessions"]["totalCount"].as_u64().unwrap(),
            data[k]["sessionMinutes"].as_u64().unwrap(),
        )
    };
    // Four requests: M1 scheduled uk (ASL), M2 scheduled ar (CPIA, cancelled), M3 on call ti
    // (Questura), M4 on call ar (the desk); three sessions of 50, 40 and 45 minutes.
    assert_eq!(
        (requests.len(), sessions.len()),
        (
            usize::try_from(counts("all").0)?,
            usize::try_from(counts("all").1)?
        )
    );
    assert_eq!(counts("all"), (4, 3, 135));
    assert_eq!(counts("site"), (4, 3, 135));
    assert_eq!(counts("otherSite"), (0, 0, 0));
    assert_eq!(counts("onCall"), (2, 2, 85));
    assert_eq!(counts("arabic"), (2, 1, 45));
    assert_eq!(counts("questura"), (1, 1, 40));
    assert_eq!(counts("fromTenth"), (2, 3, 135));
    assert_eq!(counts("tesfaye"), (1, 1, 40));
    assert_eq!(
        strings(&nodes(&data["onCall"]["requests"]).into(), "id"),
        ["01HXV44BR0RNNXTZPPP92GA06A", "01HZ45B2A0P35PNPCDG2K0YH9P"]
    );
    let detail = nodes(&data["detail"]["requests"]);
    assert_eq!(
        detail[1],
        json!({
            "id": "01HXEVKAM0ZTNZ3C9N4VZZ05DB",
            "site": "montelucci-4",
            "mode": "SCHEDULED",
            "requestingServiceId": CPIA_ID,
            "personId": YUSUF_ID,
            "language": "ar",
            "slotStart": "2024-05-16T09:00:00+00:00",
            "slotEnd": "2024-05-16T10:00:00+00:00",
            "cancelledAt": "2024-05-16T07:00:00+00:00",
            "cancellationReason": "REQUESTER_CANCELLED",
            "sessionCount": 0,
            "durationMinutes": 0,
            "position": 51,
        })
    );
    assert_eq!(
        data["detail"]["sessions"]["edges"][0]["node"],
        json!({
            "mediationId": "01HX94FYM04X7QXWGY7KN1Y460",
            "site": "montelucci-4",
            "personId": CANARY_ID,
            "startedAt": "2024-05-14T07:05:00+00:00",
            "endedAt": "2024-05-14T07:55:00+00:00",
            "durationMinutes": 50,
            "mediator": "o.kovalenko",
            "languageFrom": "uk",
            "languageTo": "it",
            "mode": "SCHEDULED",
            "requestingServiceId": ASL_ID,
            "language": "uk",
            "kind": "LINGUISTIC",
            "outcome": "COMPLETED",
            "followUpNeeded": false,
            "position": 53,
        })
    );
    Ok(())
}

#[tokio::test]
async fn logbook_entries_and_missing_opening_days() -> Result<(), Box<dyn std::error::Error>> {
    let f = fixture().await?;
    let data = f
        .data(
            r#"{
              may: logbook(site: "montelucci-4", from: "2024-05-01", to: "2024-05-31") {
                entries { site date writtenAt mediator slot contacts languages emergingNeeds position }
                coverage { site openingDays daysWithEntry missingDays }
                everyOpeningDayHasEntry
              }
              haddad: logbook(from: "2024-05-01", to: "2024-05-31", mediator: "m.haddad") {
                entries { date } coverage { daysWithEntry missingDays } everyOpeningDayHasEntry
              }
              mayJune: logbook(from: "2024-05-01", to: "2024-06-30") {
                entries { date } coverage { openingDays daysWithEntry missingDays }
                everyOpeningDayHasEntry
              }
              elsewhere: logbook(site: "tor-bella-monaca", from: "2024-05-01", to: "2024-05-31") {
                entries { date } coverage { site } everyOpeningDayHasEntry
              }
            }"#,
        )
        .await;
    let lines = lines();
    let written = commands(&lines, "WriteLogbookEntry");
    let may = &data["may"];
    let entries = may["entries"].as_array().unwrap();
    assert_eq!(entries.len(), written.len());
    // Nine opening days; on 2 May three mediators wrote their own entries.
    assert_eq!(entries.len(), 11);
    let mut dates: Vec<String> = written
        .iter()
        .map(|c| c["date"].as_str().unwrap().to_string())
        .collect();
    dates.sort();
    assert_eq!(strings(&may["entries"], "date"), dates);
    let contacts: u64 = entries
        .iter()
        .map(|e| e["contacts"].as_u64().unwrap())
        .sum();
    assert_eq!(contacts, 6 + 3 + 2 + 9 + 7 + 8 + 11 + 6 + 5 + 6 + 7);
    assert_eq!(
        entries[0],
        json!({
            "site": "montelucci-4",
            "date": "2024-05-02",
            "writtenAt": "2024-05-02T15:10:00+00:00",
            "mediator": "o.kovalenko",
            "slot": "FULL_DAY",
            "contacts": 6,
            "languages": ["uk", "ar", "bn"],
            "emergingNeeds": ["DOCUMENTS", "HEALTH"],
            "position": 21,
        })
    );
    // Montelucci opens on Tuesdays and Thursdays: 2, 7, 9, 14, 16, 21, 23, 28 and 30 May.
    assert_eq!(
        may["coverage"],
        json!([{ "site": "montelucci-4", "openingDays": 9, "daysWithEntry": 9, "missingDays": [] }])
    );
    assert_eq!(may["everyOpeningDayHasEntry"], true);
    // The mediator narrows the entries, not the coverage.
    assert_eq!(
        strings(&data["haddad"]["entries"], "date"),
        ["2024-05-02", "2024-05-07", "2024-05-16"]
    );
    assert_eq!(
        data["haddad"]["coverage"],
        json!([{ "daysWithEntry": 9, "missingDays": [] }])
    );
    // June has no entries yet: its Tuesdays and Thursdays are missing, but 4 June, when the
    // site is closed (a recorded closure), is no opening day.
    assert_eq!(
        data["mayJune"]["coverage"],
        json!([{
            "openingDays": 16,
            "daysWithEntry": 9,
            "missingDays": ["2024-06-06", "2024-06-11", "2024-06-13",
                            "2024-06-18", "2024-06-20", "2024-06-25", "2024-06-27"],
        }])
    );
    assert_eq!(data["mayJune"]["everyOpeningDayHasEntry"], false);
    assert_eq!(
        data["elsewhere"],
        json!({ "entries": [], "coverage": [], "everyOpeningDayHasEntry": true })
    );
    Ok(())
}

#[tokio::test]
async fn services_by_kind_language_and_capacity() -> Result<(), Box<dyn std::error::Error>> {
    let f = fixture().await?;
    let data = f
        .data(&format!(
            r#"{{
              inUse: services {{ id }}
              all: services(filter: {{ includeRetired: true }}) {{ id name retiredAt }}
              capacity: services(filter: {{ ukraineCapacity: true }}) {{
                id name kind languages updatedAt
                ukraineCapacity {{ receptionPlaces health schoolAccess }} }}
              noCapacity: services(filter: {{ ukraineCapacity: false }}) {{ id }}
              offices: services(filter: {{ kind: ADMINISTRATIVE }}) {{ id }}
              ukrainian: services(filter: {{ language: "uk" }}) {{ id }}
              cpia: service(id: "{CPIA_ID}") {{ name kind retiredAt retiredReason verifiedOn mappedAt }}
              none: service(id: "{UNKNOWN_ID}") {{ id }}
            }}"#
        ))
        .await;
    let mapped: Vec<Value> = commands(&lines(), "MapService")
        .iter()
        .map(|c| c["serviceId"].clone())
        .collect();
    assert_eq!(mapped.len(), 6);
    let ids = |k: &str| {
        data[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("all"), mapped, "in the order they were mapped");
    // CPIA was retired on 30 May.
    assert_eq!(
        ids("inUse"),
        [ASL_ID, CPI_ID, ANAGRAFE_ID, QUESTURA_ID, CAS_ID].map(Value::from)
    );
    assert_eq!(
        ids("capacity"),
        [ASL_ID, CAS_ID].map(Value::from),
        "CPIA had a capacity but is retired"
    );
    // CAS Casa Ginestra was mapped with 18 places and updated to 12 on 23 May.
    assert_eq!(
        data["capacity"][1],
        json!({
            "id": CAS_ID,
            "name": "CAS Casa Ginestra",
            "kind": "RECEPTION",
            "languages": ["it", "uk", "en"],
            "updatedAt": "2024-05-23T07:05:00+00:00",
            "ukraineCapacity": { "receptionPlaces": 12, "health": false, "schoolAccess": false },
        })
    );
    assert_eq!(
        ids("noCapacity"),
        [CPI_ID, ANAGRAFE_ID, QUESTURA_ID].map(Value::from)
    );
    assert_eq!(ids("offices"), [ANAGRAFE_ID, QUESTURA_ID].map(Value::from));
    assert_eq!(ids("ukrainian"), [CAS_ID].map(Value::from));
    assert_eq!(data["cpia"]["kind"], "EDUCATION");
    assert_eq!(data["cpia"]["retiredAt"], "2024-05-30T14:50:00+00:00");
    assert_eq!(data["cpia"]["verifiedOn"], "2024-05-02");
    assert!(data["cpia"]["retiredReason"]
        .as_str()
        .unwrap()
        .starts_with("la sede di via dei Glicini chiude"));
    assert_eq!(data["none"], Value::Null);
    Ok(())
}

#[tokio::test]
async fn supervision_meetings_and_months() -> Result<(), Box<dyn std::error::Error>> {
    let f = fixture().await?;
    let data = f
        .data(
            r#"{
              may: supervisionMeetings(from: "2024-05-01", to: "2024-05-31") {
                meetings { id occurredAt durationMinutes supervisor attendees sites casesDiscussed position }
                months { month meetings hasMeeting }
                everyMonthHasMeeting
              }
              aprilMay: supervisionMeetings(from: "2024-04-01", to: "2024-05-31", site: "montelucci-4") {
                meetings { id } months { month meetings hasMeeting } everyMonthHasMeeting
              }
              elsewhere: supervisionMeetings(from: "2024-05-01", to: "2024-05-31", site: "tor-bella-monaca") {
                meetings { id } everyMonthHasMeeting
              }
            }"#,
        )
        .await;
    assert_eq!(commands(&lines(), "RecordSupervisionMeeting").len(), 1);
    // One event a fixture line: the meeting's position is its line's number.
    let position = lines()
        .iter()
        .position(|l| l["command"]["meetingId"] == "01HYG4F8A0F6PYFDAFYFED8KM6")
        .unwrap()
        + 1;
    assert_eq!(
        data["may"],
        json!({
            "meetings": [{
                "id": "01HYG4F8A0F6PYFDAFYFED8KM6",
                "occurredAt": "2024-05-22T12:30:00+00:00",
                "durationMinutes": 120,
                "supervisor": "s.ferri",
                "attendees": ["m.haddad", "o.kovalenko", "r.hossain", "s.malik", "t.tesfaye",
                              "l.wei", "c.rojas"],
                "sites": ["montelucci-4"],
                "casesDiscussed": [CASE_ID],
                "position": position,
            }],
            "months": [{ "month": "2024-05", "meetings": 1, "hasMeeting": true }],
            "everyMonthHasMeeting": true,
        })
    );
    assert_eq!(
        data["aprilMay"]["months"],
        json!([
            { "month": "2024-04", "meetings": 0, "hasMeeting": false },
            { "month": "2024-05", "meetings": 1, "hasMeeting": true },
        ])
    );
    assert_eq!(data["aprilMay"]["everyMonthHasMeeting"], false);
    assert_eq!(
        data["elsewhere"],
        json!({ "meetings": [], "everyMonthHasMeeting": false })
    );
    Ok(())
}

const MONITORING_FIELDS: &str = r#"
  from to site asOfPosition totalContacts
  contacts { activity site contacts distinctPersons }
  beneficiaries { total new returning withoutVulnerability
    byCitizenship { key count } bySex { key count } byAgeBand { key count }
    byPermitType { key count } byVulnerability { key count } }
  mediation { requests cancelled sessions minutes hours
    byLanguage { key requests sessions minutes hours }
    byMode { key requests sessions minutes hours }
    byRequestingService { serviceId requests sessions minutes hours } }
  referralFunnel { serviceId serviceName issued accepted concluded serviceReceived
    medianDaysToFirstOutcome medianDaysToConclusion }
  access { intakes intakesWithIntervention medianDaysIntakeToIntervention
    mediationRequests mediationRequestsServed medianDaysRequestToSession }
  openCaseload { operator openCases } openCases
  closureReasons { key count }
  satisfaction { responses responseRate helpfulShare items { item answers mean share4Or5 } }
  compliance { months { month meetings hasMeeting } everyMonthHasMeeting
    logbook { site openingDays daysWithEntry missingDays } everyOpeningDayHasEntry }
  temporaryProtection { beneficiaries registered servicesWithCapacity receptionPlaces
    servicesWithHealth servicesWithSchoolAccess }
  groupActivities { kind activities attendeesThirdCountry attendeesOther minutes }
"#;

#[tokio::test]
async fn monitoring_may_2024() -> Result<(), Box<dyn std::error::Error>> {
    let f = fixture().await?;
    let data = f
        .data(&format!(
            r#"{{
              may: monitoring(period: "2024-05") {{ {MONITORING_FIELDS} }}
              site: monitoring(period: "2024-05", site: "montelucci-4") {{ {MONITORING_FIELDS} }}
              range: monitoring(from: "2024-05-01", to: "2024-05-31") {{ {MONITORING_FIELDS} }}
              elsewhere: monitoring(period: "2024-05", site: "tor-bella-monaca") {{
                totalContacts beneficiaries {{ total }} mediation {{ sessions }}
                compliance {{ logbook {{ site }} everyMonthHasMeeting }}
                temporaryProtection {{ servicesWithCapacity }} }}
              june: monitoring(period: "2024-06") {{
                totalContacts openCases compliance {{ everyMonthHasMeeting everyOpeningDayHasEntry
                  logbook {{ openingDays missingDays }} }} }}
            }}"#
        ))
        .await;
    let m = &data["may"];
    let lines = lines();
    // Contacts: 21 intakes, 10 interventions, 3 mediation sessions.
    let intakes = commands(&lines, "RecordIntake").len();
    let interventions = commands(&lines, "RecordIntervention").len();
    let sessions = commands(&lines, "RecordMediationSession").len();
    assert_eq!((intakes, interventions, sessions), (21, 10, 3));
    assert_eq!(m["totalContacts"], intakes + interventions + sessions);
    assert_eq!(m["from"], "2024-05-01");
    assert_eq!(m["to"], "2024-05-31");
    assert_eq!(m["site"], Value::Null);
    assert_eq!(m["asOfPosition"], FIXTURE_EVENTS);
    let figure = |activity: &str, site: Value, contacts: u32, persons: u32| {
        json!({ "activity": activity, "site": site, "contacts": contacts,
                "distinctPersons": persons })
    };
    let per_activity = [
        // Nineteen persons; the canary (9, by phone 78) and Nadia (70, by phone 111) twice.
        ("INTAKE", 21, 19),
        // Canary (10), Karim (64), Senait (115).
        ("ORIENTATION_ACCOMPANIMENT", 3, 3),
        // Olena, in her case (40).
        ("INTEGRATED_CASE_SUPPORT", 1, 1),
        // Saima twice (30, 77), Fatma (109).
        ("PARENTAL_SUPPORT", 3, 2),
        // Karim (15), Rosa (48), Nadia (71).
        ("LEGAL_ADVICE", 3, 3),
        // Canary (52), nobody named (55), Nadia (99).
        ("MEDIATION", 3, 2),
    ];
    let mut expected: Vec<Value> = per_activity
        .iter()
        .map(|(a, c, p)| figure(a, json!("montelucci-4"), *c, *p))
        .collect();
    expected.extend(
        per_activity
            .iter()
            .map(|(a, c, p)| figure(a, Value::Null, *c, *p)),
    );
    assert_eq!(m["contacts"], Value::from(expected));

    // Beneficiaries: the nineteen persons registered in May, all with a contact (these figures
    // count every person served; the report templates count the Italian and the dual EU
    // citizen of 31 May apart).
    assert_eq!(
        m["beneficiaries"],
        json!({
            "total": 19, "new": 19, "returning": 0, "withoutVulnerability": 16,
            "byCitizenship": [
                { "key": "AF", "count": 3 },
                { "key": "BD", "count": 2 }, { "key": "CN", "count": 1 },
                { "key": "EG", "count": 2 }, { "key": "ER", "count": 1 },
                { "key": "IT", "count": 1 },
                { "key": "MA", "count": 1 }, { "key": "MD", "count": 1 },
                { "key": "PE", "count": 1 },
                { "key": "PK", "count": 1 }, { "key": "SN", "count": 1 },
                { "key": "TN", "count": 2 }, { "key": "UA", "count": 2 },
            ],
            "bySex": [{ "key": "FEMALE", "count": 11 }, { "key": "MALE", "count": 8 }],
            // Ages in 2024: 12, 13, 16; 25, 27, 30, 32, 34, 34; 36, 37, 38, 38, 39, 40, 41, 42;
            // 45; 75.
            "byAgeBand": [
                { "key": "UNDER_18", "count": 3 }, { "key": "FROM_25_TO_34", "count": 6 },
                { "key": "FROM_35_TO_44", "count": 8 }, { "key": "FROM_45_TO_54", "count": 1 },
                { "key": "FROM_65", "count": 1 },
            ],
            // Nadia's family permit, its renewal pending at registration, renewed on 30 May.
            "byPermitType": [
                { "key": "WORK", "count": 2 }, { "key": "FAMILY", "count": 6 },
                { "key": "STUDY", "count": 1 }, { "key": "REFUGEE", "count": 4 },
                { "key": "MINOR_AGE", "count": 1 }, { "key": "TEMPORARY_PROTECTION", "count": 2 },
                { "key": "LONG_TERM_EU", "count": 1 }, { "key": "NONE", "count": 2 },
            ],
            "byVulnerability": [
                { "key": "MINOR", "count": 1 }, { "key": "UNACCOMPANIED_MINOR", "count": 1 },
                { "key": "ELDERLY", "count": 1 }, { "key": "SERIOUS_OR_MENTAL_ILLNESS", "count": 1 },
            ],
        })
    );
    assert_eq!(
        commands(&lines, "RegisterPerson").len(),
        usize::try_from(m["beneficiaries"]["total"].as_u64().unwrap())?
    );

    // Mediation: 135 minutes = 2.25 hours; M2 cancelled.
    assert_eq!(
        m["mediation"],
        json!({
            "requests": 4, "cancelled": 1, "sessions": 3, "minutes": 135, "hours": 2.25,
            "byLanguage": [
                { "key": "ar", "requests": 2, "sessions": 1, "minutes": 45, "hours": 0.75 },
                { "key": "ti", "requests": 1, "sessions": 1, "minutes": 40, "hours": 40.0 / 60.0 },
                { "key": "uk", "requests": 1, "sessions": 1, "minutes": 50, "hours": 50.0 / 60.0 },
            ],
            "byMode": [
                { "key": "ON_CALL", "requests": 2, "sessions": 2, "minutes": 85, "hours": 85.0 / 60.0 },
                { "key": "SCHEDULED", "requests": 2, "sessions": 1, "minutes": 50, "hours": 50.0 / 60.0 },
            ],
            "byRequestingService": [
                { "serviceId": null, "requests": 1, "sessions": 1, "minutes": 45, "hours": 0.75 },
                { "serviceId": ASL_ID, "requests": 1, "sessions": 1, "minutes": 50, "hours": 50.0 / 60.0 },
                { "serviceId": CPIA_ID, "requests": 1, "sessions": 0, "minutes": 0, "hours": 0.0 },
                { "serviceId": QUESTURA_ID, "requests": 1, "sessions": 1, "minutes": 40, "hours": 40.0 / 60.0 },
            ],
        })
    );

    // Referral funnel, by service id: days to first outcome and to conclusion per referral.
    assert_eq!(
        m["referralFunnel"],
        json!([
            // R1: appointment after 5 days, received after 12; R9 (Amadou) issued on 23 May.
            { "serviceId": ASL_ID, "serviceName": "ASL Roma 5 - Consultorio familiare di Guidonia Montecelio",
              "issued": 2, "accepted": 1, "concluded": 1, "serviceReceived": 1,
              "medianDaysToFirstOutcome": 5.0, "medianDaysToConclusion": 12.0 },
            // R3 accepted after 14 days, R8 after 7; retired since, still named.
            { "serviceId": CPIA_ID, "serviceName": "CPIA - punto di erogazione di Guidonia, corsi di italiano L2",
              "issued": 2, "accepted": 2, "concluded": 0, "serviceReceived": 0,
              "medianDaysToFirstOutcome": 10.5, "medianDaysToConclusion": null },
            // R2 accepted (7), R4 appointment (12) then received (19), R7 no-show (7).
            { "serviceId": CPI_ID, "serviceName": "Centro per l'impiego di Tivoli",
              "issued": 3, "accepted": 2, "concluded": 1, "serviceReceived": 1,
              "medianDaysToFirstOutcome": 7.0, "medianDaysToConclusion": 19.0 },
            // R5: appointment after 5 days, received after 12.
            { "serviceId": ANAGRAFE_ID, "serviceName": "Anagrafe - Comune di Guidonia Montecelio",
              "issued": 1, "accepted": 1, "concluded": 1, "serviceReceived": 1,
              "medianDaysToFirstOutcome": 5.0, "medianDaysToConclusion": 12.0 },
            // R6: appointment after 9 days.
            { "serviceId": QUESTURA_ID, "serviceName": "Commissariato di P.S. Tivoli - Ufficio immigrazione",
              "issued": 1, "accepted": 1, "concluded": 0, "serviceReceived": 0,
              "medianDaysToFirstOutcome": 9.0, "medianDaysToConclusion": null },
        ])
    );
    let issued: u64 = m["referralFunnel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["issued"].as_u64().unwrap())
        .sum();
    assert_eq!(
        usize::try_from(issued)?,
        commands(&lines, "IssueReferral").len()
    );

    // Eight intakes followed by an intervention: six the same day (Fatma's among them), Olena
    // after 2 days, Senait after 16; the phone calls of returning people (the canary, Nadia) came
    // after their interventions. Requests served: M1 after 7 days, M3 and M4 the same day.
    assert_eq!(
        m["access"],
        json!({
            "intakes": 21, "intakesWithIntervention": 8, "medianDaysIntakeToIntervention": 0.0,
            "mediationRequests": 4, "mediationRequestsServed": 3,
            "medianDaysRequestToSession": 0.0,
        })
    );
    // The only case was closed on 28 May.
    assert_eq!(m["openCases"], 0);
    assert_eq!(m["openCaseload"], json!([]));
    assert_eq!(
        m["closureReasons"],
        json!([{ "key": "GOALS_ACHIEVED", "count": 1 }])
    );

    // Seven surveys, six "helpful", of nineteen beneficiaries; the items (1 to 5) are the
    // built-in definition's, answered by the four of 16 and 23 May.
    assert_eq!(
        m["satisfaction"],
        json!({
            "responses": 7, "responseRate": 7.0 / 19.0, "helpfulShare": 6.0 / 7.0,
            "items": [
                { "item": "WELCOME", "answers": 4, "mean": 4.75, "share4Or5": 1.0 },
                { "item": "CLARITY", "answers": 4, "mean": 4.25, "share4Or5": 0.75 },
                { "item": "USEFULNESS", "answers": 4, "mean": 4.5, "share4Or5": 1.0 },
                { "item": "WAITING_TIME", "answers": 1, "mean": 3.0, "share4Or5": 0.0 },
                { "item": "LANGUAGE", "answers": 1, "mean": 5.0, "share4Or5": 1.0 },
                { "item": "OVERALL", "answers": 2, "mean": 4.5, "share4Or5": 1.0 },
            ],
        })
    );
    assert_eq!(
        m["satisfaction"]["responses"],
        commands(&lines, "RecordSurveyResponse").len()
    );

    // Compliance: a meeting on 22 May; an entry every Tuesday and Thursday of May.
    assert_eq!(
        m["compliance"],
        json!({
            "months": [{ "month": "2024-05", "meetings": 1, "hasMeeting": true }],
            "everyMonthHasMeeting": true,
            "logbook": [{ "site": "montelucci-4", "openingDays": 9, "daysWithEntry": 9,
                          "missingDays": [] }],
            "everyOpeningDayHasEntry": true,
        })
    );

    // Temporary protection: the canary and Olena; ASL (health) and CAS (12 places) in use.
    assert_eq!(
        m["temporaryProtection"],
        json!({
            "beneficiaries": 2, "registered": 2, "servicesWithCapacity": 2,
            "receptionPlaces": 12, "servicesWithHealth": 1, "servicesWithSchoolAccess": 0,
        })
    );
    assert_eq!(
        m["groupActivities"],
        json!([
            { "kind": "COMMUNITY_ACTIVATION", "activities": 1, "attendeesThirdCountry": 9,
              "attendeesOther": 11, "minutes": 120 },
            { "kind": "INFORMATION_SESSION", "activities": 1, "attendeesThirdCountry": 16,
              "attendeesOther": 3, "minutes": 90 },
        ])
    );

    // One site, the only one: the same figures. A month as from/to: the same figures.
    let mut site = data["site"].clone();
    assert_eq!(site["site"], "montelucci-4");
    site["site"] = Value::Null;
    assert_eq!(&site, m);
    assert_eq!(&data["range"], m);
    assert_eq!(
        data["elsewhere"],
        json!({
            "totalContacts": 0, "beneficiaries": { "total": 0 }, "mediation": { "sessions": 0 },
            "compliance": { "logbook": [], "everyMonthHasMeeting": false },
            // The directory is territorial: the site does not narrow it.
            "temporaryProtection": { "servicesWithCapacity": 2 },
        })
    );
    assert_eq!(
        data["june"],
        json!({
            "totalContacts": 0, "openCases": 0,
            "compliance": { "everyMonthHasMeeting": false, "everyOpeningDayHasEntry": false,
                            "logbook": [{ "openingDays": 7, "missingDays": [
                                "2024-06-06", "2024-06-11", "2024-06-13",
                                "2024-06-18", "2024-06-20", "2024-06-25", "2024-06-27"] }] },
        })
    );
    Ok(())
}

#[tokio::test]
async fn bad_arguments_are_bad_input() -> Result<(), Box<dyn std::error::Error>> {
    let f = fixture().await?;
    let bad = [
        // Malformed ULIDs.
        r#"{ person(id: "not-a-ulid") { id } }"#,
        r#"{ case(id: "01HX90FS20CBN90BACRDM3N2Q") { id } }"#,
        r#"{ referral(id: "") { id } }"#,
        r#"{ service(id: "ASL") { id } }"#,
        r#"{ cases(filter: { personId: "olena" }) { totalCount } }"#,
        r#"{ referrals(filter: { serviceId: "cpi" }) { totalCount } }"#,
        r#"{ mediations(filter: { requestingServiceId: "questura" }) { sessionMinutes } }"#,
        // Bad months.
        r#"{ monitoring(period: "2024-13") { totalContacts } }"#,
        r#"{ monitoring(period: "May 2024") { totalContacts } }"#,
        r#"{ monitoring(period: "2024-5") { totalContacts } }"#,
        // Neither or both of period and from/to; from without to.
        r#"{ monitoring { totalContacts } }"#,
        r#"{ monitoring(period: "2024-05", from: "2024-05-01", to: "2024-05-31") { totalContacts } }"#,
        r#"{ monitoring(from: "2024-05-01") { totalContacts } }"#,
        // Inverted periods.
        r#"{ monitoring(from: "2024-05-31", to: "2024-05-01") { totalContacts } }"#,
        r#"{ logbook(from: "2024-05-31", to: "2024-05-01") { everyOpeningDayHasEntry } }"#,
        r#"{ supervisionMeetings(from: "2024-06-01", to: "2024-05-01") { everyMonthHasMeeting } }"#,
        r#"{ cases(filter: { openedFrom: "2024-06-01", openedTo: "2024-05-01" }) { totalCount } }"#,
        r#"{ referrals(filter: { issuedFrom: "2024-06-01", issuedTo: "2024-05-01" }) { totalCount } }"#,
        r#"{ mediations(filter: { from: "2024-06-01", to: "2024-05-01" }) { sessionMinutes } }"#,
        // Periods too long to list day by day.
        r#"{ logbook(from: "2023-01-01", to: "2024-05-31") { everyOpeningDayHasEntry } }"#,
        r#"{ supervisionMeetings(from: "2020-01-01", to: "2024-05-31") { everyMonthHasMeeting } }"#,
        // Bad site slugs.
        r#"{ monitoring(period: "2024-05", site: "Montelucci 4") { totalContacts } }"#,
        r#"{ logbook(site: "-montelucci", from: "2024-05-01", to: "2024-05-31") { everyOpeningDayHasEntry } }"#,
        r#"{ cases(filter: { site: "via Montelucci" }) { totalCount } }"#,
        r#"{ supervisionMeetings(from: "2024-05-01", to: "2024-05-31", site: "") { everyMonthHasMeeting } }"#,
        // Bad language codes.
        r#"{ mediations(filter: { language: "Arabic" }) { sessionMinutes } }"#,
        r#"{ services(filter: { language: "UK" }) { id } }"#,
        // Bad pages.
        r#"{ cases(first: -1) { totalCount } }"#,
        r#"{ referrals(first: 501) { totalCount } }"#,
        r#"{ referrals(after: "eleven") { totalCount } }"#,
        r#"{ mediations { requests(first: 1000) { totalCount } } }"#,
        r#"{ mediations { sessions(after: "-3") { totalCount } } }"#,
    ];
    for query in bad {
        assert_eq!(f.codes(query).await, ["BAD_INPUT"], "{query}");
    }
    Ok(())
}

/// The README's queries of the desk's day, on the demo month: Thursday 6 June 2024 holds the
/// appointment moved there from 28 May and the one the Questura referred; what is due by then.
#[tokio::test]
async fn the_demo_agenda_and_due_list() -> Result<(), Box<dyn std::error::Error>> {
    let f = fixture().await?;
    let data = f
        .data(
            "{ agenda(date: \"2024-06-06\") { startsAt mediator personId status rescheduled channel }
               due(on: \"2024-06-05\", withinDays: 1) { kind dueOn owner } }",
        )
        .await;
    assert_eq!(
        data["agenda"],
        json!([
            { "startsAt": "2024-06-06T07:30:00+00:00", "mediator": "m.haddad", "personId": YUSUF_ID,
              "status": "BOOKED", "rescheduled": 1, "channel": "PHONE" },
            { "startsAt": "2024-06-06T13:00:00+00:00", "mediator": "t.tesfaye",
              "personId": "01HXVK9K30RXKNJ2951DDR4WJ9", "status": "BOOKED", "rescheduled": 0,
              "channel": "REFERRED_BY_SERVICE" },
        ])
    );
    let due = data["due"].as_array().unwrap();
    let kinds: std::collections::BTreeSet<&str> =
        due.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    // The month leaves appointments for tomorrow, a follow-up, referrals without an outcome and
    // the supervision action m.haddad owns (s.malik's was done).
    for kind in [
        "APPOINTMENT",
        "FOLLOW_UP",
        "REFERRAL_OUTCOME",
        "SUPERVISION_ACTION",
    ] {
        assert!(kinds.contains(kind), "{kind} in {due:?}");
    }
    let actions: Vec<&Value> = due
        .iter()
        .filter(|i| i["kind"] == "SUPERVISION_ACTION")
        .collect();
    assert_eq!(
        actions,
        [&json!({ "kind": "SUPERVISION_ACTION", "dueOn": "2024-05-28", "owner": "m.haddad" })]
    );
    // The sites list the local closure of 4 June.
    let sites = f.data("{ sites { closures { from to reason } } }").await;
    assert_eq!(
        sites["sites"][0]["closures"],
        json!([{ "from": "2024-06-04", "to": "2024-06-04", "reason": "formazione del personale" }])
    );
    Ok(())
}
