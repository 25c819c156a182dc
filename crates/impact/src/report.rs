//! `impact report`: the monitoring figures of a period (DOMAIN.md, "What supervisors and
//! evaluators ask of the data") as CSV tables or one JSON object, and the quarterly FAMI
//! beneficiary sheet.
//!
//! Both leave the desk, so by default small cells are protected (docs/adr/0013): the tables'
//! small cells suppressed (`*`, `null` in JSON) with secondary suppression, the FAMI sheet
//! k-anonymous; the output states the threshold first. `--exact` writes exact figures and rows,
//! for use inside the desk only, and says so first.
//!
//! Pure functions from the read models' reports to bytes; the subcommand in `cli.rs` only opens
//! the desk and writes what these return. CSV is UTF-8 with a header row, comma-separated, and
//! numbers written with a dot (`0.75`), ready for a spreadsheet; an empty cell means "no value"
//! (a median over no referrals, say).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use clap::ArgGroup;
use desk::vault::Vault;
use desk::{AsOf, Desk, DeskOptions};
use domain::{PersonId, ServiceId, SiteId};
use projections::{
    citizenship_area, k_anonymise, suppressed_row, BeneficiaryRow, MonitoringReport,
    MonitoringSuppression, Period, ReadModels, Release,
};
use serde_json::Value;

/// `impact report`: the figures of a month (or a quarter) as CSV tables or JSON, or with
/// `--fami` the quarterly FAMI beneficiary sheet.
#[derive(clap::Args, Debug)]
#[command(group(ArgGroup::new("span").required(true).args(["period", "quarter"])))]
pub struct ReportArgs {
    #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
    pub data: PathBuf,
    /// The master key file (default: `<data>.master-key`, beside the data directory). Keep it
    /// outside the data directory and out of its backups.
    #[arg(long, env = "IMPACT_MASTER_KEY_FILE", value_name = "FILE")]
    pub master_key: Option<PathBuf>,
    /// The month of what happened (events by the time they happened, `occurredAt`), written
    /// yyyy-mm (2024-05).
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    pub period: Option<Period>,
    /// The calendar quarter of what happened (by `occurredAt`), written yyyy-Qn (2024-Q2).
    #[arg(long, value_name = "YYYY-QN", value_parser = parse_quarter)]
    pub quarter: Option<Period>,
    /// csv (the default): one table per figure family; json: the whole report as one object.
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// The FAMI beneficiary sheet of the quarter (CSV, one pseudonymised row per beneficiary).
    #[arg(long, conflicts_with = "format")]
    pub fami: bool,
    /// A report template (`templates/fami-trimestrale.toml`, `templates/monitoraggio-mensile.toml`):
    /// the region's tables, columns and labels, one CSV per table (`--out` a directory) or all
    /// on standard output. Its span decides between --period and --quarter.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["format", "fami"])]
    pub template: Option<PathBuf>,
    /// The language of a template's labels: it (the default) or en.
    #[arg(long, value_parser = parse_lang, requires = "template")]
    pub lang: Option<projections::Lang>,
    /// The small-cell threshold (docs/adr/0013): in the tables and a template's report, a row
    /// of fewer people is suppressed (`*`, `null` in JSON), with secondary suppression; in the
    /// FAMI sheet, a row whose citizenship, sex, age band and permit type fewer rows share is
    /// generalised (citizenship as its area) or held back. 5 by default; the output states it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..))]
    pub min_cell: Option<u32>,
    /// Exact figures and rows, nothing suppressed: for supervisors inside the desk only; never
    /// send them out. The output says so first.
    #[arg(long, conflicts_with = "min_cell")]
    pub exact: bool,
    /// Write the template's report as a signed report for the region (`impact region`) to this
    /// file: the figures protected under the threshold, as of the latest recorded checkpoint,
    /// signed with the installation key (docs/VERIFYING.md, "Signed reports").
    #[arg(long, value_name = "FILE", requires = "template", conflicts_with_all = ["exact", "site", "as_of", "out", "lang"])]
    pub signed: Option<PathBuf>,
    /// Only this site (a slug such as montelucci-4); all sites by default.
    #[arg(long, value_parser = parse_site)]
    pub site: Option<SiteId>,
    /// csv: a directory (created if missing) getting one file per table; json and --fami: a
    /// file. Standard output by default (CSV tables each after a `# name` line).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// What was known then: only the events the journal had recorded by this moment count (by
    /// the time they were recorded, `recordedAt`, not when they happened): a date-time
    /// (2024-06-01T09:00:00Z), a date (everything recorded by the end of that UTC day), or a
    /// journal position. Now by default.
    #[arg(long, value_name = "WHEN", value_parser = parse_as_of)]
    pub as_of: Option<AsOf>,
}

