//! End to end: the real `impact` binary on a temporary data directory, driven over HTTP and
//! WebSocket on 127.0.0.1 (a tiny HTTP/1.1 client over `TcpStream`, `graphql-transport-ws` with
//! tokio-tungstenite), stopped with SIGTERM and started again; and `impact import` of the fixture,
//! a broken copy and the mended one.
//!
//! Every wait is bounded, so a hang fails the test instead of blocking it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[path = "support/raw_http.rs"]
mod raw_http;
use raw_http::http;

/// Longest the server may take to start (it opens and replays the journal first).
const START_DEADLINE: Duration = Duration::from_secs(60);
/// Longest the server may take to stop after SIGTERM.
const STOP_DEADLINE: Duration = Duration::from_secs(30);
/// Longest one HTTP request or WebSocket message may take.
const IO_DEADLINE: Duration = Duration::from_secs(30);

const BIN: &str = env!("CARGO_BIN_EXE_impact");

fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/montelucci-2024-05.jsonl")
}

// ---------------------------------------------------------------------------------------------
// The server process

struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Starts `impact serve` on an ephemeral port and waits for its `listening on` line.
    fn start(data: &Path, log: PathBuf) -> Server {
        let log_file = std::fs::File::create(&log).unwrap();
        let mut child = std::process::Command::new(BIN)
            .args(["serve", "--data"])
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("IMPACT_DEMO")
            .env_remove("IMPACT_DEV")
            .env("IMPACT_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .unwrap();
        let lines = raw_http::stdout_lines(&mut child);
        let deadline = Instant::now() + START_DEADLINE;
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.trim().strip_prefix("listening on http://") {
                        break url.trim_end_matches('/').parse::<SocketAddr>().unwrap();
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "no `listening on` line ({e:?}); server log:\n{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                }
            }
        };
        assert!(addr.ip().is_loopback(), "{addr}");
        Server { child, addr, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then waits (bounded) for the process to exit.
    fn terminate(mut self) -> ExitStatus {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: `kill` has no memory-safety preconditions; the pid is our own child, not yet
        // reaped (we hold its `Child`), so it cannot name another process.
        let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(sent, 0, "kill(SIGTERM) failed");
        let status = wait_bounded(&mut self.child, STOP_DEADLINE)
            .unwrap_or_else(|| panic!("no exit after SIGTERM; log:\n{}", self.log()));
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    /// A failed test must not leave a server behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_bounded(child: &mut Child, deadline: Duration) -> Option<ExitStatus> {
    let until = Instant::now() + deadline;
    while Instant::now() < until {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Runs an `impact` subcommand to completion (bounded); returns its status, stdout and stderr.
fn impact(args: &[&std::ffi::OsStr]) -> (ExitStatus, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = std::process::Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let status = wait_bounded(&mut child, START_DEADLINE).unwrap_or_else(|| {
        let _ = child.kill();
        let _ = child.wait();
        panic!("impact {args:?} did not finish in time");
    });
    (
        status,
        std::fs::read_to_string(out).unwrap(),
        std::fs::read_to_string(err).unwrap(),
    )
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

// ---------------------------------------------------------------------------------------------
// A tiny HTTP/1.1 client (one request per connection)

/// Who records: an actor and a role, each with a bearer token issued by `impact token issue`.
type Identity = (&'static str, &'static str);

/// The tokens of the running test, by (actor, role).
static TOKENS: std::sync::Mutex<Vec<((String, String), String)>> =
    std::sync::Mutex::new(Vec::new());

const SUPERVISOR: Identity = ("s.bianchi", "supervisor");
const EVALUATOR: Identity = ("e.verdi", "evaluator");

/// Issues a token with the real CLI (the server may be running: it re-reads the token file).
fn issue_token(data: &Path, (actor, role): Identity, site: Option<&str>) -> String {
    let mut args = vec![
        os("token"),
        os("issue"),
        os("--data"),
        data.as_os_str(),
        os("--role"),
        os(role),
        os("--actor"),
        os(actor),
        os("--ttl"),
        os("1h"),
    ];
    if let Some(site) = site {
        args.extend([os("--site"), os(site)]);
    }
    let (status, out, err) = impact(&args);
    assert_eq!(status.code(), Some(0), "token issue: {err}");
    let token = out.trim().to_string();
    assert!(token.starts_with("imp1."), "{out}");
    // The token is printed once and never logged or stored.
    assert!(!err.contains(&token));
    TOKENS
        .lock()
        .unwrap()
        .push(((actor.to_string(), role.to_string()), token.clone()));
    token
}

fn issue_tokens(data: &Path) {
    issue_token(data, MEDIATOR, Some(SITE));
    issue_token(data, ADMIN, None);
    issue_token(data, SUPERVISOR, None);
    issue_token(data, EVALUATOR, None);
}

/// The token of `identity` (a supervisor's when `None`).
fn token_of(identity: Option<(&str, &str)>) -> String {
    let (actor, role) = identity.unwrap_or(SUPERVISOR);
    TOKENS
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|((a, r), _)| a == actor && r == role)
        .map(|(_, token)| token.clone())
        .unwrap_or_else(|| panic!("no token for {actor} ({role})"))
}
/// A typed mutation's name and its input.
type TypedCommand = (&'static str, Value);

/// Who records the day's work.
const MEDIATOR: Identity = ("o.kovalenko", "mediator");
const ADMIN: Identity = ("a.conti", "admin");

/// A GraphQL request over POST; the answer must be HTTP 200 without errors.
async fn graphql(
    addr: SocketAddr,
    query: &str,
    variables: Value,
    identity: Option<(&str, &str)>,
) -> Value {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let bearer = format!("Bearer {}", token_of(identity));
    let headers = [
        ("Content-Type", "application/json"),
        ("Authorization", &bearer),
    ];
    let reply = http(addr, "POST", "/graphql", &headers, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let response: Value = serde_json::from_str(&reply.body).unwrap();
    assert!(response.get("errors").is_none(), "{query}\n{response:#}");
    response["data"].clone()
}

/// The typed mutation `name` (`writeLogbookEntry`) with its input; the answer's `Recorded`.
async fn mutate(
    addr: SocketAddr,
    identity: (&str, &str),
    name: &str,
    input: Value,
    options: Value,
) -> Value {
    let input_type = format!("{}{}Input", name[..1].to_uppercase(), &name[1..]);
    let query = format!(
        "mutation($input: {input_type}!, $options: RecordOptions) {{
           {name}(input: $input, options: $options) {{
             alreadyRecorded
             events {{ id position stream version type hash }}
           }}
         }}"
    );
    let data = graphql(
        addr,
        &query,
        json!({ "input": input, "options": options }),
        Some(identity),
    )
    .await;
    data[name].clone()
}

/// Records one command through its typed mutation with a chosen event id; returns its events.
async fn record(
    addr: SocketAddr,
    identity: (&str, &str),
    event_id: &str,
    (name, input): (&str, Value),
) -> Vec<Value> {
    let recorded = mutate(addr, identity, name, input, json!({ "eventId": event_id })).await;
    assert_eq!(recorded["alreadyRecorded"], false, "{recorded}");
    let events = recorded["events"].as_array().unwrap().clone();
    assert_eq!(events[0]["id"], event_id);
    events
}

// ---------------------------------------------------------------------------------------------
// A day of the desk's work

/// A ULID made of decimal digits: `01J3` then `n`; entity ids and event ids use different
/// prefixes, and event ids are spaced by ten so the further events of a command never collide.
fn entity_id(n: u64) -> String {
    format!("01J3{n:022}")
}

fn event_id(n: u64) -> String {
    format!("01J2{:022}", n * 10)
}

const SITE: &str = "montelucci-4";

struct Day {
    service: String,
    person_a: String,
    person_b: String,
    case: String,
    referral: String,
    mediation: String,
    /// Every event recorded, in order.
    events: Vec<Value>,
}

/// Maps a service, registers two people, records an intake, opens a case, issues a referral
/// and its outcome, requests a mediation and records its session, writes the day's logbook
/// entry and a survey: the commands a mediator sends in a day, each through the API.
async fn record_a_day(addr: SocketAddr) -> Day {
    let day = Day {
        service: entity_id(1),
        person_a: entity_id(2),
        person_b: entity_id(3),
        case: entity_id(4),
        referral: entity_id(5),
        mediation: entity_id(6),
        events: Vec::new(),
    };
    let survey = entity_id(7);
    let (service, a, b) = (&day.service, &day.person_a, &day.person_b);
    let commands: [(Identity, TypedCommand); 14] = [
        (
            ADMIN,
            (
                "mapService",
                json!({
                    "serviceId": service,
                    "occurredAt": "2024-06-03T08:10:00+02:00",
                    "name": "ASL Roma 1 - Consultorio familiare via Montelucci", "kind": "HEALTH",
                    "address": "via Montelucci 12", "openingHours": "lun-ven 8:30-13:00",
                    "languages": ["it", "en"], "accessRules": "accesso diretto",
                    "ukraineCapacity": { "receptionPlaces": 0, "health": true, "schoolAccess": false },
                    "verifiedOn": "2024-06-03"
                }),
            ),
        ),
        (
            MEDIATOR,
            (
                "registerPerson",
                json!({
                    "personId": a, "siteId": SITE,
                    "occurredAt": "2024-06-03T09:15:00+02:00",
                    "birthYear": 1988, "sex": "FEMALE", "citizenships": ["UA"], "countryOfBirth": "UA",
                    "arrivalYear": 2022, "permitType": "TEMPORARY_PROTECTION",
                    "permitExpiresOn": "2025-03-04", "languages": ["uk", "ru"], "householdSize": 3,
                    "minor": false, "unaccompaniedMinor": false,
                    "personal": { "fullName": "Zorbeta Quillfeather", "birthDate": null, "contacts": [] }
                }),
            ),
        ),
        (
            MEDIATOR,
            (
                "giveConsent",
                json!({
                    "personId": a, "siteId": SITE,
                    "occurredAt": "2024-06-03T09:17:00+02:00",
                    "scopes": ["SERVICE", "SHARING", "SURVEY_CONTACT", "REPORTING"],
                    "sharedWith": ["ASL Roma 1"], "givenBy": "PERSON"
                }),
            ),
        ),
        (
            MEDIATOR,
            (
                "recordIntake",
                json!({
                    "personId": a, "siteId": SITE,
                    "occurredAt": "2024-06-03T09:20:00+02:00", "channel": "WALK_IN",
                    "referredBy": null, "needs": ["HEALTH"], "note": "chiede un pediatra"
                }),
            ),
        ),
        (
            MEDIATOR,
            (
                "registerPerson",
                json!({
                    "personId": b, "siteId": SITE,
                    "occurredAt": "2024-06-03T10:00:00+02:00",
                    "birthYear": 1979, "sex": "MALE", "citizenships": ["BD"], "countryOfBirth": "BD",
                    "arrivalYear": 2019, "permitType": "WORK",
                    "permitExpiresOn": "2025-01-31", "languages": ["bn", "en"], "householdSize": 1,
                    "minor": false, "unaccompaniedMinor": false,
                    "personal": { "fullName": "Quorin Valdemast", "birthDate": null, "contacts": [] }
                }),
            ),
        ),
        (
            MEDIATOR,
            (
                "giveConsent",
                json!({
                    "personId": b, "siteId": SITE,
                    "occurredAt": "2024-06-03T10:02:00+02:00",
                    "scopes": ["SERVICE", "SHARING", "REPORTING"],
                    "sharedWith": ["ASL Roma 1"], "givenBy": "PERSON"
                }),
            ),
        ),
        (
            MEDIATOR,
            (
                "assessVulnerability",
                json!({
                    "personId": b, "siteId": SITE,
                    "occurredAt": "2024-06-03T10:20:00+02:00",
                    "categories": ["SERIOUS_OR_MENTAL_ILLNESS"], "note": "terapia da continuare"
                }),
            ),
        ),
        (
            MEDIATOR,
            (
                "openCase",
                json!({
                    "caseId": day.case, "personId": b, "siteId": SITE,
                    "occurredAt": "2024-06-03T10:30:00+02:00", "caseWorker": "o.kovalenko",
                    "vulnerabilities": ["SERIOUS_OR_MENTAL_ILLNESS"], "partnerServices": [service]
                }),
            ),
        ),
        (
            MEDIATOR,
            (
                "issueReferral",
                json!({
                    "referralId": day.referral, "personId": a,
                    "caseId": null, "siteId": SITE, "occurredAt": "2024-06-03T11:00:00+02:00",
                    "serviceId": service, "reason": "HEALTH", "urgency": "ROUTINE"
                }),
            ),
        ),
        (
            MEDIATOR,
            (
                "recordReferralOutcome",
                json!({
                    "referralId": day.referral,
                    "occurredAt": "2024-06-03T12:30:00+02:00", "outcome": "APPOINTMENT_SET",
                    "appointmentOn": "2024-06-10"
                }),
            ),
        ),
        (
            MEDIATOR,
            (
                "requestMediation",
                json!({
                    "mediationId": day.mediation, "siteId": SITE,
                    "occurredAt": "2024-06-03T13:00:00+02:00", "mode": "SCHEDULED",
                    "requestingService": service, "personId": a, "caseId": null, "language": "uk",
                    "slotStart": "2024-06-03T15:00:00+02:00", "slotEnd": "2024-06-03T16:00:00+02:00"
                }),
            ),
        ),
        (
            MEDIATOR,
            (
                "recordMediationSession",
                json!({
                    "mediationId": day.mediation,
                    "startedAt": "2024-06-03T15:05:00+02:00", "endedAt": "2024-06-03T15:55:00+02:00",
                    "mediator": "o.kovalenko", "languages": { "from": "uk", "to": "it" },
                    "parties": ["BENEFICIARY", "HEALTH_WORKER"], "kind": "LINGUISTIC",
                    "outcome": "COMPLETED", "followUpNeeded": false, "note": "visita pediatrica"
                }),
            ),
        ),
        (
            MEDIATOR,
            (
                "recordSurveyResponse",
                json!({
                    "surveyId": survey, "siteId": SITE,
                    "occurredAt": "2024-06-03T16:30:00+02:00", "personId": a,
                    "scores": [
                        { "item": "welcome", "score": 5 }, { "item": "clarity", "score": 4 },
                        { "item": "usefulness", "score": 5 }, { "item": "language", "score": 5 }
                    ],
                    "helpfulForIntegration": true, "comment": null
                }),
            ),
        ),
        (
            MEDIATOR,
            (
                "writeLogbookEntry",
                json!({
                    "siteId": SITE, "date": "2024-06-03",
                    "occurredAt": "2024-06-03T17:10:00+02:00", "mediator": "o.kovalenko",
                    "slot": "FULL_DAY", "contacts": 4, "languages": ["uk", "bn"],
                    "observations": "Due nuovi accessi; una mediazione al consultorio.",
                    "incidents": null, "emergingNeeds": ["HEALTH"]
                }),
            ),
        ),
    ];
    let mut day = day;
    for (n, (identity, command)) in (1_u64..).zip(commands) {
        let events = record(addr, identity, &event_id(n), command).await;
        day.events.extend(events);
    }
    day
}

// ---------------------------------------------------------------------------------------------
// Reading it back

/// Every page of the audit trail for `filter`, `page` events at a time: (id, position, hash).
async fn audit_trail(addr: SocketAddr, filter: Value, page: usize) -> Vec<(String, u64, String)> {
    let query = "query($filter: EventFilter, $first: Int, $after: String) {
      auditTrail(filter: $filter, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id position hash } }
      }
    }";
    let mut after: Option<String> = None;
    let mut seen = Vec::new();
    let mut total = None;
    for _ in 0..1_000 {
        let data = graphql(
            addr,
            query,
            json!({ "filter": filter, "first": page, "after": after }),
            None,
        )
        .await;
        let trail = &data["auditTrail"];
        let count = trail["totalCount"].as_u64().unwrap();
        assert!(
            total.is_none_or(|t| t == count),
            "totalCount changed between pages"
        );
        total = Some(count);
        let edges = trail["edges"].as_array().unwrap();
        assert!(edges.len() <= page, "a page larger than asked for");
        for edge in edges {
            let node = &edge["node"];
            seen.push((
                node["id"].as_str().unwrap().to_owned(),
                node["position"].as_u64().unwrap(),
                node["hash"].as_str().unwrap().to_owned(),
            ));
        }
        if trail["pageInfo"]["hasNextPage"] != true {
            let total = usize::try_from(count).unwrap();
            assert_eq!(seen.len(), total, "pages do not add up to totalCount");
            assert!(
                seen.windows(2).all(|w| w[0].1 < w[1].1),
                "the audit trail is not in position order: {seen:?}"
            );
            return seen;
        }
        assert_eq!(edges.len(), page, "a short page that claims a next page");
        after = Some(trail["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    }
    panic!("the audit trail did not end within 1000 pages");
}

async fn chain(addr: SocketAddr) -> Value {
    graphql(
        addr,
        "{ chain { head { position hash } verify { intact checked head { position hash } problem { position kind } } } }",
        json!({}),
        None,
    )
    .await["chain"]
        .clone()
}

/// The state an auditor would compare across a restart.
async fn snapshot(addr: SocketAddr) -> (Value, Vec<(String, u64, String)>) {
    let chain = chain(addr).await;
    (chain["head"].clone(), audit_trail(addr, json!({}), 4).await)
}

/// The read models of the day: the case, the referral, the logbook and the mediation minutes.
async fn read_models(addr: SocketAddr, day: &Day) -> Value {
    graphql(
        addr,
        "query($case: ID!, $referral: ID!) {
           case(id: $case) { id personId site caseWorker status vulnerabilities partnerServiceIds }
           referral(id: $referral) { id personId serviceId reason status finalOutcome outcomes { outcome } }
           logbook(site: \"montelucci-4\", from: \"2024-06-03\", to: \"2024-06-03\") {
             entries { site date mediator slot contacts emergingNeeds }
           }
           mediations(filter: { site: \"montelucci-4\" }) { sessionMinutes }
         }",
        json!({ "case": day.case, "referral": day.referral }),
        None,
    )
    .await
}

async fn read_it_back(addr: SocketAddr, day: &Day) {
    let positions: Vec<u64> = day
        .events
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = (1..=u64::try_from(positions.len()).unwrap()).collect();
    assert_eq!(positions, expected, "positions are not gap-free from 1");

    // The whole trail, in pages of 3, is exactly what the mutations returned.
    let all = audit_trail(addr, json!({}), 3).await;
    let returned: Vec<(String, u64, String)> = day
        .events
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["position"].as_u64().unwrap(),
                e["hash"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(all, returned);

    // Filters.
    let of_type = |types: &[&str]| -> Vec<u64> {
        day.events
            .iter()
            .filter(|e| types.contains(&e["type"].as_str().unwrap()))
            .map(|e| e["position"].as_u64().unwrap())
            .collect()
    };
    let positions_of = |trail: Vec<(String, u64, String)>| -> Vec<u64> {
        trail.into_iter().map(|(_, p, _)| p).collect()
    };
    let referrals = audit_trail(
        addr,
        json!({ "types": ["ReferralIssued", "ReferralOutcomeRecorded"] }),
        1,
    )
    .await;
    assert_eq!(
        positions_of(referrals),
        of_type(&["ReferralIssued", "ReferralOutcomeRecorded"])
    );
    assert_eq!(
        of_type(&["ReferralIssued", "ReferralOutcomeRecorded"]).len(),
        2
    );
    let by_admin = audit_trail(addr, json!({ "actor": "a.conti" }), 10).await;
    assert_eq!(positions_of(by_admin), vec![1]);
    let by_role = audit_trail(addr, json!({ "role": "mediator" }), 5).await;
    assert_eq!(
        positions_of(by_role),
        (2..=u64::try_from(day.events.len()).unwrap()).collect::<Vec<_>>()
    );
    let case_stream = format!("case-{}", day.case);
    let case_events = audit_trail(addr, json!({ "stream": case_stream }), 10).await;
    assert_eq!(positions_of(case_events), of_type(&["CaseOpened"]));
    // Person B's own stream and the case opened for B.
    let person_b = audit_trail(addr, json!({ "person": day.person_b }), 10).await;
    let of_b: Vec<u64> = day
        .events
        .iter()
        .filter(|e| e["stream"] == format!("person-{}", day.person_b) || e["stream"] == case_stream)
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions_of(person_b), of_b);
    assert!(of_b.len() >= 4, "{of_b:?}");
    let window = audit_trail(addr, json!({ "positionFrom": 3, "positionTo": 6 }), 2).await;
    assert_eq!(positions_of(window), vec![3, 4, 5, 6]);
    let none = audit_trail(addr, json!({ "types": ["SupervisionMeetingHeld"] }), 10).await;
    assert!(none.is_empty());

    // event(id) for every recorded event.
    for event in &day.events {
        let data = graphql(
            addr,
            "query($id: ID!) { event(id: $id) { id position type hash stream version } }",
            json!({ "id": event["id"] }),
            None,
        )
        .await;
        assert_eq!(&data["event"], event);
    }
    let data = graphql(
        addr,
        "query($id: ID!) { event(id: $id) { id } }",
        json!({ "id": entity_id(999) }),
        None,
    )
    .await;
    assert!(data["event"].is_null());

    // stream: person A's stream, versions gap-free from 1, same events as the trail.
    let stream = format!("person-{}", day.person_a);
    let data = graphql(
        addr,
        "query($id: String!) { stream(id: $id) { id position version stream type hash } }",
        json!({ "id": stream }),
        None,
    )
    .await;
    let in_stream = data["stream"].as_array().unwrap();
    assert!(in_stream.len() >= 2, "{in_stream:?}");
    for (event, version) in in_stream.iter().zip(1_u64..) {
        assert_eq!(event["version"], version);
        assert_eq!(event["stream"], stream.as_str());
        let original = day.events.iter().find(|e| e["id"] == event["id"]).unwrap();
        assert_eq!(event["hash"], original["hash"]);
    }
    let expected_in_stream = day
        .events
        .iter()
        .filter(|e| e["stream"] == stream.as_str())
        .count();
    assert_eq!(in_stream.len(), expected_in_stream);

    // The read models answer right after the mutations (read-your-writes).
    let models = read_models(addr, day).await;
    assert_eq!(
        models["case"]["personId"],
        day.person_b.as_str(),
        "{models:#}"
    );
    assert_eq!(models["case"]["status"], "OPEN", "{models:#}");
    assert_eq!(models["case"]["partnerServiceIds"], json!([day.service]));
    assert_eq!(
        models["referral"]["serviceId"],
        day.service.as_str(),
        "{models:#}"
    );
    assert_eq!(
        models["referral"]["outcomes"],
        json!([{ "outcome": "APPOINTMENT_SET" }]),
        "{models:#}"
    );
    let entries = models["logbook"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{models:#}");
    assert_eq!(entries[0]["mediator"], "o.kovalenko");
    assert_eq!(entries[0]["contacts"], 4);
    assert_eq!(models["mediations"]["sessionMinutes"], 50, "{models:#}");

    // chain: the head is the last event, and the chain verifies.
    let chain = chain(addr).await;
    let last = day.events.last().unwrap();
    assert_eq!(chain["head"]["position"], last["position"]);
    assert_eq!(chain["head"]["hash"], last["hash"]);
    assert_eq!(chain["verify"]["intact"], true, "{chain}");
    assert_eq!(chain["verify"]["checked"], last["position"]);
    assert_eq!(chain["verify"]["head"], chain["head"]);
    assert!(chain["verify"]["problem"].is_null());
}

// ---------------------------------------------------------------------------------------------
// The subscription

type Socket = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn ws_connect(addr: SocketAddr) -> Socket {
    let stream = tokio::time::timeout(IO_DEADLINE, TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap();
    let mut request = format!("ws://{addr}/graphql")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, response) = tokio::time::timeout(
        IO_DEADLINE,
        tokio_tungstenite::client_async(request, stream),
    )
    .await
    .expect("the WebSocket handshake did not finish in time")
    .unwrap();
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some("graphql-transport-ws")
    );
    // A browser cannot set headers on a WebSocket: the token goes in the connection payload.
    let bearer = format!("Bearer {}", token_of(None));
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "Authorization": bearer } }),
    )
    .await;
    let ack = receive(&mut socket, IO_DEADLINE)
        .await
        .expect("no connection_ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    tokio::time::timeout(IO_DEADLINE, socket.send(Message::text(message.to_string())))
        .await
        .expect("sending did not finish in time")
        .unwrap();
}

/// The next protocol message (answering pings), or None if nothing came within `wait`.
async fn receive(socket: &mut Socket, wait: Duration) -> Option<Value> {
    let until = tokio::time::Instant::now() + wait;
    loop {
        let message = match tokio::time::timeout_at(until, socket.next()).await {
            Err(_) => return None,
            Ok(None) => panic!("the server closed the WebSocket"),
            Ok(Some(message)) => message.unwrap(),
        };
        match message {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(text.as_str()).unwrap();
                if value["type"] == "ping" {
                    send(socket, json!({ "type": "pong" })).await;
                    continue;
                }
                return Some(value);
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected WebSocket message {other:?}"),
        }
    }
}

/// The next subscribed event: (position, type, hash).
async fn next_event(socket: &mut Socket) -> (u64, String, String) {
    let message = receive(socket, IO_DEADLINE)
        .await
        .expect("no event within the deadline");
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(message["id"], "events", "{message}");
    assert!(message["payload"].get("errors").is_none(), "{message}");
    let event = &message["payload"]["data"]["events"];
    (
        event["position"].as_u64().unwrap(),
        event["type"].as_str().unwrap().to_owned(),
        event["hash"].as_str().unwrap().to_owned(),
    )
}

/// Subscribes from position 1 while a command is recorded concurrently, takes the catch-up,
/// then records two more: every position arrives once, in order, with the hash the audit trail
/// shows.
async fn follow_live(addr: SocketAddr, day: &Day) {
    let head = u64::try_from(day.events.len()).unwrap();
    let mut socket = ws_connect(addr).await;
    send(
        &mut socket,
        json!({
            "id": "events",
            "type": "subscribe",
            "payload": { "query": "subscription { events(fromPosition: 1) { position type hash } }" }
        }),
    )
    .await;
    // One command races the catch-up; two more come once the catch-up is through.
    let racing = tokio::spawn(async move {
        record(addr, MEDIATOR, &event_id(101), distribution(entity_id(101))).await
    });
    let mut received = Vec::new();
    for _ in 0..head {
        received.push(next_event(&mut socket).await);
    }
    racing.await.unwrap();
    for n in [102, 103] {
        record(addr, MEDIATOR, &event_id(n), distribution(entity_id(n))).await;
    }
    for _ in 0..3 {
        received.push(next_event(&mut socket).await);
    }
    // Nothing more: no duplicate after the live events.
    let extra = receive(&mut socket, Duration::from_millis(500)).await;
    assert!(
        extra.is_none(),
        "an event arrived twice or out of nowhere: {extra:?}"
    );

    let positions: Vec<u64> = received.iter().map(|(p, _, _)| *p).collect();
    assert_eq!(
        positions,
        (1..=head + 3).collect::<Vec<_>>(),
        "a gap or a duplicate"
    );
    let trail = audit_trail(addr, json!({}), 100).await;
    assert_eq!(trail.len(), received.len());
    for ((position, _, hash), (_, trail_position, trail_hash)) in received.iter().zip(&trail) {
        assert_eq!((position, hash), (trail_position, trail_hash));
    }
    assert!(received[usize::try_from(head).unwrap()..]
        .iter()
        .all(|(_, event_type, _)| event_type == "InformationMaterialDistributed"));

    send(&mut socket, json!({ "id": "events", "type": "complete" })).await;
    let _ = tokio::time::timeout(IO_DEADLINE, socket.close(None)).await;
}

fn distribution(distribution_id: String) -> (&'static str, Value) {
    (
        "distributeInformationMaterial",
        json!({
            "distributionId": distribution_id, "siteId": SITE,
            "occurredAt": "2024-06-03T16:10:00+02:00",
            "item": "Guida all'iscrizione anagrafica", "language": "uk", "quantity": 10,
            "channel": "DESK"
        }),
    )
}

/// Evaluators see pseudonyms, never names; a supervisor's read of a person is in the read audit;
/// a revoked token stops working at once.
async fn evaluators_and_revocation(addr: SocketAddr, data: &Path, day: &Day) {
    let seen = graphql(
        addr,
        "{ pseudonymisedPersons { heldBack edges { node { pseudonym ageBand sex } } }
           monitoring(period: \"2024-05\") { from } }",
        json!({}),
        Some(EVALUATOR),
    )
    .await;
    let text = seen.to_string();
    // Shown, or held back (k-anonymity: two persons never make a combination of five).
    assert_eq!(
        seen["pseudonymisedPersons"]["edges"]
            .as_array()
            .unwrap()
            .len() as u64
            + seen["pseudonymisedPersons"]["heldBack"].as_u64().unwrap(),
        2,
        "{text}"
    );
    assert!(
        !text.contains(&day.person_a) && !text.contains(&day.person_b),
        "{text}"
    );
    for secret in ["Zorbeta", "Quillfeather", "Quorin", "Valdemast"] {
        assert!(!text.contains(secret), "an evaluator saw {secret}: {text}");
    }
    let body = json!({ "query": "{ auditTrail { edges { node { payload } } } }" }).to_string();
    let bearer = format!("Bearer {}", token_of(Some(EVALUATOR)));
    let refused = http(
        addr,
        "POST",
        "/graphql",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &bearer),
        ],
        &body,
    )
    .await;
    assert!(refused.body.contains("FORBIDDEN"), "{}", refused.body);

    // A supervisor reads person A's data: the read audit has it.
    let person = graphql(
        addr,
        "query($p: ID!) { person(id: $p) { personal { fullName } } }",
        json!({ "p": day.person_a }),
        None,
    )
    .await;
    assert!(
        person["person"]["personal"]["fullName"].is_string(),
        "{person}"
    );
    let reads = graphql(
        addr,
        "query($p: ID!) { readsOfPerson(personId: $p) { actorId actorRole fields channel } }",
        json!({ "p": day.person_a }),
        None,
    )
    .await;
    let reads = reads["readsOfPerson"].as_array().unwrap();
    assert!(!reads.is_empty(), "no read of person A recorded");
    assert!(reads
        .iter()
        .all(|r| r["actorId"] == "s.bianchi" && r["channel"] == "query"));

    let spare = issue_token(data, ("r.neri", "supervisor"), None);
    let bearer = format!("Bearer {spare}");
    let headers = [
        ("Content-Type", "application/json"),
        ("Authorization", bearer.as_str()),
    ];
    let body = json!({ "query": "{ projection { position } }" }).to_string();
    assert_eq!(
        http(addr, "POST", "/graphql", &headers, &body).await.status,
        200
    );
    let (status, out, err) = impact(&[
        os("token"),
        os("revoke"),
        os("--data"),
        data.as_os_str(),
        os("--token"),
        os(&spare),
    ]);
    assert_eq!(status.code(), Some(0), "revoke: {out}{err}");
    let reply = http(addr, "POST", "/graphql", &headers, &body).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
}

// ---------------------------------------------------------------------------------------------
// The tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_of_work_survives_a_restart() {
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("data");

    let server = Server::start(&data, scratch.path().join("first.log"));
    let addr = server.addr;
    let health = http(addr, "GET", "/healthz", &[], "").await;
    assert_eq!(health.status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&health.body).unwrap()["head"],
        0
    );
    // Nothing else is served without a token; tokens issued while the server runs work at once.
    let body = json!({ "query": "{ chain { head { position } } }" }).to_string();
    let json = [("Content-Type", "application/json")];
    let refused = http(addr, "POST", "/graphql", &json, &body).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(http(addr, "GET", "/metrics", &[], "").await.status, 401);
    issue_tokens(&data);

    let day = record_a_day(addr).await;
    read_it_back(addr, &day).await;
    follow_live(addr, &day).await;

    evaluators_and_revocation(addr, &data, &day).await;

    let bearer = format!("Bearer {}", token_of(None));
    let metrics = http(addr, "GET", "/metrics", &[("Authorization", &bearer)], "").await;
    assert_eq!(metrics.status, 200);
    let head_line = format!("impact_journal_head_position {}", day.events.len() + 3);
    assert!(
        metrics.body.lines().any(|l| l == head_line),
        "{}",
        metrics.body
    );

    // A subscriber still connected must not keep the server from stopping.
    let mut lingering = ws_connect(addr).await;
    send(
        &mut lingering,
        json!({ "id": "events", "type": "subscribe",
                "payload": { "query": "subscription { events { position } }" } }),
    )
    .await;
    let before = snapshot(addr).await;
    let models_before = read_models(addr, &day).await;
    let log_path = server.log.clone();
    let status = server.terminate();
    assert_eq!(status.code(), Some(0), "not a graceful stop: {status:?}");
    drop(lingering);
    // The server logged its work (info level) and none of the personal data it recorded.
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("command recorded"),
        "no log of the work:\n{log}"
    );
    for personal in ["Zorbeta", "Quillfeather", "Quorin", "Valdemast"] {
        assert!(!log.contains(personal), "personal data in the log:\n{log}");
    }

    let server = Server::start(&data, scratch.path().join("second.log"));
    let after = snapshot(server.addr).await;
    assert_eq!(after.0, before.0, "the head moved across the restart");
    assert_eq!(
        after.1, before.1,
        "the audit trail changed across the restart"
    );
    // The read models, rebuilt from the journal, answer as before.
    assert_eq!(read_models(server.addr, &day).await, models_before);
    let chain = chain(server.addr).await;
    assert_eq!(chain["verify"]["intact"], true, "{chain}");
    // Read models are rebuilt: the projection is caught up with the journal.
    let data_now = graphql(
        server.addr,
        "{ projection { position lag } }",
        json!({}),
        None,
    )
    .await;
    assert_eq!(data_now["projection"]["position"], before.0["position"]);
    assert_eq!(data_now["projection"]["lag"], 0);
    // A retry of a command recorded before the restart records nothing twice.
    let (name, input) = distribution(entity_id(103));
    let retry = mutate(
        server.addr,
        MEDIATOR,
        name,
        input,
        json!({ "eventId": event_id(103) }),
    )
    .await;
    assert_eq!(retry["alreadyRecorded"], true, "{retry}");
    assert_eq!(retry["events"][0]["position"], before.0["position"]);
    let status = server.terminate();
    assert_eq!(status.code(), Some(0), "not a graceful stop: {status:?}");

    let (status, out, err) = impact(&[os("verify"), os("--data"), data.as_os_str()]);
    assert_eq!(status.code(), Some(0), "verify: {out}{err}");
    let (status, out, err) = impact(&[os("head"), os("--data"), data.as_os_str()]);
    assert_eq!(status.code(), Some(0), "head: {err}");
    assert_eq!(
        out.trim(),
        format!(
            "{} {}",
            before.0["position"],
            before.0["hash"].as_str().unwrap()
        )
    );
}

