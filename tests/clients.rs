//! First contact: the real `impact` binary on 127.0.0.1, as GraphQL tools and clients meet it.
//! The standard introspection query (GraphiQL's) passes with `--demo` and is refused with a code
//! without it; GraphiQL's page and files come from the binary; the WebSocket closes with the
//! codes of `graphql-transport-ws`; Python's `gql` client fetches the schema and runs a query
//! (installed from PyPI when missing, as the verifier tests do); the npm `graphql-ws` client
//! follows the `events` subscription and receives a live event, and `@graphql-inspector/cli`
//! validates every query of the README and the docs against `schema.graphql`
//! (`tests/clients/`, `npm ci` there when missing); GraphiQL, in Debian's headless `chromium`
//! reaching nothing but loopback (`support/browser.rs`), shows the schema's docs, and its
//! screenshot is kept as `target/test-artefacts/graphiql-docs.png`.
//!
//! Every wait is bounded, so a hang fails the test instead of blocking it.

use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[path = "support/browser.rs"]
mod browser;
#[path = "support/raw_http.rs"]
mod raw_http;
use raw_http::{http, IO_DEADLINE};

const BIN: &str = env!("CARGO_BIN_EXE_impact");
/// Longest the server may take to start (the demo month is loaded first).
const START_DEADLINE: Duration = Duration::from_secs(120);
/// The standard introspection query, as GraphiQL sends it.
const INTROSPECTION: &str = include_str!("../crates/api/tests/queries/introspection.graphql");

/// A running `impact serve` and the tokens it printed (`--demo`) or that were issued for it.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// role → token
    tokens: Vec<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// `impact serve --listen 127.0.0.1:0` on a new data directory, with `extra` arguments;
    /// without `--demo`, a supervisor's token is issued with `impact token issue` first.
    fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut tokens = Vec::new();
        if !extra.contains(&"--demo") {
            let output = std::process::Command::new(BIN)
                .args(["token", "issue", "--data"])
                .arg(&data)
                .args(["--role", "supervisor", "--actor", "s.bianchi"])
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(output.status.success(), "{output:?}");
            let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
            tokens.push(("supervisor".to_owned(), token));
        }
        let mut child = std::process::Command::new(BIN)
            .args(["serve", "--data"])
            .arg(&data)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("IMPACT_DEMO")
            .env_remove("IMPACT_DEV")
            .env("IMPACT_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = raw_http::stdout_lines(&mut child);
        let deadline = Instant::now() + START_DEADLINE;
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match lines.recv_timeout(left) {
                Ok(line) => line,
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("no `listening on` line: {e:?}");
                }
            };
            let line = line.trim();
            if let Some(url) = line.strip_prefix("listening on http://") {
                break url.parse::<SocketAddr>().unwrap();
            }
            // `--demo` prints "  <role> <token>" for each role.
            let words: Vec<&str> = line.split_whitespace().collect();
            if let [role, token] = words.as_slice() {
                if token.starts_with("imp1.") {
                    tokens.push(((*role).to_owned(), (*token).to_owned()));
                }
            }
        };
        assert!(addr.ip().is_loopback(), "{addr}");
        Server {
            child,
            addr,
            tokens,
            _dir: dir,
        }
    }

    fn token(&self, role: &str) -> &str {
        &self
            .tokens
            .iter()
            .find(|(r, _)| r == role)
            .unwrap_or_else(|| panic!("no {role} token"))
            .1
    }

    /// POST /graphql as `role`; the status and the JSON answer.
    async fn graphql(&self, role: &str, query: &str) -> (u16, Value) {
        let body = json!({ "query": query }).to_string();
        let bearer = format!("Bearer {}", self.token(role));
        let reply = http(
            self.addr,
            "POST",
            "/graphql",
            &[
                ("Content-Type", "application/json"),
                ("Authorization", &bearer),
            ],
            &body,
        )
        .await;
        let answer = serde_json::from_str(&reply.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", reply.body));
        (reply.status, answer)
    }
}

