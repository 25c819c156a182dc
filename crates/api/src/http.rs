//! The axum router: GraphQL over HTTP and WebSocket, health and metrics, with the request limits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLBatchRequest, GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::body::{Body, Bytes};
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use desk::read_audit::{PersonalDataRead, ReadAudit, ReadChannel};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

use crate::access::ReadLog;
use crate::auth::Refusal;
use crate::{AppState, Principal};

/// The whole HTTP application; tests call it with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.body_limit_bytes;
    let timeout = state.config.request_timeout;
    let mut router = Router::new();
    if state.config.dev {
        router = router.route("/graphiql/{file}", get(crate::graphiql::asset));
    }
    router
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        // The extractors enforce it, so that the handler answers 413 in the GraphQL shape.
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(state)
}

/// A handler that panicked: 500 with a generic GraphQL-shaped error; the panic message (which
/// may hold anything) goes nowhere but the server's log, and only its location.
fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(serde_json::json!({
            "errors": [{
                "message": "internal error; the event was logged for the operators",
                "extensions": { "code": crate::error::INTERNAL }
            }]
        })),
    )
        .into_response()
}

/// The bearer token of a request: `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The principal of a request, or why not.
fn authenticate(state: &AppState, token: Option<&str>) -> Result<Principal, Refusal> {
    let token = token.ok_or(Refusal::Missing)?;
    let outcome = state.tokens.authenticate(token, Utc::now());
    if let Err(refusal) = outcome {
        state.metrics.token_refused(refusal);
        // Never the token: its reason only.
        tracing::info!(reason = refusal.as_str(), "token refused");
    }
    outcome
}

/// 401 with a GraphQL-shaped error.
fn unauthenticated(refusal: Refusal) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        Json(serde_json::json!({
            "errors": [{
                "message": refusal.message(),
                "extensions": { "code": crate::error::UNAUTHENTICATED }
            }]
        })),
    )
        .into_response()
}

async fn graphql_post(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let started = Instant::now();
    let principal = match authenticate(&state, bearer(request.headers())) {
        Ok(principal) => principal,
        Err(refusal) => return unauthenticated(refusal),
    };
    // Buffer the body first: axum's `Bytes` answers a body over the limit with 413 whether or not
    // it came with a content-length (`GraphQLRequest` alone answers a streamed one with 400).
    let (parts, body) = request.into_parts();
    // The extensions carry the body limit (`DefaultBodyLimit`).
    let mut body_request = axum::extract::Request::new(body);
    *body_request.extensions_mut() = parts.extensions.clone();
    let body = match Bytes::from_request(body_request, &state).await {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return too_large(state.config.body_limit_bytes)
        }
        Err(_) => return bad_request_message("the request body could not be read"),
    };
    let request = axum::extract::Request::from_parts(parts, Body::from(body));
    let batch = match GraphQLBatchRequest::<GraphQLRejection>::from_request(request, &state).await {
        Ok(batch) => batch.into_inner(),
        Err(rejection) => return bad_request(&rejection.0),
    };
    let (requests, single) = match batch {
        BatchRequest::Single(request) => (vec![request], true),
        BatchRequest::Batch(requests) if requests.len() > state.config.max_batch => {
            return bad_request_message(&format!(
                "a batch holds at most {} operations; this one has {}",
                state.config.max_batch,
                requests.len()
            ))
        }
        BatchRequest::Batch(requests) => (requests, false),
    };
    let reads = ReadLog::default();
    let mut responses = Vec::with_capacity(requests.len());
    for request in requests {
        let request = request.data(principal.clone()).data(reads.clone());
        responses.push(state.schema.execute(request).await);
    }
    // The reads are recorded before anything is sent; if they cannot be, nothing is sent.
    if let Err(error) =
        record_reads(&state.read_audit, &principal, &reads, ReadChannel::Query).await
    {
        let error = crate::error::internal(error);
        responses = responses
            .iter()
            .map(|_| {
                async_graphql::Response::from_errors(vec![error
                    .clone()
                    .into_server_error(async_graphql::Pos::default())])
            })
            .collect();
    }
    state.metrics.observe_request(started.elapsed());
    let batch = if single && responses.len() == 1 {
        BatchResponse::Single(responses.remove(0))
    } else {
        BatchResponse::Batch(responses)
    };
    GraphQLResponse::from(batch).into_response()
}

/// Records in the read audit what a request showed of each person.
pub async fn record_reads(
    read_audit: &ReadAudit,
    principal: &Principal,
    reads: &ReadLog,
    channel: ReadChannel,
) -> Result<(), desk::DeskError> {
    let taken = reads.take();
    if taken.is_empty() {
        return Ok(());
    }
    let request = ulid::Ulid::new();
    let reads = taken
        .into_iter()
        .map(|(person, fields)| PersonalDataRead {
            person,
            fields: fields.into_iter().collect(),
            channel,
            request,
        })
        .collect();
    read_audit.record(&principal.actor, reads).await.map(|_| ())
}

/// A body that is not a GraphQL request: 400 with a GraphQL-shaped error a person can act on.
fn bad_request(error: &async_graphql::ParseRequestError) -> Response {
    let message = match error {
        async_graphql::ParseRequestError::InvalidRequest(_) => {
            "the body is not a GraphQL request: send JSON {\"query\": \"...\", \"variables\": {...}}"
        }
        async_graphql::ParseRequestError::PayloadTooLarge => "the request body is too large",
        _ => "the request cannot be read as GraphQL over HTTP",
    };
    bad_request_message(message)
}