/// `impact replay`: the monitoring figures of what happened in a month, as they stood at a past
/// moment (what had been recorded by then).
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
    pub data: PathBuf,
    /// The master key file (default: `<data>.master-key`, beside the data directory). Keep it
    /// outside the data directory and out of its backups.
    #[arg(long, env = "IMPACT_MASTER_KEY_FILE", value_name = "FILE")]
    pub master_key: Option<PathBuf>,
    /// What was known then: only the events the journal had recorded by this moment count (by
    /// the time they were recorded, `recordedAt`, not when they happened): a date-time
    /// (2024-06-01T09:00:00Z), a date (everything recorded by the end of that UTC day), or a
    /// journal position.
    #[arg(long, value_name = "WHEN", value_parser = parse_as_of)]
    pub as_of: AsOf,
    /// The month of what happened (events by the time they happened, `occurredAt`), yyyy-mm;
    /// by default the month of `--as-of` (for a position, the month it was recorded in).
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    pub period: Option<Period>,
    /// Only this site; all sites by default.
    #[arg(long, value_parser = parse_site)]
    pub site: Option<SiteId>,
    /// The whole report as one JSON object instead of the CSV tables.
    #[arg(long)]
    pub json: bool,
    /// The small-cell threshold, as for `impact report`; 5 by default.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..))]
    pub min_cell: Option<u32>,
    /// Exact figures: for supervisors inside the desk only; never send them out.
    #[arg(long, conflicts_with = "min_cell")]
    pub exact: bool,
}

/// The threshold `--min-cell` and `--exact` ask for: `None` for exact figures.
pub(crate) fn threshold(min_cell: Option<u32>, exact: bool) -> Option<u32> {
    (!exact).then(|| min_cell.unwrap_or(projections::DEFAULT_MIN_CELL))
}

/// Parses `--as-of`: a journal position, a date-time with offset, or a date (its end, UTC).
pub fn parse_as_of(text: &str) -> Result<AsOf, String> {
    if let Ok(position) = text.parse::<u64>() {
        return Ok(AsOf::Position(journal::Position(position)));
    }
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(AsOf::Time(at.with_timezone(&chrono::Utc)));
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let end = day
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc() - chrono::TimeDelta::microseconds(1));
        if let Some(end) = end {
            return Ok(AsOf::Time(end));
        }
    }
    Err(format!(
        "{text:?} is not a moment: give a date-time (2024-06-01T09:00:00Z), a date (2024-05-31) or a journal position (1234)"
    ))
}

