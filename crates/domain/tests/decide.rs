//! Given events, when a command, then events or a rejection: one test per rule.

mod support;

use chrono::TimeDelta;
use domain::RejectionKind as K;
use domain::*;
use support::*;

fn with(mut events: Vec<Event>, more: Vec<Event>) -> Vec<Event> {
    events.extend(more);
    events
}

fn base_plus(cmds: Vec<(Actor, Command)>) -> Vec<Event> {
    let mut all = vec![
        m(map_asl()),
        m(map_cpia()),
        m(register()),
        m(consent()),
        m(intake()),
        m(open_case()),
    ];
    all.extend(cmds);
    history(all)
}

// ---- people and consent --------------------------------------------------------------------------

#[test]
fn registering_a_person_opens_the_person_stream() {
    let decision = given(vec![])
        .when(register())
        .then_decision(StreamId::person(person()), Expected::NoStream);
    let Event::PersonRegistered(e) = &decision.events[0] else {
        panic!()
    };
    assert_eq!(
        (e.birth_year, e.permit_type, e.personal.full_name.as_str()),
        (1991, PermitType::TemporaryProtection, CANARY)
    );
}

#[test]
fn a_person_is_registered_with_a_fiscal_code() {
    let decision = given(vec![])
        .when(RegisterPerson {
            personal: PersonalData {
                fiscal_code: Some("RSSMRA85T10A562S".into()),
                ..register().personal
            },
            ..register()
        })
        .then_decision(StreamId::person(person()), Expected::NoStream);
    let Event::PersonRegistered(e) = &decision.events[0] else {
        panic!()
    };
    assert_eq!(e.personal.fiscal_code.as_deref(), Some("RSSMRA85T10A562S"));
}

#[test]
fn a_person_is_registered_once() {
    given(base())
        .when(register())
        .then_rejected("personId", K::AlreadyExists);
}

#[test]
fn registration_checks_its_fields() {
    let cases: Vec<(RegisterPerson, &str, K)> = vec![
        (
            RegisterPerson {
                birth_year: 1850,
                ..register()
            },
            "birthYear",
            K::OutOfRange,
        ),
        (
            RegisterPerson {
                birth_year: 2030,
                ..register()
            },
            "birthYear",
            K::OutOfRange,
        ),
        (
            RegisterPerson {
                citizenships: vec![],
                ..register()
            },
            "citizenships",
            K::Required,
        ),
        (
            RegisterPerson {
                citizenships: vec!["Ukraine".into()],
                ..register()
            },
            "citizenships[0]",
            K::Invalid,
        ),
        (
            RegisterPerson {
                country_of_birth: "ua".into(),
                ..register()
            },
            "countryOfBirth",
            K::Invalid,
        ),
        (
            RegisterPerson {
                arrival_year: Some(1980),
                ..register()
            },
            "arrivalYear",
            K::OutOfRange,
        ),
        (
            RegisterPerson {
                languages: vec![],
                ..register()
            },
            "languages",
            K::Required,
        ),
        (
            RegisterPerson {
                languages: vec!["uk".into(), "uk".into()],
                ..register()
            },
            "languages[1]",
            K::Duplicate,
        ),
        (
            RegisterPerson {
                household_size: 0,
                ..register()
            },
            "householdSize",
            K::OutOfRange,
        ),
        (
            RegisterPerson {
                minor: true,
                ..register()
            },
            "minor",
            K::Mismatch,
        ),
        (
            RegisterPerson {
                birth_year: 2012,
                personal: PersonalData {
                    birth_date: None,
                    ..register().personal
                },
                ..register()
            },
            "minor",
            K::Mismatch,
        ),
        (
            RegisterPerson {
                unaccompanied_minor: true,
                ..register()
            },
            "unaccompaniedMinor",
            K::Mismatch,
        ),
        (
            RegisterPerson {
                permit_type: PermitType::None,
                ..register()
            },
            "permitExpiresOn",
            K::Invalid,
        ),
        (
            RegisterPerson {
                site_id: SiteId::new("Via Montelucci 4"),
                ..register()
            },
            "siteId",
            K::Invalid,
        ),
        (
            RegisterPerson {
                personal: PersonalData {
                    full_name: " ".into(),
                    ..register().personal
                },
                ..register()
            },
            "personal.fullName",
            K::Required,
        ),
        (
            RegisterPerson {
                personal: PersonalData {
                    birth_date: Some(d("1992-03-14")),
                    ..register().personal
                },
                ..register()
            },
            "personal.birthDate",
            K::Mismatch,
        ),
        (
            RegisterPerson {
                personal: PersonalData {
                    fiscal_code: Some("RSSMRA85T10A562X".into()),
                    ..register().personal
                },
                ..register()
            },
            "personal.fiscalCode",
            K::Invalid,
        ),
        (
            RegisterPerson {
                personal: PersonalData {
                    fiscal_code: Some("rssmra85t10a562s".into()),
                    ..register().personal
                },
                ..register()
            },
            "personal.fiscalCode",
            K::Invalid,
        ),
        (
            RegisterPerson {
                personal: PersonalData {
                    fiscal_code: Some("RSSMRA85T10A562".into()),
                    ..register().personal
                },
                ..register()
            },
            "personal.fiscalCode",
            K::Invalid,
        ),
        (
            RegisterPerson {
                occurred_at: t("2024-05-17T09:00:00Z"),
                ..register()
            },
            "occurredAt",
            K::InFuture,
        ),
    ];
    for (cmd, field, kind) in cases {
        given(vec![]).when(cmd).then_rejected(field, kind);
    }
}

#[test]
fn evaluators_record_nothing() {
    given(vec![])
        .when_by(Actor::new("valutatore", Role::Evaluator), register())
        .then_rejected("actor", K::NotPermitted);
}

#[test]
fn consent_is_appended_to_the_person_stream() {
    let events = history(vec![m(register())]);
    let decision = given(events)
        .when(consent())
        .then_decision(StreamId::person(person()), Expected::Exactly(1));
    assert!(
        matches!(&decision.events[0], Event::ConsentGiven(e) if e.given_by == ConsentGiver::Person)
    );
}

#[test]
fn consent_needs_a_registered_person() {
    given(vec![])
        .when(consent())
        .then_rejected("personId", K::NotFound);
}

