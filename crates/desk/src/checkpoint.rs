//! The installation key and signed checkpoints.
//!
//! The key is an Ed25519 secret in `checkpoint-signing.key` in the data directory (64 hex digits
//! on a line, then `public ` and the public key's 64 hex digits on another, mode 0600), created
//! at the first start. It is never logged; its public half is
//! what `impact key show` prints and what an outsider checks checkpoints with.
//!
//! A checkpoint is signed here (the domain does no cryptography) and recorded as
//! `CheckpointSigned` in the `checkpoints` stream through the ordinary command path. The desk signs
//! one on demand ([`Desk::sign_checkpoint`]) and after every recorded supervision meeting (the
//! monthly supervision), so that at least one checkpoint a month leaves the system.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use domain::{Actor, Command, Event, RecordCheckpoint, StreamId};
use journal::merkle::checkpoint::{PublicKey, SignedCheckpoint, SigningKey, Time};
use journal::merkle::{Hash, Root, TreeSize};
use journal::Position;
use rand::RngCore;
use serde::Serialize;
use ulid::Ulid;

use crate::{decode, Desk, DeskError, Refused};

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "checkpoint-signing.key";

/// The key file of a data directory.
pub fn key_path(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE)
}

/// Reads the installation key of `dir`, creating it (mode 0600) if there is none yet.
pub fn load_or_create_key(dir: &Path) -> Result<SigningKey, DeskError> {
    let path = key_path(dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_key(&path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key(dir, &path),
        Err(source) => Err(DeskError::KeyFile { path, source }),
    }
}

/// Reads the installation key of `dir`; an error if there is none.
pub fn load_key(dir: &Path) -> Result<SigningKey, DeskError> {
    let path = key_path(dir);
    let text = std::fs::read_to_string(&path).map_err(|source| DeskError::KeyFile {
        path: path.clone(),
        source,
    })?;
    parse_key(&path, &text)
}

/// The file holds the secret (64 hex digits) on its first line and, from this format on, the
/// public key on a second line `public <64 hex digits>`: a changed digit of the secret is still
/// a valid key, and the public key beside it is what catches it. A file of one line (written
/// before the second line existed) is read as it is.
fn parse_key(path: &Path, text: &str) -> Result<SigningKey, DeskError> {
    let bad = || DeskError::BadKeyFile {
        path: path.to_path_buf(),
    };
    let mut lines = text.lines();
    let secret = lines
        .next()
        .and_then(|line| Hash::from_hex(line.trim()))
        .ok_or_else(bad)?;
    let key = SigningKey::from_secret(&secret.0);
    match lines.next().map(str::trim) {
        None | Some("") => {}
        Some(line) => {
            let written = line.strip_prefix("public ").ok_or_else(bad)?;
            if written.trim() != key.public().to_hex() {
                return Err(DeskError::KeyFileMismatch {
                    path: path.to_path_buf(),
                });
            }
        }
    }
    if lines.any(|line| !line.trim().is_empty()) {
        return Err(bad());
    }
    Ok(key)
}

fn create_key(dir: &Path, path: &Path) -> Result<SigningKey, DeskError> {
    let io = |source| DeskError::KeyFile {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let key = SigningKey::from_secret(&secret);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return load_key(dir),
        Err(e) => return Err(io(e)),
    };
    let text = format!(
        "{}\npublic {}\n",
        Hash(key.secret()).to_hex(),
        key.public().to_hex()
    );
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io)?;
    tracing::info!(
        fingerprint = %key.public().fingerprint(),
        "created the installation's checkpoint signing key"
    );
    Ok(key)
}

/// A checkpoint recorded in the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedCheckpoint {
    /// Where the `CheckpointSigned` event is (after the tree size it signs).
    pub position: Position,
    pub event_id: Ulid,
    pub recorded_by: String,
    #[serde(skip)]
    pub signed: SignedCheckpoint,
}

impl RecordedCheckpoint {
    pub fn note(&self) -> String {
        self.signed.to_note()
    }
}

/// Rebuilds the signed checkpoint an event records; `None` if its fields do not read.
pub fn signed_from_event(event: &domain::CheckpointSigned) -> Option<SignedCheckpoint> {
    let key = PublicKey::parse(&event.public_key).ok()?;
    let root = Root::from_hex(&event.root)?;
    let signature: [u8; 64] = journal::merkle::checkpoint::base64_decode(&event.signature)?
        .try_into()
        .ok()?;
    Some(SignedCheckpoint {
        checkpoint: journal::merkle::checkpoint::Checkpoint {
            origin: key.origin(),
            tree_size: TreeSize(event.tree_size),
            root,
            time: Time(event.occurred_at.timestamp()),
        },
        signature,
    })
}

