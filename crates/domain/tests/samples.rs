//! Golden samples: a stored payload of every event type and schema version still decodes.
//!
//! Samples are written once: `UPDATE_SAMPLES=1 cargo test -p domain --test samples` creates the
//! sample of a new type or version and never rewrites one that exists. A stored format is what
//! journals hold: changing the shape of a type is a new schema version with an upcast, and its
//! new sample sits beside the old one.

mod support;

use std::path::PathBuf;

use domain::*;
use support::*;

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/samples")
}

/// One event of every type, at its current version.
fn current_samples() -> Vec<Event> {
    let mut events = everything();
    let correction = given(everything())
        .when(CorrectEvent {
            corrects: event_id(4),
            occurred_at: t("2024-05-16T11:55:00Z"),
            fields: [("needs".to_string(), serde_json::json!(["health", "work"]))].into(),
            personal_fields: PersonalFields(
                [(
                    "note".to_string(),
                    serde_json::json!("chiede del corso di italiano"),
                )]
                .into(),
            ),
            reason: "bisogno lavoro dimenticato all'accoglienza".into(),
        })
        .then_accepted();
    events.extend(correction.events);
    let erasure = given(everything())
        .when_by(
            supervisor(),
            ErasePerson {
                person_id: person(),
                occurred_at: t("2024-05-16T11:58:00Z"),
                reason: ErasureReason::PersonRequest,
            },
        )
        .then_accepted();
    events.extend(erasure.events);
    let entry = id_of(&everything(), "LogbookEntryWritten");
    let comment = given(everything())
        .when_by(
            supervisor(),
            CommentLogbookEntry {
                entry_id: entry,
                occurred_at: t("2024-05-16T11:59:00Z"),
                comment: PersonalNote::new("bene la mediazione telefonica"),
            },
        )
        .then_accepted();
    events.extend(comment.events);
    let redaction = given(everything())
        .when_by(
            supervisor(),
            RedactText {
                event_id: entry,
                occurred_at: t("2024-05-16T11:59:30Z"),
                reason: ErasureReason::PersonRequest,
            },
        )
        .then_accepted();
    events.extend(redaction.events);
    let mut seen = std::collections::BTreeSet::new();
    events.retain(|e| seen.insert(e.event_type()));
    events
}

#[test]
fn every_event_type_has_a_current_sample() {
    let samples = current_samples();
    let types: Vec<_> = samples.iter().map(|e| e.event_type()).collect();
    for (event_type, _) in EVENT_TYPES {
        assert!(
            types.contains(event_type),
            "no sample built for {event_type}"
        );
    }
}

#[test]
fn current_samples_decode() {
    let update = std::env::var_os("UPDATE_SAMPLES").is_some_and(|v| v == "1");
    for event in current_samples() {
        let path = samples_dir().join(format!(
            "{}.v{}.json",
            event.event_type(),
            event.schema_version()
        ));
        if update && !path.exists() {
            let value: serde_json::Value = serde_json::from_slice(&event.to_payload()).unwrap();
            std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap() + "\n").unwrap();
        }
        let stored = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; rerun with UPDATE_SAMPLES=1 to create it",
                path.display()
            )
        });
        let decoded = Event::from_payload(event.event_type(), event.schema_version(), &stored)
            .unwrap_or_else(|e| panic!("{} no longer decodes: {e}", path.display()));
        assert_eq!(
            decoded,
            event,
            "{} holds another shape: a stored format is never rewritten; give the type a new \
             schema version with an upcast from this one",
            path.display()
        );
    }
}

#[test]
fn old_samples_decode_and_upcast() {
    for (event_type, version) in OLD_EVENT_VERSIONS {
        let path = samples_dir().join(format!("{event_type}.v{version}.json"));
        let stored = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let event = Event::from_payload(event_type, *version, &stored)
            .unwrap_or_else(|e| panic!("{} no longer decodes: {e}", path.display()));
        assert_eq!(event.event_type(), *event_type);
        assert!(
            event.schema_version() > *version,
            "an old version is read into a newer one"
        );
    }
}

#[test]
fn logbook_v1_single_language_becomes_a_list() {
    let stored = std::fs::read(samples_dir().join("LogbookEntryWritten.v1.json")).unwrap();
    let Event::LogbookEntryWritten(e) =
        Event::from_payload("LogbookEntryWritten", 1, &stored).unwrap()
    else {
        panic!("wrong type");
    };
    assert_eq!(e.languages, vec!["ar".to_string()]);
    assert_eq!(e.date, d("2023-11-07"));
    // A v1 payload is not a valid v2 payload: the version number matters.
    assert!(Event::from_payload("LogbookEntryWritten", 2, &stored).is_err());
}

