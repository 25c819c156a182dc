//! Who may see and do what, over HTTP with real bearer tokens, on a desk that imported the real
//! fixture: the role × operation matrix (every root field of the schema, every command), the read
//! audit counting exactly the reads made, the canary that evaluators never see, and each
//! denial-of-service limit just over its bound.

use std::collections::BTreeSet;
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
/// The canary: the person whose name must never reach an evaluator.
const CANARY_ID: &str = "01HWW2G3903GE5WBXZ6BWN1ZZR";
const CANARY_NAME: &str = "Zorbeta Quillfeather";
const CASE_ID: &str = "01HX90FS20CBN90BACRDM3N2QV";
const OLENA_ID: &str = "01HX8YRV80B3SXYDR3FYBNC7DY";
const ASL_ID: &str = "01HWVYS2P08YEB52DDD3BHMNM3";
const REFERRAL_ID: &str = "01HWW4G620GH956H9GW16YB51W";
/// The first logbook entry of the fixture (o.kovalenko, 2 May), commented by a supervisor.
const FIRST_ENTRY: &str = "01HWWXNVA0GBRJ37S3HK4S3KA2";
/// The event that registered the canary.
const CANARY_REGISTERED: &str = "01HWW2G390JEGFYW3G1TK48FMW";

/// The principals of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Mediator,
    /// A mediator of another site.
    OtherMediator,
    Supervisor,
    Evaluator,
    Admin,
}

const EVERYONE: &[Who] = &[
    Who::Mediator,
    Who::OtherMediator,
    Who::Supervisor,
    Who::Evaluator,
    Who::Admin,
];

struct Fixture {
    app: Router,
    state: AppState,
    tokens: Vec<(Who, String)>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn open(config: ApiConfig) -> Fixture {
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
        let tokens = vec![
            (Who::Mediator, issue("m.rossi", Role::Mediator, Some(SITE))),
            (
                Who::OtherMediator,
                issue("l.ferri", Role::Mediator, Some("quarticciolo")),
            ),
            (Who::Supervisor, issue("s.bianchi", Role::Supervisor, None)),
            (Who::Evaluator, issue("e.verdi", Role::Evaluator, None)),
            (Who::Admin, issue("a.conti", Role::Admin, None)),
        ];
        let state = AppState::new(desk, config, security);
        Fixture {
            app: api::app(state.clone()),
            state,
            tokens,
            _dir: dir,
        }
    }

    fn token(&self, who: Who) -> &str {
        &self.tokens.iter().find(|(w, _)| *w == who).unwrap().1
    }

    async fn post(&self, who: Who, body: String) -> (StatusCode, String) {
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token(who)))
            .body(Body::from(body))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn query(&self, who: Who, query: &str, variables: Value) -> Value {
        let (status, text) = self
            .post(
                who,
                json!({ "query": query, "variables": variables }).to_string(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{text}");
        serde_json::from_str(&text).unwrap()
    }
}

fn codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The root fields of one type of `schema.graphql`, as the code builds it.
fn root_fields(type_name: &str) -> BTreeSet<String> {
    let sdl = api::sdl();
    let start = sdl.find(&format!("type {type_name} {{")).unwrap();
    let body = &sdl[start..];
    let body = &body[..body.find("\n}").unwrap()];
    body.lines()
        .filter_map(|line| {
            let line = line.strip_prefix('\t')?;
            let end = line.find(['(', ':'])?;
            let name = &line[..end];
            (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()))
                .then(|| name.to_string())
        })
        .collect()
}

/// Fields where a row of another site answers a mediator as an unknown id would (`null`), rather
/// than `FORBIDDEN`.
const ANSWERS_AS_UNKNOWN: &[&str] = &["person", "personHistory", "case", "referral"];