impl Drop for Server {
    /// A failed test must not leave a server behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// A tiny HTTP/1.1 client (one request per connection)

/// The value of a response header, by name.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_standard_introspection_query_in_demo_mode_and_refused_without() {
    let demo = Server::start(&["--demo"]);
    for role in ["supervisor", "mediator", "evaluator", "admin"] {
        let (status, answer) = demo.graphql(role, INTROSPECTION).await;
        assert_eq!(status, 200, "{answer}");
        assert!(answer.get("errors").is_none(), "{role}: {answer}");
        let types = answer["data"]["__schema"]["types"].as_array().unwrap();
        assert!(
            types.iter().any(|t| t["name"] == "RecordIntakeInput"),
            "{role}"
        );
    }

    let production = Server::start(&[]);
    let (status, answer) = production.graphql("supervisor", INTROSPECTION).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{answer}"
    );
    assert!(answer["data"].is_null(), "{answer}");
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("--dev or --demo"), "{answer}");
}

#[tokio::test]
async fn graphiql_and_its_files_come_from_the_binary() {
    let demo = Server::start(&["--demo"]);
    let page = http(demo.addr, "GET", "/graphql", &[], "").await;
    assert_eq!(page.status, 200);
    let policy = header(&page.head, "content-security-policy").unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!page.body.contains("://"), "{}", page.body);
    for file in [
        "/graphiql/graphiql.min.js",
        "/graphiql/graphiql.min.css",
        "/graphiql/react.production.min.js",
        "/graphiql/react-dom.production.min.js",
        "/graphiql/start.js",
        "/graphiql/page.css",
    ] {
        assert!(page.body.contains(file), "{file} not on the page");
        let reply = http(demo.addr, "GET", file, &[], "").await;
        assert_eq!(reply.status, 200, "{file}");
        assert!(!reply.body.is_empty(), "{file}");
    }
    // No CDN anywhere in what the page runs.
    let start = http(demo.addr, "GET", "/graphiql/start.js", &[], "").await;
    assert!(!start.body.contains("unpkg") && !start.body.contains("jsdelivr"));
}

// ---------------------------------------------------------------------------------------------
// graphql-transport-ws close codes

type Socket = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn ws_open(addr: SocketAddr) -> Socket {
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
    let (socket, _) = tokio::time::timeout(
        IO_DEADLINE,
        tokio_tungstenite::client_async(request, stream),
    )
    .await
    .expect("the WebSocket handshake did not finish in time")
    .unwrap();
    socket
}

