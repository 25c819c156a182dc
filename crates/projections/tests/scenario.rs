//! May 2024 at via Montelucci, through the real domain, with every figure worked out by hand.

mod support;

use std::collections::BTreeMap;

use chrono::Weekday;
use domain::*;
use journal::Position;
use projections::*;
use support::*;

const ASL: u128 = 1;
const CPIA: u128 = 2;
const RECEPTION: u128 = 3;
const A: u128 = 10;
const B: u128 = 11;
const C: u128 = 12;
const CASE_A: u128 = 20;
const CASE_B: u128 = 21;

fn svc(n: u128) -> ServiceId {
    ServiceId(id(n))
}
fn pid(n: u128) -> PersonId {
    PersonId(id(n))
}
fn cid(n: u128) -> CaseId {
    CaseId(id(n))
}

fn description(name: &str, kind: ServiceKind, cap: Option<UkraineCapacity>) -> ServiceDescription {
    ServiceDescription {
        name: name.into(),
        kind,
        address: "via Montelucci 12".into(),
        opening_hours: "lun-ven 8:30-13:00".into(),
        languages: vec!["it".into(), "en".into()],
        access_rules: "libero".into(),
        ukraine_capacity: cap,
        verified_on: d("2024-04-01"),
    }
}

#[allow(clippy::too_many_arguments)]
fn register(
    n: u128,
    site_id: &str,
    at: &str,
    birth_year: i32,
    sex: Sex,
    citizenship: &str,
    permit: PermitType,
) -> RegisterPerson {
    RegisterPerson {
        person_id: pid(n),
        site_id: SiteId::new(site_id),
        occurred_at: t(at),
        birth_year,
        sex,
        citizenships: vec![citizenship.into()],
        country_of_birth: citizenship.into(),
        arrival_year: Some(2022),
        permit_type: permit,
        permit_expires_on: None,
        permit_renewal_pending: false,
        languages: vec!["en".into()],
        household_size: 1,
        minor: false,
        unaccompanied_minor: false,
        personal: PersonalData {
            full_name: format!("Person {n}"),
            birth_date: None,
            contacts: vec![],
            fiscal_code: None,
        },
    }
}

fn consent(n: u128, site_id: &str, at: &str) -> GiveConsent {
    GiveConsent {
        person_id: pid(n),
        site_id: SiteId::new(site_id),
        occurred_at: t(at),
        scopes: ConsentScope::ALL.to_vec(),
        shared_with: vec!["ASL Roma 1".into()],
        given_by: ConsentGiver::Person,
        guardian_kind: None,
        guardian_name: None,
    }
}

fn intake(n: u128, site_id: &str, at: &str) -> RecordIntake {
    RecordIntake {
        person_id: pid(n),
        site_id: SiteId::new(site_id),
        occurred_at: t(at),
        channel: IntakeChannel::WalkIn,
        referred_by: None,
        needs: vec![NeedArea::Health],
        note: None,
    }
}

fn intervention(
    k: u128,
    n: u128,
    case: Option<u128>,
    at: &str,
    activity: Activity,
    minutes: u32,
) -> RecordIntervention {
    RecordIntervention {
        intervention_id: InterventionId(id(k)),
        person_id: pid(n),
        case_id: case.map(cid),
        site_id: site(),
        occurred_at: t(at),
        activity,
        mode: InterventionMode::InPerson,
        duration_minutes: minutes,
        staff: vec!["m.haddad".into()],
        language: "uk".into(),
        need: Some(NeedArea::Health),
        service_id: None,
        legal_topic: (activity == Activity::LegalAdvice).then_some(LegalTopic::Permit),
        parental_kind: None,
        outcome: InterventionOutcome::Resolved,
        note: None,
    }
}

fn open_case(c: u128, n: u128, at: &str, worker: &str) -> OpenCase {
    OpenCase {
        case_id: cid(c),
        person_id: pid(n),
        site_id: site(),
        occurred_at: t(at),
        case_worker: worker.into(),
        vulnerabilities: vec![],
        partner_services: vec![],
    }
}

fn referral(r: u128, n: u128, case: Option<u128>, at: &str) -> IssueReferral {
    IssueReferral {
        referral_id: ReferralId(id(r)),
        person_id: pid(n),
        case_id: case.map(cid),
        site_id: site(),
        occurred_at: t(at),
        service_id: svc(ASL),
        reason: NeedArea::Health,
        urgency: Urgency::Routine,
        note: None,
    }
}