#[test]
fn a_minors_consent_is_given_by_a_named_guardian() {
    let events = history(vec![m(register_minor())]);
    given(events.clone())
        .when(GiveConsent {
            person_id: minor(),
            ..consent()
        })
        .then_rejected("givenBy", K::GuardianRequired);
    let then = given(events.clone())
        .when(guardian_consent())
        .then_accepted();
    assert!(matches!(&then.events[0], Event::ConsentGiven(e)
        if e.guardian_kind == Some(GuardianKind::VoluntaryGuardian) && e.guardian_name.is_some()));
    given(events.clone())
        .when(GiveConsent {
            guardian_kind: None,
            ..guardian_consent()
        })
        .then_rejected("guardianKind", K::Required);
    given(events.clone())
        .when(GiveConsent {
            guardian_name: Some(PersonalNote::new("  ")),
            ..guardian_consent()
        })
        .then_rejected("guardianName", K::Required);
    // Yusuf came alone: no parent consents for him; the head of the facility does while no
    // tutore volontario is appointed.
    given(events.clone())
        .when(GiveConsent {
            guardian_kind: Some(GuardianKind::Parent),
            ..guardian_consent()
        })
        .then_rejected("guardianKind", K::Mismatch);
    given(events)
        .when(GiveConsent {
            guardian_kind: Some(GuardianKind::FacilityHead),
            ..guardian_consent()
        })
        .then_accepted();
    // The person's own consent names no guardian.
    given(history(vec![m(register())]))
        .when(GiveConsent {
            guardian_kind: Some(GuardianKind::Parent),
            ..consent()
        })
        .then_rejected("guardianKind", K::Invalid);
}

/// Amina, born on 20 May 2006, registered as a minor on 7 May 2024: 18 on 20 May 2024.
fn register_turning_18() -> RegisterPerson {
    RegisterPerson {
        person_id: minor(),
        birth_year: 2006,
        minor: true,
        unaccompanied_minor: false,
        personal: PersonalData {
            full_name: "Amina Diallo".into(),
            birth_date: Some(d("2006-05-20")),
            contacts: vec![],
            fiscal_code: None,
        },
        ..register_minor()
    }
}

#[test]
fn a_minor_consents_for_themselves_from_their_18th_birthday() {
    let events = history(vec![m(register_turning_18())]);
    let on = |day: &str, cmd: GiveConsent| GiveConsent {
        occurred_at: t(day),
        ..cmd
    };
    let own = GiveConsent {
        person_id: minor(),
        ..consent()
    };
    let parent = GiveConsent {
        guardian_kind: Some(GuardianKind::Parent),
        guardian_name: Some(PersonalNote::new("Fatou Diallo")),
        ..guardian_consent()
    };
    let the_day_before = "2024-05-19T10:00:00Z";
    let the_birthday = "2024-05-20T00:00:00Z";
    given(events.clone())
        .when_at(
            t("2024-05-21T00:00:00Z"),
            mediator(),
            on(the_day_before, own.clone()),
        )
        .then_rejected("givenBy", K::GuardianRequired);
    given(events.clone())
        .when_at(
            t("2024-05-21T00:00:00Z"),
            mediator(),
            on(the_day_before, parent.clone()),
        )
        .then_accepted();
    given(events.clone())
        .when_at(
            t("2024-05-21T00:00:00Z"),
            mediator(),
            on(the_birthday, own.clone()),
        )
        .then_accepted();
    given(events.clone())
        .when_at(
            t("2024-05-21T00:00:00Z"),
            mediator(),
            on(the_birthday, parent),
        )
        .then_rejected("givenBy", K::Mismatch);
    // Without the exact birth date, the year of the 18th birthday takes either: the desk cannot
    // tell the day (recording the birth date decides it).
    let by_year = history(vec![m(RegisterPerson {
        personal: PersonalData {
            birth_date: None,
            ..register_turning_18().personal
        },
        ..register_turning_18()
    })]);
    given(by_year.clone()).when(own).then_accepted();
    given(by_year).when(guardian_consent()).then_accepted();
    // An adult born long before is refused a guardian.
    given(history(vec![m(register())]))
        .when(GiveConsent {
            person_id: person(),
            ..guardian_consent()
        })
        .then_rejected("givenBy", K::Mismatch);
}

#[test]
fn sharing_consent_names_the_bodies() {
    given(history(vec![m(register())]))
        .when(GiveConsent {
            shared_with: vec![],
            ..consent()
        })
        .then_rejected("sharedWith", K::Required);
    given(history(vec![m(register())]))
        .when(GiveConsent {
            scopes: vec![],
            ..consent()
        })
        .then_rejected("scopes", K::Required);
}

#[test]
fn only_a_given_consent_is_withdrawn() {
    given(base()).when(withdraw()).then_accepted();
    given(base())
        .when(WithdrawConsent {
            scopes: vec![ConsentScope::Reporting],
            ..withdraw()
        })
        .then_rejected("scopes[0]", K::ConsentMissing);
}

#[test]
fn the_desks_public_task_needs_no_service_consent() {
    // The legal basis is the desk's public task (docs/adr/0009-legal-basis.md): a first contact,
    // an assessment, a case and an intervention are recorded without a service consent, and
    // after it is withdrawn.
    let events = base_plus(vec![m(WithdrawConsent {
        scopes: vec![ConsentScope::Service],
        ..withdraw()
    })]);
    given(events).when(intervention_cmd()).then_accepted();
    let no_consent = history(vec![m(map_asl()), m(register())]);
    given(no_consent.clone()).when(intake()).then_accepted();
    given(no_consent.clone()).when(assess()).then_accepted();
    given(no_consent).when(open_case()).then_accepted();
}

#[test]
fn vulnerability_is_assessed_on_the_persons_stream() {
    let then = given(base())
        .when(assess())
        .then_decision(StreamId::person(person()), Expected::Exactly(3));
    assert!(
        matches!(&then.events[0], Event::VulnerabilityAssessed(e) if e.categories == vec![VulnerabilityCategory::SingleParentWithMinors])
    );
}

#[test]
fn an_adult_is_not_assessed_as_a_minor() {
    given(base())
        .when(AssessVulnerability {
            categories: vec![VulnerabilityCategory::UnaccompaniedMinor],
            ..assess()
        })
        .then_rejected("categories", K::Mismatch);
}

// ---- intake and cases ---------------------------------------------------------------------------

#[test]
fn intake_is_recorded() {
    let events = history(vec![m(register()), m(consent())]);
    let decision = given(events).when(intake()).then_accepted();
    assert_eq!(decision.events[0].event_type(), "IntakeRecorded");
    assert_eq!(decision.events[0].person_id(), Some(person()));
}

#[test]
fn intake_rules() {
    given(vec![])
        .when(intake())
        .then_rejected("personId", K::NotFound);
    given(base())
        .when(RecordIntake {
            needs: vec![],
            ..intake()
        })
        .then_rejected("needs", K::Required);
    given(base())
        .when(RecordIntake {
            channel: IntakeChannel::ReferredByService,
            ..intake()
        })
        .then_rejected("referredBy", K::Required);
    given(base())
        .when(RecordIntake {
            channel: IntakeChannel::ReferredByService,
            referred_by: Some(ServiceId(ulid::Ulid(7777))),
            ..intake()
        })
        .then_rejected("referredBy", K::NotFound);
    given(base())
        .when(RecordIntake {
            referred_by: Some(asl()),
            ..intake()
        })
        .then_rejected("referredBy", K::Invalid);
    given(base())
        .when(RecordIntake {
            channel: IntakeChannel::ReferredByService,
            referred_by: Some(asl()),
            ..intake()
        })
        .then_accepted();
}

