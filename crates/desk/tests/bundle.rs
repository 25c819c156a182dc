//! Evaluator bundles made by the desk: members of staff appear under pseudonyms, one per person
//! within a bundle, keyed with the installation's master key.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufReader;
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use desk::bundle::figures::Stated;
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
    // Five persons alike: k-anonymity lets their fields through.
    register_alike(&desk, 5, "UA").await;
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
    // The evaluator view shows the age band, never the birth year.
    assert!(registration.payload["ageBand"].is_string());
    assert!(registration.payload.get("birthYear").is_none());

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

/// A figure the bundle states as a value.
fn value(bundle: &desk::bundle::Bundle, name: &str) -> u64 {
    match bundle.figures.get(name) {
        Some(Stated::Value(v)) => *v,
        other => panic!("{name}: {other:?}"),
    }
}

/// The bundle with `change` made to its figures, and its manifest signed again with the desk's
/// own key: the signatures hold, only the figures can tell.
fn resigned(
    desk: &Desk,
    bundle: &desk::bundle::Bundle,
    change: impl FnOnce(&mut BTreeMap<String, Stated>),
) -> desk::bundle::Bundle {
    let mut altered: desk::bundle::Bundle =
        serde_json::from_value(serde_json::to_value(bundle).unwrap()).unwrap();
    change(&mut altered.figures);
    altered.seal(|text| desk.sign_statement(text)).unwrap();
    desk::bundle::verify_bundle(&altered, &desk.public_key(), &[]).unwrap();
    altered
}

#[tokio::test]
async fn a_figure_that_does_not_follow_from_the_proven_events_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk_with_fixture(&dir.path().join("data")).await;
    let key = desk.public_key();
    let (from, to) = around_today(1);
    let (bundle, _) = desk.evaluator_bundle(from, to, false).unwrap().unwrap();
    assert!(value(&bundle, "events:IntakeRecorded") >= 10);
    assert_eq!(
        value(&bundle, "persons-registered"),
        value(&bundle, "events:PersonRegistered")
    );
    desk::bundle::verify_bundle(&bundle, &key, &[]).unwrap();
    let before = desk::bundle::report(&bundle);
    assert!(before.contradicted.is_empty(), "{before:?}");
    // The counts by type follow from the proven envelopes alone.
    assert!(
        !before
            .not_provable
            .iter()
            .any(|p| p.contains("figure events:") || p.contains("persons-registered")),
        "{before:?}"
    );

    // One figure altered, and the manifest signed again: the figure is named.
    let altered = resigned(&desk, &bundle, |figures| {
        let v = figures.get_mut("events:IntakeRecorded").unwrap();
        if let Stated::Value(v) = v {
            *v += 1;
        }
    });
    let report = desk::bundle::report(&altered);
    assert_eq!(report.contradicted.len(), 1, "{report:?}");
    assert!(
        report.contradicted[0].starts_with("figure events:IntakeRecorded: the manifest says"),
        "{report:?}"
    );

    // A disclosure withheld: the figure that counts its field is not provable.
    let candidates = [
        ("attivita_di_gruppo", "GroupActivityHeld", "durationMinutes"),
        (
            "intervention-minutes",
            "InterventionDelivered",
            "durationMinutes",
        ),
        ("registered-by-sex", "PersonRegistered", "sex"),
        ("referral-outcomes", "ReferralOutcomeRecorded", "outcome"),
    ];
    let (figure, event_type, field) = candidates
        .into_iter()
        .find(|(figure, _, _)| !before.not_provable.iter().any(|p| p.contains(figure)))
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
            .not_provable
            .iter()
            .any(|p| p.starts_with(&format!("figure {figure}")) && p.contains("not provable")),
        "{figure}: {report:?}"
    );
}

