//! "Oggi": the site's agenda of a day (each appointment marked attended or missed from it), what
//! is due at the site, the search box and the diaries of the last weeks; and booking an
//! appointment for a person.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    drawn, drawn_at, mediator, now_fields, path_id, show_blank, site_of, Input, Mutation, Posted,
    Spec, CHANNELS,
};
use crate::accounts::Account;
use crate::forms::FormErrors;
use crate::pages::{ask, failed, page, Ctx};
use crate::{time, Web};

/// How many days ahead "what is due" looks.
const DUE_DAYS: u32 = 7;

#[derive(Deserialize)]
pub struct TodayQuery {
    /// What was just recorded (`diario`, ...): a word, never data.
    fatto: Option<String>,
    /// The agenda's day, `gg/mm/aaaa` or `aaaa-mm-gg`: a date, never data.
    giorno: Option<String>,
}

/// The facts "Oggi" may say were just recorded.
const DONE: &[&str] = &[
    "diario",
    "colloquio",
    "persona",
    "appuntamento",
    "presente",
    "assente",
    "sessione",
];

/// "Oggi": the agenda of a day, what is due, the search box, and the site's diaries.
pub async fn today(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<TodayQuery>,
) -> Response {
    let (ctx, account) = match mediator(&web, &headers) {
        Ok(signed_in) => signed_in,
        Err(response) => return *response,
    };
    let day = query.giorno.as_deref().and_then(time::parse_date);
    let done = query.fatto.filter(|f| DONE.contains(&f.as_str()));
    today_page(&web, &ctx, &account, day, done, &FormErrors::default()).await
}

