//! The mediator's pages: "Oggi" (search, the site's diaries), a person, registering a person,
//! recording an intake, writing the diary of the day. Every form carries the id of the event it
//! records (drawn when the form is shown), so sending it again records nothing twice.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Utc};
use domain::Role;
use serde::Deserialize;
use serde_json::{json, Value};
use ulid::Ulid;

use super::{ask, csrf_ok, failed, page, refused, require, Ctx};
use crate::accounts::Account;
use crate::forms::{Fields, FormErrors};
use crate::{time, Web};

const SEX: &[&str] = &["FEMALE", "MALE", "OTHER", "UNDISCLOSED"];
const PERMITS: &[&str] = &[
    "NONE",
    "WORK",
    "FAMILY",
    "STUDY",
    "INTERNATIONAL_PROTECTION",
    "SPECIAL_PROTECTION",
    "TEMPORARY_PROTECTION",
    "LONG_TERM_EU",
    "RENEWAL_PENDING",
];
const NEEDS: &[&str] = &[
    "DOCUMENTS",
    "HEALTH",
    "EDUCATION",
    "LANGUAGE",
    "WORK",
    "HOUSING",
    "LEGAL",
    "FAMILY",
    "INCOME",
    "REGISTRY",
    "OTHER",
];
const CHANNELS: &[&str] = &["WALK_IN", "PHONE", "REFERRED_BY_SERVICE"];
const SLOTS: &[&str] = &["MORNING", "AFTERNOON", "FULL_DAY"];

fn site_of(account: &Account) -> String {
    account
        .site
        .as_ref()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct TodayQuery {
    /// What was just recorded (`diario`, ...): a word, never data.
    fatto: Option<String>,
}

/// "Oggi": the search box, the forms of the day, and the site's diaries of the last weeks.
pub async fn today(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<TodayQuery>,
) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Mediator]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let today = time::today(Utc::now());
    let from = today - Duration::days(27);
    let outcome = ask(
        &web,
        &account,
        "query Today($site: String!, $from: NaiveDate!, $to: NaiveDate!) {
           logbook(site: $site, from: $from, to: $to) {
             entries { date mediator slot contacts languages emergingNeeds writtenAt }
             coverage { site openingDays daysWithEntry missingDays }
           }
         }",
        json!({ "site": site_of(&account), "from": from, "to": today }),
    )
    .await;
    let data = match outcome {
        Ok(data) => data,
        Err(refusals) => return failed(&web, &ctx, &refusals),
    };
    let mut entries = data["logbook"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    entries.reverse();
    let done = query
        .fatto
        .filter(|f| ["diario", "colloquio", "persona"].contains(&f.as_str()));
    page(
        &web,
        &ctx,
        StatusCode::OK,
        "today.html",
        minijinja::context! {
            today => time::date(today),
            from => time::date(from),
            entries => minijinja::Value::from_serialize(&entries),
            coverage => minijinja::Value::from_serialize(&data["logbook"]["coverage"]),
            done,
        },
    )
}

