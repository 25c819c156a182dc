//! `impact witness`: a witness that another body (the Comune, the region) runs with its own key
//! (ADR 0012, in the spirit of C2SP `tlog-witness`). It keeps the last checkpoint it cosigned
//! of each desk, and cosigns a new one only when a consistency proof links the two: a desk that
//! rewrote its history gets no cosignature.
//!
//! Its directory (`--state`) holds its key (`checkpoint-signing.key`, as an installation's),
//! its name (`name`) and, per desk, `desks/<fingerprint>.checkpoint`: the last note it cosigned.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::Subcommand;
use desk::bundle::Bundle;
use desk::ConsistencyProofView;
use journal::merkle::checkpoint::SignedCheckpoint;
use journal::merkle::cosignature;

#[derive(Subcommand, Debug)]
pub enum WitnessCmd {
    /// Make the witness's key and name in --state (once), and print its public key.
    Init {
        #[arg(long)]
        state: PathBuf,
        /// The witness's name, as its cosignatures carry it (`comune-guidonia/witness`).
        #[arg(long)]
        name: String,
    },
    /// Cosign a desk's checkpoint: a note (the cosignature line is printed), or the checkpoint
    /// of a bundle (the cosignature is added to the bundle). The first checkpoint of a desk is
    /// taken as it is; each later one needs --proof, a consistency proof from the last one
    /// cosigned (`impact proof consistency --from SIZE --to SIZE`). Exit 0 cosigned, 1 refused
    /// (the reason is printed), 2 usage or IO error.
    Cosign {
        #[arg(long)]
        state: PathBuf,
        /// The desk's public key (64 hex digits, base64, or a file holding either).
        #[arg(long)]
        desk_key: String,
        #[arg(long, conflicts_with = "bundle", required_unless_present = "bundle")]
        checkpoint: Option<PathBuf>,
        #[arg(long)]
        bundle: Option<PathBuf>,
        #[arg(long)]
        proof: Option<PathBuf>,
    },
}

pub fn run(cmd: &WitnessCmd) -> ExitCode {
    match cmd {
        WitnessCmd::Init { state, name } => crate::cli::exit(init(state, name)),
        WitnessCmd::Cosign {
            state,
            desk_key,
            checkpoint,
            bundle,
            proof,
        } => match cosign(
            state,
            desk_key,
            checkpoint.as_deref(),
            bundle.as_deref(),
            proof.as_deref(),
        ) {
            Ok(Ok(())) => ExitCode::SUCCESS,
            Ok(Err(reason)) => {
                println!("REFUSED: {reason}");
                ExitCode::from(1)
            }
            Err(error) => {
                eprintln!("impact witness: {error:#}");
                ExitCode::from(2)
            }
        },
    }
}

fn init(state: &Path, name: &str) -> Result<()> {
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        bail!("--name is one word with no spaces");
    }
    std::fs::create_dir_all(state.join("desks"))
        .with_context(|| format!("cannot create {}", state.display()))?;
    let name_file = state.join("name");
    match std::fs::read_to_string(&name_file) {
        Ok(existing) if existing.trim() != name => {
            bail!("this witness is already named {}", existing.trim())
        }
        Ok(_) => {}
        Err(_) => std::fs::write(&name_file, format!("{name}\n"))
            .with_context(|| format!("cannot write {}", name_file.display()))?,
    }
    let key = desk::load_or_create_key(state).context("cannot read the witness key")?;
    println!("{}", key.public().to_hex());
    eprintln!("the witness {name}'s Ed25519 public key (hex)");
    Ok(())
}

