//! Each mutation's input has exactly the fields of its domain command (the same camelCase names
//! as the command's JSON), nested shapes included: the GraphQL schema as the code builds it
//! against every command of the fixture and a few more. The conversion between the two is typed
//! (`inputs::CommandInput`); this keeps the names a client sends and an import line holds alike.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

#[path = "../../../fixtures/fixture.rs"]
mod fixture;

/// Every input type of the schema: its fields and the named type of each (lists and `!` off).
fn input_types(sdl: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut types = BTreeMap::new();
    let mut current: Option<(String, BTreeMap<String, String>)> = None;
    let mut in_description = false;
    for line in sdl.lines() {
        if let Some(name) = line
            .strip_prefix("input ")
            .and_then(|rest| rest.strip_suffix(" {"))
        {
            current = Some((name.to_string(), BTreeMap::new()));
            continue;
        }
        let Some((_, fields)) = current.as_mut() else {
            continue;
        };
        let trimmed = line.trim();
        if trimmed == "\"\"\"" {
            in_description = !in_description;
            continue;
        }
        if in_description || trimmed.starts_with('"') || trimmed.is_empty() {
            continue;
        }
        if trimmed == "}" {
            let (name, fields) = current.take().unwrap();
            types.insert(name, fields);
            continue;
        }
        let (field, ty) = trimmed
            .split_once(": ")
            .unwrap_or_else(|| panic!("{line:?}"));
        let ty = ty.split(" = ").next().unwrap();
        let named: String = ty
            .chars()
            .filter(|c| !matches!(c, '[' | ']' | '!'))
            .collect();
        fields.insert(field.to_string(), named);
    }
    types
}

/// Checks that the input type `name` has the fields of `json`, and its nested input types the
/// fields of the nested values.
fn same_shape(
    types: &BTreeMap<String, BTreeMap<String, String>>,
    name: &str,
    json: &Value,
    path: &str,
) {
    let fields = types
        .get(name)
        .unwrap_or_else(|| panic!("{path}: no input type {name}"));
    let keys: BTreeSet<&str> = json
        .as_object()
        .unwrap_or_else(|| panic!("{path}: {json} is not an object"))
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "command")
        .collect();
    let names: BTreeSet<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(names, keys, "{path}: {name} and the command's JSON differ");
    for (field, ty) in fields {
        if !types.contains_key(ty) {
            continue;
        }
        match &json[field.as_str()] {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    same_shape(types, ty, item, &format!("{path}.{field}[{i}]"));
                }
            }
            Value::Null => {}
            value => same_shape(types, ty, value, &format!("{path}.{field}")),
        }
    }
}

#[test]
fn every_input_has_the_fields_of_its_command() {
    let types = input_types(&api::sdl());
    assert!(types.contains_key("OpenCaseInput"), "the SDL was read");
    let mut commands: Vec<Value> = fixture::FIXTURE
        .lines()
        .map(|line| {
            let line: domain::ImportLine = serde_json::from_str(line).unwrap();
            serde_json::to_value(&line.command).unwrap()
        })
        .collect();
    // The commands the fixture does not hold, in the shape an import line would.
    for extra in [
        json!({ "command": "ReopenCase", "caseId": "01HX5000000000000000000003",
                "occurredAt": "2024-05-30T10:00:00Z", "note": "torna per il lavoro" }),
        json!({ "command": "ScheduleSite", "siteId": "montelucci-4",
                "occurredAt": "2024-05-30T10:00:00Z", "name": "Sportello",
                "openingDays": ["tuesday"] }),
        json!({ "command": "ErasePerson", "personId": "01HX5000000000000000000001",
                "occurredAt": "2024-05-30T10:00:00Z", "reason": "person_request" }),
        json!({ "command": "RedactText", "eventId": "01HX5000000000000000000001",
                "occurredAt": "2024-05-30T10:00:00Z", "reason": "person_request" }),
        json!({ "command": "TakeOnPerson", "personId": "01HX5000000000000000000001",
                "siteId": "tivoli-1", "occurredAt": "2024-05-30T10:00:00Z" }),
        json!({ "command": "TransferCase", "caseId": "01HX5000000000000000000003",
                "occurredAt": "2024-05-30T10:00:00Z", "caseWorker": "l.bianchi",
                "holdingService": { "serviceId": "01HX5000000000000000000006",
                                    "reference": "CF-2024/0173" } }),
        json!({ "command": "MergePersons", "personId": "01HX500000000000000000000D",
                "intoPersonId": "01HX5000000000000000000001",
                "occurredAt": "2024-05-30T10:00:00Z" }),
        json!({ "command": "MapService", "serviceId": "01HX5000000000000000000006",
                "occurredAt": "2024-05-02T08:00:00Z", "name": "CPIA 3", "kind": "education",
                "address": "via Roma 1", "openingHours": "lun-ven", "languages": ["it"],
                "accessRules": "accesso diretto",
                "ukraineCapacity": { "receptionPlaces": 3, "health": false, "schoolAccess": true },
                "verifiedOn": "2024-05-02" }),
        json!({ "command": "OpenStaffAccount", "user": "o.kovalenko", "role": "mediator",
                "siteId": "montelucci-4", "occurredAt": "2024-05-30T10:00:00Z" }),
        json!({ "command": "DisableStaffAccount", "user": "o.kovalenko",
                "occurredAt": "2024-05-30T10:00:00Z" }),
        json!({ "command": "ResetStaffPassword", "user": "o.kovalenko",
                "occurredAt": "2024-05-30T10:00:00Z" }),
    ] {
        // Through the domain's type, so that the JSON is the command's whole shape.
        let command: domain::Command = serde_json::from_value(extra).unwrap();
        commands.push(serde_json::to_value(&command).unwrap());
    }
    let mut seen = BTreeSet::new();
    for command in &commands {
        let name = command["command"].as_str().unwrap();
        seen.insert(name.to_string());
        same_shape(&types, &format!("{name}Input"), command, name);
    }
    // Every command a client may send has its input; `RecordCheckpoint` is the desk's own.
    let sendable: BTreeSet<String> = domain::COMMAND_NAMES
        .iter()
        .filter(|n| **n != "RecordCheckpoint")
        .map(|n| n.to_string())
        .collect();
    assert_eq!(seen, sendable, "a command without a sample here");
    assert!(!types.contains_key("RecordCheckpointInput"));
}