/// `POST /persone/cerca`: a search is personal data, so it never goes in a URL.
pub async fn search(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Mediator, Role::Supervisor]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let fields = Fields::parse(&body);
    if !csrf_ok(&ctx, fields.get("csrf")) {
        return refused(&web, &ctx, StatusCode::FORBIDDEN, "refused-csrf");
    }
    let text = fields.get("q");
    let mut search = serde_json::Map::new();
    // One box: a fiscal code, a phone number, or a name (with a birth year after it).
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() == 16 && compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        search.insert("fiscalCode".into(), compact.to_ascii_uppercase().into());
    } else if digits.len() >= 6 && digits.len() + 4 >= compact.len() {
        search.insert("phone".into(), text.into());
    } else {
        let (words, years): (Vec<&str>, Vec<&str>) = text
            .split_whitespace()
            .partition(|w| w.parse::<i32>().is_err());
        search.insert("name".into(), words.join(" ").into());
        if let Some(year) = years.first().and_then(|y| y.parse::<i32>().ok()) {
            search.insert("birthYear".into(), year.into());
        }
    }
    let outcome = ask(
        &web,
        &account,
        "query Find($search: PersonSearchInput!) {
           searchPersons(search: $search) {
             persons { id site birthYear sex citizenships erased personal { fullName birthDate } }
             truncated
           }
         }",
        json!({ "search": search }),
    )
    .await;
    let (found, errors) = match outcome {
        Ok(data) => (data["searchPersons"].clone(), FormErrors::default()),
        Err(refusals) => (
            Value::Null,
            FormErrors::from_refusals(&refusals, &["q"], &web.catalogues, ctx.lang),
        ),
    };
    let mut errors = errors;
    if let Some(message) = errors.fields.remove("name") {
        errors.field("q", message);
    }
    if errors.summary.iter().any(|l| l.field.is_none()) && !errors.fields.contains_key("q") {
        let message = web.catalogues.text(ctx.lang, "search-hint", &[]);
        errors.summary.clear();
        errors.field("q", message);
    }
    page(
        &web,
        &ctx,
        StatusCode::OK,
        "found.html",
        minijinja::context! {
            q => text,
            found => minijinja::Value::from_serialize(&found),
            errors => minijinja::Value::from_serialize(&errors),
        },
    )
}

/// `GET /persone/{id}`: one person and their history; a person of another site is refused.
pub async fn person(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Mediator, Role::Supervisor]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    if Ulid::from_string(&id).is_err() {
        return refused(&web, &ctx, StatusCode::NOT_FOUND, "refused-not-found");
    }
    let outcome = ask(
        &web,
        &account,
        "query Person($id: ID!) {
           person(id: $id) {
             id site registeredAt birthYear sex citizenships countryOfBirth arrivalYear
             permitType permitExpiresOn languages householdSize minor consents erased
             personal { fullName birthDate fiscalCode contacts { kind value } }
           }
           personHistory(id: $id) { position type occurredAt site actorId }
         }",
        json!({ "id": id }),
    )
    .await;
    let data = match outcome {
        Ok(data) => data,
        Err(refusals) => return failed(&web, &ctx, &refusals),
    };
    if data["person"].is_null() {
        // The API answers alike for an unknown id and a person of another site.
        return refused(&web, &ctx, StatusCode::NOT_FOUND, "refused-person");
    }
    page(
        &web,
        &ctx,
        StatusCode::OK,
        "person.html",
        minijinja::context! {
            person => minijinja::Value::from_serialize(&data["person"]),
            history => minijinja::Value::from_serialize(&data["personHistory"]),
            may_record => account.role == Role::Mediator,
        },
    )
}

/// The fields of the registration form, named as the API names them.
const PERSON_FIELDS: &[&str] = &[
    "personal.fullName",
    "birthYear",
    "personal.birthDate",
    "sex",
    "citizenships",
    "countryOfBirth",
    "arrivalYear",
    "permitType",
    "permitExpiresOn",
    "languages",
    "householdSize",
    "minor",
    "phone",
    "personal.fiscalCode",
];

fn person_form(
    web: &Web,
    ctx: &Ctx,
    status: StatusCode,
    form: Value,
    errors: &FormErrors,
) -> Response {
    page(
        web,
        ctx,
        status,
        "person_new.html",
        minijinja::context! {
            form => minijinja::Value::from_serialize(&form),
            errors => minijinja::Value::from_serialize(errors),
            sexes => SEX, permits => PERMITS,
        },
    )
}

pub async fn new_person(State(web): State<Web>, headers: HeaderMap) -> Response {
    let ctx = Ctx::of(&web, &headers);
    if let Err(response) = require(&web, &ctx, &[Role::Mediator]) {
        return *response;
    }
    let form = json!({
        "personId": Ulid::new().to_string(),
        "eventId": Ulid::new().to_string(),
        "householdSize": "1",
        "permitType": "NONE",
        "sex": "UNDISCLOSED",
    });
    person_form(&web, &ctx, StatusCode::OK, form, &FormErrors::default())
}

