//! The HTTP surface through `api::app(state).oneshot(..)` (no socket), over a real desk in a
//! temporary directory: GraphQL over POST with bearer tokens, the limits, GraphiQL and
//! introspection only in dev mode, health and metrics, error codes, read-your-writes.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use api::{ApiConfig, AppState};
use axum::body::{Body, Bytes};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use desk::{Desk, DeskOptions};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

/// Longest any one request may take before the test fails instead of hanging.
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

const ADMIN: (&str, &str) = ("a.conti", "admin");
const SUPERVISOR: (&str, &str) = ("s.bianchi", "supervisor");

struct Fixture {
    app: Router,
    desk: Desk,
    _dir: tempfile::TempDir,
}

thread_local! {
    /// The token store of this test's fixture (each `#[tokio::test]` runs on its own thread).
    static TOKENS: RefCell<Option<api::auth::Tokens>> = const { RefCell::new(None) };
}

/// A token for `actor` in `role` (mediators work at `montelucci`), issued by the fixture.
fn token_for(actor: &str, role: &str) -> String {
    let role = domain::Role::ALL
        .iter()
        .copied()
        .find(|r| r.as_str() == role)
        .unwrap();
    let site = (role == domain::Role::Mediator).then(|| domain::SiteId::new("montelucci"));
    TOKENS.with(|t| {
        t.borrow()
            .as_ref()
            .expect("the fixture issues tokens")
            .issue(
                actor,
                role,
                site,
                chrono::Duration::hours(1),
                chrono::Utc::now(),
            )
            .unwrap()
            .token
    })
}

fn fixture(config: ApiConfig) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), DeskOptions::default()).unwrap();
    let security = api::Security::open(&dir.path().join("data")).unwrap();
    TOKENS.with(|t| *t.borrow_mut() = Some(security.tokens.clone()));
    let app = api::app(AppState::new(desk.clone(), config, security));
    Fixture {
        app,
        desk,
        _dir: dir,
    }
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: Bytes,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = tokio::time::timeout(REQUEST_DEADLINE, app.clone().oneshot(request))
        .await
        .expect("the request did not finish in time")
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        content_type,
        body,
    }
}

/// A POST of `body` with a token for `identity` (actor, role); a supervisor when `None`.
fn post_graphql(body: impl Into<Vec<u8>>, identity: Option<(&str, &str)>) -> Request<Body> {
    let (actor, role) = identity.unwrap_or(SUPERVISOR);
    post_with_token(body, Some(&token_for(actor, role)))
}

/// A POST of `body` with exactly this bearer token, or none.
fn post_with_token(body: impl Into<Vec<u8>>, token: Option<&str>) -> Request<Body> {
    let body = body.into();
    let mut request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, body.len());
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::from(body)).unwrap()
}

async fn graphql(
    app: &Router,
    query: &str,
    variables: Value,
    identity: Option<(&str, &str)>,
) -> Value {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let reply = send(app, post_graphql(body, identity)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

/// The `extensions.code` of every error of a response.
fn codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected errors, got {response}"))
        .iter()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn assert_no_errors(response: &Value) {
    assert!(response.get("errors").is_none(), "{response:#}");
}

const RECORD: &str = "mutation($input: MapServiceInput!, $options: RecordOptions) {
  recordCommand: mapService(input: $input, options: $options) {
    alreadyRecorded
    events { id position stream version type hash actor { id role } }
  }
}";

/// The generic mutation, with an import line's `command` object.
const RECORD_COMMAND: &str = "mutation($command: JSON!, $options: RecordOptions) {
  recordCommand(command: $command, options: $options) {
    alreadyRecorded
    events { id position hash }
  }
}";

