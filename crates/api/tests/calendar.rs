//! The calendar and what is due: over HTTP (`api::app(..).oneshot(..)` with real tokens) a
//! mediator books and holds an appointment and sees what is due tomorrow; through
//! `schema.execute(..)` each kind of due item appears and leaves when the fact that closes it is
//! recorded. A real desk in a temporary directory, its clock set by the test.

use std::sync::{Arc, Mutex};

use api::{ApiConfig, AppState, Principal};
use async_graphql::{Request as GqlRequest, Variables};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Utc};
use desk::{Desk, DeskOptions};
use domain::{Actor, Command, Role, SiteId};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const SITE: &str = "montelucci-4";
const OLENA: &str = "01HX5000000000000000000001";
const CASE: &str = "01HX5000000000000000000003";
const REFERRAL: &str = "01HX5000000000000000000004";
const MEDIATION: &str = "01HX5000000000000000000005";
const ASL: &str = "01HX5000000000000000000006";
const MEETING: &str = "01HX500000000000000000000C";
const APPOINTMENT: &str = "01HX500000000000000000000E";

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

struct Fixture {
    app: Router,
    state: AppState,
    desk: Desk,
    clock: Arc<Mutex<DateTime<Utc>>>,
    tokens: api::auth::Tokens,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn open(now: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(Mutex::new(t(now)));
        let read = clock.clone();
        let options = DeskOptions {
            clock: Arc::new(move || *read.lock().unwrap()),
            ..DeskOptions::default()
        };
        let desk = Desk::open(dir.path().join("data"), options).unwrap();
        let security = api::Security::open(&dir.path().join("data")).unwrap();
        let tokens = security.tokens.clone();
        let state = AppState::new(desk.clone(), ApiConfig::default(), security);
        Fixture {
            app: api::app(state.clone()),
            state,
            desk,
            clock,
            tokens,
            _dir: dir,
        }
    }

    fn set_clock(&self, now: &str) {
        *self.clock.lock().unwrap() = t(now);
    }

    fn token(&self, actor: &str, role: Role) -> String {
        let site = (role == Role::Mediator).then(|| SiteId::new(SITE));
        self.tokens
            .issue(actor, role, site, chrono::Duration::hours(1), Utc::now())
            .unwrap()
            .token
    }

    /// A GraphQL request over HTTP with `token`; the JSON answer.
    async fn http(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(body))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// Records a command as `actor`, straight through the desk (the set-up of a history); the
    /// id of its event.
    async fn given(&self, actor: Actor, command: Value) -> ulid::Ulid {
        let command: Command = serde_json::from_value(command).unwrap();
        let recorded = self
            .desk
            .execute(&actor, &command, None, None)
            .await
            .unwrap();
        match recorded {
            Ok(recorded) => recorded.events[0].id,
            Err(refused) => panic!("{}: {refused:?}", command.name()),
        }
    }

    /// A query through the schema as `principal`.
    async fn query(&self, principal: Principal, query: &str, variables: Value) -> Value {
        let request = GqlRequest::new(query)
            .variables(Variables::from_json(variables))
            .data(principal)
            .data(api::access::ReadLog::default());
        let response = serde_json::to_value(self.state.schema.execute(request).await).unwrap();
        assert!(response.get("errors").is_none(), "{response:#}");
        response["data"].clone()
    }

