//! The typed mutations, through `schema.execute(..)` against a real desk on a temporary journal.
//!
//! One realistic flow records every mutation and checks the events each returns; the other tests
//! check the error codes: REJECTED and NOT_FOUND with the field, a retry with the same event id,
//! CONFLICT on a stale expected version, BAD_INPUT on a malformed ULID, UNAUTHENTICATED and
//! FORBIDDEN.

use api::{ApiConfig, AppState, Principal};
use async_graphql::{Request, Response, Variables};
use chrono::{DateTime, Duration, Utc};
use domain::{Actor, Role};
use serde_json::{json, Value};
use tempfile::TempDir;
use ulid::Ulid;

const SITE: &str = "montelucci-4";
const DIRECTORY: [&str; 3] = ["mapService", "updateService", "retireService"];

/// A desk on a temporary journal, and the last position seen (positions must only grow).
struct Harness {
    state: AppState,
    last_position: u64,
    _dir: TempDir,
}

fn mediator() -> Actor {
    Actor::new("m.rossi", Role::Mediator)
}

fn supervisor() -> Actor {
    Actor::new("s.bianchi", Role::Supervisor)
}

fn new_id() -> String {
    Ulid::new().to_string()
}

/// A time well in the past, so that nothing is refused as being in the future.
fn days_ago(days: i64) -> DateTime<Utc> {
    Utc::now() - Duration::days(days)
}

fn at(time: DateTime<Utc>) -> String {
    time.to_rfc3339()
}

fn day(time: DateTime<Utc>) -> String {
    time.date_naive().to_string()
}

/// `recordIntake` → `RecordIntakeInput`.
fn input_type(mutation: &str) -> String {
    let mut name = mutation[..1].to_uppercase();
    name.push_str(&mutation[1..]);
    name + "Input"
}

impl Harness {
    fn open() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let desk = desk::Desk::open(dir.path().join("data"), desk::DeskOptions::default()).unwrap();
        let security = api::Security::open(&dir.path().join("data")).unwrap();
        Harness {
            state: AppState::new(desk, ApiConfig::default(), security),
            last_position: 0,
            _dir: dir,
        }
    }

    /// Runs `mutation` with `input` and `options` as `actor` (or nobody).
    async fn execute(
        &self,
        actor: Option<Actor>,
        mutation: &str,
        input: Value,
        options: Value,
    ) -> Response {
        let query = format!(
            "mutation($input: {}!, $options: RecordOptions) {{ \
               {mutation}(input: $input, options: $options) {{ \
                 alreadyRecorded events {{ id type stream position version hash prevHash payload }} \
               }} \
             }}",
            input_type(mutation)
        );
        let mut request = Request::new(query).variables(Variables::from_json(json!({
            "input": input,
            "options": options,
        })));
        // The service directory is an admin's: these tests about other things let the desk's
        // admin keep it when they say "the mediator" (`access.rs` checks who may do what).
        let actor = actor.map(|a| {
            if a == mediator() && DIRECTORY.contains(&mutation) {
                Actor::new("a.conti", Role::Admin)
            } else {
                a
            }
        });
        if let Some(actor) = actor {
            let site = (actor.role == Role::Mediator).then(|| domain::SiteId::new(SITE));
            request = request
                .data(Principal::new(actor, site))
                .data(api::access::ReadLog::default());
        }
        self.state.schema.execute(request).await
    }

    /// Records `input` as the mediator; panics with the errors if refused.
    async fn record(&mut self, mutation: &str, input: Value) -> Value {
        self.record_as(mediator(), mutation, input, Value::Null)
            .await
    }

    async fn record_as(
        &mut self,
        actor: Actor,
        mutation: &str,
        input: Value,
        options: Value,
    ) -> Value {
        let response = self.execute(Some(actor), mutation, input, options).await;
        assert!(
            response.errors.is_empty(),
            "{mutation} was refused: {:?}",
            response.errors
        );
        let data = response.data.into_json().unwrap();
        data[mutation].clone()
    }

    /// Records `input` and checks the one event it returns: its type and stream, a position after
    /// every one seen before, and a 64-hex hash chained to the previous one. Returns the event.
    async fn expect_event(
        &mut self,
        mutation: &str,
        input: Value,
        event_type: &str,
        stream: &str,
    ) -> Value {
        self.expect_event_as(mediator(), mutation, input, event_type, stream)
            .await
    }

    async fn expect_event_as(
        &mut self,
        actor: Actor,
        mutation: &str,
        input: Value,
        event_type: &str,
        stream: &str,
    ) -> Value {
        let recorded = self.record_as(actor, mutation, input, Value::Null).await;
        assert_eq!(recorded["alreadyRecorded"], false, "{mutation}");
        let events = recorded["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{mutation} records one event");
        let event = events[0].clone();
        assert_eq!(event["type"], event_type, "{mutation}");
        assert_eq!(event["stream"], stream, "{mutation}");
        let position = event["position"].as_u64().unwrap();
        assert!(
            position > self.last_position,
            "{mutation}: position {position} after {}",
            self.last_position
        );
        self.last_position = position;
        let hash = event["hash"].as_str().unwrap();
        assert!(is_hex64(hash), "{mutation}: hash {hash:?}");
        assert!(is_hex64(event["prevHash"].as_str().unwrap()));
        assert!(Ulid::from_string(event["id"].as_str().unwrap()).is_ok());
        event
    }

    /// Runs `mutation` as the mediator and returns its single error.
    async fn refusal(
        &self,
        mutation: &str,
        input: Value,
        options: Value,
    ) -> async_graphql::ServerError {
        let response = self
            .execute(Some(mediator()), mutation, input, options)
            .await;
        assert_eq!(
            response.errors.len(),
            1,
            "{mutation}: {:?}",
            response.errors
        );
        response.errors[0].clone()
    }
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `extensions.code` and `extensions.field` of an error.
fn code_and_field(error: &async_graphql::ServerError) -> (String, Option<String>) {
    let extensions = serde_json::to_value(error.extensions.as_ref().expect("extensions")).unwrap();
    (
        extensions["code"].as_str().unwrap_or_default().to_owned(),
        extensions["field"].as_str().map(str::to_owned),
    )
}