/// Runs `impact replay`.
pub fn replay(args: &ReplayArgs) -> Result<()> {
    let site = args.site.as_ref();
    let min_cell = threshold(args.min_cell, args.exact);
    let (position, report, tables) = with_models_as_of(
        &args.data,
        args.master_key.as_deref(),
        Some(args.as_of),
        |m| {
            let period = args.period.unwrap_or_else(|| {
                let when = match args.as_of {
                    AsOf::Time(at) => at,
                    AsOf::Position(_) => m
                        .audit_entry(m.position())
                        .and_then(|e| e.recorded_at.to_datetime())
                        .unwrap_or_default(),
                };
                Period::month(projections::Month::of(domain::state::desk_day(when)))
            });
            let report = m.monitoring(&period, site);
            let hide = projections::protect_monitoring(&report, min_cell);
            let tables = monthly_tables(&report, &hide, &|id| {
                m.service(id).map(|s| s.description.name)
            });
            (m.position(), (report, hide), tables)
        },
    )?;
    let (report, hide) = report;
    eprintln!(
        "figures of {} to {} as they stood at journal position {}",
        report.period.from, report.period.to, position
    );
    if args.json {
        let mut text = report_json(&report, &hide).context("cannot write the JSON")?;
        text.push('\n');
        write_out(None, text.as_bytes())
    } else {
        write_out(None, &tables_text(&tables).context("cannot write the CSV")?)
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Csv,
    Json,
}

pub(crate) fn parse_lang(text: &str) -> Result<projections::Lang, String> {
    projections::Lang::parse(text).ok_or_else(|| format!("{text:?} is not a language: it or en"))
}

pub(crate) fn parse_month(text: &str) -> Result<Period, String> {
    Period::parse_month(text).map_err(|e| e.to_string())
}

pub(crate) fn parse_quarter(text: &str) -> Result<Period, String> {
    Period::parse_quarter(text).map_err(|e| e.to_string())
}

fn parse_site(text: &str) -> Result<SiteId, String> {
    let site = SiteId::new(text);
    if site.is_valid() {
        Ok(site)
    } else {
        Err(format!(
            "{text:?} is not a site slug (1 to 40 of a-z, 0-9 and -, not starting or ending with -)"
        ))
    }
}

/// Runs `impact report`.
pub fn run(args: &ReportArgs) -> Result<()> {
    let period = args
        .period
        .or(args.quarter)
        .context("give --period or --quarter")?;
    let site = args.site.as_ref();
    if let Some(file) = &args.template {
        return run_template(args, file, &period);
    }
    if args.fami && args.quarter.is_none() {
        bail!("--fami needs --quarter (the FAMI sheet is quarterly): --quarter 2024-Q2");
    }
    let min_cell = threshold(args.min_cell, args.exact);
    if args.fami {
        let (sheet, bytes) = with_vault_models_as_of(
            &args.data,
            args.master_key.as_deref(),
            args.as_of,
            |m, v| {
                let sheet = FamiSheet::of(m.beneficiaries(&period, site), min_cell);
                let bytes = sheet.to_csv(&|p| v.pseudonym(p.0));
                (sheet, bytes)
            },
        )?;
        let bytes = bytes.context("cannot write the CSV")?;
        write_out(args.out.as_deref(), &bytes)?;
        eprintln!(
            "FAMI sheet {} to {}: {} beneficiaries shown, {}",
            period.from,
            period.to,
            sheet.rows.len(),
            sheet.statement()
        );
        return Ok(());
    }
    let format = args.format.unwrap_or(ReportFormat::Csv);
    let (report, hide, tables) =
        with_models_as_of(&args.data, args.master_key.as_deref(), args.as_of, |m| {
            let report = m.monitoring(&period, site);
            let hide = projections::protect_monitoring(&report, min_cell);
            let tables = monthly_tables(&report, &hide, &|id| {
                m.service(id).map(|s| s.description.name)
            });
            (report, hide, tables)
        })?;
    eprintln!(
        "figures of {} to {}: small cells {}",
        report.period.from,
        report.period.to,
        small_cells(&hide)
    );
    match format {
        ReportFormat::Json => {
            let mut text = report_json(&report, &hide).context("cannot write the JSON")?;
            text.push('\n');
            write_out(args.out.as_deref(), text.as_bytes())
        }
        ReportFormat::Csv => match &args.out {
            None => write_out(None, &tables_text(&tables).context("cannot write the CSV")?),
            Some(dir) => write_tables(dir, &tables),
        },
    }
}

/// `impact report --template FILE`.
fn run_template(args: &ReportArgs, file: &Path, period: &Period) -> Result<()> {
    let template = read_template(file, args.quarter.is_some())?;
    if let Some(signed) = &args.signed {
        return crate::region::write_signed(args, &template, period, signed);
    }
    let options = projections::RenderOptions {
        lang: args.lang.unwrap_or_default(),
        min_cell: threshold(args.min_cell, args.exact),
    };
    let report = with_models_as_of(&args.data, args.master_key.as_deref(), args.as_of, |m| {
        m.render_template(&template, period, args.site.as_ref(), options)
    })?;
    let tables: Vec<Table> = report.tables.iter().map(Table::from_rendered).collect();
    match &args.out {
        None => write_out(None, &tables_text(&tables).context("cannot write the CSV")?)?,
        Some(dir) => write_tables(dir, &tables)?,
    }
    eprintln!(
        "{} {} to {}: {} tables, {} rows suppressed (threshold {})",
        template.name,
        period.from,
        period.to,
        report.tables.len(),
        report.suppressed,
        options
            .min_cell
            .map_or("none: exact figures".to_string(), |k| k.to_string())
    );
    Ok(())
}

/// Reads a template, and checks that its span is the one given (`quarter`: --quarter).
pub(crate) fn read_template(file: &Path, quarter: bool) -> Result<projections::Template> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the template {}", file.display()))?;
    let template = projections::Template::parse(&text)
        .with_context(|| format!("template {}", file.display()))?;
    match (template.span, quarter) {
        (projections::Span::Quarter, false) => bail!(
            "template {} is quarterly: give --quarter (2024-Q2)",
            template.name
        ),
        (projections::Span::Month, true) => bail!(
            "template {} is monthly: give --period (2024-05)",
            template.name
        ),
        _ => Ok(template),
    }
}

/// Writes each table to `<dir>/<name>.csv`, creating the directory.
pub(crate) fn write_tables(dir: &Path, tables: &[Table]) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        bail!(
            "{} is not a directory: with CSV tables, --out names the directory that gets one \
             file per table",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for t in tables {
        let path = dir.join(format!("{}.csv", t.name));
        let bytes = t.to_csv().context("cannot write the CSV")?;
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    eprintln!("wrote {} tables to {}", tables.len(), dir.display());
    Ok(())
}

/// Opens the journal in `data`, replays it into the read models, and answers `f` from them.
/// The server must be stopped (the journal is opened for writing).
/// `master_key` is the master key file (`None`: beside the data directory).
pub fn with_models<R>(
    data: &Path,
    master_key: Option<&Path>,
    f: impl FnOnce(&ReadModels) -> R,
) -> Result<R> {
    with_models_as_of(data, master_key, None, f)
}

/// [`with_models`], from the read models as they stood at `as_of` (now when `None`).
pub fn with_models_as_of<R>(
    data: &Path,
    master_key: Option<&Path>,
    as_of: Option<AsOf>,
    f: impl FnOnce(&ReadModels) -> R,
) -> Result<R> {
    with_vault_models_as_of(data, master_key, as_of, |m, _| f(m))
}

/// [`with_models_as_of`], with the key store too (for pseudonyms).
pub fn with_vault_models_as_of<R>(
    data: &Path,
    master_key: Option<&Path>,
    as_of: Option<AsOf>,
    f: impl FnOnce(&ReadModels, &Vault) -> R,
) -> Result<R> {
    if !data.is_dir() {
        bail!("no data directory at {}", data.display());
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        // Reports only read: not a byte of the data directory changes.
        let options = DeskOptions {
            master_key: master_key.map(Path::to_owned),
            read_only: true,
            ..DeskOptions::default()
        };
        let desk = Desk::open(data, options)
            .with_context(|| format!("cannot open the journal in {}", data.display()))?;
        let out = match as_of {
            None => desk.read(|m| f(m, desk.vault())),
            Some(as_of) => {
                let (_, models) = desk
                    .read_models_as_of(as_of)
                    .context("cannot replay the journal")?;
                f(&models, desk.vault())
            }
        };
        let journal = desk.journal().clone();
        drop(desk);
        journal.close();
        Ok(out)
    })
}

