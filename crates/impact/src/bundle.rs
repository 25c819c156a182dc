//! Evaluator bundles: the events of a period as evaluators see them (pseudonymised), each with
//! its inclusion proof against one signed checkpoint, checkable offline with the public key
//! alone (`impact bundle verify`, `tests/verify_bundle.py`). The format is in
//! docs/VERIFYING.md.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use chrono::NaiveDate;
use clap::Subcommand;
use desk::bundle::{verify_bundle, Bundle, NoBundle};
use journal::Position;

#[derive(Subcommand, Debug)]
pub enum BundleCmd {
    /// Pack the events recorded from --from to --to (UTC days, inclusive; by when the journal
    /// recorded them, `recordedAt`, not when they happened), pseudonymised, with
    /// their inclusion proofs and a signed checkpoint (the latest recorded one that covers them,
    /// or one signed for the bundle and not recorded). Changes no byte of the data directory.
    Create {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        /// First day (YYYY-MM-DD, UTC) on which the journal recorded the events (`recordedAt`;
        /// not the day they happened).
        #[arg(long)]
        from: NaiveDate,
        /// Last day (YYYY-MM-DD, UTC) of recording, inclusive (`recordedAt`).
        #[arg(long)]
        to: NaiveDate,
        #[arg(long)]
        out: PathBuf,
        /// The master key file (default: `<data>.master-key`): the pseudonyms are keyed with it.
        #[arg(long, env = "IMPACT_MASTER_KEY_FILE", value_name = "FILE")]
        master_key: Option<PathBuf>,
        /// Write the bundle even when nothing was recorded in the period: it proves that
        /// nothing was (the events just before and after it lie outside it).
        #[arg(long)]
        allow_empty: bool,
    },
    /// Check a bundle offline: the checkpoint's signature, every inclusion proof, that no
    /// position is missing, and the hashes of the full records it carries. Exit 0 verified,
    /// 1 not (every problem is named), 2 usage or IO error.
    Verify {
        file: PathBuf,
        /// The installation's public key (64 hex digits, base64, or a file holding either).
        #[arg(long)]
        public_key: String,
        /// A witness's public key (as --public-key): its cosignature of the bundle's checkpoint
        /// is required. Give one for each witness.
        #[arg(long)]
        witness: Vec<String>,
        /// Recompute the figures the signed manifest states from the bundle's proven events
        /// and disclosed fields alone, and check the small cells' suppression under its
        /// threshold: name each figure that does not follow (exit 1), and list those the
        /// bundle cannot prove.
        #[arg(long)]
        report: bool,
    },
}

pub fn run(cmd: &BundleCmd) -> ExitCode {
    match cmd {
        BundleCmd::Create {
            data,
            from,
            to,
            out,
            master_key,
            allow_empty,
        } => crate::cli::exit(
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")
                .and_then(|rt| {
                    rt.block_on(create(
                        data,
                        master_key.as_deref(),
                        (*from, *to),
                        out,
                        *allow_empty,
                    ))
                }),
        ),
        BundleCmd::Verify {
            file,
            public_key,
            witness,
            report,
        } => verify_file(file, public_key, witness, *report),
    }
}

async fn create(
    data: &Path,
    master_key: Option<&Path>,
    (from, to): (NaiveDate, NaiveDate),
    out: &Path,
    allow_empty: bool,
) -> Result<()> {
    if to < from {
        bail!("--to {to} is before --from {from}");
    }
    // A bundle only reads: not a byte of the data directory changes.
    let desk = crate::cli::open_desk_read_only(data, master_key)?;
    let (bundle, signed_now) = match desk.evaluator_bundle(from, to, allow_empty)? {
        Ok(made) => made,
        Err(NoBundle::ToBeforeFrom) => bail!("--to {to} is before --from {from}"),
        Err(NoBundle::NothingRecorded) => {
            bail!("{}", nothing_recorded(desk.journal(), from, to)?)
        }
        Err(NoBundle::Unsignable) => {
            bail!("the bundle's manifest cannot be signed: a type, role or time holds a space")
        }
    };
    if bundle.events.is_empty() {
        // An empty bundle proves, by its boundary, that nothing was recorded in the period.
        eprintln!("{}", nothing_recorded(desk.journal(), from, to)?);
    }
    let size = journal::merkle::checkpoint::SignedCheckpoint::parse(&bundle.checkpoint)
        .map(|s| s.checkpoint.tree_size.0)
        .unwrap_or(0);
    if signed_now {
        eprintln!(
            "signed a checkpoint of tree size {size} for this bundle (no recorded checkpoint \
             reaches past position {}; it is not recorded: the data directory is unchanged)",
            bundle.last_position
        );
    }
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut writer, &bundle).context("cannot write the bundle")?;
    std::io::Write::flush(&mut writer).context("cannot write the bundle")?;
    eprintln!(
        "bundle of {} events (positions {} to {}) against the checkpoint of tree size {size}",
        bundle.events.len(),
        bundle.first_position,
        bundle.last_position
    );
    Ok(())
}