fn service_input(service_id: &str, occurred_at: DateTime<Utc>, name: &str) -> Value {
    json!({
        "serviceId": service_id,
        "occurredAt": at(occurred_at),
        "name": name,
        "kind": "HEALTH",
        "address": "Via Nomentana 1, Roma",
        "openingHours": "Mon–Fri 9:00–13:00",
        "languages": ["it", "en"],
        "accessRules": "by appointment, with STP code",
        "ukraineCapacity": {"receptionPlaces": 0, "health": true, "schoolAccess": false},
        "verifiedOn": day(occurred_at),
    })
}

fn person_input(person_id: &str, occurred_at: DateTime<Utc>) -> Value {
    json!({
        "personId": person_id,
        "siteId": SITE,
        "occurredAt": at(occurred_at),
        "birthYear": 1988,
        "sex": "FEMALE",
        "citizenships": ["UA"],
        "countryOfBirth": "UA",
        "arrivalYear": 2022,
        "permitType": "TEMPORARY_PROTECTION",
        "permitExpiresOn": "2026-03-04",
        "languages": ["uk", "ru"],
        "householdSize": 3,
        "personal": {
            "fullName": "Olena Kovalenko",
            "birthDate": "1988-05-17",
            "contacts": [{"kind": "PHONE", "value": "+39 333 000 0000"}],
        },
    })
}

/// A registered person with the SERVICE and SHARING consents, and a mapped service.
struct Served {
    person: String,
    service: String,
}

impl Harness {
    async fn serve_a_person(&mut self, start: DateTime<Utc>) -> Served {
        let service = new_id();
        let person = new_id();
        self.record("mapService", service_input(&service, start, "Consultorio"))
            .await;
        self.record("registerPerson", person_input(&person, start))
            .await;
        self.record(
            "giveConsent",
            json!({
                "personId": person, "siteId": SITE, "occurredAt": at(start),
                "scopes": ["SERVICE", "SHARING"], "sharedWith": ["ASL Roma 1"], "givenBy": "PERSON",
            }),
        )
        .await;
        Served { person, service }
    }
}