#[test]
fn opening_a_case_creates_its_stream() {
    let events = history(vec![m(map_asl()), m(register()), m(consent())]);
    given(events)
        .when(open_case())
        .then_decision(StreamId::case(case()), Expected::NoStream);
}

#[test]
fn case_opening_rules() {
    given(base())
        .when(open_case())
        .then_rejected("caseId", K::AlreadyExists);
    given(base())
        .when(OpenCase {
            case_id: CaseId(ulid::Ulid(42)),
            ..open_case()
        })
        .then_rejected("personId", K::CaseAlreadyOpen);
    let events = history(vec![m(map_asl()), m(register()), m(consent())]);
    given(events.clone())
        .when(OpenCase {
            case_worker: "".into(),
            ..open_case()
        })
        .then_rejected("caseWorker", K::Required);
    given(events)
        .when(OpenCase {
            partner_services: vec![cpia()],
            ..open_case()
        })
        .then_rejected("partnerServices[0]", K::NotFound);
}

#[test]
fn care_plan_rules() {
    let decision = given(base())
        .when(care_plan())
        .then_decision(StreamId::case(case()), Expected::Exactly(1));
    assert_eq!(
        decision.events[0].person_id(),
        Some(person()),
        "the event carries the person of the case"
    );
    given(base())
        .when(AgreeCarePlan {
            review_on: d("2024-05-09"),
            ..care_plan()
        })
        .then_rejected("reviewOn", K::OutOfRange);
    given(base())
        .when(AgreeCarePlan {
            case_id: CaseId(ulid::Ulid(1)),
            ..care_plan()
        })
        .then_rejected("caseId", K::NotFound);
    given(base())
        .when(AgreeCarePlan {
            occurred_at: t("2024-05-07T08:00:00Z"),
            ..care_plan()
        })
        .then_rejected("occurredAt", K::OutOfRange);
    given(base_plus(vec![m(close_case())]))
        .when(care_plan())
        .then_rejected("caseId", K::CaseClosed);
}

#[test]
fn a_case_is_closed_once_and_reopened_only_when_closed() {
    given(base()).when(close_case()).then_accepted();
    given(base_plus(vec![m(close_case())]))
        .when(close_case())
        .then_rejected("caseId", K::CaseClosed);
    given(base())
        .when(reopen_case())
        .then_rejected("caseId", K::CaseNotClosed);
    given(base_plus(vec![m(close_case())]))
        .when(reopen_case())
        .then_accepted();
}

#[test]
fn a_case_is_not_reopened_while_the_person_has_another_open() {
    let other = OpenCase {
        case_id: CaseId(ulid::Ulid(42)),
        occurred_at: t("2024-05-15T09:00:00Z"),
        ..open_case()
    };
    given(base_plus(vec![m(close_case()), m(other)]))
        .when(reopen_case())
        .then_rejected("caseId", K::CaseAlreadyOpen);
}

// ---- interventions ----------------------------------------------------------------------------

#[test]
fn an_intervention_within_a_case_goes_to_the_case_stream() {
    given(base())
        .when(intervention_cmd())
        .then_decision(StreamId::case(case()), Expected::Exactly(1));
    given(base())
        .when(RecordIntervention {
            case_id: None,
            ..intervention_cmd()
        })
        .then_decision(StreamId::person(person()), Expected::Exactly(3));
}

#[test]
fn a_closed_case_takes_no_intervention_until_reopened() {
    given(base_plus(vec![m(close_case())]))
        .when(intervention_cmd())
        .then_rejected("caseId", K::CaseClosed);
    given(base_plus(vec![m(close_case()), m(reopen_case())]))
        .when(intervention_cmd())
        .then_accepted();
}

#[test]
fn intervention_rules() {
    let cases: Vec<(RecordIntervention, &str, K)> = vec![
        (
            RecordIntervention {
                duration_minutes: 0,
                ..intervention_cmd()
            },
            "durationMinutes",
            K::OutOfRange,
        ),
        (
            RecordIntervention {
                duration_minutes: 24 * 60,
                ..intervention_cmd()
            },
            "durationMinutes",
            K::TooLong,
        ),
        (
            RecordIntervention {
                staff: vec![],
                ..intervention_cmd()
            },
            "staff",
            K::Required,
        ),
        (
            RecordIntervention {
                language: "Ukrainian".into(),
                ..intervention_cmd()
            },
            "language",
            K::Invalid,
        ),
        (
            RecordIntervention {
                activity: Activity::LegalAdvice,
                ..intervention_cmd()
            },
            "legalTopic",
            K::Required,
        ),
        (
            RecordIntervention {
                activity: Activity::ParentalSupport,
                ..intervention_cmd()
            },
            "parentalKind",
            K::Required,
        ),
        (
            RecordIntervention {
                activity: Activity::IntegratedCaseSupport,
                case_id: None,
                ..intervention_cmd()
            },
            "caseId",
            K::Required,
        ),
        (
            RecordIntervention {
                activity: Activity::IntegratedCaseSupport,
                service_id: None,
                ..intervention_cmd()
            },
            "serviceId",
            K::Required,
        ),
        (
            RecordIntervention {
                case_id: Some(CaseId(ulid::Ulid(5))),
                ..intervention_cmd()
            },
            "caseId",
            K::NotFound,
        ),
        (
            RecordIntervention {
                person_id: PersonId(ulid::Ulid(5)),
                ..intervention_cmd()
            },
            "personId",
            K::NotFound,
        ),
    ];
    for (cmd, field, kind) in cases {
        given(base()).when(cmd).then_rejected(field, kind);
    }
    given(base_plus(vec![m(intervention_cmd())]))
        .when(intervention_cmd())
        .then_rejected("interventionId", K::AlreadyExists);
    given(base())
        .when(RecordIntervention {
            activity: Activity::LegalAdvice,
            legal_topic: Some(LegalTopic::Permit),
            ..intervention_cmd()
        })
        .then_accepted();
}

#[test]
fn an_intervention_in_someone_elses_case_is_refused() {
    let events = base_plus(vec![m(register_minor()), m(guardian_consent())]);
    given(events)
        .when(RecordIntervention {
            person_id: minor(),
            ..intervention_cmd()
        })
        .then_rejected("caseId", K::Mismatch);
}

// ---- referrals ----------------------------------------------------------------------------------

#[test]
fn a_referral_goes_to_a_mapped_service() {
    given(base())
        .when(issue_referral())
        .then_decision(StreamId::referral(referral()), Expected::NoStream);
    given(base())
        .when(IssueReferral {
            service_id: ServiceId(ulid::Ulid(77)),
            ..issue_referral()
        })
        .then_rejected("serviceId", K::NotFound);
}

#[test]
fn a_referral_does_not_go_to_a_retired_service() {
    given(base_plus(vec![m(retire_cpia())]))
        .when(IssueReferral {
            service_id: cpia(),
            ..issue_referral()
        })
        .then_rejected("serviceId", K::Retired);
}