/// 413 with a GraphQL-shaped error that states the limit.
fn too_large(limit_bytes: usize) -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        Json(serde_json::json!({
            "errors": [{
                "message": format!(
                    "the request body is larger than the server's limit of {limit_bytes} bytes \
                     ({} KiB): send less at once (a long text in variables counts too)",
                    limit_bytes / 1024
                ),
                "extensions": { "code": crate::error::BAD_INPUT }
            }]
        })),
    )
        .into_response()
}

fn bad_request_message(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({
            "errors": [{ "message": message, "extensions": { "code": crate::error::BAD_INPUT } }]
        })),
    )
        .into_response()
}

async fn graphql_get(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    let wants_socket = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if wants_socket {
        // A browser cannot set headers on a WebSocket: the token may also come in the
        // connection_init payload (`{"Authorization": "Bearer <token>"}`).
        let header_token = bearer(&parts.headers).map(str::to_owned);
        let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &state).await {
            Ok(protocol) => protocol,
            Err(rejection) => return rejection.into_response(),
        };
        let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(upgrade) => upgrade,
            Err(rejection) => return rejection.into_response(),
        };
        let schema = state.schema.clone();
        let transport_ws = speaks_graphql_transport_ws(&parts.headers);
        return upgrade
            .protocols(ALL_WEBSOCKET_PROTOCOLS)
            .on_upgrade(move |socket| async move {
                let refused = Arc::new(AtomicBool::new(false));
                let (sink, stream) = futures_util::StreamExt::split(socket);
                let closing = Arc::clone(&refused);
                let sink = futures_util::SinkExt::with(sink, move |message: Message| {
                    let message = if transport_ws {
                        close_code(message, closing.load(Ordering::SeqCst))
                    } else {
                        message
                    };
                    std::future::ready(Ok::<_, axum::Error>(message))
                });
                GraphQLWebSocket::new_with_pair(sink, stream, schema, protocol)
                    .on_connection_init(move |payload| async move {
                        let token = header_token.or_else(|| {
                            ["Authorization", "authorization"].iter().find_map(|key| {
                                let value = payload.get(*key)?.as_str()?;
                                let (scheme, token) = value.trim().split_once(' ')?;
                                scheme
                                    .eq_ignore_ascii_case("bearer")
                                    .then(|| token.trim().to_owned())
                            })
                        });
                        let principal = authenticate(&state, token.as_deref()).map_err(|r| {
                            refused.store(true, Ordering::SeqCst);
                            crate::error::coded(crate::error::UNAUTHENTICATED, r.message())
                        })?;
                        let mut data = async_graphql::Data::default();
                        data.insert(principal);
                        Ok(data)
                    })
                    .serve()
                    .await
            });
    }
    if state.config.dev {
        crate::graphiql::page()
    } else {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "GraphiQL is available only with --dev or --demo; send queries with POST /graphql",
        )
            .into_response()
    }
}

/// Whether the client asked for `graphql-transport-ws` (async-graphql takes the first protocol
/// of the header that it knows; the other one is the older `graphql-ws`).
fn speaks_graphql_transport_ws(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .find(|p| *p == "graphql-transport-ws" || *p == "graphql-ws")
        == Some("graphql-transport-ws")
}

/// The close codes of the `graphql-transport-ws` protocol, where async-graphql closes with
/// WebSocket's generic ones: 4403 Forbidden for a connection_init whose token is refused
/// (`refused`), 4400 for a message that is not of the protocol (1002), 4401 Unauthorized for a
/// subscribe before the connection is acknowledged (1011).
fn close_code(message: Message, refused: bool) -> Message {
    let Message::Close(Some(frame)) = message else {
        return message;
    };
    let (code, reason) = match (frame.code, refused) {
        (1002, true) => (4403, format!("Forbidden: {}", frame.reason.as_str())),
        (1002, false) => (4400, format!("Bad message: {}", frame.reason.as_str())),
        (1011, _) => (
            4401,
            "Unauthorized: send connection_init and wait for connection_ack first".to_owned(),
        ),
        (code, _) => (code, frame.reason.as_str().to_owned()),
    };
    Message::Close(Some(CloseFrame {
        code,
        reason: within_close_reason(&reason).into(),
    }))
}

/// A close frame's reason holds at most 123 bytes (RFC 6455 §5.5).
fn within_close_reason(reason: &str) -> &str {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let head = state.desk.journal().head();
    let applied = state.desk.applied_position();
    Json(serde_json::json!({
        "status": "ok",
        "head": head.position.0,
        "applied": applied.0,
    }))
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match authenticate(&state, bearer(&headers)) {
        Ok(principal)
            if matches!(
                principal.actor.role,
                domain::Role::Supervisor | domain::Role::Admin
            ) => {}
        Ok(_) => {
            return (
                StatusCode::FORBIDDEN,
                "metrics are for supervisors and admins",
            )
                .into_response()
        }
        Err(refusal) => return unauthenticated(refusal),
    }
    let head = state.desk.journal().head().position.0;
    let applied = state.desk.applied_position().0;
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(head, applied),
    )
        .into_response()
}