/// Registers `n` persons of one combination of quasi-identifiers (the sample's, at `citizenship`)
/// who give the `reporting` consent.
async fn register_alike(desk: &Desk, n: usize, citizenship: &str) -> Vec<domain::PersonId> {
    use domain::samples::Sample;
    let actor = Actor::new("m.haddad", Role::Mediator);
    let mut ids = Vec::new();
    for _ in 0..n {
        let person_id = domain::PersonId(ulid::Ulid::new());
        let register = domain::RegisterPerson {
            person_id,
            site_id: domain::SiteId::new("montelucci-4"),
            occurred_at: Utc.with_ymd_and_hms(2024, 5, 31, 10, 0, 0).unwrap(),
            citizenships: vec![citizenship.into()],
            ..domain::RegisterPerson::sample()
        };
        let consent = domain::GiveConsent {
            person_id,
            site_id: domain::SiteId::new("montelucci-4"),
            occurred_at: Utc.with_ymd_and_hms(2024, 5, 31, 10, 5, 0).unwrap(),
            scopes: vec![
                domain::ConsentScope::Service,
                domain::ConsentScope::Reporting,
            ],
            shared_with: Vec::new(),
            ..domain::GiveConsent::sample()
        };
        for command in [
            domain::Command::RegisterPerson(register),
            domain::Command::GiveConsent(consent),
        ] {
            desk.execute(&actor, &command, None, None)
                .await
                .unwrap()
                .unwrap();
        }
        ids.push(person_id);
    }
    ids
}

/// The combination of a disclosed registration, from its proven fields: age band at `year`,
/// sex, first citizenship, permit type, household size.
fn disclosed_combination(event: &desk::bundle::BundleEvent, year: i32) -> Vec<String> {
    let field = |name: &str| -> Value {
        let d = event.disclosures.iter().find(|d| d.name == name).unwrap();
        serde_json::from_str(&d.value).unwrap()
    };
    let birth_year = i32::try_from(field("birthYear").as_i64().unwrap()).unwrap();
    vec![
        projections::AgeBand::of_age(year - birth_year)
            .as_str()
            .to_string(),
        field("sex").to_string(),
        field("citizenships")[0].to_string(),
        field("permitType").to_string(),
        field("householdSize").to_string(),
    ]
}

#[tokio::test]
async fn a_person_whose_combination_fewer_than_k_share_is_withheld_and_the_manifest_says_so() {
    use chrono::Datelike;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk_with_fixture(&dir.path().join("data")).await;
    let alike = register_alike(&desk, 5, "UA").await;
    let alone = register_alike(&desk, 1, "PE").await;
    let key = desk.public_key();
    let (from, to) = around_today(1);
    let (bundle, _) = desk.evaluator_bundle(from, to, false).unwrap().unwrap();
    desk::bundle::verify_bundle(&bundle, &key, &[]).unwrap();

    // Every disclosed registration's combination is shared by at least k disclosed ones.
    let k = bundle.k_anonymity.unwrap().min_cell;
    assert_eq!(k, projections::DEFAULT_MIN_CELL);
    let mut combinations: BTreeMap<Vec<String>, u32> = BTreeMap::new();
    for event in &bundle.events {
        if event.event_type == "PersonRegistered" && !event.disclosures.is_empty() {
            *combinations
                .entry(disclosed_combination(event, to.year()))
                .or_default() += 1;
        }
    }
    assert!(
        combinations.values().sum::<u32>() >= 5,
        "the five alike are disclosed: {combinations:?}"
    );
    assert!(
        combinations.values().all(|n| *n >= k),
        "a disclosed combination shared by fewer than {k}: {combinations:?}"
    );

    // The one alone: every event of theirs is an envelope, withheld for k-anonymity; the five
    // alike are disclosed.
    let about = |person: domain::PersonId| {
        let person_id = domain::PersonId::to_string(&person);
        bundle
            .events
            .iter()
            .filter(|e| {
                let record = desk
                    .journal()
                    .get(journal::Position(e.position))
                    .unwrap()
                    .unwrap();
                String::from_utf8_lossy(&record.payload).contains(&person_id)
            })
            .map(|e| (e.payload_withheld.clone(), e.disclosures.len()))
            .collect::<Vec<_>>()
    };
    let alone_events = about(alone[0]);
    assert_eq!(alone_events.len(), 2);
    for (withheld, disclosed) in &alone_events {
        assert_eq!(withheld.as_deref(), Some("k-anonymity"));
        assert_eq!(*disclosed, 0);
    }
    for person in &alike {
        for (withheld, _) in about(*person) {
            assert_eq!(withheld, None);
        }
    }

    // The manifest states k and how many persons were withheld for it.
    let withheld_persons = bundle.k_anonymity.unwrap().persons_withheld;
    assert!(withheld_persons >= 1);
    assert!(
        bundle
            .manifest
            .contains(&format!("\nk-anonymity {k} {withheld_persons}\n")),
        "{}",
        bundle.manifest
    );
    // The line is signed: a bundle that drops the field, or says another number, is caught.
    let json = serde_json::to_value(&bundle).unwrap();
    let verify = |json: &Value| {
        let bundle: desk::bundle::Bundle = serde_json::from_value(json.clone()).unwrap();
        desk::bundle::verify_bundle(&bundle, &key, &[])
    };
    let mut dropped = json.clone();
    dropped.as_object_mut().unwrap().remove("kAnonymity");
    let problems = verify(&dropped).unwrap_err();
    assert!(
        problems.iter().any(|p| p.contains("no k-anonymity line")),
        "{problems:?}"
    );
    let mut fewer = json.clone();
    fewer["kAnonymity"]["personsWithheld"] = Value::from(0);
    let problems = verify(&fewer).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("the bundle's k-anonymity")),
        "{problems:?}"
    );
}

