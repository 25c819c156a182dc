//! Test support: a simulated journal, given/when/then, the test scenario (`everything()`), and the
//! shared sample commands of `domain::samples` under short names.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
pub use domain::samples::*;
use domain::*;
use ulid::Ulid;

pub fn admin() -> Actor {
    Actor::new("a.conti", Role::Admin)
}
pub fn mediator() -> Actor {
    Actor::new("m.haddad", Role::Mediator)
}
pub fn supervisor() -> Actor {
    Actor::new("s.ferri", Role::Supervisor)
}

// ---- a simulated journal ----------------------------------------------------------------------

/// Applies events as the journal would: versions from 1 per stream, positions from 1.
#[derive(Default)]
pub struct Sim {
    pub state: DeskState,
    pub position: u64,
    pub ids: Vec<Ulid>,
}

impl Sim {
    pub fn append(
        &mut self,
        stream: StreamId,
        expected: Expected,
        event: &Event,
        id: Ulid,
        actor: &Actor,
    ) {
        let current = self.state.stream_version(&stream);
        match expected {
            Expected::NoStream => assert_eq!(current, None, "{stream} should not exist yet"),
            Expected::Exactly(v) => assert_eq!(current, Some(v), "{stream} version"),
        }
        self.position += 1;
        let meta = EventMeta {
            id,
            stream,
            version: current.unwrap_or(0) + 1,
            position: self.position,
            recorded_at: event.occurred_at(),
            actor: actor.clone(),
        };
        self.state.apply(&meta, event);
        self.ids.push(id);
    }

    /// Decides and applies one import line; `now` is a little after the fact.
    pub fn run(&mut self, line: &ImportLine) -> Result<Decision, Rejection> {
        let now = line.command.occurred_at() + chrono::TimeDelta::minutes(30);
        let ctx = Context {
            now,
            actor: line.actor.clone(),
        };
        let decision = self.state.decide(&line.command, &ctx)?;
        assert_eq!(decision.events.len(), 1, "one command, one event");
        assert_eq!(
            decision.events[0].event_type(),
            line.command.event_type(),
            "Command::event_type names the event the command records"
        );
        self.append(
            decision.stream.clone(),
            decision.expected,
            &decision.events[0],
            line.event_id,
            &line.actor,
        );
        Ok(decision)
    }
}

// ---- given / when / then ------------------------------------------------------------------------

pub struct Given {
    sim: Sim,
}

/// The history before the command: events applied in order, ids `event_id(0)`, `event_id(1)`...
pub fn given(events: Vec<Event>) -> Given {
    let mut sim = Sim::default();
    for (i, event) in events.iter().enumerate() {
        let stream = event.stream().expect("given events name their stream");
        let expected = match sim.state.stream_version(&stream) {
            Some(v) => Expected::Exactly(v),
            None => Expected::NoStream,
        };
        sim.append(stream, expected, event, event_id(i), &mediator());
    }
    Given { sim }
}

impl Given {
    pub fn when(self, cmd: impl Into<Command>) -> Then {
        self.when_by(mediator(), cmd)
    }

    pub fn when_by(self, actor: Actor, cmd: impl Into<Command>) -> Then {
        self.when_at(t(NOW), actor, cmd)
    }

    pub fn when_at(self, now: DateTime<Utc>, actor: Actor, cmd: impl Into<Command>) -> Then {
        let result = self.sim.state.decide(&cmd.into(), &Context { now, actor });
        Then {
            state: self.sim.state,
            result,
        }
    }

    /// The desk's configured project start ([`domain::ProjectStart`]).
    pub fn with_project_start(mut self, start: DateTime<Utc>) -> Given {
        self.sim
            .state
            .set_project_start(domain::ProjectStart(start));
        self
    }

    pub fn state(&self) -> &DeskState {
        &self.sim.state
    }
}

pub struct Then {
    pub state: DeskState,
    pub result: Result<Decision, Rejection>,
}

impl Then {
    pub fn then_events(self, expected: Vec<Event>) -> Decision {
        let decision = self.result.unwrap_or_else(|r| panic!("rejected: {r:?}"));
        assert_eq!(decision.events, expected);
        decision
    }

    pub fn then_decision(self, stream: StreamId, expected: Expected) -> Decision {
        let decision = self.result.unwrap_or_else(|r| panic!("rejected: {r:?}"));
        assert_eq!((&decision.stream, decision.expected), (&stream, expected));
        decision
    }

