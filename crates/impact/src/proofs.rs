//! `impact key`, `impact checkpoint`, `impact proof`, and the checkpoint part of `impact verify`.
//!
//! Exit codes as `impact verify`: 0 verified, 1 verification failed (the reason is printed),
//! 2 usage or IO error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::{Args, Subcommand};
use desk::{ConsistencyProofView, InclusionProofView};
use domain::{Actor, Role};
use journal::merkle::checkpoint::{PublicKey, SignedCheckpoint};
use journal::merkle::{Root, TreeSize};
use journal::{Journal, Position};

#[derive(Subcommand, Debug)]
pub enum KeyCmd {
    /// Print the installation's Ed25519 public key (64 hex digits), creating the key pair if
    /// this data directory has none yet. Works while the server runs.
    Show {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct CheckpointArgs {
    #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
    data: PathBuf,
    /// Who signs (recorded as the actor, role admin).
    #[arg(long, default_value = "impact-cli")]
    actor: String,
    /// The master key file (default: `<data>.master-key`).
    #[arg(long, env = "IMPACT_MASTER_KEY_FILE", value_name = "FILE")]
    master_key: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum ProofCmd {
    /// Print (JSON) the proof that an event is in the tree of a size (default: the head).
    /// The server must be stopped.
    Inclusion {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        /// The event's position.
        #[arg(
            long,
            conflicts_with = "event_id",
            required_unless_present = "event_id"
        )]
        position: Option<u64>,
        /// The event's id (ULID).
        #[arg(long)]
        event_id: Option<String>,
        #[arg(long)]
        tree_size: Option<u64>,
    },
    /// Print (JSON) the proof that the tree of size --to (default: the head) extends the tree of
    /// size --from. The server must be stopped.
    Consistency {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        #[arg(long)]
        from: u64,
        #[arg(long)]
        to: Option<u64>,
    },
    /// Check a proof (JSON, as printed by `impact proof` or GraphQL) against signed checkpoints
    /// and the installation's public key. Needs no data directory.
    Verify {
        /// The proof file.
        #[arg(long)]
        proof: PathBuf,
        /// A checkpoint note file; give two for a consistency proof between two checkpoints.
        #[arg(long, required = true)]
        checkpoint: Vec<PathBuf>,
        /// The public key: 64 hex digits, base64, or a file holding either.
        #[arg(long)]
        public_key: String,
        /// The event's export line (`impact export --from P --to P`), for an inclusion proof:
        /// its record must hash to the proof's `eventHash`, and its id is then the proof's
        /// `eventId`. Without it the proof binds the hash alone, and says so.
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
    },
}

/// Reads a public key given as text or as a file holding the text.
pub fn read_public_key(text: &str) -> Result<PublicKey> {
    let path = Path::new(text);
    let owned;
    let text = if path.is_file() {
        owned = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        owned.as_str()
    } else {
        text
    };
    PublicKey::parse(text.lines().next().unwrap_or_default()).context("--public-key")
}

pub fn key(cmd: &KeyCmd) -> Result<()> {
    let KeyCmd::Show { data } = cmd;
    let key = desk::load_or_create_key(data).context("cannot read the installation key")?;
    let public = key.public();
    println!("{}", public.to_hex());
    eprintln!(
        "Ed25519 public key (hex); checkpoints of this installation have origin {}",
        public.origin()
    );
    Ok(())
}

pub async fn checkpoint(args: &CheckpointArgs) -> Result<()> {
    let desk = crate::cli::open_desk(
        &args.data,
        args.master_key.as_deref(),
        domain::ProjectStart::default(),
    )?;
    let actor = Actor::new(args.actor.clone(), Role::Admin);
    match desk.sign_checkpoint(&actor, None).await? {
        Ok(recorded) => {
            print!("{}", recorded.note());
            eprintln!(
                "checkpoint recorded at position {} (signs tree size {})",
                recorded.position, recorded.signed.checkpoint.tree_size
            );
            Ok(())
        }
        Err(refused) => bail!("{}", desk::describe_refusal(&refused)),
    }
}

pub fn proof(cmd: &ProofCmd) -> ExitCode {
    match cmd {
        ProofCmd::Verify {
            proof,
            checkpoint,
            public_key,
            record,
        } => verify_proof(proof, checkpoint, public_key, record.as_deref()),
        ProofCmd::Inclusion {
            data,
            position,
            event_id,
            tree_size,
        } => crate::cli::exit(print_inclusion(
            data,
            *position,
            event_id.as_deref(),
            *tree_size,
        )),
        ProofCmd::Consistency { data, from, to } => {
            crate::cli::exit(print_consistency(data, *from, *to))
        }
    }
}

fn open_journal(data: &Path) -> Result<Journal> {
    crate::cli::open_read_only(data)
}

fn print_inclusion(
    data: &Path,
    position: Option<u64>,
    event_id: Option<&str>,
    tree_size: Option<u64>,
) -> Result<()> {
    let journal = open_journal(data)?;
    let position = match (position, event_id) {
        (Some(p), _) => Position(p),
        (None, Some(id)) => {
            let id: ulid::Ulid = id.parse().context("--event-id is not a ULID")?;
            journal
                .position_of(id)
                .with_context(|| format!("no event {id} in the journal"))?
        }
        (None, None) => bail!("give --position or --event-id"),
    };
    let size = TreeSize(tree_size.unwrap_or(journal.tree_size().0));
    let proof = journal.inclusion_proof(position, size)?;
    let event = journal
        .get(position)?
        .with_context(|| format!("no event at position {position}"))?;
    let view = InclusionProofView::from_proof(&proof, &event, journal.root_at(size)?);
    println!("{}", serde_json::to_string_pretty(&view)?);
    Ok(())
}

fn print_consistency(data: &Path, from: u64, to: Option<u64>) -> Result<()> {
    let journal = open_journal(data)?;
    let to = TreeSize(to.unwrap_or(journal.tree_size().0));
    let proof = journal.consistency_proof(TreeSize(from), to)?;
    let view = ConsistencyProofView::from_proof(
        &proof,
        journal.root_at(TreeSize(from))?,
        journal.root_at(to)?,
    );
    println!("{}", serde_json::to_string_pretty(&view)?);
    Ok(())
}

/// A verification that failed (exit 1) or could not run (exit 2).
enum Failure {
    Failed(String),
    Usage(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Usage(error)
    }
}

fn report(outcome: std::result::Result<String, Failure>) -> ExitCode {
    match outcome {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(Failure::Failed(reason)) => {
            println!("FAILED: {reason}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(error)) => {
            eprintln!("impact: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Reads a checkpoint note file and checks its signature.
pub fn read_checkpoint(
    path: &Path,
    key: &PublicKey,
) -> Result<std::result::Result<SignedCheckpoint, String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let signed = match SignedCheckpoint::parse(&text) {
        Ok(signed) => signed,
        Err(error) => return Ok(Err(format!("{}: {error}", path.display()))),
    };
    Ok(signed
        .verify(key)
        .map(|()| signed.clone())
        .map_err(|error| format!("{}: {error}", path.display())))
}

/// The proof object of a file: the JSON itself, or a GraphQL response around it.
fn proof_object(text: &str) -> Result<serde_json::Value> {
    let mut value: serde_json::Value =
        serde_json::from_str(text).context("the proof is not JSON")?;
    if let Some(data) = value.get("data").and_then(|d| d.as_object()) {
        if let Some(inner) = data.values().next() {
            value = inner.clone();
        }
    }
    Ok(value)
}

fn verify_proof(
    proof: &Path,
    checkpoints: &[PathBuf],
    public_key: &str,
    record: Option<&Path>,
) -> ExitCode {
    report((|| {
        let key = read_public_key(public_key)?;
        let text = std::fs::read_to_string(proof)
            .with_context(|| format!("cannot read {}", proof.display()))?;
        let object = proof_object(&text)?;
        let mut signed = Vec::new();
        for path in checkpoints {
            signed.push(read_checkpoint(path, &key)?.map_err(Failure::Failed)?);
        }
        if object.get("fromSize").is_some() {
            let view: ConsistencyProofView =
                serde_json::from_value(object).context("not a consistency proof")?;
            verify_consistency(&view, &signed)
        } else {
            let view: InclusionProofView =
                serde_json::from_value(object).context("not an inclusion proof")?;
            let record = match record {
                Some(path) => Some(read_record(path)?),
                None => None,
            };
            verify_inclusion(&view, &signed, record.as_ref())
        }
    })())
}

/// The record of an export line (the first non-empty line of the file), re-hashed.
fn read_record(path: &Path) -> Result<journal::RecordedEvent> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let value: serde_json::Value =
        serde_json::from_str(line).context("--record is not an export line")?;
    desk::export::line_record(&value).map_err(|reason| anyhow::anyhow!("--record: {reason}"))
}

fn verify_inclusion(
    view: &InclusionProofView,
    signed: &[SignedCheckpoint],
    record: Option<&journal::RecordedEvent>,
) -> std::result::Result<String, Failure> {
    let (proof, leaf) = view.to_proof().map_err(Failure::Failed)?;
    let Some(checkpoint) = signed
        .iter()
        .find(|s| s.checkpoint.tree_size == proof.tree_size)
    else {
        return Err(Failure::Failed(format!(
            "the proof is for tree size {}; no checkpoint given signs that size (sizes: {})",
            proof.tree_size,
            sizes(signed)
        )));
    };
    if let Some(root) = &view.root {
        if Root::from_hex(root) != Some(checkpoint.checkpoint.root) {
            return Err(Failure::Failed(
                "root: the proof's root is not the signed root of its tree size".into(),
            ));
        }
    }
    proof
        .verify(&leaf, &checkpoint.checkpoint.root)
        .map_err(|e| Failure::Failed(format!("position {}: {e}", view.position)))?;
    let id = match (record, &view.event_id) {
        (Some(record), _) => {
            if record.hash.to_hex() != view.event_hash || record.position.0 != view.position {
                return Err(Failure::Failed(format!(
                    "--record: the record at position {} with hash {} is not the proof's event",
                    record.position,
                    record.hash.to_hex()
                )));
            }
            match &view.event_id {
                Some(id) if *id != record.id.to_string() => {
                    return Err(Failure::Failed(format!(
                        "eventId: the proof says {id}, the record hashed is event {}",
                        record.id
                    )));
                }
                _ => format!("; its record is event {} (re-hashed)", record.id),
            }
        }
        (None, Some(id)) => format!(
            "; its eventId {id} is not proven (the hash binds it: give --record with the event's export line)"
        ),
        (None, None) => String::new(),
    };
    Ok(format!(
        "verified: the event at position {} (hash {}) is in the tree of size {} signed at {}{id}",
        view.position,
        view.event_hash,
        proof.tree_size,
        checkpoint.checkpoint.time.to_rfc3339()
    ))
}

fn sizes(signed: &[SignedCheckpoint]) -> String {
    signed
        .iter()
        .map(|s| s.checkpoint.tree_size.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn verify_consistency(
    view: &ConsistencyProofView,
    signed: &[SignedCheckpoint],
) -> std::result::Result<String, Failure> {
    let proof = view.to_proof().map_err(Failure::Failed)?;
    let Some(old) = signed.iter().find(|s| s.checkpoint.tree_size == proof.from) else {
        return Err(Failure::Failed(format!(
            "the proof starts at tree size {}; no checkpoint given signs that size (sizes: {})",
            proof.from,
            sizes(signed)
        )));
    };
    let (new_root, signed_new) = match signed.iter().find(|s| s.checkpoint.tree_size == proof.to) {
        Some(new) if proof.to != proof.from || signed.len() == 1 => (new.checkpoint.root, true),
        _ => {
            let root = view
                .to_root
                .as_deref()
                .and_then(Root::from_hex)
                .ok_or_else(|| {
                    Failure::Failed(format!(
                        "no checkpoint signs tree size {} and the proof carries no toRoot",
                        proof.to
                    ))
                })?;
            (root, false)
        }
    };
    // The roots a proof carries must be those it is checked against: an altered one is named.
    if let Some(from_root) = &view.from_root {
        if Root::from_hex(from_root) != Some(old.checkpoint.root) {
            return Err(Failure::Failed(format!(
                "fromRoot: the proof's root of tree size {} is not the signed one (a proof of another history, or altered)",
                proof.from
            )));
        }
    }
    if let Some(to_root) = &view.to_root {
        if signed_new && Root::from_hex(to_root) != Some(new_root) {
            return Err(Failure::Failed(format!(
                "toRoot: the proof's root of tree size {} is not the signed one (a proof of another history, or altered)",
                proof.to
            )));
        }
    }
    proof
        .verify(&old.checkpoint.root, &new_root)
        .map_err(|e| Failure::Failed(e.to_string()))?;
    Ok(format!(
        "verified: the tree of size {} {} extends the tree of size {} signed at {}",
        proof.to,
        if signed_new {
            "(signed)"
        } else {
            "(the server's current root, unsigned)"
        },
        proof.from,
        old.checkpoint.time.to_rfc3339()
    ))
}

/// `impact verify --checkpoint FILE --public-key KEY`: the journal in `data` must be an
/// extension of the checkpointed tree. `Ok(Err(reason))` when it is not.
pub fn check_journal_extends(
    data: &Path,
    checkpoint: &Path,
    public_key: &str,
) -> Result<std::result::Result<String, String>> {
    let key = read_public_key(public_key)?;
    let signed = match read_checkpoint(checkpoint, &key)? {
        Ok(signed) => signed,
        Err(reason) => return Ok(Err(reason)),
    };
    let journal = open_journal(data)?;
    let (size, root) = journal.tree_head();
    let old = signed.checkpoint.tree_size;
    if old > size {
        return Ok(Err(format!(
            "the journal has {size} events but the checkpoint signed {old}: its tail was cut \
             (or it was replaced by a shorter one)"
        )));
    }
    let proof = journal.consistency_proof(old, size)?;
    Ok(match proof.verify(&signed.checkpoint.root, &root) {
        Ok(()) => Ok(format!(
            "consistent: the journal (size {size}) extends the checkpoint of size {old} signed at {}",
            signed.checkpoint.time.to_rfc3339()
        )),
        Err(error) => Err(format!(
            "the journal is not an extension of the checkpoint of size {old} signed at {}: its \
             first {old} events differ from those signed; history was rewritten ({error})",
            signed.checkpoint.time.to_rfc3339()
        )),
    })
}
