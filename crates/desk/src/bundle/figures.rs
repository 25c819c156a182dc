//! The figures a bundle's manifest states for its period, and their recomputation from what the
//! bundle proves (`impact bundle verify --report`; docs/VERIFYING.md, "Figures"). The desk
//! computes them from its records and protects small cells; a verifier recomputes them from the
//! proven envelopes and the disclosed fields alone, and checks the protection. A figure that
//! needs a field the bundle does not prove for some event is *not provable* from the bundle,
//! and is named so.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::tables;

/// What the figures are made of: per event its type, and its payload's fields where they are
/// known (the desk: every record's; a verifier: the fields proven), `None` where they are not;
/// and the person it is about where known (the desk only: distinct persons).
pub struct FigureEvent<'a> {
    pub event_type: &'a str,
    pub fields: Option<&'a Map<String, Value>>,
    pub person: Option<domain::PersonId>,
}

/// A figure as the manifest states it: its value, or suppressed (written `*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stated {
    Value(u64),
    /// A small cell, or a cell suppressed so that no difference gives one back.
    Suppressed,
}

/// How a suppressed figure is written, in the manifest and in the bundle's `figures`.
pub const SUPPRESSED: &str = projections::SUPPRESSED;

impl std::fmt::Display for Stated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stated::Value(v) => write!(f, "{v}"),
            Stated::Suppressed => f.write_str(SUPPRESSED),
        }
    }
}

impl std::str::FromStr for Stated {
    type Err = ();
    fn from_str(s: &str) -> Result<Stated, ()> {
        if s == SUPPRESSED {
            Ok(Stated::Suppressed)
        } else {
            s.parse().map(Stated::Value).map_err(|_| ())
        }
    }
}

impl Serialize for Stated {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Stated::Value(v) => s.serialize_u64(*v),
            Stated::Suppressed => s.serialize_str(SUPPRESSED),
        }
    }
}

impl<'de> Deserialize<'de> for Stated {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Stated, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_u64()
                .map(Stated::Value)
                .ok_or_else(|| serde::de::Error::custom("a figure is a whole number")),
            Value::String(s) if s == SUPPRESSED => Ok(Stated::Suppressed),
            _ => Err(serde::de::Error::custom(
                "a figure is a whole number or \"*\"",
            )),
        }
    }
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

/// The figures of [`BY_FIELD`] that count persons (one registration, one person), protected as
/// small cells.
const PERSONS_BY_FIELD: &[&str] = &["registered-by-sex"];

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

/// Every figure of `events`, exact, by name: `events:<type>` (events recorded of each type),
/// `persons-registered`, `mediation-sessions`, the counts of [`BY_FIELD`], the sums of
/// [`SUMS`], and the monitoring template's tables (`tables.rs`).
pub fn compute(events: &[FigureEvent<'_>]) -> BTreeMap<String, Recomputed> {
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
    let (table_values, table_missing) = tables::table_figures(events, None);
    values.extend(
        table_values
            .into_iter()
            .map(|(name, value)| (name, value.unwrap_or(0))),
    );
    missing.extend(table_missing);
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
        for (name, value) in out.iter_mut() {
            if table_of(name) == figure {
                *value = not_provable.clone();
            }
        }
        out.entry(figure.to_string()).or_insert(not_provable);
    }
    out
}

