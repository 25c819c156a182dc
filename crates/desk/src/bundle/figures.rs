//! The figures a bundle's manifest states for its period, and their recomputation from what the
//! bundle proves (`impact bundle verify --report`; docs/VERIFYING.md, "Figures"). The desk
//! computes them from its records; a verifier from the proven envelopes and the disclosed fields
//! alone. A figure that needs a field the bundle does not prove for some event is *not provable*
//! from the bundle, and is named so.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// What the figures are made of: per event its type, and its payload's fields where they are
/// known (the desk: every record's; a verifier: the fields proven), `None` where they are not.
pub struct FigureEvent<'a> {
    pub event_type: &'a str,
    pub fields: Option<&'a Map<String, Value>>,
}

/// A figure recomputed from a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recomputed {
    Value(u64),
    /// `n` events lack a proven field this figure counts.
    NotProvable {
        missing: u64,
        field: &'static str,
    },
}

/// The counts by a field's value: `<figure>:<value>` for the events of `event_type`.
const BY_FIELD: &[(&str, &str, &str)] = &[
    ("registered-by-sex", "PersonRegistered", "sex"),
    (
        "interventions-by-activity",
        "InterventionDelivered",
        "activity",
    ),
    ("referral-outcomes", "ReferralOutcomeRecorded", "outcome"),
    ("mediation-sessions-by-kind", "MediationSessionHeld", "kind"),
];

/// The sums of a field: `<figure>` over the events of `event_type`.
const SUMS: &[(&str, &str, &str)] = &[
    (
        "intervention-minutes",
        "InterventionDelivered",
        "durationMinutes",
    ),
    (
        "group-activity-minutes",
        "GroupActivityHeld",
        "durationMinutes",
    ),
    (
        "group-attendees-third-country",
        "GroupActivityHeld",
        "attendeesThirdCountry",
    ),
];

/// Every figure of `events`, by name: `events:<type>` (events recorded of each type),
/// `persons-registered`, `mediation-sessions`, the counts of [`BY_FIELD`] and the sums of
/// [`SUMS`].
pub fn compute<'a>(
    events: impl IntoIterator<Item = FigureEvent<'a>>,
) -> BTreeMap<String, Recomputed> {
    let mut values: BTreeMap<String, u64> = BTreeMap::new();
    let mut missing: BTreeMap<&'static str, (u64, &'static str)> = BTreeMap::new();
    for event in events {
        *values
            .entry(format!("events:{}", event.event_type))
            .or_default() += 1;
        match event.event_type {
            "PersonRegistered" => *values.entry("persons-registered".into()).or_default() += 1,
            "MediationSessionHeld" => *values.entry("mediation-sessions".into()).or_default() += 1,
            _ => {}
        }
        for (figure, event_type, field) in BY_FIELD {
            if event.event_type != *event_type {
                continue;
            }
            match event.fields.and_then(|f| f.get(*field)).and_then(word) {
                Some(value) => *values.entry(format!("{figure}:{value}")).or_default() += 1,
                None => missing.entry(figure).or_insert((0, field)).0 += 1,
            }
        }
        for (figure, event_type, field) in SUMS {
            if event.event_type != *event_type {
                continue;
            }
            match event.fields.and_then(|f| f.get(*field)) {
                Some(value) => {
                    *values.entry((*figure).into()).or_default() += value.as_u64().unwrap_or(0)
                }
                None => missing.entry(figure).or_insert((0, field)).0 += 1,
            }
        }
    }
    let mut out: BTreeMap<String, Recomputed> = values
        .into_iter()
        .map(|(name, value)| (name, Recomputed::Value(value)))
        .collect();
    // A figure some of whose events lack the field: every name of it is not provable.
    for (figure, (count, field)) in missing {
        let not_provable = Recomputed::NotProvable {
            missing: count,
            field,
        };
        let prefix = format!("{figure}:");
        for (name, value) in out.iter_mut() {
            if name == figure || name.starts_with(&prefix) {
                *value = not_provable.clone();
            }
        }
        out.entry(figure.to_string()).or_insert(not_provable);
    }
    out
}

/// A field's value as it stands in a figure's name: a text, a number or a boolean, with no
/// space.
fn word(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    super::manifest::is_word(&text).then_some(text)
}

/// The desk's figures: every one known.
pub fn stated<'a>(events: impl IntoIterator<Item = FigureEvent<'a>>) -> BTreeMap<String, u64> {
    compute(events)
        .into_iter()
        .filter_map(|(name, value)| match value {
            Recomputed::Value(v) => Some((name, v)),
            Recomputed::NotProvable { .. } => None,
        })
        .collect()
}

/// The figures the signed manifest states (`figure <name> <value>` lines) that do not follow
/// from what the bundle proves, each with why; empty when every one follows.
pub fn compare(
    stated: &BTreeMap<String, u64>,
    recomputed: &BTreeMap<String, Recomputed>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, value) in stated {
        let figure = name.split(':').next().unwrap_or_default();
        let found = recomputed.get(name).or_else(|| {
            recomputed
                .get(figure)
                .filter(|r| matches!(r, Recomputed::NotProvable { .. }))
        });
        match found {
            Some(Recomputed::Value(v)) if v == value => {}
            Some(Recomputed::Value(v)) => problems.push(format!(
                "figure {name}: the manifest says {value}, the proven events give {v}"
            )),
            Some(Recomputed::NotProvable { missing, field }) => problems.push(format!(
                "figure {name}: not provable from the bundle ({missing} events without a proven {field})"
            )),
            None => problems.push(format!(
                "figure {name}: the manifest says {value}, the proven events give 0"
            )),
        }
    }
    for (name, value) in recomputed {
        if let (Recomputed::Value(v), false) = (value, stated.contains_key(name)) {
            problems.push(format!(
                "figure {name}: the proven events give {v}, the manifest states none"
            ));
        }
    }
    problems
}
