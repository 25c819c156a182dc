//! Report templates: the region's format as a file (`templates/*.toml`, `docs/adr/0013`), not
//! as code. A template names its tables, each with the facts it groups ([`Source`]), the
//! dimensions it groups them by, the columns in their order with their labels (Italian, and
//! English when given), filters, a total row, and whether it counts from the project's start.
//! Groupings regroup a dimension's codes into the funder's bands.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

use super::facts::Source;

/// The version of the template file format this code reads (the `format` key).
pub const TEMPLATE_FORMAT: u32 = 1;

/// The language labels are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    /// Italian, the region's language (the default).
    #[default]
    It,
    En,
}

impl Lang {
    /// `it` or `en`.
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "it" => Some(Lang::It),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// A text in Italian, and optionally English (Italian when English is missing).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub it: String,
    #[serde(default)]
    pub en: Option<String>,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::It => &self.it,
            Lang::En => self.en.as_deref().unwrap_or(&self.it),
        }
    }
}

/// How long the template's period is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Span {
    Month,
    Quarter,
}

/// A report template, as read from its file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The file format's version: [`TEMPLATE_FORMAT`].
    pub format: u32,
    /// A short name (`fami-trimestrale`).
    pub name: String,
    /// The template's own version, as the region numbers it.
    pub version: String,
    pub title: Text,
    pub span: Span,
    /// The project's first day: cumulative tables count from it.
    pub project_start: NaiveDate,
    /// Regroupings of a dimension's codes (the funder's age bands, say), by name.
    #[serde(default)]
    pub groupings: BTreeMap<String, Grouping>,
    /// Names of values that replace the built-in vocabulary, per dimension and code.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, Text>>,
    pub tables: Vec<TableSpec>,
}

/// A dimension whose codes are regrouped: each group has a code, a label and the codes of `from`
/// it takes, in report order.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grouping {
    pub from: String,
    pub groups: Vec<Group>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub code: String,
    pub label: Text,
    pub members: Vec<String>,
}

/// One table of a template.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// The file name (`<name>.csv`).
    pub name: String,
    pub title: Text,
    pub source: Source,
    /// Only facts whose dimension has one of these codes (a grouping's codes for a grouping).
    #[serde(default)]
    pub filter: BTreeMap<String, Vec<String>>,
    /// The dimensions (or groupings) that make the rows, outermost first.
    #[serde(default)]
    pub group_by: Vec<String>,
    pub columns: Vec<ColumnSpec>,
    /// A last row with the figures over all rows (distinct persons, not a sum).
    #[serde(default)]
    pub total: bool,
    /// From the project's start to the period's end, instead of the period.
    #[serde(default)]
    pub cumulative: bool,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// A dimension of `group_by` (written as its label, then its code beside it) or a measure.
    pub field: String,
    pub label: Text,
}

/// What a template file can get wrong: the message names the table and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The file is not TOML of the template's shape: fix the file.
    #[error("the template is not readable: {0}")]
    Syntax(String),
    /// A format this code does not read: use a template of format 1, or a newer `impact`.
    #[error("template format {0} is not supported (this program reads format {TEMPLATE_FORMAT})")]
    Format(u32),
    /// A table names a dimension, grouping or measure its source does not have: fix the file.
    #[error("table {table:?}: {problem}")]
    Table { table: String, problem: String },
}

/// The dimensions of a source.
pub fn dimensions(source: Source) -> &'static [&'static str] {
    match source {
        Source::Beneficiaries => &[
            "citizenship",
            "eligibility",
            "sex",
            "age_band",
            "permit_type",
            "vulnerability",
            "status",
            "household_size",
        ],
        Source::Contacts => &["activity", "site", "eligibility"],
        Source::GroupActivities => &["kind", "site"],
        Source::InformationMaterial => &["item", "language", "channel", "site"],
        Source::Satisfaction => &["definition", "site", "helpful"],
        Source::SurveyItems => &["definition", "item", "scale", "site"],
    }
}

/// The measures of a source (`persons` counts distinct persons; `hours` is `minutes / 60`;
/// `response_rate` is `responses / persons_served`; `mean` is `score_sum / answers`).
pub fn measures(source: Source) -> &'static [&'static str] {
    match source {
        Source::Beneficiaries => &["persons"],
        Source::Contacts => &["contacts", "persons", "minutes", "hours"],
        Source::GroupActivities => &[
            "activities",
            "attendees_third_country",
            "attendees_other",
            "minutes",
            "hours",
        ],
        Source::InformationMaterial => &["distributions", "quantity"],
        Source::Satisfaction => &["responses", "persons_served", "response_rate"],
        Source::SurveyItems => &["answers", "score_sum", "mean"],
    }
}

impl Template {
    /// Reads a template from its TOML text and checks every table against its source.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let t: Template = toml::from_str(text).map_err(|e| TemplateError::Syntax(e.to_string()))?;
        if t.format != TEMPLATE_FORMAT {
            return Err(TemplateError::Format(t.format));
        }
        for g in t.groupings.values() {
            if !Source::ALL
                .iter()
                .any(|s| dimensions(*s).contains(&g.from.as_str()))
            {
                return Err(TemplateError::Table {
                    table: String::new(),
                    problem: format!("a grouping regroups {:?}, which is no dimension", g.from),
                });
            }
        }
        for table in &t.tables {
            t.check(table).map_err(|problem| TemplateError::Table {
                table: table.name.clone(),
                problem,
            })?;
        }
        Ok(t)
    }

    /// The source dimension a dimension or grouping name reads.
    pub fn base_dimension<'a>(&'a self, name: &'a str) -> &'a str {
        self.groupings.get(name).map_or(name, |g| g.from.as_str())
    }

    fn check(&self, table: &TableSpec) -> Result<(), String> {
        let dims = dimensions(table.source);
        let known = |name: &str| dims.contains(&self.base_dimension(name));
        for d in table.group_by.iter().chain(table.filter.keys()) {
            if !known(d) {
                return Err(format!("{d:?} is not a dimension of {:?}", table.source));
            }
        }
        for c in &table.columns {
            let f = c.field.as_str();
            if !(table.group_by.iter().any(|d| d == f) || measures(table.source).contains(&f)) {
                return Err(format!(
                    "column {f:?} is neither a dimension of group_by nor a measure of {:?}",
                    table.source
                ));
            }
        }
        if !is_file_name(&table.name) {
            return Err("a table's name is 1 to 60 of a-z, 0-9 and _".into());
        }
        Ok(())
    }
}

fn is_file_name(name: &str) -> bool {
    (1..=60).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Source {
    pub const ALL: [Source; 6] = [
        Source::Beneficiaries,
        Source::Contacts,
        Source::GroupActivities,
        Source::InformationMaterial,
        Source::Satisfaction,
        Source::SurveyItems,
    ];
}