    pub fn then_accepted(self) -> Decision {
        self.result.unwrap_or_else(|r| panic!("rejected: {r:?}"))
    }

    pub fn then_rejected(self, field: &str, kind: RejectionKind) -> Rejection {
        match self.result {
            Ok(d) => panic!("expected {field} {kind:?}, got {:?}", d.events),
            Err(r) => {
                assert_eq!((r.field.as_str(), r.kind), (field, kind), "{}", r.message);
                assert!(!r.message.is_empty());
                r
            }
        }
    }
}

// ---- one command of each kind -------------------------------------------------------------------

pub fn map_asl() -> MapService {
    MapService::sample()
}

pub fn map_cpia() -> MapService {
    MapService {
        service_id: cpia(),
        occurred_at: t("2024-05-02T08:10:00Z"),
        description: ServiceDescription {
            name: "CPIA 3 Roma".into(),
            kind: ServiceKind::Education,
            languages: vec!["it".into()],
            access_rules: "iscrizione ai corsi di italiano L2".into(),
            ukraine_capacity: None,
            ..asl_description()
        },
    }
}

pub fn register() -> RegisterPerson {
    RegisterPerson::sample()
}

pub fn register_minor() -> RegisterPerson {
    RegisterPerson {
        person_id: minor(),
        birth_year: 2008,
        minor: true,
        unaccompanied_minor: true,
        household_size: 1,
        citizenships: vec!["EG".into()],
        country_of_birth: "EG".into(),
        permit_type: PermitType::Family,
        languages: vec!["ar".into()],
        personal: PersonalData {
            full_name: "Yusuf Bel-Amri".into(),
            birth_date: None,
            contacts: vec![],
            fiscal_code: None,
        },
        ..register()
    }
}

pub fn consent() -> GiveConsent {
    GiveConsent::sample()
}

/// The consent of Yusuf, an unaccompanied minor, given by his *tutore volontario*.
pub fn guardian_consent() -> GiveConsent {
    GiveConsent {
        person_id: minor(),
        given_by: ConsentGiver::Guardian,
        guardian_kind: Some(GuardianKind::VoluntaryGuardian),
        guardian_name: Some(PersonalNote::new("Tutrice Ornella Vaccaro")),
        ..consent()
    }
}

pub fn update_person() -> UpdatePerson {
    UpdatePerson::sample()
}

pub fn withdraw() -> WithdrawConsent {
    WithdrawConsent::sample()
}

pub fn assess() -> AssessVulnerability {
    AssessVulnerability::sample()
}

pub fn intake() -> RecordIntake {
    RecordIntake::sample()
}

pub fn open_case() -> OpenCase {
    OpenCase::sample()
}

pub fn care_plan() -> AgreeCarePlan {
    AgreeCarePlan::sample()
}

pub fn transfer() -> TransferCase {
    TransferCase::sample()
}

/// A case conference with the ASL's consultorio, after the case was reopened.
pub fn conference() -> RecordCaseConference {
    RecordCaseConference::sample()
}

pub fn close_case() -> CloseCase {
    CloseCase::sample()
}

pub fn reopen_case() -> ReopenCase {
    ReopenCase::sample()
}

pub fn intervention_cmd() -> RecordIntervention {
    RecordIntervention::sample()
}

pub fn issue_referral() -> IssueReferral {
    IssueReferral::sample()
}

pub fn referral_outcome() -> RecordReferralOutcome {
    RecordReferralOutcome::sample()
}

pub fn request_mediation() -> RequestMediation {
    RequestMediation::sample()
}

pub fn session() -> RecordMediationSession {
    RecordMediationSession::sample()
}

pub fn cancel_mediation() -> CancelMediation {
    CancelMediation::sample()
}

pub fn group_activity() -> RecordGroupActivity {
    RecordGroupActivity::sample()
}

pub fn distribute() -> DistributeInformationMaterial {
    DistributeInformationMaterial::sample()
}

pub fn survey_cmd() -> RecordSurveyResponse {
    RecordSurveyResponse::sample()
}

pub fn logbook() -> WriteLogbookEntry {
    WriteLogbookEntry::sample()
}