fn to_datetime(time: Time) -> DateTime<Utc> {
    DateTime::from_timestamp(time.0, 0).unwrap_or_default()
}

impl Desk {
    /// The installation's public key.
    pub fn public_key(&self) -> PublicKey {
        self.signer.public()
    }

    /// Signs a statement of this installation (a bundle's manifest) with its key; `None` for a
    /// text that could read as a checkpoint.
    pub fn sign_statement(&self, text: &str) -> Option<[u8; 64]> {
        self.signer.sign_statement(text)
    }

    /// Signs the journal's tree as of its head without recording the checkpoint: what a command
    /// that only reads (`impact bundle create`) hands out when no recorded checkpoint covers
    /// what it proves. The note states what the journal holds, checkable like any other.
    pub fn sign_head_unrecorded(&self) -> SignedCheckpoint {
        let (size, root) = self.journal.tree_head();
        self.signer
            .sign(size, root, Time((self.clock)().timestamp()))
    }

    /// Signs the journal's tree as of its head and records the checkpoint (a supervisor or an
    /// administrator). The checkpoint event itself lands after the size it signs.
    pub async fn sign_checkpoint(
        &self,
        actor: &Actor,
        event_id: Option<Ulid>,
    ) -> Result<Result<RecordedCheckpoint, Refused>, DeskError> {
        if let Some(id) = event_id {
            if let Some(original) = self.journal.get_by_id(id)? {
                // A retry: give the checkpoint recorded under this id back (or IdReused).
                let command = Command::RecordCheckpoint(RecordCheckpoint {
                    occurred_at: Utc::now(),
                    tree_size: 0,
                    root: String::new(),
                    public_key: String::new(),
                    signature: String::new(),
                });
                return Ok(match self.repeat(actor, &command, original).await? {
                    Ok(recorded) => recorded_checkpoint(&self.vault, &recorded.events[0])?
                        .ok_or_else(|| Refused::IdReused {
                            id,
                            position: recorded.events[0].position,
                        }),
                    Err(refused) => Err(refused),
                });
            }
        }
        let (size, root) = self.journal.tree_head();
        let now = (self.clock)();
        let time = Time(now.timestamp());
        let signed = self.signer.sign(size, root, time);
        let command = Command::RecordCheckpoint(RecordCheckpoint {
            occurred_at: to_datetime(time),
            tree_size: size.0,
            root: root.to_hex(),
            public_key: self.signer.public().to_hex(),
            signature: signed.signature_base64(),
        });
        match self.execute_inner(actor, &command, event_id, None).await? {
            Ok(recorded) => {
                let event = &recorded.events[0];
                tracing::info!(
                    tree_size = size.0,
                    position = event.position.0,
                    "signed a checkpoint"
                );
                Ok(Ok(RecordedCheckpoint {
                    position: event.position,
                    event_id: event.id,
                    recorded_by: event.actor.id.clone(),
                    signed,
                }))
            }
            Err(refused) => Ok(Err(refused)),
        }
    }

    /// Every checkpoint recorded, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<RecordedCheckpoint>, DeskError> {
        let records = self
            .journal
            .read_stream(StreamId::checkpoints().as_str(), 1, None)?;
        let mut out = Vec::with_capacity(records.len());
        for record in &records {
            if let Some(checkpoint) = recorded_checkpoint(&self.vault, record)? {
                out.push(checkpoint);
            }
        }
        Ok(out)
    }
}

fn recorded_checkpoint(
    vault: &vault::Vault,
    record: &journal::RecordedEvent,
) -> Result<Option<RecordedCheckpoint>, DeskError> {
    let Event::CheckpointSigned(event) = decode(vault, record)? else {
        return Ok(None);
    };
    Ok(signed_from_event(&event).map(|signed| RecordedCheckpoint {
        position: record.position,
        event_id: record.id,
        recorded_by: record.actor.id.clone(),
        signed,
    }))
}

/// An inclusion proof as GraphQL and `impact proof inclusion` print it (hex hashes), and as
/// `impact proof verify` reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProofView {
    #[serde(default)]
    pub event_id: Option<String>,
    pub position: u64,
    /// position - 1 (optional when read: it follows from the position).
    #[serde(default)]
    pub leaf_index: Option<u64>,
    pub tree_size: u64,
    /// The record's hash: the leaf data.
    pub event_hash: String,
    /// From the leaf's sibling up.
    pub path: Vec<String>,
    /// The root of `tree_size` as the server computes it (unsigned: compare with a checkpoint).
    #[serde(default)]
    pub root: Option<String>,
}