#[test]
fn a_referral_needs_consent_to_share() {
    let events = history(vec![
        m(map_asl()),
        m(register()),
        m(GiveConsent {
            scopes: vec![ConsentScope::Service],
            shared_with: vec![],
            ..consent()
        }),
    ]);
    given(events)
        .when(issue_referral())
        .then_rejected("personId", K::ConsentMissing);
    given(base_plus(vec![m(issue_referral())]))
        .when(issue_referral())
        .then_rejected("referralId", K::AlreadyExists);
}

#[test]
fn a_referral_outcome_needs_an_issued_referral() {
    given(base())
        .when(referral_outcome())
        .then_rejected("referralId", K::NotFound);
    let decision = given(base_plus(vec![m(issue_referral())]))
        .when(referral_outcome())
        .then_decision(StreamId::referral(referral()), Expected::Exactly(1));
    let Event::ReferralOutcomeRecorded(e) = &decision.events[0] else {
        panic!()
    };
    assert_eq!(
        (e.person_id, e.service_id),
        (person(), asl()),
        "the outcome carries the referral's person and service"
    );
}

#[test]
fn referral_outcome_rules() {
    let events = base_plus(vec![m(issue_referral())]);
    given(events.clone())
        .when(RecordReferralOutcome {
            appointment_on: None,
            ..referral_outcome()
        })
        .then_rejected("appointmentOn", K::Required);
    given(events.clone())
        .when(RecordReferralOutcome {
            appointment_on: Some(d("2024-05-01")),
            ..referral_outcome()
        })
        .then_rejected("appointmentOn", K::OutOfRange);
    given(events)
        .when(RecordReferralOutcome {
            occurred_at: t("2024-05-07T09:00:00Z"),
            ..referral_outcome()
        })
        .then_rejected("occurredAt", K::OutOfRange);
    let done = RecordReferralOutcome {
        outcome: ReferralOutcome::ServiceReceived,
        appointment_on: None,
        ..referral_outcome()
    };
    given(base_plus(vec![m(issue_referral()), m(done)]))
        .when(referral_outcome())
        .then_rejected("referralId", K::AlreadyFinal);
    let no_show = RecordReferralOutcome {
        outcome: ReferralOutcome::NoShow,
        appointment_on: None,
        ..referral_outcome()
    };
    given(base_plus(vec![m(issue_referral()), m(no_show)]))
        .when(referral_outcome())
        .then_accepted();
}

// ---- mediation ----------------------------------------------------------------------------------

#[test]
fn mediation_request_rules() {
    given(base())
        .when(request_mediation())
        .then_decision(StreamId::mediation(mediation()), Expected::NoStream);
    given(base())
        .when(RequestMediation {
            mode: MediationMode::OnCall,
            slot_start: None,
            slot_end: None,
            ..request_mediation()
        })
        .then_accepted();
    given(base())
        .when(RequestMediation {
            slot_start: None,
            slot_end: None,
            ..request_mediation()
        })
        .then_rejected("slotStart", K::Required);
    given(base())
        .when(RequestMediation {
            slot_end: Some(t("2024-05-14T08:00:00Z")),
            ..request_mediation()
        })
        .then_rejected("slotEnd", K::EndsBeforeStart);
    given(base())
        .when(RequestMediation {
            slot_end: Some(t("2024-05-15T09:00:00Z")),
            ..request_mediation()
        })
        .then_rejected("slotEnd", K::TooLong);
    given(base())
        .when(RequestMediation {
            slot_start: Some(t("2024-05-08T08:00:00Z")),
            ..request_mediation()
        })
        .then_rejected("slotStart", K::OutOfRange);
    given(base())
        .when(RequestMediation {
            language: "".into(),
            ..request_mediation()
        })
        .then_rejected("language", K::Invalid);
    given(base_plus(vec![m(request_mediation())]))
        .when(request_mediation())
        .then_rejected("mediationId", K::AlreadyExists);
}

#[test]
fn a_session_ends_after_it_starts_and_lasts_less_than_a_day() {
    let events = base_plus(vec![m(request_mediation())]);
    given(events.clone())
        .when(RecordMediationSession {
            ended_at: t("2024-05-14T09:05:00Z"),
            ..session()
        })
        .then_rejected("endedAt", K::EndsBeforeStart);
    given(events.clone())
        .when(RecordMediationSession {
            ended_at: t("2024-05-14T08:00:00Z"),
            ..session()
        })
        .then_rejected("endedAt", K::EndsBeforeStart);
    let start = session().started_at;
    given(events.clone())
        .when(RecordMediationSession {
            ended_at: start + TimeDelta::hours(24),
            ..session()
        })
        .then_rejected("endedAt", K::TooLong);
    given(events)
        .when(RecordMediationSession {
            ended_at: start + TimeDelta::hours(23),
            ..session()
        })
        .then_accepted();
}

#[test]
fn a_session_is_recorded_on_the_request_stream() {
    let decision = given(base_plus(vec![m(request_mediation())]))
        .when(session())
        .then_decision(StreamId::mediation(mediation()), Expected::Exactly(1));
    assert_eq!(decision.events[0].occurred_at(), t("2024-05-14T09:05:00Z"));
    assert_eq!(decision.events[0].person_id(), Some(person()));
}

#[test]
fn session_rules() {
    given(base())
        .when(session())
        .then_rejected("mediationId", K::NotFound);
    let events = base_plus(vec![m(request_mediation())]);
    given(events.clone())
        .when(RecordMediationSession {
            languages: LanguagePair {
                from: "it".into(),
                to: "it".into(),
            },
            ..session()
        })
        .then_rejected("languages", K::Invalid);
    given(events.clone())
        .when(RecordMediationSession {
            parties: vec![],
            ..session()
        })
        .then_rejected("parties", K::Required);
    given(events.clone())
        .when(RecordMediationSession {
            started_at: t("2024-05-08T08:20:00Z"),
            ended_at: t("2024-05-08T09:00:00Z"),
            ..session()
        })
        .then_rejected("startedAt", K::OutOfRange);
    given(events)
        .when_at(t("2024-05-14T09:30:00Z"), mediator(), session())
        .then_rejected("endedAt", K::InFuture);
}

#[test]
fn a_mediator_records_a_session_or_a_case_in_their_own_name_and_a_supervisor_for_anyone() {
    let events = base_plus(vec![m(request_mediation())]);
    let other = Actor::new("o.kovalenko", Role::Mediator);
    let rejection = given(events.clone())
        .when_by(other.clone(), session())
        .then_rejected("mediator", K::NotPermitted);
    assert!(
        rejection
            .message
            .contains("mediator must be o.kovalenko (you)"),
        "{}",
        rejection.message
    );
    given(events.clone())
        .when_by(supervisor(), session())
        .then_accepted();
    given(events).when(session()).then_accepted();

    let registered = history(vec![m(map_asl()), m(register()), m(consent())]);
    given(registered.clone())
        .when_by(other, open_case())
        .then_rejected("caseWorker", K::NotPermitted);
    given(registered.clone())
        .when_by(supervisor(), open_case())
        .then_accepted();
    given(registered).when(open_case()).then_accepted();
}

