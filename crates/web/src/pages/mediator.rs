//! The mediator's pages: "Oggi" (the agenda, what is due, search), a person, and the forms of
//! the day: registering a person, an intake, an intervention, a referral and its outcome, a
//! mediation request and its session, an appointment, a satisfaction survey (`survey.rs`), the
//! diary of the day; then the site's diaries with their comments.
//!
//! Every form goes through one helper: [`Posted`] reads what the browser sent (checking the
//! CSRF token, numbers, dates and times as staff write them), [`Posted::record`] runs the
//! form's mutation through the one door with the form's event id, and [`Posted::again`] shows
//! the form again with the domain's rejections beside the field they name. The event id is
//! drawn when the form is shown, so sending it again records nothing twice. Most forms are a
//! [`Spec`] rendered by `record.html`.

mod agenda;
mod diaries;
mod person;
mod records;
mod survey;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use domain::Role;
use serde::Serialize;
use serde_json::{json, Value};
use ulid::Ulid;

pub use agenda::{appointment_form, book_appointment, mark_appointment, today};
pub use diaries::diaries;
pub use person::{person, search};
pub use records::{
    intervention_form, issue_referral, mediation_form, outcome_form, record_intervention,
    record_outcome, record_session, referral_form, request_mediation, session_form,
};
pub use survey::{record_survey, survey_form};

use super::{ask, csrf_ok, page, refused, require, Ctx};
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

/// A new id for a form to carry (the event's, or the fact's own).
fn drawn() -> String {
    Ulid::new().to_string()
}

/// A signed-in mediator's page, or the answer to send instead.
/// (The answer is boxed: a response is large.)
fn mediator(web: &Web, headers: &HeaderMap) -> Result<(Ctx, Account), Box<Response>> {
    let ctx = Ctx::of(web, headers);
    let account = require(web, &ctx, &[Role::Mediator])?;
    Ok((ctx, account))
}

/// An id in a path: a ULID, else "no such page".
fn path_id(web: &Web, ctx: &Ctx, id: &str) -> Result<(), Box<Response>> {
    match Ulid::from_string(id) {
        Ok(_) => Ok(()),
        Err(_) => Err(Box::new(refused(
            web,
            ctx,
            StatusCode::NOT_FOUND,
            "refused-not-found",
        ))),
    }
}

/// A mutation a form runs: the GraphQL field, its input type, the form's fields (the API's
/// names), and the API fields shown beside another form field (`occurredAt` beside `date`).
pub struct Mutation {
    field: &'static str,
    input: &'static str,
    fields: &'static [&'static str],
    moved: &'static [(&'static str, &'static str)],
}

/// One field of a [`Spec`] form.
#[derive(Clone, Debug, Serialize)]
pub struct Input {
    name: &'static str,
    /// `text`, `number`, `date`, `time`, `select`, `service`, `checks`, `note` or `flag`.
    kind: &'static str,
    required: bool,
    hint: Option<&'static str>,
    values: &'static [&'static str],
    /// The catalogue prefix of the values (`need` for `need-DOCUMENTS`).
    prefix: &'static str,
}