/// Sends `message` and returns the close code the server answers with.
async fn close_code_after(socket: &mut Socket, message: String) -> u16 {
    tokio::time::timeout(IO_DEADLINE, socket.send(Message::text(message)))
        .await
        .unwrap()
        .unwrap();
    loop {
        let message = tokio::time::timeout(IO_DEADLINE, socket.next())
            .await
            .expect("no answer in time")
            .expect("the socket ended without a close frame")
            .unwrap();
        match message {
            Message::Close(Some(frame)) => return u16::from(frame.code),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_websocket_closes_with_the_codes_of_graphql_transport_ws() {
    let server = Server::start(&[]);
    let subscribe = json!({
        "id": "1",
        "type": "subscribe",
        "payload": { "query": "subscription { events { position } }" }
    })
    .to_string();

    // A token that is refused: 4403 Forbidden.
    let mut socket = ws_open(server.addr).await;
    let init = json!({
        "type": "connection_init",
        "payload": { "Authorization": "Bearer imp1.not.a-token" }
    });
    assert_eq!(close_code_after(&mut socket, init.to_string()).await, 4403);

    // A subscribe before the connection is acknowledged: 4401 Unauthorized.
    let mut socket = ws_open(server.addr).await;
    assert_eq!(close_code_after(&mut socket, subscribe).await, 4401);

    // A message that is not of the protocol: 4400.
    let mut socket = ws_open(server.addr).await;
    let bad = json!({ "type": "hello" }).to_string();
    assert_eq!(close_code_after(&mut socket, bad).await, 4400);

    // A good token is acknowledged.
    let mut socket = ws_open(server.addr).await;
    let init = json!({
        "type": "connection_init",
        "payload": { "Authorization": format!("Bearer {}", server.token("supervisor")) }
    });
    socket.send(Message::text(init.to_string())).await.unwrap();
    let ack = tokio::time::timeout(IO_DEADLINE, socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let ack: Value = serde_json::from_str(ack.to_text().unwrap()).unwrap();
    assert_eq!(ack["type"], "connection_ack");
}

// ---------------------------------------------------------------------------------------------
// Python gql

/// Python's `gql` with its requests transport, installed from PyPI when missing.
fn python_gql() {
    let has = |python: &str| {
        std::process::Command::new("python3")
            .args(["-c", python])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let check = "import gql, requests";
    if !has(check) {
        let _ = std::process::Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "gql[requests]"])
            .status();
    }
    assert!(
        has(check),
        "python3 with gql is needed: pip install 'gql[requests]'"
    );
}

/// Fetches the schema with the standard introspection query (`fetch_schema_from_transport`),
/// validates the query against it on the client, runs it, and prints what it learnt.
const GQL_CLIENT: &str = r#"
import json, sys
from gql import Client, gql
from gql.transport.requests import RequestsHTTPTransport

url, token = sys.argv[1], sys.argv[2]
transport = RequestsHTTPTransport(url=url, headers={"Authorization": "Bearer " + token}, timeout=30)
with Client(transport=transport, fetch_schema_from_transport=True) as session:
    result = session.execute(gql("{ viewer { actorId role site } chain { head { position } } }"))
    schema = session.client.schema
    print(json.dumps({
        "result": result,
        "queryType": schema.query_type.name,
        "hasViewer": "viewer" in schema.query_type.fields,
        "types": len(schema.type_map),
    }))
"#;

#[tokio::test]
async fn python_gql_fetches_the_schema_and_runs_a_query() {
    python_gql();
    let demo = Server::start(&["--demo"]);
    let url = format!("http://{}/graphql", demo.addr);
    let token = demo.token("mediator").to_owned();
    let output = tokio::time::timeout(
        IO_DEADLINE,
        tokio::process::Command::new("python3")
            .args(["-c", GQL_CLIENT, &url, &token])
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .expect("the gql client did not finish in time")
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "gql failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let learnt: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(learnt["queryType"], "QueryRoot", "{learnt}");
    assert_eq!(learnt["hasViewer"], true, "{learnt}");
    assert!(learnt["types"].as_u64().unwrap() > 50, "{learnt}");
    let result = &learnt["result"];
    assert_eq!(result["viewer"]["role"], "mediator", "{learnt}");
    assert_eq!(result["viewer"]["site"], "montelucci-4", "{learnt}");
    assert!(result["chain"]["head"]["position"].as_u64().unwrap() > 0);
}

// ---------------------------------------------------------------------------------------------
// The graphql-ws client (npm)

/// `tests/clients/` with its npm packages (`npm ci` there when they are missing). One test at a
/// time installs: two `npm ci` in one folder at once leave half-written packages.
fn npm_clients() -> std::path::PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients");
    let installed = || {
        dir.join("node_modules/graphql-ws/package.json").exists()
            && dir.join("node_modules/.bin/graphql-inspector").exists()
    };
    if !installed() {
        let _ = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .status();
    }
    assert!(
        installed(),
        "node and the npm packages of tests/clients are needed: npm ci there"
    );
    dir
}

type ClientLines = tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>;

/// The next event the graphql-ws client printed.
async fn next_event(lines: &mut ClientLines) -> Value {
    let line = tokio::time::timeout(IO_DEADLINE, lines.next_line())
        .await
        .expect("no event from the graphql-ws client in time")
        .unwrap()
        .expect("the graphql-ws client ended without an event");
    let result: Value = serde_json::from_str(&line).unwrap();
    assert!(result.get("errors").is_none(), "{result}");
    result["data"]["events"].clone()
}

#[tokio::test]
async fn the_graphql_ws_client_follows_a_live_event() {
    use tokio::io::AsyncBufReadExt;

    let clients = npm_clients();
    let demo = Server::start(&["--demo"]);
    let (_, chain) = demo
        .graphql("supervisor", "{ chain { head { position } } }")
        .await;
    let head = chain["data"]["chain"]["head"]["position"].as_u64().unwrap();
    let mut child = tokio::process::Command::new("node")
        .arg(clients.join("subscribe.mjs"))
        .arg(format!("ws://{}/graphql", demo.addr))
        .arg(demo.token("supervisor"))
        .arg(head.to_string())
        .arg("2")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    // The catch-up: the event at the head.
    let first = next_event(&mut lines).await;
    assert_eq!(first["position"].as_u64(), Some(head), "{first}");

    // A live one: recorded now, after the client follows.
    let service = ulid::Ulid::new().to_string();
    let mutation = format!(
        "mutation {{ mapService(input: {{ serviceId: \"{service}\", \
         occurredAt: \"2024-05-30T10:00:00+02:00\", name: \"Sportello lavoro\", kind: WORK, \
         address: \"via Roma 1\", openingHours: \"lun 9-12\", languages: [\"it\"], \
         accessRules: \"accesso diretto\", verifiedOn: \"2024-05-30\" }}) {{ alreadyRecorded }} }}"
    );
    let (status, answer) = demo.graphql("admin", &mutation).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.get("errors").is_none(), "{answer}");
    let second = next_event(&mut lines).await;
    assert_eq!(second["position"].as_u64(), Some(head + 1), "{second}");
    assert_eq!(second["type"], "ServiceMapped", "{second}");

    let status = tokio::time::timeout(IO_DEADLINE, child.wait())
        .await
        .expect("the graphql-ws client did not exit")
        .unwrap();
    assert!(status.success());
}

// ---------------------------------------------------------------------------------------------
// @graphql-inspector/cli (npm)

/// The whole queries (`{ ... }` in backticks) of the README and the docs, by file.
fn documented_queries() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("`{ ") {
            rest = &rest[at + 1..];
            let Some(end) = rest.find('`') else { break };
            let query = rest[..end].replace('\n', " ");
            if query.ends_with('}') {
                found.push((name.clone(), query));
            }
            rest = &rest[end..];
        }
    }
    found
}