/// Every query root field, a query that uses it, and who may run it.
fn query_cells() -> Vec<(&'static str, String, &'static [Who])> {
    use Who::*;
    let case_readers: &[Who] = &[Mediator, OtherMediator, Supervisor];
    let own_site: &[Who] = &[Mediator, Supervisor];
    let evaluation: &[Who] = &[Supervisor, Evaluator];
    let supervisors: &[Who] = &[Supervisor];
    vec![
        ("auditTrail", "{ auditTrail(first: 2) { edges { node { id } } } }".into(), supervisors),
        ("event", format!("{{ event(id: \"{CANARY_REGISTERED}\") {{ id }} }}"), supervisors),
        ("stream", format!("{{ stream(id: \"person-{OLENA_ID}\") {{ id }} }}"), supervisors),
        ("chain", "{ chain { head { position } } }".into(), EVERYONE),
        ("projection", "{ projection { position lag } }".into(), EVERYONE),
        ("viewer", "{ viewer { actorId role } }".into(), EVERYONE),
        // Own site; another site's person answers `null`, as an unknown id (ANSWERS_AS_UNKNOWN).
        ("person", format!("{{ person(id: \"{OLENA_ID}\") {{ id }} }}"), own_site),
        // Own site; another site's case answers `null`, as an unknown id (ANSWERS_AS_UNKNOWN).
        ("case", format!("{{ case(id: \"{CASE_ID}\") {{ id }} }}"), own_site),
        // A mediator of another site finds none of this site's persons by a partial search.
        (
            "searchPersons",
            "{ searchPersons(search: { birthYear: 1979 }) { truncated persons { id } } }".into(),
            case_readers,
        ),
        // Own site; another site's person answers `null`, as an unknown id (ANSWERS_AS_UNKNOWN).
        ("personHistory", format!("{{ personHistory(id: \"{OLENA_ID}\") {{ type }} }}"), own_site),
        // Registrations of any site with the same name and birth year (none here).
        (
            "possibleDuplicates",
            "{ possibleDuplicates(fullName: \"Nobody Known\", birthYear: 1990) { id } }".into(),
            case_readers,
        ),
        // Lists: a mediator of another site gets their own site's rows (none here).
        ("cases", "{ cases { totalCount } }".into(), case_readers),
        // Own site; another site's referral answers `null`, as an unknown id.
        ("referral", format!("{{ referral(id: \"{REFERRAL_ID}\") {{ id }} }}"), own_site),
        ("referrals", "{ referrals { totalCount } }".into(), case_readers),
        ("mediations", "{ mediations { requests { totalCount } } }".into(), case_readers),
        (
            "logbook",
            "{ logbook(from: \"2024-05-01\", to: \"2024-05-31\") { entries { date } } }".into(),
            case_readers,
        ),
        // The agenda and the due list: a mediator's own site (another site's mediator gets theirs).
        ("agenda", "{ agenda(date: \"2024-05-16\") { id } }".into(), case_readers),
        ("myAgenda", "{ myAgenda(date: \"2024-05-16\") { id } }".into(), case_readers),
        ("due", "{ due(on: \"2024-05-16\") { kind } }".into(), case_readers),
        ("myDue", "{ myDue(on: \"2024-05-16\") { kind } }".into(), case_readers),
        (
            "diaries",
            "{ diaries(from: \"2024-05-01\", to: \"2024-05-31\") { id comments { comment } } }"
                .into(),
            case_readers,
        ),
        (
            "professionalGrowth",
            "{ professionalGrowth(from: \"2024-05-01\", to: \"2024-05-31\") { mediator } }".into(),
            supervisors,
        ),
        ("service", format!("{{ service(id: \"{ASL_ID}\") {{ id }} }}"), EVERYONE),
        ("services", "{ services { id } }".into(), EVERYONE),
        ("sites", "{ sites { siteId openingDays } }".into(), EVERYONE),
        (
            "surveyDefinitions",
            "{ surveyDefinitions { definition version items { code } } }".into(),
            EVERYONE,
        ),
        (
            "surveyInForce",
            "{ surveyInForce(day: \"2024-05-31\") { definition version } }".into(),
            EVERYONE,
        ),
        (
            "supervisionMeetings",
            "{ supervisionMeetings(from: \"2024-05-01\", to: \"2024-05-31\") { everyMonthHasMeeting } }"
                .into(),
            supervisors,
        ),
        ("monitoring", "{ monitoring(period: \"2024-05\") { from to } }".into(), evaluation),
        (
            "regionReport",
            "{ regionReport(template: \"monitoraggio-mensile\", period: \"2024-05\") { minCell } }"
                .into(),
            evaluation,
        ),
        (
            "pseudonymisedPersons",
            "{ pseudonymisedPersons { edges { node { pseudonym ageBand } } } }".into(),
            evaluation,
        ),
        // A bundle of every day the journal can have recorded on: hashes and pseudonyms only.
        (
            "evaluatorBundle",
            "{ evaluatorBundle(from: \"2000-01-01\", to: \"2099-12-31\") }".into(),
            evaluation,
        ),
        (
            "readsOfPerson",
            format!("{{ readsOfPerson(personId: \"{OLENA_ID}\") {{ position }} }}"),
            supervisors,
        ),
        ("readsByActor", "{ readsByActor(actorId: \"m.rossi\") { position } }".into(), supervisors),
        // The Merkle tree and its proofs carry hashes only.
        ("publicKey", "{ publicKey { hex fingerprint } }".into(), EVERYONE),
        ("tree", "{ tree { size root } }".into(), EVERYONE),
        ("checkpoints", "{ checkpoints { treeSize } }".into(), EVERYONE),
        (
            "inclusionProof",
            format!("{{ inclusionProof(eventId: \"{CANARY_REGISTERED}\") {{ path }} }}"),
            EVERYONE,
        ),
        ("consistencyProof", "{ consistencyProof(fromSize: 1) { path } }".into(), EVERYONE),
    ]
}