#[test]
fn a_mediation_cannot_be_held_after_it_was_cancelled() {
    let events = base_plus(vec![m(request_mediation()), m(cancel_mediation())]);
    given(events.clone())
        .when(session())
        .then_rejected("mediationId", K::Cancelled);
    given(events)
        .when(cancel_mediation())
        .then_rejected("mediationId", K::Cancelled);
    given(base())
        .when(cancel_mediation())
        .then_rejected("mediationId", K::NotFound);
    given(base_plus(vec![m(request_mediation())]))
        .when(cancel_mediation())
        .then_accepted();
}

// ---- group activities, material, surveys --------------------------------------------------------

#[test]
fn group_activity_rules() {
    given(vec![])
        .when(group_activity())
        .then_decision(StreamId::group_activity(group()), Expected::NoStream);
    given(vec![])
        .when(RecordGroupActivity {
            attendees_third_country: 0,
            attendees_other: 0,
            ..group_activity()
        })
        .then_rejected("attendeesThirdCountry", K::OutOfRange);
    given(vec![])
        .when(RecordGroupActivity {
            kind: GroupActivityKind::CommunityActivation,
            ..group_activity()
        })
        .then_rejected("associations", K::Required);
    given(vec![])
        .when(RecordGroupActivity {
            duration_minutes: 1500,
            ..group_activity()
        })
        .then_rejected("durationMinutes", K::TooLong);
    given(vec![])
        .when(RecordGroupActivity {
            facilitators: vec![],
            ..group_activity()
        })
        .then_rejected("facilitators", K::Required);
}

#[test]
fn material_distribution_rules() {
    given(vec![]).when(distribute()).then_accepted();
    given(vec![])
        .when(DistributeInformationMaterial {
            quantity: 0,
            ..distribute()
        })
        .then_rejected("quantity", K::OutOfRange);
    given(vec![])
        .when(DistributeInformationMaterial {
            item: "".into(),
            ..distribute()
        })
        .then_rejected("item", K::Required);
}

#[test]
fn survey_scores_are_one_to_five() {
    let anonymous = || RecordSurveyResponse {
        person_id: None,
        ..survey_cmd()
    };
    let mut zero = anonymous();
    zero.scores[1].score = 0;
    given(vec![])
        .when(zero)
        .then_rejected("scores[1].score", K::OutOfRange);
    let mut six = anonymous();
    six.scores[2].score = 6;
    given(vec![])
        .when(six)
        .then_rejected("scores[2].score", K::OutOfRange);
    let mut twice = anonymous();
    twice.scores[1].item = "welcome".into();
    given(vec![])
        .when(twice)
        .then_rejected("scores[1].item", K::Duplicate);
    given(vec![])
        .when(RecordSurveyResponse {
            scores: vec![],
            ..anonymous()
        })
        .then_rejected("scores", K::Required);
    given(vec![]).when(anonymous()).then_accepted();
}

#[test]
fn a_named_survey_needs_survey_contact_consent() {
    given(base()).when(survey_cmd()).then_accepted();
    given(base_plus(vec![m(withdraw())]))
        .when(survey_cmd())
        .then_rejected("personId", K::ConsentMissing);
}

// ---- logbook ------------------------------------------------------------------------------------

#[test]
fn a_logbook_entry_is_the_only_event_of_its_site_and_day() {
    let decision = given(vec![]).when(logbook()).then_decision(
        StreamId::logbook(&site(), d("2024-05-16")),
        Expected::NoStream,
    );
    assert_eq!(decision.stream.as_str(), "logbook-montelucci-4-2024-05-16");
}

#[test]
fn each_mediator_writes_their_own_entry_of_the_day() {
    let events = history(vec![m(logbook())]);
    let other = Actor::new("o.kovalenko", Role::Mediator);
    // A second mediator on the same day and site: accepted, in the day's stream after the first.
    given(events.clone())
        .when_by(
            other,
            WriteLogbookEntry {
                mediator: "o.kovalenko".into(),
                observations: Some(PersonalNote::new("pomeriggio tranquillo")),
                ..logbook()
            },
        )
        .then_decision(
            StreamId::logbook(&site(), d("2024-05-16")),
            Expected::Exactly(1),
        );
    // The same mediator in the other slot of the day: accepted.
    given(events.clone())
        .when(WriteLogbookEntry {
            slot: RotationSlot::Afternoon,
            ..logbook()
        })
        .then_accepted();
    // The same mediator, slot and day again: refused, naming who wrote it.
    let rejection = given(events.clone())
        .when(logbook())
        .then_rejected("slot", K::AlreadyExists);
    assert!(
        rejection.message.contains("m.haddad"),
        "names who wrote it: {}",
        rejection.message
    );
    // A full day overlaps the morning already written.
    given(events.clone())
        .when(WriteLogbookEntry {
            slot: RotationSlot::FullDay,
            ..logbook()
        })
        .then_rejected("slot", K::AlreadyExists);
    given(events.clone())
        .when(WriteLogbookEntry {
            site_id: SiteId::new("tor-bella-monaca"),
            ..logbook()
        })
        .then_accepted();
    given(events)
        .when(WriteLogbookEntry {
            date: d("2024-05-14"),
            occurred_at: t("2024-05-14T16:30:00Z"),
            ..logbook()
        })
        .then_accepted();
}

#[test]
fn a_supervisor_comments_on_a_logbook_entry() {
    let events = history(vec![m(logbook())]);
    let entry = id_of(&events, "LogbookEntryWritten");
    let comment = CommentLogbookEntry {
        entry_id: entry,
        occurred_at: t("2024-05-16T11:55:00Z"),
        comment: PersonalNote::new("ne parliamo in supervisione"),
    };
    let decision = given(events.clone())
        .when_by(supervisor(), comment.clone())
        .then_decision(
            StreamId::logbook(&site(), d("2024-05-16")),
            Expected::Exactly(1),
        );
    assert_eq!(
        decision.events,
        vec![Event::LogbookEntryCommented(LogbookEntryCommented {
            entry_id: entry,
            site_id: site(),
            date: d("2024-05-16"),
            occurred_at: t("2024-05-16T11:55:00Z"),
            supervisor: "s.ferri".into(),
            comment: PersonalNote::new("ne parliamo in supervisione"),
        })]
    );
    given(events.clone())
        .when(comment.clone())
        .then_rejected("actor", K::NotPermitted);
    given(events.clone())
        .when_by(
            supervisor(),
            CommentLogbookEntry {
                entry_id: event_id(99),
                ..comment.clone()
            },
        )
        .then_rejected("entryId", K::NotFound);
    given(events.clone())
        .when_by(
            supervisor(),
            CommentLogbookEntry {
                comment: PersonalNote::new("  "),
                ..comment.clone()
            },
        )
        .then_rejected("comment", K::Required);
    given(events)
        .when_by(
            supervisor(),
            CommentLogbookEntry {
                occurred_at: t("2024-05-15T11:55:00Z"),
                ..comment
            },
        )
        .then_rejected("occurredAt", K::OutOfRange);
}

