//! The GraphQL API of the IMPACT case journal, served by axum.
//!
//! `POST /graphql` (queries and mutations), `GET /graphql` (GraphiQL in dev mode, its files under
//! `GET /graphiql/`, or a `graphql-transport-ws` WebSocket for subscriptions), `GET /healthz`,
//! `GET /metrics` (Prometheus text).
//!
//! Key items: [`build_schema`], [`app`], [`AppState`], [`ApiConfig`], [`Principal`].
//! Invariant: this is the only crate that knows GraphQL and HTTP; every error leaves through
//! [`error`] with an `extensions.code`, and no internal detail reaches a client.

pub mod access;
pub mod auth;
pub mod error;
mod evaluation;
mod executor;
mod graphiql;
mod http;
mod inputs;
mod limits;
mod metrics;
mod mutations;
mod objects;
mod proofs;
mod queries;
mod read_models;
mod region_report;
mod subscription;
mod viewer;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{MergedObject, Schema};
use desk::read_audit::ReadAudit;
use desk::Desk;

pub use desk::read_audit::ReadChannel;
pub use executor::Api;
pub use http::{app, record_reads};
pub use metrics::Metrics;
pub use mutations::MutationRoot;
pub use subscription::SubscriptionRoot;

/// The query root: the audit trail and chain, and the read models.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    queries::AuditQuery,
    read_models::ReadModelQuery,
    read_models::PersonSearchQuery,
    read_models::DuplicateQuery,
    read_models::PersonHistoryQuery,
    read_models::CalendarQuery,
    read_models::DiaryQuery,
    evaluation::EvaluationQuery,
    region_report::RegionReportQuery,
    proofs::ProofQuery,
    viewer::ViewerQuery,
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
    /// Most fields with an alias in one operation (aliases multiply the work of one request).
    pub max_aliases: usize,
    /// Most operations in one batched request (a JSON array of requests).
    pub max_batch: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            dev: false,
            body_limit_bytes: 256 * 1024,
            request_timeout: Duration::from_secs(30),
            max_depth: 12,
            max_complexity: 5_000,
            max_aliases: 30,
            max_batch: 10,
        }
    }
}

/// Who is asking: the identity of the request's bearer token ([`auth::Tokens`]). The actor
/// recorded in an event is always this principal, never a field of the mutation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub actor: domain::Actor,
    /// The sites a mediator works at (one or more, in rotation); empty for the other roles.
    pub sites: Vec<domain::SiteId>,
    /// The token that authenticated the request (`None` in tests that run the schema alone).
    pub token_id: Option<ulid::Ulid>,
}

impl Principal {
    /// A principal without a token, for tests and tools that run the schema directly.
    pub fn new(actor: domain::Actor, site: Option<domain::SiteId>) -> Principal {
        Principal::at_sites(actor, site.into_iter().collect())
    }

    /// A principal of several sites (a mediator in rotation), without a token.
    pub fn at_sites(actor: domain::Actor, sites: Vec<domain::SiteId>) -> Principal {
        Principal {
            actor,
            sites,
            token_id: None,
        }
    }
}

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    pub desk: Desk,
    pub schema: Api,
    pub metrics: Arc<Metrics>,
    pub config: ApiConfig,
    pub tokens: auth::Tokens,
    pub read_audit: ReadAudit,
}

impl AppState {
    pub fn new(desk: Desk, config: ApiConfig, security: Security) -> AppState {
        let metrics = Arc::new(Metrics::new());
        let schema = Api::new(
            build_schema(desk.clone(), &config, Arc::clone(&metrics), &security),
            &config,
        );
        AppState {
            desk,
            schema,
            metrics,
            config,
            tokens: security.tokens,
            read_audit: security.read_audit,
        }
    }
}

/// The accounts and the read audit of one data directory (the pseudonyms evaluators see come
/// from the desk's key store).
#[derive(Clone)]
pub struct Security {
    pub tokens: auth::Tokens,
    pub read_audit: ReadAudit,
}

impl Security {
    /// Opens the token file and the read audit of a data directory.
    pub fn open(data_dir: &std::path::Path) -> Result<Security, String> {
        Ok(Security {
            tokens: auth::Tokens::open(data_dir).map_err(|e| e.to_string())?,
            read_audit: ReadAudit::open(data_dir).map_err(|e| e.to_string())?,
        })
    }
}

/// Builds the schema with its complexity limit; the desk, metrics and read audit are reachable
/// from every resolver. The depth limit is [`Api`]'s, which counts introspection apart.
pub fn build_schema(
    desk: Desk,
    config: &ApiConfig,
    metrics: Arc<Metrics>,
    security: &Security,
) -> ImpactSchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .data(desk)
    .data(metrics)
    .data(security.read_audit.clone())
    .limit_complexity(config.max_complexity);
    if !config.dev {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The SDL of the schema the code builds; `schema.graphql` must equal it.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .finish()
    .sdl()
}