/// `graphql-inspector validate` of the documents in `dir` against `schema.graphql`.
fn inspector_validate(clients: &std::path::Path, dir: &std::path::Path) -> (bool, String) {
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema.graphql");
    let output = std::process::Command::new(clients.join("node_modules/.bin/graphql-inspector"))
        .arg("validate")
        .arg(format!("{}/*.graphql", dir.display()))
        .arg(schema)
        .current_dir(clients)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn graphql_inspector_validates_every_query_of_the_readme_and_docs() {
    let clients = npm_clients();
    let queries = documented_queries();
    assert!(queries.len() >= 3, "{queries:?}");
    let dir = tempfile::tempdir().unwrap();
    for (i, (file, query)) in queries.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i}-{file}.graphql")), query).unwrap();
    }
    let (valid, report) = inspector_validate(&clients, dir.path());
    assert!(valid, "{queries:#?}\n{report}");

    // The same tool refuses a document the schema does not have.
    std::fs::write(dir.path().join("wrong.graphql"), "{ viewer { nope } }").unwrap();
    let (valid, report) = inspector_validate(&clients, dir.path());
    assert!(!valid, "{report}");
    assert!(report.contains("nope"), "{report}");
}

// ---------------------------------------------------------------------------------------------
// GraphiQL in a real browser

