//! The one door: every read and write of the pages is a GraphQL operation run in-process on
//! the schema the HTTP endpoint runs, with the signed-in account's principal as the request's
//! identity (exactly as a bearer token's is), so roles, site scoping, rules and the read audit
//! are the API's own. The reads an operation logged are recorded before the page is sent.

use async_graphql::{Request, Variables};
use serde_json::Value;

use api::access::ReadLog;
use api::{Principal, ReadChannel};

/// One error of an operation, as the pages need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `extensions.code` (`REJECTED`, `BAD_INPUT`, `FORBIDDEN`, ...).
    pub code: String,
    /// `extensions.field`: the input field named, if any.
    pub field: Option<String>,
    /// `extensions.reason`: the domain's rejection kind, snake case.
    pub reason: Option<String>,
    /// The API's sentence, in English; shown only when no catalogue message fits.
    pub message: String,
}

/// What an operation answered: its data, or its errors.
pub type Outcome = Result<Value, Vec<Refusal>>;

/// Runs `query` with `variables` as `principal`.
pub async fn run(
    state: &api::AppState,
    principal: &Principal,
    query: &str,
    variables: Value,
) -> Outcome {
    let reads = ReadLog::default();
    let request = Request::new(query)
        .variables(Variables::from_json(variables))
        .data(principal.clone())
        .data(reads.clone());
    let response = state.schema.execute(request).await;
    if let Err(error) =
        api::record_reads(&state.read_audit, principal, &reads, ReadChannel::Query).await
    {
        tracing::error!(%error, "the reads of a page cannot be recorded; nothing is shown");
        return Err(vec![Refusal {
            code: "INTERNAL".into(),
            field: None,
            reason: None,
            message: "internal error".into(),
        }]);
    }
    if response.errors.is_empty() {
        return Ok(response.data.into_json().unwrap_or(Value::Null));
    }
    Err(response
        .errors
        .into_iter()
        .map(|error| {
            let extension = |name: &str| {
                error
                    .extensions
                    .as_ref()
                    .and_then(|e| e.get(name))
                    .and_then(|v| v.clone().into_json().ok())
                    .and_then(|v| v.as_str().map(str::to_owned))
            };
            Refusal {
                code: extension("code").unwrap_or_else(|| "INTERNAL".into()),
                field: extension("field"),
                reason: extension("reason"),
                message: error.message,
            }
        })
        .collect())
}
