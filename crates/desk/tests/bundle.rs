//! Evaluator bundles made by the desk: members of staff appear under pseudonyms, one per person
//! within a bundle, keyed with the installation's master key.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufReader;
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use desk::{Desk, DeskOptions};
use domain::{Actor, Role, STAFF_NAME_FIELDS};
use serde_json::Value;

mod support;
use support::fixture::FIXTURE;

fn options() -> DeskOptions {
    DeskOptions {
        clock: Arc::new(|| Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()),
        ..DeskOptions::default()
    }
}

/// The journal records at the system's time: a period around today holds every event.
fn around_today(days_before: u64) -> (NaiveDate, NaiveDate) {
    let today = Utc::now().date_naive();
    (
        today - chrono::Days::new(days_before),
        today + chrono::Days::new(1),
    )
}

/// A desk holding the fixture month and a staff account opened by the admin.
async fn desk_with_fixture(dir: &std::path::Path) -> Desk {
    let desk = Desk::open(dir, options()).unwrap();
    desk.import(BufReader::new(FIXTURE.as_bytes()))
        .await
        .unwrap();
    let open = domain::Command::OpenStaffAccount(domain::OpenStaffAccount {
        user: "o.kovalenko".into(),
        role: Role::Mediator,
        site_id: Some(domain::SiteId::new("montelucci-4")),
        occurred_at: Utc.with_ymd_and_hms(2024, 5, 31, 9, 0, 0).unwrap(),
    });
    desk.execute(&Actor::new("a.conti", Role::Admin), &open, None, None)
        .await
        .unwrap()
        .unwrap();
    desk
}

/// Each staff field's names, as (name, what the bundle shows), from a stored payload and the
/// bundle's payload of the same event.
fn staff_pairs(stored: &Value, shown: &Value, pairs: &mut Vec<(String, String)>) {
    match (stored, shown) {
        (Value::Object(stored), Value::Object(shown)) => {
            for (field, value) in stored {
                let Some(shown_value) = shown.get(field) else {
                    continue;
                };
                if STAFF_NAME_FIELDS.contains(&field.as_str()) {
                    names(value, shown_value, pairs);
                } else {
                    staff_pairs(value, shown_value, pairs);
                }
            }
        }
        (Value::Array(stored), Value::Array(shown)) => {
            for (a, b) in stored.iter().zip(shown) {
                staff_pairs(a, b, pairs);
            }
        }
        _ => {}
    }
}

fn names(stored: &Value, shown: &Value, pairs: &mut Vec<(String, String)>) {
    match (stored, shown) {
        (Value::String(a), Value::String(b)) => pairs.push((a.clone(), b.clone())),
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len());
            a.iter().zip(b).for_each(|(a, b)| names(a, b, pairs));
        }
        _ => panic!("a staff field changed its shape: {stored} became {shown}"),
    }
}