/// The event id the `given` journal gave the first event of `event_type` in `events`.
pub fn id_of(events: &[Event], event_type: &str) -> Ulid {
    let i = events
        .iter()
        .position(|e| e.event_type() == event_type)
        .unwrap_or_else(|| panic!("no {event_type} in the history"));
    event_id(i)
}

pub fn supervision() -> RecordSupervisionMeeting {
    RecordSupervisionMeeting::sample()
}

pub fn update_asl() -> UpdateService {
    UpdateService::sample()
}

pub fn retire_cpia() -> RetireService {
    RetireService::sample()
}

// ---- the events those commands decide into --------------------------------------------------------

/// Decides `cmd` against `state` at a time just after it, by `actor`; panics if rejected.
pub fn decided(state: &DeskState, actor: &Actor, cmd: impl Into<Command>) -> Event {
    let cmd = cmd.into();
    let now = cmd.occurred_at() + chrono::TimeDelta::minutes(5);
    let mut d = state
        .decide(
            &cmd,
            &Context {
                now,
                actor: actor.clone(),
            },
        )
        .unwrap_or_else(|r| panic!("{} rejected: {r:?}", cmd.name()));
    d.events.remove(0)
}

/// Builds a history by deciding and applying commands in order; returns the events.
pub fn history(cmds: Vec<(Actor, Command)>) -> Vec<Event> {
    let mut sim = Sim::default();
    let mut events = Vec::new();
    for (i, (actor, cmd)) in cmds.into_iter().enumerate() {
        let ev = decided(&sim.state, &actor, cmd);
        sim.append(
            ev.stream().expect("not a correction"),
            expected(&sim.state, &ev),
            &ev,
            event_id(i),
            &actor,
        );
        events.push(ev);
    }
    events
}

fn expected(state: &DeskState, ev: &Event) -> Expected {
    match state.stream_version(&ev.stream().expect("not a correction")) {
        Some(v) => Expected::Exactly(v),
        None => Expected::NoStream,
    }
}

pub fn m(cmd: impl Into<Command>) -> (Actor, Command) {
    (mediator(), cmd.into())
}

/// Services mapped, the adult registered with consent, intake, open case.
pub fn base() -> Vec<Event> {
    history(vec![
        m(map_asl()),
        m(map_cpia()),
        m(register()),
        m(consent()),
        m(intake()),
        m(open_case()),
    ])
}

/// `base()` plus every other kind of fact, once each (no correction).
pub fn everything() -> Vec<Event> {
    let mut cmds = vec![
        m(map_asl()),
        m(map_cpia()),
        m(register()),
        m(consent()),
        m(intake()),
        m(open_case()),
        m(assess()),
        m(issue_referral()),
        m(request_mediation()),
        m(care_plan()),
        (supervisor(), transfer().into()),
        m(referral_outcome()),
        m(update_asl()),
        m(retire_cpia()),
        m(close_case()),
        // Held by another mediator, written up by a supervisor (the stored sample's shape).
        (
            supervisor(),
            RecordMediationSession {
                mediator: "o.kovalenko".into(),
                ..session()
            }
            .into(),
        ),
        m(withdraw()),
        (supervisor(), supervision().into()),
        m(reopen_case()),
        m(intervention_cmd()),
        m(distribute()),
        m(group_activity()),
        m(logbook()),
    ];
    cmds.push(m(RecordSurveyResponse {
        person_id: None,
        ..survey_cmd()
    }));
    cmds.push(m(register_minor()));
    cmds.push(m(guardian_consent()));
    cmds.push(m(RequestMediation {
        mediation_id: MediationId(Ulid(99)),
        ..request_mediation()
    }));
    cmds.push(m(CancelMediation {
        mediation_id: MediationId(Ulid(99)),
        ..cancel_mediation()
    }));
    cmds.push((supervisor(), checkpoint().into()));
    cmds.push(m(register_duplicate()));
    cmds.push((supervisor(), merge().into()));
    cmds.push(m(take_on()));
    // The calendar last, so that the events above keep their ids (`event_id(4)` is the intake).
    cmds.push((admin(), schedule_site().into()));
    cmds.push((admin(), close_site().into()));
    cmds.push(m(book()));
    cmds.push(m(BookAppointment {
        appointment_id: appointment_2(),
        mediator: "o.kovalenko".into(),
        channel: IntakeChannel::ReferredByService,
        referred_by: Some(asl()),
        note: None,
        ..book()
    }));
    cmds.push(m(reschedule()));
    cmds.push(m(CancelAppointment {
        appointment_id: appointment_2(),
        ..cancel_appointment()
    }));
    cmds.push((supervisor(), complete_action().into()));
    cmds.push(m(BookAppointment {
        appointment_id: AppointmentId(Ulid(98)),
        starts_at: t("2024-05-16T13:00:00Z"),
        ends_at: t("2024-05-16T13:30:00Z"),
        occurred_at: t("2024-05-16T06:00:00Z"),
        ..book()
    }));
    cmds.push(m(RecordNoShow {
        appointment_id: AppointmentId(Ulid(98)),
        occurred_at: t("2024-05-16T13:30:00Z"),
    }));
    cmds.push(m(BookAppointment {
        appointment_id: AppointmentId(Ulid(97)),
        starts_at: t("2024-05-14T07:00:00Z"),
        ends_at: t("2024-05-14T07:30:00Z"),
        occurred_at: t("2024-05-13T06:00:00Z"),
        ..book()
    }));
    cmds.push(m(RecordAppointmentAttended {
        appointment_id: AppointmentId(Ulid(97)),
        occurred_at: t("2024-05-14T07:05:00Z"),
    }));
    cmds.push(m(update_person()));
    // Then the shared sample of every command the scenario does not send yet (a new command's
    // event gets its golden sample from here), but for the facts that would undo the ones above.
    const NOT_IN_THE_SCENARIO: [&str; 4] = [
        "CommentLogbookEntry",
        "RedactText",
        "CorrectEvent",
        "ErasePerson",
    ];
    for command in Command::samples() {
        let name = command.name();
        if cmds.iter().any(|(_, c)| c.name() == name) || NOT_IN_THE_SCENARIO.contains(&name) {
            continue;
        }
        let actor = [mediator(), supervisor(), admin()]
            .into_iter()
            .find(|a| command.permits(a.role));
        if let Some(actor) = actor {
            cmds.push((actor, command));
        }
    }
    history(cmds)
}