/// Writes to the file, or to standard output without one.
pub fn write_out(out: Option<&Path>, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    match out {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(bytes)
                .and_then(|()| stdout.flush())
                .context("cannot write to standard output")
        }
    }
}

/// One CSV table: a name (the file is `<name>.csv`), a header and rows of cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(name: &str, header: &[&str]) -> Table {
        Table {
            name: name.to_string(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// A template's table (its title stays in the `informazioni` table's template, not here).
    pub fn from_rendered(t: &projections::RenderedTable) -> Table {
        Table {
            name: t.name.clone(),
            header: t.header.clone(),
            rows: t.rows.clone(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.header.len(), "table {}", self.name);
        self.rows.push(cells);
    }

    /// The table as CSV: the header, then the rows.
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&self.header)?;
        for row in &self.rows {
            w.write_record(row)?;
        }
        w.into_inner().map_err(|e| e.into_error().into())
    }
}

/// What `*` means in the tables, and the threshold (`None`: exact figures).
pub fn small_cells(hide: &MonitoringSuppression) -> String {
    match hide.min_cell {
        Some(k) => format!(
            "threshold {k}: {} = fewer than {k} persons, or suppressed so that no difference gives one back ({} rows and figures suppressed)",
            projections::SUPPRESSED,
            hide.count()
        ),
        None => "none: exact figures, for use inside the desk only; never send them out".into(),
    }
}

/// A figure, or the suppression mark.
fn fig(figure: impl ToString, hidden: bool) -> String {
    if hidden {
        projections::SUPPRESSED.to_string()
    } else {
        figure.to_string()
    }
}

