//! Every personal value of every event type is sealed before it is stored: under the key of the
//! person it names, or, for the free text of a diary, a supervision meeting, a group activity or
//! an anonymous survey, under the key of that text (`docs/adr/0010-sealed-free-text.md`).
//!
//! Which fields are personal is read off the types, not off a list: `PersonalData`,
//! `PersonalNote` and `PersonalFields` print `[redacted]` in `Debug`, so the derived `Debug` of
//! an event marks each field that holds one of them. The test seals the stored sample of every
//! event type (`crates/domain/tests/samples`, one per type and current version, its empty notes
//! filled in) as the desk does before an append, and checks that each such value became a
//! sealed value and that its text is gone from the stored bytes; and that the names the JSON
//! walkers use (`domain::PERSONAL_FIELD_NAMES`, `domain::PERSONAL_FIELDS`) are exactly the
//! personal fields, and that no type an evaluator gets whole (`TYPES_WITHOUT_PERSONAL_DATA`)
//! holds any.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use domain::{
    Event, EVENT_TYPES, PERSONAL_FIELDS, PERSONAL_FIELD_NAMES, TYPES_WITHOUT_PERSONAL_DATA,
};
use serde_json::Value;
use ulid::Ulid;

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../domain/tests/samples")
}

/// The JSON names of the top-level fields of `event` whose value holds a personal type.
fn personal_fields_by_type(event: &Event) -> BTreeSet<String> {
    // `{:#?}` of `Event::X(X { .. })` puts each field of `X` on a line of its own, indented by
    // eight spaces; what a field holds runs until the next such line.
    let debug = format!("{event:#?}");
    let mut fields = BTreeSet::new();
    let mut current: Option<(String, bool)> = None;
    let mut close = |current: Option<(String, bool)>| {
        if let Some((name, true)) = current {
            fields.insert(camel_case(&name));
        }
    };
    for line in debug.lines() {
        let field = line
            .strip_prefix("        ")
            .filter(|rest| !rest.starts_with(' '))
            .and_then(|rest| rest.split_once(": "))
            .map(|(name, _)| name.to_string());
        if let Some(name) = field {
            close(current.take());
            current = Some((name, false));
        }
        if let Some((_, personal)) = current.as_mut() {
            *personal |= line.contains("[redacted]");
        }
    }
    close(current);
    fields
}

fn camel_case(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Every string inside a JSON value.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The values sealing replaces in a personal field: the value, each element of a list, each
/// value of `personalFields`; nulls are left as they are.
fn sealed_units(name: &str, value: &Value) -> Vec<Value> {
    let units: Vec<Value> = match value {
        Value::Array(items) => items.clone(),
        Value::Object(map) if name == PERSONAL_FIELDS => map.values().cloned().collect(),
        other => vec![other.clone()],
    };
    units.into_iter().filter(|v| !v.is_null()).collect()
}

fn is_sealed_for(value: &Value, person: Ulid) -> bool {
    let Value::Object(map) = value else {
        return false;
    };
    map.len() == 2
        && map.get("person") == Some(&Value::String(person.to_string()))
        && map.get("sealed").is_some_and(|s| s.is_string())
}

/// The sample with each empty field that takes a text given one (a note the sample left out),
/// so that every optional note of the type is sealed too.
fn filled(event_type: &str, version: u16, mut sample: Value) -> Value {
    let empty: Vec<String> = sample
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.is_null())
        .map(|(k, _)| k.clone())
        .collect();
    for key in empty {
        let mut tried = sample.clone();
        tried[key.as_str()] = Value::String(format!("{key} filled in by the test"));
        if Event::from_value(event_type, version, tried.clone()).is_ok() {
            sample = tried;
        }
    }
    sample
}

