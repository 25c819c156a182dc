//! Evaluator bundles: the events of a period as evaluators see them (pseudonymised), each with
//! its inclusion proof against one signed checkpoint, checkable offline with the public key
//! alone (`impact bundle verify`, `tests/verify_bundle.py`). The format is in
//! docs/VERIFYING.md.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use chrono::{Datelike, NaiveDate};
use clap::Subcommand;
use desk::bundle::{verify_bundle, Boundary, Bundle, BundleEvent, Neighbour, Period, FORMAT};
use domain::{
    PersonId, PERSONAL_FIELDS, PERSONAL_FIELD_NAMES, PERSON_ID_FIELDS, TYPES_WITHOUT_PERSONAL_DATA,
};
use journal::{Position, Timestamp};
use serde_json::Value;

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
        } => verify_file(file, public_key, witness),
    }
}

/// The evaluator view of a payload; `pseudonym` turns a person id into the keyed pseudonym
/// evaluators see everywhere (`Vault::pseudonym`).
pub fn evaluator_payload(
    event_type: &str,
    payload: &[u8],
    occurred_year: i32,
    pseudonym: &dyn Fn(PersonId) -> String,
) -> Value {
    let mut value: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
    scrub(&mut value, occurred_year, pseudonym);
    if event_type == "EventCorrected" {
        // The reason of a correction is free text about the corrected fact.
        if let Value::Object(map) = &mut value {
            map.remove("reason");
        }
    }
    value
}