#[tokio::test]
async fn staff_names_are_pseudonymised_one_pseudonym_per_person_within_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk_with_fixture(&dir.path().join("data")).await;
    let (from, to) = around_today(1);
    let (bundle, _) = desk.evaluator_bundle(from, to, false).unwrap().unwrap();
    let text = serde_json::to_string(&bundle).unwrap();

    let mut pairs = Vec::new();
    for event in &bundle.events {
        let record = desk
            .journal()
            .get(journal::Position(event.position))
            .unwrap()
            .unwrap();
        let stored: Value = serde_json::from_slice(&record.payload).unwrap();
        staff_pairs(&stored, &event.payload, &mut pairs);
    }
    let staff: BTreeSet<&str> = pairs.iter().map(|(name, _)| name.as_str()).collect();
    assert!(
        staff.len() >= 3 && staff.contains("o.kovalenko"),
        "the fixture names several members of staff: {staff:?}"
    );
    // No account name is left anywhere in the bundle, nor in a full record it carries.
    let mut records = String::new();
    for event in &bundle.events {
        if let Some(record) = &event.record {
            records.push_str(&String::from_utf8_lossy(&hex::decode(record).unwrap()));
        }
    }
    for name in &staff {
        assert!(!text.contains(name), "{name} reached the bundle");
        assert!(!records.contains(name), "{name} reached a full record");
    }
    // One pseudonym per person, and one person per pseudonym.
    let mut by_name = BTreeMap::new();
    let mut by_pseudonym = BTreeMap::new();
    for (name, pseudonym) in &pairs {
        assert!(pseudonym.starts_with("staff-"), "{pseudonym}");
        assert_eq!(by_name.entry(name).or_insert(pseudonym), &pseudonym);
        assert_eq!(by_pseudonym.entry(pseudonym).or_insert(name), &name);
    }

    // Keyed with the master key: another installation holding the same events gives the same
    // names other pseudonyms, so a list of names tried without the key finds nothing.
    let other = desk_with_fixture(&dir.path().join("other")).await;
    let (other_bundle, _) = other.evaluator_bundle(from, to, false).unwrap().unwrap();
    let other_text = serde_json::to_string(&other_bundle).unwrap();
    for pseudonym in by_pseudonym.keys() {
        assert!(
            !other_text.contains(pseudonym.as_str()),
            "{pseudonym} is the same without the master key"
        );
    }
    // Within one installation, a bundle of another period names the same person otherwise.
    let (from, to) = around_today(7);
    let week = desk.evaluator_bundle(from, to, false).unwrap().unwrap().0;
    let week_text = serde_json::to_string(&week).unwrap();
    for pseudonym in by_pseudonym.keys() {
        assert!(!week_text.contains(pseudonym.as_str()));
    }
}

#[test]
fn the_fields_a_bundle_discloses_are_never_personal() {
    for name in desk::bundle::STATISTICAL_FIELDS {
        assert!(
            !domain::PERSONAL_FIELD_NAMES.contains(name)
                && *name != domain::PERSONAL_FIELDS
                && !domain::PERSON_ID_FIELDS.contains(name)
                && !STAFF_NAME_FIELDS.contains(name),
            "{name} would show a person or a member of staff"
        );
    }
}

#[tokio::test]
async fn every_envelope_is_proven_and_the_statistical_fields_are_disclosed_and_proven() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk_with_fixture(&dir.path().join("data")).await;
    let key = desk.public_key();
    let (from, to) = around_today(1);
    let (bundle, _) = desk.evaluator_bundle(from, to, false).unwrap().unwrap();
    let verified = desk::bundle::verify_bundle(&bundle, &key, &[]).unwrap();
    // Every record of the fixture is of format 2: each envelope is proven from its hash.
    assert_eq!(verified.bodies, bundle.events.len());
    assert!(verified.disclosed > 100, "{verified:?}");
    let registration = bundle
        .events
        .iter()
        .find(|e| e.event_type == "PersonRegistered" && !e.disclosures.is_empty())
        .unwrap();
    let shown: BTreeSet<&str> = registration
        .disclosures
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    for name in [
        "birthYear",
        "sex",
        "citizenships",
        "permitType",
        "householdSize",
    ] {
        assert!(shown.contains(name), "{name} is not disclosed: {shown:?}");
    }
    assert!(!shown.contains("personal") && !shown.contains("personId"));

    let json = serde_json::to_value(&bundle).unwrap();
    let verify = |json: &Value| {
        let bundle: desk::bundle::Bundle = serde_json::from_value(json.clone()).unwrap();
        desk::bundle::verify_bundle(&bundle, &key, &[])
    };
    let at = bundle
        .events
        .iter()
        .position(|e| std::ptr::eq(e, registration))
        .unwrap();
    let sex = registration
        .disclosures
        .iter()
        .position(|d| d.name == "sex")
        .unwrap();
    // A disclosed value changed: not proven, named.
    let mut altered = json.clone();
    let value = &mut altered["events"][at]["disclosures"][sex]["value"];
    let other = if value == "\"female\"" {
        "\"male\""
    } else {
        "\"female\""
    };
    *value = Value::String(other.into());
    let problems = verify(&altered).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("disclosure sex: not proven")),
        "{problems:?}"
    );
    // A readable payload field that says otherwise than its proven value.
    let mut altered = json.clone();
    altered["events"][at]["payload"]["householdSize"] = Value::from(97);
    let problems = verify(&altered).unwrap_err();
    assert!(
        problems.iter().any(|p| p.contains("payload.householdSize")),
        "{problems:?}"
    );
    // A field digest left out: the commitment no longer holds.
    let mut altered = json.clone();
    altered["events"][at]["fieldDigests"]
        .as_array_mut()
        .unwrap()
        .pop();
    assert!(verify(&altered)
        .unwrap_err()
        .iter()
        .any(|p| p.contains("fieldDigests")));
    // The type relabelled in the readable fields and in the manifest alike: the body says
    // otherwise, whatever the manifest says.
    let mut altered = json.clone();
    altered["events"][at]["type"] = Value::String("ServiceMapped".into());
    assert!(verify(&altered)
        .unwrap_err()
        .iter()
        .any(|p| p.contains("differ from the proven envelope: type")));
}

