//! The supervisor's pages: the month's figures (each chart an SVG drawn here, beside its
//! table), the audit trail with each event's hash and the chain's verified head, and who read a
//! person's data. The diaries with their comments and the erasure of a person are in
//! `supervisor/`.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::Role;
use serde::Deserialize;
use serde_json::{json, Value};
use ulid::Ulid;

use super::{ask, csrf_ok, failed, page, refused, require, Ctx};
use crate::forms::{Fields, FormErrors};
use crate::Web;

mod charts;
pub mod diaries;
pub mod erase;

#[derive(Deserialize)]
pub struct MonthQuery {
    /// `aaaa-mm`; the month of the latest event when omitted.
    mese: Option<String>,
}

pub async fn month(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<MonthQuery>,
) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Supervisor]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let month = match query
        .mese
        .filter(|m| chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_ok())
    {
        Some(month) => month,
        None => {
            let latest = ask(
                &web,
                &account,
                "{ auditTrail(last: 1) { nodes { occurredAt } } }",
                json!({}),
            )
            .await;
            latest
                .ok()
                .and_then(|data| {
                    data["auditTrail"]["nodes"][0]["occurredAt"]
                        .as_str()
                        .map(str::to_owned)
                })
                .and_then(|at| at.get(..7).map(str::to_owned))
                .unwrap_or_else(|| {
                    super::mediator::month_of(crate::time::today(chrono::Utc::now()))
                })
        }
    };
    let outcome = ask(
        &web,
        &account,
        "query Month($period: String!) {
           monitoring(period: $period) {
             from to totalContacts openCases
             contacts { activity site contacts distinctPersons }
             beneficiaries { total new returning
               byCitizenship { key count } bySex { key count } byAgeBand { key count } }
             mediation { requests sessions cancelled hours byLanguage { key requests sessions } }
             referralFunnel { serviceName issued accepted concluded serviceReceived }
             satisfaction { responses helpfulShare items { item answers mean } }
             compliance { everyMonthHasMeeting everyOpeningDayHasEntry
               months { month meetings } logbook { site openingDays daysWithEntry missingDays } }
           }
         }",
        json!({ "period": month }),
    )
    .await;
    let data = match outcome {
        Ok(data) => data,
        Err(refusals) => return failed(&web, &ctx, &refusals),
    };
    let charts = charts::of_month(&web, ctx.lang, &data["monitoring"]);
    page(
        &web,
        &ctx,
        StatusCode::OK,
        "month.html",
        minijinja::context! {
            month,
            charts,
            report => minijinja::Value::from_serialize(&data["monitoring"]),
        },
    )
}

#[derive(Deserialize, Default)]
pub struct TrailQuery {
    /// The cursor (a position) after which the page starts: no personal data.
    dopo: Option<String>,
    /// Present: the latest twenty events instead of the first.
    ultimi: Option<String>,
    /// The filters, none of them personal data: an event type, the actor's role, a site's
    /// slug, and the first and last day of recording (Italian days).
    tipo: Option<String>,
    ruolo: Option<String>,
    sede: Option<String>,
    dal: Option<String>,
    al: Option<String>,
}

