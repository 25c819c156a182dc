//! The diaries of the mediator's sites (*diario di bordo*), with their text and the
//! supervisors' comments under each entry.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::json;

use super::mediator;
use crate::pages::{ask, failed, page};
use crate::{time, Web};

#[derive(Deserialize)]
pub struct DiariesQuery {
    /// First day, `gg/mm/aaaa` or `aaaa-mm-gg`: dates, never data.
    dal: Option<String>,
    /// Last day.
    al: Option<String>,
}

/// `GET /sede/diari`: the entries of the period (the last four weeks unless asked), newest first.
pub async fn diaries(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<DiariesQuery>,
) -> Response {
    let (ctx, account) = match mediator(&web, &headers) {
        Ok(signed_in) => signed_in,
        Err(response) => return *response,
    };
    let today = time::today(Utc::now());
    let to = query
        .al
        .as_deref()
        .and_then(time::parse_date)
        .unwrap_or(today);
    let from = query
        .dal
        .as_deref()
        .and_then(time::parse_date)
        .unwrap_or(to - Duration::days(27));
    let outcome = ask(
        &web,
        &account,
        "query Diaries($from: NaiveDate!, $to: NaiveDate!) {
           diaries(from: $from, to: $to) {
             id site date writtenAt mediator slot contacts languages emergingNeeds
             observations incidents difficulties strategies trainingNeeds
             comments { occurredAt supervisor comment }
             onClosedDay redacted
           }
         }",
        json!({ "from": from, "to": to }),
    )
    .await;
    let mut entries = match outcome {
        Ok(data) => data["diaries"].as_array().cloned().unwrap_or_default(),
        Err(refusals) => return failed(&web, &ctx, &refusals),
    };
    entries.reverse();
    page(
        &web,
        &ctx,
        StatusCode::OK,
        "site_diaries.html",
        minijinja::context! {
            from => time::date(from),
            to => time::date(to),
            entries => minijinja::Value::from_serialize(&entries),
        },
    )
}