fn outcome(r: u128, at: &str, outcome: ReferralOutcome) -> RecordReferralOutcome {
    RecordReferralOutcome {
        referral_id: ReferralId(id(r)),
        occurred_at: t(at),
        outcome,
        appointment_on: (outcome == ReferralOutcome::AppointmentSet).then(|| d("2024-05-20")),
        note: None,
    }
}

fn request(
    m: u128,
    at: &str,
    mode: MediationMode,
    by: Option<u128>,
    person: Option<u128>,
    case: Option<u128>,
    language: &str,
) -> RequestMediation {
    RequestMediation {
        mediation_id: MediationId(id(m)),
        site_id: site(),
        occurred_at: t(at),
        mode,
        requesting_service: by.map(svc),
        person_id: person.map(pid),
        case_id: case.map(cid),
        language: language.into(),
        slot_start: (mode == MediationMode::Scheduled).then(|| t("2024-05-14T09:00:00Z")),
        slot_end: (mode == MediationMode::Scheduled).then(|| t("2024-05-14T10:00:00Z")),
    }
}

fn session(m: u128, from: &str, to: &str, language: &str) -> RecordMediationSession {
    RecordMediationSession {
        mediation_id: MediationId(id(m)),
        started_at: t(from),
        ended_at: t(to),
        mediator: "o.kovalenko".into(),
        languages: LanguagePair {
            from: language.into(),
            to: "it".into(),
        },
        parties: vec![PartyRole::Beneficiary, PartyRole::HealthWorker],
        kind: MediationKind::Linguistic,
        outcome: SessionOutcome::Completed,
        follow_up_needed: false,
        note: None,
        place: None,
        follow_up_by: None,
    }
}

fn survey(
    s: u128,
    person: Option<u128>,
    at: &str,
    scores: &[(SurveyItem, u8)],
    helpful: bool,
) -> RecordSurveyResponse {
    RecordSurveyResponse {
        survey_id: SurveyId(id(s)),
        site_id: site(),
        occurred_at: t(at),
        person_id: person.map(pid),
        definition: None,
        version: None,
        scores: scores
            .iter()
            .map(|(item, score)| ItemScore {
                item: item.as_str().into(),
                score: *score,
            })
            .collect(),
        helpful_for_integration: helpful,
        comment: None,
    }
}

fn logbook(date: &str, who: &str) -> WriteLogbookEntry {
    WriteLogbookEntry {
        site_id: site(),
        date: d(date),
        occurred_at: t(&format!("{date}T16:30:00Z")),
        mediator: who.into(),
        slot: RotationSlot::FullDay,
        contacts: 5,
        languages: vec!["uk".into()],
        observations: None,
        incidents: None,
        emerging_needs: vec![NeedArea::Documents],
        difficulties: Some(PersonalNote::new(format!("difficoltà di {who}"))),
        strategies: Some(PersonalNote::new(format!("strategia di {who}"))),
        training_needs: None,
    }
}

pub struct Ids {
    reg_a: (ulid::Ulid, Position),
    intervention_b: (ulid::Ulid, Position),
    close_b: (ulid::Ulid, Position),
}