#[tokio::test]
async fn a_month_at_the_desk_records_every_mutation() {
    let mut h = Harness::open();
    let t0 = days_ago(30);
    let hour = |n: i64| t0 + Duration::hours(n);

    // The directory: two services, one updated, one to be retired at the end.
    let asl = new_id();
    let cpia = new_id();
    h.expect_event(
        "mapService",
        service_input(&asl, hour(0), "Consultorio ASL Roma 1"),
        "ServiceMapped",
        &format!("service-{asl}"),
    )
    .await;
    h.expect_event(
        "mapService",
        service_input(&cpia, hour(0), "CPIA 3"),
        "ServiceMapped",
        &format!("service-{cpia}"),
    )
    .await;
    let mut update = service_input(&asl, hour(1), "Consultorio ASL Roma 1 – via Nomentana");
    update["languages"] = json!(["it", "en", "uk"]);
    let updated = h
        .expect_event(
            "updateService",
            update,
            "ServiceUpdated",
            &format!("service-{asl}"),
        )
        .await;
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["payload"]["languages"], json!(["it", "en", "uk"]));

    // A person arrives, referred by the health service.
    let person = new_id();
    let person_stream = format!("person-{person}");
    let registered = h
        .expect_event(
            "registerPerson",
            person_input(&person, hour(2)),
            "PersonRegistered",
            &person_stream,
        )
        .await;
    // Enums reach the journal as the domain's words.
    assert_eq!(registered["payload"]["permitType"], "temporary_protection");
    assert_eq!(registered["payload"]["sex"], "female");
    h.expect_event(
        "giveConsent",
        json!({
            "personId": person, "siteId": SITE, "occurredAt": at(hour(2)),
            "scopes": ["SERVICE", "SHARING", "SURVEY_CONTACT"],
            "sharedWith": ["ASL Roma 1", "CPIA 3"], "givenBy": "PERSON",
        }),
        "ConsentGiven",
        &person_stream,
    )
    .await;
    let assessed = h
        .expect_event(
            "assessVulnerability",
            json!({
                "personId": person, "siteId": SITE, "occurredAt": at(hour(2)),
                "categories": ["SINGLE_PARENT_WITH_MINORS"],
                "note": "Two children, 4 and 7.",
            }),
            "VulnerabilityAssessed",
            &person_stream,
        )
        .await;
    assert_eq!(
        assessed["payload"]["categories"],
        json!(["single_parent_with_minors"])
    );
    h.expect_event(
        "recordIntake",
        json!({
            "personId": person, "siteId": SITE, "occurredAt": at(hour(3)),
            "channel": "REFERRED_BY_SERVICE", "referredBy": asl,
            "needs": ["HEALTH", "LANGUAGE", "HOUSING"],
        }),
        "IntakeRecorded",
        &person_stream,
    )
    .await;

    // She is taken in charge.
    let case = new_id();
    let case_stream = format!("case-{case}");
    h.expect_event(
        "openCase",
        json!({
            "caseId": case, "personId": person, "siteId": SITE, "occurredAt": at(hour(4)),
            "caseWorker": "m.rossi", "vulnerabilities": ["SINGLE_PARENT_WITH_MINORS"],
            "partnerServices": [asl],
        }),
        "CaseOpened",
        &case_stream,
    )
    .await;
    h.expect_event(
        "agreeCarePlan",
        json!({
            "caseId": case, "occurredAt": at(hour(5)), "needs": ["HEALTH", "LANGUAGE"],
            "goals": ["Register with a family doctor", "Enrol in an Italian course"],
            "partnerServices": [asl, cpia], "reviewOn": day(hour(5) + Duration::days(30)),
        }),
        "CarePlanAgreed",
        &case_stream,
    )
    .await;
    let intervention = h
        .expect_event(
            "recordIntervention",
            json!({
                "interventionId": new_id(), "personId": person, "caseId": case, "siteId": SITE,
                "occurredAt": at(hour(6)), "activity": "INTEGRATED_CASE_SUPPORT",
                "mode": "ACCOMPANIMENT", "durationMinutes": 90, "staff": ["m.rossi"],
                "language": "uk", "need": "HEALTH", "serviceId": asl, "outcome": "IN_PROGRESS",
            }),
            "InterventionDelivered",
            &case_stream,
        )
        .await;
    let referral = new_id();
    let referral_stream = format!("referral-{referral}");
    h.expect_event(
        "issueReferral",
        json!({
            "referralId": referral, "personId": person, "caseId": case, "siteId": SITE,
            "occurredAt": at(hour(7)), "serviceId": cpia, "reason": "LANGUAGE",
            "urgency": "ROUTINE", "note": "Evening classes preferred.",
        }),
        "ReferralIssued",
        &referral_stream,
    )
    .await;
    let outcome = h
        .expect_event(
            "recordReferralOutcome",
            json!({
                "referralId": referral, "occurredAt": at(hour(30)),
                "outcome": "APPOINTMENT_SET", "appointmentOn": day(hour(30) + Duration::days(3)),
            }),
            "ReferralOutcomeRecorded",
            &referral_stream,
        )
        .await;
    assert_eq!(outcome["payload"]["outcome"], "appointment_set");

    // Mediation at the health service: one scheduled and held, one on call and cancelled.
    let mediation = new_id();
    let mediation_stream = format!("mediation-{mediation}");
    h.expect_event(
        "requestMediation",
        json!({
            "mediationId": mediation, "siteId": SITE, "occurredAt": at(hour(8)),
            "mode": "SCHEDULED", "requestingService": asl, "personId": person, "caseId": case,
            "language": "uk", "slotStart": at(hour(48)), "slotEnd": at(hour(49)),
        }),
        "MediationRequested",
        &mediation_stream,
    )
    .await;
    let session = h
        .expect_event(
            "recordMediationSession",
            json!({
                "mediationId": mediation, "startedAt": at(hour(48)), "endedAt": at(hour(49)),
                "mediator": "m.rossi", "languages": {"from": "uk", "to": "it"},
                "parties": ["BENEFICIARY", "HEALTH_WORKER"], "kind": "LINGUISTIC",
                "outcome": "COMPLETED", "followUpNeeded": true,
            }),
            "MediationSessionHeld",
            &mediation_stream,
        )
        .await;
    assert_eq!(
        session["payload"]["languages"],
        json!({"from": "uk", "to": "it"})
    );
    let on_call = new_id();
    h.expect_event(
        "requestMediation",
        json!({
            "mediationId": on_call, "siteId": SITE, "occurredAt": at(hour(50)),
            "mode": "ON_CALL", "language": "ar",
        }),
        "MediationRequested",
        &format!("mediation-{on_call}"),
    )
    .await;
    h.expect_event(
        "cancelMediation",
        json!({"mediationId": on_call, "occurredAt": at(hour(51)), "reason": "NO_MEDIATOR_AVAILABLE"}),
        "MediationCancelled",
        &format!("mediation-{on_call}"),
    )
    .await;

    // The desk's other work.
    let activity = new_id();
    h.expect_event(
        "recordGroupActivity",
        json!({
            "activityId": activity, "siteId": SITE, "occurredAt": at(hour(52)),
            "kind": "COMMUNITY_ACTIVATION", "title": "Neighbourhood welcome afternoon",
            "durationMinutes": 120, "attendeesThirdCountry": 14, "attendeesOther": 6,
            "languages": ["it", "uk", "ar"], "associations": ["Ass. Quartiere Aperto"],
            "facilitators": ["m.rossi"],
        }),
        "GroupActivityHeld",
        &format!("group-activity-{activity}"),
    )
    .await;
    let distribution = new_id();
    h.expect_event(
        "distributeInformationMaterial",
        json!({
            "distributionId": distribution, "siteId": SITE, "occurredAt": at(hour(52)),
            "item": "Leaflet: the health card", "language": "uk", "quantity": 25,
            "channel": "GROUP_ACTIVITY",
        }),
        "InformationMaterialDistributed",
        &format!("material-{distribution}"),
    )
    .await;
    let survey = new_id();
    let survey_event = h
        .expect_event(
            "recordSurveyResponse",
            json!({
                "surveyId": survey, "siteId": SITE, "occurredAt": at(hour(53)), "personId": person,
                "scores": [{"item": "welcome", "score": 5}, {"item": "waiting_time", "score": 3}],
                "helpfulForIntegration": true, "comment": "Very kind staff.",
            }),
            "SatisfactionSurveyCompleted",
            &format!("survey-{survey}"),
        )
        .await;
    assert_eq!(
        survey_event["payload"]["scores"][1],
        json!({"item": "waiting_time", "score": 3})
    );
    let logbook_day = hour(54);
    // `mediator` left out: the token's actor writes.
    let logbook_event = h
        .expect_event(
            "writeLogbookEntry",
            json!({
                "siteId": SITE, "date": day(logbook_day), "occurredAt": at(logbook_day),
                "slot": "MORNING", "contacts": 9,
                "languages": ["uk", "ar"], "observations": "Many questions on permit renewals.",
                "emergingNeeds": ["DOCUMENTS"],
            }),
            "LogbookEntryWritten",
            &format!("logbook-{SITE}-{}", day(logbook_day)),
        )
        .await;
    assert_eq!(logbook_event["payload"]["mediator"], mediator().id.as_str());
    let meeting = new_id();
    h.expect_event_as(
        supervisor(),
        "recordSupervisionMeeting",
        json!({
            "meetingId": meeting, "occurredAt": at(hour(55)), "durationMinutes": 120,
            "supervisor": "s.bianchi", "attendees": ["m.rossi", "a.verdi"], "siteIds": [SITE],
            "themes": ["referral delays"], "casesDiscussed": [case],
            "decisions": ["Ask the ASL for a fixed mediation slot."],
            "actions": [{"description": "Call the ASL coordinator", "owner": "m.rossi",
                         "dueOn": day(hour(55) + Duration::days(7))}],
        }),
        "SupervisionMeetingHeld",
        &format!("supervision-{meeting}"),
    )
    .await;

    // The case ends, is reopened, a consent is withdrawn, a service retired.
    h.expect_event(
        "closeCase",
        json!({
            "caseId": case, "occurredAt": at(hour(200)), "reason": "GOALS_ACHIEVED",
            "outcome": "POSITIVE", "note": "Doctor assigned, course started.",
        }),
        "CaseClosed",
        &case_stream,
    )
    .await;
    h.expect_event(
        "reopenCase",
        json!({"caseId": case, "occurredAt": at(hour(300)), "note": "New housing need."}),
        "CaseReopened",
        &case_stream,
    )
    .await;
    h.expect_event(
        "withdrawConsent",
        json!({"personId": person, "siteId": SITE, "occurredAt": at(hour(301)), "scopes": ["SURVEY_CONTACT"]}),
        "ConsentWithdrawn",
        &person_stream,
    )
    .await;
    h.expect_event(
        "retireService",
        json!({"serviceId": cpia, "occurredAt": at(hour(302)), "reason": "merged into CPIA 2"}),
        "ServiceRetired",
        &format!("service-{cpia}"),
    )
    .await;

    // The intervention lasted 60 minutes, not 90: a correction names it.
    let corrected = h
        .expect_event(
            "correctEvent",
            json!({
                "corrects": intervention["id"], "occurredAt": at(hour(303)),
                "fields": {"durationMinutes": 60}, "personalFields": {"note": "Typo fixed."},
                "reason": "typo in the duration",
            }),
            "EventCorrected",
            &case_stream,
        )
        .await;
    assert_eq!(corrected["payload"]["corrects"], intervention["id"]);
    assert_eq!(
        corrected["payload"]["fields"],
        json!({"durationMinutes": 60})
    );
    // Only a personal field: `fields` may be left out.
    let corrected = h
        .expect_event(
            "correctEvent",
            json!({
                "corrects": survey_event["id"], "occurredAt": at(hour(304)),
                "personalFields": {"comment": "Very kind staff, long wait."},
                "reason": "comment transcribed incompletely",
            }),
            "EventCorrected",
            &format!("survey-{survey}"),
        )
        .await;
    assert_eq!(corrected["payload"]["fields"], json!({}));
}

