//! Several desks' figures of one template summed into the region's (`desk::region`), with the
//! same small-cell protection (`docs/adr/0013`, "Many desks").
//!
//! A desk's signed figures are already protected: its suppressed rows carry no figure. A row of
//! the sum is suppressed when any desk suppressed it (its figure is unknown, and a sum shown
//! beside the other desks' figures would give it back by difference); every other row is the
//! sum of figures the desks published. Then the threshold is applied to the sums, and the same
//! secondary suppression along the lines of each table, so no row of the sum is given back by
//! the regional total minus the others.

use std::collections::BTreeMap;

use super::render::{suppress_from, CodeLabel, RowFigures, TableFigures};
use super::template::Template;

/// The sum over `desks` (each desk's tables of `template`) of every table of the template,
/// protected under `min_cell`. A desk without a table counts as having no rows in it.
pub fn sum_tables(
    template: &Template,
    desks: &[&[TableFigures]],
    min_cell: u32,
) -> Vec<TableFigures> {
    let k = u64::from(min_cell);
    let mut out = Vec::with_capacity(template.tables.len());
    for spec in &template.tables {
        let tables: Vec<&TableFigures> = desks
            .iter()
            .filter_map(|d| d.iter().find(|t| t.name == spec.name))
            .collect();
        let mut rows: BTreeMap<Vec<String>, Option<BTreeMap<String, u64>>> = BTreeMap::new();
        for table in &tables {
            for row in &table.rows {
                let sum = rows
                    .entry(row.key.clone())
                    .or_insert_with(|| Some(BTreeMap::new()));
                add(sum, row.figures.as_ref());
            }
        }
        let mut total = Some(BTreeMap::new());
        for table in &tables {
            add(&mut total, table.total.figures.as_ref());
        }
        let mut rows: Vec<RowFigures> = rows
            .into_iter()
            .map(|(key, figures)| RowFigures { key, figures })
            .collect();
        let mut total = RowFigures {
            key: Vec::new(),
            figures: total,
        };
        if spec.source.counts_people() {
            let keys: Vec<Vec<String>> = rows.iter().map(|r| r.key.clone()).collect();
            let people: Vec<u64> = rows.iter().map(|r| r.people(spec.source)).collect();
            let unknown: Vec<bool> = rows.iter().map(|r| r.figures.is_none()).collect();
            let hidden = suppress_from(&keys, &people, &unknown, k);
            for (row, hide) in rows.iter_mut().zip(hidden) {
                if hide {
                    row.figures = None;
                }
            }
            let t = total.people(spec.source);
            if t > 0 && t < k {
                total.figures = None;
            }
        }
        let mut labels: Vec<CodeLabel> = Vec::new();
        for l in tables.iter().flat_map(|t| &t.labels) {
            if !labels
                .iter()
                .any(|m| m.dimension == l.dimension && m.code == l.code)
            {
                labels.push(l.clone());
            }
        }
        template.sort_rows(spec, &labels, &mut rows);
        out.push(TableFigures {
            name: spec.name.clone(),
            rows,
            total,
            labels,
        });
    }
    out
}

/// Adds a desk's row to a sum: unknown (suppressed) stays unknown.
fn add(sum: &mut Option<BTreeMap<String, u64>>, figures: Option<&BTreeMap<String, u64>>) {
    match (sum.as_mut(), figures) {
        (Some(s), Some(f)) => {
            for (name, v) in f {
                let e = s.entry(name.clone()).or_default();
                *e = e.saturating_add(*v);
            }
        }
        _ => *sum = None,
    }
}