/// The description of `field` in `schema.graphql`'s `type QueryRoot`, as one line.
fn query_root_description(field: &str) -> String {
    let schema = include_str!("../schema.graphql");
    let root = &schema[schema.find("type QueryRoot {").unwrap()..];
    let at = root
        .find(&format!("\n\t{field}:"))
        .unwrap_or_else(|| panic!("no {field} in QueryRoot"));
    let before = &root[..at];
    let end = before.rfind("\"\"\"").unwrap();
    let start = before[..end].rfind("\"\"\"").unwrap() + 3;
    before[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text of the first element `css` finds once `expected` is in it, or a failure naming what
/// was there.
async fn text_once_it_shows(browser: &browser::Browser, css: &str, expected: &str) -> String {
    let deadline = Instant::now() + browser::WAIT_DEADLINE;
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(element) = browser.client.find(fantoccini::Locator::Css(css)).await {
            last = element.text().await.unwrap_or_default();
            if last.contains(expected) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = browser.screenshot("graphiql-failed").await;
    panic!("{css} did not show {expected:?} in time; it showed {last:?}");
}

#[tokio::test]
async fn graphiql_in_a_browser_without_network_shows_the_schema_docs() {
    use fantoccini::Locator;

    let demo = Server::start(&["--demo"]);
    let driver = browser::Driver::start();
    let browser = driver.browser().await;
    let client = &browser.client;

    // The browser reaches nothing but loopback: a CDN would not load.
    let outside = client.goto("http://cdn.example.com/").await;
    let reached = outside.is_ok() && client.source().await.unwrap().contains("Example Domain");
    assert!(!reached, "the browser reached the network");

    client
        .goto(&format!("http://{}/graphql", demo.addr))
        .await
        .unwrap();
    client
        .wait()
        .at_most(browser::WAIT_DEADLINE)
        .for_element(Locator::Css(".graphiql-container"))
        .await
        .expect("GraphiQL did not start: its scripts did not load");

    // The token goes in the headers pane, as a person would paste it; then the schema is
    // fetched again with it.
    let headers = json!({ "Authorization": format!("Bearer {}", demo.token("mediator")) });
    let set = client
        .execute(
            "const editor = [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]
                 .map((e) => e.CodeMirror)
                 .find((cm) => cm.getValue().includes('Authorization'));
             if (!editor) { return false; }
             editor.setValue(arguments[0]);
             return true;",
            vec![json!(headers.to_string())],
        )
        .await
        .unwrap();
    assert_eq!(
        set,
        json!(true),
        "no headers editor with an Authorization header"
    );
    // The documentation explorer: the root types, then the query root and `viewer`.
    client
        .wait()
        .at_most(browser::WAIT_DEADLINE)
        .for_element(Locator::Css(
            "button[aria-label='Show Documentation Explorer']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // GraphiQL takes an edited header after a short debounce: a re-fetch clicked before that
    // still sends the placeholder. Click again, as a person would, until the schema shows.
    let deadline = Instant::now() + browser::WAIT_DEADLINE;
    loop {
        client
            .find(Locator::Css("button[aria-label='Re-fetch GraphQL schema']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        let shown = match client.find(Locator::Css(".graphiql-doc-explorer")).await {
            Ok(docs) => docs.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if shown.contains("QueryRoot") || Instant::now() > deadline {
            break;
        }
    }
    let roots = text_once_it_shows(&browser, ".graphiql-doc-explorer", "QueryRoot").await;
    assert!(roots.contains("Root Types"), "{roots}");
    assert!(roots.contains("mutation: MutationRoot"), "{roots}");
    client
        .find(Locator::XPath(
            "//a[contains(@class, 'graphiql-doc-explorer-type-name')][text()='QueryRoot']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let description = query_root_description("viewer");
    let docs = text_once_it_shows(&browser, ".graphiql-doc-explorer", "viewer").await;
    assert!(
        docs.contains("The query root: the audit trail and chain"),
        "{docs}"
    );
    let docs = docs.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        docs.contains(&format!("viewer: Viewer! {description}")),
        "viewer's description is not shown: {description:?}\n{docs}"
    );
    // `viewer` in sight for the screenshot.
    let viewer = client
        .find(Locator::XPath(
            "//a[contains(@class, 'graphiql-doc-explorer-field-name')][text()='viewer']",
        ))
        .await
        .unwrap();
    client
        .execute(
            "arguments[0].scrollIntoView({ block: 'center' });",
            vec![serde_json::to_value(&viewer).unwrap()],
        )
        .await
        .unwrap();
    let shot = browser.screenshot("graphiql-docs").await;
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000, "{shot:?}");
    browser.close().await;
}