/// The month, event by event. Figures expected are worked out in the tests below.
fn may() -> (Desk, Ids) {
    let mut desk = Desk::default();
    let m = mediator("m.haddad");
    let k = mediator("o.kovalenko");
    let cap = |places, health, school| {
        Some(UkraineCapacity {
            reception_places: places,
            health,
            school_access: school,
        })
    };
    for (n, name, kind, c) in [
        (ASL, "ASL Roma 1", ServiceKind::Health, cap(0, true, false)),
        (CPIA, "CPIA 3", ServiceKind::Education, cap(5, false, true)),
        (
            RECEPTION,
            "Casa Accoglienza",
            ServiceKind::Reception,
            cap(20, false, true),
        ),
    ] {
        desk.run(
            &admin(),
            MapService {
                service_id: svc(n),
                occurred_at: t("2024-04-02T08:00:00Z"),
                description: description(name, kind, c),
            },
        );
    }
    desk.run(
        &admin(),
        RetireService {
            service_id: svc(CPIA),
            occurred_at: t("2024-04-03T08:00:00Z"),
            reason: "chiuso".into(),
        },
    );
    // A: registered in April (returning in May), temporary protection, single parent.
    let reg_a = desk.run(
        &m,
        register(
            A,
            SITE,
            "2024-04-10T09:00:00Z",
            1991,
            Sex::Female,
            "UA",
            PermitType::TemporaryProtection,
        ),
    );
    desk.run(&m, consent(A, SITE, "2024-04-10T09:05:00Z"));
    desk.run(
        &m,
        AssessVulnerability {
            person_id: pid(A),
            site_id: site(),
            occurred_at: t("2024-04-10T09:10:00Z"),
            categories: vec![VulnerabilityCategory::SingleParentWithMinors],
            note: None,
        },
    );
    // B: registered in May (new), work permit.
    desk.run(
        &m,
        register(
            B,
            SITE,
            "2024-05-07T09:00:00Z",
            1980,
            Sex::Male,
            "BD",
            PermitType::Work,
        ),
    );
    desk.run(&m, consent(B, SITE, "2024-05-07T09:01:00Z"));
    // C: another site.
    desk.run(
        &m,
        register(
            C,
            "centro-2",
            "2024-05-20T09:00:00Z",
            2000,
            Sex::Male,
            "EG",
            PermitType::Study,
        ),
    );
    desk.run(&m, consent(C, "centro-2", "2024-05-20T09:01:00Z"));
    desk.run(&m, intake(C, "centro-2", "2024-05-20T09:30:00Z"));

    desk.run(&m, intake(A, SITE, "2024-05-07T09:15:00Z"));
    desk.run(&m, intake(B, SITE, "2024-05-07T10:00:00Z"));
    desk.run(&m, open_case(CASE_A, A, "2024-05-07T09:40:00Z", "m.haddad"));
    // A mediator opens a case in their own name.
    desk.run(
        &k,
        open_case(CASE_B, B, "2024-05-07T10:30:00Z", "o.kovalenko"),
    );
    desk.run(
        &m,
        intervention(
            30,
            A,
            Some(CASE_A),
            "2024-05-09T09:00:00Z",
            Activity::OrientationAccompaniment,
            40,
        ),
    );
    let intervention_b = desk.run(
        &m,
        intervention(
            31,
            B,
            Some(CASE_B),
            "2024-05-13T09:00:00Z",
            Activity::LegalAdvice,
            30,
        ),
    );
    desk.run(
        &m,
        intervention(
            32,
            A,
            Some(CASE_A),
            "2024-05-16T09:00:00Z",
            Activity::OrientationAccompaniment,
            20,
        ),
    );
    let close_b = desk.run(
        &m,
        CloseCase {
            case_id: cid(CASE_B),
            occurred_at: t("2024-05-14T11:00:00Z"),
            reason: ClosureReason::GoalsAchieved,
            outcome: CaseOutcome::Positive,
            note: None,
        },
    );
    // Referrals to the ASL: A 2 days to appointment, 13 to service; B refused after 2 days.
    desk.run(&m, referral(40, A, Some(CASE_A), "2024-05-07T10:00:00Z"));
    desk.run(&m, referral(41, B, None, "2024-05-08T10:00:00Z"));
    desk.run(
        &m,
        outcome(40, "2024-05-09T15:00:00Z", ReferralOutcome::AppointmentSet),
    );
    desk.run(
        &m,
        outcome(41, "2024-05-10T15:00:00Z", ReferralOutcome::Refused),
    );
    desk.run(
        &m,
        outcome(40, "2024-05-20T15:00:00Z", ReferralOutcome::ServiceReceived),
    );
    // Mediation: scheduled by the ASL in Ukrainian for A (50 min, 6 days after the request);
    // on call by the desk in Arabic, no person (30 min, same day).
    desk.run(
        &m,
        request(
            50,
            "2024-05-08T08:30:00Z",
            MediationMode::Scheduled,
            Some(ASL),
            Some(A),
            Some(CASE_A),
            "uk",
        ),
    );
    desk.run(
        &k,
        session(50, "2024-05-14T09:05:00Z", "2024-05-14T09:55:00Z", "uk"),
    );
    desk.run(
        &m,
        request(
            51,
            "2024-05-15T09:50:00Z",
            MediationMode::OnCall,
            None,
            None,
            None,
            "ar",
        ),
    );
    desk.run(
        &k,
        session(51, "2024-05-15T10:00:00Z", "2024-05-15T10:30:00Z", "ar"),
    );
    // Surveys.
    desk.run(
        &m,
        survey(
            60,
            Some(A),
            "2024-05-16T11:30:00Z",
            &[
                (SurveyItem::Welcome, 5),
                (SurveyItem::Clarity, 4),
                (SurveyItem::Usefulness, 3),
            ],
            true,
        ),
    );
    desk.run(
        &m,
        survey(
            61,
            None,
            "2024-05-16T11:40:00Z",
            &[(SurveyItem::Welcome, 3)],
            false,
        ),
    );
    // Logbook: every Tuesday and Thursday of May but the 23rd and the 30th.
    for (date, who) in [
        ("2024-05-02", "m.haddad"),
        ("2024-05-07", "o.kovalenko"),
        ("2024-05-09", "m.haddad"),
        ("2024-05-14", "o.kovalenko"),
        ("2024-05-16", "m.haddad"),
        ("2024-05-21", "m.haddad"),
        ("2024-05-28", "o.kovalenko"),
    ] {
        desk.run(&mediator(who), logbook(date, who));
    }
    desk.run(
        &supervisor(),
        RecordSupervisionMeeting {
            meeting_id: MeetingId(id(70)),
            occurred_at: t("2024-05-15T14:00:00Z"),
            duration_minutes: 120,
            supervisor: "s.ferri".into(),
            attendees: vec!["m.haddad".into()],
            site_ids: vec![site()],
            themes: vec![],
            cases_discussed: vec![cid(CASE_A)],
            decisions: vec![],
            actions: vec![],
        },
    );
    (
        desk,
        Ids {
            reg_a,
            intervention_b,
            close_b,
        },
    )
}

