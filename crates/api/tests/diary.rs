//! Each mediator's diary over real HTTP (a server on 127.0.0.1, a desk that imported the demo
//! month in a temporary directory): a mediator writes their own entry of the day; a supervisor
//! reads the diaries, comments on an entry, follows the actions of the last supervision meeting
//! and reads what the entries say of the mediators' growth. What the issue asks as "done".

use std::fs::File;
use std::io::BufReader;
use std::net::SocketAddr;

use api::{ApiConfig, AppState};
use chrono::{Duration, Utc};
use domain::{Role, SiteId};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/montelucci-2024-05.jsonl"
);
const SITE: &str = "montelucci-4";

/// A server on a free port of 127.0.0.1 over a desk with the demo month, and its token store.
async fn serve() -> (SocketAddr, api::auth::Tokens, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let desk = desk::Desk::open(&data, desk::DeskOptions::default()).unwrap();
    desk.import(BufReader::new(File::open(FIXTURE).unwrap()))
        .await
        .unwrap();
    let security = api::Security::open(&data).unwrap();
    let tokens = security.tokens.clone();
    let app = api::app(AppState::new(desk, ApiConfig::default(), security));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, tokens, dir)
}

/// POSTs a GraphQL request over a plain HTTP/1.1 connection and reads the JSON answer.
async fn graphql(addr: SocketAddr, token: &str, query: &str, variables: Value) -> Value {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// The body of a chunked HTTP/1.1 answer.
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

fn ok(answer: &Value) -> &Value {
    assert!(answer.get("errors").is_none(), "{answer}");
    &answer["data"]
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test]
async fn a_mediator_writes_their_diary_and_a_supervisor_reads_comments_and_follows_up() {
    let (addr, tokens, _dir) = serve().await;
    let issue = |actor: &str, role: Role, site: Option<&str>| {
        tokens
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
    let mediator = issue("m.haddad", Role::Mediator, Some(SITE));
    let supervisor = issue("s.ferri", Role::Supervisor, None);

    // The mediator writes their own morning of 30 May, the day o.kovalenko also wrote.
    let written = graphql(
        addr,
        &mediator,
        "mutation($input: WriteLogbookEntryInput!) {
            writeLogbookEntry(input: $input) { events { id stream } }
        }",
        json!({ "input": {
            "siteId": SITE, "date": "2024-05-30", "occurredAt": "2024-05-30T12:30:00+02:00",
            "slot": "MORNING", "contacts": 4, "languages": ["ar", "it"],
            "observations": "Mattina con due famiglie siriane appena arrivate.",
            "difficulties": "Nessun posto al CPIA prima di settembre.",
            "strategies": "Lista d'attesa condivisa con l'associazione di quartiere.",
            "trainingNeeds": "Orientamento scolastico per adulti."
        }}),
    )
    .await;
    let event = &ok(&written)["writeLogbookEntry"]["events"][0];
    assert_eq!(event["stream"], "logbook-montelucci-4-2024-05-30");
    let entry = event["id"].as_str().unwrap().to_string();

    // The supervisor reads the day: both mediators' entries, each with its own text.
    let diaries = "query($day: NaiveDate!) {
        diaries(site: \"montelucci-4\", from: $day, to: $day) {
            id mediator slot observations difficulties onClosedDay comments { supervisor comment }
        }
    }";
    let day = json!({ "day": "2024-05-30" });
    let read = graphql(addr, &supervisor, diaries, day.clone()).await;
    let entries = ok(&read)["diaries"].as_array().unwrap().clone();
    let mediators: Vec<&str> = entries
        .iter()
        .map(|e| e["mediator"].as_str().unwrap())
        .collect();
    // By the time of writing: m.haddad wrote at noon, o.kovalenko at the end of the day.
    assert_eq!(mediators, ["m.haddad", "o.kovalenko"]);
    let mine = &entries[0];
    assert_eq!(mine["id"], entry.as_str());
    assert_eq!(
        mine["difficulties"],
        "Nessun posto al CPIA prima di settembre."
    );
    assert_eq!(mine["onClosedDay"], false, "30 May 2024 is a Thursday");
    assert_ne!(entries[1]["observations"], mine["observations"]);

    // The supervisor comments; the comment is shown under the entry. A mediator may not.
    let comment = "mutation($input: CommentLogbookEntryInput!) {
        commentLogbookEntry(input: $input) { events { stream } }
    }";
    let input = json!({ "input": {
        "entryId": entry, "occurredAt": "2024-05-31T09:00:00+02:00",
        "comment": "Portiamo la lista d'attesa al tavolo con il CPIA."
    }});
    let refused = graphql(addr, &mediator, comment, input.clone()).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    let commented = graphql(addr, &supervisor, comment, input).await;
    assert_eq!(
        ok(&commented)["commentLogbookEntry"]["events"][0]["stream"],
        "logbook-montelucci-4-2024-05-30"
    );
    let read = graphql(addr, &supervisor, diaries, day.clone()).await;
    assert_eq!(
        ok(&read)["diaries"][0]["comments"],
        json!([{ "supervisor": "s.ferri",
                 "comment": "Portiamo la lista d'attesa al tavolo con il CPIA." }])
    );
    // The mediator reads the comment under their entry too.
    let read = graphql(addr, &mediator, diaries, day).await;
    assert_eq!(
        ok(&read)["diaries"][0]["comments"][0]["supervisor"],
        "s.ferri"
    );

    // The README's example on the demo month: three mediators wrote on 2 May, and a supervisor
    // commented on the first entry.
    let may_2 = graphql(
        addr,
        &supervisor,
        "{ diaries(site: \"montelucci-4\", from: \"2024-05-02\", to: \"2024-05-02\") {
            id mediator slot observations difficulties strategies trainingNeeds
            comments { supervisor comment } } }",
        json!({}),
    )
    .await;
    let entries = ok(&may_2)["diaries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 3, "{may_2}");
    let commented: Vec<_> = entries
        .iter()
        .filter(|e| !e["comments"].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(commented.len(), 1);
    assert_eq!(commented[0]["mediator"], "o.kovalenko");

    // The actions of the last meeting, with their owners and due dates.
    let meetings = graphql(
        addr,
        &supervisor,
        "{ supervisionMeetings(from: \"2024-05-01\", to: \"2024-05-31\") {
            meetings { occurredAt decisions actions { description owner dueOn } }
        } }",
        json!({}),
    )
    .await;
    let last = ok(&meetings)["supervisionMeetings"]["meetings"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["actions"],
        json!([{ "description": "contattare il tutore del minore per il CPIA",
                 "owner": "m.haddad", "dueOn": "2024-05-28" },
               { "description": "aggiornare la mappa dei servizi di Tivoli e Guidonia",
                 "owner": "s.malik", "dueOn": "2024-05-30" }])
    );
    assert_eq!(
        last["decisions"],
        json!(["raccordo mensile con il consultorio ASL"])
    );

    // *Crescita della professione*: m.haddad's May, for supervisors only.
    let growth = "{ professionalGrowth(from: \"2024-05-01\", to: \"2024-05-31\", \
                  mediator: \"m.haddad\") { month entries difficulties trainingNeeds } }";
    let read = graphql(addr, &supervisor, growth, json!({})).await;
    let may = &ok(&read)["professionalGrowth"][0];
    assert_eq!(may["month"], "2024-05");
    assert!(may["difficulties"]
        .as_array()
        .unwrap()
        .contains(&json!("Nessun posto al CPIA prima di settembre.")));
    assert!(may["trainingNeeds"]
        .as_array()
        .unwrap()
        .contains(&json!("Orientamento scolastico per adulti.")));
    let refused = graphql(addr, &mediator, growth, json!({})).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
}
