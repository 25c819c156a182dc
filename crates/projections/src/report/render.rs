//! A template's tables from the facts: grouped, labelled, and with small cells suppressed
//! (`docs/adr/0013`).
//!
//! Small cells: outside the desk, a row whose people (distinct persons; survey responses for
//! satisfaction) are more than none and fewer than the threshold is suppressed: every figure of
//! the row is written as the mark. Secondary suppression then makes sure no suppressed row can
//! be given back by a difference: along every line of the table (the rows that share all the
//! grouping codes but one, whose sum other tables and the total publish), a line with exactly
//! one suppressed row gets its smallest other row suppressed too, until no line has exactly one.
//! A total under the threshold is suppressed. Sources that count no persons (group activities,
//! information material, anonymous survey responses) are never suppressed. Inside the desk (`min_cell: None`) every figure
//! is exact.

use std::collections::{BTreeMap, BTreeSet};

use domain::PersonId;

use super::facts::{Fact, Source};
use super::template::{Lang, TableSpec, Template};
use super::vocabulary::words;

/// What a suppressed figure is written as.
pub const SUPPRESSED: &str = "*";

/// The small-cell threshold outside the desk unless told otherwise.
pub const DEFAULT_MIN_CELL: u32 = 5;

/// How to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderOptions {
    pub lang: Lang,
    /// The small-cell threshold; `None`: exact figures, for supervisors inside the desk.
    pub min_cell: Option<u32>,
}

/// One table as rendered: file name, title, header and rows of cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedTable {
    pub name: String,
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Rows suppressed, primary and secondary (the total row included).
    pub suppressed: u32,
}

/// A table's figures before they are written: each row's codes and measures, `None` where
/// suppressed. What a desk signs for the region (`desk::region`), and what the region sums.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableFigures {
    /// The table's name in its template.
    pub name: String,
    /// The rows in the template's order.
    pub rows: Vec<RowFigures>,
    /// The total row (its key empty).
    pub total: RowFigures,
    /// Labels the facts brought for their own codes (a survey definition's items), so that
    /// whoever writes the figures (the region, from a desk's signed figures) labels them alike.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<CodeLabel>,
}

/// The label and place in its dimension's order of one code a fact brought.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CodeLabel {
    pub dimension: String,
    pub code: String,
    pub order: usize,
    pub label: domain::Label,
}

/// Where a code comes among the codes of its dimension the facts labelled.
fn named<'l>(labels: &'l [CodeLabel], dimension: &str, code: &str) -> Option<&'l CodeLabel> {
    labels
        .iter()
        .find(|l| l.dimension == dimension && l.code == code)
}

/// One row's figures.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowFigures {
    /// The codes of the table's `group_by`, in its order (empty for the total).
    pub key: Vec<String>,
    /// Raw measures by name (`persons`, `contacts`, `minutes`, `responses`, ...); `None` when
    /// the row is suppressed.
    pub figures: Option<BTreeMap<String, u64>>,
}

impl RowFigures {
    /// The people a small-cell rule protects in a row (0 when suppressed).
    pub fn people(&self, source: Source) -> u64 {
        let name = match source {
            Source::Satisfaction => "responses",
            _ => "persons",
        };
        self.figures
            .as_ref()
            .and_then(|f| f.get(name))
            .copied()
            .unwrap_or(0)
    }
}

/// The facts of one group of rows.
#[derive(Default)]
struct Cell {
    persons: BTreeSet<PersonId>,
    sums: BTreeMap<&'static str, u64>,
}

impl Cell {
    fn add(&mut self, f: &Fact) {
        if let Some(p) = f.person {
            self.persons.insert(p);
        }
        for (name, v) in &f.values {
            *self.sums.entry(name).or_default() += v;
        }
    }

    /// The people a small-cell rule protects.
    fn people(&self, source: Source) -> u64 {
        match source {
            Source::Satisfaction => self.sums.get("responses").copied().unwrap_or(0),
            _ => u64::try_from(self.persons.len()).unwrap_or(u64::MAX),
        }
    }

