//! Paging through the read models' indexes: for every filter and any page size, the pages taken
//! one after another from the cursor hold exactly the rows of the unpaged list, in order; the
//! audit trail's pages are checked against the history itself.

mod support;

use chrono::TimeDelta;
use domain::*;
use journal::Position;
use projections::*;
use proptest::prelude::*;
use support::*;

const SITES: [&str; 3] = ["montelucci-4", "centro-2", "ostia-1"];
const WORKERS: [&str; 3] = ["m.haddad", "o.kovalenko", "l.bianchi"];
const LANGUAGES: [&str; 3] = ["uk", "ar", "fr"];
const PERSONS: u128 = 24;

fn pid(n: u128) -> PersonId {
    PersonId(id(100 + n))
}

fn at(minutes: i64) -> chrono::DateTime<chrono::Utc> {
    t("2024-05-01T08:00:00Z") + TimeDelta::minutes(minutes)
}

/// A history over three sites: persons, cases (some closed), referrals (some with an outcome),
/// mediation requests (some with sessions), by three mediators and a supervisor.
fn history() -> Desk {
    let mut desk = Desk::default();
    desk.run(
        &admin(),
        MapService {
            service_id: ServiceId(id(1)),
            occurred_at: at(0),
            description: ServiceDescription {
                name: "ASL Roma 1".into(),
                kind: ServiceKind::Health,
                address: "via Montelucci 12".into(),
                opening_hours: "lun-ven 8:30-13:00".into(),
                languages: vec!["it".into()],
                access_rules: "libero".into(),
                ukraine_capacity: None,
                verified_on: d("2024-04-01"),
            },
        },
    );
    let mut clock = 10;
    let mut tick = || {
        clock += 7;
        at(clock)
    };
    for n in 0..PERSONS {
        let k = n as usize;
        let site = SiteId::new(SITES[(k / 2) % 3]);
        let who = mediator(WORKERS[k % 3]);
        desk.run(
            &who,
            RegisterPerson {
                person_id: pid(n),
                site_id: site.clone(),
                occurred_at: tick(),
                birth_year: 1990,
                sex: Sex::Female,
                citizenships: vec!["UA".into()],
                country_of_birth: "UA".into(),
                arrival_year: Some(2022),
                permit_type: PermitType::TemporaryProtection,
                permit_expires_on: None,
                permit_renewal_pending: false,
                languages: vec!["uk".into()],
                household_size: 1,
                minor: false,
                unaccompanied_minor: false,
                personal: PersonalData {
                    full_name: format!("Persona {n}"),
                    birth_date: None,
                    contacts: vec![],
                    fiscal_code: None,
                },
            },
        );
        desk.run(
            &who,
            GiveConsent {
                person_id: pid(n),
                site_id: site.clone(),
                occurred_at: tick(),
                scopes: ConsentScope::ALL.to_vec(),
                shared_with: vec!["ASL Roma 1".into()],
                given_by: ConsentGiver::Person,
                guardian_kind: None,
                guardian_name: None,
            },
        );
        let case = (n % 4 != 3).then(|| CaseId(id(1000 + n)));
        if let Some(case_id) = case {
            desk.run(
                &who,
                OpenCase {
                    case_id,
                    person_id: pid(n),
                    site_id: site.clone(),
                    occurred_at: tick(),
                    case_worker: WORKERS[k % 3].into(),
                    vulnerabilities: vec![],
                    partner_services: vec![],
                },
            );
        }
        if n % 2 == 0 {
            let referral_id = ReferralId(id(2000 + n));
            desk.run(
                &who,
                IssueReferral {
                    referral_id,
                    person_id: pid(n),
                    case_id: case,
                    site_id: site.clone(),
                    occurred_at: tick(),
                    service_id: ServiceId(id(1)),
                    reason: NeedArea::Health,
                    urgency: Urgency::Routine,
                    note: None,
                },
            );
            if n % 3 == 0 {
                desk.run(
                    &who,
                    RecordReferralOutcome {
                        referral_id,
                        occurred_at: tick(),
                        outcome: ReferralOutcome::Refused,
                        appointment_on: None,
                        note: None,
                    },
                );
            }
        }
        if n % 3 != 1 {
            let mediation_id = MediationId(id(3000 + n));
            let language = LANGUAGES[(k / 2) % 3];
            desk.run(
                &who,
                RequestMediation {
                    mediation_id,
                    site_id: site.clone(),
                    occurred_at: tick(),
                    mode: MediationMode::OnCall,
                    requesting_service: None,
                    person_id: Some(pid(n)),
                    case_id: case,
                    language: language.into(),
                    slot_start: None,
                    slot_end: None,
                },
            );
            for s in 0..(k % 3) {
                let from = tick();
                desk.run(
                    &mediator(WORKERS[(k + s) % 3]),
                    RecordMediationSession {
                        mediation_id,
                        started_at: from,
                        ended_at: from + TimeDelta::minutes(5),
                        mediator: WORKERS[(k + s) % 3].into(),
                        languages: LanguagePair {
                            from: language.into(),
                            to: "it".into(),
                        },
                        parties: vec![PartyRole::Beneficiary],
                        kind: MediationKind::Linguistic,
                        outcome: SessionOutcome::Completed,
                        follow_up_needed: false,
                        note: None,
                        place: None,
                        follow_up_by: None,
                    },
                );
            }
        }
        if let Some(case_id) = case.filter(|_| n % 5 == 0) {
            desk.run(
                &supervisor(),
                CloseCase {
                    case_id,
                    occurred_at: tick(),
                    reason: ClosureReason::GoalsAchieved,
                    outcome: CaseOutcome::Positive,
                    note: None,
                },
            );
        }
    }
    desk
}