#[test]
fn a_supervisor_redacts_the_text_of_an_entry_or_a_meeting() {
    let events = history(vec![
        m(map_asl()),
        m(map_cpia()),
        m(register()),
        m(consent()),
        m(intake()),
        m(open_case()),
        m(logbook()),
        (supervisor(), supervision().into()),
    ]);
    let entry = id_of(&events, "LogbookEntryWritten");
    let redact = RedactText {
        event_id: entry,
        occurred_at: t("2024-05-16T11:56:00Z"),
        reason: ErasureReason::PersonRequest,
    };
    given(events.clone())
        .when_by(supervisor(), redact.clone())
        .then_decision(
            StreamId::logbook(&site(), d("2024-05-16")),
            Expected::Exactly(1),
        );
    given(events.clone())
        .when_by(
            supervisor(),
            RedactText {
                event_id: id_of(&events, "SupervisionMeetingHeld"),
                ..redact.clone()
            },
        )
        .then_decision(StreamId::supervision(meeting()), Expected::Exactly(1));
    given(events.clone())
        .when(redact.clone())
        .then_rejected("actor", K::NotPermitted);
    given(events.clone())
        .when_by(
            supervisor(),
            RedactText {
                event_id: id_of(&events, "PersonRegistered"),
                ..redact.clone()
            },
        )
        .then_rejected("eventId", K::Mismatch);
    given(events.clone())
        .when_by(
            supervisor(),
            RedactText {
                event_id: event_id(99),
                ..redact.clone()
            },
        )
        .then_rejected("eventId", K::NotFound);
    // Once redacted: not again, and no comment is written under it.
    let mut sim = Sim::default();
    for (i, event) in events.iter().enumerate() {
        let stream = event.stream().unwrap();
        let expected = sim
            .state
            .stream_version(&stream)
            .map_or(Expected::NoStream, Expected::Exactly);
        sim.append(stream, expected, event, event_id(i), &mediator());
    }
    let redacted = sim
        .state
        .decide(
            &redact.clone().into(),
            &Context {
                now: t(NOW),
                actor: supervisor(),
            },
        )
        .unwrap();
    sim.append(
        redacted.stream.clone(),
        redacted.expected,
        &redacted.events[0],
        event_id(50),
        &supervisor(),
    );
    let again = sim.state.decide(
        &redact.into(),
        &Context {
            now: t(NOW),
            actor: supervisor(),
        },
    );
    assert_eq!(again.unwrap_err().kind, K::AlreadyExists);
    let comment = sim.state.decide(
        &CommentLogbookEntry {
            entry_id: entry,
            occurred_at: t("2024-05-16T11:57:00Z"),
            comment: PersonalNote::new("commento"),
        }
        .into(),
        &Context {
            now: t(NOW),
            actor: supervisor(),
        },
    );
    assert_eq!(comment.unwrap_err().kind, K::Erased);
}

/// The desk's day is Rome's: at 23:30 UTC on 16 May it is already 01:30 on 17 May in Rome, so
/// the entry of 17 May, written then, is today's (and 18 May still the future).
#[test]
fn the_desk_day_is_romes_not_utcs() {
    let night = t("2024-05-16T23:30:00Z");
    given(vec![])
        .when_at(
            night,
            mediator(),
            WriteLogbookEntry {
                date: d("2024-05-17"),
                occurred_at: night,
                ..logbook()
            },
        )
        .then_accepted();
    given(vec![])
        .when_at(
            night,
            mediator(),
            WriteLogbookEntry {
                date: d("2024-05-18"),
                occurred_at: night,
                ..logbook()
            },
        )
        .then_rejected("date", K::InFuture);
}

#[test]
fn a_logbook_entry_is_not_dated_in_the_future() {
    given(vec![])
        .when(WriteLogbookEntry {
            date: d("2024-05-17"),
            ..logbook()
        })
        .then_rejected("date", K::InFuture);
    given(vec![])
        .when(WriteLogbookEntry {
            date: d("2024-05-16"),
            occurred_at: t("2024-05-15T18:00:00Z"),
            ..logbook()
        })
        .then_rejected("occurredAt", K::OutOfRange);
}

#[test]
fn a_mediator_writes_the_logbook_in_their_own_name() {
    given(vec![])
        .when_by(Actor::new("o.kovalenko", Role::Mediator), logbook())
        .then_rejected("mediator", K::NotPermitted);
    given(vec![])
        .when_by(supervisor(), logbook())
        .then_accepted();
    given(vec![])
        .when(WriteLogbookEntry {
            languages: vec![],
            ..logbook()
        })
        .then_rejected("languages", K::Required);
}

// ---- supervision ---------------------------------------------------------------------------------

#[test]
fn supervision_is_recorded_by_a_supervisor() {
    given(base())
        .when_by(supervisor(), supervision())
        .then_decision(StreamId::supervision(meeting()), Expected::NoStream);
    given(base())
        .when(supervision())
        .then_rejected("actor", K::NotPermitted);
}

#[test]
fn supervision_rules() {
    given(vec![])
        .when_by(supervisor(), supervision())
        .then_rejected("casesDiscussed[0]", K::NotFound);
    given(base())
        .when_by(
            supervisor(),
            RecordSupervisionMeeting {
                attendees: vec![],
                ..supervision()
            },
        )
        .then_rejected("attendees", K::Required);
    given(base())
        .when_by(
            supervisor(),
            RecordSupervisionMeeting {
                site_ids: vec![],
                ..supervision()
            },
        )
        .then_rejected("siteIds", K::Required);
    let mut no_owner = supervision();
    no_owner.actions[0].owner = String::new();
    given(base())
        .when_by(supervisor(), no_owner)
        .then_rejected("actions[0].owner", K::Required);
    given(base_plus(vec![(supervisor(), supervision().into())]))
        .when_by(supervisor(), supervision())
        .then_rejected("meetingId", K::AlreadyExists);
}

// ---- service directory ---------------------------------------------------------------------------

