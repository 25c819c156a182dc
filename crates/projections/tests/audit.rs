//! The audit index: filters, Relay pages, undecodable and replayed events.

mod support;

use domain::*;
use journal::{Position, Timestamp};
use projections::*;
use support::*;

/// Six persons registered and given an intake each, alternating two mediators: positions 1..=12,
/// odd ones `PersonRegistered`, even ones `IntakeRecorded`.
fn desk() -> Desk {
    let mut desk = Desk::default();
    for n in 0..6u128 {
        let actor = mediator(if n % 2 == 0 {
            "m.haddad"
        } else {
            "o.kovalenko"
        });
        let person_id = PersonId(id(100 + n));
        let at = t("2024-05-07T09:00:00Z") + chrono::TimeDelta::days(n as i64);
        desk.run(
            &actor,
            RegisterPerson {
                person_id,
                site_id: site(),
                occurred_at: at,
                birth_year: 1990,
                sex: Sex::Female,
                citizenships: vec!["UA".into()],
                country_of_birth: "UA".into(),
                arrival_year: None,
                permit_type: PermitType::TemporaryProtection,
                permit_expires_on: None,
                permit_renewal_pending: false,
                languages: vec!["uk".into()],
                household_size: 1,
                minor: false,
                unaccompanied_minor: false,
                personal: PersonalData {
                    full_name: "X".into(),
                    birth_date: None,
                    contacts: vec![],
                    fiscal_code: None,
                },
            },
        );
        desk.run(
            &actor,
            GiveConsent {
                person_id,
                site_id: site(),
                occurred_at: at,
                scopes: vec![ConsentScope::Service],
                shared_with: vec![],
                given_by: ConsentGiver::Person,
                guardian_kind: None,
                guardian_name: None,
            },
        );
    }
    desk
}

fn types(event_type: &str) -> AuditFilter {
    AuditFilter {
        event_types: vec![event_type.into()],
        ..Default::default()
    }
}

fn p(n: u64) -> Position {
    Position(n)
}

#[test]
fn filters_by_type_actor_person_and_times() {
    let desk = desk();
    let m = &desk.models;
    let all = PageRequest {
        with_total: true,
        ..Default::default()
    };
    let regs = m.audit_positions(&types("PersonRegistered"), &all);
    assert_eq!(regs.items, vec![p(1), p(3), p(5), p(7), p(9), p(11)]);
    assert_eq!(regs.total, Some(6));
    assert!(!regs.has_next_page && !regs.has_previous_page);

    let by_actor = AuditFilter {
        actor: Some("o.kovalenko".into()),
        ..Default::default()
    };
    assert_eq!(
        m.audit_positions(&by_actor, &all).items,
        vec![p(3), p(4), p(7), p(8), p(11), p(12)]
    );
    let person = AuditFilter {
        person: Some(PersonId(id(102))),
        ..Default::default()
    };
    assert_eq!(m.audit_positions(&person, &all).items, vec![p(5), p(6)]);
    let occurred = AuditFilter {
        occurred: TimeRange {
            from: Some(t("2024-05-08T00:00:00Z")),
            to: Some(t("2024-05-10T00:00:00Z")),
        },
        role: Some("mediator".into()),
        site: Some(site()),
        ..Default::default()
    };
    assert_eq!(
        m.audit_positions(&occurred, &all).items,
        vec![p(3), p(4), p(5), p(6)]
    );
    let range = AuditFilter {
        positions: PositionRange {
            from: Some(p(4)),
            to: Some(p(6)),
        },
        ..Default::default()
    };
    assert_eq!(
        m.audit_positions(&range, &all).items,
        vec![p(4), p(5), p(6)]
    );
    // Unknown values match nothing.
    for f in [
        AuditFilter {
            actor: Some("nobody".into()),
            ..Default::default()
        },
        AuditFilter {
            role: Some("evaluator".into()),
            ..Default::default()
        },
        AuditFilter {
            site: Some(SiteId::new("elsewhere")),
            ..Default::default()
        },
        types("CaseOpened"),
    ] {
        assert_eq!(m.audit_positions(&f, &all).items, vec![]);
    }
    let stream = StreamId::person(PersonId(id(100)));
    let entry = m.audit_entry(p(2)).unwrap();
    assert_eq!(entry.stream, stream.as_str());
    assert_eq!(entry.event_type, "ConsentGiven");
    assert_eq!(entry.actor_id, "m.haddad");
    assert_eq!(entry.person, Some(PersonId(id(100))));
    assert_eq!(entry.site, Some(site()));
    assert_eq!(
        entry.occurred_at,
        Timestamp::from(t("2024-05-07T09:00:00Z"))
    );
    assert!(m.audit_entry(p(13)).is_none());
}

#[test]
fn relay_pages_forward_and_backward() {
    let desk = desk();
    let m = &desk.models;
    let f = types("PersonRegistered");
    let page = |after, before, first, last| {
        m.audit_positions(
            &f,
            &PageRequest {
                after,
                before,
                first,
                last,
                with_total: false,
            },
        )
    };
    let first = page(None, None, Some(2), None);
    assert_eq!(first.items, vec![p(1), p(3)]);
    assert!(first.has_next_page && !first.has_previous_page);
    let second = page(Some(p(3)), None, Some(2), None);
    assert_eq!(second.items, vec![p(5), p(7)]);
    assert!(second.has_next_page && second.has_previous_page);
    let end = page(Some(p(7)), None, Some(5), None);
    assert_eq!(end.items, vec![p(9), p(11)]);
    assert!(!end.has_next_page && end.has_previous_page);
    let last = page(None, None, None, Some(2));
    assert_eq!(last.items, vec![p(9), p(11)]);
    assert!(!last.has_next_page && last.has_previous_page);
    let back = page(None, Some(p(9)), None, Some(2));
    assert_eq!(back.items, vec![p(5), p(7)]);
    assert!(back.has_next_page && back.has_previous_page);
    let between = page(Some(p(1)), Some(p(11)), Some(3), Some(2));
    assert_eq!(between.items, vec![p(5), p(7)]);
    let empty = page(Some(p(11)), None, Some(2), None);
    assert!(empty.items.is_empty() && empty.has_previous_page && !empty.has_next_page);
}