/// Every page from the first on, `size` rows each, by following the cursor: the rows, and
/// checks of each page's flags and total.
fn walk<T: Clone>(
    size: usize,
    total: usize,
    read: impl Fn(&Cursor) -> Page<T>,
    position: impl Fn(&T) -> Position,
) -> Vec<T> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = read(&Cursor {
            after,
            first: size,
            with_total: true,
        });
        assert_eq!(page.total, Some(total), "the total ignores the cursor");
        assert_eq!(page.has_previous_page, !out.is_empty());
        assert!(page.items.len() <= size);
        out.extend(page.items.iter().cloned());
        if !page.has_next_page {
            assert_eq!(out.len(), total, "the last page ends the list");
            return out;
        }
        assert_eq!(page.items.len(), size, "a page before the last is full");
        after = Some(position(page.items.last().expect("a full page")));
    }
}

fn site_of(k: usize) -> Option<SiteId> {
    (k > 0).then(|| SiteId::new(SITES[k - 1]))
}

fn case_filter(k: usize) -> CaseFilter {
    CaseFilter {
        site: site_of(k % 4),
        status: [None, Some(CaseStatus::Open), Some(CaseStatus::Closed)][(k / 4) % 3],
        operator: [None, Some(WORKERS[0].to_string())][(k / 12) % 2].clone(),
        person: [None, Some(pid(4))][(k / 24) % 2],
        opened_in: None,
    }
}

fn referral_filter(k: usize) -> ReferralFilter {
    ReferralFilter {
        site: site_of(k % 4),
        status: [
            None,
            Some(ReferralStatus::Issued),
            Some(ReferralStatus::Outcome(ReferralOutcome::Refused)),
        ][(k / 4) % 3],
        service: None,
        person: [None, Some(pid(6))][(k / 12) % 2],
        issued_in: None,
    }
}

fn mediation_filter(k: usize) -> MediationFilter {
    MediationFilter {
        site: site_of(k % 4),
        language: [None, Some("uk".to_string()), Some("ar".to_string())][(k / 4) % 3].clone(),
        mediator: [None, Some(WORKERS[1].to_string())][(k / 12) % 2].clone(),
        ..MediationFilter::default()
    }
}

