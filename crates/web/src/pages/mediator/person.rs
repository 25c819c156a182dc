//! Finding a returning person, and a person's page: what the desk knows of them, their history
//! and referrals, and the forms of their services.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::Role;
use serde_json::{json, Value};
use ulid::Ulid;

use crate::forms::{Fields, FormErrors};
use crate::pages::{ask, csrf_ok, failed, page, refused, require, Ctx};
use crate::Web;

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

#[derive(serde::Deserialize)]
pub struct PersonQuery {
    /// What was just recorded for the person (`gradimento`): a word, never data.
    fatto: Option<String>,
}

/// The facts a person's page may say were just recorded.
const DONE: &[&str] = &["gradimento"];

/// `GET /persone/{id}`: one person and their history; a person of another site is refused.
pub async fn person(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<PersonQuery>,
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
           referrals(filter: { personId: $id }, first: 50) {
             nodes { id serviceName reason urgency issuedAt status }
           }
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
            referrals => minijinja::Value::from_serialize(&data["referrals"]["nodes"]),
            may_record => account.role == Role::Mediator,
            done => query.fatto.filter(|f| DONE.contains(&f.as_str())),
        },
    )
}
