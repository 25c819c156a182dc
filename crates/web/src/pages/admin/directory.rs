//! The admin's sites and service directory: each site's schedule (days, hours, phones) and
//! closures, `scheduleSite` and `closeSite`; each service with its Ukrainian-crisis capacity,
//! `mapService`. Every form carries its event id; a refusal is shown beside its field.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use domain::Role;
use serde_json::{json, Value};
use ulid::Ulid;

use crate::forms::{Fields, FormErrors};
use crate::pages::{ask, csrf_ok, failed, page, refused, require, Ctx};
use crate::Web;

const WEEKDAYS: [&str; 6] = [
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
];
const SERVICE_KINDS: [&str; 8] = [
    "HEALTH",
    "EDUCATION",
    "SOCIAL",
    "WORK",
    "LEGAL",
    "HOUSING",
    "RECEPTION",
    "ADMINISTRATIVE",
];

/// When a form was drawn: the instant of its event id, so a form sent twice is one command.
fn drawn_at(event_id: &str) -> String {
    Ulid::from_string(event_id)
        .map(|id| chrono::DateTime::<Utc>::from(id.datetime()))
        .unwrap_or_else(|_| Utc::now())
        .to_rfc3339()
}

async fn sites_page(
    web: &Web,
    ctx: &Ctx,
    account: &crate::Account,
    status: StatusCode,
    form: Value,
    errors: FormErrors,
) -> Response {
    let outcome = ask(
        web,
        account,
        "{ sites { siteId name openingDays hours { day opens closes } phones closures { from to reason } } }",
        json!({}),
    )
    .await;
    let data = match outcome {
        Ok(data) => data,
        Err(refusals) => return failed(web, ctx, &refusals),
    };
    page(
        web,
        ctx,
        status,
        "sites.html",
        minijinja::context! {
            sites => minijinja::Value::from_serialize(&data["sites"]),
            weekdays => WEEKDAYS.to_vec(),
            event_id => Ulid::new().to_string(),
            form => minijinja::Value::from_serialize(&form),
            errors => minijinja::Value::from_serialize(&errors),
        },
    )
}

/// `GET /sedi`.
pub async fn sites(State(web): State<Web>, headers: HeaderMap) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Admin]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    sites_page(
        &web,
        &ctx,
        &account,
        StatusCode::OK,
        Value::Null,
        FormErrors::default(),
    )
    .await
}

/// The opening periods a schedule form gives: `hours-<DAY>` written `09:00-12:00`, several
/// separated by commas. A day with hours is an opening day.
fn hours_of(fields: &Fields, errors: &mut FormErrors, web: &Web, ctx: &Ctx) -> Vec<Value> {
    let mut hours = Vec::new();
    for day in WEEKDAYS {
        let name = format!("hours-{day}");
        for period in fields
            .get(&name)
            .split(',')
            .filter(|p| !p.trim().is_empty())
        {
            match period.trim().split_once('-') {
                Some((opens, closes))
                    if crate::time::parse_time(opens).is_some()
                        && crate::time::parse_time(closes).is_some() =>
                {
                    hours.push(
                        json!({ "day": day, "opens": opens.trim(), "closes": closes.trim() }),
                    );
                }
                _ => errors.field(
                    &name,
                    web.catalogues.text(ctx.lang, "sites-hours-form", &[]),
                ),
            }
        }
    }
    hours
}

/// `POST /sedi`: `action` is `schedule` or `close`.
pub async fn change_site(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Admin]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let fields = Fields::parse(&body);
    if !csrf_ok(&ctx, fields.get("csrf")) {
        return refused(&web, &ctx, StatusCode::FORBIDDEN, "refused-csrf");
    }
    let mut errors = FormErrors::default();
    let event_id = fields.get("eventId");
    let (query, input, form_fields): (&str, Value, &[&str]) = match fields.get("action") {
        "schedule" => {
            let hours = hours_of(&fields, &mut errors, &web, &ctx);
            let mut days: Vec<&str> = hours.iter().filter_map(|h| h["day"].as_str()).collect();
            days.dedup();
            (
                "mutation($input: ScheduleSiteInput!, $eventId: ID) { scheduleSite(input: $input, options: { eventId: $eventId }) { alreadyRecorded } }",
                json!({
                    "siteId": fields.get("siteId"),
                    "occurredAt": drawn_at(event_id),
                    "name": fields.get("name"),
                    "openingDays": days,
                    "hours": hours,
                    "phones": fields
                        .get("phones")
                        .split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .collect::<Vec<_>>(),
                }),
                &["siteId", "name", "openingDays", "hours", "phones"],
            )
        }
        "close" => {
            let from = crate::time::parse_date(fields.get("from"));
            let to = crate::time::parse_date(fields.get("to"));
            for (name, day) in [("from", from), ("to", to)] {
                if day.is_none() {
                    errors.field(name, web.catalogues.text(ctx.lang, "form-not-a-date", &[]));
                }
            }
            (
                "mutation($input: CloseSiteInput!, $eventId: ID) { closeSite(input: $input, options: { eventId: $eventId }) { alreadyRecorded } }",
                json!({
                    "siteId": fields.get("closeSiteId"),
                    "occurredAt": drawn_at(event_id),
                    "from": from.map(|d| d.to_string()),
                    "to": to.map(|d| d.to_string()),
                    "reason": fields.get("reason"),
                }),
                &["siteId", "from", "to", "reason"],
            )
        }
        _ => return refused(&web, &ctx, StatusCode::BAD_REQUEST, "refused-not-found"),
    };
    if errors.is_empty() {
        let outcome = ask(
            &web,
            &account,
            query,
            json!({ "input": input, "eventId": event_id }),
        )
        .await;
        match outcome {
            Ok(_) => return Redirect::to("/sedi").into_response(),
            Err(refusals) => {
                errors =
                    FormErrors::from_refusals(&refusals, form_fields, &web.catalogues, ctx.lang);
                if fields.get("action") == "close" {
                    if let Some(message) = errors.fields.remove("siteId") {
                        errors.fields.insert("closeSiteId".into(), message);
                    }
                }
            }
        }
    }
    sites_page(
        &web,
        &ctx,
        &account,
        StatusCode::UNPROCESSABLE_ENTITY,
        fields.to_value(),
        errors,
    )
    .await
}