#[tokio::test]
async fn every_command_has_a_typed_mutation() {
    let sdl = api::sdl();
    for name in domain::COMMAND_NAMES {
        if *name == "RecordCheckpoint" {
            // The desk signs checkpoints itself: `signCheckpoint` takes no input.
            assert!(sdl.contains("signCheckpoint(options: RecordOptions): Checkpoint!"));
            continue;
        }
        let mutation = format!("{}{}", name[..1].to_lowercase(), &name[1..]);
        let signature =
            format!("{mutation}(input: {name}Input!, options: RecordOptions): Recorded!");
        assert!(sdl.contains(&signature), "missing `{signature}`");
    }
    assert!(
        sdl.contains("recordCommand("),
        "the JSON escape hatch stays"
    );
}

#[tokio::test]
async fn a_rejected_command_names_the_field() {
    let mut h = Harness::open();
    let t0 = days_ago(10);
    let served = h.serve_a_person(t0).await;

    let error = h
        .refusal(
            "recordIntake",
            json!({
                "personId": served.person, "siteId": SITE, "occurredAt": at(t0),
                "channel": "WALK_IN", "needs": [],
            }),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("REJECTED".into(), Some("needs".into()))
    );

    let error = h
        .refusal(
            "registerPerson",
            json!({
                "personId": new_id(), "siteId": SITE, "occurredAt": at(t0),
                "birthYear": 1990, "sex": "MALE", "citizenships": ["Bangladesh"],
                "countryOfBirth": "BD", "permitType": "WORK", "languages": ["bn"],
                "householdSize": 1, "personal": {"fullName": "R. Ahmed"},
            }),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("REJECTED".into(), Some("citizenships[0]".into()))
    );

    let error = h
        .refusal(
            "recordMediationSession",
            json!({
                "mediationId": new_id(), "startedAt": at(t0), "endedAt": at(t0 + Duration::hours(1)),
                "mediator": "m.rossi", "languages": {"from": "ar", "to": "ar"},
                "parties": ["BENEFICIARY"], "kind": "SOCIAL", "outcome": "COMPLETED",
            }),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("NOT_FOUND".into(), Some("mediationId".into()))
    );

    // A survey of a person who gave no survey-contact consent.
    let error = h
        .refusal(
            "recordSurveyResponse",
            json!({
                "surveyId": new_id(), "siteId": SITE, "occurredAt": at(t0),
                "personId": served.person, "scores": [{"item": "overall", "score": 4}],
                "helpfulForIntegration": true,
            }),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("REJECTED".into(), Some("personId".into()))
    );
}

