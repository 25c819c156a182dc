//! The tables of the monthly monitoring template (`templates/monitoraggio-mensile.toml`) that a
//! bundle's events make alone, as manifest figures (docs/VERIFYING.md, "Figures"): grouped and
//! protected by the template's own code (`projections::Template::table_figures`), so that the
//! desk's figures and a verifier's recomputation are made alike.
//!
//! Each event of the period is one fact of its source, its dimensions and measures read from its
//! payload's fields; a verifier has the fields the bundle proves, and no person (no event proves
//! which person it names), so it states no `persons` and recomputes no suppression by persons.
//! The tables that need events before the period (the beneficiaries' profiles, the cumulative
//! count, the survey items' scales) are not claimed.

use std::collections::BTreeMap;

use projections::{Fact, Source, Template, SHIPPED_TEMPLATES};
use serde_json::{Map, Value};

use super::figures::FigureEvent;

/// The template whose tables a bundle's manifest states.
pub const TEMPLATE: &str = "monitoraggio-mensile";

/// The tables claimed, each with the measures the manifest states (in the template's own
/// names; `minutes` for `hours`).
pub const TABLES: &[(&str, &[&str])] = &[
    ("contatti_per_attivita_e_sede", &["contacts", "minutes"]),
    (
        "attivita_di_gruppo",
        &[
            "activities",
            "attendees_third_country",
            "attendees_other",
            "minutes",
        ],
    ),
    ("materiale_informativo", &["distributions", "quantity"]),
    ("gradimento", &["responses"]),
];

/// The tables whose rows count persons, protected as small cells: the desk suppresses by
/// distinct persons, which a verifier cannot count.
pub const COUNTS_PERSONS: &[&str] = &["contatti_per_attivita_e_sede"];

/// A table's figures as the manifest names them: `<table>.<measure>:<code>:<code>` for a row,
/// `<table>.<measure>` for the total; `None` where suppressed.
pub type Named = BTreeMap<String, Option<u64>>;

/// The figures of every claimed table, protected under `min_cell` (`None`: exact), and per
/// table the events that lack a field it needs (how many, and the first field missing).
pub fn table_figures(
    events: &[FigureEvent<'_>],
    min_cell: Option<u32>,
) -> (Named, BTreeMap<&'static str, (u64, &'static str)>) {
    let mut named = Named::new();
    let mut missing = BTreeMap::new();
    let Some(template) = monitoring_template() else {
        return (named, missing);
    };
    for (table, measures) in TABLES {
        let Some(spec) = template.tables.iter().find(|t| t.name == *table) else {
            continue;
        };
        let mut facts = Vec::new();
        for event in events {
            match fact(spec.source, event) {
                None => {}
                Some(Ok(f)) => facts.push(f),
                Some(Err(field)) => missing.entry(*table).or_insert((0, field)).0 += 1,
            }
        }
        let figures = template.table_figures(spec, &facts, min_cell);
        let mut put = |key: &[String], values: Option<&BTreeMap<String, u64>>| {
            for measure in *measures {
                let mut name = format!("{table}.{measure}");
                for code in key {
                    name.push(':');
                    name.push_str(&encode(code));
                }
                named.insert(name, values.map(|v| v.get(*measure).copied().unwrap_or(0)));
            }
        };
        for row in &figures.rows {
            put(&row.key, row.figures.as_ref());
        }
        if spec.total && !figures.rows.is_empty() {
            put(&[], figures.total.figures.as_ref());
        }
    }
    (named, missing)
}

/// The shipped monitoring template (it parses: `projections`' own tests read each shipped one).
fn monitoring_template() -> Option<Template> {
    let (_, text) = SHIPPED_TEMPLATES
        .iter()
        .find(|(name, _)| *name == TEMPLATE)?;
    Template::parse(text).ok()
}

/// A code as it stands in a figure's name: `%`, `:` and white space written `%XX`.
pub fn encode(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    for c in code.chars() {
        if c == '%' || c == ':' || c.is_whitespace() {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A fact's dimensions and measures, by name.
type Dims = Vec<(&'static str, String)>;
type Measures = Vec<(&'static str, u64)>;

/// The fact an event makes for `source`: `None` when the event is not of it, `Err(field)` when
/// a field it needs is not known.
fn fact(source: Source, event: &FigureEvent<'_>) -> Option<Result<Fact, &'static str>> {
    let t = event.event_type;
    let of_source = match source {
        Source::Contacts => {
            matches!(
                t,
                "IntakeRecorded" | "InterventionDelivered" | "MediationSessionHeld"
            )
        }
        Source::GroupActivities => t == "GroupActivityHeld",
        Source::InformationMaterial => t == "InformationMaterialDistributed",
        Source::Satisfaction => t == "SatisfactionSurveyCompleted",
        Source::Beneficiaries | Source::SurveyItems => false,
    };
    if !of_source {
        return None;
    }
    let empty = Map::new();
    let fields = event.fields.unwrap_or(&empty);
    let text = |name: &'static str| -> Result<String, &'static str> {
        match fields.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(Value::Bool(b)) => Ok(b.to_string()),
            _ => Err(name),
        }
    };
    let number = |name: &'static str| fields.get(name).and_then(Value::as_u64).ok_or(name);
    let made = (|| -> Result<Fact, &'static str> {
        let (dims, values): (Dims, Measures) = match t {
            "IntakeRecorded" => (
                vec![("activity", "intake".into()), ("site", text("siteId")?)],
                vec![("contacts", 1), ("minutes", 0)],
            ),
            "InterventionDelivered" => (
                vec![("activity", text("activity")?), ("site", text("siteId")?)],
                vec![("contacts", 1), ("minutes", number("durationMinutes")?)],
            ),
            "MediationSessionHeld" => {
                let at = |name: &'static str| {
                    text(name)
                        .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).map_err(|_| name))
                };
                let minutes = (at("endedAt")? - at("startedAt")?).num_minutes();
                (
                    vec![("activity", "mediation".into()), ("site", text("siteId")?)],
                    vec![
                        ("contacts", 1),
                        ("minutes", u64::try_from(minutes).unwrap_or(0)),
                    ],
                )
            }
            "GroupActivityHeld" => (
                vec![("kind", text("kind")?), ("site", text("siteId")?)],
                vec![
                    ("activities", 1),
                    ("attendees_third_country", number("attendeesThirdCountry")?),
                    ("attendees_other", number("attendeesOther")?),
                    ("minutes", number("durationMinutes")?),
                ],
            ),
            "InformationMaterialDistributed" => (
                vec![
                    ("item", text("item")?),
                    ("language", text("language")?),
                    ("channel", text("channel")?),
                    ("site", text("siteId")?),
                ],
                vec![("distributions", 1), ("quantity", number("quantity")?)],
            ),
            // Satisfaction.
            _ => (
                vec![
                    (
                        "definition",
                        format!("{}/{}", text("definition")?, text("version")?),
                    ),
                    ("site", text("siteId")?),
                    (
                        "helpful",
                        match fields.get("helpfulForIntegration") {
                            Some(Value::Bool(true)) => "yes".into(),
                            Some(Value::Bool(false)) => "no".into(),
                            _ => return Err("helpfulForIntegration"),
                        },
                    ),
                ],
                vec![("responses", 1)],
            ),
        };
        Ok(Fact {
            dims,
            person: event.person,
            values,
            labels: Vec::new(),
        })
    })();
    Some(made)
}
