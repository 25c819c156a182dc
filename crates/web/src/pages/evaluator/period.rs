//! The evaluator's period: the figures of a month as the journal knew them at the end of a
//! chosen day (`asOf`), small cells suppressed for evaluators (shown as such, with the
//! threshold), the pseudonymised persons of that moment, and the bundle of the events
//! recorded in the month, downloaded with the command that verifies it offline. Months and days
//! are the only things in the URLs.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate, Utc};
use domain::Role;
use serde::Deserialize;
use serde_json::json;

use crate::pages::{ask, failed, page, refused, require, Ctx};
use crate::Web;

#[derive(Deserialize)]
pub struct PeriodQuery {
    /// `aaaa-mm`; last month when omitted.
    mese: Option<String>,
    /// The day (`gg/mm/aaaa` or `aaaa-mm-gg`) at whose end the figures are taken; today when
    /// omitted.
    al: Option<String>,
}

/// The first and last day of `aaaa-mm`.
fn month_days(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((first, next.pred_opt()?))
}

fn last_month() -> String {
    let today = crate::time::today(Utc::now());
    let day = today
        .checked_sub_months(chrono::Months::new(1))
        .unwrap_or(today);
    format!("{:04}-{:02}", day.year(), day.month())
}

/// `GET /periodo`.
pub async fn period(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Evaluator, Role::Supervisor]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let month = query.mese.unwrap_or_else(last_month);
    let Some((from, to)) = month_days(&month) else {
        return refused(&web, &ctx, StatusCode::NOT_FOUND, "refused-not-found");
    };
    let today = crate::time::today(Utc::now());
    let as_of_day = query
        .al
        .as_deref()
        .and_then(crate::time::parse_date)
        .unwrap_or(today);
    // The end of that day in Italy: what had been recorded by then.
    let as_of = crate::time::instant(
        as_of_day.succ_opt().unwrap_or(as_of_day),
        chrono::NaiveTime::MIN,
    )
    .unwrap_or_else(Utc::now)
    .min(Utc::now());
    let outcome = ask(
        &web,
        &account,
        "query Period($period: String!, $asOf: AsOfInput) {
           publicKey { hex }
           monitoring(period: $period, asOf: $asOf) {
             from to asOfPosition minCell suppressed totalContacts openCases
             contacts { activity site contacts distinctPersons suppressed }
             beneficiaries { total new returning byCitizenship { key count suppressed } bySex { key count suppressed } byAgeBand { key count suppressed } }
             mediation { requests sessions hours }
             referralFunnel { serviceName issued accepted concluded serviceReceived suppressed }
             satisfaction { responses }
           }
           pseudonymisedPersons(asOf: $asOf, first: 100) {
             minCell heldBack
             edges { node { pseudonym site registeredMonth ageBand sex citizenship citizenshipArea permitType minor householdSize } }
             pageInfo { hasNextPage }
           }
         }",
        json!({ "period": month, "asOf": { "at": as_of.to_rfc3339() } }),
    )
    .await;
    let data = match outcome {
        Ok(data) => data,
        Err(refusals) => return failed(&web, &ctx, &refusals),
    };
    page(
        &web,
        &ctx,
        StatusCode::OK,
        "period.html",
        minijinja::context! {
            month,
            as_of_day => crate::time::date(as_of_day),
            from => from.to_string(),
            to => to.to_string(),
            key => data["publicKey"]["hex"].as_str().unwrap_or("").to_owned(),
            report => minijinja::Value::from_serialize(&data["monitoring"]),
            persons => minijinja::Value::from_serialize(&data["pseudonymisedPersons"]["edges"]),
            more_persons => data["pseudonymisedPersons"]["pageInfo"]["hasNextPage"].as_bool(),
            held_back => data["pseudonymisedPersons"]["heldBack"].as_u64().unwrap_or(0),
            min_cell => data["pseudonymisedPersons"]["minCell"].as_u64(),
        },
    )
}

#[derive(Deserialize)]
pub struct BundleQuery {
    /// `aaaa-mm`: the month of recording.
    mese: String,
}

/// `GET /pacchetto?mese=aaaa-mm`: the bundle of the events recorded in that month, as a file.
pub async fn bundle(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<BundleQuery>,
) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Evaluator, Role::Supervisor]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let Some((from, to)) = month_days(&query.mese) else {
        return refused(&web, &ctx, StatusCode::NOT_FOUND, "refused-not-found");
    };
    let outcome = ask(
        &web,
        &account,
        "query Bundle($from: NaiveDate!, $to: NaiveDate!) { evaluatorBundle(from: $from, to: $to) }",
        json!({ "from": from.to_string(), "to": to.to_string() }),
    )
    .await;
    match outcome {
        Ok(data) => {
            let body = serde_json::to_vec_pretty(&data["evaluatorBundle"]).unwrap_or_default();
            let name = format!("attachment; filename=\"impact-bundle-{}.json\"", query.mese);
            (
                StatusCode::OK,
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&name)
                            .unwrap_or(HeaderValue::from_static("attachment")),
                    ),
                ],
                body,
            )
                .into_response()
        }
        Err(refusals) if refusals.iter().any(|r| r.code == "NOT_FOUND") => {
            refused(&web, &ctx, StatusCode::NOT_FOUND, "period-nothing-recorded")
        }
        Err(refusals) => failed(&web, &ctx, &refusals),
    }
}
