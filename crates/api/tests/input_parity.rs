//! Each mutation's input has exactly the fields of its domain command (the same camelCase names
//! as the command's JSON), nested shapes included: the GraphQL schema as the code builds it
//! against every command of the fixture and the shared sample of every other command. The conversion between the two is typed
//! (`inputs::CommandInput`); this keeps the names a client sends and an import line holds alike.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

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
    every_field: bool,
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
    if every_field {
        assert_eq!(names, keys, "{path}: {name} and the command's JSON differ");
    } else {
        assert!(
            keys.is_subset(&names),
            "{path}: {name} lacks fields of the command's JSON: {:?}",
            keys.difference(&names).collect::<Vec<_>>()
        );
    }
    for (field, ty) in fields {
        if !types.contains_key(ty) {
            continue;
        }
        match &json[field.as_str()] {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    same_shape(types, ty, item, &format!("{path}.{field}[{i}]"), true);
                }
            }
            Value::Null => {}
            value => same_shape(types, ty, value, &format!("{path}.{field}"), true),
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
    // The shared sample of every command (`Command::samples`), the ones the fixture does not
    // hold among them, in the shape an import line would.
    // A command no role may send (the desk's own checkpoint) has no input; a sample sets every
    // field, optional ones included, so that none goes unchecked.
    let in_fixture: BTreeSet<String> = commands
        .iter()
        .map(|c| c["command"].as_str().unwrap().to_string())
        .collect();
    for command in domain::Command::samples() {
        if !command.roles().is_empty() && !in_fixture.contains(command.name()) {
            commands.push(serde_json::to_value(&command).unwrap());
        }
    }
    // A line may leave out an optional field its command does not write when empty (a survey
    // response's definition): each line's fields are some of the input's, and the lines of a
    // command together have them all.
    let mut seen = BTreeSet::new();
    let mut fields: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for command in &commands {
        let name = command["command"].as_str().unwrap();
        seen.insert(name.to_string());
        same_shape(&types, &format!("{name}Input"), command, name, false);
        let keys = command
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "command");
        fields
            .entry(name.to_string())
            .or_default()
            .extend(keys.cloned());
    }
    for (name, keys) in &fields {
        let input: BTreeSet<String> = types[&format!("{name}Input")].keys().cloned().collect();
        assert_eq!(&input, keys, "{name}Input and the command's JSON differ");
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