#[tokio::test]
async fn a_missing_person_case_or_service_is_not_found() {
    let mut h = Harness::open();
    let t0 = days_ago(10);
    let served = h.serve_a_person(t0).await;

    let error = h
        .refusal(
            "giveConsent",
            json!({
                "personId": new_id(), "siteId": SITE, "occurredAt": at(t0),
                "scopes": ["SERVICE"], "givenBy": "PERSON",
            }),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("NOT_FOUND".into(), Some("personId".into()))
    );

    let error = h
        .refusal(
            "closeCase",
            json!({"caseId": new_id(), "occurredAt": at(t0), "reason": "OTHER", "outcome": "PARTIAL"}),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("NOT_FOUND".into(), Some("caseId".into()))
    );

    let error = h
        .refusal(
            "issueReferral",
            json!({
                "referralId": new_id(), "personId": served.person, "siteId": SITE,
                "occurredAt": at(t0), "serviceId": new_id(), "reason": "WORK", "urgency": "PRIORITY",
            }),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("NOT_FOUND".into(), Some("serviceId".into()))
    );

    let error = h
        .refusal(
            "updateService",
            service_input(&new_id(), t0, "Nowhere"),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("NOT_FOUND".into(), Some("serviceId".into()))
    );

    let error = h
        .refusal(
            "correctEvent",
            json!({"corrects": new_id(), "occurredAt": at(t0), "fields": {"quantity": 2}, "reason": "miscount"}),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("NOT_FOUND".into(), Some("corrects".into()))
    );

    // A retired service is refused, not missing.
    h.record(
        "retireService",
        json!({"serviceId": served.service, "occurredAt": at(t0), "reason": "closed"}),
    )
    .await;
    let error = h
        .refusal(
            "openCase",
            json!({
                "caseId": new_id(), "personId": served.person, "siteId": SITE,
                "occurredAt": at(t0), "caseWorker": "m.rossi", "partnerServices": [served.service],
            }),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("REJECTED".into(), Some("partnerServices[0]".into()))
    );
}

#[tokio::test]
async fn a_retry_with_the_same_event_id_records_nothing_twice() {
    let mut h = Harness::open();
    let t0 = days_ago(10);
    let served = h.serve_a_person(t0).await;
    let input = json!({
        "personId": served.person, "siteId": SITE, "occurredAt": at(t0 + Duration::hours(1)),
        "channel": "WALK_IN", "needs": ["DOCUMENTS"], "note": "Permit renewal.",
    });
    let options = json!({"eventId": new_id()});

    let first = h
        .record_as(mediator(), "recordIntake", input.clone(), options.clone())
        .await;
    assert_eq!(first["alreadyRecorded"], false);
    assert_eq!(first["events"][0]["id"], options["eventId"]);
    let first_position = first["events"][0]["position"].as_u64().unwrap();
    let again = h
        .record_as(mediator(), "recordIntake", input, options.clone())
        .await;
    assert_eq!(again["alreadyRecorded"], true);
    assert_eq!(
        again["events"], first["events"],
        "same events, same positions"
    );

    // A creation retried: the domain would refuse the existing id, the event id answers first.
    let service_options = json!({"eventId": new_id()});
    let service = service_input(&new_id(), t0, "Centro per l'impiego");
    let first = h
        .record_as(
            mediator(),
            "mapService",
            service.clone(),
            service_options.clone(),
        )
        .await;
    let again = h
        .record_as(mediator(), "mapService", service, service_options)
        .await;
    assert_eq!(again["alreadyRecorded"], true);
    assert_eq!(
        again["events"][0]["position"],
        first["events"][0]["position"]
    );

    // The same event id for another fact is a conflict.
    let error = h
        .refusal(
            "assessVulnerability",
            json!({
                "personId": served.person, "siteId": SITE, "occurredAt": at(t0 + Duration::hours(2)),
            }),
            options.clone(),
        )
        .await;
    assert_eq!(code_and_field(&error).0, "CONFLICT");

    // The same kind of fact with other content (other needs, another person) is a conflict
    // too, naming the id and the position it holds: never `alreadyRecorded` for a fact that
    // was not recorded.
    let other_person = h.serve_a_person(t0).await;
    for changed in [
        json!({"needs": ["HOUSING"]}),
        json!({"personId": other_person.person}),
    ] {
        let mut input = json!({
            "personId": served.person, "siteId": SITE, "occurredAt": at(t0 + Duration::hours(1)),
            "channel": "WALK_IN", "needs": ["DOCUMENTS"], "note": "Permit renewal.",
        });
        for (k, v) in changed.as_object().unwrap() {
            input[k] = v.clone();
        }
        let error = h.refusal("recordIntake", input, options.clone()).await;
        assert_eq!(code_and_field(&error).0, "CONFLICT", "{error:?}");
        let id = options["eventId"].as_str().unwrap();
        let position = first_position.to_string();
        assert!(
            error.message.contains(id) && error.message.contains(&position),
            "{}",
            error.message
        );
    }
}