/// Every table, in this order: `summary`, `contacts`, `group_activities`,
/// `beneficiaries_by_citizenship`, `beneficiaries_by_sex`, `beneficiaries_by_age_band`,
/// `beneficiaries_by_permit_type`, `beneficiaries_by_vulnerability`,
/// `beneficiaries_new_returning`, `mediation_by_language`, `mediation_by_mode`,
/// `mediation_by_requesting_service`, `referral_funnel`, `access_times`, `open_caseload`,
/// `closure_reasons`, `satisfaction`, `supervision`, `logbook`, `temporary_protection`.
///
/// The summary's first rows state the small-cell threshold (or that the figures are exact, for
/// inside the desk only) and how many rows and figures are suppressed; a suppressed figure is
/// written `*` (`hide`, from [`projections::protect_monitoring`]; docs/adr/0013).
///
/// `service_name` names a service of the directory (for the requesting services of mediation;
/// the funnel carries its own names).
pub fn monthly_tables(
    r: &MonitoringReport,
    hide: &MonitoringSuppression,
    service_name: &dyn Fn(ServiceId) -> Option<String>,
) -> Vec<Table> {
    let mut tables = Vec::new();
    let row = suppressed_row;

    let mut t = Table::new("summary", &["figure", "value"]);
    let site = r.site.as_ref().map_or("all", |s| s.as_str());
    let m = &r.mediation;
    let s = &r.satisfaction;
    let c = &r.compliance;
    for (figure, value) in [
        (
            "small_cell_threshold",
            hide.min_cell.map_or_else(
                || "none: exact figures, for use inside the desk only".to_string(),
                |k| k.to_string(),
            ),
        ),
        ("small_cells", small_cells(hide)),
        ("suppressed", hide.count().to_string()),
        ("period_from", r.period.from.to_string()),
        ("period_to", r.period.to.to_string()),
        ("site", site.to_string()),
        ("as_of_position", r.as_of.0.to_string()),
        ("contacts", fig(r.total_contacts, hide.total)),
        ("beneficiaries", fig(r.beneficiaries.total, hide.total)),
        (
            "mediation_requests",
            fig(m.requests, hide.mediation_requests),
        ),
        (
            "mediation_requests_cancelled",
            fig(m.cancelled, hide.mediation_cancelled),
        ),
        (
            "mediation_sessions",
            fig(m.sessions, hide.mediation_sessions),
        ),
        ("mediation_minutes", fig(m.minutes, hide.mediation_sessions)),
        (
            "mediation_hours",
            fig(decimal(m.hours), hide.mediation_sessions),
        ),
        ("open_cases", fig(r.open_cases, hide.open_cases)),
        ("survey_responses", s.responses.to_string()),
        (
            "survey_response_rate",
            fig(opt(s.response_rate), hide.response_rate),
        ),
        ("survey_helpful_share", opt(s.helpful_share)),
        (
            "every_month_has_supervision",
            c.every_month_has_meeting.to_string(),
        ),
        (
            "every_opening_day_has_logbook_entry",
            c.every_opening_day_has_entry.to_string(),
        ),
    ] {
        t.row(vec![figure.to_string(), value]);
    }
    tables.push(t);

    // Per activity and site, then per activity over all sites (site `all`), then the total.
    let mut t = Table::new(
        "contacts",
        &["activity", "site", "contacts", "distinct_persons"],
    );
    for (i, f) in r.contacts.iter().enumerate() {
        let hidden = row(&hide.contacts, i);
        t.row(vec![
            f.activity.as_str().to_string(),
            f.site.as_ref().map_or("all", |s| s.as_str()).to_string(),
            fig(f.contacts, hidden),
            fig(f.distinct_persons, hidden),
        ]);
    }
    t.row(vec![
        "all".into(),
        "all".into(),
        fig(r.total_contacts, hide.total),
        fig(r.beneficiaries.total, hide.total),
    ]);
    tables.push(t);

    // Attendees are counted, never named: not suppressed.
    let mut t = Table::new(
        "group_activities",
        &[
            "kind",
            "activities",
            "attendees_third_country",
            "attendees_other",
            "minutes",
        ],
    );
    for g in &r.group_activities {
        t.row(vec![
            g.kind.as_str().to_string(),
            g.activities.to_string(),
            g.attendees_third_country.to_string(),
            g.attendees_other.to_string(),
            g.minutes.to_string(),
        ]);
    }
    tables.push(t);

    let b = &r.beneficiaries;
    tables.push(counts(
        "beneficiaries_by_citizenship",
        "citizenship",
        b.by_citizenship
            .iter()
            .enumerate()
            .map(|(i, c)| (c.key.clone(), c.count, row(&hide.by_citizenship, i))),
    ));
    tables.push(counts(
        "beneficiaries_by_sex",
        "sex",
        b.by_sex
            .iter()
            .enumerate()
            .map(|(i, c)| (c.key.as_str().to_string(), c.count, row(&hide.by_sex, i))),
    ));
    tables.push(counts(
        "beneficiaries_by_age_band",
        "age_band",
        b.by_age_band.iter().enumerate().map(|(i, c)| {
            (
                c.key.as_str().to_string(),
                c.count,
                row(&hide.by_age_band, i),
            )
        }),
    ));
    tables.push(counts(
        "beneficiaries_by_permit_type",
        "permit_type",
        b.by_permit_type.iter().enumerate().map(|(i, c)| {
            (
                c.key.as_str().to_string(),
                c.count,
                row(&hide.by_permit_type, i),
            )
        }),
    ));
    // A person counts under each category of their latest assessment; `none` are those
    // without any (or never assessed).
    tables.push(counts(
        "beneficiaries_by_vulnerability",
        "vulnerability",
        b.by_vulnerability
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    c.key.as_str().to_string(),
                    c.count,
                    row(&hide.by_vulnerability, i),
                )
            })
            .chain([(
                "none".to_string(),
                b.without_vulnerability,
                hide.without_vulnerability,
            )]),
    ));
    tables.push(counts(
        "beneficiaries_new_returning",
        "status",
        [
            ("new".to_string(), b.new, hide.new),
            ("returning".to_string(), b.returning, hide.returning),
        ],
    ));

    let header = &["requests", "sessions", "minutes", "hours"];
    let med_cells = |requests: u32, sessions: u32, minutes: u64, hours: f64, hidden: bool| {
        vec![
            fig(requests, hidden),
            fig(sessions, hidden),
            fig(minutes, hidden),
            fig(decimal(hours), hidden),
        ]
    };
    let mut t = Table::new(
        "mediation_by_language",
        &[&["language"], &header[..]].concat(),
    );
    for (i, f) in m.by_language.iter().enumerate() {
        let mut cells = vec![f.key.clone()];
        let hidden = row(&hide.mediation_by_language, i);
        cells.extend(med_cells(
            f.requests, f.sessions, f.minutes, f.hours, hidden,
        ));
        t.row(cells);
    }
    tables.push(t);
    let mut t = Table::new("mediation_by_mode", &[&["mode"], &header[..]].concat());
    for (i, f) in m.by_mode.iter().enumerate() {
        let mut cells = vec![f.key.as_str().to_string()];
        let hidden = row(&hide.mediation_by_mode, i);
        cells.extend(med_cells(
            f.requests, f.sessions, f.minutes, f.hours, hidden,
        ));
        t.row(cells);
    }
    tables.push(t);
    // `desk` (no service id): the desk itself asked.
    let mut t = Table::new(
        "mediation_by_requesting_service",
        &[&["service_id", "service_name"], &header[..]].concat(),
    );
    for (i, f) in m.by_requesting_service.iter().enumerate() {
        let (id, name) = match f.key {
            Some(id) => (id.to_string(), service_name(id).unwrap_or_default()),
            None => (String::new(), "desk".to_string()),
        };
        let mut cells = vec![id, name];
        let hidden = row(&hide.mediation_by_requesting_service, i);
        cells.extend(med_cells(
            f.requests, f.sessions, f.minutes, f.hours, hidden,
        ));
        t.row(cells);
    }
    tables.push(t);

    let mut t = Table::new(
        "referral_funnel",
        &[
            "service_id",
            "service_name",
            "issued",
            "accepted",
            "concluded",
            "service_received",
            "median_days_to_first_outcome",
            "median_days_to_conclusion",
        ],
    );
    for (i, f) in r.referral_funnel.iter().enumerate() {
        let hidden = row(&hide.referral_funnel, i);
        t.row(vec![
            f.service.to_string(),
            f.service_name.clone().unwrap_or_default(),
            fig(f.issued, hidden),
            fig(f.accepted, hidden),
            fig(f.concluded, hidden),
            fig(f.service_received, hidden),
            fig(opt(f.median_days_to_first_outcome), hidden),
            fig(opt(f.median_days_to_conclusion), hidden),
        ]);
    }
    tables.push(t);

    // Days from request to first contact: an intake to the first intervention after it; a
    // mediation request to its first session.
    let a = &r.access;
    let mut t = Table::new(
        "access_times",
        &["measure", "requests", "served", "median_days"],
    );
    t.row(vec![
        "intake_to_intervention".into(),
        fig(a.intakes, hide.access_intakes),
        fig(a.intakes_with_intervention, hide.access_intakes),
        fig(
            opt(a.median_days_intake_to_intervention),
            hide.access_intakes,
        ),
    ]);
    t.row(vec![
        "mediation_request_to_session".into(),
        fig(a.mediation_requests, hide.access_mediation),
        fig(a.mediation_requests_served, hide.access_mediation),
        fig(opt(a.median_days_request_to_session), hide.access_mediation),
    ]);
    tables.push(t);

    let mut t = Table::new("open_caseload", &["operator", "open_cases"]);
    for (i, f) in r.open_caseload.iter().enumerate() {
        t.row(vec![
            f.operator.clone(),
            fig(f.open_cases, row(&hide.open_caseload, i)),
        ]);
    }
    tables.push(t);

    let mut t = Table::new("closure_reasons", &["reason", "cases"]);
    for (i, f) in r.closure_reasons.iter().enumerate() {
        t.row(vec![
            f.key.as_str().to_string(),
            fig(f.count, row(&hide.closure_reasons, i)),
        ]);
    }
    tables.push(t);

    // Survey responses are anonymous: not suppressed.
    let mut t = Table::new("satisfaction", &["item", "answers", "mean", "share_4_or_5"]);
    for f in &s.items {
        t.row(vec![
            f.item.as_str().to_string(),
            f.answers.to_string(),
            opt(f.mean),
            opt(f.share_4_or_5),
        ]);
    }
    tables.push(t);

    let mut t = Table::new("supervision", &["month", "meetings", "has_meeting"]);
    for f in &c.months {
        t.row(vec![
            f.month.to_string(),
            f.meetings.to_string(),
            f.has_meeting().to_string(),
        ]);
    }
    tables.push(t);

    let mut t = Table::new(
        "logbook",
        &[
            "site",
            "opening_days",
            "entries",
            "missing_days",
            "missing_dates",
        ],
    );
    for f in &c.logbook {
        t.row(vec![
            f.site.to_string(),
            f.opening_days.to_string(),
            f.entries.to_string(),
            f.missing.len().to_string(),
            join(f.missing.iter().map(|d| d.to_string())),
        ]);
    }
    tables.push(t);

    let tp = &r.temporary_protection;
    let mut t = Table::new(
        "temporary_protection",
        &[
            "beneficiaries",
            "registered",
            "services_with_capacity",
            "reception_places",
            "services_with_health",
            "services_with_school_access",
        ],
    );
    t.row(vec![
        fig(tp.beneficiaries, hide.temporary_protection_beneficiaries),
        fig(tp.registered, hide.temporary_protection_registered),
        tp.services_with_capacity.to_string(),
        tp.reception_places.to_string(),
        tp.services_with_health.to_string(),
        tp.services_with_school_access.to_string(),
    ]);
    tables.push(t);

    tables
}