#[test]
fn service_directory_rules() {
    given(vec![])
        .when(map_asl())
        .then_decision(StreamId::service(asl()), Expected::NoStream);
    given(history(vec![m(map_asl())]))
        .when(map_asl())
        .then_rejected("serviceId", K::AlreadyExists);
    given(vec![])
        .when(MapService {
            description: ServiceDescription {
                verified_on: d("2024-06-01"),
                ..asl_description()
            },
            ..map_asl()
        })
        .then_rejected("verifiedOn", K::InFuture);
    given(vec![])
        .when(MapService {
            description: ServiceDescription {
                name: "".into(),
                ..asl_description()
            },
            ..map_asl()
        })
        .then_rejected("name", K::Required);
    given(history(vec![m(map_asl())]))
        .when(update_asl())
        .then_decision(StreamId::service(asl()), Expected::Exactly(1));
    given(vec![])
        .when(update_asl())
        .then_rejected("serviceId", K::NotFound);
    given(history(vec![m(map_cpia()), m(retire_cpia())]))
        .when(retire_cpia())
        .then_rejected("serviceId", K::Retired);
    given(history(vec![m(map_cpia())]))
        .when(RetireService {
            reason: "".into(),
            ..retire_cpia()
        })
        .then_rejected("reason", K::Required);
}

// ---- corrections ---------------------------------------------------------------------------------

fn correct_intake() -> CorrectEvent {
    CorrectEvent {
        corrects: event_id(4),
        occurred_at: t("2024-05-16T10:00:00Z"),
        fields: [("needs".to_string(), serde_json::json!(["work"]))].into(),
        personal_fields: PersonalFields::default(),
        reason: "bisogno registrato per errore".into(),
    }
}

#[test]
fn a_correction_goes_to_the_stream_of_the_event_it_corrects() {
    let decision = given(base())
        .when(correct_intake())
        .then_decision(StreamId::person(person()), Expected::Exactly(3));
    let Event::EventCorrected(e) = &decision.events[0] else {
        panic!()
    };
    assert_eq!(
        (e.corrects, e.corrected_event_type.as_str(), e.person_id),
        (event_id(4), "IntakeRecorded", Some(person()))
    );
}

#[test]
fn correction_rules() {
    given(base())
        .when(CorrectEvent {
            corrects: event_id(99),
            ..correct_intake()
        })
        .then_rejected("corrects", K::NotFound);
    given(base())
        .when(CorrectEvent {
            reason: " ".into(),
            ..correct_intake()
        })
        .then_rejected("reason", K::Required);
    given(base())
        .when(CorrectEvent {
            fields: Default::default(),
            ..correct_intake()
        })
        .then_rejected("fields", K::Required);
    given(base())
        .when(CorrectEvent {
            fields: [("colour".to_string(), serde_json::json!("red"))].into(),
            ..correct_intake()
        })
        .then_rejected("fields.colour", K::Invalid);
    given(base())
        .when(CorrectEvent {
            fields: [("personId".to_string(), serde_json::json!(person()))].into(),
            ..correct_intake()
        })
        .then_rejected("fields.personId", K::NotCorrectable);
    given(base())
        .when(CorrectEvent {
            fields: [("note".to_string(), serde_json::json!("x"))].into(),
            ..correct_intake()
        })
        .then_rejected("fields.note", K::Invalid);
    given(base())
        .when(CorrectEvent {
            fields: Default::default(),
            personal_fields: PersonalFields([("note".to_string(), serde_json::json!("x"))].into()),
            ..correct_intake()
        })
        .then_accepted();
}

#[test]
fn a_correction_is_not_itself_corrected() {
    let mut sim_events = base();
    let correction = given(base())
        .when(correct_intake())
        .then_accepted()
        .events
        .remove(0);
    // A correction has no stream of its own: given() cannot place it, so apply it by hand.
    let mut state = given(std::mem::take(&mut sim_events)).state().clone();
    let meta = EventMeta {
        id: event_id(50),
        stream: StreamId::person(person()),
        version: 4,
        position: 7,
        recorded_at: t(NOW),
        actor: mediator(),
    };
    state.apply(&meta, &correction);
    let ctx = Context {
        now: t(NOW),
        actor: mediator(),
    };
    let r = state
        .decide(
            &CorrectEvent {
                corrects: event_id(50),
                ..correct_intake()
            }
            .into(),
            &ctx,
        )
        .unwrap_err();
    assert_eq!((r.field.as_str(), r.kind), ("corrects", K::NotCorrectable));
    assert_eq!(state.stream_version(&StreamId::person(person())), Some(4));
}

// ---- time and serde ------------------------------------------------------------------------------

#[test]
fn times_with_an_offset_are_stored_in_utc() {
    let json = serde_json::json!({
        "command": "WriteLogbookEntry", "siteId": "montelucci-4", "date": "2024-05-16",
        "occurredAt": "2024-05-16T13:50:00+02:00", "mediator": "m.haddad", "slot": "morning",
        "contacts": 3, "languages": ["ar"]
    });
    let cmd: Command = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(cmd.occurred_at(), t("2024-05-16T11:50:00Z"));
    let mut naive = json;
    naive["occurredAt"] = "2024-05-16T13:50:00".into();
    assert!(
        serde_json::from_value::<Command>(naive).is_err(),
        "a time without offset is ambiguous"
    );
}

#[test]
fn commands_are_internally_tagged_camel_case() {
    let value = serde_json::to_value(Command::from(intake())).unwrap();
    assert_eq!(value["command"], "RecordIntake");
    assert_eq!(value["personId"], serde_json::json!(person()));
    assert_eq!(value["occurredAt"], "2024-05-07T09:15:00Z");
    assert_eq!(Command::from(intake()).name(), "RecordIntake");
    for name in COMMAND_NAMES {
        assert!(!name.is_empty());
    }
    let service = serde_json::to_value(Command::from(map_asl())).unwrap();
    assert_eq!(
        service["openingHours"], "lun-ven 8:30-13:00",
        "the description is flattened"
    );
    let back: Command = serde_json::from_value(service).unwrap();
    assert_eq!(back, Command::from(map_asl()));
}