// ---- staff accounts ----------------------------------------------------------------------------

pub fn open_staff_account() -> OpenStaffAccount {
    OpenStaffAccount::sample()
}

pub fn reset_staff_password() -> ResetStaffPassword {
    ResetStaffPassword::sample()
}

pub fn disable_staff_account() -> DisableStaffAccount {
    DisableStaffAccount::sample()
}

// ---- the calendar ------------------------------------------------------------------------------

pub fn schedule_site() -> ScheduleSite {
    ScheduleSite::sample()
}

pub fn close_site() -> CloseSite {
    CloseSite::sample()
}

pub fn book() -> BookAppointment {
    BookAppointment::sample()
}

pub fn reschedule() -> RescheduleAppointment {
    RescheduleAppointment::sample()
}

pub fn cancel_appointment() -> CancelAppointment {
    CancelAppointment::sample()
}

pub fn attended() -> RecordAppointmentAttended {
    RecordAppointmentAttended::sample()
}

pub fn no_show() -> RecordNoShow {
    RecordNoShow::sample()
}

pub fn complete_action() -> CompleteSupervisionAction {
    CompleteSupervisionAction::sample()
}

/// `base()` with the site's schedule (hours, phones) first.
pub fn scheduled() -> Vec<Event> {
    let mut cmds = vec![(admin(), schedule_site().into())];
    cmds.extend([
        m(map_asl()),
        m(map_cpia()),
        m(register()),
        m(consent()),
        m(intake()),
        m(open_case()),
    ]);
    history(cmds)
}

/// `scheduled()` and the appointment booked.
pub fn booked() -> Vec<Event> {
    let mut events = scheduled();
    events.extend(given(scheduled()).when(book()).then_accepted().events);
    events
}

pub fn take_on() -> TakeOnPerson {
    TakeOnPerson::sample()
}

/// Olena registered a second time, with her name written without its accent.
pub fn register_duplicate() -> RegisterPerson {
    RegisterPerson {
        person_id: duplicate(),
        personal: PersonalData {
            full_name: "Olena Kovalenko".into(),
            birth_date: None,
            contacts: vec![],
            fiscal_code: None,
        },
        ..register()
    }
}

pub fn merge() -> MergePersons {
    MergePersons::sample()
}

pub fn checkpoint() -> RecordCheckpoint {
    RecordCheckpoint::sample()
}