/// The table a figure's name belongs to: the name before its codes (`:`) and its measure
/// (`.`).
pub fn table_of(name: &str) -> &str {
    let figure = name.split(':').next().unwrap_or_default();
    figure.split('.').next().unwrap_or_default()
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

/// The desk's figures: every one it knows from its records, small cells suppressed under
/// `min_cell` (with secondary suppression, `projections::suppress`); a table some of whose
/// records lack a field is not stated.
pub fn stated(events: &[FigureEvent<'_>], min_cell: u32) -> BTreeMap<String, Stated> {
    let exact = compute(events);
    let (protected, _) = tables::table_figures(events, Some(min_cell));
    let mut out: BTreeMap<String, Stated> = BTreeMap::new();
    for (name, value) in exact {
        let Recomputed::Value(v) = value else {
            continue;
        };
        let stated = match protected.get(&name) {
            Some(None) => Stated::Suppressed,
            _ => Stated::Value(v),
        };
        out.insert(name, stated);
    }
    for figure in PERSONS_BY_FIELD {
        let prefix = format!("{figure}:");
        let rows: Vec<(String, u64)> = out
            .iter()
            .filter(|(name, _)| name.starts_with(&prefix))
            .filter_map(|(name, v)| match v {
                Stated::Value(v) => Some((name.clone(), *v)),
                Stated::Suppressed => None,
            })
            .collect();
        let keys: Vec<Vec<&str>> = rows
            .iter()
            .map(|(name, _)| name.split(':').skip(1).collect())
            .collect();
        let people: Vec<u64> = rows.iter().map(|(_, v)| *v).collect();
        let hidden = projections::suppress(&keys, &people, u64::from(min_cell));
        for ((name, _), hide) in rows.iter().zip(hidden) {
            if hide {
                out.insert(name.clone(), Stated::Suppressed);
            }
        }
    }
    out
}

/// What `impact bundle verify --report` finds of a bundle's figures.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FigureReport {
    /// Figures stated (values and suppressed cells alike).
    pub stated: usize,
    /// What the proven events or the small-cell rule contradict, each naming its figure: a
    /// bundle with any is not what the desk's records make.
    pub contradicted: Vec<String>,
    /// Figures the bundle cannot prove (a field some event does not disclose), each named
    /// with why: neither confirmed nor contradicted.
    pub not_provable: Vec<String>,
}

/// The figures the signed manifest states against the recomputed ones, and the small-cell
/// protection under `min_cell` (none checked when `None`: a bundle made before it).
pub fn compare(
    stated: &BTreeMap<String, Stated>,
    recomputed: &BTreeMap<String, Recomputed>,
    min_cell: Option<u32>,
) -> FigureReport {
    let mut report = FigureReport {
        stated: stated.len(),
        ..FigureReport::default()
    };
    let table_not_provable = |name: &str| {
        recomputed
            .get(table_of(name))
            .filter(|r| matches!(r, Recomputed::NotProvable { .. }))
    };
    for (name, value) in stated {
        let found = recomputed.get(name).or_else(|| table_not_provable(name));
        match (value, found) {
            (_, Some(Recomputed::NotProvable { missing, field })) => {
                report.not_provable.push(format!(
                    "figure {name}: not provable from the bundle ({missing} events without a proven {field})"
                ))
            }
            (Stated::Value(value), Some(Recomputed::Value(v))) if v == value => {}
            (Stated::Value(value), Some(Recomputed::Value(v))) => {
                report.contradicted.push(format!(
                    "figure {name}: the manifest says {value}, the proven events give {v}"
                ))
            }
            (Stated::Value(value), None) => report.contradicted.push(format!(
                "figure {name}: the manifest says {value}, the proven events give 0"
            )),
            (Stated::Suppressed, Some(Recomputed::Value(_))) => {}
            (Stated::Suppressed, None) => report.contradicted.push(format!(
                "figure {name}: suppressed, but the proven events make no such cell"
            )),
        }
    }
    for (name, value) in recomputed {
        if let (Recomputed::Value(v), false) = (value, stated.contains_key(name)) {
            report.contradicted.push(format!(
                "figure {name}: the proven events give {v}, the manifest states none"
            ));
        }
    }
    if let Some(k) = min_cell {
        check_protection(stated, recomputed, u64::from(k), &mut report.contradicted);
    }
    report
}

/// The small-cell rule, checked on what the manifest states (docs/VERIFYING.md, "Small cells"):
/// a shown cell that certainly counts from 1 to fewer than `k` persons is named; so is a shown
/// cell that the secondary suppression would have taken, given the cells that certainly count
/// a person; and where the bundle proves every row of a table whose cells are persons
/// (`registered-by-sex`), the suppressed cells are exactly those the rule suppresses.
fn check_protection(
    stated: &BTreeMap<String, Stated>,
    recomputed: &BTreeMap<String, Recomputed>,
    k: u64,
    problems: &mut Vec<String>,
) {
    for table in PERSONS_BY_FIELD.iter().chain(tables::COUNTS_PERSONS) {
        // The rows of the table: codes, then the names and values of their measures.
        let mut rows: BTreeMap<Vec<&str>, Vec<(&str, Stated)>> = BTreeMap::new();
        for (name, value) in stated {
            let codes: Vec<&str> = name.split(':').skip(1).collect();
            if table_of(name) == *table && !codes.is_empty() {
                rows.entry(codes).or_default().push((name, *value));
            }
        }
        let keys: Vec<Vec<&str>> = rows.keys().cloned().collect();
        let mut hidden = Vec::new();
        // Rows that certainly count at least one person, shown or not.
        let mut counted = Vec::new();
        for (codes, cells) in &rows {
            let suppressed = cells
                .iter()
                .filter(|(_, v)| *v == Stated::Suppressed)
                .count();
            if suppressed != 0 && suppressed != cells.len() {
                problems.push(format!(
                    "figure {}: its row is suppressed in some measures and shown in others",
                    cells[0].0
                ));
            }
            hidden.push(suppressed != 0);
            let (persons_at_most, at_least_one) = persons_bounds(table, codes, cells);
            counted.push(at_least_one);
            if let (Some(n), true) = (persons_at_most, at_least_one) {
                if n < k {
                    problems.push(format!(
                        "figure {}: shows a cell of {n}, which counts from 1 to {n} persons, fewer than the threshold {k}: the rule suppresses it",
                        cells[0].0
                    ));
                }
            }
        }
        // Secondary suppression: the rule takes a second cell (one that counts a person) from
        // every line, and from the whole table, that has one suppressed cell only.
        let people: Vec<u64> = counted.iter().map(|c| if *c { k } else { 0 }).collect();
        let closed = projections::suppress_from(&keys, &people, &hidden, k);
        if closed != hidden {
            let lone: Vec<&str> = rows
                .values()
                .zip(&hidden)
                .filter(|(_, h)| **h)
                .map(|(cells, _)| cells[0].0)
                .collect();
            problems.push(format!(
                "figures of {table}: a line (or the whole table) has one suppressed cell only among {lone:?}, which the total minus the other cells gives back: the rule suppresses a second one"
            ));
        }
        if PERSONS_BY_FIELD.contains(table) {
            check_pattern(table, stated, recomputed, k, problems);
        }
    }
}

/// How many persons a row of a protected table counts at most (`None`: not known), and whether
/// it certainly counts one: a registration is a person; an intake or an intervention names one
/// (a mediation session may name none), so a contacts row counts from 1 to its contacts.
fn persons_bounds(table: &str, codes: &[&str], cells: &[(&str, Stated)]) -> (Option<u64>, bool) {
    let value = |measure: &str| {
        cells.iter().find_map(|(name, v)| match v {
            Stated::Value(v) if name.split(':').next()?.ends_with(measure) => Some(*v),
            _ => None,
        })
    };
    if PERSONS_BY_FIELD.contains(&table) {
        let v = value(table);
        return (v, v.is_none_or(|v| v > 0));
    }
    let names_a_person = codes
        .first()
        .is_some_and(|activity| *activity != "mediation");
    (value(".contacts"), names_a_person)
}

/// Where the bundle proves every row of a table of persons: the suppressed cells are exactly
/// the rule's.
fn check_pattern(
    table: &str,
    stated: &BTreeMap<String, Stated>,
    recomputed: &BTreeMap<String, Recomputed>,
    k: u64,
    problems: &mut Vec<String>,
) {
    if recomputed
        .get(table)
        .is_some_and(|r| matches!(r, Recomputed::NotProvable { .. }))
    {
        return;
    }
    let prefix = format!("{table}:");
    let proven: Vec<(Vec<&str>, u64, &str)> = recomputed
        .iter()
        .filter(|(name, _)| name.starts_with(&prefix))
        .filter_map(|(name, r)| match r {
            Recomputed::Value(v) => Some((name.split(':').skip(1).collect(), *v, name.as_str())),
            Recomputed::NotProvable { .. } => None,
        })
        .collect();
    let keys: Vec<Vec<&str>> = proven.iter().map(|(key, _, _)| key.clone()).collect();
    let people: Vec<u64> = proven.iter().map(|(_, v, _)| *v).collect();
    let rule = projections::suppress(&keys, &people, k);
    let named = |name: &str| {
        problems
            .iter()
            .any(|p| p.starts_with(&format!("figure {name}:")))
    };
    let mut found = Vec::new();
    for ((_, _, name), hide) in proven.iter().zip(rule) {
        match (stated.get(*name), hide) {
            (Some(Stated::Value(_)), true) if !named(name) => found.push(format!(
                "figure {name}: shown, but the rule suppresses it (threshold {k})"
            )),
            (Some(Stated::Suppressed), false) => found.push(format!(
                "figure {name}: suppressed, but the rule shows it (threshold {k})"
            )),
            _ => {}
        }
    }
    problems.extend(found);
}
