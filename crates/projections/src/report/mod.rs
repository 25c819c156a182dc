//! Reports in the region's format: report templates (`template.rs`), the facts they group
//! (`facts.rs`), rendering with small-cell protection (`render.rs`), the same protection on the
//! monitoring figures (`monitoring.rs`), k-anonymity for row-level views (`kanon.rs`) and the
//! region's names of the desk's codes (`vocabulary.rs`). See `docs/adr/0013-report-templates-and-small-cells.md`.

mod facts;
mod kanon;
mod monitoring;
mod render;
mod sum;
mod template;
mod vocabulary;

use chrono::{DateTime, Utc};
use domain::{DistributionChannel, InformationMaterialDistributed, SiteId};

pub use facts::{eligibility, Fact, Named, Source, EU_OTHER_THAN_ITALY};
pub use kanon::{citizenship_area, k_anonymise, QuasiIdentifiers, Release};
pub use monitoring::{protect_monitoring, suppressed_row, MonitoringSuppression};
pub use render::{
    decimal, suppress, suppress_from, CodeLabel, RenderOptions, RenderedTable, RowFigures,
    TableFigures, DEFAULT_MIN_CELL, SUPPRESSED,
};
pub use sum::sum_tables;
pub use template::{
    dimensions, measures, ColumnSpec, Group, Grouping, Lang, Span, TableSpec, Template,
    TemplateError, Text, TEMPLATE_FORMAT,
};
pub use vocabulary::words;

use crate::model::ReadModels;
use crate::period::Period;
use crate::sym::Sym;

/// The templates shipped in `templates/`, by name: the quarterly FAMI sheet and the monthly
/// monitoring. `impact report --template FILE` reads any other.
pub const SHIPPED_TEMPLATES: [(&str, &str); 2] = [
    (
        "fami-trimestrale",
        include_str!("../../../../templates/fami-trimestrale.toml"),
    ),
    (
        "monitoraggio-mensile",
        include_str!("../../../../templates/monitoraggio-mensile.toml"),
    ),
];

/// Information material handed out (`InformationMaterialDistributed`).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct MaterialRow {
    pub site: Sym,
    pub at: DateTime<Utc>,
    pub item: String,
    pub language: String,
    pub quantity: u32,
    pub channel: DistributionChannel,
}

impl MaterialRow {
    pub(crate) fn of(e: &InformationMaterialDistributed, site: Sym) -> MaterialRow {
        MaterialRow {
            site,
            at: e.occurred_at,
            item: e.item.clone(),
            language: e.language.clone(),
            quantity: e.quantity,
            channel: e.channel,
        }
    }
}

/// A template's report: first the `informazioni` table (template, period, threshold, bands,
/// suppressed rows), then the template's tables in its order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedReport {
    pub tables: Vec<RenderedTable>,
    /// Rows suppressed over all tables.
    pub suppressed: u32,
    /// The figures of the template's tables (not the `informazioni` table), in its order.
    pub figures: Vec<TableFigures>,
}

impl ReadModels {
    /// Renders `template` for the period (a month or quarter as the template says; the caller
    /// checks) at one site or all.
    pub fn render_template(
        &self,
        template: &Template,
        period: &Period,
        site: Option<&SiteId>,
        options: RenderOptions,
    ) -> RenderedReport {
        let cumulative =
            Period::new(template.project_start.min(period.from), period.to).unwrap_or(*period);
        let mut tables = Vec::new();
        let mut figures = Vec::new();
        for spec in &template.tables {
            let span = if spec.cumulative { &cumulative } else { period };
            let facts = self.report_facts(spec.source, span, site);
            let f = template.table_figures(spec, &facts, options.min_cell);
            tables.push(template.write_table(spec, &f, options.lang));
            figures.push(f);
        }
        let suppressed = tables.iter().map(|t| t.suppressed).sum();
        let info = info_table(template, period, &cumulative, site, options, suppressed);
        tables.insert(0, info);
        RenderedReport {
            tables,
            suppressed,
            figures,
        }
    }
}

fn info_table(
    t: &Template,
    period: &Period,
    cumulative: &Period,
    site: Option<&SiteId>,
    options: RenderOptions,
    suppressed: u32,
) -> RenderedTable {
    let it = options.lang == Lang::It;
    let pick = |i: &str, e: &str| if it { i.to_string() } else { e.to_string() };
    let mut rows = vec![
        vec![pick("Modello", "Template"), format!("{} {}", t.name, t.version)],
        vec![pick("Titolo", "Title"), t.title.get(options.lang).to_string()],
        vec![pick("Periodo dal", "Period from"), period.from.to_string()],
        vec![pick("Periodo al", "Period to"), period.to.to_string()],
        vec![
            pick("Cumulato dal", "Cumulative from"),
            cumulative.from.to_string(),
        ],
        vec![
            pick("Sede", "Site"),
            site.map_or(pick("tutte", "all"), |s| s.as_str().to_string()),
        ],
        vec![
            pick("Soglia celle piccole", "Small-cell threshold"),
            match options.min_cell {
                Some(k) => k.to_string(),
                None => pick(
                    "nessuna: cifre esatte, solo per uso interno",
                    "none: exact figures, for use inside the desk only",
                ),
            },
        ],
        vec![
            pick("Righe soppresse", "Rows suppressed"),
            suppressed.to_string(),
        ],
        vec![
            pick("Segno di soppressione", "Suppression mark"),
            format!(
                "{SUPPRESSED} = {}",
                pick(
                    "meno persone della soglia, o soppresso perché non si ricavi per differenza",
                    "fewer people than the threshold, or suppressed so that no difference gives one back",
                )
            ),
        ],
    ];
    if t.tables.iter().any(|s| s.source == Source::Satisfaction) {
        rows.push(vec![
            pick("Persone servite", "Persons served"),
            pick(
                "persone distinte con almeno un contatto registrato nel periodo (accoglienza, intervento o mediazione): il denominatore del tasso di risposta",
                "distinct persons with at least one contact recorded in the period (intake, intervention or mediation): the response rate's denominator",
            ),
        ]);
    }
    for (name, g) in &t.groupings {
        let bands: Vec<String> = g
            .groups
            .iter()
            .map(|gr| format!("{} = {}", gr.code, gr.members.join(" + ")))
            .collect();
        rows.push(vec![
            format!("{} ({name})", pick("Raggruppamento", "Grouping")),
            bands.join("; "),
        ]);
    }
    RenderedTable {
        name: "informazioni".into(),
        title: pick("Informazioni sul prospetto", "About this report"),
        header: vec![pick("Voce", "Item"), pick("Valore", "Value")],
        rows,
        suppressed: 0,
    }
}