impl Input {
    fn of(name: &'static str, kind: &'static str, hint: Option<&'static str>) -> Input {
        Input {
            name,
            kind,
            required: false,
            hint,
            values: &[],
            prefix: "",
        }
    }
    fn text(name: &'static str) -> Input {
        Input::of(name, "text", None)
    }
    fn date(name: &'static str) -> Input {
        Input::of(name, "date", Some("hint-date"))
    }
    fn time(name: &'static str) -> Input {
        Input::of(name, "time", Some("hint-time"))
    }
    fn note(name: &'static str) -> Input {
        Input::of(name, "note", Some("hint-note"))
    }
    /// A service of the directory.
    fn service(name: &'static str) -> Input {
        Input::of(name, "service", None)
    }
    fn flag(name: &'static str) -> Input {
        Input::of(name, "flag", None)
    }
    fn select(name: &'static str, values: &'static [&'static str], prefix: &'static str) -> Input {
        Input {
            values,
            prefix,
            ..Input::of(name, "select", None)
        }
    }
    fn checks(name: &'static str, values: &'static [&'static str], prefix: &'static str) -> Input {
        Input {
            kind: "checks",
            ..Input::select(name, values, prefix)
        }
    }
    fn required(self) -> Input {
        Input {
            required: true,
            ..self
        }
    }
    fn hint(self, hint: &'static str) -> Input {
        Input {
            hint: Some(hint),
            ..self
        }
    }
}

/// A form `record.html` draws: its title, where it is sent, the ids it carries, its fields,
/// and its button (`submit-<id>` in the catalogues).
#[derive(Clone, Debug, Serialize)]
pub struct Spec {
    title: &'static str,
    intro: Option<&'static str>,
    action: String,
    /// The page to go back to (a person's).
    back: Option<String>,
    /// Fields carried as drawn (the fact's own id, the person's).
    hidden: &'static [&'static str],
    inputs: Vec<Input>,
    submit: &'static str,
    /// A line about what the form is about (the referral an outcome is of).
    about: Option<String>,
}

/// Shows a form with its values (as drawn, or as sent) and its errors beside their fields.
fn show(
    web: &Web,
    ctx: &Ctx,
    status: StatusCode,
    template: &str,
    form: &Value,
    errors: &FormErrors,
    extra: minijinja::Value,
) -> Response {
    page(
        web,
        ctx,
        status,
        template,
        minijinja::context! {
            form => minijinja::Value::from_serialize(form),
            errors => minijinja::Value::from_serialize(errors),
            ..extra
        },
    )
}

/// Shows a [`Spec`] form; the directory's services are read when a field chooses one.
/// A form shown for the first time: no error yet.
async fn show_blank(
    web: &Web,
    ctx: &Ctx,
    account: &Account,
    spec: &Spec,
    form: &Value,
) -> Response {
    show_spec(
        web,
        ctx,
        account,
        StatusCode::OK,
        spec,
        form,
        &FormErrors::default(),
    )
    .await
}

async fn show_spec(
    web: &Web,
    ctx: &Ctx,
    account: &Account,
    status: StatusCode,
    spec: &Spec,
    form: &Value,
    errors: &FormErrors,
) -> Response {
    let services = if spec.inputs.iter().any(|i| i.kind == "service") {
        ask(web, account, "{ services { id name } }", json!({}))
            .await
            .map(|data| data["services"].clone())
            .unwrap_or(Value::Array(Vec::new()))
    } else {
        Value::Array(Vec::new())
    };
    show(
        web,
        ctx,
        status,
        "record.html",
        form,
        errors,
        minijinja::context! {
            spec => minijinja::Value::from_serialize(spec),
            services => minijinja::Value::from_serialize(&services),
            about => spec.about.clone(),
        },
    )
}

/// A form as a mediator sent it: its fields, and the errors found reading them.
pub struct Posted {
    web: Web,
    pub ctx: Ctx,
    pub account: Account,
    pub fields: Fields,
    pub errors: FormErrors,
}

impl Posted {
    /// Reads a mediator's form, sent with the sign-in's CSRF token.
    fn read(web: &Web, headers: &HeaderMap, body: &[u8]) -> Result<Posted, Box<Response>> {
        let (ctx, account) = mediator(web, headers)?;
        let fields = Fields::parse(body);
        if !csrf_ok(&ctx, fields.get("csrf")) {
            let refusal = refused(web, &ctx, StatusCode::FORBIDDEN, "refused-csrf");
            return Err(Box::new(refusal));
        }
        Ok(Posted {
            web: web.clone(),
            ctx,
            account,
            fields,
            errors: FormErrors::default(),
        })
    }