#[test]
fn registration_v1_renewal_pending_type_becomes_a_status_beside_an_unknown_type() {
    let stored = std::fs::read(samples_dir().join("PersonRegistered.v1.json")).unwrap();
    let Event::PersonRegistered(e) = Event::from_payload("PersonRegistered", 1, &stored).unwrap()
    else {
        panic!("wrong type");
    };
    assert_eq!(e.permit_type, PermitType::TemporaryProtection);
    assert!(!e.permit_renewal_pending);
    // Version 1 had `renewal_pending` as a type: it reads as the type unknown, renewal pending.
    let mut old: serde_json::Value = serde_json::from_slice(&stored).unwrap();
    old["permitType"] = serde_json::json!("renewal_pending");
    let old = serde_json::to_vec(&old).unwrap();
    let Event::PersonRegistered(e) = Event::from_payload("PersonRegistered", 1, &old).unwrap()
    else {
        panic!("wrong type");
    };
    assert_eq!(e.permit_type, PermitType::Unknown);
    assert!(e.permit_renewal_pending);
    // The current version has no such type.
    assert!(Event::from_payload("PersonRegistered", 2, &old).is_err());
}

#[test]
fn consent_v1_names_no_guardian() {
    let stored = std::fs::read(samples_dir().join("ConsentGiven.v1.json")).unwrap();
    let Event::ConsentGiven(e) = Event::from_payload("ConsentGiven", 1, &stored).unwrap() else {
        panic!("wrong type");
    };
    assert_eq!((e.guardian_kind, e.guardian_name), (None, None));
}

#[test]
fn every_stored_sample_is_a_known_type_and_version() {
    let mut count = 0;
    for entry in std::fs::read_dir(samples_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let (event_type, rest) = name.split_once(".v").expect("<EventType>.v<N>.json");
        let version: u16 = rest.strip_suffix(".json").unwrap().parse().unwrap();
        let known = EVENT_TYPES.contains(&(event_type, version))
            || OLD_EVENT_VERSIONS.contains(&(event_type, version));
        assert!(known, "{name} is neither a current nor an old version");
        count += 1;
    }
    assert_eq!(count, EVENT_TYPES.len() + OLD_EVENT_VERSIONS.len());
}

#[test]
fn unknown_type_and_version_are_errors_not_panics() {
    assert!(matches!(
        Event::from_payload("CaseExploded", 1, b"{}"),
        Err(DecodeError::UnknownType(_))
    ));
    assert!(matches!(
        Event::from_payload("CaseClosed", 9, b"{}"),
        Err(DecodeError::UnknownVersion { version: 9, .. })
    ));
    assert!(matches!(
        Event::from_payload("CaseClosed", 1, b"{\"caseId\":"),
        Err(DecodeError::Invalid { .. })
    ));
}

#[test]
fn payload_round_trips_and_has_no_tag() {
    for event in current_samples() {
        let payload = event.to_payload();
        let value: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert!(value.get("type").is_none() && value.get("command").is_none());
        assert_eq!(
            Event::from_payload(event.event_type(), event.schema_version(), &payload).unwrap(),
            event
        );
    }
}

#[test]
fn debug_output_never_holds_personal_data() {
    for event in current_samples() {
        let debug = format!("{event:?}");
        for secret in [
            CANARY,
            "+39 333",
            "1991-03-14",
            "due figli",
            "Olena",
            "iscrizione al SSN",
            "raccordo",
            "mattinata intensa",
            "corso di italiano",
        ] {
            assert!(
                !debug.contains(secret),
                "{} Debug shows {secret:?}: {debug}",
                event.event_type()
            );
        }
    }
    let cmd: Command = register().into();
    assert!(!format!("{cmd:?}").contains(CANARY));
    assert!(format!("{cmd:?}").contains("[redacted]"));
}

