//! `impact report --template T --signed FILE` (a desk's signed report for the region) and
//! `impact region` (the region's sum over the desks' signed reports). The work is
//! `desk::region`'s; here only files and arguments.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use clap::ArgGroup;
use desk::journal::merkle::checkpoint::PublicKey;
use desk::region::{DeskStatus, Expected};
use projections::{Period, Template};

use crate::report::{ReportArgs, Table};

/// `impact region`: the regional figures of a template for a period, summed over the desks'
/// signed reports, each verified against its desk's public key.
#[derive(clap::Args, Debug)]
#[command(group(ArgGroup::new("span").required(true).args(["period", "quarter"])))]
pub struct RegionArgs {
    /// The report template the desks signed (`templates/monitoraggio-mensile.toml`, ...).
    #[arg(long, value_name = "FILE")]
    pub template: PathBuf,
    /// The month, yyyy-mm (a monthly template).
    #[arg(long, value_name = "YYYY-MM", value_parser = crate::report::parse_month)]
    pub period: Option<Period>,
    /// The quarter, yyyy-Qn (a quarterly template).
    #[arg(long, value_name = "YYYY-QN", value_parser = crate::report::parse_quarter)]
    pub quarter: Option<Period>,
    /// A desk: its public key (64 hex digits, `impact key show`) and the file of its signed
    /// report, `KEY=FILE`; `KEY=-` for a desk that sent nothing (it is listed as missing).
    /// Once per desk.
    #[arg(long = "desk", value_name = "KEY=FILE", required = true, value_parser = parse_desk)]
    pub desks: Vec<(String, Option<PathBuf>)>,
    /// The small-cell threshold the desks' reports must be protected under (and the sums are):
    /// 5 by default.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..))]
    pub min_cell: Option<u32>,
    /// The language of the labels: it (the default) or en.
    #[arg(long, value_parser = crate::report::parse_lang)]
    pub lang: Option<projections::Lang>,
    /// The whole report as one JSON object instead of CSV tables.
    #[arg(long)]
    pub json: bool,
    /// CSV: a directory (created if missing) getting one file per table; JSON: a file.
    /// Standard output by default.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn parse_desk(text: &str) -> Result<(String, Option<PathBuf>), String> {
    let (key, file) = text
        .split_once('=')
        .ok_or("a desk is KEY=FILE (or KEY=- when it sent nothing)")?;
    PublicKey::parse(key).map_err(|e| e.to_string())?;
    Ok((key.to_string(), (file != "-").then(|| PathBuf::from(file))))
}

/// Runs `impact region`. Fails (exit status 1) only when it cannot write; refused and missing
/// desks are stated in the report, and on standard error.
pub fn run(args: &RegionArgs) -> Result<()> {
    let period = args
        .period
        .or(args.quarter)
        .context("give --period or --quarter")?;
    let template = crate::report::read_template(&args.template, args.quarter.is_some())?;
    let mut desks = Vec::with_capacity(args.desks.len());
    for (key, file) in &args.desks {
        let key = PublicKey::parse(key).map_err(|e| anyhow::anyhow!("--desk {key}: {e}"))?;
        if desks.iter().any(|(k, _)| *k == key) {
            bail!("--desk {}: given twice", key.to_hex());
        }
        // A file that cannot be read is the desk's problem, stated like a bad signature.
        let bytes = file.as_ref().map(|f| std::fs::read(f).unwrap_or_default());
        desks.push((key, bytes));
    }
    let expected = Expected {
        template: &template,
        period,
        min_cell: args.min_cell.unwrap_or(projections::DEFAULT_MIN_CELL),
    };
    let report = desk::region::sum(&desks, expected);
    for d in &report.desks {
        match &d.status {
            DeskStatus::Accepted { .. } => eprintln!("desk {}: accepted", d.desk),
            DeskStatus::Refused { reason } => eprintln!("desk {}: refused: {reason}", d.desk),
            DeskStatus::Missing => eprintln!("desk {}: missing: no report for the period", d.desk),
        }
    }
    if args.json {
        let mut text = serde_json::to_string_pretty(&report).context("cannot write the JSON")?;
        text.push('\n');
        return crate::report::write_out(args.out.as_deref(), text.as_bytes());
    }
    let tables: Vec<Table> = report
        .render(&template, args.lang.unwrap_or_default())
        .iter()
        .map(Table::from_rendered)
        .collect();
    match &args.out {
        None => crate::report::write_out(
            None,
            &crate::report::tables_text(&tables).context("cannot write the CSV")?,
        ),
        Some(dir) => crate::report::write_tables(dir, &tables),
    }
}

/// `impact report --template T --signed FILE`.
pub fn write_signed(
    args: &ReportArgs,
    template: &Template,
    period: &Period,
    out: &Path,
) -> Result<()> {
    let min_cell = args.min_cell.unwrap_or(projections::DEFAULT_MIN_CELL);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let signed = rt.block_on(async {
        // A signed report only reads: not a byte of the data directory changes.
        let desk = crate::cli::open_desk_read_only(&args.data, args.master_key.as_deref())?;
        let signed = desk
            .signed_report(template, period, min_cell)
            .context("cannot make the report")?;
        let journal = desk.journal().clone();
        drop(desk);
        journal.close();
        anyhow::Ok(signed)
    })?;
    let Some(signed) = signed else {
        bail!("the report cannot be signed");
    };
    std::fs::write(out, &signed.note).with_context(|| format!("cannot write {}", out.display()))?;
    let size = desk::journal::merkle::checkpoint::SignedCheckpoint::parse(&signed.body.checkpoint)
        .map_or(0, |c| c.checkpoint.tree_size.0);
    if !signed.recorded_checkpoint {
        eprintln!(
            "no recorded checkpoint: signed the journal's head (tree size {size}) for this \
             report without recording it (`impact checkpoint` records one)"
        );
    } else if size < signed.head {
        eprintln!(
            "the figures are those of the latest recorded checkpoint (tree size {size}); the \
             journal holds {} events: sign a checkpoint first (`impact checkpoint`) to count them",
            signed.head
        );
    }
    eprintln!(
        "signed report {} {} to {} by the desk {} (threshold {min_cell}, checkpoint of tree \
         size {size}) written to {}",
        template.name,
        period.from,
        period.to,
        signed.body.desk,
        out.display()
    );
    Ok(())
}