/// The page "Oggi" for the agenda of `day` (today when `None`).
async fn today_page(
    web: &Web,
    ctx: &Ctx,
    account: &Account,
    day: Option<NaiveDate>,
    done: Option<String>,
    errors: &FormErrors,
) -> Response {
    let today = time::today(Utc::now());
    let day = day.unwrap_or(today);
    let from = today - Duration::days(27);
    let outcome = ask(
        web,
        account,
        "query Today($site: String!, $day: NaiveDate!, $today: NaiveDate!, $from: NaiveDate!, $within: Int!) {
           agenda(date: $day) { id personId startsAt endsAt mediator language channel status }
           due(on: $today, withinDays: $within) {
             kind dueOn owner eventId personId caseId referralId mediationId appointmentId
           }
           logbook(site: $site, from: $from, to: $today) {
             entries { date mediator slot contacts languages emergingNeeds writtenAt }
             coverage { site openingDays daysWithEntry missingDays }
           }
         }",
        json!({
            "site": site_of(account), "day": day, "today": today, "from": from, "within": DUE_DAYS,
        }),
    )
    .await;
    let data = match outcome {
        Ok(data) => data,
        Err(refusals) => return failed(web, ctx, &refusals),
    };
    let mut entries = data["logbook"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    entries.reverse();
    // Each booked appointment carries the event id of its attended / missed form.
    let agenda: Vec<Value> = data["agenda"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut a| {
            a["formEventId"] = drawn().into();
            a["from"] = hour(&a["startsAt"]).into();
            a["to"] = hour(&a["endsAt"]).into();
            a
        })
        .collect();
    let due: Vec<Value> = data["due"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut item| {
            item["href"] = due_link(&item).map_or(Value::Null, Value::from);
            item
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(
        web,
        ctx,
        status,
        "today.html",
        minijinja::context! {
            today => time::date(today),
            day => time::date(day),
            day_iso => day.to_string(),
            is_today => day == today,
            from => time::date(from),
            agenda => minijinja::Value::from_serialize(&agenda),
            due => minijinja::Value::from_serialize(&due),
            me => account.user.clone(),
            entries => minijinja::Value::from_serialize(&entries),
            coverage => minijinja::Value::from_serialize(&data["logbook"]["coverage"]),
            errors => minijinja::Value::from_serialize(errors),
            done,
        },
    )
}

/// `hh:mm` in Italian time of an instant the API wrote.
fn hour(instant: &Value) -> String {
    instant
        .as_str()
        .and_then(|t| t.parse::<DateTime<Utc>>().ok())
        .map(|t| time::local(t).format("%H:%M").to_string())
        .unwrap_or_default()
}

/// Where a due item's fact is: ids only, never data.
fn due_link(item: &Value) -> Option<String> {
    let id = |name: &str| item[name].as_str().map(str::to_owned);
    match item["kind"].as_str()? {
        "APPOINTMENT" => Some(format!(
            "/oggi?giorno={}#a-{}",
            item["dueOn"].as_str()?,
            id("appointmentId")?
        )),
        "REFERRAL_OUTCOME" => Some(format!("/invii/{}/esito", id("referralId")?)),
        "FOLLOW_UP" => Some(format!("/mediazioni/{}/sessione", id("mediationId")?)),
        "PERMIT_EXPIRING" | "CARE_PLAN_REVIEW" => Some(format!("/persone/{}", id("personId")?)),
        _ => None,
    }
}

const BOOK: Mutation = Mutation {
    field: "bookAppointment",
    input: "BookAppointmentInput",
    fields: &[
        "date",
        "start",
        "end",
        "language",
        "channel",
        "referredBy",
        "note",
    ],
    moved: &[
        ("occurredAt", "date"),
        ("startsAt", "start"),
        ("endsAt", "end"),
    ],
};

fn appointment_spec(person_id: &str) -> Spec {
    Spec {
        title: "appointment-title",
        intro: Some("appointment-intro"),
        action: format!("/persone/{person_id}/appuntamento"),
        back: Some(format!("/persone/{person_id}")),
        hidden: &["personId", "appointmentId"],
        inputs: vec![
            Input::date("date").required(),
            Input::text("language").required().hint("hint-language"),
            Input::time("start").required(),
            Input::time("end").required(),
            Input::select("channel", CHANNELS, "channel").required(),
            Input::service("referredBy"),
            Input::note("note"),
        ],
        about: None,
        submit: "book-appointment",
    }
}

pub async fn appointment_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (ctx, account) = match mediator(&web, &headers) {
        Ok(signed_in) => signed_in,
        Err(response) => return *response,
    };
    if let Err(response) = path_id(&web, &ctx, &id) {
        return *response;
    }
    let (date, _) = now_fields();
    let form = json!({
        "personId": id, "appointmentId": drawn(), "eventId": drawn(), "date": date,
        "channel": "WALK_IN",
    });
    let spec = appointment_spec(&id);
    show_blank(&web, &ctx, &account, &spec, &form).await
}

pub async fn book_appointment(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut posted = match Posted::read(&web, &headers, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let spec = appointment_spec(&id);
    let starts_at = posted.at("date", "start");
    let ends_at = posted.at("date", "end");
    if !posted.errors.is_empty() {
        return posted.again_spec(&spec).await;
    }
    let input = json!({
        "appointmentId": posted.get("appointmentId"),
        "personId": id,
        "siteId": site_of(&posted.account),
        "occurredAt": drawn_at(posted.get("eventId")),
        "startsAt": starts_at,
        "endsAt": ends_at,
        "language": posted.get("language").to_ascii_lowercase(),
        "channel": posted.get("channel"),
        "referredBy": posted.optional("referredBy"),
        "note": posted.optional("note"),
    });
    let day = time::parse_date(posted.get("date")).map_or(String::new(), |d| d.to_string());
    let next = format!("/oggi?giorno={day}&fatto=appuntamento");
    posted.record_then(&BOOK, input, &spec, &next).await
}

const ATTENDED: Mutation = Mutation {
    field: "recordAppointmentAttended",
    input: "RecordAppointmentAttendedInput",
    fields: &[],
    moved: &[],
};

const MISSED: Mutation = Mutation {
    field: "recordNoShow",
    input: "RecordNoShowInput",
    fields: &[],
    moved: &[],
};

/// `POST /appuntamenti/{id}/esito`: the person came (`esito=ATTENDED`) or did not (`MISSED`),
/// from the agenda; a refusal shows the agenda again with it.
pub async fn mark_appointment(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut posted = match Posted::read(&web, &headers, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    if let Err(response) = path_id(&web, &posted.ctx, &id) {
        return *response;
    }
    let (mutation, done) = match posted.get("esito") {
        "ATTENDED" => (&ATTENDED, "presente"),
        _ => (&MISSED, "assente"),
    };
    let day = time::parse_date(posted.get("giorno"));
    // When the agenda was drawn, or the slot's start if the agenda was drawn before it: the
    // same instant however often the form is sent.
    let drawn = drawn_at(posted.get("eventId"));
    let starts_at = posted.get("startsAt").parse::<DateTime<Utc>>().ok();
    let input = json!({
        "appointmentId": id,
        "occurredAt": starts_at.map_or(drawn, |s| s.max(drawn)),
    });
    if posted.record(mutation, input).await {
        let day = day.map(|d| d.to_string()).unwrap_or_default();
        Redirect::to(&format!("/oggi?giorno={day}&fatto={done}")).into_response()
    } else {
        today_page(
            &web,
            &posted.ctx,
            &posted.account,
            day,
            None,
            &posted.errors,
        )
        .await
    }
}