    fn text(&self, key: &str, args: &[(&str, String)]) -> String {
        self.web.catalogues.text(self.ctx.lang, key, args)
    }

    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name)
    }

    /// A field's value, `None` when left empty.
    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// Notes a required field left empty.
    fn missing(&mut self, name: &str) {
        let label = self.text(&format!("field-{}", crate::forms::label_key(name)), &[]);
        let message = self.text("reason-required", &[("field", label)]);
        self.errors.field(name, message);
    }

    /// Reads a whole number; a wrong one is an error beside its field.
    pub fn number(&mut self, name: &str, required: bool) -> Option<i64> {
        let text = self.get(name).to_owned();
        if text.is_empty() {
            if required {
                self.missing(name);
            }
            return None;
        }
        let parsed = text.parse().ok();
        if parsed.is_none() {
            let message = self.text("form-not-a-number", &[]);
            self.errors.field(name, message);
        }
        parsed
    }

    /// Reads a date written `gg/mm/aaaa`.
    pub fn day(&mut self, name: &str, required: bool) -> Option<NaiveDate> {
        let text = self.get(name).to_owned();
        if text.is_empty() {
            if required {
                self.missing(name);
            }
            return None;
        }
        let parsed = time::parse_date(&text);
        if parsed.is_none() {
            let message = self.text("form-not-a-date", &[]);
            self.errors.field(name, message);
        }
        parsed
    }

    /// Reads a time written `hh:mm`, 24-hour.
    pub fn time(&mut self, name: &str, required: bool) -> Option<NaiveTime> {
        let text = self.get(name).to_owned();
        if text.is_empty() {
            if required {
                self.missing(name);
            }
            return None;
        }
        let parsed = time::parse_time(&text);
        if parsed.is_none() {
            let message = self.text("form-not-a-time", &[]);
            self.errors.field(name, message);
        }
        parsed
    }

    /// The instant of a date field and a time field (Italian time); both required.
    pub fn at(&mut self, date: &str, time_of_day: &str) -> Option<DateTime<Utc>> {
        let day = self.day(date, true);
        let time_of_day = self.time(time_of_day, true);
        time::instant(day?, time_of_day?)
    }

    /// Runs the form's mutation with `input` and the form's event id; a refusal lands in
    /// `errors`, each beside the field it names.
    pub async fn record(&mut self, mutation: &Mutation, input: Value) -> bool {
        let query = format!(
            "mutation Record($input: {}!, $eventId: ID) {{
               {}(input: $input, options: {{ eventId: $eventId }}) {{ alreadyRecorded }}
             }}",
            mutation.input, mutation.field
        );
        let variables = json!({ "input": input, "eventId": self.get("eventId") });
        match ask(&self.web, &self.account, &query, variables).await {
            Ok(_) => true,
            Err(mut refusals) => {
                for refusal in &mut refusals {
                    let Some(field) = refusal.field.as_deref() else {
                        continue;
                    };
                    let head = field.split('[').next().unwrap_or(field);
                    if let Some((_, to)) = mutation.moved.iter().find(|(from, _)| *from == head) {
                        refusal.field = Some((*to).to_owned());
                    }
                }
                let errors = FormErrors::from_refusals(
                    &refusals,
                    mutation.fields,
                    &self.web.catalogues,
                    self.ctx.lang,
                );
                for line in errors.summary {
                    match line.field {
                        Some(field) => self.errors.field(&field, line.message),
                        None => self.errors.general(line.message),
                    }
                }
                false
            }
        }
    }

    /// Records a [`Spec`] form's fact and goes to `next`; or shows the form again with the
    /// refusal beside its field.
    async fn record_then(
        mut self,
        mutation: &Mutation,
        input: Value,
        spec: &Spec,
        next: &str,
    ) -> Response {
        if self.record(mutation, input).await {
            Redirect::to(next).into_response()
        } else {
            self.again_spec(spec).await
        }
    }

    /// The form again, as sent, with its errors.
    fn again(&self, template: &str, extra: minijinja::Value) -> Response {
        show(
            &self.web,
            &self.ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            template,
            &self.fields.to_value(),
            &self.errors,
            extra,
        )
    }

    /// A [`Spec`] form again, as sent, with its errors.
    async fn again_spec(&self, spec: &Spec) -> Response {
        show_spec(
            &self.web,
            &self.ctx,
            &self.account,
            StatusCode::UNPROCESSABLE_ENTITY,
            spec,
            &self.fields.to_value(),
            &self.errors,
        )
        .await
    }
}