fn scrub(value: &mut Value, year: i32, pseudonym: &dyn Fn(PersonId) -> String) {
    match value {
        Value::Object(map) => {
            for name in PERSONAL_FIELD_NAMES.iter().chain(&[PERSONAL_FIELDS]) {
                map.remove(*name);
            }
            for field in PERSON_ID_FIELDS {
                if let Some(Value::String(id)) = map.get(*field) {
                    let pseudonym = id
                        .parse::<ulid::Ulid>()
                        .map(|u| pseudonym(PersonId(u)))
                        .unwrap_or_default();
                    map.insert((*field).into(), Value::String(pseudonym));
                }
            }
            if let Some(birth_year) = map.remove("birthYear") {
                let band = birth_year
                    .as_i64()
                    .and_then(|y| i32::try_from(y).ok())
                    .map(|y| projections::AgeBand::of_age(year - y).as_str().to_string());
                map.insert(
                    "ageBand".into(),
                    band.map(Value::String).unwrap_or(Value::Null),
                );
            }
            for inner in map.values_mut() {
                scrub(inner, year, pseudonym);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| scrub(v, year, pseudonym)),
        _ => {}
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
    let pseudonym = |id: PersonId| desk.vault().pseudonym(id.0);
    let start = Timestamp::from(from.and_hms_opt(0, 0, 0).context("date")?.and_utc());
    let end = Timestamp::from(
        to.succ_opt()
            .context("date")?
            .and_hms_opt(0, 0, 0)
            .context("date")?
            .and_utc(),
    );
    // recorded_at never decreases, so the period is a contiguous range of positions.
    let (first, last) = desk.read(|m| {
        (
            m.position_recorded_by(Timestamp(start.0 - 1)).0 + 1,
            m.position_recorded_by(Timestamp(end.0 - 1)).0,
        )
    });
    let journal = desk.journal().clone();
    if first > last {
        // An empty bundle proves, by its boundary, that nothing was recorded in the period; as
        // the days are easily mistaken for days on which things happened, it is asked for.
        if !allow_empty {
            bail!("{}", nothing_recorded(&journal, from, to)?);
        }
        eprintln!("{}", nothing_recorded(&journal, from, to)?);
    }
    // Only a checkpoint this installation's key signed, over this journal's own tree; one that
    // reaches past the range, so that the event after it shows where the period ends.
    let own_key = desk.public_key();
    let head = journal.tree_size().0;
    let needed = if last < head { last + 1 } else { last.max(1) };
    let covering = desk
        .checkpoints()?
        .into_iter()
        .rev()
        .filter(|c| c.signed.checkpoint.tree_size.0 >= needed)
        .find(|c| {
            c.signed.verify(&own_key).is_ok()
                && journal.root_at(c.signed.checkpoint.tree_size).ok()
                    == Some(c.signed.checkpoint.root)
        });
    let signed = match covering {
        Some(c) => c.signed,
        None => {
            let signed = desk.sign_head_unrecorded();
            eprintln!(
                "signed a checkpoint of tree size {} for this bundle (no recorded checkpoint \
                 covers position {needed}; it is not recorded: the data directory is unchanged)",
                signed.checkpoint.tree_size
            );
            signed
        }
    };
    let size = signed.checkpoint.tree_size;
    let neighbour = |position: u64| -> Result<Option<Neighbour>> {
        if position == 0 || position > size.0 {
            return Ok(None);
        }
        let record = journal
            .get(Position(position))?
            .with_context(|| format!("no event at position {position}"))?;
        let proof = journal.inclusion_proof(record.position, size)?;
        Ok(Some(Neighbour::new(&record, &proof)))
    };
    let boundary = Boundary {
        before: neighbour(first - 1)?,
        after: neighbour(last + 1)?,
    };
    let mut events = Vec::new();
    if first <= last {
        for record in journal.iter_forward(Position(first)) {
            let record = record?;
            if record.position.0 > last {
                break;
            }
            let proof = journal.inclusion_proof(record.position, size)?;
            let occurred = record.occurred_at.to_datetime().map_or(0, |t| t.year());
            let full = TYPES_WITHOUT_PERSONAL_DATA.contains(&record.event_type.as_str());
            let mut event = BundleEvent::new(
                &record,
                &proof,
                evaluator_payload(&record.event_type, &record.payload, occurred, &pseudonym),
                full,
            );
            // A person who has not given the `reporting` consent is no row in what evaluators
            // see (ADR 0009): their events are counted, their content is withheld.
            // An event that does not decode names no one it can be shown for.
            let reporting = match desk::decode(desk.vault(), &record).map(|e| e.person_id()) {
                Ok(Some(person)) => desk.read(|m| {
                    m.person(person)
                        .is_some_and(|p| p.consents.contains(&domain::ConsentScope::Reporting))
                }),
                Ok(None) => true,
                Err(_) => false,
            };
            if !reporting {
                event.payload = Value::Null;
                event.payload_withheld = Some("reporting".into());
            }
            events.push(event);
        }
    }
    let mut bundle = Bundle {
        format: FORMAT.into(),
        public_key_fingerprint: desk.public_key().fingerprint(),
        checkpoint: signed.to_note(),
        manifest: String::new(),
        manifest_signature: String::new(),
        period: Period { from, to },
        first_position: first,
        last_position: last,
        boundary,
        events,
        cosignatures: Vec::new(),
    };
    bundle
        .seal(|text| desk.sign_statement(text))
        .context("the bundle's manifest cannot be signed: a type, role or time holds a space")?;
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut writer, &bundle).context("cannot write the bundle")?;
    std::io::Write::flush(&mut writer).context("cannot write the bundle")?;
    eprintln!(
        "bundle of {} events (positions {first} to {last}) against the checkpoint of tree size {size}",
        bundle.events.len()
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

fn verify_file(file: &Path, public_key: &str, witnesses: &[String]) -> ExitCode {
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
                "verified: {} events (positions {} to {}), the whole period {} to {}, are in the tree of size {} signed at {} by {}; the signed manifest binds each event's type, times and role; {} full records re-hashed, the others bound by their hash",
                v.events,
                bundle.first_position,
                bundle.last_position,
                bundle.period.from,
                bundle.period.to,
                v.tree_size,
                v.signed_at,
                key.origin(),
                v.rehashed
            );
            if !witnesses.is_empty() {
                println!("cosigned by the {} witness(es) given", witnesses.len());
            }
            if let Some(until) = v.complete_until {
                println!(
                    "note: the checkpoint was signed at {until}, before the period ended: the bundle is complete up to that time only"
                );
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