#[test]
fn roles_are_lowercase() {
    let actor: Actor = serde_json::from_str(r#"{"id":"s.ferri","role":"supervisor"}"#).unwrap();
    assert_eq!(actor, supervisor());
    assert_eq!(Role::Admin.as_str(), "admin");
}

#[test]
fn every_event_names_its_stream_site_and_time() {
    for event in everything() {
        let stream = event.stream().unwrap();
        assert!(!stream.as_str().is_empty());
        let _ = event.occurred_at();
        if event.person_id().is_some() || event.case_id().is_some() {
            assert!(
                event.site_id().is_some(),
                "{} concerns a person but names no site",
                event.event_type()
            );
        }
    }
    let _ = with(vec![], vec![]);
}

// ---- erasure ---------------------------------------------------------------------------------------

fn erase() -> ErasePerson {
    ErasePerson {
        person_id: person(),
        occurred_at: t("2024-05-16T11:00:00Z"),
        reason: ErasureReason::PersonRequest,
    }
}

#[test]
fn a_supervisor_erases_a_registered_person_on_their_stream() {
    let decision = given(base())
        .when_by(supervisor(), erase())
        .then_events(vec![Event::PersonErased(PersonErased {
            person_id: person(),
            occurred_at: t("2024-05-16T11:00:00Z"),
            reason: ErasureReason::PersonRequest,
        })]);
    assert_eq!(decision.stream, StreamId::person(person()));
    assert!(matches!(decision.expected, Expected::Exactly(_)));
}

#[test]
fn only_supervisors_erase() {
    given(base())
        .when(erase())
        .then_rejected("actor", K::NotPermitted);
    given(base())
        .when_by(Actor::new("a.conti", Role::Admin), erase())
        .then_rejected("actor", K::NotPermitted);
}

#[test]
fn an_unknown_person_is_not_erased() {
    given(vec![])
        .when_by(supervisor(), erase())
        .then_rejected("personId", K::NotFound);
}

#[test]
fn an_erased_person_is_erased_once_and_gets_no_new_facts() {
    let erased = given(base())
        .when_by(supervisor(), erase())
        .then_accepted()
        .events;
    let history = with(base(), erased);
    given(history.clone())
        .when_by(supervisor(), erase())
        .then_rejected("personId", K::Erased);
    given(history.clone())
        .when(intake())
        .then_rejected("personId", K::Erased);
    given(history)
        .when(consent())
        .then_rejected("personId", K::Erased);
}

#[test]
fn an_erasure_is_not_corrected() {
    let erased = given(base())
        .when_by(supervisor(), erase())
        .then_accepted()
        .events;
    let mut history = base();
    let position = history.len();
    history.extend(erased);
    given(history)
        .when(CorrectEvent {
            corrects: event_id(position),
            occurred_at: t("2024-05-16T11:30:00Z"),
            fields: [("reason".to_string(), serde_json::json!("retention_expired"))].into(),
            personal_fields: PersonalFields::default(),
            reason: "wrong reason".into(),
        })
        .then_rejected("corrects", K::NotCorrectable);
}

#[test]
fn the_erased_marker_is_not_a_name() {
    let mut c = register();
    c.personal.full_name = ERASED.to_string();
    given(vec![])
        .when(c)
        .then_rejected("personal.fullName", K::Invalid);
}

#[test]
fn only_a_supervisor_or_admin_records_a_checkpoint_and_never_of_an_empty_journal() {
    let accepted = given(base())
        .when_by(supervisor(), checkpoint())
        .then_accepted();
    assert_eq!(accepted.stream, StreamId::checkpoints());
    assert_eq!(accepted.events[0].event_type(), "CheckpointSigned");
    assert!(accepted.events[0].person_id().is_none());
    given(base())
        .when(checkpoint())
        .then_rejected("actor", RejectionKind::NotPermitted);
    given(base())
        .when_by(
            supervisor(),
            RecordCheckpoint {
                tree_size: 0,
                ..checkpoint()
            },
        )
        .then_rejected("treeSize", RejectionKind::Invalid);
    given(base())
        .when_by(
            supervisor(),
            RecordCheckpoint {
                root: "not hex".into(),
                ..checkpoint()
            },
        )
        .then_rejected("root", RejectionKind::Invalid);
}

fn schedule(days: Vec<Weekday>) -> ScheduleSite {
    ScheduleSite {
        site_id: SiteId::new("quarticciolo"),
        occurred_at: t("2024-05-02T07:00:00Z"),
        name: "Sportello Quarticciolo".into(),
        opening_days: days,
        hours: vec![],
        phones: vec![],
    }
}

#[test]
fn admins_schedule_sites_and_a_later_schedule_replaces_the_first() {
    let admin = Actor::new("a.conti", Role::Admin);
    let first = given(vec![])
        .when_by(admin.clone(), schedule(vec![Weekday::Monday]))
        .then_accepted();
    assert_eq!(first.stream, StreamId::site(&SiteId::new("quarticciolo")));
    assert_eq!(first.events[0].event_type(), "SiteScheduled");
    let again = given(first.events.clone())
        .when_by(
            admin.clone(),
            schedule(vec![Weekday::Monday, Weekday::Friday]),
        )
        .then_accepted();
    assert_eq!(again.events[0].event_type(), "SiteScheduled");
    given(vec![])
        .when(schedule(vec![Weekday::Monday]))
        .then_rejected("actor", RejectionKind::NotPermitted);
    given(vec![])
        .when_by(
            admin.clone(),
            schedule(vec![Weekday::Monday, Weekday::Monday]),
        )
        .then_rejected("openingDays", RejectionKind::Invalid);
    given(vec![])
        .when_by(
            admin,
            ScheduleSite {
                site_id: SiteId::new("Not A Slug"),
                ..schedule(vec![])
            },
        )
        .then_rejected("siteId", RejectionKind::Invalid);
}

#[test]
fn a_time_before_the_registration_the_opening_or_the_project_is_refused_naming_the_bound() {
    let registered = history(vec![m(register()), m(consent())]);
    // A mistyped year: before the person was registered (2024-05-07T09:10:00Z).
    let rejection = given(registered.clone())
        .when(RecordIntake {
            occurred_at: t("0099-01-01T09:00:00Z"),
            ..intake()
        })
        .then_rejected("occurredAt", K::OutOfRange);
    assert!(
        rejection
            .message
            .contains("person was registered (2024-05-07T09:10:00Z)"),
        "{}",
        rejection.message
    );
    given(registered).when(intake()).then_accepted();

    // Before the case was opened.
    let rejection = given(base())
        .when(AgreeCarePlan {
            occurred_at: t("2020-01-01T00:00:00Z"),
            ..care_plan()
        })
        .then_rejected("occurredAt", K::OutOfRange);
    assert!(
        rejection.message.contains("before "),
        "{}",
        rejection.message
    );

    // Before the project started: the first site schedule.
    let admin = Actor::new("a.conti", Role::Admin);
    let scheduled = history(vec![(admin, schedule(vec![Weekday::Monday]).into())]);
    let rejection = given(scheduled.clone())
        .when(RegisterPerson {
            occurred_at: t("2024-05-01T00:00:00Z"),
            ..register()
        })
        .then_rejected("occurredAt", K::OutOfRange);
    assert!(
        rejection.message.contains("project started"),
        "{}",
        rejection.message
    );
    given(scheduled).when(register()).then_accepted();
}

#[test]
fn the_project_start_is_a_bound_on_a_fresh_journal_and_can_be_configured() {
    // Nothing recorded, no site scheduled: the default start (the FAMI programme's first day).
    let rejection = given(vec![])
        .when(RegisterPerson {
            occurred_at: t("0099-01-01T09:00:00Z"),
            ..register()
        })
        .then_rejected("occurredAt", K::OutOfRange);
    assert_eq!(
        rejection.message,
        "this time (0099-01-01T09:00:00Z) is before the project started \
         (2013-12-31T23:00:00Z); check the date"
    );
    given(vec![]).when(register()).then_accepted();

    // A desk that knows its own start refuses what came before it.
    let rejection = given(vec![])
        .with_project_start(t("2024-05-07T10:00:00Z"))
        .when(register())
        .then_rejected("occurredAt", K::OutOfRange);
    assert!(
        rejection
            .message
            .contains("before the project started (2024-05-07T10:00:00Z)"),
        "{}",
        rejection.message
    );
}