/// Reads a whole number the form asked for; a wrong one is an error beside its field.
fn number(
    fields: &Fields,
    name: &str,
    errors: &mut FormErrors,
    web: &Web,
    ctx: &Ctx,
    required: bool,
) -> Option<i64> {
    let text = fields.get(name);
    if text.is_empty() {
        if required {
            let label = web.catalogues.text(
                ctx.lang,
                &format!("field-{}", crate::forms::label_key(name)),
                &[],
            );
            errors.field(
                name,
                web.catalogues
                    .text(ctx.lang, "reason-required", &[("field", label)]),
            );
        }
        return None;
    }
    match text.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.field(
                name,
                web.catalogues.text(ctx.lang, "form-not-a-number", &[]),
            );
            None
        }
    }
}

/// Reads a date written `gg/mm/aaaa`.
fn day(
    fields: &Fields,
    name: &str,
    errors: &mut FormErrors,
    web: &Web,
    ctx: &Ctx,
) -> Option<NaiveDate> {
    let text = fields.get(name);
    if text.is_empty() {
        return None;
    }
    let parsed = time::parse_date(text);
    if parsed.is_none() {
        errors.field(name, web.catalogues.text(ctx.lang, "form-not-a-date", &[]));
    }
    parsed
}

pub async fn register_person(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Mediator]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let fields = Fields::parse(&body);
    if !csrf_ok(&ctx, fields.get("csrf")) {
        return refused(&web, &ctx, StatusCode::FORBIDDEN, "refused-csrf");
    }
    let mut errors = FormErrors::default();
    let birth_year = number(&fields, "birthYear", &mut errors, &web, &ctx, true);
    let arrival_year = number(&fields, "arrivalYear", &mut errors, &web, &ctx, false);
    let household = number(&fields, "householdSize", &mut errors, &web, &ctx, true);
    let birth_date = day(&fields, "personal.birthDate", &mut errors, &web, &ctx);
    let permit_expires = day(&fields, "permitExpiresOn", &mut errors, &web, &ctx);
    let person_id = fields.get("personId").to_owned();
    if !errors.is_empty() {
        return person_form(
            &web,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            fields.to_value(),
            &errors,
        );
    }
    let mut contacts = Vec::new();
    if !fields.get("phone").is_empty() {
        contacts.push(json!({ "kind": "PHONE", "value": fields.get("phone") }));
    }
    let fiscal = fields.get("personal.fiscalCode");
    let input = json!({
        "personId": person_id,
        "siteId": site_of(&account),
        "occurredAt": drawn_at(fields.get("eventId")),
        "birthYear": birth_year,
        "sex": fields.get("sex"),
        "citizenships": fields.list("citizenships").iter().map(|c| c.to_ascii_uppercase()).collect::<Vec<_>>(),
        "countryOfBirth": fields.get("countryOfBirth").to_ascii_uppercase(),
        "arrivalYear": arrival_year,
        "permitType": fields.get("permitType"),
        "permitExpiresOn": permit_expires,
        "languages": fields.list("languages").iter().map(|c| c.to_ascii_lowercase()).collect::<Vec<_>>(),
        "householdSize": household,
        "minor": fields.get("minor") == "on",
        "personal": {
            "fullName": fields.get("personal.fullName"),
            "birthDate": birth_date,
            "contacts": contacts,
            "fiscalCode": (!fiscal.is_empty()).then(|| fiscal.to_ascii_uppercase()),
        },
    });
    let outcome = ask(
        &web,
        &account,
        "mutation Register($input: RegisterPersonInput!, $eventId: ID) {
           registerPerson(input: $input, options: { eventId: $eventId }) { alreadyRecorded }
         }",
        json!({ "input": input, "eventId": fields.get("eventId") }),
    )
    .await;
    match outcome {
        Ok(_) => Redirect::to(&format!("/persone/{person_id}")).into_response(),
        Err(refusals) => {
            let errors =
                FormErrors::from_refusals(&refusals, PERSON_FIELDS, &web.catalogues, ctx.lang);
            person_form(
                &web,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                fields.to_value(),
                &errors,
            )
        }
    }
}

const INTAKE_FIELDS: &[&str] = &[
    "occurredAt",
    "date",
    "time",
    "channel",
    "needs",
    "note",
    "referredBy",
];