    /// The raw measures, distinct persons counted as `persons`.
    fn figures(&self) -> BTreeMap<String, u64> {
        let mut out: BTreeMap<String, u64> = self
            .sums
            .iter()
            .map(|(name, v)| ((*name).to_string(), *v))
            .collect();
        out.insert(
            "persons".into(),
            u64::try_from(self.persons.len()).unwrap_or(u64::MAX),
        );
        out
    }
}

/// A column's figure from a row's raw measures.
fn measure(figures: &BTreeMap<String, u64>, name: &str, served: u64) -> String {
    let sum = |n: &str| figures.get(n).copied().unwrap_or(0);
    match name {
        "hours" => decimal(sum("minutes") as f64 / 60.0),
        "persons_served" => served.to_string(),
        "mean" => match sum("answers") {
            0 => String::new(),
            d => decimal(sum("score_sum") as f64 / d as f64),
        },
        "response_rate" => match served {
            0 => String::new(),
            d => decimal(sum("responses") as f64 / d as f64),
        },
        other => sum(other).to_string(),
    }
}

impl Template {
    /// The code of `dimension` (or grouping) for a fact; `None` when a grouping takes it nowhere.
    fn code_of<'f>(&'f self, dimension: &str, fact: &'f Fact) -> Option<&'f str> {
        let base = fact.dim(self.base_dimension(dimension));
        match self.groupings.get(dimension) {
            None => Some(base),
            Some(g) => g
                .groups
                .iter()
                .find(|gr| gr.members.iter().any(|m| m == base))
                .map(|gr| gr.code.as_str()),
        }
    }

    /// The label of a code of a dimension (or grouping) in `lang`.
    pub fn label(&self, dimension: &str, code: &str, lang: Lang) -> String {
        if let Some(t) = self.values.get(dimension).and_then(|v| v.get(code)) {
            return t.get(lang).to_string();
        }
        if let Some(g) = self.groupings.get(dimension) {
            if let Some(gr) = g.groups.iter().find(|gr| gr.code == code) {
                return gr.label.get(lang).to_string();
            }
        }
        words(dimension)
            .and_then(|w| w.iter().find(|(c, _, _)| *c == code))
            .map_or(code.to_string(), |(_, it, en)| match lang {
                Lang::It => it.to_string(),
                Lang::En => en.to_string(),
            })
    }

    /// A code's label: the template's own values first, then what the facts brought, then
    /// [`Template::label`].
    fn label_named(&self, labels: &[CodeLabel], dimension: &str, code: &str, lang: Lang) -> String {
        match named(labels, self.base_dimension(dimension), code) {
            Some(l) if !self.values.contains_key(dimension) => match lang {
                Lang::It => l.label.it.clone(),
                Lang::En => l.label.en.clone().unwrap_or_else(|| l.label.it.clone()),
            },
            _ => self.label(dimension, code, lang),
        }
    }

    /// A code's place: what the facts brought first, then [`Template::rank`].
    fn rank_named(&self, labels: &[CodeLabel], dimension: &str, code: &str) -> (usize, String) {
        match named(labels, self.base_dimension(dimension), code) {
            Some(l) => (l.order, code.to_string()),
            None => self.rank(dimension, code),
        }
    }

    /// Where a code comes in a dimension's order: a grouping's order, the vocabulary's, then
    /// the code's (citizenship and free text by code).
    fn rank(&self, dimension: &str, code: &str) -> (usize, String) {
        let position = if let Some(g) = self.groupings.get(dimension) {
            g.groups.iter().position(|gr| gr.code == code)
        } else if dimension == "citizenship" {
            None
        } else if dimension == "household_size" {
            return (code.parse().unwrap_or(usize::MAX), code.to_string());
        } else {
            words(dimension).and_then(|w| w.iter().position(|(c, _, _)| *c == code))
        };
        (position.unwrap_or(usize::MAX), code.to_string())
    }

    /// One table from the facts of its source (already those of its period and site).
    pub fn render_table(
        &self,
        spec: &TableSpec,
        facts: &[Fact],
        options: RenderOptions,
    ) -> RenderedTable {
        let figures = self.table_figures(spec, facts, options.min_cell);
        self.write_table(spec, &figures, options.lang)
    }