fn period_may() -> Period {
    Period::parse_month("2024-05").unwrap()
}

fn contact(r: &MonitoringReport, activity: ContactActivity, site: Option<&str>) -> (u32, u32) {
    r.contacts
        .iter()
        .find(|c| c.activity == activity && c.site.as_ref().map(|s| s.as_str()) == site)
        .map_or((0, 0), |c| (c.contacts, c.distinct_persons))
}

#[test]
fn contacts_and_beneficiaries_by_activity_and_site() {
    let (desk, _) = may();
    let r = desk.models.monitoring(&period_may(), Some(&site()));
    assert_eq!(contact(&r, ContactActivity::Intake, Some(SITE)), (2, 2));
    assert_eq!(
        contact(&r, ContactActivity::OrientationAccompaniment, Some(SITE)),
        (2, 1)
    );
    assert_eq!(
        contact(&r, ContactActivity::LegalAdvice, Some(SITE)),
        (1, 1)
    );
    assert_eq!(contact(&r, ContactActivity::Mediation, Some(SITE)), (2, 1));
    assert_eq!(
        contact(&r, ContactActivity::Intake, Some("centro-2")),
        (0, 0)
    );
    assert_eq!(r.total_contacts, 7);

    let b = &r.beneficiaries;
    assert_eq!((b.total, b.new, b.returning), (2, 1, 1));
    let cit: BTreeMap<_, _> = b
        .by_citizenship
        .iter()
        .map(|c| (c.key.as_str(), c.count))
        .collect();
    assert_eq!(cit, BTreeMap::from([("BD", 1), ("UA", 1)]));
    assert_eq!(
        b.by_age_band,
        vec![
            Count {
                key: AgeBand::From25To34,
                count: 1
            },
            Count {
                key: AgeBand::From35To44,
                count: 1
            }
        ]
    );
    assert_eq!(
        b.by_permit_type,
        vec![
            Count {
                key: PermitType::Work,
                count: 1
            },
            Count {
                key: PermitType::TemporaryProtection,
                count: 1
            }
        ]
    );
    assert_eq!(
        b.by_vulnerability,
        vec![Count {
            key: VulnerabilityCategory::SingleParentWithMinors,
            count: 1
        }]
    );
    assert_eq!(b.without_vulnerability, 1);
    assert_eq!(
        b.by_sex,
        vec![
            Count {
                key: Sex::Female,
                count: 1
            },
            Count {
                key: Sex::Male,
                count: 1
            }
        ]
    );

    // All sites: C's intake at centro-2 joins.
    let all = desk.models.monitoring(&period_may(), None);
    assert_eq!(
        contact(&all, ContactActivity::Intake, Some("centro-2")),
        (1, 1)
    );
    assert_eq!(contact(&all, ContactActivity::Intake, None), (3, 3));
    assert_eq!(all.beneficiaries.total, 3);
    assert_eq!(all.total_contacts, 8);
    // April: nobody was contacted.
    let april = desk
        .models
        .monitoring(&Period::parse_month("2024-04").unwrap(), None);
    assert_eq!((april.total_contacts, april.beneficiaries.total), (0, 0));
}

