//! Erasing a person's personal data (`erasePerson`), in two steps: the supervisor names the
//! person (by id, in a POST body) and the reason, the page shows who that is and asks to
//! confirm; only the confirmation erases. The person's id never goes in a URL.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::{ErasureReason, Role};
use serde_json::json;
use ulid::Ulid;

use crate::forms::{Fields, FormErrors};
use crate::pages::{ask, csrf_ok, page, refused, require, Ctx};
use crate::Web;

fn reasons() -> Vec<String> {
    ErasureReason::ALL
        .iter()
        .map(|r| r.as_str().to_uppercase())
        .collect()
}

fn form_page(web: &Web, ctx: &Ctx, status: StatusCode, extra: minijinja::Value) -> Response {
    page(
        web,
        ctx,
        status,
        "erase.html",
        minijinja::context! { reasons => reasons(), ..extra },
    )
}

/// `GET /cancella`: the first step's form.
pub async fn form(State(web): State<Web>, headers: HeaderMap) -> Response {
    let ctx = Ctx::of(&web, &headers);
    if let Err(response) = require(&web, &ctx, &[Role::Supervisor]) {
        return *response;
    }
    form_page(&web, &ctx, StatusCode::OK, minijinja::context! {})
}

/// `POST /cancella`: `step` is `check` (show who it is and ask to confirm) or `confirm`
/// (erase).
pub async fn submit(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
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
    let reason = fields.get("reason").to_owned();
    let form = fields.to_value();
    let mut errors = FormErrors::default();
    if Ulid::from_string(&person).is_err() {
        errors.field(
            "personId",
            web.catalogues.text(ctx.lang, "form-not-an-id", &[]),
        );
    }
    if !reasons().contains(&reason) {
        let label = web.catalogues.text(ctx.lang, "field-reason", &[]);
        errors.field(
            "reason",
            web.catalogues
                .text(ctx.lang, "reason-required", &[("field", label)]),
        );
    }
    let unprocessable = |errors: FormErrors| {
        form_page(
            &web,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            minijinja::context! {
                form => minijinja::Value::from_serialize(&form),
                errors => minijinja::Value::from_serialize(&errors),
            },
        )
    };
    if !errors.is_empty() {
        return unprocessable(errors);
    }
    if fields.get("step") != "confirm" {
        let found = ask(
            &web,
            &account,
            "query Who($id: ID!) { person(id: $id) { id site registeredAt birthYear erased personal { fullName } } }",
            json!({ "id": person }),
        )
        .await;
        return match found {
            Ok(data) if !data["person"].is_null() && data["person"]["erased"] == false => {
                form_page(
                    &web,
                    &ctx,
                    StatusCode::OK,
                    minijinja::context! {
                        form => minijinja::Value::from_serialize(&form),
                        person => minijinja::Value::from_serialize(&data["person"]),
                        event_id => Ulid::new().to_string(),
                    },
                )
            }
            Ok(data) => {
                let key = if data["person"].is_null() {
                    "erase-unknown"
                } else {
                    "erase-already"
                };
                let mut errors = FormErrors::default();
                errors.field("personId", web.catalogues.text(ctx.lang, key, &[]));
                unprocessable(errors)
            }
            Err(refusals) => unprocessable(FormErrors::from_refusals(
                &refusals,
                &["personId"],
                &web.catalogues,
                ctx.lang,
            )),
        };
    }
    let erased = ask(
        &web,
        &account,
        "mutation Erase($input: ErasePersonInput!, $eventId: ID) {
           erasePerson(input: $input, options: { eventId: $eventId }) { alreadyRecorded events { position } }
         }",
        json!({
            "input": { "personId": person, "reason": reason, "occurredAt": decided_at(fields.get("eventId")) },
            "eventId": fields.get("eventId"),
        }),
    )
    .await;
    match erased {
        Ok(data) => form_page(
            &web,
            &ctx,
            StatusCode::OK,
            minijinja::context! {
                done => true,
                position => data["erasePerson"]["events"][0]["position"].as_u64(),
            },
        ),
        Err(refusals) => unprocessable(FormErrors::from_refusals(
            &refusals,
            &["personId", "reason"],
            &web.catalogues,
            ctx.lang,
        )),
    }
}

/// When the erasure was decided: the instant of the confirmation form's event id, so that the
/// confirmation sent twice is the same command and erases once. Now for an id that is no ULID
/// (the API refuses it).
fn decided_at(event_id: &str) -> String {
    Ulid::from_string(event_id)
        .map(|id| chrono::DateTime::<chrono::Utc>::from(id.datetime()))
        .unwrap_or_else(|_| chrono::Utc::now())
        .to_rfc3339()
}