/// Regression: the desk once compared a retry's time with the command's, which for a session is
/// when it ended while the event's is when it started, so a retried session was refused.
#[tokio::test]
async fn a_mediation_session_retried_is_recorded_once() {
    let mut h = Harness::open();
    let t0 = days_ago(10);
    let mediation = new_id();
    h.record(
        "requestMediation",
        json!({
            "mediationId": mediation, "siteId": SITE, "occurredAt": at(t0),
            "mode": "ON_CALL", "language": "ti",
        }),
    )
    .await;
    let session = json!({
        "mediationId": mediation, "startedAt": at(t0 + Duration::hours(1)),
        "endedAt": at(t0 + Duration::hours(2)), "mediator": "m.rossi",
        "languages": {"from": "ti", "to": "it"}, "parties": ["BENEFICIARY", "TEACHER"],
        "kind": "INTERCULTURAL", "outcome": "PARTIALLY_COMPLETED",
    });
    let options = json!({"eventId": new_id()});
    let first = h
        .record_as(
            mediator(),
            "recordMediationSession",
            session.clone(),
            options.clone(),
        )
        .await;
    let again = h
        .record_as(mediator(), "recordMediationSession", session, options)
        .await;
    assert_eq!(again["alreadyRecorded"], true);
    assert_eq!(again["events"], first["events"]);
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict() {
    let mut h = Harness::open();
    let t0 = days_ago(10);
    let served = h.serve_a_person(t0).await;
    let case = new_id();
    h.record(
        "openCase",
        json!({
            "caseId": case, "personId": served.person, "siteId": SITE,
            "occurredAt": at(t0), "caseWorker": "m.rossi",
        }),
    )
    .await;
    let close = json!({
        "caseId": case, "occurredAt": at(t0 + Duration::hours(1)),
        "reason": "MOVED_AWAY", "outcome": "PARTIAL",
    });

    let error = h
        .refusal("closeCase", close.clone(), json!({"expectedVersion": 3}))
        .await;
    assert_eq!(code_and_field(&error).0, "CONFLICT");
    let extensions = serde_json::to_value(error.extensions.as_ref().unwrap()).unwrap();
    assert_eq!(extensions["stream"], format!("case-{case}"));
    assert_eq!(extensions["expectedVersion"], 3);
    assert_eq!(extensions["actualVersion"], 1);

    let closed = h
        .record_as(
            mediator(),
            "closeCase",
            close,
            json!({"expectedVersion": 1}),
        )
        .await;
    assert_eq!(closed["events"][0]["version"], 2);
}

#[tokio::test]
async fn a_malformed_ulid_is_bad_input_naming_the_field() {
    let mut h = Harness::open();
    let t0 = days_ago(10);
    let served = h.serve_a_person(t0).await;

    let error = h
        .refusal("registerPerson", person_input("P-0001", t0), Value::Null)
        .await;
    assert_eq!(
        code_and_field(&error),
        ("BAD_INPUT".into(), Some("personId".into()))
    );
    assert!(error.message.contains("ULID"), "{}", error.message);

    let error = h
        .refusal(
            "agreeCarePlan",
            json!({
                "caseId": new_id(), "occurredAt": at(t0), "needs": ["HEALTH"],
                "partnerServices": [served.service, "asl-roma-1"], "reviewOn": day(t0 + Duration::days(9)),
            }),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("BAD_INPUT".into(), Some("partnerServices[1]".into()))
    );

    let error = h
        .refusal(
            "retireService",
            json!({"serviceId": served.service, "occurredAt": at(t0), "reason": "closed"}),
            json!({"eventId": "retry-1"}),
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("BAD_INPUT".into(), Some("eventId".into()))
    );
}

#[tokio::test]
async fn nobody_records_nothing_and_roles_are_enforced() {
    let mut h = Harness::open();
    let t0 = days_ago(10);
    let input = service_input(&new_id(), t0, "Anagrafe");

    let response = h
        .execute(None, "mapService", input.clone(), Value::Null)
        .await;
    assert_eq!(response.errors.len(), 1);
    assert_eq!(code_and_field(&response.errors[0]).0, "UNAUTHENTICATED");

    let evaluator = Actor::new("valutatore", Role::Evaluator);
    let response = h
        .execute(Some(evaluator), "mapService", input.clone(), Value::Null)
        .await;
    assert_eq!(
        code_and_field(&response.errors[0]),
        ("FORBIDDEN".into(), Some("actor".into()))
    );

    // Only a supervisor or an admin records a supervision meeting.
    let meeting = json!({
        "meetingId": new_id(), "occurredAt": at(t0), "durationMinutes": 90,
        "supervisor": "s.bianchi", "attendees": ["m.rossi"], "siteIds": [SITE],
    });
    let error = h
        .refusal("recordSupervisionMeeting", meeting.clone(), Value::Null)
        .await;
    assert_eq!(
        code_and_field(&error),
        ("FORBIDDEN".into(), Some("actor".into()))
    );
    h.record_as(
        supervisor(),
        "recordSupervisionMeeting",
        meeting,
        Value::Null,
    )
    .await;

    // A mediator writes the logbook only in their own name.
    let error = h
        .refusal(
            "writeLogbookEntry",
            json!({
                "siteId": SITE, "date": day(t0), "occurredAt": at(t0), "mediator": "a.verdi",
                "slot": "AFTERNOON", "contacts": 3, "languages": ["ar"],
            }),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("FORBIDDEN".into(), Some("mediator".into()))
    );
}

/// A mediator records in their own name: every input that repeats the actor (`mediator`,
/// `caseWorker`) names the token's actor or is left out; a supervisor may record for someone
/// else (docs/ACCESS.md).
#[tokio::test]
async fn a_mediator_records_only_in_their_own_name_and_a_supervisor_for_anyone() {
    let mut h = Harness::open();
    let t0 = days_ago(10);
    let mediation = new_id();
    h.record(
        "requestMediation",
        json!({
            "mediationId": mediation, "siteId": SITE, "occurredAt": at(t0),
            "mode": "ON_CALL", "language": "ti",
        }),
    )
    .await;
    let session = |mediator: &str| {
        json!({
            "mediationId": mediation, "startedAt": at(t0 + Duration::hours(1)),
            "endedAt": at(t0 + Duration::hours(2)), "mediator": mediator,
            "languages": {"from": "ti", "to": "it"}, "parties": ["BENEFICIARY", "TEACHER"],
            "kind": "INTERCULTURAL", "outcome": "COMPLETED",
        })
    };
    let error = h
        .refusal("recordMediationSession", session("a.verdi"), Value::Null)
        .await;
    assert_eq!(
        code_and_field(&error),
        ("FORBIDDEN".into(), Some("mediator".into()))
    );
    assert_eq!(
        error.message,
        "a mediator records in their own name: mediator must be m.rossi (you) or left out; \
         only a supervisor may record for someone else"
    );

    let served = h.serve_a_person(t0).await;
    let error = h
        .refusal(
            "openCase",
            json!({
                "caseId": new_id(), "personId": served.person, "siteId": SITE,
                "occurredAt": at(t0 + Duration::hours(3)), "caseWorker": "a.verdi",
            }),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("FORBIDDEN".into(), Some("caseWorker".into()))
    );
    assert!(
        error.message.contains("caseWorker must be m.rossi"),
        "{error:?}"
    );

    // The mediator's own name, or none, is recorded; a supervisor records for a mediator.
    let event = h
        .record_as(
            mediator(),
            "recordMediationSession",
            session("m.rossi"),
            Value::Null,
        )
        .await;
    assert_eq!(event["alreadyRecorded"], false);
    let event = h
        .record_as(
            supervisor(),
            "recordMediationSession",
            session("a.verdi"),
            Value::Null,
        )
        .await;
    assert_eq!(event["alreadyRecorded"], false);
}

/// A well-formed site name that no record names is unknown (`BAD_INPUT`, `siteId`), not
/// another site; a real other site stays `FORBIDDEN`.
#[tokio::test]
async fn a_site_nobody_recorded_is_unknown_and_a_real_other_site_is_forbidden() {
    let mut h = Harness::open();
    let t0 = days_ago(10);
    let logbook = |site: &str| {
        json!({
            "siteId": site, "date": day(t0), "occurredAt": at(t0),
            "slot": "MORNING", "contacts": 1, "languages": ["it"],
        })
    };
    let error = h
        .refusal("writeLogbookEntry", logbook("montelucci-5"), Value::Null)
        .await;
    assert_eq!(
        code_and_field(&error),
        ("BAD_INPUT".into(), Some("siteId".into()))
    );
    assert_eq!(
        error.message,
        "the site montelucci-5 is unknown: no site of that name has any record; check the name \
         (your site is montelucci-4)"
    );

    // Once a supervisor records something at it, it is another site.
    h.record_as(
        supervisor(),
        "writeLogbookEntry",
        json!({
            "siteId": "montelucci-5", "date": day(t0), "occurredAt": at(t0),
            "mediator": "a.verdi", "slot": "MORNING", "contacts": 1, "languages": ["it"],
        }),
        Value::Null,
    )
    .await;
    let error = h
        .refusal("writeLogbookEntry", logbook("montelucci-5"), Value::Null)
        .await;
    assert_eq!(
        code_and_field(&error),
        ("FORBIDDEN".into(), Some("actor".into()))
    );
    assert_eq!(
        error.message,
        "a mediator of montelucci-4 may not record facts of another site (montelucci-5)"
    );
}

/// The project's start is a bound on a fresh journal too: a mistyped year is refused, naming
/// it.
#[tokio::test]
async fn a_time_before_the_project_started_is_refused_on_a_fresh_journal() {
    let h = Harness::open();
    let error = h
        .refusal(
            "writeLogbookEntry",
            json!({
                "siteId": SITE, "date": "0099-01-01", "occurredAt": "0099-01-01T10:00:00+01:00",
                "slot": "MORNING", "contacts": 1, "languages": ["it"],
            }),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        ("REJECTED".into(), Some("occurredAt".into()))
    );
    assert_eq!(
        error.message,
        "this time (0099-01-01T09:00:00Z) is before the project started \
         (2013-12-31T23:00:00Z); check the date"
    );
}

#[tokio::test]
async fn a_wrong_enum_value_is_refused_before_the_desk() {
    let h = Harness::open();
    let t0 = days_ago(10);
    let mut input = service_input(&new_id(), t0, "Questura");
    input["kind"] = json!("health");
    let response = h
        .execute(Some(mediator()), "mapService", input, Value::Null)
        .await;
    assert_eq!(response.errors.len(), 1);
    assert!(
        response.errors[0].message.contains("ServiceKind"),
        "{}",
        response.errors[0].message
    );
    assert_eq!(
        h.state.desk.journal().head().position.0,
        0,
        "nothing recorded"
    );
}

#[tokio::test]
async fn a_supervisor_transfers_a_case_and_the_case_shows_who_holds_it() {
    let mut h = Harness::open();
    let start = days_ago(20);
    let served = h.serve_a_person(start).await;
    let case = new_id();
    h.record(
        "openCase",
        json!({"caseId": case, "personId": served.person, "siteId": SITE,
               "occurredAt": at(start + Duration::hours(1)), "caseWorker": "m.rossi"}),
    )
    .await;
    let transfer = json!({
        "caseId": case, "occurredAt": at(start + Duration::hours(2)), "caseWorker": "l.bianchi",
        "holdingService": {"serviceId": served.service, "reference": "CF-2024/0173"},
    });

    // A mediator may not move a case; nothing is recorded.
    let refused = h
        .execute(
            Some(mediator()),
            "transferCase",
            transfer.clone(),
            Value::Null,
        )
        .await;
    assert_eq!(code_and_field(&refused.errors[0]).0, "FORBIDDEN");

    let event = h
        .expect_event_as(
            supervisor(),
            "transferCase",
            transfer,
            "CaseTransferred",
            &format!("case-{case}"),
        )
        .await;
    assert_eq!(event["payload"]["caseWorker"], "l.bianchi");
    assert_eq!(
        event["payload"]["holdingService"],
        json!({"serviceId": served.service, "reference": "CF-2024/0173"})
    );

    // The case read model shows the case worker and the holding service now.
    let request = Request::new(format!(
        "{{ case(id: \"{case}\") {{ caseWorker holdingService {{ serviceId reference }} }} }}"
    ))
    .data(Principal::new(supervisor(), None))
    .data(api::access::ReadLog::default());
    let response = h.state.schema.execute(request).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    assert_eq!(
        response.data.into_json().unwrap()["case"],
        json!({"caseWorker": "l.bianchi",
               "holdingService": {"serviceId": served.service, "reference": "CF-2024/0173"}})
    );

    // The same case worker again is refused, naming the field.
    let again = h
        .execute(
            Some(supervisor()),
            "transferCase",
            json!({"caseId": case, "occurredAt": at(start + Duration::hours(3)),
                   "caseWorker": "l.bianchi"}),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&again.errors[0]),
        ("REJECTED".to_string(), Some("caseWorker".to_string()))
    );
}