#[test]
fn mediation_hours_by_language_mode_and_requesting_service() {
    let (desk, _) = may();
    let r = desk.models.monitoring(&period_may(), Some(&site()));
    let m = &r.mediation;
    assert_eq!(
        (m.requests, m.sessions, m.minutes, m.cancelled),
        (2, 2, 80, 0)
    );
    let lang: Vec<_> = m
        .by_language
        .iter()
        .map(|f| (f.key.as_str(), f.sessions, f.minutes))
        .collect();
    assert_eq!(lang, vec![("ar", 1, 30), ("uk", 1, 50)]);
    let mode: Vec<_> = m.by_mode.iter().map(|f| (f.key, f.minutes)).collect();
    assert_eq!(
        mode,
        vec![(MediationMode::OnCall, 30), (MediationMode::Scheduled, 50)]
    );
    let by: Vec<_> = m
        .by_requesting_service
        .iter()
        .map(|f| (f.key, f.requests, f.minutes))
        .collect();
    assert_eq!(by, vec![(None, 1, 30), (Some(svc(ASL)), 1, 50)]);
    assert!((m.hours - 80.0 / 60.0).abs() < 1e-9);
    assert_eq!(r.access.median_days_request_to_session, Some(3.0));

    let sessions = desk.models.mediation_sessions(&MediationFilter {
        mode: Some(MediationMode::Scheduled),
        ..Default::default()
    });
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].duration_minutes, 50);
    assert_eq!(sessions[0].requesting_service, Some(svc(ASL)));
    let ar = desk.models.mediation_requests(&MediationFilter {
        language: Some("ar".into()),
        ..Default::default()
    });
    assert_eq!(ar.len(), 1);
    assert_eq!(
        (ar[0].mode, ar[0].duration_minutes),
        (MediationMode::OnCall, 30)
    );
}

#[test]
fn referral_funnel_and_days_to_outcome() {
    let (desk, _) = may();
    let r = desk.models.monitoring(&period_may(), Some(&site()));
    assert_eq!(r.referral_funnel.len(), 1);
    let f = &r.referral_funnel[0];
    assert_eq!(f.service_name.as_deref(), Some("ASL Roma 1"));
    assert_eq!(
        (f.issued, f.accepted, f.concluded, f.service_received),
        (2, 1, 2, 1)
    );
    assert_eq!(f.median_days_to_first_outcome, Some(2.0));
    assert_eq!(f.median_days_to_conclusion, Some(7.5));

    let open = desk.models.referrals(&ReferralFilter {
        status: Some(ReferralStatus::Outcome(ReferralOutcome::ServiceReceived)),
        ..Default::default()
    });
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].days_to_first_outcome, Some(2));
    assert_eq!(open[0].days_to_final_outcome, Some(13));
    assert_eq!(open[0].outcomes.len(), 2);
    // As it stood on the 15th: the first referral had only its appointment.
    let mid = desk.as_of(position_before(&desk, "2024-05-20T15:00:00Z"));
    let v = mid.referral(ReferralId(id(40))).unwrap();
    assert_eq!(
        v.status,
        ReferralStatus::Outcome(ReferralOutcome::AppointmentSet)
    );
    assert_eq!(v.final_outcome, None);
}

/// The position just before the event that happened at `at`.
fn position_before(desk: &Desk, at: &str) -> Position {
    let at = journal::Timestamp::from(t(at));
    let (rec, _) = desk
        .history
        .iter()
        .find(|(r, _)| r.occurred_at == at)
        .unwrap();
    Position(rec.position.get() - 1)
}

