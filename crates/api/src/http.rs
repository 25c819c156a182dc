//! The axum router: GraphQL over HTTP and WebSocket, health and metrics, with the request limits.

use std::time::Instant;

use async_graphql::http::{GraphiQLSource, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

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
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(state)
}

/// Reads the principal from the request headers (see [`Principal`]).
pub(crate) fn principal(headers: &HeaderMap) -> Option<Principal> {
    let id = headers.get("x-impact-actor")?.to_str().ok()?.trim();
    let role = headers.get("x-impact-role")?.to_str().ok()?.trim();
    if id.is_empty() || id.len() > 128 {
        return None;
    }
    let role = domain::Role::ALL
        .iter()
        .copied()
        .find(|r| r.as_str() == role)?;
    Some(Principal {
        actor: domain::Actor::new(id, role),
    })
}

async fn graphql_post(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let started = Instant::now();
    // Buffer the body first: axum's `Bytes` answers a body over the limit with 413 whether or not
    // it came with a content-length (`GraphQLRequest` alone answers a streamed one with 400).
    let (parts, body) = request.into_parts();
    let body = match Bytes::from_request(axum::extract::Request::new(body), &state).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let headers = parts.headers.clone();
    let request = axum::extract::Request::from_parts(parts, Body::from(body));
    let mut request = match GraphQLRequest::<GraphQLRejection>::from_request(request, &state).await
    {
        Ok(request) => request.into_inner(),
        Err(rejection) => return bad_request(&rejection.0),
    };
    if let Some(principal) = principal(&headers) {
        request = request.data(principal);
    }
    let response = state.schema.execute(request).await;
    state.metrics.observe_request(started.elapsed());
    GraphQLResponse::from(response).into_response()
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
        let principal = principal(&parts.headers);
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
                let mut data = async_graphql::Data::default();
                if let Some(principal) = principal {
                    data.insert(principal);
                }
                GraphQLWebSocket::new(socket, schema, protocol)
                    .with_data(data)
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

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let head = state.desk.journal().head().position.0;
    let applied = state.desk.applied_position().0;
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(head, applied),
    )
}