/// The monitoring template's tables as the desk's signed monthly report makes them for the
/// fixture's month, under the threshold `k`, as the manifest names their figures.
fn monthly_report(desk: &Desk, k: u32) -> BTreeMap<String, Stated> {
    let template = projections::SHIPPED_TEMPLATES
        .iter()
        .find(|(name, _)| *name == desk::bundle::tables::TEMPLATE)
        .map(|(_, text)| projections::Template::parse(text).unwrap())
        .unwrap();
    let month = projections::Period::parse_month("2024-05").unwrap();
    let report = desk.read(|m| {
        m.render_template(
            &template,
            &month,
            None,
            projections::RenderOptions {
                lang: projections::Lang::It,
                min_cell: Some(k),
            },
        )
    });
    let mut out = BTreeMap::new();
    for (table, measures) in desk::bundle::tables::TABLES {
        let figures = report.figures.iter().find(|t| t.name == *table).unwrap();
        let rows = figures.rows.iter().chain([&figures.total]);
        for row in rows.filter(|r| !r.key.is_empty() || !figures.rows.is_empty()) {
            for measure in *measures {
                let mut name = format!("{table}.{measure}");
                for code in &row.key {
                    name.push(':');
                    name.push_str(&desk::bundle::tables::encode(code));
                }
                let stated = match &row.figures {
                    None => Stated::Suppressed,
                    Some(f) => Stated::Value(f.get(*measure).copied().unwrap_or(0)),
                };
                out.insert(name, stated);
            }
        }
    }
    out
}