#[test]
fn access_caseload_closures_and_satisfaction() {
    let (desk, _) = may();
    let r = desk.models.monitoring(&period_may(), Some(&site()));
    // Intake A 05-07 -> intervention 05-09 (2 days); intake B 05-07 -> 05-13 (6 days).
    assert_eq!(
        (r.access.intakes, r.access.intakes_with_intervention),
        (2, 2)
    );
    assert_eq!(r.access.median_days_intake_to_intervention, Some(4.0));
    assert_eq!(r.open_cases, 1);
    assert_eq!(
        r.open_caseload,
        vec![CaseloadFigure {
            operator: "m.haddad".into(),
            open_cases: 1
        }]
    );
    assert_eq!(
        r.closure_reasons,
        vec![Count {
            key: ClosureReason::GoalsAchieved,
            count: 1
        }]
    );

    let s = &r.satisfaction;
    assert_eq!(s.responses, 2);
    assert_eq!(s.response_rate, Some(1.0));
    assert_eq!(s.helpful_share, Some(0.5));
    let item = |i: SurveyItem| s.items.iter().find(|x| x.item == i).unwrap().clone();
    assert_eq!(item(SurveyItem::Welcome).mean, Some(4.0));
    assert_eq!(item(SurveyItem::Welcome).share_4_or_5, Some(0.5));
    assert_eq!(item(SurveyItem::Clarity).answers, 1);
    assert_eq!(item(SurveyItem::Usefulness).share_4_or_5, Some(0.0));
    assert_eq!(item(SurveyItem::Overall).mean, None);

    // On the 10th both cases were open.
    let early = desk.models.monitoring(
        &Period::new(d("2024-05-01"), d("2024-05-10")).unwrap(),
        Some(&site()),
    );
    assert_eq!(early.open_cases, 2);
    assert!(early.closure_reasons.is_empty());
}

#[test]
fn compliance_meetings_and_logbook() {
    let (desk, _) = may();
    let r = desk.models.monitoring(&period_may(), Some(&site()));
    assert!(r.compliance.every_month_has_meeting);
    assert!(!r.compliance.every_opening_day_has_entry);
    assert_eq!(r.compliance.logbook.len(), 1);
    let l = &r.compliance.logbook[0];
    assert_eq!((l.opening_days, l.entries), (9, 7));
    assert_eq!(l.missing, vec![d("2024-05-23"), d("2024-05-30")]);

    let spring = Period::new(d("2024-04-01"), d("2024-05-31")).unwrap();
    let months = desk.models.supervision_months(&spring, None);
    assert_eq!(
        months
            .iter()
            .map(|m| (m.month.to_string(), m.meetings))
            .collect::<Vec<_>>(),
        vec![("2024-04".to_string(), 0), ("2024-05".to_string(), 1)]
    );
    assert!(
        !desk
            .models
            .monitoring(&spring, None)
            .compliance
            .every_month_has_meeting
    );
    assert_eq!(desk.models.supervision_meetings(&spring, None).len(), 1);

    let entries = desk.models.logbook_entries(&LogbookFilter {
        mediator: Some("o.kovalenko".into()),
        ..Default::default()
    });
    assert_eq!(
        entries.iter().map(|e| e.date).collect::<Vec<_>>(),
        vec![d("2024-05-07"), d("2024-05-14"), d("2024-05-28")]
    );

    // An admin schedules the site again: open on Mondays only, so every opening day of May lacks
    // an entry; the name is kept.
    let mut scheduled = desk.clone();
    scheduled.run(
        &Actor::new("a.conti", Role::Admin),
        ScheduleSite {
            site_id: site(),
            occurred_at: t("2024-05-31T18:00:00Z"),
            name: "Sportello via Montelucci 4".into(),
            opening_days: vec![domain::Weekday::Monday],
            hours: vec![],
            phones: vec![],
        },
    );
    let missing = scheduled.models.missing_logbook_days(&period_may(), None);
    assert_eq!(missing[0].missing.len(), 4);
    assert_eq!(
        scheduled
            .models
            .schedule()
            .names
            .get(&site())
            .map(String::as_str),
        Some("Sportello via Montelucci 4")
    );

    // A configurable schedule, as well: the same through configuration.
    let mut models = desk.models.clone();
    models.set_schedule(SiteSchedule::empty().with_site(site(), &[Weekday::Mon]));
    let missing = models.missing_logbook_days(&period_may(), None);
    assert_eq!(missing[0].missing.len(), 4);
}