    /// A table's figures from the facts of its source, small cells suppressed under
    /// `min_cell` (`None`: exact).
    pub fn table_figures(
        &self,
        spec: &TableSpec,
        facts: &[Fact],
        min_cell: Option<u32>,
    ) -> TableFigures {
        // The labels and order facts bring for their own codes (a survey definition's items).
        let mut labels: Vec<CodeLabel> = Vec::new();
        for f in facts {
            for n in &f.labels {
                let code = f.dim(n.dimension);
                if named(&labels, n.dimension, code).is_none() {
                    labels.push(CodeLabel {
                        dimension: n.dimension.to_string(),
                        code: code.to_string(),
                        order: n.order,
                        label: n.label.clone(),
                    });
                }
            }
        }
        let mut cells: BTreeMap<Vec<(usize, String)>, Cell> = BTreeMap::new();
        let mut total = Cell::default();
        'facts: for f in facts {
            for (dim, allowed) in &spec.filter {
                match self.code_of(dim, f) {
                    Some(code) if allowed.iter().any(|a| a == code) => {}
                    _ => continue 'facts,
                }
            }
            // The satisfaction source's count of persons served has no dimension: it belongs
            // to the total and to every row alike.
            if f.dims.is_empty() && !spec.group_by.is_empty() {
                total.add(f);
                continue;
            }
            let mut key = Vec::with_capacity(spec.group_by.len());
            for dim in &spec.group_by {
                match self.code_of(dim, f) {
                    Some(code) => key.push(self.rank_named(&labels, dim, code)),
                    None => continue 'facts,
                }
            }
            cells.entry(key).or_default().add(f);
            total.add(f);
        }
        let keys: Vec<Vec<(usize, String)>> = cells.keys().cloned().collect();
        let people: Vec<u64> = cells.values().map(|c| c.people(spec.source)).collect();
        let protect = min_cell.filter(|_| spec.source.counts_people());
        let (hidden, total_hidden) = match protect {
            None => (vec![false; keys.len()], false),
            Some(k) => {
                let k = u64::from(k);
                let hidden = suppress(&keys, &people, k);
                let t = total.people(spec.source);
                (hidden, t > 0 && t < k)
            }
        };
        let rows = cells
            .iter()
            .zip(&hidden)
            .map(|((key, cell), hide)| RowFigures {
                key: key.iter().map(|(_, code)| code.clone()).collect(),
                figures: (!hide).then(|| cell.figures()),
            })
            .collect();
        TableFigures {
            name: spec.name.clone(),
            rows,
            total: RowFigures {
                key: Vec::new(),
                figures: (!total_hidden).then(|| total.figures()),
            },
            labels,
        }
    }

    /// Sorts a table's rows in the template's order of their codes (rows summed over desks
    /// come in any order).
    pub fn sort_rows(&self, spec: &TableSpec, labels: &[CodeLabel], rows: &mut [RowFigures]) {
        rows.sort_by_cached_key(|r| {
            spec.group_by
                .iter()
                .zip(&r.key)
                .map(|(dim, code)| self.rank_named(labels, dim, code))
                .collect::<Vec<_>>()
        });
    }

    /// Writes a table's figures: labels and codes of the grouping, the columns' figures, the
    /// suppressed rows as the mark.
    pub fn write_table(
        &self,
        spec: &TableSpec,
        figures: &TableFigures,
        lang: Lang,
    ) -> RenderedTable {
        // Persons served (satisfaction) is one figure of the period, the same on every row.
        let served = figures
            .total
            .figures
            .as_ref()
            .and_then(|f| f.get("persons_served"))
            .copied()
            .unwrap_or(0);
        let mut header = Vec::new();
        for c in &spec.columns {
            let label = c.label.get(lang);
            header.push(label.to_string());
            if spec.group_by.contains(&c.field) {
                header.push(match lang {
                    Lang::It => format!("{label} (codice)"),
                    Lang::En => format!("{label} (code)"),
                });
            }
        }
        let mut rows = Vec::new();
        let write = |row: &RowFigures| {
            let mut cells = Vec::new();
            let is_total = row.key.is_empty();
            for c in &spec.columns {
                if let Some(i) = spec.group_by.iter().position(|d| *d == c.field) {
                    if is_total {
                        cells.push(if i == 0 {
                            total_label(lang)
                        } else {
                            String::new()
                        });
                        cells.push(if i == 0 {
                            "total".into()
                        } else {
                            String::new()
                        });
                    } else {
                        let code = row.key.get(i).map_or("", String::as_str);
                        cells.push(self.label_named(&figures.labels, &c.field, code, lang));
                        cells.push(code.to_string());
                    }
                } else {
                    cells.push(match &row.figures {
                        None => SUPPRESSED.to_string(),
                        Some(f) => measure(f, &c.field, served),
                    });
                }
            }
            cells
        };
        // Without grouping, the one row is the total.
        let mut shown = 0;
        if !spec.group_by.is_empty() {
            for row in &figures.rows {
                rows.push(write(row));
                shown += usize::from(row.figures.is_none());
            }
        }
        if spec.total || spec.group_by.is_empty() {
            rows.push(write(&figures.total));
        }
        let suppressed = shown + usize::from(figures.total.figures.is_none());
        RenderedTable {
            name: spec.name.clone(),
            title: spec.title.get(lang).to_string(),
            header,
            rows,
            suppressed: u32::try_from(suppressed).unwrap_or(u32::MAX),
        }
    }
}

