//! The schema as the server runs it: every request's document is parsed once, checked against
//! the limits async-graphql has no setting for (aliases, depth with introspection counted apart,
//! introspection only in dev mode), and every error that leaves gets an `extensions.code`. Both are done around the schema rather than as async-graphql extensions:
//! with any extension installed, async-graphql sends every resolved field through the extension
//! chain, which cost a page of the audit trail a large share of its time (docs/BENCHMARKS.md).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::futures_util::stream::BoxStream;
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Data, Executor, Request, Response, ServerError};
use futures_util::StreamExt;
use parking_lot::Mutex;

use crate::error::{BAD_INPUT, FORBIDDEN};
use crate::limits::{self, INTROSPECTION_MAX_DEPTH};
use crate::{ApiConfig, ImpactSchema};

/// How many parsed documents are kept. Clients send a handful of distinct queries (with
/// variables); when a client sends more, the cache starts over.
const PARSED_KEPT: usize = 256;

/// Parsed documents by the blake3 hash of their text: async-graphql parses every request
/// anew, and parsing a page query costs more than cloning its parsed form.
#[derive(Default)]
struct Parsed(Mutex<HashMap<[u8; 32], ExecutableDocument>>);

/// The schema with its limits and error codes. Cheap to clone.
#[derive(Clone)]
pub struct Api {
    schema: ImpactSchema,
    max_aliases: usize,
    max_depth: usize,
    /// Introspection allowed (`--dev`, `--demo`).
    dev: bool,
    parsed: Arc<Parsed>,
}

impl Api {
    pub fn new(schema: ImpactSchema, config: &ApiConfig) -> Api {
        Api {
            schema,
            max_aliases: config.max_aliases,
            max_depth: config.max_depth,
            dev: config.dev,
            parsed: Arc::default(),
        }
    }

    /// The schema itself (its SDL, its data).
    pub fn schema(&self) -> &ImpactSchema {
        &self.schema
    }

    /// Runs a query or a mutation.
    pub async fn execute(&self, request: impl Into<Request>) -> Response {
        let mut request = request.into();
        if let Some(refused) = self.refuse(&mut request) {
            return refused;
        }
        coded(self.schema.execute(request).await)
    }

    /// Runs a subscription (or a query, as a stream of one response).
    pub fn execute_stream(&self, request: impl Into<Request>) -> BoxStream<'static, Response> {
        self.stream(request.into(), None)
    }

    fn stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        if let Some(refused) = self.refuse(&mut request) {
            return futures_util::stream::once(async move { refused }).boxed();
        }
        let stream = match session_data {
            Some(data) => self.schema.execute_stream_with_session_data(request, data),
            None => self.schema.execute_stream(request),
        };
        stream.map(coded).boxed()
    }

    /// A document that does not parse, or is over a limit, refused before anything runs.
    fn refuse(&self, request: &mut Request) -> Option<Response> {
        let key = *blake3::hash(request.query.as_bytes()).as_bytes();
        let cached = self.parsed.0.lock().get(&key).cloned();
        match cached {
            Some(document) => request.set_parsed_query(document),
            None => {
                let document = match request.parsed_query() {
                    Ok(document) => document.clone(),
                    Err(error) => return Some(unparsed(&request.query, &error)),
                };
                let mut parsed = self.parsed.0.lock();
                if parsed.len() >= PARSED_KEPT {
                    parsed.clear();
                }
                parsed.insert(key, document);
            }
        }
        let document = request.parsed_query().ok()?;
        let found = limits::aliases(document);
        if found > self.max_aliases {
            return Some(refusal(
                BAD_INPUT,
                format!(
                    "the query uses {found} aliases; at most {} are allowed",
                    self.max_aliases
                ),
            ));
        }
        let depth = limits::depth(document);
        if depth.introspects && !self.dev {
            return Some(refusal(
                FORBIDDEN,
                "introspection (__schema, __type) is turned off on this server; it is on with \
                 --dev or --demo, and the schema is in schema.graphql",
            ));
        }
        if depth.data > self.max_depth {
            return Some(refusal(
                BAD_INPUT,
                format!(
                    "the query is nested too deep: {} levels of fields, at most {} are allowed \
                     (introspection is counted apart)",
                    depth.data, self.max_depth
                ),
            ));
        }
        if depth.introspection > INTROSPECTION_MAX_DEPTH {
            return Some(refusal(
                BAD_INPUT,
                format!(
                    "the introspection is nested too deep: {} levels of fields, at most \
                     {INTROSPECTION_MAX_DEPTH} are allowed",
                    depth.introspection
                ),
            ));
        }
        None
    }
}

fn refusal(code: &'static str, message: impl Into<String>) -> Response {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    Response::from_errors(vec![error])
}

/// A query that does not parse: where, in words, without the parser's own dump.
fn unparsed(query: &str, error: &ServerError) -> Response {
    let blank = query
        .lines()
        .map(|line| line.split_once('#').map_or(line, |(code, _)| code))
        .all(|code| code.chars().all(|c| c.is_whitespace() || c == ','));
    let message = if blank {
        "the query is empty: send a GraphQL operation, for example { __typename }".to_owned()
    } else {
        match error.locations.first() {
            Some(at) => format!(
                "the query is not valid GraphQL: look at line {}, column {}",
                at.line, at.column
            ),
            None => "the query is not valid GraphQL".to_owned(),
        }
    };
    refusal(BAD_INPUT, message)
}

/// What async-graphql answers a subscription sent over plain HTTP.
const SUBSCRIPTION_OVER_HTTP: &str = "Subscriptions are not supported on this transport.";

/// Gives every error without a code `BAD_INPUT`: errors raised before any resolver runs (a query
/// that does not parse or validate, a wrong enum value or type, a limit exceeded) carry none of
/// their own, and are the client's to fix. A subscription sent with a POST is told where
/// subscriptions go.
fn coded(mut response: Response) -> Response {
    for error in &mut response.errors {
        if error.message == SUBSCRIPTION_OVER_HTTP {
            error.message = "a subscription runs over a WebSocket: connect to /graphql with the \
                 graphql-transport-ws protocol (the graphql-ws client does), not with a POST"
                .to_owned();
        }
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if !has_code {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", BAD_INPUT);
        }
    }
    response
}

impl Executor for Api {
    async fn execute(&self, request: Request) -> Response {
        Api::execute(self, request).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        self.stream(request, session_data)
    }
}