#[test]
fn every_personal_value_of_every_event_type_is_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let vault =
        vault::Vault::open(&dir.path().join("data"), &dir.path().join("master-key")).unwrap();
    let mut personal_names_seen = BTreeSet::new();
    let mut sealed_values = 0;
    for (event_type, version) in EVENT_TYPES {
        let path = samples_dir().join(format!("{event_type}.v{version}.json"));
        let stored = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let original = filled(
            event_type,
            *version,
            serde_json::from_slice(&stored).unwrap(),
        );
        let stored = serde_json::to_vec(&original).unwrap();
        let event = Event::from_payload(event_type, *version, &stored).unwrap();

        // The person an event names in its payload is the one `person_id` gives.
        let named = original
            .get("personId")
            .and_then(Value::as_str)
            .map(|id| id.parse::<Ulid>().unwrap());
        assert_eq!(
            event.person_id().map(|p| p.0),
            named,
            "{event_type}: person_id() disagrees with the payload's personId"
        );

        let personal = personal_fields_by_type(&event);
        for name in &personal {
            assert!(
                PERSONAL_FIELD_NAMES.contains(&name.as_str()) || name == PERSONAL_FIELDS,
                "{event_type}.{name} holds personal data but is not in PERSONAL_FIELD_NAMES"
            );
        }
        personal_names_seen.extend(personal.iter().cloned());
        // An evaluator bundle carries these types whole: they must hold nothing about a person.
        if TYPES_WITHOUT_PERSONAL_DATA.contains(event_type) {
            assert!(
                named.is_none() && personal.is_empty(),
                "{event_type}: in TYPES_WITHOUT_PERSONAL_DATA, yet personal: {personal:?}"
            );
        }

        let event_id = Ulid::new();
        let sealed = desk::sealed_payload(&vault, &event, event_id, stored.clone())
            .unwrap()
            .unwrap();
        // The key: the person named, or for free text about no single person (a diary, a
        // supervision meeting, a comment) the text's own key (docs/adr/0008).
        let key = named.or_else(|| event.text_key().map(|k| k.id(event_id)));
        let Some(person) = key else {
            // About no single person and no text of its own: nothing is sealed (docs/adr/0003).
            assert_eq!(
                sealed, stored,
                "{event_type} names no person but was changed"
            );
            // Free text (a diary, a comment, a meeting, a group activity, an anonymous survey)
            // is never left in clear: a type with a personal field seals it under some key.
            assert!(
                personal.is_empty(),
                "{event_type} holds free text {personal:?} but seals it under no key"
            );
            continue;
        };
        let sealed_json: Value = serde_json::from_slice(&sealed).unwrap();
        let sealed_text = String::from_utf8(sealed.clone()).unwrap();
        for name in &personal {
            let before = sealed_units(name, &original[name.as_str()]);
            let after = sealed_units(name, &sealed_json[name.as_str()]);
            assert_eq!(before.len(), after.len(), "{event_type}.{name}");
            assert!(
                !before.is_empty(),
                "{event_type}.{name}: the sample holds no value"
            );
            for value in &after {
                assert!(
                    is_sealed_for(value, person),
                    "{event_type}.{name} is stored unsealed: {value}"
                );
                sealed_values += 1;
            }
            let mut texts = Vec::new();
            strings(&original[name.as_str()], &mut texts);
            // A staff name both in a sealed action (its owner) and in the clear list of
            // attendees stays in the bytes through the attendees.
            let mut in_clear = Vec::new();
            for (key, value) in original.as_object().unwrap() {
                if !personal.contains(key) {
                    strings(value, &mut in_clear);
                }
            }
            for text in texts
                .iter()
                .filter(|t| t.len() >= 4 && !in_clear.contains(t))
            {
                assert!(
                    !sealed_text.contains(&format!("\"{text}\"")),
                    "{event_type}.{name}: {text:?} is still in the stored bytes"
                );
            }
        }
        // What is not personal stays as it was.
        for (key, value) in original.as_object().unwrap() {
            if !personal.contains(key) {
                assert_eq!(
                    &sealed_json[key.as_str()],
                    value,
                    "{event_type}.{key} changed"
                );
            }
        }
    }
    // Every name the walkers use is a personal field of some event type, so the list holds no
    // name that the types do not back.
    let listed: BTreeSet<String> = PERSONAL_FIELD_NAMES
        .iter()
        .chain(&[PERSONAL_FIELDS])
        .map(|s| s.to_string())
        .collect();
    assert_eq!(personal_names_seen, listed);
    assert!(
        sealed_values >= 10,
        "only {sealed_values} values were sealed"
    );
}

#[test]
fn the_type_reading_finds_each_kind_of_personal_value() {
    let stored = std::fs::read(samples_dir().join("CarePlanAgreed.v1.json")).unwrap();
    let event = Event::from_payload("CarePlanAgreed", 1, &stored).unwrap();
    assert_eq!(
        personal_fields_by_type(&event),
        BTreeSet::from(["goals".to_string()])
    );
    let stored = std::fs::read(samples_dir().join("PersonRegistered.v1.json")).unwrap();
    let event = Event::from_payload("PersonRegistered", 1, &stored).unwrap();
    assert_eq!(
        personal_fields_by_type(&event),
        BTreeSet::from(["personal".to_string()])
    );
}
