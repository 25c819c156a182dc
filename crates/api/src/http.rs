//! The axum router: GraphQL over HTTP and WebSocket, health and metrics, with the request limits.

use std::time::Instant;

use async_graphql::http::{GraphiQLSource, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLBatchRequest, GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use desk::read_audit::{PersonalDataRead, ReadAudit, ReadChannel};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::access::ReadLog;
use crate::auth::Refusal;
use crate::{AppState, Principal};

/// The whole HTTP application; tests call it with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.body_limit_bytes;
    let timeout = state.config.request_timeout;
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(RequestBodyLimitLayer::new(body_limit))
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
    let body = match Bytes::from_request(axum::extract::Request::new(body), &state).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
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
        return upgrade
            .protocols(ALL_WEBSOCKET_PROTOCOLS)
            .on_upgrade(move |socket| async move {
                GraphQLWebSocket::new(socket, schema, protocol)
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
        Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql")
                .finish(),
        )
        .into_response()
    } else {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "GraphiQL is available only with --dev or --demo; send queries with POST /graphql",
        )
            .into_response()
    }
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