async fn intake_page(
    web: &Web,
    ctx: &Ctx,
    account: &Account,
    status: StatusCode,
    form: Value,
    errors: &FormErrors,
) -> Response {
    // The services a person can be referred by, for the channel "sent by a service".
    let services = ask(web, account, "{ services { id name } }", json!({}))
        .await
        .map(|data| data["services"].clone())
        .unwrap_or(Value::Array(Vec::new()));
    page(
        web,
        ctx,
        status,
        "intake.html",
        minijinja::context! {
            form => minijinja::Value::from_serialize(&form),
            errors => minijinja::Value::from_serialize(errors),
            channels => CHANNELS, needs => NEEDS,
            services => minijinja::Value::from_serialize(&services),
        },
    )
}

pub async fn intake_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Mediator]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    if Ulid::from_string(&id).is_err() {
        return refused(&web, &ctx, StatusCode::NOT_FOUND, "refused-not-found");
    }
    let now = time::local(Utc::now());
    let form = json!({
        "personId": id,
        "eventId": Ulid::new().to_string(),
        "date": time::date(now.date_naive()),
        "time": now.format("%H:%M").to_string(),
        "channel": "WALK_IN",
    });
    intake_page(
        &web,
        &ctx,
        &account,
        StatusCode::OK,
        form,
        &FormErrors::default(),
    )
    .await
}

/// The instant of a form's `date` and `time` fields (Italian time).
fn when(
    fields: &Fields,
    errors: &mut FormErrors,
    web: &Web,
    ctx: &Ctx,
) -> Option<chrono::DateTime<Utc>> {
    let date = day(fields, "date", errors, web, ctx);
    let time_of_day = match fields.get("time") {
        "" => Some(NaiveTime::from_hms_opt(12, 0, 0)?),
        text => {
            let parsed = time::parse_time(text);
            if parsed.is_none() {
                errors.field(
                    "time",
                    web.catalogues.text(ctx.lang, "form-not-a-time", &[]),
                );
            }
            parsed
        }
    };
    time::instant(date?, time_of_day?)
}

pub async fn record_intake(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Mediator]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let fields = Fields::parse(&body);
    if !csrf_ok(&ctx, fields.get("csrf")) {
        return refused(&web, &ctx, StatusCode::FORBIDDEN, "refused-csrf");
    }
    let mut errors = FormErrors::default();
    let occurred_at = when(&fields, &mut errors, &web, &ctx);
    if fields.get("date").is_empty() {
        let label = web.catalogues.text(ctx.lang, "field-date", &[]);
        errors.field(
            "date",
            web.catalogues
                .text(ctx.lang, "reason-required", &[("field", label)]),
        );
    }
    if !errors.is_empty() {
        return intake_page(
            &web,
            &ctx,
            &account,
            StatusCode::UNPROCESSABLE_ENTITY,
            fields.to_value(),
            &errors,
        )
        .await;
    }
    let referred_by = fields.get("referredBy");
    let note = fields.get("note");
    let input = json!({
        "personId": id,
        "siteId": site_of(&account),
        "occurredAt": occurred_at,
        "channel": fields.get("channel"),
        "referredBy": (!referred_by.is_empty()).then_some(referred_by),
        "needs": fields.all("needs"),
        "note": (!note.is_empty()).then_some(note),
    });
    let outcome = ask(
        &web,
        &account,
        "mutation Intake($input: RecordIntakeInput!, $eventId: ID) {
           recordIntake(input: $input, options: { eventId: $eventId }) { alreadyRecorded }
         }",
        json!({ "input": input, "eventId": fields.get("eventId") }),
    )
    .await;
    match outcome {
        Ok(_) => Redirect::to(&format!("/persone/{id}")).into_response(),
        Err(refusals) => {
            let mut errors =
                FormErrors::from_refusals(&refusals, INTAKE_FIELDS, &web.catalogues, ctx.lang);
            if let Some(message) = errors.fields.remove("occurredAt") {
                errors.fields.insert("date".into(), message);
            }
            intake_page(
                &web,
                &ctx,
                &account,
                StatusCode::UNPROCESSABLE_ENTITY,
                fields.to_value(),
                &errors,
            )
            .await
        }
    }
}