#[test]
fn temporary_protection_and_directory() {
    let (desk, _) = may();
    let r = desk.models.monitoring(&period_may(), Some(&site()));
    let tp = &r.temporary_protection;
    // CPIA is retired: only ASL (health) and the reception centre (20 places, school) count.
    assert_eq!((tp.beneficiaries, tp.registered), (1, 1));
    assert_eq!(
        (
            tp.services_with_capacity,
            tp.reception_places,
            tp.services_with_health,
            tp.services_with_school_access
        ),
        (2, 20, 1, 1)
    );

    let active = desk.models.services(&ServiceFilter {
        retired: Some(false),
        ..Default::default()
    });
    assert_eq!(active.len(), 2);
    let health = desk.models.services(&ServiceFilter {
        kind: Some(ServiceKind::Health),
        ..Default::default()
    });
    assert_eq!(health[0].description.name, "ASL Roma 1");
    assert_eq!(
        desk.models
            .services(&ServiceFilter {
                retired: Some(true),
                ..Default::default()
            })
            .len(),
        1
    );
}

#[test]
fn case_timeline_and_filters() {
    let (desk, _) = may();
    let case = desk.models.case(cid(CASE_A)).unwrap();
    let types: Vec<_> = case.timeline.iter().map(|e| e.event_type).collect();
    assert_eq!(
        types,
        vec![
            "IntakeRecorded",
            "CaseOpened",
            "InterventionDelivered",
            "InterventionDelivered",
            "ReferralIssued",
            "ReferralOutcomeRecorded",
            "ReferralOutcomeRecorded",
            "MediationRequested",
            "MediationSessionHeld",
            "SupervisionMeetingHeld",
        ]
    );
    assert!(case
        .timeline
        .windows(2)
        .all(|w| w[0].position < w[1].position));
    assert_eq!(case.status, CaseStatus::Open);
    let closed = desk.models.cases(&CaseFilter {
        status: Some(CaseStatus::Closed),
        ..Default::default()
    });
    assert_eq!(
        closed.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![cid(CASE_B)]
    );
    assert_eq!(closed[0].closure_reason, Some(ClosureReason::GoalsAchieved));
    let by_worker = desk.models.cases(&CaseFilter {
        operator: Some("m.haddad".into()),
        opened_in: Some(period_may()),
        ..Default::default()
    });
    assert_eq!(by_worker.len(), 1);
    assert!(desk
        .models
        .cases(&CaseFilter {
            site: Some(SiteId::new("nowhere")),
            ..Default::default()
        })
        .is_empty());

    let persons = desk.models.persons(&PersonFilter {
        permit_type: Some(PermitType::TemporaryProtection),
        ..Default::default()
    });
    assert_eq!(persons.len(), 1);
    assert_eq!(
        persons[0].vulnerabilities,
        vec![VulnerabilityCategory::SingleParentWithMinors]
    );
    assert_eq!(persons[0].personal.full_name, "Person 10");
}

#[test]
fn corrections_change_the_models_from_their_position_on() {
    let (mut desk, ids) = may();
    let before = desk.models.clone();
    let p_before = desk.models.position();
    let correct = |corrects, fields: serde_json::Value| CorrectEvent {
        corrects,
        occurred_at: t("2024-05-31T10:00:00Z"),
        fields: serde_json::from_value(fields).unwrap(),
        personal_fields: Default::default(),
        reason: "typo".into(),
    };
    let sup = supervisor();
    let (_, p1) = desk.run(
        &sup,
        correct(
            ids.reg_a.0,
            serde_json::json!({"permitType": "work", "birthYear": 1970}),
        ),
    );
    desk.run(
        &sup,
        correct(
            ids.intervention_b.0,
            serde_json::json!({"activity": "orientation_accompaniment"}),
        ),
    );
    desk.run(
        &sup,
        correct(ids.close_b.0, serde_json::json!({"reason": "moved_away"})),
    );

    let r = desk.models.monitoring(&period_may(), Some(&site()));
    assert_eq!(r.temporary_protection.beneficiaries, 0);
    assert_eq!(
        r.beneficiaries.by_permit_type,
        vec![Count {
            key: PermitType::Work,
            count: 2
        }]
    );
    assert!(r.beneficiaries.by_age_band.contains(&Count {
        key: AgeBand::From45To54,
        count: 1
    }));
    assert_eq!(
        contact(&r, ContactActivity::OrientationAccompaniment, Some(SITE)),
        (3, 2)
    );
    assert_eq!(
        contact(&r, ContactActivity::LegalAdvice, Some(SITE)),
        (0, 0)
    );
    assert_eq!(
        r.closure_reasons,
        vec![Count {
            key: ClosureReason::MovedAway,
            count: 1
        }]
    );
    // The case timeline lists the correction; the audit keeps original and correction.
    let case_b = desk.models.case(cid(CASE_B)).unwrap();
    assert_eq!(
        case_b
            .timeline
            .iter()
            .filter(|e| e.event_type == "EventCorrected")
            .count(),
        2
    );
    let audit = desk.models.audit_positions(
        &AuditFilter {
            person: Some(pid(A)),
            event_types: vec!["PersonRegistered".into(), "EventCorrected".into()],
            ..Default::default()
        },
        &PageRequest::default(),
    );
    assert_eq!(audit.items, vec![ids.reg_a.1, p1]);

    // As of before the corrections: the clone taken then and a fresh fold agree, unchanged.
    let old = before.monitoring(&period_may(), Some(&site()));
    assert_eq!(old.temporary_protection.beneficiaries, 1);
    assert_eq!(
        old.closure_reasons,
        vec![Count {
            key: ClosureReason::GoalsAchieved,
            count: 1
        }]
    );
    let refold = desk
        .as_of(p_before)
        .monitoring(&period_may(), Some(&site()));
    assert_eq!(refold, old);
    // And the fresh fold up to the first correction sees only it.
    let mid = desk.as_of(p1).monitoring(&period_may(), Some(&site()));
    assert_eq!(mid.temporary_protection.beneficiaries, 0);
    assert_eq!(
        mid.closure_reasons,
        vec![Count {
            key: ClosureReason::GoalsAchieved,
            count: 1
        }]
    );
}