    /// The due list of the site on `on` (one day ahead), as `(kind, dueOn, owner)`.
    async fn due(&self, on: &str, within_days: u32) -> Vec<(String, String, String)> {
        let data = self
            .query(
                supervisor_principal(),
                "query($on: NaiveDate!, $w: Int!) { due(site: \"montelucci-4\", on: $on, withinDays: $w) \
                 { kind dueOn owner eventId } }",
                json!({ "on": on, "w": within_days }),
            )
            .await;
        data["due"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["kind"].as_str().unwrap().to_string(),
                    i["dueOn"].as_str().unwrap().to_string(),
                    i["owner"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }
}

fn mediator() -> Actor {
    Actor::new("m.haddad", Role::Mediator)
}

fn kovalenko() -> Actor {
    Actor::new("o.kovalenko", Role::Mediator)
}
fn admin() -> Actor {
    Actor::new("a.conti", Role::Admin)
}
fn supervisor() -> Actor {
    Actor::new("s.ferri", Role::Supervisor)
}
fn supervisor_principal() -> Principal {
    Principal::new(supervisor(), None)
}
fn mediator_principal(actor: &str, site: &str) -> Principal {
    Principal::new(Actor::new(actor, Role::Mediator), Some(SiteId::new(site)))
}

fn schedule() -> Value {
    let hours = |day: &str| {
        [("09:00", "12:00"), ("15:00", "17:00")]
            .map(|(opens, closes)| json!({ "day": day, "opens": opens, "closes": closes }))
    };
    let mut all = hours("TUESDAY").to_vec();
    all.extend(hours("THURSDAY"));
    json!({
        "siteId": SITE,
        "occurredAt": "2024-05-02T07:00:00Z",
        "name": "Segretariato Sociale - via Montelucci 4",
        "openingDays": ["TUESDAY", "THURSDAY"],
        "hours": all,
        "phones": ["0774 301234", "0774 301235"],
    })
}

fn register(permit_expires_on: Option<&str>) -> Value {
    json!({
        "command": "RegisterPerson",
        "personId": OLENA,
        "siteId": SITE,
        "occurredAt": "2024-05-07T09:10:00Z",
        "birthYear": 1991,
        "sex": "female",
        "citizenships": ["UA"],
        "countryOfBirth": "UA",
        "permitType": "temporary_protection",
        "permitExpiresOn": permit_expires_on,
        "languages": ["uk"],
        "householdSize": 3,
        "personal": { "fullName": "Olena Test", "contacts": [] },
    })
}

const BOOK: &str = "mutation($input: BookAppointmentInput!) {
  bookAppointment(input: $input) { events { type } }
}";

fn booking(starts_at: &str, ends_at: &str) -> Value {
    json!({
        "appointmentId": APPOINTMENT,
        "personId": OLENA,
        "siteId": SITE,
        "occurredAt": "2024-05-14T08:00:00Z",
        "startsAt": starts_at,
        "endsAt": ends_at,
        "language": "uk",
        "channel": "PHONE",
        "note": "porta il passaporto",
    })
}

fn refusal(response: &Value) -> (String, String, String) {
    let error = &response["errors"][0]["extensions"];
    (
        error["code"].as_str().unwrap_or("").to_string(),
        error["field"].as_str().unwrap_or("").to_string(),
        error["reason"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test]
async fn a_mediator_books_and_holds_an_appointment_and_sees_what_is_due_tomorrow() {
    // Tuesday 14 May 2024, 10:00 in Rome.
    let f = Fixture::open("2024-05-14T08:00:00Z");
    let admin = f.token("a.conti", Role::Admin);
    let mediator = f.token("m.haddad", Role::Mediator);
    let scheduled = f
        .http(
            &admin,
            "mutation($input: ScheduleSiteInput!) { scheduleSite(input: $input) { events { type } } }",
            json!({ "input": schedule() }),
        )
        .await;
    assert!(scheduled.get("errors").is_none(), "{scheduled}");
    let registered = f
        .http(
            &mediator,
            "mutation($c: JSON!) { recordCommand(command: $c) { events { type } } }",
            json!({ "c": register(None) }),
        )
        .await;
    assert!(registered.get("errors").is_none(), "{registered}");

    // 12:00-12:30 in Rome: the morning is over; Wednesday: the desk is closed.
    let late = f
        .http(
            &mediator,
            BOOK,
            json!({ "input": booking("2024-05-16T10:00:00Z", "2024-05-16T10:30:00Z") }),
        )
        .await;
    assert_eq!(
        refusal(&late),
        (
            "REJECTED".into(),
            "startsAt".into(),
            "outside_opening_hours".into()
        ),
        "{late}"
    );
    let wednesday = f
        .http(
            &mediator,
            BOOK,
            json!({ "input": booking("2024-05-15T07:30:00Z", "2024-05-15T08:00:00Z") }),
        )
        .await;
    assert_eq!(refusal(&wednesday).2, "site_closed", "{wednesday}");

    // Thursday 16 May, 9:30-10:00 in Rome, with the token's mediator.
    let booked = f
        .http(
            &mediator,
            BOOK,
            json!({ "input": booking("2024-05-16T07:30:00Z", "2024-05-16T08:00:00Z") }),
        )
        .await;
    assert_eq!(
        booked["data"]["bookAppointment"]["events"][0]["type"], "AppointmentBooked",
        "{booked}"
    );
    // The same mediator at an overlapping time: refused, naming the mediator.
    let mut overlapping = booking("2024-05-16T07:45:00Z", "2024-05-16T08:15:00Z");
    overlapping["appointmentId"] = json!("01HX500000000000000000000F");
    let twice = f
        .http(&mediator, BOOK, json!({ "input": overlapping }))
        .await;
    assert_eq!(refusal(&twice).1, "mediator", "{twice}");

    // Wednesday evening: what is due tomorrow is the appointment, and it is on the agenda.
    f.set_clock("2024-05-15T16:00:00Z");
    const MY_DAY: &str = "{
      myDue(withinDays: 1) { kind dueOn owner appointmentId personId eventId }
      myAgenda(date: \"2024-05-16\") { id personId startsAt mediator language channel status }
    }";
    let day = f.http(&mediator, MY_DAY, json!({})).await;
    assert!(day.get("errors").is_none(), "{day}");
    let due = day["data"]["myDue"].as_array().unwrap();
    assert_eq!(due.len(), 1, "{day}");
    assert_eq!(due[0]["kind"], "APPOINTMENT");
    assert_eq!(due[0]["dueOn"], "2024-05-16");
    assert_eq!(due[0]["owner"], "m.haddad");
    assert_eq!(due[0]["appointmentId"], APPOINTMENT);
    assert_eq!(due[0]["personId"], OLENA);
    let agenda = day["data"]["myAgenda"].as_array().unwrap();
    assert_eq!(agenda.len(), 1);
    assert_eq!(agenda[0]["status"], "BOOKED");
    assert_eq!(agenda[0]["channel"], "PHONE");
    // No personal data in the agenda: the person is named by id.
    assert!(!day.to_string().contains("Olena"));

    // Thursday 9:35: Olena came.
    f.set_clock("2024-05-16T07:35:00Z");
    let held = f
        .http(
            &mediator,
            "mutation { recordAppointmentAttended(input: { appointmentId: \"01HX500000000000000000000E\", \
             occurredAt: \"2024-05-16T07:35:00Z\" }) { events { type } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        held["data"]["recordAppointmentAttended"]["events"][0]["type"], "AppointmentAttended",
        "{held}"
    );
    let day = f
        .http(
            &mediator,
            "{ myDue(withinDays: 1) { kind } myAgenda { status } }",
            json!({}),
        )
        .await;
    assert_eq!(day["data"]["myDue"], json!([]), "{day}");
    assert_eq!(
        day["data"]["myAgenda"],
        json!([{ "status": "ATTENDED" }]),
        "{day}"
    );
    // An attended appointment cannot change.
    let again = f
        .http(
            &mediator,
            "mutation { recordNoShow(input: { appointmentId: \"01HX500000000000000000000E\", \
             occurredAt: \"2024-05-16T07:35:00Z\" }) { events { type } } }",
            json!({}),
        )
        .await;
    assert_eq!(refusal(&again).2, "already_final", "{again}");
}

#[tokio::test]
async fn another_sites_mediator_sees_neither_the_agenda_nor_the_due_list() {
    let f = Fixture::open("2024-05-14T08:00:00Z");
    f.given(admin(), json!({ "command": "ScheduleSite", "siteId": SITE,
        "occurredAt": "2024-05-02T07:00:00Z", "name": "Montelucci", "openingDays": ["tuesday", "thursday"],
        "hours": [{ "day": "tuesday", "opens": "09:00", "closes": "12:00" },
                  { "day": "thursday", "opens": "09:00", "closes": "12:00" }] }))
        .await;
    f.given(mediator(), register(None)).await;
    f.given(
        mediator(),
        json!({ "command": "BookAppointment", "appointmentId": APPOINTMENT,
        "personId": OLENA, "siteId": SITE, "occurredAt": "2024-05-14T08:00:00Z",
        "startsAt": "2024-05-16T07:30:00Z", "endsAt": "2024-05-16T08:00:00Z",
        "mediator": "m.haddad", "language": "uk", "channel": "walk_in" }),
    )
    .await;
    let query = "{ agenda(date: \"2024-05-16\") { id } due(on: \"2024-05-16\") { kind } }";
    let own = f
        .query(mediator_principal("m.haddad", SITE), query, json!({}))
        .await;
    assert_eq!(own["agenda"].as_array().unwrap().len(), 1);
    assert_eq!(own["due"].as_array().unwrap().len(), 1);
    let other = f
        .query(mediator_principal("m.rossi", "tivoli-1"), query, json!({}))
        .await;
    assert_eq!(other, json!({ "agenda": [], "due": [] }));
    // Asking for another site's agenda is refused.
    let request =
        GqlRequest::new("{ agenda(site: \"montelucci-4\", date: \"2024-05-16\") { id } }")
            .data(mediator_principal("m.rossi", "tivoli-1"))
            .data(api::access::ReadLog::default());
    let response = serde_json::to_value(f.state.schema.execute(request).await).unwrap();
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{response}"
    );
}

/// Each kind of due item appears from its fact and leaves when the fact that closes it is
/// recorded.
#[tokio::test]
async fn each_due_item_appears_and_leaves_with_the_fact_that_closes_it() {
    let f = Fixture::open("2024-07-10T12:00:00Z");
    let site_facts = mediator();
    f.given(admin(), json!({ "command": "ScheduleSite", "siteId": SITE,
        "occurredAt": "2024-05-02T07:00:00Z", "name": "Montelucci", "openingDays": ["tuesday", "thursday"],
        "hours": [{ "day": "tuesday", "opens": "09:00", "closes": "17:00" },
                  { "day": "thursday", "opens": "09:00", "closes": "17:00" }] }))
        .await;
    f.given(
        admin(),
        json!({ "command": "MapService", "serviceId": ASL,
        "occurredAt": "2024-05-02T08:00:00Z", "name": "ASL Roma 5", "kind": "health",
        "address": "via Acquaregna 1, Tivoli", "openingHours": "lun-ven", "languages": ["it"],
        "accessRules": "tessera sanitaria", "ukraineCapacity": null, "verifiedOn": "2024-05-02" }),
    )
    .await;
    // A permit that expires on 15 June 2024.
    let registration = f
        .given(site_facts.clone(), register(Some("2024-06-15")))
        .await;
    f.given(
        site_facts.clone(),
        json!({ "command": "GiveConsent", "personId": OLENA, "siteId": SITE,
        "occurredAt": "2024-05-07T09:12:00Z", "scopes": ["service", "sharing"],
        "sharedWith": ["ASL Roma 5"], "givenBy": "person" }),
    )
    .await;
    assert_eq!(f.due("2024-04-01", 1).await, vec![]);
    assert_eq!(
        f.due("2024-05-01", 1).await,
        vec![("PERMIT_EXPIRING".into(), "2024-06-15".into(), String::new())]
    );

    // The case: the permit falls to its case worker; the care plan's review is due.
    f.given(
        site_facts.clone(),
        json!({ "command": "OpenCase", "caseId": CASE, "personId": OLENA,
        "siteId": SITE, "occurredAt": "2024-05-07T09:30:00Z", "caseWorker": "m.haddad" }),
    )
    .await;
    f.given(
        site_facts.clone(),
        json!({ "command": "AgreeCarePlan", "caseId": CASE,
        "occurredAt": "2024-05-07T10:00:00Z", "needs": ["health"], "reviewOn": "2024-05-21" }),
    )
    .await;
    // A referral with no outcome; a session asking for a follow-up; a meeting's action.
    f.given(
        site_facts.clone(),
        json!({ "command": "IssueReferral", "referralId": REFERRAL,
        "personId": OLENA, "caseId": CASE, "siteId": SITE, "occurredAt": "2024-05-07T10:10:00Z",
        "serviceId": ASL, "reason": "health", "urgency": "routine" }),
    )
    .await;
    f.given(
        site_facts.clone(),
        json!({ "command": "RequestMediation", "mediationId": MEDIATION,
        "siteId": SITE, "occurredAt": "2024-05-08T08:00:00Z", "mode": "on_call",
        "personId": OLENA, "language": "uk" }),
    )
    .await;
    // The session is recorded by the mediator who held it (a mediator records in their own
    // name).
    f.given(
        kovalenko(),
        json!({ "command": "RecordMediationSession", "mediationId": MEDIATION,
        "startedAt": "2024-05-08T10:30:00Z", "endedAt": "2024-05-08T11:00:00Z",
        "mediator": "o.kovalenko", "languages": { "from": "uk", "to": "it" },
        "parties": ["beneficiary", "health_worker"], "kind": "linguistic", "outcome": "completed",
        "followUpNeeded": true, "place": "hospital" }),
    )
    .await;
    f.given(supervisor(), json!({ "command": "RecordSupervisionMeeting", "meetingId": MEETING,
        "occurredAt": "2024-05-15T14:00:00Z", "durationMinutes": 120, "supervisor": "s.ferri",
        "attendees": ["m.haddad"], "siteIds": [SITE],
        "actions": [{ "description": "chiamare il consultorio", "owner": "m.haddad", "dueOn": "2024-05-24" }] }))
        .await;
    f.given(
        site_facts.clone(),
        json!({ "command": "BookAppointment", "appointmentId": APPOINTMENT,
        "personId": OLENA, "siteId": SITE, "occurredAt": "2024-05-14T08:00:00Z",
        "startsAt": "2024-05-16T07:30:00Z", "endsAt": "2024-05-16T08:00:00Z",
        "mediator": "m.haddad", "language": "uk", "channel": "phone" }),
    )
    .await;

    let item =
        |kind: &str, day: &str, owner: &str| (kind.to_string(), day.to_string(), owner.to_string());
    let everything = vec![
        item("FOLLOW_UP", "2024-05-15", "o.kovalenko"),
        item("APPOINTMENT", "2024-05-16", "m.haddad"),
        item("CARE_PLAN_REVIEW", "2024-05-21", "m.haddad"),
        item("SUPERVISION_ACTION", "2024-05-24", "m.haddad"),
        item("REFERRAL_OUTCOME", "2024-06-06", "m.haddad"),
        item("PERMIT_EXPIRING", "2024-06-15", "m.haddad"),
    ];
    assert_eq!(f.due("2024-06-10", 1).await, everything);
    // Tomorrow, seen on 15 May: the appointment and the follow-up already due.
    assert_eq!(
        f.due("2024-05-15", 1).await,
        vec![
            everything[0].clone(),
            everything[1].clone(),
            everything[5].clone()
        ]
    );
    // myDue: the items that fall to the token's mediator.
    let mine = f
        .query(
            mediator_principal("o.kovalenko", SITE),
            "{ myDue(on: \"2024-06-10\") { kind mediationId } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine["myDue"],
        json!([{ "kind": "FOLLOW_UP", "mediationId": MEDIATION }])
    );

    // Each closing fact takes its item away.
    let without = |kinds: &[&str]| -> Vec<(String, String, String)> {
        everything
            .iter()
            .filter(|i| !kinds.contains(&i.0.as_str()))
            .cloned()
            .collect()
    };
    f.given(
        site_facts.clone(),
        json!({ "command": "RecordNoShow", "appointmentId": APPOINTMENT,
        "occurredAt": "2024-05-16T08:05:00Z" }),
    )
    .await;
    assert_eq!(f.due("2024-06-10", 1).await, without(&["APPOINTMENT"]));
    f.given(kovalenko(), json!({ "command": "RecordMediationSession", "mediationId": MEDIATION,
        "startedAt": "2024-05-16T09:00:00Z", "endedAt": "2024-05-16T09:30:00Z",
        "mediator": "o.kovalenko", "languages": { "from": "uk", "to": "it" },
        "parties": ["beneficiary"], "kind": "linguistic", "outcome": "completed", "place": "phone" }))
        .await;
    assert_eq!(
        f.due("2024-06-10", 1).await,
        without(&["APPOINTMENT", "FOLLOW_UP"])
    );
    f.given(
        supervisor(),
        json!({ "command": "CompleteSupervisionAction", "meetingId": MEETING,
        "action": 0, "occurredAt": "2024-05-20T09:00:00Z" }),
    )
    .await;
    assert_eq!(
        f.due("2024-06-10", 1).await,
        without(&["APPOINTMENT", "FOLLOW_UP", "SUPERVISION_ACTION"])
    );
    f.given(
        site_facts.clone(),
        json!({ "command": "RecordReferralOutcome", "referralId": REFERRAL,
        "occurredAt": "2024-05-21T09:00:00Z", "outcome": "service_received" }),
    )
    .await;
    assert_eq!(
        f.due("2024-06-10", 1).await,
        without(&[
            "APPOINTMENT",
            "FOLLOW_UP",
            "SUPERVISION_ACTION",
            "REFERRAL_OUTCOME"
        ])
    );
    // The permit renewed: its new expiry is far away (a correction here; a person's update
    // would do the same).
    f.given(
        site_facts.clone(),
        json!({ "command": "CorrectEvent", "corrects": registration.to_string(),
        "occurredAt": "2024-05-21T09:30:00Z", "fields": { "permitExpiresOn": "2025-03-04" },
        "reason": "permesso rinnovato" }),
    )
    .await;
    assert_eq!(
        f.due("2024-06-10", 1).await,
        vec![item("CARE_PLAN_REVIEW", "2024-05-21", "m.haddad")]
    );
    f.given(
        site_facts,
        json!({ "command": "CloseCase", "caseId": CASE,
        "occurredAt": "2024-05-21T10:00:00Z", "reason": "goals_achieved", "outcome": "positive" }),
    )
    .await;
    assert_eq!(f.due("2024-06-10", 1).await, vec![]);

    // Where sessions were held, and the on-call response time in hours (08:00 to 10:30).
    let figures = f
        .query(
            supervisor_principal(),
            "{ monitoring(period: \"2024-05\") { mediation { byPlace { place sessions } }
               access { onCallRequestsServed medianHoursOnCallRequestToSession } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        figures["monitoring"]["mediation"]["byPlace"],
        json!([{ "place": "HOSPITAL", "sessions": 1 }, { "place": "PHONE", "sessions": 1 }])
    );
    assert_eq!(
        figures["monitoring"]["access"],
        json!({ "onCallRequestsServed": 1, "medianHoursOnCallRequestToSession": 2.5 })
    );
}
