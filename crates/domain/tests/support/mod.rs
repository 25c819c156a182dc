//! Test support: a simulated journal, given/when/then, and one sample of every event and command.
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use domain::*;
use ulid::Ulid;

pub fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("test times are RFC 3339")
}

pub fn d(s: &str) -> NaiveDate {
    s.parse().expect("test dates are yyyy-mm-dd")
}

fn id(n: u128) -> Ulid {
    Ulid((0x018F_4A00_0000u128 << 80) | n)
}

pub const NOW: &str = "2024-05-16T12:00:00Z";
pub const SITE: &str = "montelucci-4";

pub fn site() -> SiteId {
    SiteId::new(SITE)
}
pub fn person() -> PersonId {
    PersonId(id(1))
}
pub fn minor() -> PersonId {
    PersonId(id(2))
}
/// A second registration of [`person`], made by mistake.
pub fn duplicate() -> PersonId {
    PersonId(id(13))
}
pub fn case() -> CaseId {
    CaseId(id(3))
}
pub fn referral() -> ReferralId {
    ReferralId(id(4))
}
pub fn mediation() -> MediationId {
    MediationId(id(5))
}
pub fn asl() -> ServiceId {
    ServiceId(id(6))
}
pub fn cpia() -> ServiceId {
    ServiceId(id(7))
}
pub fn intervention() -> InterventionId {
    InterventionId(id(8))
}
pub fn group() -> GroupActivityId {
    GroupActivityId(id(9))
}
pub fn distribution() -> DistributionId {
    DistributionId(id(10))
}
pub fn survey() -> SurveyId {
    SurveyId(id(11))
}
pub fn meeting() -> MeetingId {
    MeetingId(id(12))
}

pub fn appointment() -> AppointmentId {
    AppointmentId(id(14))
}
/// A second appointment, held by another mediator.
pub fn appointment_2() -> AppointmentId {
    AppointmentId(id(15))
}

pub fn admin() -> Actor {
    Actor::new("a.conti", Role::Admin)
}
pub fn mediator() -> Actor {
    Actor::new("m.haddad", Role::Mediator)
}
pub fn supervisor() -> Actor {
    Actor::new("s.ferri", Role::Supervisor)
}

pub const CANARY: &str = "Zorbeta Quillfeather";

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