/// Why a bundle of these days would be empty: the days are days of recording, not of what
/// happened, and when the journal did record.
fn nothing_recorded(journal: &journal::Journal, from: NaiveDate, to: NaiveDate) -> Result<String> {
    let day = |position: u64| -> Result<Option<String>> {
        Ok(journal
            .get(Position(position))?
            .and_then(|r| r.recorded_at.to_datetime())
            .map(|t| t.format("%Y-%m-%d").to_string()))
    };
    let recorded = match (day(1)?, day(journal.head().position.0)?) {
        (Some(first), Some(last)) => {
            format!("the journal recorded its events from {first} to {last}")
        }
        _ => "the journal is empty".to_owned(),
    };
    Ok(format!(
        "no event was recorded from {from} to {to}: --from and --to are days on which events \
         were recorded, not days on which things happened; {recorded}"
    ))
}

fn verify_file(file: &Path, public_key: &str, witnesses: &[String], report: bool) -> ExitCode {
    let keys = std::iter::once(public_key)
        .chain(witnesses.iter().map(String::as_str))
        .map(crate::proofs::read_public_key)
        .collect::<Result<Vec<_>>>();
    let (key, witnesses) = match keys {
        Ok(keys) => (keys[0], keys[1..].to_vec()),
        Err(error) => {
            eprintln!("impact bundle verify: {error:#}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!(
                "impact bundle verify: cannot read {}: {error}",
                file.display()
            );
            return ExitCode::from(2);
        }
    };
    let bundle: Bundle = match serde_json::from_str(&text) {
        Ok(bundle) => bundle,
        Err(error) => {
            println!(
                "FAILED: {} is not a complete bundle (truncated or damaged?): {error}",
                file.display()
            );
            return ExitCode::from(1);
        }
    };
    match verify_bundle(&bundle, &key, &witnesses) {
        Ok(v) => {
            println!(
                "verified: {} events (positions {} to {}), the whole period {} to {}, are in the tree of size {} signed at {} by {}; the signed manifest binds each event's type, times and role; {} full records re-hashed; {} envelopes proven from their hash (record format 2) with {} payload fields disclosed and proven; the others bound by their hash",
                v.events,
                bundle.first_position,
                bundle.last_position,
                bundle.period.from,
                bundle.period.to,
                v.tree_size,
                v.signed_at,
                key.origin(),
                v.rehashed,
                v.bodies,
                v.disclosed
            );
            if !witnesses.is_empty() {
                println!("cosigned by the {} witness(es) given", witnesses.len());
            }
            if let Some(until) = v.complete_until {
                println!(
                    "note: the checkpoint was signed at {until}, before the period ended: the bundle is complete up to that time only"
                );
            }
            if report {
                let found = desk::bundle::report(&bundle);
                let stated = found.stated;
                for figure in &found.not_provable {
                    println!("  {figure}");
                }
                if !found.contradicted.is_empty() {
                    println!(
                        "FIGURES: {} problem(s) with the {stated} figures the manifest states:",
                        found.contradicted.len()
                    );
                    for problem in &found.contradicted {
                        println!("  {problem}");
                    }
                    return ExitCode::from(1);
                }
                match &bundle.k_anonymity {
                    Some(k) => println!(
                        "figures: of the {stated} figures the manifest states, every one the bundle proves follows from the proven events, and the small cells are suppressed as the rule does (threshold {}; {} not provable, listed above; {} person(s) withheld for k-anonymity)",
                        k.min_cell,
                        found.not_provable.len(),
                        k.persons_withheld
                    ),
                    None => println!(
                        "figures: of the {stated} figures the manifest states, every one the bundle proves follows from the proven events ({} not provable, listed above; the bundle states no threshold: small cells not checked)",
                        found.not_provable.len()
                    ),
                }
            }
            ExitCode::SUCCESS
        }
        Err(problems) => {
            println!("FAILED: {} problem(s):", problems.len());
            for problem in problems.iter().take(50) {
                println!("  {problem}");
            }
            if problems.len() > 50 {
                println!("  ... and {} more", problems.len() - 50);
            }
            ExitCode::from(1)
        }
    }
}