#[tokio::test]
async fn a_figure_that_does_not_follow_from_the_proven_events_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk_with_fixture(&dir.path().join("data")).await;
    let key = desk.public_key();
    let (from, to) = around_today(1);
    let (bundle, _) = desk.evaluator_bundle(from, to, false).unwrap().unwrap();
    assert!(bundle.figures["events:IntakeRecorded"] >= 10);
    assert_eq!(
        bundle.figures["persons-registered"],
        bundle.figures["events:PersonRegistered"]
    );
    desk::bundle::verify_bundle(&bundle, &key, &[]).unwrap();
    let before = desk::bundle::report(&bundle);
    // The counts by type follow from the proven envelopes alone.
    assert!(
        !before
            .iter()
            .any(|p| p.contains("figure events:") || p.contains("persons-registered")),
        "{before:?}"
    );

    // One figure altered, and the manifest signed again with the desk's own key: the
    // signatures hold, the figure is named.
    let mut altered: desk::bundle::Bundle =
        serde_json::from_value(serde_json::to_value(&bundle).unwrap()).unwrap();
    *altered.figures.get_mut("events:IntakeRecorded").unwrap() += 1;
    altered.seal(|text| desk.sign_statement(text)).unwrap();
    desk::bundle::verify_bundle(&altered, &key, &[]).unwrap();
    let report = desk::bundle::report(&altered);
    let named: Vec<&String> = report.iter().filter(|p| !before.contains(p)).collect();
    assert_eq!(named.len(), 1, "{report:?}");
    assert!(
        named[0].starts_with("figure events:IntakeRecorded: the manifest says"),
        "{named:?}"
    );

    // A disclosure withheld: the figure that counts its field is not provable.
    let candidates = [
        (
            "intervention-minutes",
            "InterventionDelivered",
            "durationMinutes",
        ),
        ("registered-by-sex", "PersonRegistered", "sex"),
        ("referral-outcomes", "ReferralOutcomeRecorded", "outcome"),
        (
            "group-activity-minutes",
            "GroupActivityHeld",
            "durationMinutes",
        ),
    ];
    let (figure, event_type, field) = candidates
        .into_iter()
        .find(|(figure, _, _)| !before.iter().any(|p| p.contains(figure)))
        .expect("a figure that follows from the bundle");
    let mut withheld: desk::bundle::Bundle =
        serde_json::from_value(serde_json::to_value(&bundle).unwrap()).unwrap();
    let event = withheld
        .events
        .iter_mut()
        .find(|e| e.event_type == event_type && e.disclosures.iter().any(|d| d.name == field))
        .unwrap();
    event.disclosures.retain(|d| d.name != field);
    desk::bundle::verify_bundle(&withheld, &key, &[]).unwrap();
    let report = desk::bundle::report(&withheld);
    assert!(
        report
            .iter()
            .any(|p| p.starts_with(&format!("figure {figure}")) && p.contains("not provable")),
        "{figure}: {report:?}"
    );
}