/// Today's date and the time now, as a form offers them.
fn now_fields() -> (String, String) {
    let now = time::local(Utc::now());
    (
        time::date(now.date_naive()),
        now.format("%H:%M").to_string(),
    )
}

/// The registration form's fields, named as the API names them.
const REGISTER: Mutation = Mutation {
    field: "registerPerson",
    input: "RegisterPersonInput",
    fields: &[
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
    ],
    moved: &[],
};

fn person_extra() -> minijinja::Value {
    minijinja::context! { sexes => SEX, permits => PERMITS }
}

pub async fn new_person(State(web): State<Web>, headers: HeaderMap) -> Response {
    let (ctx, _) = match mediator(&web, &headers) {
        Ok(signed_in) => signed_in,
        Err(response) => return *response,
    };
    let form = json!({
        "personId": drawn(),
        "eventId": drawn(),
        "householdSize": "1",
        "permitType": "NONE",
        "sex": "UNDISCLOSED",
    });
    show(
        &web,
        &ctx,
        StatusCode::OK,
        "person_new.html",
        &form,
        &FormErrors::default(),
        person_extra(),
    )
}

/// A list written with commas, each item in upper or lower case.
fn codes(posted: &Posted, name: &str, upper: bool) -> Vec<String> {
    posted
        .fields
        .list(name)
        .iter()
        .map(|c| {
            if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

pub async fn register_person(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let mut posted = match Posted::read(&web, &headers, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let birth_year = posted.number("birthYear", true);
    let arrival_year = posted.number("arrivalYear", false);
    let household = posted.number("householdSize", true);
    let birth_date = posted.day("personal.birthDate", false);
    let permit_expires = posted.day("permitExpiresOn", false);
    if !posted.errors.is_empty() {
        return posted.again("person_new.html", person_extra());
    }
    let person_id = posted.get("personId").to_owned();
    let mut contacts = Vec::new();
    if let Some(phone) = posted.optional("phone") {
        contacts.push(json!({ "kind": "PHONE", "value": phone }));
    }
    let input = json!({
        "personId": person_id,
        "siteId": site_of(&posted.account),
        "occurredAt": drawn_at(posted.get("eventId")),
        "birthYear": birth_year,
        "sex": posted.get("sex"),
        "citizenships": codes(&posted, "citizenships", true),
        "countryOfBirth": posted.get("countryOfBirth").to_ascii_uppercase(),
        "arrivalYear": arrival_year,
        "permitType": posted.get("permitType"),
        "permitExpiresOn": permit_expires,
        "languages": codes(&posted, "languages", false),
        "householdSize": household,
        "minor": posted.get("minor") == "on",
        "personal": {
            "fullName": posted.get("personal.fullName"),
            "birthDate": birth_date,
            "contacts": contacts,
            "fiscalCode": posted.optional("personal.fiscalCode").map(|f| f.to_ascii_uppercase()),
        },
    });
    if posted.record(&REGISTER, input).await {
        Redirect::to(&format!("/persone/{person_id}")).into_response()
    } else {
        posted.again("person_new.html", person_extra())
    }
}

const INTAKE: Mutation = Mutation {
    field: "recordIntake",
    input: "RecordIntakeInput",
    fields: &["date", "time", "channel", "needs", "note", "referredBy"],
    moved: &[("occurredAt", "date")],
};

fn intake_spec(person_id: &str) -> Spec {
    Spec {
        title: "intake-title",
        intro: None,
        action: format!("/persone/{person_id}/colloquio"),
        back: Some(format!("/persone/{person_id}")),
        hidden: &["personId"],
        inputs: vec![
            Input::date("date").required(),
            Input::time("time").required(),
            Input::select("channel", CHANNELS, "channel").required(),
            Input::service("referredBy"),
            Input::checks("needs", NEEDS, "need"),
            Input::note("note"),
        ],
        about: None,
        submit: "record-intake",
    }
}

pub async fn intake_form(
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
    let (date, time) = now_fields();
    let form = json!({
        "personId": id, "eventId": drawn(), "date": date, "time": time, "channel": "WALK_IN",
    });
    let spec = intake_spec(&id);
    show_blank(&web, &ctx, &account, &spec, &form).await
}

pub async fn record_intake(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut posted = match Posted::read(&web, &headers, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let spec = intake_spec(&id);
    let occurred_at = posted.at("date", "time");
    if !posted.errors.is_empty() {
        return posted.again_spec(&spec).await;
    }
    let input = json!({
        "personId": id,
        "siteId": site_of(&posted.account),
        "occurredAt": occurred_at,
        "channel": posted.get("channel"),
        "referredBy": posted.optional("referredBy"),
        "needs": posted.fields.all("needs"),
        "note": posted.optional("note"),
    });
    let next = format!("/persone/{id}");
    posted.record_then(&INTAKE, input, &spec, &next).await
}

const DIARY: Mutation = Mutation {
    field: "writeLogbookEntry",
    input: "WriteLogbookEntryInput",
    fields: &[
        "date",
        "slot",
        "contacts",
        "languages",
        "observations",
        "incidents",
        "emergingNeeds",
        "difficulties",
        "strategies",
        "trainingNeeds",
    ],
    moved: &[("occurredAt", "date")],
};

fn diary_extra() -> minijinja::Value {
    minijinja::context! { slots => SLOTS, needs => NEEDS }
}

pub async fn diary_form(State(web): State<Web>, headers: HeaderMap) -> Response {
    let (ctx, _) = match mediator(&web, &headers) {
        Ok(signed_in) => signed_in,
        Err(response) => return *response,
    };
    let form = json!({
        "eventId": drawn(),
        "date": time::date(time::today(Utc::now())),
        "slot": "FULL_DAY",
    });
    show(
        &web,
        &ctx,
        StatusCode::OK,
        "diary.html",
        &form,
        &FormErrors::default(),
        diary_extra(),
    )
}

pub async fn write_diary(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let mut posted = match Posted::read(&web, &headers, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let date = posted.day("date", true);
    let contacts = posted.number("contacts", true);
    if !posted.errors.is_empty() {
        return posted.again("diary.html", diary_extra());
    }
    let input = json!({
        "siteId": site_of(&posted.account),
        "date": date,
        // Written when the form was drawn: a retry then sends the very same command.
        "occurredAt": drawn_at(posted.get("eventId")),
        "slot": posted.get("slot"),
        "contacts": contacts,
        "languages": codes(&posted, "languages", false),
        "observations": posted.optional("observations"),
        "incidents": posted.optional("incidents"),
        "emergingNeeds": posted.fields.all("emergingNeeds"),
        "difficulties": posted.optional("difficulties"),
        "strategies": posted.optional("strategies"),
        "trainingNeeds": posted.optional("trainingNeeds"),
    });
    if posted.record(&DIARY, input).await {
        Redirect::to("/oggi?fatto=diario").into_response()
    } else {
        posted.again("diary.html", diary_extra())
    }
}

/// When a form was drawn: the instant of its event id (a ULID carries its milliseconds), so that
/// a form sent twice (a retry after a lost answer) is the same command both times and records
/// nothing twice. Now, for an id that is not a ULID (the API refuses it anyway).
fn drawn_at(event_id: &str) -> DateTime<Utc> {
    Ulid::from_string(event_id)
        .map(|id| DateTime::<Utc>::from(id.datetime()))
        .unwrap_or_else(|_| Utc::now())
}

/// The month a date falls in, `aaaa-mm`.
pub fn month_of(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}