fn head_of(data: &Path) -> String {
    let (status, out, err) = impact(&[os("head"), os("--data"), data.as_os_str()]);
    assert_eq!(status.code(), Some(0), "head: {err}");
    out.trim().to_owned()
}

fn import(data: &Path, file: &Path) -> (ExitStatus, String, String) {
    impact(&[
        os("import"),
        os("--data"),
        data.as_os_str(),
        file.as_os_str(),
    ])
}

#[test]
fn an_import_stops_at_a_bad_line_and_resumes_without_duplicates() {
    let scratch = tempfile::tempdir().unwrap();
    let fixture = std::fs::read_to_string(fixture_path()).unwrap();
    let lines: Vec<&str> = fixture.lines().collect();
    let commands = lines.iter().filter(|l| !l.trim().is_empty()).count();

    // The whole fixture into a fresh directory.
    let whole = scratch.path().join("whole");
    let (status, out, err) = import(&whole, &fixture_path());
    assert_eq!(status.code(), Some(0), "{out}{err}");
    assert!(out.contains(&format!("{commands} recorded")), "{out}");
    let whole_head = head_of(&whole);
    let whole_position: u64 = whole_head.split(' ').next().unwrap().parse().unwrap();
    assert!(whole_position >= u64::try_from(commands).unwrap());

    // Broken copies: one with a line that is not JSON, one with a command the rules refuse.
    let broken_at = 40;
    let unknown_referral = lines
        .iter()
        .position(|l| l.contains("\"RecordReferralOutcome\""))
        .unwrap();
    let cases = [
        (
            broken_at,
            lines[broken_at - 1][..lines[broken_at - 1].len() / 2].to_owned(),
            "not a command",
        ),
        (
            unknown_referral + 1,
            {
                let line: Value = serde_json::from_str(lines[unknown_referral]).unwrap();
                let mut line = line;
                line["command"]["referralId"] = json!(entity_id(424242));
                line.to_string()
            },
            "referralId",
        ),
    ];
    for (number, replacement, reason) in cases {
        let data = scratch.path().join(format!("broken-at-{number}"));
        let file = scratch.path().join(format!("broken-at-{number}.jsonl"));
        let mut broken: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        broken[number - 1] = replacement;
        std::fs::write(&file, broken.join("\n") + "\n").unwrap();

        let (status, out, err) = import(&data, &file);
        assert!(!status.success(), "a broken file was imported: {out}");
        let location = format!("{}:{number}:", file.display());
        assert!(err.contains(&location), "no {location} in: {err}");
        assert!(err.contains(reason), "no {reason:?} in: {err}");
        let (partial_position, _) = head_of(&data)
            .split_once(' ')
            .map(|(p, h)| (p.parse::<u64>().unwrap(), h.to_owned()))
            .unwrap();
        assert!(partial_position < whole_position);
        assert!(
            partial_position > 0,
            "the lines before the bad one were not kept"
        );

        // Importing the broken file again changes nothing and stops at the same line.
        let head_before = head_of(&data);
        let (status, _, err) = import(&data, &file);
        assert!(!status.success());
        assert!(err.contains(&location), "{err}");
        assert_eq!(head_of(&data), head_before);

        // Mended: the rest is recorded, nothing twice.
        std::fs::write(&file, &fixture).unwrap();
        let (status, out, err) = import(&data, &file);
        assert_eq!(status.code(), Some(0), "{out}{err}");
        let mended_head = head_of(&data);
        assert_eq!(
            mended_head.split(' ').next().unwrap(),
            whole_position.to_string(),
            "the mended import recorded a different number of events"
        );
        // And once more: nothing at all is recorded.
        let (status, out, err) = import(&data, &file);
        assert_eq!(status.code(), Some(0), "{out}{err}");
        assert!(
            out.contains(&format!("0 recorded, {commands} already recorded")),
            "{out}"
        );
        assert_eq!(head_of(&data), mended_head);

        let (status, out, err) = impact(&[os("verify"), os("--data"), data.as_os_str()]);
        assert_eq!(status.code(), Some(0), "verify: {out}{err}");
    }

    // The whole-fixture directory, imported again: head unchanged.
    let (status, out, err) = import(&whole, &fixture_path());
    assert_eq!(status.code(), Some(0), "{out}{err}");
    assert_eq!(head_of(&whole), whole_head);
}