pub fn event_id(i: usize) -> Ulid {
    Ulid((0x018F_4B00_0000u128 << 80) | (i as u128 + 1))
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

pub fn asl_description() -> ServiceDescription {
    ServiceDescription {
        name: "ASL Roma 1 - Consultorio familiare".into(),
        kind: ServiceKind::Health,
        address: "via Montelucci 12".into(),
        opening_hours: "lun-ven 8:30-13:00".into(),
        languages: vec!["it".into(), "en".into()],
        access_rules: "tessera sanitaria o codice STP".into(),
        ukraine_capacity: Some(UkraineCapacity {
            reception_places: 0,
            health: true,
            school_access: false,
        }),
        verified_on: d("2024-05-02"),
    }
}

pub fn map_asl() -> MapService {
    MapService {
        service_id: asl(),
        occurred_at: t("2024-05-02T08:00:00Z"),
        description: asl_description(),
    }
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
    RegisterPerson {
        person_id: person(),
        site_id: site(),
        occurred_at: t("2024-05-07T09:10:00Z"),
        birth_year: 1991,
        sex: Sex::Female,
        citizenships: vec!["UA".into()],
        country_of_birth: "UA".into(),
        arrival_year: Some(2022),
        permit_type: PermitType::TemporaryProtection,
        permit_expires_on: Some(d("2024-12-31")),
        permit_renewal_pending: false,
        languages: vec!["uk".into(), "ru".into()],
        household_size: 3,
        minor: false,
        unaccompanied_minor: false,
        personal: PersonalData {
            full_name: CANARY.into(),
            birth_date: Some(d("1991-03-14")),
            contacts: vec![Contact {
                kind: ContactKind::Phone,
                value: "+39 333 000 0000".into(),
            }],
            fiscal_code: None,
        },
    }
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
    GiveConsent {
        person_id: person(),
        site_id: site(),
        occurred_at: t("2024-05-07T09:12:00Z"),
        scopes: vec![
            ConsentScope::Service,
            ConsentScope::Sharing,
            ConsentScope::SurveyContact,
        ],
        shared_with: vec!["ASL Roma 1".into()],
        given_by: ConsentGiver::Person,
        guardian_kind: None,
        guardian_name: None,
    }
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

/// Olena's temporary protection renewed, and a new phone.
pub fn update_person() -> UpdatePerson {
    UpdatePerson {
        person_id: person(),
        site_id: site(),
        occurred_at: t("2024-05-16T11:59:50Z"),
        permit: Some(Permit {
            permit_type: PermitType::TemporaryProtection,
            expires_on: Some(d("2025-12-31")),
            renewal_pending: false,
        }),
        citizenships: None,
        languages: Some(vec!["uk".into(), "ru".into(), "it".into()]),
        household_size: Some(4),
        personal: Some(PersonalChanges {
            full_name: None,
            contacts: Some(vec![Contact {
                kind: ContactKind::Phone,
                value: "+39 0774 000 111".into(),
            }]),
            fiscal_code: None,
        }),
    }
}

pub fn withdraw() -> WithdrawConsent {
    WithdrawConsent {
        person_id: person(),
        site_id: site(),
        occurred_at: t("2024-05-14T10:00:00Z"),
        scopes: vec![ConsentScope::SurveyContact],
    }
}

pub fn assess() -> AssessVulnerability {
    AssessVulnerability {
        person_id: person(),
        site_id: site(),
        occurred_at: t("2024-05-07T09:20:00Z"),
        categories: vec![VulnerabilityCategory::SingleParentWithMinors],
        note: Some(PersonalNote::new("due figli in eta scolare")),
    }
}

pub fn intake() -> RecordIntake {
    RecordIntake {
        person_id: person(),
        site_id: site(),
        occurred_at: t("2024-05-07T09:15:00Z"),
        channel: IntakeChannel::WalkIn,
        referred_by: None,
        needs: vec![NeedArea::Health, NeedArea::Education],
        note: None,
    }
}

pub fn open_case() -> OpenCase {
    OpenCase {
        case_id: case(),
        person_id: person(),
        site_id: site(),
        occurred_at: t("2024-05-07T09:40:00Z"),
        case_worker: "m.haddad".into(),
        vulnerabilities: vec![VulnerabilityCategory::SingleParentWithMinors],
        partner_services: vec![asl()],
    }
}

pub fn care_plan() -> AgreeCarePlan {
    AgreeCarePlan {
        case_id: case(),
        occurred_at: t("2024-05-09T10:00:00Z"),
        needs: vec![NeedArea::Health],
        goals: vec![PersonalNote::new("iscrizione al SSN")],
        partner_services: vec![asl()],
        review_on: d("2024-06-13"),
    }
}

/// The case moves to another case worker and is taken in charge by the ASL's consultorio.
pub fn transfer() -> TransferCase {
    TransferCase {
        case_id: case(),
        occurred_at: t("2024-05-10T10:00:00Z"),
        case_worker: Some("l.bianchi".into()),
        holding_service: Some(HoldingService {
            service_id: asl(),
            reference: "CF-2024/0173".into(),
        }),
    }
}

pub fn close_case() -> CloseCase {
    CloseCase {
        case_id: case(),
        occurred_at: t("2024-05-14T11:00:00Z"),
        reason: ClosureReason::GoalsAchieved,
        outcome: CaseOutcome::Positive,
        note: None,
    }
}

pub fn reopen_case() -> ReopenCase {
    ReopenCase {
        case_id: case(),
        occurred_at: t("2024-05-16T09:30:00Z"),
        note: None,
    }
}

pub fn intervention_cmd() -> RecordIntervention {
    RecordIntervention {
        intervention_id: intervention(),
        person_id: person(),
        case_id: Some(case()),
        site_id: site(),
        occurred_at: t("2024-05-16T09:45:00Z"),
        activity: Activity::OrientationAccompaniment,
        mode: InterventionMode::InPerson,
        duration_minutes: 40,
        staff: vec!["m.haddad".into()],
        language: "uk".into(),
        need: Some(NeedArea::Health),
        service_id: Some(asl()),
        legal_topic: None,
        parental_kind: None,
        outcome: InterventionOutcome::Referred,
        note: None,
    }
}

pub fn issue_referral() -> IssueReferral {
    IssueReferral {
        referral_id: referral(),
        person_id: person(),
        case_id: None,
        site_id: site(),
        occurred_at: t("2024-05-07T10:00:00Z"),
        service_id: asl(),
        reason: NeedArea::Health,
        urgency: Urgency::Routine,
        note: None,
    }
}

pub fn referral_outcome() -> RecordReferralOutcome {
    RecordReferralOutcome {
        referral_id: referral(),
        occurred_at: t("2024-05-09T15:00:00Z"),
        outcome: ReferralOutcome::AppointmentSet,
        appointment_on: Some(d("2024-05-20")),
        note: None,
    }
}

pub fn request_mediation() -> RequestMediation {
    RequestMediation {
        mediation_id: mediation(),
        site_id: site(),
        occurred_at: t("2024-05-08T08:30:00Z"),
        mode: MediationMode::Scheduled,
        requesting_service: Some(asl()),
        person_id: Some(person()),
        case_id: None,
        language: "uk".into(),
        slot_start: Some(t("2024-05-14T09:00:00Z")),
        slot_end: Some(t("2024-05-14T10:00:00Z")),
    }
}

pub fn session() -> RecordMediationSession {
    RecordMediationSession {
        mediation_id: mediation(),
        started_at: t("2024-05-14T09:05:00Z"),
        ended_at: t("2024-05-14T09:55:00Z"),
        mediator: "m.haddad".into(),
        languages: LanguagePair {
            from: "uk".into(),
            to: "it".into(),
        },
        parties: vec![PartyRole::Beneficiary, PartyRole::HealthWorker],
        kind: MediationKind::Linguistic,
        outcome: SessionOutcome::Completed,
        follow_up_needed: false,
        note: None,
        place: Some(SessionPlace::Hospital),
        follow_up_by: None,
    }
}

pub fn cancel_mediation() -> CancelMediation {
    CancelMediation {
        mediation_id: mediation(),
        occurred_at: t("2024-05-13T16:00:00Z"),
        reason: CancellationReason::RequesterCancelled,
    }
}

pub fn group_activity() -> RecordGroupActivity {
    RecordGroupActivity {
        activity_id: group(),
        site_id: site(),
        occurred_at: t("2024-05-16T10:00:00Z"),
        kind: GroupActivityKind::InformationSession,
        title: "Il permesso di soggiorno: rinnovo e conversione".into(),
        duration_minutes: 90,
        attendees_third_country: 14,
        attendees_other: 2,
        languages: vec!["it".into(), "ar".into()],
        associations: vec![],
        facilitators: vec!["m.haddad".into()],
    }
}

pub fn distribute() -> DistributeInformationMaterial {
    DistributeInformationMaterial {
        distribution_id: distribution(),
        site_id: site(),
        occurred_at: t("2024-05-16T11:00:00Z"),
        item: "Guida ai servizi del territorio".into(),
        language: "uk".into(),
        quantity: 25,
        channel: DistributionChannel::Desk,
    }
}

pub fn survey_cmd() -> RecordSurveyResponse {
    RecordSurveyResponse {
        survey_id: survey(),
        site_id: site(),
        occurred_at: t("2024-05-16T11:30:00Z"),
        person_id: Some(person()),
        scores: vec![
            ItemScore {
                item: SurveyItem::Welcome,
                score: 5,
            },
            ItemScore {
                item: SurveyItem::Clarity,
                score: 4,
            },
            ItemScore {
                item: SurveyItem::Usefulness,
                score: 5,
            },
        ],
        helpful_for_integration: true,
        comment: Some(PersonalNote::new("grazie a Olena per la pazienza")),
    }
}

pub fn logbook() -> WriteLogbookEntry {
    WriteLogbookEntry {
        site_id: site(),
        date: d("2024-05-16"),
        occurred_at: t("2024-05-16T11:50:00Z"),
        mediator: "m.haddad".into(),
        slot: RotationSlot::Morning,
        contacts: 7,
        languages: vec!["ar".into(), "uk".into()],
        observations: Some(PersonalNote::new(
            "mattinata intensa, molte richieste sul rinnovo",
        )),
        incidents: None,
        emerging_needs: vec![NeedArea::Documents],
        difficulties: Some(PersonalNote::new("nessun interprete per il bengalese")),
        strategies: Some(PersonalNote::new("mediazione telefonica con un collega")),
        training_needs: Some(PersonalNote::new("aggiornamento sui permessi")),
    }
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
    RecordSupervisionMeeting {
        meeting_id: meeting(),
        occurred_at: t("2024-05-15T14:00:00Z"),
        duration_minutes: 120,
        supervisor: "s.ferri".into(),
        attendees: vec!["m.haddad".into(), "o.kovalenko".into()],
        site_ids: vec![site()],
        themes: vec!["carico emotivo".into()],
        cases_discussed: vec![case()],
        decisions: vec![PersonalNote::new(
            "rafforzare il raccordo con il consultorio",
        )],
        actions: vec![SupervisionAction {
            description: PersonalNote::new("chiamare il consultorio"),
            owner: "m.haddad".into(),
            due_on: Some(d("2024-05-21")),
        }],
    }
}

pub fn update_asl() -> UpdateService {
    UpdateService {
        service_id: asl(),
        occurred_at: t("2024-05-10T08:00:00Z"),
        description: ServiceDescription {
            opening_hours: "lun-gio 8:30-13:00".into(),
            verified_on: d("2024-05-10"),
            ..asl_description()
        },
    }
}

pub fn retire_cpia() -> RetireService {
    RetireService {
        service_id: cpia(),
        occurred_at: t("2024-05-10T09:00:00Z"),
        reason: "sede trasferita".into(),
    }
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
    // The staff accounts last, so that the events above keep their ids.
    cmds.push((admin(), open_staff_account().into()));
    cmds.push((admin(), reset_staff_password().into()));
    cmds.push((admin(), disable_staff_account().into()));
    history(cmds)
}

// ---- staff accounts ----------------------------------------------------------------------------

pub fn open_staff_account() -> OpenStaffAccount {
    OpenStaffAccount {
        user: "o.kovalenko".into(),
        role: Role::Mediator,
        site_id: Some(site()),
        occurred_at: t("2024-05-16T11:50:00Z"),
    }
}

pub fn reset_staff_password() -> ResetStaffPassword {
    ResetStaffPassword {
        user: "o.kovalenko".into(),
        occurred_at: t("2024-05-16T11:51:00Z"),
    }
}

pub fn disable_staff_account() -> DisableStaffAccount {
    DisableStaffAccount {
        user: "o.kovalenko".into(),
        occurred_at: t("2024-05-16T11:52:00Z"),
    }
}

// ---- the calendar ------------------------------------------------------------------------------

/// Tuesday and Thursday, 9:00-12:00 and 15:00-17:00 (Rome), two phone numbers.
pub fn schedule_site() -> ScheduleSite {
    let hours = |day, opens: &str, closes: &str| OpeningHours {
        day,
        opens: opens.parse().unwrap(),
        closes: closes.parse().unwrap(),
    };
    ScheduleSite {
        site_id: site(),
        occurred_at: t("2024-05-02T07:00:00Z"),
        name: "Segretariato Sociale - via Montelucci 4".into(),
        opening_days: vec![Weekday::Tuesday, Weekday::Thursday],
        hours: vec![
            hours(Weekday::Tuesday, "09:00", "12:00"),
            hours(Weekday::Tuesday, "15:00", "17:00"),
            hours(Weekday::Thursday, "09:00", "12:00"),
            hours(Weekday::Thursday, "15:00", "17:00"),
        ],
        phones: vec!["0774 301234".into(), "0774 301235".into()],
    }
}

/// The site closes on Tuesday 21 May 2024 (a local feast).
pub fn close_site() -> CloseSite {
    CloseSite {
        site_id: site(),
        occurred_at: t("2024-05-10T08:00:00Z"),
        from: d("2024-05-21"),
        to: d("2024-05-21"),
        reason: "festa patronale".into(),
    }
}

/// Olena, by phone, Thursday 16 May 2024 9:30-10:00 in Rome (07:30-08:00 UTC), with m.haddad.
pub fn book() -> BookAppointment {
    BookAppointment {
        appointment_id: appointment(),
        person_id: person(),
        site_id: site(),
        occurred_at: t("2024-05-14T08:00:00Z"),
        starts_at: t("2024-05-16T07:30:00Z"),
        ends_at: t("2024-05-16T08:00:00Z"),
        mediator: "m.haddad".into(),
        language: "uk".into(),
        channel: IntakeChannel::Phone,
        referred_by: None,
        note: Some(PersonalNote::new("porta il passaporto")),
    }
}

/// Moved to Thursday 23 May 2024 15:00-15:30 in Rome.
pub fn reschedule() -> RescheduleAppointment {
    RescheduleAppointment {
        appointment_id: appointment(),
        occurred_at: t("2024-05-15T10:00:00Z"),
        starts_at: t("2024-05-23T13:00:00Z"),
        ends_at: t("2024-05-23T13:30:00Z"),
        mediator: None,
    }
}

pub fn cancel_appointment() -> CancelAppointment {
    CancelAppointment {
        appointment_id: appointment(),
        occurred_at: t("2024-05-15T10:00:00Z"),
        reason: CancellationReason::RequesterCancelled,
    }
}

pub fn attended() -> RecordAppointmentAttended {
    RecordAppointmentAttended {
        appointment_id: appointment(),
        occurred_at: t("2024-05-16T07:35:00Z"),
    }
}

pub fn no_show() -> RecordNoShow {
    RecordNoShow {
        appointment_id: appointment(),
        occurred_at: t("2024-05-16T08:00:00Z"),
    }
}

pub fn complete_action() -> CompleteSupervisionAction {
    CompleteSupervisionAction {
        meeting_id: meeting(),
        action: 0,
        occurred_at: t("2024-05-16T09:00:00Z"),
    }
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

/// Another site of the municipality.
pub fn other_site() -> SiteId {
    SiteId::new("tivoli-1")
}

/// Olena, registered at Montelucci, taken on at Tivoli.
pub fn take_on() -> TakeOnPerson {
    TakeOnPerson {
        person_id: person(),
        site_id: other_site(),
        occurred_at: t("2024-05-16T11:59:40Z"),
    }
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

/// The duplicate registration merged into the first one.
pub fn merge() -> MergePersons {
    MergePersons {
        person_id: duplicate(),
        into_person_id: person(),
        occurred_at: t("2024-05-16T11:59:30Z"),
    }
}

/// A checkpoint as the desk would sign it (the domain does not check the signature).
pub fn checkpoint() -> RecordCheckpoint {
    RecordCheckpoint {
        occurred_at: t("2024-05-16T11:59:00Z"),
        tree_size: 27,
        root: "9f".repeat(32),
        public_key: "3b".repeat(32),
        signature: "c2lnbmF0dXJl".into(),
    }
}