/// An audit filter on event types, role, site and times of recording (each one or not); the
/// times fall on events' times of recording (minute 47, and every 7 minutes after it).
fn audit_filter(k: usize, from_step: i64, steps: i64) -> AuditFilter {
    let types: &[&[&str]] = &[
        &[],
        &["CaseOpened"],
        &["MediationSessionRecorded", "ReferralIssued"],
    ];
    AuditFilter {
        event_types: types[k % 3].iter().map(|s| s.to_string()).collect(),
        role: [None, Some("mediator"), Some("supervisor")][(k / 3) % 3].map(String::from),
        site: site_of((k / 9) % 4),
        recorded: if (k / 36) % 2 == 1 {
            TimeRange {
                from: Some(at(47 + 7 * from_step)),
                to: Some(at(47 + 7 * (from_step + steps))),
            }
        } else {
            TimeRange::default()
        },
        ..AuditFilter::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pages_of_cases_referrals_and_mediations_hold_the_unpaged_lists(
        k in 0usize..48,
        size in 1usize..9,
    ) {
        let desk = history();
        let m = &desk.models;

        let f = case_filter(k);
        let all = m.cases(&f);
        let paged = walk(size, all.len(), |c| m.cases_page(&f, c), |c| c.position);
        prop_assert_eq!(paged, all);

        let f = referral_filter(k);
        let all = m.referrals(&f);
        let paged = walk(size, all.len(), |c| m.referrals_page(&f, c), |r| r.position);
        prop_assert_eq!(paged, all);

        let f = mediation_filter(k);
        let all = m.mediation_requests(&f);
        let paged = walk(size, all.len(), |c| m.mediation_requests_page(&f, c), |r| r.position);
        prop_assert_eq!(paged, all);
        let all = m.mediation_sessions(&f);
        let paged = walk(size, all.len(), |c| m.mediation_sessions_page(&f, c), |s| s.position);
        prop_assert_eq!(paged, all);
    }

    #[test]
    fn pages_of_the_audit_trail_hold_the_matching_events_of_the_history(
        k in 0usize..72,
        from_step in 0i64..120,
        steps in 0i64..80,
        size in 1usize..9,
        backwards in any::<bool>(),
    ) {
        let desk = history();
        let f = audit_filter(k, from_step, steps);
        let site = f.site.clone();
        let (lo, hi) = (f.recorded.from, f.recorded.to);
        // The model: the history itself, filtered by hand.
        let expected: Vec<Position> = desk
            .history
            .iter()
            .filter(|(rec, event)| {
                (f.event_types.is_empty() || f.event_types.contains(&rec.event_type))
                    && f.role.as_ref().is_none_or(|r| *r == rec.actor.role)
                    && site.as_ref().is_none_or(|s| event.site_id() == Some(s))
                    && lo.is_none_or(|lo| rec.recorded_at >= journal::Timestamp::from(lo))
                    && hi.is_none_or(|hi| rec.recorded_at < journal::Timestamp::from(hi))
            })
            .map(|(rec, _)| rec.position)
            .collect();
        let m = &desk.models;
        let mut got = Vec::new();
        let mut cursor = None;
        loop {
            let request = if backwards {
                PageRequest { before: cursor, last: Some(size), with_total: true, ..PageRequest::default() }
            } else {
                PageRequest { after: cursor, first: Some(size), with_total: true, ..PageRequest::default() }
            };
            let page = m.audit_positions(&f, &request);
            prop_assert_eq!(page.total, Some(expected.len()));
            let more = if backwards { page.has_previous_page } else { page.has_next_page };
            let before_it = if backwards { page.has_next_page } else { page.has_previous_page };
            prop_assert_eq!(before_it, !got.is_empty());
            if backwards {
                cursor = page.items.first().copied();
                got.splice(0..0, page.items);
            } else {
                cursor = page.items.last().copied();
                got.extend(page.items);
            }
            if !more {
                break;
            }
        }
        prop_assert_eq!(got, expected);
    }
}