/// The trail's filter as the API takes it, and the same as the page's query string (for the
/// next page's link and the form), from what the page was asked; what is not well formed is
/// dropped (the form shows it empty).
fn trail_filter(query: &TrailQuery) -> (Value, Vec<(&'static str, String)>) {
    let word = |text: &Option<String>, extra: u8| {
        text.as_deref()
            .map(str::trim)
            .filter(|t| {
                !t.is_empty()
                    && t.len() <= 64
                    && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == extra)
            })
            .map(str::to_owned)
    };
    let mut filter = serde_json::Map::new();
    let mut kept = Vec::new();
    if let Some(kind) = word(&query.tipo, b'_') {
        filter.insert("types".into(), json!([kind]));
        kept.push(("tipo", kind));
    }
    if let Some(role) = word(&query.ruolo, b'_')
        .filter(|r| ["mediator", "supervisor", "evaluator", "admin"].contains(&r.as_str()))
    {
        filter.insert("role".into(), json!(role));
        kept.push(("ruolo", role));
    }
    if let Some(site) = word(&query.sede, b'-') {
        filter.insert("site".into(), json!(site));
        kept.push(("sede", site));
    }
    let day = |text: &Option<String>| text.as_deref().and_then(crate::time::parse_date);
    let midnight = |d: chrono::NaiveDate| crate::time::instant(d, chrono::NaiveTime::MIN);
    if let Some(from) = day(&query.dal) {
        if let Some(at) = midnight(from) {
            filter.insert("recordedFrom".into(), json!(at.to_rfc3339()));
            kept.push(("dal", from.to_string()));
        }
    }
    if let Some(to) = day(&query.al) {
        if let Some(at) = to.succ_opt().and_then(midnight) {
            filter.insert("recordedTo".into(), json!(at.to_rfc3339()));
            kept.push(("al", to.to_string()));
        }
    }
    (Value::Object(filter), kept)
}

/// The audit trail, twenty events a page, each with its hash, and the chain verified.
pub async fn trail(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<TrailQuery>,
) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Supervisor]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let (filter, kept) = trail_filter(&query);
    let after = query
        .dopo
        .filter(|c| c.len() <= 20 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'='));
    let outcome = ask(
        &web,
        &account,
        "query Trail($after: String, $first: Int, $last: Int, $filter: EventFilter) {
           chain { head { position hash } verify { intact checked head { position hash } problem { position kind } } }
           auditTrail(filter: $filter, first: $first, after: $after, last: $last) {
             nodes { position type stream occurredAt recordedAt actor { id role } hash }
             pageInfo { hasNextPage endCursor }
           }
         }",
        match query.ultimi {
            Some(_) => json!({ "last": 20, "filter": filter }),
            None => json!({ "after": after, "first": 20, "filter": filter }),
        },
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
        "trail.html",
        minijinja::context! {
            chain => minijinja::Value::from_serialize(&data["chain"]),
            trail => minijinja::Value::from_serialize(&data["auditTrail"]),
            event_types => domain::EVENT_TYPES.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
            roles => ["mediator", "supervisor", "evaluator", "admin"],
            chosen => kept.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
            filter_query => form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept.iter().map(|(k, v)| (*k, v.as_str())))
                .finish(),
        },
    )
}

pub async fn reads_form(State(web): State<Web>, headers: HeaderMap) -> Response {
    let ctx = Ctx::of(&web, &headers);
    if let Err(response) = require(&web, &ctx, &[Role::Supervisor]) {
        return *response;
    }
    page(
        &web,
        &ctx,
        StatusCode::OK,
        "reads.html",
        minijinja::context! {},
    )
}

/// `POST /letture`: who read a person's data (the person's id is sent in the body).
pub async fn reads(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Supervisor]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let fields = Fields::parse(&body);
    if !csrf_ok(&ctx, fields.get("csrf")) {
        return refused(&web, &ctx, StatusCode::FORBIDDEN, "refused-csrf");
    }
    let person = fields.get("personId").to_owned();
    let mut errors = FormErrors::default();
    if Ulid::from_string(&person).is_err() {
        errors.field(
            "personId",
            web.catalogues.text(ctx.lang, "form-not-an-id", &[]),
        );
        return page(
            &web,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "reads.html",
            minijinja::context! { person_id => person, errors => minijinja::Value::from_serialize(&errors) },
        );
    }
    let outcome = ask(
        &web,
        &account,
        "query Reads($id: ID!) { readsOfPerson(personId: $id) { at actorId actorRole fields channel } }",
        json!({ "id": person }),
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
        "reads.html",
        minijinja::context! {
            person_id => person,
            reads => minijinja::Value::from_serialize(&data["readsOfPerson"]),
        },
    )
}