#[test]
fn a_command_or_import_line_with_an_unknown_field_is_refused() {
    let line = r#"{"eventId":"01HX5G00000000000000000005","actor":{"id":"m.rossi","role":"mediator"},"command":{"command":"CloseCase","caseId":"01HX5000000000000000000003","occurredAt":"2024-05-28T10:00:00Z","reason":"goals_achieved","outcome":"positive"}}"#;
    let read: ImportLine = serde_json::from_str(line).unwrap();
    assert_eq!(read.command.name(), "CloseCase");
    let unknown_in_command = line.replace(r#""reason":"#, r#""reasn":"x","reason":"#);
    let error = serde_json::from_str::<ImportLine>(&unknown_in_command).unwrap_err();
    assert!(error.to_string().contains("reasn"), "{error}");
    let unknown_in_line = line.replace(r#""actor":"#, r#""actr":1,"actor":"#);
    assert!(serde_json::from_str::<ImportLine>(&unknown_in_line).is_err());

    // The directory's commands, whose description is a struct of its own, too.
    let service = serde_json::json!({
        "command": "MapService", "serviceId": "01HX5000000000000000000006",
        "occurredAt": "2024-05-02T08:00:00Z", "name": "CPIA 3", "kind": "education",
        "address": "via Roma 1", "openingHours": "lun-ven", "languages": ["it"],
        "accessRules": "accesso diretto", "verifiedOn": "2024-05-02"
    });
    let command: Command = serde_json::from_value(service.clone()).unwrap();
    assert_eq!(serde_json::to_value(&command).unwrap()["name"], "CPIA 3");
    for name in ["MapService", "UpdateService"] {
        let mut unknown = service.clone();
        unknown["command"] = name.into();
        unknown["openingHour"] = "lun".into();
        let error = serde_json::from_value::<Command>(unknown).unwrap_err();
        assert!(error.to_string().contains("openingHour"), "{name}: {error}");
    }
}

/// A struct stored inside an event (a person's data, a contact, a language pair, a score, an
/// action, a capacity, a holding service) refuses a field it does not know: the stored samples
/// above still decode, so no old journal holds one, and a new field is a new schema version.
#[test]
fn a_nested_stored_struct_refuses_an_unknown_field() {
    let read = |name: &str| -> serde_json::Value {
        let path = samples_dir().join(format!("{name}.v1.json"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let cases: [(&str, &str); 7] = [
        ("ServiceMapped", "/ukraineCapacity"),
        ("PersonRegistered", "/personal"),
        ("PersonRegistered", "/personal/contacts/0"),
        ("MediationSessionHeld", "/languages"),
        ("SatisfactionSurveyCompleted", "/scores/0"),
        ("SupervisionMeetingHeld", "/actions/0"),
        ("CaseTransferred", "/holdingService"),
    ];
    for (event_type, pointer) in cases {
        let mut payload = read(event_type);
        let bytes = serde_json::to_vec(&payload).unwrap();
        assert!(
            Event::from_payload(event_type, 1, &bytes).is_ok(),
            "{event_type}"
        );
        payload
            .pointer_mut(pointer)
            .and_then(|v| v.as_object_mut())
            .unwrap_or_else(|| panic!("{event_type} has no object at {pointer}"))
            .insert("nickname".into(), serde_json::json!("x"));
        let bytes = serde_json::to_vec(&payload).unwrap();
        assert!(
            matches!(
                Event::from_payload(event_type, 1, &bytes),
                Err(DecodeError::Invalid { .. })
            ),
            "{event_type}{pointer} took an unknown field"
        );
    }
}

/// Every account name in a stored sample (a value like `m.haddad`) sits in a field of
/// `STAFF_NAME_FIELDS`, alone or in a list, and every field that repeats a command's actor is one
/// of them: an evaluator bundle pseudonymises exactly those fields, so a staff field this list
/// forgets would carry a name to evaluators.
#[test]
fn every_staff_name_sits_in_a_staff_name_field() {
    fn looks_like_account(text: &str) -> bool {
        let mut parts = text.splitn(2, '.');
        let (Some(initial), Some(surname)) = (parts.next(), parts.next()) else {
            return false;
        };
        initial.len() == 1
            && !surname.is_empty()
            && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'.')
    }
    fn walk(value: &serde_json::Value, field: &str, at: &str, names: &mut Vec<String>) {
        match value {
            serde_json::Value::String(text) if looks_like_account(text) => {
                assert!(
                    STAFF_NAME_FIELDS.contains(&field),
                    "{at}: the account name {text:?} is in the field {field:?}, not in STAFF_NAME_FIELDS"
                );
                names.push(text.clone());
            }
            serde_json::Value::Array(items) => {
                items.iter().for_each(|v| walk(v, field, at, names));
            }
            serde_json::Value::Object(map) => {
                for (name, inner) in map {
                    walk(inner, name, at, names);
                }
            }
            _ => {}
        }
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(samples_dir()).unwrap() {
        let path = entry.unwrap().path();
        let value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        walk(&value, "", &path.display().to_string(), &mut names);
    }
    assert!(
        names.len() >= 10,
        "the samples name staff in many fields: {names:?}"
    );
    for command in Command::samples() {
        if let Some((field, _)) = command.actor_field() {
            assert!(
                STAFF_NAME_FIELDS.contains(&field),
                "{}: its actor's field {field} is not in STAFF_NAME_FIELDS",
                command.name()
            );
        }
    }
}
