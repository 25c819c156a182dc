//! Folding many events: 20,000 always; 1,000,000 with `IMPACT_SCALE=1` (run it in release).

mod support;

use std::time::Instant;

use domain::*;
use journal::Position;
use projections::*;
use support::*;

#[test]
fn folds_many_events() {
    let n: u64 = if std::env::var_os("IMPACT_SCALE").is_some() {
        1_000_000
    } else {
        20_000
    };
    // A few real events, replayed at new positions with new persons and times.
    let mut desk = Desk::default();
    let m = mediator("m.haddad");
    let person_id = PersonId(id(1));
    desk.run(
        &m,
        RegisterPerson {
            person_id,
            site_id: site(),
            occurred_at: t("2024-05-07T09:00:00Z"),
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
    let (template, _) = desk.history[0].clone();
    let mut models = ReadModels::default();
    let started = Instant::now();
    let mut rec = template.clone();
    for i in 0..n {
        let pid = PersonId(id(10 + u128::from(i / 2)));
        rec.position = Position(i + 1);
        rec.id = id(10_000_000 + u128::from(i));
        rec.stream = StreamId::person(pid).as_str().to_string();
        let at = t("2024-01-01T09:00:00Z") + chrono::TimeDelta::minutes(i as i64);
        let event = if i % 2 == 0 {
            let Event::PersonRegistered(mut e) = desk.history[0].1.clone() else {
                unreachable!()
            };
            e.person_id = pid;
            e.occurred_at = at;
            Event::PersonRegistered(e)
        } else {
            Event::IntakeRecorded(IntakeRecorded {
                person_id: pid,
                site_id: site(),
                occurred_at: at,
                channel: IntakeChannel::WalkIn,
                referred_by: None,
                needs: vec![NeedArea::Health],
                note: None,
            })
        };
        rec.event_type = event.event_type().to_string();
        models.apply(&rec, &event);
    }
    let elapsed = started.elapsed();
    eprintln!("folded {n} events in {elapsed:?}");
    assert_eq!(models.position(), Position(n));
    assert_eq!(models.audit_len() as u64, n);
    let year = Period::new(d("2024-01-01"), d("2026-12-31")).unwrap();
    let r = models.monitoring(&year, None);
    assert_eq!(u64::from(r.beneficiaries.total), n / 2);
    assert_eq!(u64::from(r.temporary_protection.registered), n / 2);
    let page = models.audit_positions(
        &AuditFilter {
            event_types: vec!["IntakeRecorded".into()],
            ..Default::default()
        },
        &PageRequest {
            last: Some(3),
            with_total: true,
            ..Default::default()
        },
    );
    assert_eq!(
        page.items,
        vec![Position(n - 4), Position(n - 2), Position(n)]
    );
    assert_eq!(page.total, Some((n / 2) as usize));
}