/// Which rows to suppress: primary (people more than none and fewer than `k`), then secondary
/// along every line (and the whole table, whose sum is the total) until none has exactly one
/// suppressed row.
pub fn suppress<K: PartialEq + Clone>(keys: &[Vec<K>], people: &[u64], k: u64) -> Vec<bool> {
    suppress_from(keys, people, &vec![false; keys.len()], k)
}

/// [`suppress`], with rows already suppressed (`hidden`: a desk's suppressed row in a sum over
/// desks, whose figure is unknown).
pub fn suppress_from<K: PartialEq + Clone>(
    keys: &[Vec<K>],
    people: &[u64],
    hidden: &[bool],
    k: u64,
) -> Vec<bool> {
    let mut hidden: Vec<bool> = people
        .iter()
        .zip(hidden)
        .map(|(n, h)| *h || (*n > 0 && *n < k))
        .collect();
    let dims = keys.first().map_or(0, Vec::len);
    loop {
        let mut changed = false;
        for d in 0..dims {
            // Lines along dimension d: the rows that agree on every other dimension.
            let mut seen = vec![false; keys.len()];
            for i in 0..keys.len() {
                if seen[i] {
                    continue;
                }
                let line: Vec<usize> = (i..keys.len())
                    .filter(|j| (0..dims).all(|e| e == d || keys[*j][e] == keys[i][e]))
                    .collect();
                for j in &line {
                    seen[*j] = true;
                }
                if line.iter().filter(|j| hidden[**j]).count() != 1 {
                    continue;
                }
                let smallest = line
                    .iter()
                    .filter(|j| !hidden[**j] && people[**j] > 0)
                    .min_by_key(|j| people[**j]);
                if let Some(j) = smallest {
                    hidden[*j] = true;
                    changed = true;
                }
            }
        }
        // The whole table is a line too: its sum is the total row. A row alone in each of its
        // lines, and the only one suppressed, would come back as the total minus the others.
        if dims > 1 && hidden.iter().filter(|h| **h).count() == 1 {
            let smallest = (0..keys.len())
                .filter(|j| !hidden[*j] && people[*j] > 0)
                .min_by_key(|j| people[*j]);
            if let Some(j) = smallest {
                hidden[j] = true;
                changed = true;
            }
        }
        if !changed {
            return hidden;
        }
    }
}

fn total_label(lang: Lang) -> String {
    match lang {
        Lang::It => "Totale".into(),
        Lang::En => "Total".into(),
    }
}

/// Up to four decimals, without trailing zeros: `0.75`, `5`, `0.6667`.
pub fn decimal(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::suppress;

    /// A row alone in each of its lines, the only one under the threshold: the total minus the
    /// others would give it back, so another row goes with it.
    #[test]
    fn a_row_alone_in_its_lines_is_not_given_back_by_the_total() {
        let keys = vec![vec!["a", "x"], vec!["b", "y"], vec!["c", "z"]];
        assert_eq!(suppress(&keys, &[2, 10, 12], 5), vec![true, true, false]);
    }
}