/// The tables one after another on one stream, each preceded by a `# <name>` line and followed
/// by an empty line.
pub fn tables_text(tables: &[Table]) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::new();
    for t in tables {
        out.extend_from_slice(format!("# {}\n", t.name).as_bytes());
        out.extend_from_slice(&t.to_csv()?);
        out.push(b'\n');
    }
    Ok(out)
}

/// The whole report as one JSON object (field names in camelCase, as in the GraphQL API). The
/// first fields say how small cells were treated: `smallCells` (the threshold and what a `null`
/// means, or that the figures are exact, for inside the desk only), `minCell` (`null`: exact)
/// and `suppressed` (how many rows and figures). A suppressed figure is `null`, and every row of
/// a list has `suppressed`, as in the GraphQL API.
pub fn report_json(
    r: &MonitoringReport,
    hide: &MonitoringSuppression,
) -> serde_json::Result<String> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Protected {
        small_cells: String,
        min_cell: Option<u32>,
        suppressed: u32,
        #[serde(flatten)]
        report: Value,
    }
    let mut v = serde_json::to_value(r)?;
    let rows = |v: &mut Value, list: &str, hidden: &[bool]| {
        if let Some(Value::Array(items)) = v.get_mut(list) {
            for (i, item) in items.iter_mut().enumerate() {
                hide_row(item, suppressed_row(hidden, i));
            }
        }
    };
    let fields = |v: &mut Value, names: &[&str], hidden: bool| {
        if hidden {
            for name in names {
                if let Some(f) = v.get_mut(*name) {
                    *f = Value::Null;
                }
            }
        }
    };
    rows(&mut v, "contacts", &hide.contacts);
    fields(&mut v, &["totalContacts"], hide.total);
    rows(&mut v, "referralFunnel", &hide.referral_funnel);
    rows(&mut v, "openCaseload", &hide.open_caseload);
    rows(&mut v, "closureReasons", &hide.closure_reasons);
    fields(&mut v, &["openCases"], hide.open_cases);
    let b = &mut v["beneficiaries"];
    fields(b, &["total"], hide.total);
    fields(b, &["new"], hide.new);
    fields(b, &["returning"], hide.returning);
    fields(b, &["withoutVulnerability"], hide.without_vulnerability);
    rows(b, "byCitizenship", &hide.by_citizenship);
    rows(b, "bySex", &hide.by_sex);
    rows(b, "byAgeBand", &hide.by_age_band);
    rows(b, "byPermitType", &hide.by_permit_type);
    rows(b, "byVulnerability", &hide.by_vulnerability);
    let m = &mut v["mediation"];
    fields(m, &["requests"], hide.mediation_requests);
    fields(m, &["cancelled"], hide.mediation_cancelled);
    fields(
        m,
        &["sessions", "minutes", "hours"],
        hide.mediation_sessions,
    );
    rows(m, "byLanguage", &hide.mediation_by_language);
    rows(m, "byMode", &hide.mediation_by_mode);
    rows(
        m,
        "byRequestingService",
        &hide.mediation_by_requesting_service,
    );
    rows(m, "byPlace", &hide.mediation_by_place);
    let a = &mut v["access"];
    fields(
        a,
        &[
            "intakes",
            "intakesWithIntervention",
            "medianDaysIntakeToIntervention",
        ],
        hide.access_intakes,
    );
    fields(
        a,
        &[
            "mediationRequests",
            "mediationRequestsServed",
            "medianDaysRequestToSession",
        ],
        hide.access_mediation,
    );
    fields(
        a,
        &["onCallRequestsServed", "medianHoursOnCallRequestToSession"],
        hide.access_on_call,
    );
    fields(
        &mut v["satisfaction"],
        &["responseRate"],
        hide.response_rate,
    );
    let tp = &mut v["temporaryProtection"];
    fields(
        tp,
        &["beneficiaries"],
        hide.temporary_protection_beneficiaries,
    );
    fields(tp, &["registered"], hide.temporary_protection_registered);
    serde_json::to_string_pretty(&Protected {
        small_cells: small_cells(hide),
        min_cell: hide.min_cell,
        suppressed: hide.count(),
        report: v,
    })
}