#[tokio::test]
async fn a_mediator_records_a_case_conference_and_the_case_lists_it() {
    let mut h = Harness::open();
    let start = days_ago(20);
    let served = h.serve_a_person(start).await;
    let case = new_id();
    h.record(
        "openCase",
        json!({"caseId": case, "personId": served.person, "siteId": SITE,
               "occurredAt": at(start + Duration::hours(1))}),
    )
    .await;
    let conference = json!({
        "caseId": case, "occurredAt": at(start + Duration::hours(2)),
        "services": [served.service],
        "participants": ["assistente sociale del consultorio"],
        "decisions": ["visita entro due settimane"],
        "nextReview": (start + Duration::days(30)).date_naive().to_string(),
    });
    // The mediator is the sender when left out; on the case's stream.
    let event = h
        .expect_event_as(
            mediator(),
            "recordCaseConference",
            conference.clone(),
            "CaseConferenceHeld",
            &format!("case-{case}"),
        )
        .await;
    assert_eq!(event["payload"]["mediator"], mediator().id);
    assert_eq!(event["payload"]["services"], json!([served.service]));

    // The case shows it, texts opened; the read is noted for the person.
    let request = Request::new(format!(
        "{{ case(id: \"{case}\") {{ conferences {{ mediator serviceIds participants decisions \
         nextReview }} }} }}"
    ))
    .data(Principal::new(supervisor(), None))
    .data(api::access::ReadLog::default());
    let response = h.state.schema.execute(request).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    assert_eq!(
        response.data.into_json().unwrap()["case"]["conferences"],
        json!([{"mediator": mediator().id, "serviceIds": [served.service],
                "participants": ["assistente sociale del consultorio"],
                "decisions": ["visita entro due settimane"],
                "nextReview": conference["nextReview"]}])
    );

    // A service that is not in the directory is refused, naming it.
    let refused = h
        .execute(
            Some(mediator()),
            "recordCaseConference",
            json!({"caseId": case, "occurredAt": at(start + Duration::hours(3)),
                   "services": [new_id()]}),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&refused.errors[0]),
        ("NOT_FOUND".to_string(), Some("services[0]".to_string()))
    );
}