#[test]
fn replayed_and_undecodable_events() {
    let desk = desk();
    let mut m = ReadModels::default();
    for (rec, event) in &desk.history {
        m.apply(rec, event);
    }
    // Applying an older position again changes nothing.
    let (rec, event) = &desk.history[0];
    let before = m.monitoring(&Period::parse_month("2024-05").unwrap(), None);
    m.apply(rec, event);
    assert_eq!(m.position(), p(12));
    assert_eq!(m.persons(&PersonFilter::default()).len(), 6);
    assert_eq!(
        m.monitoring(&Period::parse_month("2024-05").unwrap(), None),
        before
    );
    assert_eq!(m.audit_len(), 12);

    // An event this build cannot read is counted and kept in the audit index.
    let mut strange = rec.clone();
    strange.position = p(13);
    strange.event_type = "FromTheFuture".into();
    strange.payload = b"{not json".to_vec();
    assert!(Event::from_payload(&strange.event_type, 1, &strange.payload).is_err());
    m.apply_undecodable(&strange);
    assert_eq!(
        (m.undecodable_count(), m.position(), m.audit_len()),
        (1, p(13), 13)
    );
    let found = m.audit_positions(&types("FromTheFuture"), &PageRequest::default());
    assert_eq!(found.items, vec![p(13)]);
    assert_eq!(m.audit_entry(p(13)).unwrap().person, None);
}

#[test]
fn corrections_of_unknown_events_are_counted() {
    let desk = desk();
    let mut m = desk.models.clone();
    let (rec, _) = &desk.history[0];
    let mut r = rec.clone();
    r.position = p(13);
    r.event_type = "EventCorrected".into();
    let event = Event::EventCorrected(EventCorrected {
        corrects: id(999_999),
        corrected_event_type: "PersonRegistered".into(),
        site_id: None,
        person_id: None,
        case_id: None,
        occurred_at: t("2024-05-20T10:00:00Z"),
        fields: [("sex".to_string(), serde_json::json!("male"))]
            .into_iter()
            .collect(),
        personal_fields: Default::default(),
        reason: "test".into(),
    });
    m.apply(&r, &event);
    assert_eq!(m.unmatched_corrections(), 1);
    assert!(m
        .persons(&PersonFilter::default())
        .iter()
        .all(|p| p.sex == Sex::Female));
}

#[test]
fn periods_and_months() {
    let may = Period::parse_month("2024-05").unwrap();
    assert_eq!((may.from, may.to), (d("2024-05-01"), d("2024-05-31")));
    assert_eq!(Period::parse_month("2024-02").unwrap().to, d("2024-02-29"));
    assert_eq!(Period::parse_month("2024-12").unwrap().to, d("2024-12-31"));
    for bad in ["2024-13", "2024-5", "24-05", "may", "2024-00"] {
        assert_eq!(
            Period::parse_month(bad),
            Err(ProjectionError::InvalidMonth(bad.into()))
        );
    }
    assert!(Period::new(d("2024-05-02"), d("2024-05-01")).is_err());
    let span = Period::new(d("2023-12-15"), d("2024-02-01")).unwrap();
    let months: Vec<String> = span.months().iter().map(|m| m.to_string()).collect();
    assert_eq!(months, vec!["2023-12", "2024-01", "2024-02"]);
    let schedule = SiteSchedule::default();
    assert_eq!(
        schedule.opening_days_in(
            &site(),
            &Period::new(d("2024-05-06"), d("2024-05-12")).unwrap()
        ),
        vec![d("2024-05-07"), d("2024-05-09")]
    );
    assert!(!schedule.is_open(&SiteId::new("centro-2"), d("2024-05-07")));
}

#[test]
fn closed_days_are_not_opening_days() {
    let mut schedule = SiteSchedule::default();
    // April 2024 at the Tuesday-and-Thursday desk: nine days, less 25 April (a Thursday, Festa
    // della Liberazione).
    let april = Period::parse_month("2024-04").unwrap();
    let open = schedule.opening_days_in(&site(), &april);
    assert_eq!(open.len(), 8);
    assert!(!open.contains(&d("2024-04-25")));
    // 15 August and 26 December 2024 are Thursdays too.
    assert!(!schedule.is_open(&site(), d("2024-08-15")));
    assert!(!schedule.is_open(&site(), d("2024-12-26")));
    assert!(schedule.is_open(&site(), d("2024-12-19")));
    // A closure the site recorded.
    schedule
        .calendars
        .entry(site())
        .or_default()
        .closures
        .push(domain::calendar::LocalClosure {
            from: d("2024-04-09"),
            to: d("2024-04-11"),
            reason: "lavori".into(),
        });
    let open = schedule.opening_days_in(&site(), &april);
    assert_eq!(open.len(), 6);
    assert!(schedule.closed_on(&site(), d("2024-04-10")).is_some());
}
