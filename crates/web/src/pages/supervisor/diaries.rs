//! The supervisor's diaries: every mediator's entries of a month with the comments under them,
//! and under each a form to comment (`commentLogbookEntry`). The month is in the URL; the
//! entries' text never is.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate, Utc};
use domain::Role;
use serde::Deserialize;
use serde_json::json;
use ulid::Ulid;

use crate::forms::{Fields, FormErrors};
use crate::pages::{ask, csrf_ok, failed, page, refused, require, Ctx};
use crate::Web;

#[derive(Deserialize)]
pub struct DiariesQuery {
    /// `aaaa-mm`; this month when omitted.
    mese: Option<String>,
}

/// The first and last day of `aaaa-mm`, if it is one.
fn month_days(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)?
    };
    Some((first, next.pred_opt()?))
}

fn this_month() -> String {
    let today = crate::time::today(Utc::now());
    format!("{:04}-{:02}", today.year(), today.month())
}

/// The page of `month`, with `errors` under the entry `failed_entry` (a comment refused).
async fn show(
    web: &Web,
    ctx: &Ctx,
    account: &crate::Account,
    month: String,
    failed_entry: Option<(String, String, FormErrors)>,
) -> Response {
    let Some((from, to)) = month_days(&month) else {
        return refused(web, ctx, StatusCode::NOT_FOUND, "refused-not-found");
    };
    let outcome = ask(
        web,
        account,
        "query Diaries($from: NaiveDate!, $to: NaiveDate!) {
           diaries(from: $from, to: $to) {
             id site date writtenAt mediator slot contacts languages emergingNeeds
             observations incidents difficulties strategies trainingNeeds onClosedDay
             comments { occurredAt supervisor comment }
           }
         }",
        json!({ "from": from.to_string(), "to": to.to_string() }),
    )
    .await;
    let data = match outcome {
        Ok(data) => data,
        Err(refusals) => return failed(web, ctx, &refusals),
    };
    let (failed_id, failed_text, errors) = match failed_entry {
        Some((id, text, errors)) => (Some(id), Some(text), Some(errors)),
        None => (None, None, None),
    };
    let status = if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(
        web,
        ctx,
        status,
        "diaries.html",
        minijinja::context! {
            month,
            entries => minijinja::Value::from_serialize(&data["diaries"]),
            // A fresh event id per form: a comment sent twice is recorded once.
            event_id => Ulid::new().to_string(),
            failed_id,
            failed_text,
            errors => minijinja::Value::from_serialize(&errors),
        },
    )
}

/// `GET /diari?mese=aaaa-mm`.
pub async fn diaries(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<DiariesQuery>,
) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Supervisor]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let month = query.mese.unwrap_or_else(this_month);
    show(&web, &ctx, &account, month, None).await
}

/// `POST /diari/commento`: a comment under an entry, then back to the month's diaries.
pub async fn comment(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Supervisor]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let fields = Fields::parse(&body);
    if !csrf_ok(&ctx, fields.get("csrf")) {
        return refused(&web, &ctx, StatusCode::FORBIDDEN, "refused-csrf");
    }
    let month = Some(fields.get("month"))
        .filter(|m| month_days(m).is_some())
        .map_or_else(this_month, str::to_owned);
    let entry = fields.get("entryId").to_owned();
    let text = fields.get("comment").to_owned();
    // Written when the form was drawn (its event id's instant): a retry is the same command.
    let at = Ulid::from_string(fields.get("eventId"))
        .map(|id| chrono::DateTime::<Utc>::from(id.datetime()))
        .unwrap_or_else(|_| Utc::now());
    let outcome = ask(
        &web,
        &account,
        "mutation Comment($input: CommentLogbookEntryInput!, $eventId: ID) {
           commentLogbookEntry(input: $input, options: { eventId: $eventId }) { alreadyRecorded }
         }",
        json!({
            "input": { "entryId": entry, "occurredAt": at.to_rfc3339(), "comment": text },
            "eventId": fields.get("eventId"),
        }),
    )
    .await;
    match outcome {
        Ok(_) => {
            let anchor = Ulid::from_string(&entry)
                .map(|id| format!("#e-{id}"))
                .unwrap_or_default();
            Redirect::to(&format!("/diari?mese={month}{anchor}")).into_response()
        }
        Err(refusals) => {
            let errors =
                FormErrors::from_refusals(&refusals, &["comment"], &web.catalogues, ctx.lang);
            show(&web, &ctx, &account, month, Some((entry, text, errors))).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_runs_from_its_first_to_its_last_day() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            month_days("2024-02"),
            Some((day("2024-02-01"), day("2024-02-29")))
        );
        assert_eq!(
            month_days("2024-12"),
            Some((day("2024-12-01"), day("2024-12-31")))
        );
        assert_eq!(month_days("2024-13"), None);
        assert_eq!(month_days("../x"), None);
    }
}