#[tokio::test]
async fn every_query_field_for_every_role() {
    let f = Fixture::open(ApiConfig::default()).await;
    let cells = query_cells();
    let covered: BTreeSet<String> = cells.iter().map(|(name, ..)| name.to_string()).collect();
    assert_eq!(
        covered,
        root_fields("QueryRoot"),
        "every query field needs a row in the matrix"
    );
    for (field, query, allowed) in &cells {
        for &who in EVERYONE {
            let response = f.query(who, query, json!({})).await;
            if who == Who::OtherMediator && ANSWERS_AS_UNKNOWN.contains(field) {
                // Another site's person answers exactly like an unknown id: no existence oracle.
                assert_eq!(
                    response,
                    json!({ "data": { *field: null } }),
                    "{who:?} {field}"
                );
            } else if allowed.contains(&who) {
                assert!(
                    response.get("errors").is_none(),
                    "{who:?} may run {field}: {response}"
                );
                assert!(
                    !response["data"][field].is_null(),
                    "{who:?} {field}: {response}"
                );
            } else {
                assert_eq!(
                    codes(&response),
                    ["FORBIDDEN"],
                    "{who:?} runs {field}: {response}"
                );
                assert!(response["data"].is_null(), "{who:?} {field}: {response}");
            }
        }
    }
    // Lists are scoped to a mediator's own site, and asking for another site is refused.
    let own = f
        .query(Who::Mediator, "{ cases { totalCount } }", json!({}))
        .await;
    assert_eq!(own["data"]["cases"]["totalCount"], 1);
    let other = f
        .query(Who::OtherMediator, "{ cases { totalCount } }", json!({}))
        .await;
    assert_eq!(other["data"]["cases"]["totalCount"], 0);
    let asked = f
        .query(
            Who::OtherMediator,
            &format!("{{ referrals(filter: {{ site: \"{SITE}\" }}) {{ totalCount }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(codes(&asked), ["FORBIDDEN"], "{asked}");
    // A mistyped site is not another site: a read says it is not a site's name...
    let mistyped = SITE.to_uppercase();
    let asked = f
        .query(
            Who::Mediator,
            &format!("{{ referrals(filter: {{ site: \"{mistyped}\" }}) {{ totalCount }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(codes(&asked), ["BAD_INPUT"], "{asked}");
    assert!(!asked.to_string().contains("another site"), "{asked}");
    // ... and so does a record: the site is unknown.
    let recorded = f
        .query(
            Who::Mediator,
            "mutation($site: ID!) { writeLogbookEntry(input: { siteId: $site, date: \"2024-05-10\", \
             occurredAt: \"2024-05-10T12:00:00Z\", slot: MORNING, contacts: 1, \
             languages: [\"it\"] }) { alreadyRecorded } }",
            json!({ "site": mistyped }),
        )
        .await;
    assert_eq!(codes(&recorded), ["BAD_INPUT"], "{recorded}");
    let message = recorded["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("is unknown"), "{recorded}");
    assert!(!message.contains("another site"), "{recorded}");
    assert_eq!(recorded["errors"][0]["extensions"]["field"], "siteId");
    // A well-formed name no record names is unknown too; a real other site stays forbidden.
    let asked = f
        .query(
            Who::Mediator,
            "{ referrals(filter: { site: \"montelucci-5\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&asked), ["BAD_INPUT"], "{asked}");
    assert_eq!(
        asked["errors"][0]["message"],
        "the site montelucci-5 is unknown: no site of that name has any record; check the name \
         (your site is montelucci-4)"
    );
}

/// Who may record each command: the roles its line in `commands!` names (`Command::roles`,
/// listed in `domain::COMMAND_ROLES`), a mediator for their own site only. `docs/ACCESS.md`
/// shows the same list (`access_md_lists_every_command_as_the_code_declares`).
fn allowed_to_record(command: &str) -> Vec<Who> {
    let (_, roles) = domain::COMMAND_ROLES
        .iter()
        .find(|(name, _)| *name == command)
        .unwrap_or_else(|| panic!("{command} is no command"));
    EVERYONE
        .iter()
        .copied()
        .filter(|who| match who {
            Who::Mediator => roles.contains(&Role::Mediator),
            // The fixture's facts are all of `SITE`: never the other mediator's.
            Who::OtherMediator => false,
            Who::Supervisor => roles.contains(&Role::Supervisor),
            Who::Evaluator => roles.contains(&Role::Evaluator),
            Who::Admin => roles.contains(&Role::Admin),
        })
        .collect()
}

/// The mutation of a command: `RegisterPerson` → `registerPerson`.
fn mutation_name(command: &str) -> String {
    let mut chars = command.chars();
    let first = chars.next().unwrap().to_ascii_lowercase();
    std::iter::once(first).chain(chars).collect()
}

/// The generated part of `docs/ACCESS.md`'s mutation table: one row per set of roles, from
/// `domain::COMMAND_ROLES`.
fn access_rows() -> String {
    let mark = |yes: bool| if yes { "✓" } else { "—" };
    let mut groups: Vec<(&[Role], Vec<String>)> = Vec::new();
    for (name, roles) in domain::COMMAND_ROLES {
        let shown = if roles.is_empty() {
            format!("`{name}` (the desk records it; through `recordCommand`)")
        } else {
            format!("`{}`", mutation_name(name))
        };
        match groups.iter_mut().find(|(r, _)| r == roles) {
            Some((_, names)) => names.push(shown),
            None => groups.push((roles, vec![shown])),
        }
    }
    let header =
        "| commands | mediator | supervisor | evaluator | admin |\n|---|---|---|---|---|\n";
    let sign =
        "| `signCheckpoint` (not a command: the desk signs with its own key) | — | ✓ | — | ✓ |\n";
    let rows: String = groups
        .iter()
        .map(|(roles, names)| {
            let mediator = if roles.contains(&Role::Mediator) {
                "own site"
            } else {
                "—"
            };
            format!(
                "| {} | {mediator} | {} | {} | {} |\n",
                names.join(", "),
                mark(roles.contains(&Role::Supervisor)),
                mark(roles.contains(&Role::Evaluator)),
                mark(roles.contains(&Role::Admin)),
            )
        })
        .collect();
    format!("{header}{rows}{sign}")
}

/// `docs/ACCESS.md` lists every command with the roles `commands!` gives it, between its two
/// markers; `UPDATE_ACCESS=1` rewrites that part.
#[test]
fn access_md_lists_every_command_as_the_code_declares() {
    const BEGIN: &str = "<!-- commands: generated from domain::COMMAND_ROLES -->\n";
    const END: &str = "<!-- end of commands -->\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ACCESS.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let start = doc.find(BEGIN).expect("ACCESS.md has the begin marker") + BEGIN.len();
    let end = doc.find(END).expect("ACCESS.md has the end marker");
    let rows = access_rows();
    if std::env::var_os("UPDATE_ACCESS").is_some() {
        std::fs::write(path, format!("{}{rows}{}", &doc[..start], &doc[end..])).unwrap();
        return;
    }
    assert_eq!(
        &doc[start..end],
        rows,
        "docs/ACCESS.md's commands are out of date; rerun with UPDATE_ACCESS=1"
    );
}

#[tokio::test]
async fn every_command_for_every_role() {
    let f = Fixture::open(ApiConfig::default()).await;
    // One command of each type from the fixture (they were recorded once already: a role that
    // may record them gets a recorded event or a refusal by the desk's rules, never FORBIDDEN).
    let mut samples: Vec<(String, Value)> = Vec::new();
    for line in std::fs::read_to_string(FIXTURE).unwrap().lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        let name = line["command"]["command"].as_str().unwrap().to_string();
        if !samples.iter().any(|(n, _)| *n == name) {
            samples.push((name, line["command"].clone()));
        }
    }
    // Then the shared sample of each command the fixture does not hold (`Command::samples`),
    // pointed at the fixture's site and records, so that the other site's mediator is refused.
    let records = [
        ("siteId", SITE),
        ("caseId", CASE_ID),
        ("personId", OLENA_ID),
        ("intoPersonId", CANARY_ID),
        ("eventId", FIRST_ENTRY),
        ("entryId", FIRST_ENTRY),
        ("referralId", REFERRAL_ID),
        ("serviceId", ASL_ID),
    ];
    for command in domain::Command::samples() {
        let name = command.name().to_string();
        if samples.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let mut command = serde_json::to_value(&command).unwrap();
        for (field, id) in records {
            if command.get(field).is_some() {
                command[field] = json!(id);
            }
        }
        samples.push((name, command));
    }
    // An erasure last, of the canary, so that the commands before it still find their persons.
    if let Some(at) = samples.iter().position(|(n, _)| n == "ErasePerson") {
        let (name, mut command) = samples.remove(at);
        command["personId"] = json!(CANARY_ID);
        samples.push((name, command));
    }
    let names: BTreeSet<&str> = samples.iter().map(|(n, _)| n.as_str()).collect();
    let all: BTreeSet<&str> = domain::COMMAND_NAMES.iter().copied().collect();
    assert_eq!(names, all, "every command needs a row in the matrix");
    // Every typed mutation is one of these commands (all but `RecordCheckpoint`), through the
    // same check (`run`); besides them, `recordCommand`, `signCheckpoint` and `subjectAccess`
    // (below).
    assert_eq!(root_fields("MutationRoot").len(), all.len() - 1 + 3);

    let mutation = "mutation($command: JSON!, $options: RecordOptions) {
        recordCommand(command: $command, options: $options) { events { position } }
    }";
    let head_before = f.state.desk.journal().head().position.0;
    let mut forbidden = 0;
    let mut allowed = 0;
    for (name, command) in &samples {
        for &who in EVERYONE {
            let options = json!({ "eventId": ulid::Ulid::new().to_string() });
            let head = f.state.desk.journal().head().position.0;
            // A mediator records in their own name (the domain's rule, checked after this
            // matrix): the fields that repeat the actor name the sender.
            let mut command = command.clone();
            let own = match who {
                Who::Mediator => Some("m.rossi"),
                Who::OtherMediator => Some("l.ferri"),
                Who::Supervisor | Who::Evaluator | Who::Admin => None,
            };
            for field in ["mediator", "caseWorker"] {
                if let (Some(own), Some(named)) = (own, command.get_mut(field)) {
                    *named = json!(own);
                }
            }
            let response = f
                .query(
                    who,
                    mutation,
                    json!({ "command": command, "options": options }),
                )
                .await;
            let got = codes(&response);
            if allowed_to_record(name).contains(&who) {
                allowed += 1;
                assert!(
                    !got.contains(&"FORBIDDEN".to_string())
                        && !got.contains(&"UNAUTHENTICATED".to_string()),
                    "{who:?} may record {name}: {response}"
                );
            } else {
                assert_eq!(got, ["FORBIDDEN"], "{who:?} records {name}: {response}");
                assert_eq!(
                    f.state.desk.journal().head().position.0,
                    head,
                    "{who:?} {name} recorded something"
                );
                forbidden += 1;
            }
        }
    }
    // Every cell was tried, each command by every role, and some were allowed.
    assert_eq!(forbidden + allowed, samples.len() * EVERYONE.len());
    assert!(allowed > 0 && forbidden > 0);
    assert!(f.state.desk.journal().head().position.0 > head_before);

    // The site an admin scheduled answers with its name, days, hours and phones.
    let sites = f
        .query(
            Who::Evaluator,
            "{ sites { siteId name openingDays hours { day opens closes } phones } }",
            json!({}),
        )
        .await;
    let hours = |day: &str| {
        [("09:00", "12:00"), ("15:00", "17:00")]
            .map(|(opens, closes)| json!({ "day": day, "opens": opens, "closes": closes }))
    };
    let mut all_hours = hours("TUESDAY").to_vec();
    all_hours.extend(hours("THURSDAY"));
    assert_eq!(
        sites["data"]["sites"],
        json!([{ "siteId": SITE, "name": "Segretariato Sociale - via Montelucci 4",
                 "openingDays": ["TUESDAY", "THURSDAY"], "hours": all_hours,
                 "phones": ["0774 301234", "0774 301235"] }])
    );

    // `subjectAccess`: supervisors only, and the access is itself a recorded read.
    let query = format!(
        "mutation {{ subjectAccess(personId: \"{OLENA_ID}\") {{ erased facts html json }} }}"
    );
    for &who in EVERYONE {
        let before = f
            .state
            .read_audit
            .of_person(domain::PersonId(OLENA_ID.parse().unwrap()));
        let response = f.query(who, &query, json!({})).await;
        let after = f
            .state
            .read_audit
            .of_person(domain::PersonId(OLENA_ID.parse().unwrap()));
        if who == Who::Supervisor {
            let access = &response["data"]["subjectAccess"];
            assert!(response.get("errors").is_none(), "{response}");
            assert!(access["facts"].as_u64().unwrap() >= 3, "{response}");
            assert!(access["html"]
                .as_str()
                .unwrap()
                .contains("I tuoi dati personali"));
            assert_eq!(access["json"]["person"], OLENA_ID);
            assert_eq!(after.len(), before.len() + 1, "the access is recorded");
            assert_eq!(
                after.last().unwrap().read.channel,
                desk::read_audit::ReadChannel::SubjectAccess
            );
        } else {
            assert_eq!(codes(&response), ["FORBIDDEN"], "{who:?}: {response}");
            assert_eq!(after.len(), before.len(), "{who:?}: nothing read");
        }
    }

    // `signCheckpoint`: supervisors and admins.
    for &who in EVERYONE {
        let head = f.state.desk.journal().head().position.0;
        let response = f
            .query(who, "mutation { signCheckpoint { treeSize } }", json!({}))
            .await;
        if matches!(who, Who::Supervisor | Who::Admin) {
            assert!(response.get("errors").is_none(), "{who:?}: {response}");
            assert_eq!(response["data"]["signCheckpoint"]["treeSize"], head);
        } else {
            assert_eq!(codes(&response), ["FORBIDDEN"], "{who:?}: {response}");
            assert_eq!(f.state.desk.journal().head().position.0, head);
        }
    }
}

#[tokio::test]
async fn only_supervisors_follow_the_event_subscription() {
    let f = Fixture::open(ApiConfig::default()).await;
    for &who in EVERYONE {
        let principal = f
            .state
            .tokens
            .authenticate(f.token(who), Utc::now())
            .unwrap();
        let request = async_graphql::Request::new(
            "subscription { events(fromPosition: 1) { position payload } }",
        )
        .data(principal);
        let mut stream = f.state.schema.execute_stream(request);
        let first = futures_util::StreamExt::next(&mut stream).await.unwrap();
        let first = serde_json::to_value(first).unwrap();
        if who == Who::Supervisor {
            assert!(first.get("errors").is_none(), "{first}");
            assert_eq!(first["data"]["events"]["position"], 1);
        } else {
            assert_eq!(codes(&first), ["FORBIDDEN"], "{who:?}: {first}");
        }
    }
}

#[tokio::test]
async fn a_subscription_from_past_the_head_is_refused_with_the_head() {
    let f = Fixture::open(ApiConfig::default()).await;
    let head = f.state.desk.journal().head().position.0;
    let principal = f
        .state
        .tokens
        .authenticate(f.token(Who::Supervisor), Utc::now())
        .unwrap();
    let query = format!(
        "subscription {{ events(fromPosition: {}) {{ position }} }}",
        head + 2
    );
    let request = async_graphql::Request::new(query).data(principal);
    let mut stream = f.state.schema.execute_stream(request);
    // Refused at once; a subscription that waits instead fails here rather than hanging.
    let first = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        futures_util::StreamExt::next(&mut stream),
    )
    .await
    .expect("no answer: the subscription waits for an event past the head")
    .unwrap();
    let first = serde_json::to_value(first).unwrap();
    assert_eq!(codes(&first), ["BAD_INPUT"], "{first}");
    let message = first["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains(&format!("(position {head})")), "{first}");
}

#[tokio::test]
async fn viewer_tells_each_role_who_it_is_and_what_it_may_do() {
    let f = Fixture::open(ApiConfig::default()).await;
    for &who in EVERYONE {
        let response = f
            .query(who, "{ viewer { actorId role site may } }", json!({}))
            .await;
        assert!(response.get("errors").is_none(), "{who:?}: {response}");
        let viewer = &response["data"]["viewer"];
        let principal = f
            .state
            .tokens
            .authenticate(f.token(who), Utc::now())
            .unwrap();
        assert_eq!(viewer["actorId"], principal.actor.id.as_str());
        assert_eq!(viewer["role"], principal.actor.role.as_str());
        assert_eq!(
            viewer["site"].as_str(),
            principal.sites.first().map(|s| s.0.as_str())
        );
        assert!(!viewer["may"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn every_read_of_personal_data_is_recorded_and_nothing_else_is() {
    let f = Fixture::open(ApiConfig::default()).await;
    let reads = || {
        f.state
            .read_audit
            .of_person(domain::PersonId(CANARY_ID.parse().unwrap()))
    };
    assert!(reads().is_empty());

    // Figures, lists and the directory show no personal data: no read is recorded.
    for (who, query) in [
        (
            Who::Supervisor,
            "{ monitoring(period: \"2024-05\") { from } cases { totalCount } }",
        ),
        (
            Who::Evaluator,
            "{ pseudonymisedPersons { edges { node { pseudonym } } } }",
        ),
        (
            Who::Mediator,
            "{ services { id } chain { head { position } } }",
        ),
    ] {
        let response = f.query(who, query, json!({})).await;
        assert!(response.get("errors").is_none(), "{response}");
    }
    assert_eq!(f.state.read_audit.len(), 0);

    // 1: the person, by a mediator of the site: the fields asked for.
    let person = format!(
        "{{ person(id: \"{CANARY_ID}\") {{ birthYear personal {{ fullName contacts {{ value }} }} }} }}"
    );
    let response = f.query(Who::Mediator, &person, json!({})).await;
    assert_eq!(
        response["data"]["person"]["personal"]["fullName"],
        CANARY_NAME
    );
    // 2: the registration event's payload, by a supervisor.
    let event = format!("{{ event(id: \"{CANARY_REGISTERED}\") {{ payload }} }}");
    let response = f.query(Who::Supervisor, &event, json!({})).await;
    assert!(response.to_string().contains(CANARY_NAME));
    // 3: the audit trail filtered on the person, with payloads: one read for the request.
    let trail = format!(
        "{{ auditTrail(filter: {{ person: \"{CANARY_ID}\" }}, first: 50) {{ edges {{ node {{ payload }} }} }} }}"
    );
    let response = f.query(Who::Supervisor, &trail, json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    // The same trail without payloads shows no personal data: no read.
    let envelope = format!(
        "{{ auditTrail(filter: {{ person: \"{CANARY_ID}\" }}) {{ edges {{ node {{ id type }} }} }} }}"
    );
    f.query(Who::Supervisor, &envelope, json!({})).await;
    // A mediator of another site reads nothing (answered as an unknown id), and nothing is
    // recorded.
    let refused = f.query(Who::OtherMediator, &person, json!({})).await;
    assert_eq!(refused, json!({ "data": { "person": null } }));

    let recorded = reads();
    assert_eq!(recorded.len(), 3, "{recorded:?}");
    assert_eq!(recorded[0].actor.id, "m.rossi");
    assert_eq!(recorded[0].actor.role, "mediator");
    assert_eq!(
        recorded[0].read.fields,
        ["birthYear", "personal.contacts.value", "personal.fullName"]
    );
    assert_eq!(recorded[1].actor.id, "s.bianchi");
    assert!(recorded[1]
        .read
        .fields
        .contains(&"payload.personal".to_string()));
    assert!(recorded.windows(2).all(|w| w[0].position < w[1].position));

    // Supervisors list them by person and by actor; the read audit's chain verifies.
    let listed = f
        .query(
            Who::Supervisor,
            &format!("{{ readsOfPerson(personId: \"{CANARY_ID}\") {{ actorId actorRole fields channel }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(listed["data"]["readsOfPerson"].as_array().unwrap().len(), 3);
    assert_eq!(listed["data"]["readsOfPerson"][0]["channel"], "query");
    let by_actor = f
        .query(
            Who::Supervisor,
            "{ readsByActor(actorId: \"m.rossi\") { personId } }",
            json!({}),
        )
        .await;
    assert_eq!(
        by_actor["data"]["readsByActor"],
        json!([{ "personId": CANARY_ID }])
    );
    let report = f
        .state
        .read_audit
        .journal()
        .verify(None, None, &mut |_| {})
        .unwrap();
    assert!(report.is_intact());
    // Listing the reads is not itself a read of personal data.
    assert_eq!(reads().len(), 3);
}

#[tokio::test]
async fn an_event_reads_the_same_through_the_one_pass_and_the_general_resolver() {
    let f = Fixture::open(ApiConfig::default()).await;
    let fields = "id position stream version type schemaVersion occurredAt recordedAt
        actor { id role __typename } payload prevHash hash __typename";
    // Plain fields take the one-pass path; aliases too; an inline fragment or a directive
    // sends the event through the `#[Object]`.
    let plain = format!("{{ auditTrail(first: 50) {{ edges {{ node {{ {fields} }} }} }} }}");
    let aliased = format!(
        "{{ auditTrail(first: 50) {{ edges {{ node {{ {fields} at: position who: actor {{ role }} }} }} }} }}"
    );
    let fragment = format!(
        "{{ auditTrail(first: 50) {{ edges {{ node {{ ... on Event {{ {fields} }} }} }} }} }}"
    );
    let directive = format!(
        "{{ auditTrail(first: 50) {{ edges {{ node {{ {fields} at: position @include(if: true) who: actor {{ role }} }} }} }} }}"
    );
    let plain = f.query(Who::Supervisor, &plain, json!({})).await;
    assert!(plain.get("errors").is_none(), "{plain}");
    assert!(plain.to_string().contains(CANARY_NAME));
    assert_eq!(plain, f.query(Who::Supervisor, &fragment, json!({})).await);
    let aliased = f.query(Who::Supervisor, &aliased, json!({})).await;
    assert!(aliased.get("errors").is_none(), "{aliased}");
    assert_eq!(
        aliased,
        f.query(Who::Supervisor, &directive, json!({})).await
    );
    let node = &aliased["data"]["auditTrail"]["edges"][0]["node"];
    assert_eq!(node["at"], node["position"]);
    assert_eq!(node["who"]["role"], node["actor"]["role"]);
    assert_eq!(node["actor"]["__typename"], "ActorNode");
    assert_eq!(node["__typename"], "Event");
    // Each of the four requests showed the canary's payload: four reads.
    let reads = f
        .state
        .read_audit
        .of_person(domain::PersonId(CANARY_ID.parse().unwrap()));
    assert_eq!(reads.len(), 4, "{reads:?}");
}

#[tokio::test]
async fn the_canary_never_reaches_an_evaluator() {
    let f = Fixture::open(ApiConfig::default()).await;
    let mut seen = String::new();
    for (_, query, _) in query_cells() {
        let response = f.query(Who::Evaluator, &query, json!({})).await;
        seen.push_str(&response.to_string());
    }
    let everything = "{ pseudonymisedPersons(first: 500) { heldBack edges { node {
        pseudonym site registeredMonth ageBand sex citizenship permitType minor
        unaccompaniedMinor householdSize vulnerabilities } } }
      monitoring(period: \"2024-05\") { from to }
      services(filter: { includeRetired: true }) { id name }
      chain { head { position hash } verify { intact } } }";
    let response = f.query(Who::Evaluator, everything, json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    let persons = response["data"]["pseudonymisedPersons"]["edges"]
        .as_array()
        .unwrap();
    // Every person of the month consents to `reporting`: each is a row, shown or, alone in
    // their combination, held back (k-anonymity).
    let held_back = response["data"]["pseudonymisedPersons"]["heldBack"]
        .as_u64()
        .unwrap();
    assert_eq!(persons.len() as u64 + held_back, 19);
    seen.push_str(&response.to_string());
    for secret in [CANARY_NAME, "Zorbeta", "Quillfeather", CANARY_ID, OLENA_ID] {
        assert!(!seen.contains(secret), "an evaluator saw {secret}");
    }
    // The canary is there, under the pseudonym the server's key gives (keyed blake3 of the
    // id, with a key derived from the master key), with an age band.
    // The supervisor's rows are exact: the canary is there, under the pseudonym the server's key
    // gives (keyed blake3 of the id, with a key derived from the master key), with an age band.
    let canary = f.state.desk.vault().pseudonym(CANARY_ID.parse().unwrap());
    let exact = f.query(Who::Supervisor, everything, json!({})).await;
    let row = exact["data"]["pseudonymisedPersons"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["node"]["pseudonym"] == canary.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("no row for the canary's pseudonym in {exact}"));
    assert!(row["node"]["ageBand"].is_string(), "{row}");
    assert!(row["node"].get("birthYear").is_none());
    // Evaluators recorded no read of personal data.
    assert_eq!(f.state.read_audit.len(), 0);
}

#[tokio::test]
async fn more_aliases_than_allowed_are_refused() {
    let f = Fixture::open(ApiConfig {
        max_aliases: 5,
        ..ApiConfig::default()
    })
    .await;
    let aliased = |n: usize| {
        let fields: Vec<String> = (0..n)
            .map(|i| format!("a{i}: projection {{ position }}"))
            .collect();
        format!("{{ {} }}", fields.join(" "))
    };
    let response = f.query(Who::Supervisor, &aliased(5), json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    let response = f.query(Who::Supervisor, &aliased(6), json!({})).await;
    assert_eq!(codes(&response), ["BAD_INPUT"], "{response}");
    assert!(response["data"].is_null(), "{response}");
    assert!(response.to_string().contains("at most 5"), "{response}");
}

#[tokio::test]
async fn a_batch_over_its_cap_is_refused_with_400() {
    let f = Fixture::open(ApiConfig {
        max_batch: 3,
        ..ApiConfig::default()
    })
    .await;
    let batch = |n: usize| {
        serde_json::to_string(&vec![json!({ "query": "{ projection { position } }" }); n]).unwrap()
    };
    let (status, text) = f.post(Who::Supervisor, batch(3)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let answers: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answers.as_array().unwrap().len(), 3, "{text}");
    let (status, text) = f.post(Who::Supervisor, batch(4)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("at most 3"), "{text}");
}

#[tokio::test]
async fn a_query_over_the_complexity_limit_is_refused() {
    let f = Fixture::open(ApiConfig {
        max_complexity: 10,
        ..ApiConfig::default()
    })
    .await;
    // 10 fields: served; 11: refused before anything runs.
    let ten = "{ services { id name kind address openingHours languages accessRules verifiedOn mappedAt } }";
    let response = f.query(Who::Supervisor, ten, json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    let eleven = "{ services { id name kind address openingHours languages accessRules verifiedOn mappedAt updatedAt } }";
    let response = f.query(Who::Supervisor, eleven, json!({})).await;
    assert_eq!(codes(&response), ["BAD_INPUT"], "{response}");
    assert!(response["data"].is_null(), "{response}");
}

#[tokio::test]
async fn a_query_nested_deeper_than_allowed_is_refused() {
    let f = Fixture::open(ApiConfig {
        max_depth: 6,
        ..ApiConfig::default()
    })
    .await;
    let six = "{ cases { edges { node { timeline { event { id } } } } } }";
    let response = f.query(Who::Supervisor, six, json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    let seven = "{ cases { edges { node { timeline { event { actor { id } } } } } } }";
    let response = f.query(Who::Supervisor, seven, json!({})).await;
    let message = response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("nested too deep"), "{response}");
    assert!(response["data"].is_null(), "{response}");
}

#[tokio::test]
async fn a_request_over_its_time_is_answered_408() {
    let f = Fixture::open(ApiConfig {
        request_timeout: std::time::Duration::from_millis(200),
        ..ApiConfig::default()
    })
    .await;
    // A client that sends its headers and never the body: the request cannot finish on its own,
    // so only the time limit ends it (whatever the machine's speed).
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", f.token(Who::Supervisor)),
        )
        .body(Body::from_stream(futures_util::stream::pending::<
            Result<axum::body::Bytes, std::io::Error>,
        >()))
        .unwrap();
    let response = f.app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{text}");
    assert!(
        !text.contains("panicked") && !text.contains(".rs:"),
        "{text}"
    );
}

/// A mediator in rotation: one token, several sites, and every site-scoped check takes the list.
#[tokio::test]
async fn a_mediator_of_two_sites_reads_and_records_at_both_and_at_no_third() {
    let f = Fixture::open(ApiConfig::default()).await;
    let issue = |sites: &[&str]| {
        f.state
            .tokens
            .issue_at_sites(
                "m.rota",
                Role::Mediator,
                sites.iter().map(|s| SiteId::new(*s)).collect(),
                Duration::hours(1),
                Utc::now(),
            )
            .unwrap()
            .token
    };
    let both = issue(&["quarticciolo", SITE]);
    let elsewhere = issue(&["quarticciolo", "tor-bella-monaca"]);
    let ask = |token: String, query: String| {
        let app = f.app.clone();
        async move {
            let request = Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(json!({ "query": query }).to_string()))
                .unwrap();
            let response = app.oneshot(request).await.unwrap();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            serde_json::from_slice::<Value>(&bytes).unwrap()
        }
    };
    // The viewer lists both sites.
    let viewer = ask(both.clone(), "{ viewer { sites } }".into()).await;
    assert_eq!(
        viewer["data"]["viewer"]["sites"],
        json!(["quarticciolo", SITE])
    );
    // Lists and rows of either site; none of a third.
    let cases = "{ cases { totalCount } }".to_string();
    assert_eq!(
        ask(both.clone(), cases.clone()).await["data"]["cases"]["totalCount"],
        1
    );
    assert_eq!(
        ask(elsewhere.clone(), cases).await["data"]["cases"]["totalCount"],
        0
    );
    let person = format!("{{ person(id: \"{OLENA_ID}\") {{ id }} }}");
    assert_eq!(
        ask(both.clone(), person.clone()).await["data"]["person"]["id"],
        OLENA_ID
    );
    assert_eq!(
        ask(elsewhere.clone(), person).await["data"]["person"],
        Value::Null
    );
    let diaries = format!(
        "{{ diaries(site: \"{SITE}\", from: \"2024-05-01\", to: \"2024-05-31\") {{ site }} }}"
    );
    let read = ask(both.clone(), diaries.clone()).await;
    assert!(
        read["data"]["diaries"].as_array().unwrap().len() >= 10,
        "{read}"
    );
    let refused = ask(elsewhere.clone(), diaries).await;
    assert_eq!(codes(&refused), ["FORBIDDEN"], "{refused}");
    let all = "{ diaries(from: \"2024-05-01\", to: \"2024-05-31\") { site } }".to_string();
    assert_eq!(
        ask(elsewhere.clone(), all).await["data"]["diaries"],
        json!([])
    );
    // Records at either of their sites, and at no third.
    let write = |site: &str| {
        format!(
            "mutation {{ writeLogbookEntry(input: {{ siteId: \"{site}\", date: \"2024-05-30\", \
             occurredAt: \"2024-05-30T16:00:00Z\", slot: AFTERNOON, contacts: 2, \
             languages: [\"it\"] }}) {{ alreadyRecorded }} }}"
        )
    };
    let written = ask(both.clone(), write(SITE)).await;
    assert!(written.get("errors").is_none(), "{written}");
    let refused = ask(elsewhere, write(SITE)).await;
    assert_eq!(codes(&refused), ["FORBIDDEN"], "{refused}");
}