const DIARY_FIELDS: &[&str] = &[
    "date",
    "slot",
    "contacts",
    "languages",
    "observations",
    "incidents",
    "emergingNeeds",
];

fn diary_page(
    web: &Web,
    ctx: &Ctx,
    status: StatusCode,
    form: Value,
    errors: &FormErrors,
) -> Response {
    page(
        web,
        ctx,
        status,
        "diary.html",
        minijinja::context! {
            form => minijinja::Value::from_serialize(&form),
            errors => minijinja::Value::from_serialize(errors),
            slots => SLOTS, needs => NEEDS,
        },
    )
}

pub async fn diary_form(State(web): State<Web>, headers: HeaderMap) -> Response {
    let ctx = Ctx::of(&web, &headers);
    if let Err(response) = require(&web, &ctx, &[Role::Mediator]) {
        return *response;
    }
    let today = time::today(Utc::now());
    let form = json!({
        "eventId": Ulid::new().to_string(),
        "date": time::date(today),
        "slot": "FULL_DAY",
    });
    diary_page(&web, &ctx, StatusCode::OK, form, &FormErrors::default())
}

pub async fn write_diary(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Mediator]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let fields = Fields::parse(&body);
    if !csrf_ok(&ctx, fields.get("csrf")) {
        return refused(&web, &ctx, StatusCode::FORBIDDEN, "refused-csrf");
    }
    let mut errors = FormErrors::default();
    let date = day(&fields, "date", &mut errors, &web, &ctx);
    if fields.get("date").is_empty() {
        let label = web.catalogues.text(ctx.lang, "field-date", &[]);
        errors.field(
            "date",
            web.catalogues
                .text(ctx.lang, "reason-required", &[("field", label)]),
        );
    }
    let contacts = number(&fields, "contacts", &mut errors, &web, &ctx, true);
    if !errors.is_empty() {
        return diary_page(
            &web,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            fields.to_value(),
            &errors,
        );
    }
    // Written when the form was drawn: a retry then sends the very same command.
    let now = drawn_at(fields.get("eventId"));
    let observations = fields.get("observations");
    let incidents = fields.get("incidents");
    let input = json!({
        "siteId": site_of(&account),
        "date": date,
        "occurredAt": now,
        "slot": fields.get("slot"),
        "contacts": contacts,
        "languages": fields.list("languages").iter().map(|c| c.to_ascii_lowercase()).collect::<Vec<_>>(),
        "observations": (!observations.is_empty()).then_some(observations),
        "incidents": (!incidents.is_empty()).then_some(incidents),
        "emergingNeeds": fields.all("emergingNeeds"),
    });
    let outcome = ask(
        &web,
        &account,
        "mutation Diary($input: WriteLogbookEntryInput!, $eventId: ID) {
           writeLogbookEntry(input: $input, options: { eventId: $eventId }) { alreadyRecorded }
         }",
        json!({ "input": input, "eventId": fields.get("eventId") }),
    )
    .await;
    match outcome {
        Ok(_) => Redirect::to("/oggi?fatto=diario").into_response(),
        Err(refusals) => {
            let mut errors =
                FormErrors::from_refusals(&refusals, DIARY_FIELDS, &web.catalogues, ctx.lang);
            if let Some(message) = errors.fields.remove("occurredAt") {
                errors.fields.insert("date".into(), message);
            }
            diary_page(
                &web,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                fields.to_value(),
                &errors,
            )
        }
    }
}

/// When a form was drawn: the instant of its event id (a ULID carries its milliseconds), so that
/// a form sent twice (a retry after a lost answer) is the same command both times and records
/// nothing twice. Now, for an id that is not a ULID (the API refuses it anyway).
fn drawn_at(event_id: &str) -> chrono::DateTime<Utc> {
    Ulid::from_string(event_id)
        .map(|id| chrono::DateTime::<Utc>::from(id.datetime()))
        .unwrap_or_else(|_| Utc::now())
}

/// The month a date falls in, `aaaa-mm`.
pub fn month_of(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}