/// Marks a row of a list `suppressed`, and when it is, makes each of its figures (numbers)
/// `null`; its keys (text) stay.
fn hide_row(row: &mut Value, hidden: bool) {
    if let Value::Object(fields) = row {
        if hidden {
            for f in fields.values_mut() {
                if f.is_number() {
                    *f = Value::Null;
                }
            }
        }
        fields.insert("suppressed".into(), Value::Bool(hidden));
    }
}

/// The columns of the FAMI beneficiary sheet.
pub const FAMI_HEADER: [&str; 8] = [
    "pseudonym",
    "citizenship",
    "sex",
    "age_band",
    "permit_type",
    "vulnerability",
    "services_received",
    "first_contact_date",
];

/// The quarterly FAMI beneficiary sheet: one row per beneficiary (a person with at least one
/// contact in the quarter), pseudonymised, with the statistics fields only. No name, contact,
/// birth date or note can reach it: [`BeneficiaryRow`] carries none.
///
/// Outside the desk the rows are k-anonymous (`projections::k_anonymise`, docs/adr/0013,
/// "Rows"): the quasi-identifiers are the sheet's citizenship, sex, age band and permit type. A
/// row whose combination fewer than k rows share is shown with its citizenship as its area
/// (`africa`, `americas`, `asia`, `europe`, `oceania`, `other`) when k generalised rows share
/// that, and is held back otherwise.
pub struct FamiSheet {
    /// The rows shown, each with whether its citizenship is generalised to its area.
    pub rows: Vec<(BeneficiaryRow, bool)>,
    /// k; `None`: exact rows, for inside the desk only.
    pub min_cell: Option<u32>,
    pub generalised: usize,
    pub held_back: usize,
}

