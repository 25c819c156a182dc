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
    },
    /// Check a bundle offline: the checkpoint's signature, every inclusion proof, that no
    /// position is missing, and the hashes of the full records it carries. Exit 0 verified,
    /// 1 not (every problem is named), 2 usage or IO error.
    Verify {
        file: PathBuf,
        /// The installation's public key (64 hex digits, base64, or a file holding either).
        #[arg(long)]
        public_key: String,
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
        } => crate::cli::exit(
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")
                .and_then(|rt| rt.block_on(create(data, master_key.as_deref(), *from, *to, out))),
        ),
        BundleCmd::Verify { file, public_key } => verify_file(file, public_key),
    }
}

async fn create(
    data: &Path,
    master_key: Option<&Path>,
    from: NaiveDate,
    to: NaiveDate,
    out: &Path,
) -> Result<()> {
    if to < from {
        bail!("--to {to} is before --from {from}");
    }
    // A bundle only reads: not a byte of the data directory changes.
    let desk = crate::cli::open_desk_read_only(data, master_key)?;
    let (bundle, signed_now) = match desk.evaluator_bundle(from, to)? {
        Ok(made) => made,
        Err(NoBundle::ToBeforeFrom) => bail!("--to {to} is before --from {from}"),
        Err(NoBundle::NothingRecorded) => {
            bail!("{}", nothing_recorded(desk.journal(), from, to)?)
        }
    };
    let size = journal::merkle::checkpoint::SignedCheckpoint::parse(&bundle.checkpoint)
        .map(|s| s.checkpoint.tree_size.0)
        .unwrap_or(0);
    if signed_now {
        eprintln!(
            "signed a checkpoint of tree size {size} for this bundle (no recorded checkpoint \
             covers position {}; it is not recorded: the data directory is unchanged)",
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

fn verify_file(file: &Path, public_key: &str) -> ExitCode {
    let key = match crate::proofs::read_public_key(public_key) {
        Ok(key) => key,
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
    match verify_bundle(&bundle, &key) {
        Ok(v) => {
            println!(
                "verified: {} events (positions {} to {}) are in the tree of size {} signed at {} by {}; {} full records re-hashed, the others bound by their hash",
                v.events,
                bundle.first_position,
                bundle.last_position,
                v.tree_size,
                v.signed_at,
                key.origin(),
                v.rehashed
            );
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
