//! `regionReport`: a shipped report template (`templates/*.toml`, `docs/adr/0013`) rendered for
//! a period. Evaluators get small cells suppressed (threshold 5 unless `minCell` is larger);
//! supervisors, inside the desk, get exact figures unless they ask for `minCell`.

use async_graphql::{Context, Object, Result, SimpleObject};
use desk::projections::{
    Lang, Period, RenderOptions, Span, Template, DEFAULT_MIN_CELL, SHIPPED_TEMPLATES,
};
use domain::Role;

use crate::access::{self, Allow};
use crate::error;
use crate::read_models::{with_models, AsOfInput};

/// One table of a report, as its CSV file has it.
#[derive(SimpleObject)]
pub struct ReportTable {
    /// The file name without `.csv`.
    pub name: String,
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Rows suppressed as small cells (primary and secondary).
    pub suppressed: u32,
}

/// A template's report: the `informazioni` table first (template, period, threshold, bands).
#[derive(SimpleObject)]
pub struct RegionReport {
    pub template: String,
    pub version: String,
    /// The small-cell threshold applied; null: exact figures (supervisors only).
    pub min_cell: Option<u32>,
    pub suppressed: u32,
    pub tables: Vec<ReportTable>,
}

#[derive(Default)]
pub struct RegionReportQuery;

#[Object]
impl RegionReportQuery {
    /// A shipped report template (`fami-trimestrale`, quarterly; `monitoraggio-mensile`,
    /// monthly) rendered for a period, labels in Italian (`lang: "en"` for English). Evaluators
    /// and supervisors; evaluators always get small cells suppressed.
    #[graphql(guard = "Allow(access::EVALUATION)")]
    // The field's GraphQL arguments, one parameter each.
    #[allow(clippy::too_many_arguments)]
    async fn region_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "fami-trimestrale or monitoraggio-mensile.")] template: String,
        #[graphql(desc = "yyyy-Qn for a quarterly template, yyyy-mm for a monthly one.")]
        period: String,
        #[graphql(desc = "it (the default) or en.")] lang: Option<String>,
        #[graphql(
            desc = "Small-cell threshold (at least 2). Evaluators: 5 unless larger; supervisors: exact figures when omitted."
        )]
        min_cell: Option<u32>,
        #[graphql(desc = "Site slug; all sites when omitted.")] site: Option<String>,
        as_of: Option<AsOfInput>,
    ) -> Result<RegionReport> {
        let text = SHIPPED_TEMPLATES
            .iter()
            .find(|(name, _)| *name == template)
            .map(|(_, text)| *text)
            .ok_or_else(|| {
                error::bad_input(format!(
                    "template must be fami-trimestrale or monitoraggio-mensile, got {template:?}"
                ))
            })?;
        let t = Template::parse(text).map_err(|e| error::bad_input(e.to_string()))?;
        let period = match t.span {
            Span::Quarter => Period::parse_quarter(&period),
            Span::Month => Period::parse_month(&period),
        }
        .map_err(|e| error::bad_input(e.to_string()))?;
        let lang = match lang.as_deref() {
            None => Lang::It,
            Some(l) => Lang::parse(l)
                .ok_or_else(|| error::bad_input(format!("lang must be it or en, got {l:?}")))?,
        };
        if min_cell.is_some_and(|k| k < 2) {
            return Err(error::bad_input("minCell must be at least 2"));
        }
        let role = access::principal(ctx)?.actor.role;
        let min_cell = match role {
            Role::Supervisor => min_cell,
            _ => Some(min_cell.unwrap_or(DEFAULT_MIN_CELL).max(DEFAULT_MIN_CELL)),
        };
        let site = site.map(domain::SiteId::new);
        if site.as_ref().is_some_and(|s| !s.is_valid()) {
            return Err(error::bad_input("site must be a site slug"));
        }
        let options = RenderOptions { lang, min_cell };
        let report = with_models(ctx, as_of, |m| {
            m.render_template(&t, &period, site.as_ref(), options)
        })
        .await?;
        Ok(RegionReport {
            template: t.name.clone(),
            version: t.version.clone(),
            min_cell,
            suppressed: report.suppressed,
            tables: report
                .tables
                .into_iter()
                .map(|r| ReportTable {
                    name: r.name,
                    title: r.title,
                    header: r.header,
                    rows: r.rows,
                    suppressed: r.suppressed,
                })
                .collect(),
        })
    }
}