/// A FAMI row's quasi-identifiers: age band, sex, citizenship, permit type.
type FamiQuasi = (
    Option<projections::AgeBand>,
    Option<domain::Sex>,
    Option<String>,
    Option<domain::PermitType>,
);

impl FamiSheet {
    /// The sheet of `rows` (the period's beneficiaries), k-anonymous under `min_cell`.
    pub fn of(rows: Vec<BeneficiaryRow>, min_cell: Option<u32>) -> FamiSheet {
        let release = match min_cell {
            None => vec![Release::Exact; rows.len()],
            Some(k) => {
                let quasi: Vec<FamiQuasi> = rows
                    .iter()
                    .map(|r| (r.age_band, r.sex, r.citizenship.clone(), r.permit_type))
                    .collect();
                k_anonymise(
                    &quasi,
                    |q| {
                        let mut g = q.clone();
                        g.2 = g.2.map(|c| citizenship_area(&c).to_string());
                        g
                    },
                    usize::try_from(k).unwrap_or(usize::MAX),
                )
            }
        };
        let count = |which: Release| release.iter().filter(|r| **r == which).count();
        let (generalised, held_back) = (count(Release::Generalised), count(Release::HeldBack));
        let rows = rows
            .into_iter()
            .zip(release)
            .filter(|(_, r)| *r != Release::HeldBack)
            .map(|(mut row, r)| {
                let general = r == Release::Generalised;
                if general {
                    row.citizenship = row.citizenship.map(|c| citizenship_area(&c).to_string());
                }
                (row, general)
            })
            .collect();
        FamiSheet {
            rows,
            min_cell,
            generalised,
            held_back,
        }
    }

    /// What was done to the rows, in words: the sheet's first line.
    pub fn statement(&self) -> String {
        match self.min_cell {
            Some(k) => format!(
                "k-anonymous with k = {k} on citizenship, sex, age band and permit type: {} rows generalised (citizenship as its area), {} rows held back",
                self.generalised, self.held_back
            ),
            None => "exact rows, no k-anonymity: for use inside the desk only; never send them out"
                .into(),
        }
    }

    /// The sheet as CSV: a first line `# ` and [`FamiSheet::statement`], then the header and
    /// the rows. Multi-valued cells (vulnerability categories, activities received) are joined
    /// with `;`. `pseudonym` is the desk's keyed pseudonym
    /// ([`desk::vault::Vault::pseudonym`]): 12 hex digits that whoever lacks the master key
    /// cannot link to a person id.
    pub fn to_csv(&self, pseudonym: &dyn Fn(PersonId) -> String) -> Result<Vec<u8>, csv::Error> {
        let mut out = format!("# {}\n", self.statement()).into_bytes();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(FAMI_HEADER)?;
        for (r, _) in &self.rows {
            w.write_record([
                pseudonym(r.person),
                r.citizenship.clone().unwrap_or_default(),
                r.sex.map(|s| s.as_str()).unwrap_or_default().to_string(),
                r.age_band
                    .map(|a| a.as_str())
                    .unwrap_or_default()
                    .to_string(),
                r.permit_type
                    .map(|p| p.as_str())
                    .unwrap_or_default()
                    .to_string(),
                join(r.vulnerabilities.iter().map(|v| v.as_str())),
                join(r.activities.iter().map(|a| a.as_str())),
                r.first_contact_on.to_string(),
            ])?;
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        out.extend_from_slice(&bytes);
        Ok(out)
    }
}

/// A two-column table of beneficiaries under a key, a suppressed row's figure as the mark.
fn counts(
    name: &'static str,
    key: &'static str,
    items: impl IntoIterator<Item = (String, u32, bool)>,
) -> Table {
    let mut t = Table::new(name, &[key, "beneficiaries"]);
    for (k, n, hidden) in items {
        t.row(vec![k, fig(n, hidden)]);
    }
    t
}

fn join<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let mut out = String::new();
    for (i, s) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(s.as_ref());
    }
    out
}

/// Up to four decimals, without trailing zeros: `0.75`, `5`, `0.6667`.
fn decimal(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn opt(x: Option<f64>) -> String {
    x.map(decimal).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_for_spreadsheets() {
        assert_eq!(decimal(5.0), "5");
        assert_eq!(decimal(0.75), "0.75");
        assert_eq!(decimal(2.0 / 3.0), "0.6667");
        assert_eq!(decimal(1.5), "1.5");
        assert_eq!(opt(None), "");
    }

    #[test]
    fn tables_quote_what_needs_quoting() {
        let mut t = Table::new("x", &["name", "n"]);
        t.row(vec![
            "Centro per l'impiego, Roma \"Est\"".into(),
            "1".into(),
        ]);
        let text = String::from_utf8(tables_text(&[t]).unwrap()).unwrap();
        assert_eq!(
            text,
            "# x\nname,n\n\"Centro per l'impiego, Roma \"\"Est\"\"\",1\n\n"
        );
    }
}
