//! The forms of a person's services: an intervention, a referral and its outcome, a mediation
//! request and its session. Each is a [`Spec`] and a [`Mutation`]; the fact's own id and the
//! event id are drawn when the form is shown.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};
use ulid::Ulid;

use super::{
    drawn, mediator, now_fields, path_id, show_blank, site_of, Input, Mutation, Posted, Spec, NEEDS,
};
use crate::pages::{ask, refused};
use crate::{time, Web};

const ACTIVITIES: &[&str] = &[
    "ORIENTATION_ACCOMPANIMENT",
    "INTEGRATED_CASE_SUPPORT",
    "PARENTAL_SUPPORT",
    "LEGAL_ADVICE",
];
const MODES: &[&str] = &["IN_PERSON", "PHONE", "VIDEO", "ACCOMPANIMENT"];
const LEGAL_TOPICS: &[&str] = &[
    "PERMIT",
    "CITIZENSHIP",
    "WORK",
    "FAMILY",
    "HOUSING",
    "ASYLUM",
    "OTHER",
];
const PARENTAL: &[&str] = &["SOCIO_EDUCATIONAL", "PSYCHO_EDUCATIONAL_COUNSELLING"];
const INTERVENTION_OUTCOMES: &[&str] = &["RESOLVED", "IN_PROGRESS", "REFERRED", "NOT_RESOLVED"];
const URGENCIES: &[&str] = &["ROUTINE", "PRIORITY", "URGENT"];
const REFERRAL_OUTCOMES: &[&str] = &[
    "ACCEPTED",
    "APPOINTMENT_SET",
    "SERVICE_RECEIVED",
    "REFUSED",
    "NO_SHOW",
    "LOST_CONTACT",
];
const MEDIATION_MODES: &[&str] = &["ON_CALL", "SCHEDULED"];
const PARTIES: &[&str] = &[
    "BENEFICIARY",
    "FAMILY_MEMBER",
    "SERVICE_OPERATOR",
    "HEALTH_WORKER",
    "TEACHER",
    "SOCIAL_WORKER",
    "OTHER",
];
const KINDS: &[&str] = &["LINGUISTIC", "INTERCULTURAL", "SOCIAL", "CONFLICT"];
const SESSION_OUTCOMES: &[&str] = &["COMPLETED", "PARTIALLY_COMPLETED", "NOT_COMPLETED"];
const PLACES: &[&str] = &["DESK", "HOSPITAL", "QUESTURA", "SCHOOL", "PHONE", "OTHER"];

/// A form's first page: the spec, with its values drawn.
async fn first(web: &Web, headers: &HeaderMap, spec: Spec, form: Value) -> Response {
    let (ctx, account) = match mediator(web, headers) {
        Ok(signed_in) => signed_in,
        Err(response) => return *response,
    };
    show_blank(web, &ctx, &account, &spec, &form).await
}

/// The date and time of now, the event id, and the given fields.
fn drawn_form(mut fields: Value) -> Value {
    let (date, time) = now_fields();
    fields["date"] = date.into();
    fields["time"] = time.into();
    fields["eventId"] = drawn().into();
    fields
}

const INTERVENTION: Mutation = Mutation {
    field: "recordIntervention",
    input: "RecordInterventionInput",
    fields: &[
        "date",
        "time",
        "activity",
        "mode",
        "durationMinutes",
        "language",
        "need",
        "serviceId",
        "legalTopic",
        "parentalKind",
        "outcome",
        "note",
    ],
    moved: &[("occurredAt", "date")],
};

fn intervention_spec(person_id: &str) -> Spec {
    Spec {
        title: "intervention-title",
        intro: None,
        action: format!("/persone/{person_id}/intervento"),
        back: Some(format!("/persone/{person_id}")),
        hidden: &["interventionId"],
        inputs: vec![
            Input::date("date").required(),
            Input::time("time").required(),
            Input::select("activity", ACTIVITIES, "activity").required(),
            Input::select("mode", MODES, "mode").required(),
            Input::text("durationMinutes")
                .required()
                .hint("hint-minutes"),
            Input::text("language").required().hint("hint-language"),
            Input::select("need", NEEDS, "need"),
            Input::service("serviceId").hint("hint-service"),
            Input::select("legalTopic", LEGAL_TOPICS, "legal"),
            Input::select("parentalKind", PARENTAL, "parental"),
            Input::select("outcome", INTERVENTION_OUTCOMES, "intervention-outcome").required(),
            Input::note("note"),
        ],
        about: None,
        submit: "record-intervention",
    }
}