/// A valid command: the desk maps a service (the typed mutation's input).
fn map_service(service_id: &str) -> Value {
    json!({
        "serviceId": service_id,
        "occurredAt": "2024-05-02T08:10:00+02:00",
        "name": "ASL Roma 1 - Consultorio familiare via Montelucci",
        "kind": "HEALTH",
        "address": "via Montelucci 12",
        "openingHours": "lun-ven 8:30-13:00",
        "languages": ["it", "en"],
        "accessRules": "tessera sanitaria o codice STP/ENI; accesso diretto",
        "ukraineCapacity": { "receptionPlaces": 0, "health": true, "schoolAccess": false },
        "verifiedOn": "2024-05-02"
    })
}

#[tokio::test]
async fn a_query_and_a_mutation_over_post() {
    let f = fixture(ApiConfig::default());
    let response = graphql(
        &f.app,
        "{ chain { head { position hash } } projection { position lag } }",
        json!({}),
        None,
    )
    .await;
    assert_no_errors(&response);
    assert_eq!(response["data"]["chain"]["head"]["position"], 0);

    let event_id = ulid::Ulid::new().to_string();
    let service_id = ulid::Ulid::new().to_string();
    let response = graphql(
        &f.app,
        RECORD,
        json!({ "input": map_service(&service_id), "options": { "eventId": event_id } }),
        Some(ADMIN),
    )
    .await;
    assert_no_errors(&response);
    let recorded = &response["data"]["recordCommand"];
    assert_eq!(recorded["alreadyRecorded"], false);
    let event = &recorded["events"][0];
    assert_eq!(event["id"], event_id.as_str());
    assert_eq!(event["position"], 1);
    assert_eq!(event["type"], "ServiceMapped");
    assert_eq!(event["stream"], format!("service-{service_id}"));
    // The recorded actor is the identity of the token.
    assert_eq!(event["actor"], json!({ "id": "a.conti", "role": "admin" }));
    assert_eq!(f.desk.journal().head().position.0, 1);

    // The same mutation again with the same event id records nothing twice.
    let again = graphql(
        &f.app,
        RECORD,
        json!({ "input": map_service(&service_id), "options": { "eventId": event_id } }),
        Some(ADMIN),
    )
    .await;
    assert_no_errors(&again);
    assert_eq!(again["data"]["recordCommand"]["alreadyRecorded"], true);
    assert_eq!(
        again["data"]["recordCommand"]["events"][0]["hash"],
        event["hash"]
    );
    assert_eq!(f.desk.journal().head().position.0, 1);

    // The generic mutation with the same command and event id finds the same event.
    let mut command = map_service(&service_id);
    command["command"] = json!("MapService");
    command["kind"] = json!("health");
    let generic = graphql(
        &f.app,
        RECORD_COMMAND,
        json!({ "command": command, "options": { "eventId": event_id } }),
        Some(ADMIN),
    )
    .await;
    assert_no_errors(&generic);
    assert_eq!(generic["data"]["recordCommand"]["alreadyRecorded"], true);
    assert_eq!(
        generic["data"]["recordCommand"]["events"][0]["hash"],
        event["hash"]
    );
    assert_eq!(f.desk.journal().head().position.0, 1);
}

