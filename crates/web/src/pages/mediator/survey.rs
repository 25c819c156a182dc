//! The satisfaction survey (*questionario di gradimento*) of a person: the form asks exactly the
//! items of the survey definition in force on the response's day (`surveyInForce`; the built-in
//! version 1 when none was recorded), each on its own scale, in a language of the definition,
//! and carries the definition and version it shows, so the response names what it answers.
//!
//! The form is sent for two reasons: to show the questions again in another language or for
//! another day (`passo=mostra`, nothing recorded), or to record the response. A response whose
//! definition is no longer the one in force on its day (the supervisor recorded a new version
//! while the form was open, or the day was changed) is not recorded: the form comes back with
//! the questions in force, the answers kept where an item is still asked, and the reason
//! beside the questionnaire's heading.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{drawn, mediator, now_fields, path_id, show, site_of, Posted};
use crate::door::Refusal;
use crate::forms::{Fields, FormErrors};
use crate::pages::{ask, failed, refused, Ctx};
use crate::{time, Web};

/// The fields of a survey definition a form needs (`surveyInForce`, `surveyDefinitions`).
const DEFINITION_FIELDS: &str = "definition version validFrom languages heading { it en }
    items { code label { it en } scale { min max labels { it en } } }";

/// The consent that lets a response name the person (`ConsentScope::SurveyContact`).
const SURVEY_CONTACT: &str = "SURVEY_CONTACT";

/// A text of a definition, in Italian and maybe in English.
#[derive(Clone, Debug, Deserialize)]
struct Label {
    it: String,
    en: Option<String>,
}