pub async fn intervention_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let form = drawn_form(json!({
        "interventionId": drawn(), "activity": "ORIENTATION_ACCOMPANIMENT", "mode": "IN_PERSON",
        "durationMinutes": "30", "outcome": "RESOLVED",
    }));
    with_person(&web, &headers, &id, intervention_spec(&id), form).await
}

/// The first page of a form about the person `id` (a ULID, else "no such page").
async fn with_person(
    web: &Web,
    headers: &HeaderMap,
    id: &str,
    spec: Spec,
    form: Value,
) -> Response {
    if Ulid::from_string(id).is_err() {
        let ctx = crate::pages::Ctx::of(web, headers);
        return refused(web, &ctx, StatusCode::NOT_FOUND, "refused-not-found");
    }
    first(web, headers, spec, form).await
}

pub async fn record_intervention(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut posted = match Posted::read(&web, &headers, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let spec = intervention_spec(&id);
    let occurred_at = posted.at("date", "time");
    let minutes = posted.number("durationMinutes", true);
    if !posted.errors.is_empty() {
        return posted.again_spec(&spec).await;
    }
    let input = json!({
        "interventionId": posted.get("interventionId"),
        "personId": id,
        "siteId": site_of(&posted.account),
        "occurredAt": occurred_at,
        "activity": posted.get("activity"),
        "mode": posted.get("mode"),
        "durationMinutes": minutes,
        "staff": [posted.account.user.clone()],
        "language": posted.get("language").to_ascii_lowercase(),
        "need": posted.optional("need"),
        "serviceId": posted.optional("serviceId"),
        "legalTopic": posted.optional("legalTopic"),
        "parentalKind": posted.optional("parentalKind"),
        "outcome": posted.get("outcome"),
        "note": posted.optional("note"),
    });
    let next = format!("/persone/{id}");
    posted.record_then(&INTERVENTION, input, &spec, &next).await
}

const REFERRAL: Mutation = Mutation {
    field: "issueReferral",
    input: "IssueReferralInput",
    fields: &[
        "date",
        "time",
        "serviceId",
        "referralReason",
        "urgency",
        "note",
    ],
    moved: &[("occurredAt", "date"), ("reason", "referralReason")],
};

fn referral_spec(person_id: &str) -> Spec {
    Spec {
        title: "referral-title",
        intro: None,
        action: format!("/persone/{person_id}/invio"),
        back: Some(format!("/persone/{person_id}")),
        hidden: &["referralId"],
        inputs: vec![
            Input::date("date").required(),
            Input::time("time").required(),
            Input::service("serviceId").required(),
            Input::select("referralReason", NEEDS, "need").required(),
            Input::select("urgency", URGENCIES, "urgency").required(),
            Input::note("note").hint("hint-referral-note"),
        ],
        about: None,
        submit: "issue-referral",
    }
}

pub async fn referral_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let form = drawn_form(json!({
        "referralId": drawn(), "referralReason": "DOCUMENTS", "urgency": "ROUTINE",
    }));
    with_person(&web, &headers, &id, referral_spec(&id), form).await
}