fn cosign(
    state: &Path,
    desk_key: &str,
    checkpoint: Option<&Path>,
    bundle_file: Option<&Path>,
    proof: Option<&Path>,
) -> Result<std::result::Result<(), String>> {
    let desk_key = crate::proofs::read_public_key(desk_key)?;
    let name = std::fs::read_to_string(state.join("name"))
        .context("no witness here: run `impact witness init` first")?
        .trim()
        .to_owned();
    let key = desk::load_key(state).context("cannot read the witness key")?;
    let mut bundle: Option<Bundle> = None;
    let note = match (checkpoint, bundle_file) {
        (Some(path), _) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let parsed: Bundle = serde_json::from_str(&text).context("not a bundle")?;
            let note = parsed.checkpoint.clone();
            bundle = Some(parsed);
            note
        }
        (None, None) => bail!("give --checkpoint or --bundle"),
    };
    let signed = match SignedCheckpoint::parse(&note) {
        Ok(signed) => signed,
        Err(error) => return Ok(Err(format!("checkpoint: {error}"))),
    };
    if let Err(error) = signed.verify(&desk_key) {
        return Ok(Err(format!("checkpoint: {error}")));
    }
    let seen_file = state
        .join("desks")
        .join(format!("{}.checkpoint", desk_key.fingerprint()));
    let seen = match std::fs::read_to_string(&seen_file) {
        Ok(text) => Some(
            SignedCheckpoint::parse(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", seen_file.display()))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", seen_file.display())),
    };
    if let Some(seen) = &seen {
        if let Err(reason) = consistent(seen, &signed, proof)? {
            return Ok(Err(reason));
        }
    }
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    let line = cosignature::cosign(&key, &name, &signed.checkpoint, now);
    // The checkpoint is kept before the cosignature leaves: a crash between the two costs the
    // desk a retry, never lets an older tree be cosigned after a newer one.
    let newer = seen
        .as_ref()
        .is_none_or(|s| s.checkpoint.tree_size < signed.checkpoint.tree_size);
    if newer {
        let temporary = seen_file.with_extension("tmp");
        std::fs::write(&temporary, signed.to_note())
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        std::fs::rename(&temporary, &seen_file)
            .with_context(|| format!("cannot write {}", seen_file.display()))?;
    }
    match (bundle, bundle_file) {
        (Some(mut bundle), Some(path)) => {
            bundle.cosignatures.push(line);
            let text = serde_json::to_string_pretty(&bundle).context("the bundle")?;
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!(
                "cosigned the checkpoint of tree size {} in {} as {name}",
                signed.checkpoint.tree_size,
                path.display()
            );
        }
        _ => println!("{line}"),
    }
    Ok(Ok(()))
}

/// The new checkpoint must extend the last one cosigned: the same tree, or a consistency proof
/// from it.
fn consistent(
    seen: &SignedCheckpoint,
    new: &SignedCheckpoint,
    proof: Option<&Path>,
) -> Result<std::result::Result<(), String>> {
    let (old_size, new_size) = (seen.checkpoint.tree_size, new.checkpoint.tree_size);
    if new_size < old_size {
        return Ok(Err(format!(
            "the checkpoint of tree size {new_size} is older than the one of size {old_size} already cosigned"
        )));
    }
    if new_size == old_size {
        return Ok(if new.checkpoint.root == seen.checkpoint.root {
            Ok(())
        } else {
            Err(format!(
                "the tree of size {new_size} has another root than the one cosigned: history was rewritten"
            ))
        });
    }
    let Some(path) = proof else {
        return Ok(Err(format!(
            "a consistency proof from tree size {old_size} (the last checkpoint cosigned) to {new_size} is needed: impact proof consistency --from {old_size} --to {new_size}"
        )));
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let view: ConsistencyProofView =
        serde_json::from_str(&text).context("--proof is not a consistency proof")?;
    let proof = match view.to_proof() {
        Ok(proof) => proof,
        Err(reason) => return Ok(Err(format!("--proof: {reason}"))),
    };
    if proof.from != old_size || proof.to != new_size {
        return Ok(Err(format!(
            "--proof goes from tree size {} to {}; from {old_size} to {new_size} is needed",
            proof.from, proof.to
        )));
    }
    Ok(proof
        .verify(&seen.checkpoint.root, &new.checkpoint.root)
        .map_err(|e| {
            format!(
                "the checkpoint of size {new_size} does not extend the one of size {old_size} cosigned: history was rewritten ({e})"
            )
        }))
}