impl Label {
    /// The text in `lang` when the definition gives it, else in Italian; and the language of
    /// the text shown.
    fn in_lang(&self, lang: &str) -> (String, &'static str) {
        match (lang, &self.en) {
            ("en", Some(en)) => (en.clone(), "en"),
            _ => (self.it.clone(), "it"),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
struct Scale {
    min: u8,
    max: u8,
    labels: Vec<Label>,
}

#[derive(Clone, Debug, Deserialize)]
struct Item {
    code: String,
    label: Label,
    scale: Scale,
}

/// A version of a survey definition, as the API gives it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Definition {
    definition: String,
    version: u32,
    valid_from: NaiveDate,
    languages: Vec<String>,
    heading: Label,
    items: Vec<Item>,
}

impl Definition {
    fn item_field(code: &str) -> String {
        format!("voce.{code}")
    }

    /// The language the form is shown in: the one asked for if the definition is given in it,
    /// else Italian.
    fn language(&self, asked: &str) -> String {
        if self.languages.iter().any(|l| l == asked) {
            asked.to_owned()
        } else {
            "it".to_owned()
        }
    }
}

/// A point of an item's scale as the form shows it.
#[derive(Serialize)]
struct Point {
    value: String,
    label: Option<String>,
}

/// An item as the form shows it: the field's name, the label in the language shown.
#[derive(Serialize)]
struct ShownItem {
    code: String,
    field: String,
    label: String,
    lang: &'static str,
    points: Vec<Point>,
}

/// What `survey.html` shows of a definition in `lang`.
#[derive(Serialize)]
struct Shown {
    definition: String,
    version: u32,
    valid_from: String,
    heading: String,
    heading_lang: &'static str,
    lang: String,
    languages: Vec<String>,
    items: Vec<ShownItem>,
    /// Some text is shown in Italian because the definition gives none in `lang`.
    untranslated: bool,
}

fn shown(d: &Definition, lang: &str) -> Shown {
    let (heading, heading_lang) = d.heading.in_lang(lang);
    let mut untranslated = heading_lang != lang;
    let items = d
        .items
        .iter()
        .map(|item| {
            let (label, item_lang) = item.label.in_lang(lang);
            untranslated |= item_lang != lang;
            let points = (item.scale.min..=item.scale.max)
                .map(|value| Point {
                    value: value.to_string(),
                    label: item
                        .scale
                        .labels
                        .get(usize::from(value - item.scale.min))
                        .map(|l| l.in_lang(lang).0),
                })
                .collect();
            ShownItem {
                code: item.code.clone(),
                field: Definition::item_field(&item.code),
                label,
                lang: item_lang,
                points,
            }
        })
        .collect();
    Shown {
        definition: d.definition.clone(),
        version: d.version,
        valid_from: time::date(d.valid_from),
        heading,
        heading_lang,
        lang: lang.to_owned(),
        languages: d.languages.clone(),
        items,
        untranslated,
    }
}

/// The definition in force on `day` (the built-in one when none was recorded).
async fn in_force(
    web: &Web,
    account: &crate::accounts::Account,
    day: NaiveDate,
) -> Result<Definition, Vec<Refusal>> {
    let query = format!(
        "query InForce($day: NaiveDate) {{ surveyInForce(day: $day) {{ {DEFINITION_FIELDS} }} }}"
    );
    let data = ask(web, account, &query, json!({ "day": day })).await?;
    serde_json::from_value(data["surveyInForce"].clone()).map_err(|_| {
        vec![Refusal {
            code: "INTERNAL".into(),
            field: None,
            reason: None,
            message: "the survey definition did not read".into(),
        }]
    })
}

/// Whether the person exists for this mediator, and whether they gave the survey-contact
/// consent (a response names them only then; else it is recorded anonymously).
async fn person_consents(
    web: &Web,
    account: &crate::accounts::Account,
    id: &str,
) -> Result<Option<bool>, Vec<Refusal>> {
    let data = ask(
        web,
        account,
        "query Consents($id: ID!) { person(id: $id) { id consents erased } }",
        json!({ "id": id }),
    )
    .await?;
    let person = &data["person"];
    if person.is_null() {
        return Ok(None);
    }
    let consents = person["consents"].as_array().cloned().unwrap_or_default();
    Ok(Some(
        consents.iter().any(|c| c == SURVEY_CONTACT) && person["erased"] != true,
    ))
}

/// The day a response is counted on: the desk's day of its instant (Rome's), as the domain
/// decides it.
fn day_of(at: DateTime<Utc>) -> NaiveDate {
    domain::state::desk_day(at)
}

fn action(person: &str) -> String {
    format!("/persone/{person}/gradimento")
}

#[allow(clippy::too_many_arguments)]
fn show_survey(
    web: &Web,
    ctx: &Ctx,
    status: StatusCode,
    person: &str,
    definition: &Definition,
    lang: &str,
    may_link: bool,
    form: &Value,
    errors: &FormErrors,
) -> Response {
    show(
        web,
        ctx,
        status,
        "survey.html",
        form,
        errors,
        minijinja::context! {
            survey => minijinja::Value::from_serialize(shown(definition, lang)),
            action => action(person),
            back => format!("/persone/{person}"),
            may_link,
        },
    )
}

/// `GET /persone/{id}/gradimento`: the survey in force today, in Italian.
pub async fn survey_form(
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
    let may_link = match person_consents(&web, &account, &id).await {
        Ok(Some(may_link)) => may_link,
        Ok(None) => return refused(&web, &ctx, StatusCode::NOT_FOUND, "refused-person"),
        Err(refusals) => return failed(&web, &ctx, &refusals),
    };
    let (date, time_of_day) = now_fields();
    let definition = match in_force(&web, &account, day_of(Utc::now())).await {
        Ok(definition) => definition,
        Err(refusals) => return failed(&web, &ctx, &refusals),
    };
    let form = json!({
        "eventId": drawn(),
        "surveyId": drawn(),
        "date": date,
        "time": time_of_day,
        "lingua": "it",
        "collega": if may_link { "on" } else { "" },
    });
    show_survey(
        &web,
        &ctx,
        StatusCode::OK,
        &id,
        &definition,
        "it",
        may_link,
        &form,
        &FormErrors::default(),
    )
}

/// The answers the form sent for `definition`'s items, in its order: `(item, score)`; a value
/// that is not a number is an error beside its item.
fn scores(posted: &mut Posted, definition: &Definition) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for item in &definition.items {
        let field = Definition::item_field(&item.code);
        if posted.get(&field).is_empty() {
            continue;
        }
        if let Some(score) = posted.number(&field, false) {
            out.push((item.code.clone(), score));
        }
    }
    out
}

/// The API's refusals of a response, each beside its field: a score beside its item, the
/// definition or version beside the heading, the rest as the other forms place them.
fn refusal_errors(
    posted: &Posted,
    refusals: &[Refusal],
    sent: &[(String, i64)],
    definition: &Definition,
) -> FormErrors {
    let text = |key: &str, args: &[(&str, String)]| posted.text(key, args);
    let mut errors = FormErrors::default();
    let mut rest = Vec::new();
    for refusal in refusals {
        let field = refusal.field.as_deref().unwrap_or("");
        let index = field
            .strip_prefix("scores[")
            .and_then(|r| r.split(']').next())
            .and_then(|i| i.parse::<usize>().ok());
        if let Some((code, _)) = index.and_then(|i| sent.get(i)) {
            let scale = definition.items.iter().find(|i| &i.code == code);
            let message = match (refusal.reason.as_deref(), scale) {
                (Some("out_of_range"), Some(item)) => text(
                    "survey-out-of-scale",
                    &[
                        ("item", item.label.in_lang(posted.get("lingua")).0),
                        ("min", item.scale.min.to_string()),
                        ("max", item.scale.max.to_string()),
                    ],
                ),
                _ => text("survey-unknown-item", &[]),
            };
            errors.field(&Definition::item_field(code), message);
        } else if field == "scores" {
            let first = definition
                .items
                .first()
                .map_or("definition".to_owned(), |i| Definition::item_field(&i.code));
            errors.field(&first, text("survey-no-answer-given", &[]));
        } else if field == "definition" || field == "version" {
            errors.field("definition", text("survey-version-refused", &[]));
        } else if field == "personId" {
            errors.field("collega", text("survey-no-consent", &[]));
        } else {
            let mut refusal = refusal.clone();
            if field == "occurredAt" {
                refusal.field = Some("date".into());
            }
            rest.push(refusal);
        }
    }
    let others = FormErrors::from_refusals(
        &rest,
        &["date", "comment"],
        &posted.web.catalogues,
        posted.ctx.lang,
    );
    for line in others.summary {
        match line.field {
            Some(field) => errors.field(&field, line.message),
            None => errors.general(line.message),
        }
    }
    errors
}

/// The API's input of the response the form sent, and the scores in the order sent; `None`
/// when an answer is not read (the errors are in `posted`).
fn response_input(
    posted: &mut Posted,
    person: &str,
    definition: &Definition,
    may_link: bool,
    occurred_at: Option<DateTime<Utc>>,
) -> Option<(Value, Vec<(String, i64)>)> {
    let sent = scores(posted, definition);
    let helpful = match posted.get("helpfulForIntegration") {
        "si" => Some(true),
        "no" => Some(false),
        _ => {
            posted.missing("helpfulForIntegration");
            None
        }
    };
    if !posted.errors.is_empty() {
        return None;
    }
    let linked = may_link && posted.get("collega") == "on";
    let scores: Vec<Value> = sent
        .iter()
        .map(|(item, score)| json!({ "item": item, "score": score }))
        .collect();
    let input = json!({
        "surveyId": posted.get("surveyId"),
        "siteId": site_of(&posted.account),
        "occurredAt": occurred_at,
        "personId": linked.then_some(person),
        "definition": definition.definition,
        "version": definition.version,
        "scores": scores,
        "helpfulForIntegration": helpful,
        "comment": posted.optional("comment"),
    });
    Some((input, sent))
}

/// The definition and version the form carried.
fn carried(fields: &Fields) -> (String, Option<u32>) {
    (
        fields.get("definition").to_owned(),
        fields.get("version").parse().ok(),
    )
}

/// `POST /persone/{id}/gradimento`: the questions again (`passo=mostra`), or the response
/// recorded and the person's page with a confirmation.
pub async fn record_survey(
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
    let may_link = match person_consents(&web, &posted.account, &id).await {
        Ok(Some(may_link)) => may_link,
        Ok(None) => return refused(&web, &posted.ctx, StatusCode::NOT_FOUND, "refused-person"),
        Err(refusals) => return failed(&web, &posted.ctx, &refusals),
    };
    let occurred_at = posted.at("date", "time");
    // The questions of the response's day; of today while the day is not written as a date.
    let day = occurred_at.map_or_else(|| day_of(Utc::now()), day_of);
    let definition = match in_force(&web, &posted.account, day).await {
        Ok(definition) => definition,
        Err(refusals) => return failed(&web, &posted.ctx, &refusals),
    };
    let lang = definition.language(posted.get("lingua"));
    let again = |posted: &Posted, status: StatusCode| {
        show_survey(
            &web,
            &posted.ctx,
            status,
            &id,
            &definition,
            &lang,
            may_link,
            &posted.fields.to_value(),
            &posted.errors,
        )
    };
    if posted.get("passo") == "mostra" {
        posted.errors = FormErrors::default();
        return again(&posted, StatusCode::OK);
    }
    if !posted.errors.is_empty() {
        return again(&posted, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (name, version) = carried(&posted.fields);
    if name != definition.definition || version != Some(definition.version) {
        let message = posted.text(
            "survey-changed",
            &[("version", definition.version.to_string())],
        );
        posted.errors.field("definition", message);
        return again(&posted, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let Some((input, sent)) = response_input(&mut posted, &id, &definition, may_link, occurred_at)
    else {
        return again(&posted, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let query = "mutation Record($input: RecordSurveyResponseInput!, $eventId: ID) {
        recordSurveyResponse(input: $input, options: { eventId: $eventId }) { alreadyRecorded }
    }";
    let variables = json!({ "input": input, "eventId": posted.get("eventId") });
    match ask(&web, &posted.account, query, variables).await {
        Ok(_) => Redirect::to(&format!("/persone/{id}?fatto=gradimento")).into_response(),
        Err(refusals) => {
            posted.errors = refusal_errors(&posted, &refusals, &sent, &definition);
            again(&posted, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