#[tokio::test]
async fn the_manifest_states_the_monthly_tables_with_small_cells_suppressed_and_verify_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk_with_fixture(&dir.path().join("data")).await;
    let (from, to) = around_today(1);
    let (bundle, _) = desk.evaluator_bundle(from, to, false).unwrap().unwrap();
    let k = bundle.k_anonymity.unwrap().min_cell;

    // Every figure of the claimed tables is the monthly report's, suppressed cells included.
    let report = monthly_report(&desk, k);
    let stated: BTreeMap<String, Stated> = bundle
        .figures
        .iter()
        .filter(|(name, _)| {
            desk::bundle::tables::TABLES
                .iter()
                .any(|(table, _)| desk::bundle::figures::table_of(name) == *table)
        })
        .map(|(name, v)| (name.clone(), *v))
        .collect();
    assert_eq!(stated, report);
    let suppressed: Vec<&String> = stated
        .iter()
        .filter(|(name, v)| {
            **v == Stated::Suppressed && name.starts_with("contatti_per_attivita_e_sede.contacts:")
        })
        .map(|(name, _)| name)
        .collect();
    assert!(
        suppressed.len() >= 2,
        "the fixture has small contact cells: {stated:?}"
    );
    for name in [
        "attivita_di_gruppo.activities",
        "materiale_informativo.quantity",
    ] {
        assert!(value(&bundle, name) > 0, "{name}");
    }

    // The bundle as made: no figure is contradicted, and the group activities and the
    // material distributed, which name no person, are proven in full.
    let found = desk::bundle::report(&bundle);
    assert!(found.contradicted.is_empty(), "{found:?}");
    assert!(
        !found
            .not_provable
            .iter()
            .any(|p| p.contains("attivita_di_gruppo") || p.contains("materiale_informativo")),
        "{found:?}"
    );

    // One figure of a table changed and signed again: named.
    let altered = resigned(&desk, &bundle, |figures| {
        figures.insert(
            "attivita_di_gruppo.attendees_third_country".into(),
            Stated::Value(value(&bundle, "attivita_di_gruppo.attendees_third_country") + 2),
        );
    });
    let found = desk::bundle::report(&altered);
    assert_eq!(found.contradicted.len(), 1, "{found:?}");
    assert!(
        found.contradicted[0]
            .starts_with("figure attivita_di_gruppo.attendees_third_country: the manifest says"),
        "{found:?}"
    );

    // A small cell shown (3 contacts of an activity that names a person): under-suppressed.
    let small = suppressed
        .iter()
        .find(|name| !name.contains(":mediation:"))
        .unwrap()
        .to_string();
    let altered = resigned(&desk, &bundle, |figures| {
        figures.insert(small.clone(), Stated::Value(3));
    });
    let found = desk::bundle::report(&altered);
    assert!(
        found
            .contradicted
            .iter()
            .any(|p| p.starts_with(&format!("figure {small}: shows a cell of 3"))),
        "{small}: {found:?}"
    );
}

#[test]
fn a_lone_suppressed_cell_and_a_small_registration_count_are_named() {
    use desk::bundle::figures::{compare, compute, FigureEvent};
    // Twelve registrations: seven women, three men, two of another sex, every field proven.
    let mut maps = Vec::new();
    for (sex, n) in [("female", 7), ("male", 3), ("other", 2)] {
        for _ in 0..n {
            let mut m = serde_json::Map::new();
            m.insert("sex".into(), Value::String(sex.into()));
            maps.push(m);
        }
    }
    let events: Vec<FigureEvent<'_>> = maps
        .iter()
        .map(|m| FigureEvent {
            event_type: "PersonRegistered",
            fields: Some(m),
            person: None,
        })
        .collect();
    let stated = desk::bundle::figures::stated(&events, 5);
    // Three and two are small; no other row is left to give them back.
    assert_eq!(stated["registered-by-sex:male"], Stated::Suppressed);
    assert_eq!(stated["registered-by-sex:other"], Stated::Suppressed);
    assert_eq!(stated["registered-by-sex:female"], Stated::Value(7));
    let recomputed = compute(&events);
    assert_eq!(
        compare(&stated, &recomputed, Some(5)).contradicted,
        Vec::<String>::new()
    );

    // The men shown: a cell of 3.
    let mut shown = stated.clone();
    shown.insert("registered-by-sex:male".into(), Stated::Value(3));
    let problems = compare(&shown, &recomputed, Some(5)).contradicted;
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("figure registered-by-sex:male: shows a cell of 3")),
        "{problems:?}"
    );
    // With six men, the two others are the only small cell: the rule suppresses a second one
    // (the men, the smallest), since the total minus the women and the men gives them back.
    let mut more = maps.clone();
    for _ in 0..3 {
        let mut m = serde_json::Map::new();
        m.insert("sex".into(), Value::String("male".into()));
        more.push(m);
    }
    let events: Vec<FigureEvent<'_>> = more
        .iter()
        .map(|m| FigureEvent {
            event_type: "PersonRegistered",
            fields: Some(m),
            person: None,
        })
        .collect();
    let stated = desk::bundle::figures::stated(&events, 5);
    assert_eq!(stated["registered-by-sex:male"], Stated::Suppressed);
    let recomputed = compute(&events);
    let mut lone = stated.clone();
    lone.insert("registered-by-sex:male".into(), Stated::Value(6));
    let problems = compare(&lone, &recomputed, Some(5)).contradicted;
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("figures of registered-by-sex: a line (or the whole table) has one suppressed cell only")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p
                .starts_with("figure registered-by-sex:male: shown, but the rule suppresses it")),
        "{problems:?}"
    );
}