#[tokio::test]
async fn an_admin_records_who_was_given_which_role_and_site() {
    let mut h = Harness::open();
    let admin = Actor::new("a.conti", Role::Admin);
    let t0 = days_ago(3);
    let opened = h
        .expect_event_as(
            admin.clone(),
            "openStaffAccount",
            json!({ "user": "o.kovalenko", "role": "MEDIATOR", "siteId": SITE,
                    "occurredAt": at(t0) }),
            "StaffAccountOpened",
            "staff-o.kovalenko",
        )
        .await;
    assert_eq!(
        opened["payload"],
        json!({ "user": "o.kovalenko", "role": "mediator", "siteId": SITE,
                "occurredAt": opened["payload"]["occurredAt"] })
    );
    h.expect_event_as(
        admin.clone(),
        "resetStaffPassword",
        json!({ "user": "o.kovalenko", "occurredAt": at(t0 + Duration::minutes(1)) }),
        "StaffPasswordReset",
        "staff-o.kovalenko",
    )
    .await;
    h.expect_event_as(
        admin.clone(),
        "disableStaffAccount",
        json!({ "user": "o.kovalenko", "occurredAt": at(t0 + Duration::minutes(2)) }),
        "StaffAccountDisabled",
        "staff-o.kovalenko",
    )
    .await;
    // Disabled: no new password; and a supervisor is no admin of the accounts.
    let refused = h
        .execute(
            Some(admin),
            "resetStaffPassword",
            json!({ "user": "o.kovalenko", "occurredAt": at(t0 + Duration::minutes(3)) }),
            Value::Null,
        )
        .await;
    assert_eq!(
        code_and_field(&refused.errors[0]),
        ("REJECTED".to_string(), Some("user".to_string()))
    );
    let forbidden = h
        .execute(
            Some(supervisor()),
            "openStaffAccount",
            json!({ "user": "l.ferri", "role": "SUPERVISOR", "occurredAt": at(t0) }),
            Value::Null,
        )
        .await;
    assert_eq!(code_and_field(&forbidden.errors[0]).0, "FORBIDDEN");
}