pub async fn issue_referral(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut posted = match Posted::read(&web, &headers, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let spec = referral_spec(&id);
    let occurred_at = posted.at("date", "time");
    if posted.get("serviceId").is_empty() {
        posted.missing("serviceId");
    }
    if !posted.errors.is_empty() {
        return posted.again_spec(&spec).await;
    }
    let input = json!({
        "referralId": posted.get("referralId"),
        "personId": id,
        "siteId": site_of(&posted.account),
        "occurredAt": occurred_at,
        "serviceId": posted.get("serviceId"),
        "reason": posted.get("referralReason"),
        "urgency": posted.get("urgency"),
        "note": posted.optional("note"),
    });
    let next = format!("/persone/{id}");
    posted.record_then(&REFERRAL, input, &spec, &next).await
}

const OUTCOME: Mutation = Mutation {
    field: "recordReferralOutcome",
    input: "RecordReferralOutcomeInput",
    fields: &["date", "time", "outcome", "appointmentOn", "note"],
    moved: &[("occurredAt", "date")],
};

fn outcome_spec(referral_id: &str, person_id: Option<&str>) -> Spec {
    Spec {
        title: "outcome-title",
        intro: None,
        action: format!("/invii/{referral_id}/esito"),
        back: person_id.map(|p| format!("/persone/{p}")),
        hidden: &["personId"],
        inputs: vec![
            Input::date("date").required(),
            Input::time("time").required(),
            Input::select("outcome", REFERRAL_OUTCOMES, "referral-outcome").required(),
            Input::date("appointmentOn").hint("hint-appointment-on"),
            Input::note("note"),
        ],
        about: None,
        submit: "record-outcome",
    }
}

/// What the outcome form says of its referral: the service and the day it was issued; the
/// person it is about. `None` for a referral the mediator may not see.
async fn referral_about(
    web: &Web,
    account: &crate::accounts::Account,
    lang: crate::i18n::Lang,
    id: &str,
) -> Option<(String, String)> {
    let data = ask(
        web,
        account,
        "query Referral($id: ID!) { referral(id: $id) { personId serviceName issuedAt } }",
        json!({ "id": id }),
    )
    .await
    .ok()?;
    let referral = &data["referral"];
    let person = referral["personId"].as_str()?.to_owned();
    let issued = referral["issuedAt"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .map(time::date_time)
        .unwrap_or_default();
    let service = referral["serviceName"].as_str().unwrap_or("").to_owned();
    let about = web.catalogues.text(
        lang,
        "outcome-about",
        &[("service", service), ("issued", issued)],
    );
    Some((person, about))
}

pub async fn outcome_form(
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
    let Some((person, about)) = referral_about(&web, &account, ctx.lang, &id).await else {
        return refused(&web, &ctx, StatusCode::NOT_FOUND, "refused-not-found");
    };
    let form = drawn_form(json!({ "personId": person, "outcome": "ACCEPTED" }));
    let spec = Spec {
        about: Some(about),
        ..outcome_spec(&id, Some(&person))
    };
    show_blank(&web, &ctx, &account, &spec, &form).await
}

pub async fn record_outcome(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut posted = match Posted::read(&web, &headers, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let person = posted
        .optional("personId")
        .filter(|p| Ulid::from_string(p).is_ok());
    let spec = outcome_spec(&id, person.as_deref());
    let occurred_at = posted.at("date", "time");
    let appointment_on = posted.day("appointmentOn", false);
    if !posted.errors.is_empty() {
        return posted.again_spec(&spec).await;
    }
    let input = json!({
        "referralId": id,
        "occurredAt": occurred_at,
        "outcome": posted.get("outcome"),
        "appointmentOn": appointment_on,
        "note": posted.optional("note"),
    });
    let next = person.map_or("/oggi".to_owned(), |p| format!("/persone/{p}"));
    posted.record_then(&OUTCOME, input, &spec, &next).await
}

const MEDIATION: Mutation = Mutation {
    field: "requestMediation",
    input: "RequestMediationInput",
    fields: &[
        "date",
        "time",
        "mode",
        "requestingService",
        "language",
        "slotDay",
        "slotStart",
        "slotEnd",
    ],
    moved: &[("occurredAt", "date")],
};

fn mediation_spec(person_id: Option<&str>) -> Spec {
    Spec {
        title: "mediation-title",
        intro: Some("mediation-intro"),
        action: "/mediazioni/nuova".into(),
        back: person_id.map(|p| format!("/persone/{p}")),
        hidden: &["mediationId", "personId"],
        inputs: vec![
            Input::date("date").required(),
            Input::time("time").required(),
            Input::select("mode", MEDIATION_MODES, "mediation-mode").required(),
            Input::text("language").required().hint("hint-language"),
            Input::service("requestingService").hint("hint-requesting"),
            Input::date("slotDay"),
            Input::time("slotStart"),
            Input::time("slotEnd"),
        ],
        about: None,
        submit: "request-mediation",
    }
}

#[derive(Deserialize)]
pub struct MediationQuery {
    /// The person concerned: an id, never data.
    persona: Option<String>,
}

pub async fn mediation_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<MediationQuery>,
) -> Response {
    let person = query.persona.filter(|p| Ulid::from_string(p).is_ok());
    let form = drawn_form(json!({
        "mediationId": drawn(), "personId": person, "mode": "ON_CALL",
    }));
    first(&web, &headers, mediation_spec(person.as_deref()), form).await
}

pub async fn request_mediation(
    State(web): State<Web>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut posted = match Posted::read(&web, &headers, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let person = posted
        .optional("personId")
        .filter(|p| Ulid::from_string(p).is_ok());
    let spec = mediation_spec(person.as_deref());
    let occurred_at = posted.at("date", "time");
    let (slot_start, slot_end) = if posted.get("slotDay").is_empty() {
        (None, None)
    } else {
        (
            posted.at("slotDay", "slotStart"),
            posted.at("slotDay", "slotEnd"),
        )
    };
    if !posted.errors.is_empty() {
        return posted.again_spec(&spec).await;
    }
    let mediation_id = posted.get("mediationId").to_owned();
    let input = json!({
        "mediationId": mediation_id,
        "siteId": site_of(&posted.account),
        "occurredAt": occurred_at,
        "mode": posted.get("mode"),
        "requestingService": posted.optional("requestingService"),
        "personId": person,
        "language": posted.get("language").to_ascii_lowercase(),
        "slotStart": slot_start,
        "slotEnd": slot_end,
    });
    let next = format!("/mediazioni/{mediation_id}/sessione");
    posted.record_then(&MEDIATION, input, &spec, &next).await
}

const SESSION: Mutation = Mutation {
    field: "recordMediationSession",
    input: "RecordMediationSessionInput",
    fields: &[
        "date",
        "start",
        "end",
        "languages.from",
        "languages.to",
        "parties",
        "mediationKind",
        "outcome",
        "place",
        "followUpNeeded",
        "followUpBy",
        "note",
    ],
    moved: &[
        ("startedAt", "start"),
        ("endedAt", "end"),
        ("kind", "mediationKind"),
    ],
};

fn session_spec(mediation_id: &str) -> Spec {
    Spec {
        title: "session-title",
        intro: Some("session-intro"),
        action: format!("/mediazioni/{mediation_id}/sessione"),
        back: None,
        hidden: &[],
        inputs: vec![
            Input::date("date").required(),
            Input::select("place", PLACES, "place"),
            Input::time("start").required(),
            Input::time("end").required(),
            Input::text("languages.from")
                .required()
                .hint("hint-language"),
            Input::text("languages.to").required().hint("hint-language"),
            Input::checks("parties", PARTIES, "party"),
            Input::select("mediationKind", KINDS, "mediation-kind").required(),
            Input::select("outcome", SESSION_OUTCOMES, "session-outcome").required(),
            Input::flag("followUpNeeded"),
            Input::date("followUpBy"),
            Input::note("note"),
        ],
        about: None,
        submit: "record-session",
    }
}

pub async fn session_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (date, _) = now_fields();
    let form = json!({
        "eventId": drawn(), "date": date, "languages.to": "it", "mediationKind": "LINGUISTIC",
        "outcome": "COMPLETED",
    });
    with_person(&web, &headers, &id, session_spec(&id), form).await
}

pub async fn record_session(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut posted = match Posted::read(&web, &headers, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let spec = session_spec(&id);
    let started_at = posted.at("date", "start");
    let ended_at = posted.at("date", "end");
    let follow_up_by = posted.day("followUpBy", false);
    if !posted.errors.is_empty() {
        return posted.again_spec(&spec).await;
    }
    let input = json!({
        "mediationId": id,
        "startedAt": started_at,
        "endedAt": ended_at,
        "languages": {
            "from": posted.get("languages.from").to_ascii_lowercase(),
            "to": posted.get("languages.to").to_ascii_lowercase(),
        },
        "parties": posted.fields.all("parties"),
        "kind": posted.get("mediationKind"),
        "outcome": posted.get("outcome"),
        "followUpNeeded": posted.get("followUpNeeded") == "on",
        "note": posted.optional("note"),
        "place": posted.optional("place"),
        "followUpBy": follow_up_by,
    });
    posted
        .record_then(&SESSION, input, &spec, "/oggi?fatto=sessione")
        .await
}