async fn services_page(
    web: &Web,
    ctx: &Ctx,
    account: &crate::Account,
    status: StatusCode,
    form: Value,
    errors: FormErrors,
) -> Response {
    let outcome = ask(
        web,
        account,
        "{ services { id name kind address openingHours languages accessRules verifiedOn retiredAt
             ukraineCapacity { receptionPlaces health schoolAccess } } }",
        json!({}),
    )
    .await;
    let data = match outcome {
        Ok(data) => data,
        Err(refusals) => return failed(web, ctx, &refusals),
    };
    page(
        web,
        ctx,
        status,
        "services.html",
        minijinja::context! {
            services => minijinja::Value::from_serialize(&data["services"]),
            kinds => SERVICE_KINDS.to_vec(),
            event_id => Ulid::new().to_string(),
            form => minijinja::Value::from_serialize(&form),
            errors => minijinja::Value::from_serialize(&errors),
        },
    )
}

/// `GET /servizi`.
pub async fn services(State(web): State<Web>, headers: HeaderMap) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Admin]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    services_page(
        &web,
        &ctx,
        &account,
        StatusCode::OK,
        Value::Null,
        FormErrors::default(),
    )
    .await
}

/// `POST /servizi`: a new service in the directory (`mapService`).
pub async fn map_service(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Admin]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let fields = Fields::parse(&body);
    if !csrf_ok(&ctx, fields.get("csrf")) {
        return refused(&web, &ctx, StatusCode::FORBIDDEN, "refused-csrf");
    }
    let mut errors = FormErrors::default();
    let verified = crate::time::parse_date(fields.get("verifiedOn"));
    if verified.is_none() {
        errors.field(
            "verifiedOn",
            web.catalogues.text(ctx.lang, "form-not-a-date", &[]),
        );
    }
    let places = fields.get("receptionPlaces");
    let places: Option<u32> = if places.is_empty() {
        Some(0)
    } else {
        places.parse().ok()
    };
    if places.is_none() {
        errors.field(
            "receptionPlaces",
            web.catalogues.text(ctx.lang, "form-not-a-number", &[]),
        );
    }
    let health = fields.get("health") == "on";
    let school = fields.get("schoolAccess") == "on";
    let places = places.unwrap_or(0);
    let capacity = (places > 0 || health || school)
        .then(|| json!({ "receptionPlaces": places, "health": health, "schoolAccess": school }));
    if errors.is_empty() {
        let event_id = fields.get("eventId");
        let outcome = ask(
            &web,
            &account,
            "mutation($input: MapServiceInput!, $eventId: ID) { mapService(input: $input, options: { eventId: $eventId }) { alreadyRecorded } }",
            json!({
                "input": {
                    "serviceId": event_id,
                    "occurredAt": drawn_at(event_id),
                    "name": fields.get("name"),
                    "kind": fields.get("kind"),
                    "address": fields.get("address"),
                    "openingHours": fields.get("openingHours"),
                    "languages": fields.list("languages").iter().map(|l| l.to_ascii_lowercase()).collect::<Vec<_>>(),
                    "accessRules": fields.get("accessRules"),
                    "ukraineCapacity": capacity,
                    "verifiedOn": verified.map(|d| d.to_string()),
                },
                "eventId": event_id,
            }),
        )
        .await;
        match outcome {
            Ok(_) => return Redirect::to("/servizi").into_response(),
            Err(refusals) => {
                errors = FormErrors::from_refusals(
                    &refusals,
                    &[
                        "name",
                        "kind",
                        "address",
                        "openingHours",
                        "languages",
                        "accessRules",
                        "verifiedOn",
                    ],
                    &web.catalogues,
                    ctx.lang,
                );
            }
        }
    }
    services_page(
        &web,
        &ctx,
        &account,
        StatusCode::UNPROCESSABLE_ENTITY,
        fields.to_value(),
        errors,
    )
    .await
}