#[tokio::test]
async fn a_mutation_is_visible_to_the_very_next_query() {
    let f = fixture(ApiConfig::default());
    for n in 1..=5_u64 {
        let service_id = ulid::Ulid::new().to_string();
        let response = graphql(
            &f.app,
            RECORD,
            json!({ "input": map_service(&service_id) }),
            Some(ADMIN),
        )
        .await;
        assert_no_errors(&response);
        let event_id = response["data"]["recordCommand"]["events"][0]["id"].clone();

        // No waiting: the mutation returned only once the read models had folded it.
        let response = graphql(
            &f.app,
            "query($id: ID!, $stream: String!) {
               projection { position lag }
               auditTrail(filter: { types: [\"ServiceMapped\"] }, last: 1) {
                 totalCount
                 edges { node { id } }
               }
               event(id: $id) { position }
               stream(id: $stream) { id }
             }",
            json!({ "id": event_id, "stream": format!("service-{service_id}") }),
            None,
        )
        .await;
        assert_no_errors(&response);
        let data = &response["data"];
        assert_eq!(data["projection"], json!({ "position": n, "lag": 0 }));
        assert_eq!(data["auditTrail"]["totalCount"], n);
        assert_eq!(data["auditTrail"]["edges"][0]["node"]["id"], event_id);
        assert_eq!(data["event"]["position"], n);
        assert_eq!(data["stream"], json!([{ "id": event_id }]));
    }
}

#[tokio::test]
async fn malformed_json_is_a_client_error() {
    let f = fixture(ApiConfig::default());
    for body in [
        &b"{\"query\": \"{ chain { head { position } } }\""[..],
        b"not json at all",
        b"",
    ] {
        let reply = send(&f.app, post_graphql(body, None)).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{:?} answered {}: {}",
            String::from_utf8_lossy(body),
            reply.status,
            reply.text()
        );
        // A GraphQL-shaped error a person can act on, not the parser's debug text.
        let answer = reply.json();
        assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_INPUT");
        assert!(answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a GraphQL request"));
        assert!(!reply.text().contains("InvalidRequest"), "{}", reply.text());
    }
}

#[tokio::test]
async fn an_empty_or_broken_query_is_told_in_words() {
    let f = fixture(ApiConfig::default());
    for (query, expected) in [
        ("", "the query is empty"),
        ("  # only a comment\n ,", "the query is empty"),
        ("{ chain { head { position } }", "line 1, column 30"),
        ("query {\n  chain {{ head }\n}", "line 2, column 10"),
    ] {
        let response = graphql(&f.app, query, json!({}), None).await;
        assert_eq!(codes(&response), ["BAD_INPUT"], "{query:?}: {response}");
        let message = response["errors"][0]["message"].as_str().unwrap_or("");
        assert!(message.contains(expected), "{query:?}: {response}");
        for dump in [
            "-->",
            "^---",
            "expected executable_definition",
            "= expected",
        ] {
            assert!(
                !message.contains(dump),
                "{query:?}: the parser's dump: {response}"
            );
        }
    }
}

#[tokio::test]
async fn a_subscription_over_post_is_told_where_subscriptions_go() {
    let f = fixture(ApiConfig::default());
    let response = graphql(
        &f.app,
        "subscription { events { position } }",
        json!({}),
        None,
    )
    .await;
    assert_eq!(codes(&response), ["BAD_INPUT"], "{response}");
    assert_eq!(
        response["errors"][0]["message"],
        "a subscription runs over a WebSocket: connect to /graphql with the \
         graphql-transport-ws protocol (the graphql-ws client does), not with a POST",
    );
}

#[tokio::test]
async fn invalid_graphql_is_answered_without_internal_detail() {
    let f = fixture(ApiConfig::default());
    for query in [
        "{ chain { head { position } }",
        "{ noSuchField }",
        "{ chain { head { position nope } } }",
        "mutation { recordCommand(command: 42) { alreadyRecorded } }",
        "query($x: Int!) { event(id: $x) { id } }",
    ] {
        let response = graphql(&f.app, query, json!({}), Some(ADMIN)).await;
        let errors = response["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{query}: expected errors, got {response}"));
        assert!(!errors.is_empty(), "{query}");
        let text = response.to_string();
        for leak in [
            "panicked",
            "backtrace",
            "stack",
            ".rs:",
            "src/",
            "/work/",
            "RUST_",
            "sled",
        ] {
            assert!(
                !text.to_lowercase().contains(&leak.to_lowercase()),
                "{query}: the answer leaks {leak:?}: {text}"
            );
        }
    }
}

