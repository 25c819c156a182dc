//! The GraphQL API of the IMPACT case journal, served by axum.
//!
//! `POST /graphql` (queries and mutations), `GET /graphql` (GraphiQL in dev mode, or a
//! `graphql-transport-ws` WebSocket for subscriptions), `GET /healthz`, `GET /metrics`
//! (Prometheus text).
//!
//! Key items: [`build_schema`], [`app`], [`AppState`], [`ApiConfig`], [`Principal`].
//! Invariant: this is the only crate that knows GraphQL and HTTP; every error leaves through
//! [`error`] with an `extensions.code`, and no internal detail reaches a client.

pub mod error;
mod http;
mod inputs;
mod metrics;
mod mutations;
mod objects;
mod proofs;
mod queries;
mod read_models;
mod subscription;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{MergedObject, Schema};
use desk::Desk;

pub use http::app;
pub use metrics::Metrics;
pub use mutations::MutationRoot;
pub use subscription::SubscriptionRoot;

/// The query root: the audit trail and chain, and the read models.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    queries::AuditQuery,
    read_models::ReadModelQuery,
    proofs::ProofQuery,
);

pub type ImpactSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Limits and switches of the API.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// GraphiQL, introspection and field suggestions; off in production.
    pub dev: bool,
    /// Largest request body; a larger one is answered with HTTP 413.
    pub body_limit_bytes: usize,
    /// Longest a request may run; a slower one is answered with HTTP 408.
    pub request_timeout: Duration,
    pub max_depth: usize,
    pub max_complexity: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            dev: false,
            body_limit_bytes: 256 * 1024,
            request_timeout: Duration::from_secs(30),
            max_depth: 12,
            max_complexity: 5_000,
        }
    }
}

/// Who is asking. Until accounts and tokens arrive (issue #6) the identity comes from the
/// `x-impact-actor` and `x-impact-role` headers; the actor recorded in an event is always this
/// principal, never a field of the mutation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub actor: domain::Actor,
}

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    pub desk: Desk,
    pub schema: ImpactSchema,
    pub metrics: Arc<Metrics>,
    pub config: ApiConfig,
}

impl AppState {
    pub fn new(desk: Desk, config: ApiConfig) -> AppState {
        let metrics = Arc::new(Metrics::new());
        let schema = build_schema(desk.clone(), &config, Arc::clone(&metrics));
        AppState {
            desk,
            schema,
            metrics,
            config,
        }
    }
}

/// Builds the schema with its limits; the desk and metrics are reachable from every resolver.
pub fn build_schema(desk: Desk, config: &ApiConfig, metrics: Arc<Metrics>) -> ImpactSchema {
    let mut builder = Schema::build(QueryRoot::default(), MutationRoot, SubscriptionRoot)
        .extension(error::ErrorCodes)
        .data(desk)
        .data(metrics)
        .limit_depth(config.max_depth)
        .limit_complexity(config.max_complexity);
    if !config.dev {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The SDL of the schema the code builds; `schema.graphql` must equal it.
pub fn sdl() -> String {
    Schema::build(QueryRoot::default(), MutationRoot, SubscriptionRoot)
        .finish()
        .sdl()
}