#[test]
fn beneficiary_rows_one_per_person_with_a_contact() {
    let (desk, _) = may();
    let rows = desk.models.beneficiaries(&period_may(), Some(&site()));
    let report = desk.models.monitoring(&period_may(), Some(&site()));
    assert_eq!(rows.len(), report.beneficiaries.total as usize);
    // A: intake on the 7th, orientation twice, the Ukrainian session; B: intake, legal advice.
    // Both first came on the 7th; A's id is the smaller.
    assert_eq!(
        rows[0],
        BeneficiaryRow {
            person: pid(A),
            citizenship: Some("UA".into()),
            sex: Some(Sex::Female),
            age_band: Some(AgeBand::From25To34),
            permit_type: Some(PermitType::TemporaryProtection),
            vulnerabilities: vec![VulnerabilityCategory::SingleParentWithMinors],
            activities: vec![
                ContactActivity::Intake,
                ContactActivity::OrientationAccompaniment,
                ContactActivity::Mediation,
            ],
            contacts: 4,
            first_contact_on: d("2024-05-07"),
        }
    );
    assert_eq!(rows[1].person, pid(B));
    assert_eq!(
        rows[1].activities,
        vec![ContactActivity::Intake, ContactActivity::LegalAdvice]
    );
    assert_eq!(rows[1].age_band, Some(AgeBand::From35To44));
    // All sites add C (centro-2); April has none.
    assert_eq!(desk.models.beneficiaries(&period_may(), None).len(), 3);
    let april = Period::parse_month("2024-04").unwrap();
    assert!(desk.models.beneficiaries(&april, None).is_empty());
}

#[test]
fn quarters_and_the_report_as_json() {
    let q2 = Period::parse_quarter("2024-Q2").unwrap();
    assert_eq!((q2.from, q2.to), (d("2024-04-01"), d("2024-06-30")));
    let q4 = Period::parse_quarter("2023-q4").unwrap();
    assert_eq!((q4.from, q4.to), (d("2023-10-01"), d("2023-12-31")));
    for bad in [
        "2024-Q5", "2024-Q0", "2024-2", "2024Q2", "24-Q2", "2024-Q12",
    ] {
        assert_eq!(
            Period::parse_quarter(bad),
            Err(ProjectionError::InvalidQuarter(bad.into()))
        );
    }
    let (desk, _) = may();
    let report = desk.models.monitoring(&q2, Some(&site()));
    assert_eq!(report.beneficiaries.total, 2);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["period"]["from"], "2024-04-01");
    assert_eq!(json["totalContacts"], 7);
    assert_eq!(json["beneficiaries"]["byAgeBand"][0]["key"], "25-34");
    assert_eq!(json["contacts"][0]["activity"], "intake");
    assert_eq!(json["compliance"]["months"][1]["month"], "2024-05");
}