/// A 413 in the GraphQL shape, with a code and the limit.
fn assert_too_large(reply: &Reply, limit: usize) {
    assert!(
        reply.content_type.starts_with("application/json"),
        "{}",
        reply.content_type
    );
    let answer = reply.json();
    assert_eq!(codes(&answer), ["BAD_INPUT"], "{answer}");
    let message = answer["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains(&format!("{limit} bytes")), "{answer}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let limit = 4 * 1024;
    let f = fixture(ApiConfig {
        body_limit_bytes: limit,
        ..ApiConfig::default()
    });
    let padding = " ".repeat(limit);
    let body = format!("{{\"query\": \"{{ chain {{ head {{ position }} }} }}{padding}\"}}");
    let reply = send(&f.app, post_graphql(body.clone(), None)).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text()
    );
    assert_too_large(&reply, limit);

    // The same without a content-length header (a streamed body) is refused too.
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", token_for("s.bianchi", "supervisor")),
        )
        .body(Body::from_stream(futures_util::stream::iter([Ok::<
            _,
            std::io::Error,
        >(
            Bytes::from(body),
        )])))
        .unwrap();
    let reply = send(&f.app, request).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text()
    );
    assert_too_large(&reply, limit);

    // Just under the limit is served.
    let small = "{\"query\": \"{ chain { head { position } } }\"}";
    let reply = send(&f.app, post_graphql(small, None)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

#[tokio::test]
async fn graphiql_only_in_dev_mode() {
    let production = fixture(ApiConfig::default());
    let reply = send(&production.app, get("/graphql")).await;
    assert_ne!(reply.status, StatusCode::OK);
    assert!(!reply.content_type.starts_with("text/html"));
    assert!(!reply.text().contains("<html"), "{}", reply.text());
    let reply = send(&production.app, get("/graphiql/graphiql.min.js")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    let dev = fixture(ApiConfig {
        dev: true,
        ..ApiConfig::default()
    });
    let reply = send(&dev.app, get("/graphql")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.content_type.starts_with("text/html"),
        "{}",
        reply.content_type
    );
    let html = reply.text();
    assert!(html.to_lowercase().contains("graphiql"), "{html}");
}

/// Every `src` and `href` of the GraphiQL page.
fn linked_files(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attribute) {
            rest = &rest[at + attribute.len()..];
            let end = rest.find('"').unwrap();
            found.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    found
}

#[tokio::test]
async fn graphiql_is_served_from_the_binary_with_a_strict_policy() {
    let dev = fixture(ApiConfig {
        dev: true,
        ..ApiConfig::default()
    });
    let response = dev.app.clone().oneshot(get("/graphql")).await.unwrap();
    let policy = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "default-src 'none'",
        "script-src 'self';",
        "style-src 'self';",
        "connect-src 'self';",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    let html = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    // Nothing from elsewhere, no inline script or style (the policy would block them).
    assert!(!html.contains("://"), "{html}");
    assert!(!html.contains("<style"), "{html}");
    assert!(!html.contains("<script>"), "{html}");
    let files = linked_files(&html);
    assert!(files.len() >= 6, "{files:?}");
    for file in files {
        assert!(file.starts_with("/graphiql/"), "{file}");
        let reply = send(&dev.app, get(&file)).await;
        assert_eq!(reply.status, StatusCode::OK, "{file}");
        let expected = if file.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(
            reply.content_type.starts_with(expected),
            "{file}: {}",
            reply.content_type
        );
        assert!(!reply.body.is_empty(), "{file}");
    }
    let reply = send(&dev.app, get("/graphiql/../Cargo.toml")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

/// The standard introspection query (graphql-js 16, every option on), as GraphiQL sends it.
const INTROSPECTION: &str = include_str!("queries/introspection.graphql");

#[tokio::test]
async fn introspection_only_in_dev_mode() {
    let production = fixture(ApiConfig::default());
    for query in [
        "{ __schema { queryType { name } types { name } } }",
        "{ __type(name: \"RecordOptions\") { name } }",
        INTROSPECTION,
    ] {
        let response = graphql(&production.app, query, json!({}), None).await;
        assert_eq!(codes(&response), ["FORBIDDEN"], "{response}");
        let message = response["errors"][0]["message"].as_str().unwrap_or("");
        assert!(message.contains("--dev"), "{response}");
        assert!(response["data"].is_null(), "{response}");
        assert!(
            !response.to_string().contains("RecordOptions\","),
            "introspection answered in production: {response}"
        );
    }
    // `__typename` is not introspection of the schema.
    let response = graphql(&production.app, "{ __typename }", json!({}), None).await;
    assert_no_errors(&response);

    let dev = fixture(ApiConfig {
        dev: true,
        ..ApiConfig::default()
    });
    let response = graphql(&dev.app, INTROSPECTION, json!({}), None).await;
    assert_no_errors(&response);
    let schema = &response["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "QueryRoot");
    let types = schema["types"].as_array().unwrap();
    let options = types
        .iter()
        .find(|t| t["name"] == "RecordOptions")
        .unwrap_or_else(|| panic!("no RecordOptions in {schema}"));
    assert_eq!(options["kind"], "INPUT_OBJECT");
    assert!(!options["inputFields"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn introspection_has_its_own_depth_limit() {
    let dev = fixture(ApiConfig {
        dev: true,
        max_depth: 4,
        ..ApiConfig::default()
    });
    // The standard query is 15 deep, over a data limit of 4: introspection is counted apart.
    let response = graphql(&dev.app, INTROSPECTION, json!({}), None).await;
    assert_no_errors(&response);
    // Data is still held to 4.
    let response = graphql(
        &dev.app,
        "{ __schema { queryType { name } } auditTrail { edges { node { actor { id } } } } }",
        json!({}),
        None,
    )
    .await;
    assert_eq!(codes(&response), ["BAD_INPUT"], "{response}");
    // Introspection nested past its own limit (20) is refused.
    let deep = format!(
        "{{ __schema {{ types {{ {}name{} }} }} }}",
        "ofType { ".repeat(19),
        " }".repeat(19)
    );
    let response = graphql(&dev.app, &deep, json!({}), None).await;
    assert_eq!(codes(&response), ["BAD_INPUT"], "{response}");
    let message = response["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("at most 20"), "{response}");
}

#[tokio::test]
async fn healthz_reports_the_head() {
    let f = fixture(ApiConfig::default());
    let reply = send(&f.app, get("/healthz")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type.starts_with("application/json"));
    assert_eq!(reply.json()["head"], 0);

    let response = graphql(
        &f.app,
        RECORD,
        json!({ "input": map_service(&ulid::Ulid::new().to_string()) }),
        Some(ADMIN),
    )
    .await;
    assert_no_errors(&response);
    let reply = send(&f.app, get("/healthz")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let health = reply.json();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["head"], 1);
    assert_eq!(health["applied"], 1);
}

/// The value of an unlabelled sample in a Prometheus text exposition.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test]
async fn metrics_in_prometheus_text() {
    let f = fixture(ApiConfig::default());
    for _ in 0..2 {
        let response = graphql(
            &f.app,
            RECORD,
            json!({ "input": map_service(&ulid::Ulid::new().to_string()) }),
            Some(ADMIN),
        )
        .await;
        assert_no_errors(&response);
    }
    let reply = send(
        &f.app,
        Request::get("/metrics")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", token_for("s.bianchi", "supervisor")),
            )
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .content_type
            .starts_with("application/openmetrics-text")
            || reply.content_type.starts_with("text/plain"),
        "{}",
        reply.content_type
    );
    let text = reply.text();
    assert_eq!(
        sample(&text, "impact_journal_head_position"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "impact_projection_lag_events"),
        Some(0.0),
        "{text}"
    );
    assert!(
        text.contains("# TYPE impact_graphql_request_duration_seconds histogram"),
        "{text}"
    );
    assert!(
        text.contains("impact_graphql_request_duration_seconds_bucket{le="),
        "{text}"
    );
    let requests = sample(&text, "impact_graphql_request_duration_seconds_count");
    assert_eq!(requests, Some(2.0), "{text}");
}

#[tokio::test]
async fn a_request_without_a_valid_token_is_refused_with_401() {
    let f = fixture(ApiConfig::default());
    let body = json!({
        "query": RECORD,
        "variables": { "input": map_service(&ulid::Ulid::new().to_string()) }
    })
    .to_string();
    let valid = token_for("a.conti", "admin");
    let mut altered = valid.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'x' { b'y' } else { b'x' };
    let altered = String::from_utf8(altered).unwrap();
    let expired = TOKENS.with(|t| {
        t.borrow()
            .as_ref()
            .unwrap()
            .issue(
                "a.conti",
                domain::Role::Admin,
                None,
                chrono::Duration::minutes(1),
                chrono::Utc::now() - chrono::Duration::hours(1),
            )
            .unwrap()
            .token
    });
    let revoked = TOKENS.with(|t| {
        let tokens = t.borrow();
        let tokens = tokens.as_ref().unwrap();
        let issued = tokens
            .issue(
                "a.conti",
                domain::Role::Admin,
                None,
                chrono::Duration::hours(1),
                chrono::Utc::now(),
            )
            .unwrap();
        tokens.revoke(issued.record.id, chrono::Utc::now()).unwrap();
        issued.token
    });
    let foreign = {
        let other = tempfile::tempdir().unwrap();
        api::auth::Tokens::open(other.path())
            .unwrap()
            .issue(
                "a.conti",
                domain::Role::Admin,
                None,
                chrono::Duration::hours(1),
                chrono::Utc::now(),
            )
            .unwrap()
            .token
    };
    // A JWT with alg=none claiming to be a supervisor.
    let alg_none =
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJzLmJpYW5jaGkiLCJyb2xlIjoic3VwZXJ2aXNvciJ9.";
    for (what, token) in [
        ("none", None),
        ("altered", Some(altered.as_str())),
        ("expired", Some(expired.as_str())),
        ("revoked", Some(revoked.as_str())),
        ("another installation's", Some(foreign.as_str())),
        ("alg=none", Some(alg_none)),
        ("empty", Some("")),
    ] {
        let reply = send(&f.app, post_with_token(body.clone(), token)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {}",
            reply.text()
        );
        assert_eq!(codes(&reply.json()), ["UNAUTHENTICATED"], "{what}");
        assert!(reply.json()["data"].is_null(), "{what}");
    }
    assert_eq!(f.desk.journal().head().position.0, 0);
    // The same request with the valid token records the fact, as the token's actor.
    let reply = send(&f.app, post_with_token(body, Some(&valid))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_no_errors(&reply.json());
    let event = f
        .desk
        .journal()
        .get(desk::journal::Position(1))
        .unwrap()
        .unwrap();
    assert_eq!(event.actor.id, "a.conti");
    assert_eq!(event.actor.role, "admin");
    // Metrics need a token too; health does not.
    assert_eq!(
        send(&f.app, get("/metrics")).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(send(&f.app, get("/healthz")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_bad_ulid_is_bad_input() {
    let f = fixture(ApiConfig::default());
    let response = graphql(
        &f.app,
        RECORD,
        json!({
            "input": map_service(&ulid::Ulid::new().to_string()),
            "options": { "eventId": "not-a-ulid" }
        }),
        Some(ADMIN),
    )
    .await;
    assert_eq!(codes(&response), ["BAD_INPUT"]);
    let response = graphql(
        &f.app,
        RECORD,
        json!({ "input": map_service("not-a-ulid") }),
        Some(ADMIN),
    )
    .await;
    assert_eq!(codes(&response), ["BAD_INPUT"]);
    let response = graphql(&f.app, "{ event(id: \"nope\") { id } }", json!({}), None).await;
    assert_eq!(codes(&response), ["BAD_INPUT"]);
    assert_eq!(f.desk.journal().head().position.0, 0);
}

#[tokio::test]
async fn the_depth_limit_is_enforced() {
    let f = fixture(ApiConfig {
        max_depth: 4,
        ..ApiConfig::default()
    });
    // Depth 4: served.
    let response = graphql(
        &f.app,
        "{ auditTrail { edges { node { position } } } }",
        json!({}),
        None,
    )
    .await;
    assert_no_errors(&response);
    // Depth 5: refused before it runs.
    let response = graphql(
        &f.app,
        "{ auditTrail { edges { node { actor { id } } } } }",
        json!({}),
        None,
    )
    .await;
    let message = response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("nested too deep"), "{response}");
    assert!(response["data"].is_null(), "{response}");
}

#[tokio::test]
async fn a_panic_in_a_request_is_a_generic_500_without_its_message() {
    // The desk's clock panics once told to: `erasePerson` without `occurredAt` asks it for now,
    // inside the handler of a request through `api::app`.
    let panicking = Arc::new(AtomicBool::new(false));
    let clock = {
        let panicking = Arc::clone(&panicking);
        move || {
            if panicking.load(Ordering::SeqCst) {
                let secret = "Zorbeta Quillfeather";
                panic!("leaked {secret}");
            }
            chrono::Utc::now()
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let options = DeskOptions {
        clock: Arc::new(clock),
        ..DeskOptions::default()
    };
    let desk = Desk::open(dir.path().join("data"), options).unwrap();
    let security = api::Security::open(&dir.path().join("data")).unwrap();
    TOKENS.with(|t| *t.borrow_mut() = Some(security.tokens.clone()));
    let app = api::app(AppState::new(desk, ApiConfig::default(), security));
    let erase = json!({ "query": r#"mutation {
        erasePerson(input: { personId: "01HWW2G3903GE5WBXZ6BWN1ZZR", reason: PERSON_REQUEST }) {
            alreadyRecorded
        }
    }"# });

    // Before: the request is answered (the person is unknown).
    let reply = send(&app, post_graphql(erase.to_string(), None)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());

    panicking.store(true, Ordering::SeqCst);
    let reply = send(&app, post_graphql(erase.to_string(), None)).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let text = reply.text();
    assert_eq!(
        reply.json()["errors"][0]["extensions"]["code"],
        "INTERNAL",
        "{text}"
    );
    assert!(
        !text.contains("Zorbeta") && !text.contains("leaked") && !text.contains(".rs"),
        "{text}"
    );

    // The server goes on answering.
    panicking.store(false, Ordering::SeqCst);
    let reply = send(&app, post_graphql(erase.to_string(), None)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

#[tokio::test]
async fn a_refusal_names_the_role_with_its_article_and_who_may() {
    let f = fixture(ApiConfig::default());
    let response = graphql(
        &f.app,
        "{ auditTrail(first: 1) { edges { cursor } } }",
        json!({}),
        Some(("e.verdi", "evaluator")),
    )
    .await;
    assert_eq!(codes(&response), ["FORBIDDEN"], "{response}");
    assert_eq!(
        response["errors"][0]["message"],
        "an evaluator may not do this: only a supervisor may"
    );
    // A command: the roles that may record it.
    let response = graphql(
        &f.app,
        RECORD,
        json!({ "input": map_service(&ulid::Ulid::new().to_string()) }),
        Some(("e.verdi", "evaluator")),
    )
    .await;
    assert_eq!(codes(&response), ["FORBIDDEN"], "{response}");
    assert_eq!(
        response["errors"][0]["message"],
        "an evaluator may not record MapService: only a supervisor or an admin may"
    );
}

#[tokio::test]
async fn page_arguments_are_checked_in_words() {
    let f = fixture(ApiConfig::default());
    for (arguments, expected) in [
        (
            "first: 2, last: 2",
            "first and last cannot be used together",
        ),
        (
            "after: \"abc\"",
            "after must be a cursor from a previous page",
        ),
        (
            "before: \"-1\"",
            "before must be a cursor from a previous page",
        ),
        ("last: -3", "last must be 0 to 500, got -3"),
    ] {
        let query = format!("{{ auditTrail({arguments}) {{ edges {{ cursor }} }} }}");
        let response = graphql(&f.app, &query, json!({}), None).await;
        assert_eq!(codes(&response), ["BAD_INPUT"], "{arguments}: {response}");
        let message = response["errors"][0]["message"].as_str().unwrap_or("");
        assert!(message.contains(expected), "{arguments}: {response}");
        assert!(
            !message.contains("invalid digit"),
            "{arguments}: {response}"
        );
    }
    // Other connections say the same of a bad cursor.
    let response = graphql(
        &f.app,
        "{ cases(after: \"x\") { edges { cursor } } }",
        json!({}),
        None,
    )
    .await;
    assert_eq!(codes(&response), ["BAD_INPUT"], "{response}");
    assert!(
        !response.to_string().contains("invalid digit"),
        "{response}"
    );
}

#[tokio::test]
async fn a_text_too_long_or_with_hidden_characters_is_bad_input_naming_the_field() {
    let f = fixture(ApiConfig::default());
    let mut input = map_service(&ulid::Ulid::new().to_string());
    input["accessRules"] = json!("x".repeat(50_000));
    let response = graphql(&f.app, RECORD, json!({ "input": input }), Some(ADMIN)).await;
    assert_eq!(codes(&response), ["BAD_INPUT"], "{response}");
    let error = &response["errors"][0];
    assert_eq!(error["extensions"]["field"], "accessRules", "{response}");
    let message = error["message"].as_str().unwrap_or("");
    assert!(message.contains("accessRules"), "{response}");
    assert!(message.contains("at most 4000 are allowed"), "{response}");

    let mut input = map_service(&ulid::Ulid::new().to_string());
    input["name"] = json!("Consultorio \u{202E}1 amoR");
    let response = graphql(&f.app, RECORD, json!({ "input": input }), Some(ADMIN)).await;
    assert_eq!(codes(&response), ["REJECTED"], "{response}");
    assert_eq!(response["errors"][0]["extensions"]["field"], "name");
    assert!(response["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("U+202E"));
    assert_eq!(f.desk.journal().head().position.0, 0);
}

#[tokio::test]
async fn a_negative_expected_version_is_told_in_words() {
    let f = fixture(ApiConfig::default());
    let response = graphql(
        &f.app,
        RECORD,
        json!({
            "input": map_service(&ulid::Ulid::new().to_string()),
            "options": { "expectedVersion": -1 }
        }),
        Some(ADMIN),
    )
    .await;
    assert_eq!(codes(&response), ["BAD_INPUT"], "{response}");
    let message = response["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("expectedVersion"), "{response}");
    assert!(message.contains("0 or more"), "{response}");
    assert!(!message.contains("Failed to parse"), "{response}");
    assert_eq!(f.desk.journal().head().position.0, 0);
}

/// The whole queries (`{ ... }` in backticks) of a Markdown file.
fn queries_in(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = markdown;
    while let Some(at) = rest.find("`{ ") {
        rest = &rest[at + 1..];
        let Some(end) = rest.find('`') else { break };
        let text = rest[..end].replace('\n', " ");
        if text.ends_with('}') {
            found.push(text);
        }
        rest = &rest[end..];
    }
    found
}

#[tokio::test]
async fn the_queries_of_the_readme_run() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let queries = queries_in(&readme);
    assert!(queries.len() >= 2, "{queries:?}");
    let f = fixture(ApiConfig::default());
    for query in queries {
        let response = graphql(&f.app, &query, json!({}), None).await;
        assert_no_errors(&response);
        assert!(!response["data"].is_null(), "{query}");
    }
}