/// A consistency proof as GraphQL and `impact proof consistency` print it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsistencyProofView {
    pub from_size: u64,
    pub to_size: u64,
    pub path: Vec<String>,
    /// The roots as the server computes them (unsigned: compare with checkpoints).
    #[serde(default)]
    pub from_root: Option<String>,
    #[serde(default)]
    pub to_root: Option<String>,
}

fn hashes(path: &[String]) -> Result<Vec<Hash>, String> {
    path.iter()
        .enumerate()
        .map(|(i, h)| Hash::from_hex(h).ok_or_else(|| format!("path[{i}] is not 64 hex digits")))
        .collect()
}

impl InclusionProofView {
    pub fn from_proof(
        proof: &journal::merkle::InclusionProof,
        event: &journal::RecordedEvent,
        root: Root,
    ) -> Self {
        InclusionProofView {
            event_id: Some(event.id.to_string()),
            position: event.position.0,
            leaf_index: Some(proof.leaf_index.0),
            tree_size: proof.tree_size.0,
            event_hash: event.hash.to_hex(),
            path: proof.path.iter().map(Hash::to_hex).collect(),
            root: Some(root.to_hex()),
        }
    }

    /// The proof and the leaf hash it starts from; a reason when a field does not read.
    pub fn to_proof(&self) -> Result<(journal::merkle::InclusionProof, Hash), String> {
        if self.position == 0 {
            return Err("position 0 is not an event (positions start at 1)".into());
        }
        let leaf_index = self.leaf_index.unwrap_or(self.position - 1);
        if leaf_index != self.position - 1 {
            return Err(format!(
                "leafIndex {leaf_index} does not match position {} (leaf index = position - 1)",
                self.position
            ));
        }
        let event_hash =
            Hash::from_hex(&self.event_hash).ok_or("eventHash is not 64 hex digits")?;
        Ok((
            journal::merkle::InclusionProof {
                leaf_index: journal::merkle::LeafIndex(leaf_index),
                tree_size: TreeSize(self.tree_size),
                path: hashes(&self.path)?,
            },
            journal::merkle::leaf_hash(&event_hash.0),
        ))
    }
}

impl ConsistencyProofView {
    pub fn from_proof(proof: &journal::merkle::ConsistencyProof, from: Root, to: Root) -> Self {
        ConsistencyProofView {
            from_size: proof.from.0,
            to_size: proof.to.0,
            path: proof.path.iter().map(Hash::to_hex).collect(),
            from_root: Some(from.to_hex()),
            to_root: Some(to.to_hex()),
        }
    }

    pub fn to_proof(&self) -> Result<journal::merkle::ConsistencyProof, String> {
        Ok(journal::merkle::ConsistencyProof {
            from: TreeSize(self.from_size),
            to: TreeSize(self.to_size),
            path: hashes(&self.path)?,
        })
    }
}

impl Desk {
    /// The proof that the event at `position` is in the tree of `tree_size` (default: the head).
    pub fn inclusion_proof(
        &self,
        position: Position,
        tree_size: Option<u64>,
    ) -> Result<InclusionProofView, DeskError> {
        let size = TreeSize(tree_size.unwrap_or(self.journal.tree_size().0));
        let proof = self.journal.inclusion_proof(position, size)?;
        let event = self
            .journal
            .get(position)?
            .ok_or(journal::JournalError::ProofRange(
                journal::merkle::RangeError::LeafOutsideTree {
                    index: position.0.saturating_sub(1),
                    size: size.0,
                },
            ))?;
        let root = self.journal.root_at(size)?;
        Ok(InclusionProofView::from_proof(&proof, &event, root))
    }

    /// The proof that the tree of `to` (default: the head) extends the tree of `from`.
    pub fn consistency_proof(
        &self,
        from: u64,
        to: Option<u64>,
    ) -> Result<ConsistencyProofView, DeskError> {
        let to = TreeSize(to.unwrap_or(self.journal.tree_size().0));
        let proof = self.journal.consistency_proof(TreeSize(from), to)?;
        Ok(ConsistencyProofView::from_proof(
            &proof,
            self.journal.root_at(TreeSize(from))?,
            self.journal.root_at(to)?,
        ))
    }
}
