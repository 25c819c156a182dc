//! The desk's own files checked against the journal, without writing anything: the key store
//! (`person-keys`) and the checkpoint signing key. The journal is the anchor of both: every
//! person whose values it seals must have a slot (a missing slot is damage, never an erasure),
//! only a `PersonErased` it holds may leave a key destroyed, and the public key of every
//! `CheckpointSigned` it holds must be the key file's. The checkpoints themselves are checked
//! against the journal's own tree: each signature under the key it names, and each signed root
//! equal to the tree's root at that size (a history re-chained after a checkpoint was signed
//! fails here even when every hash and link holds).
//!
//! `impact verify` runs these; [`crate::Desk::open`] applies the same rules while it replays and
//! refuses to start on a key store they find damaged.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use domain::Event;
use journal::merkle::checkpoint::PublicKey;
use journal::merkle::{Root, TreeSize};
use journal::{Finding, Journal, JournalError, Position, RecordedEvent};
use ulid::Ulid;
use vault::{KeyState, KeyStoreReport, PERSON_KEYS_FILE, SLOT_LEN};

use crate::checkpoint::{self, KEY_FILE};
use crate::{is_sealed, sealed_persons, DeskError, ERASURE};

/// What the journal says about persons and keys: whose values it seals (first position), whom
/// it erased, and which public key signed its checkpoints.
#[derive(Clone, Debug, Default)]
pub struct JournalKeys {
    pub sealed: BTreeMap<Ulid, Position>,
    pub erased: HashMap<Ulid, Position>,
    /// The position and public key (hex) of the last `CheckpointSigned`.
    pub last_checkpoint_key: Option<(Position, String)>,
    /// Every `CheckpointSigned`, with its position.
    pub checkpoints: Vec<(Position, domain::CheckpointSigned)>,
}

impl JournalKeys {
    /// Reads what the records say; a record that does not decode is an error at its position.
    pub fn read(
        records: impl Iterator<Item = Result<RecordedEvent, JournalError>>,
    ) -> Result<JournalKeys, DeskError> {
        let mut keys = JournalKeys::default();
        for record in records {
            let record = record?;
            keys.note(&record)?;
        }
        Ok(keys)
    }

    fn note(&mut self, record: &RecordedEvent) -> Result<(), DeskError> {
        if is_sealed(&record.payload) {
            for person in sealed_persons(&record.payload) {
                self.sealed.entry(person).or_insert(record.position);
            }
        }
        let decode = || {
            Event::from_payload(&record.event_type, record.schema_version, &record.payload).map_err(
                |source| DeskError::Undecodable {
                    position: record.position,
                    source,
                },
            )
        };
        match record.event_type.as_str() {
            ERASURE => {
                if let Event::PersonErased(e) = decode()? {
                    self.erased.insert(e.person_id.0, record.position);
                }
            }
            "TextRedacted" => {
                if let Event::TextRedacted(e) = decode()? {
                    self.erased.insert(e.event_id, record.position);
                }
            }
            "CheckpointSigned" => {
                if let Event::CheckpointSigned(e) = decode()? {
                    self.last_checkpoint_key = Some((record.position, e.public_key.clone()));
                    self.checkpoints.push((record.position, e));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn key_store_finding(what: String, action: &str, repairable: bool) -> Finding {
    Finding {
        file: PERSON_KEYS_FILE.to_owned(),
        position: None,
        what,
        action: action.to_owned(),
        repairable,
    }
}

const RESTORE_KEYS: &str = "restore person-keys from the backup taken with this journal \
     (`impact restore`, see docs/VERIFYING.md); the server refuses to start on it";

/// The key store's faults, judged against the journal.
pub fn key_store_findings(report: &KeyStoreReport, journal: &JournalKeys) -> Vec<Finding> {
    let mut findings = Vec::new();
    if !report.exists && !journal.sealed.is_empty() {
        findings.push(key_store_finding(
            format!(
                "missing, while the journal seals the values of {} persons",
                journal.sealed.len()
            ),
            RESTORE_KEYS,
            false,
        ));
        return findings;
    }
    for damage in &report.damaged {
        let from = damage
            .slot
            .saturating_mul(u64::try_from(SLOT_LEN).unwrap_or(u64::MAX));
        findings.push(key_store_finding(
            format!("slot {} (byte {from}): {}", damage.slot, damage.reason),
            RESTORE_KEYS,
            false,
        ));
    }
    if report.torn_tail_bytes > 0 {
        findings.push(key_store_finding(
            format!(
                "ends with {} bytes of a slot never completed (a crash while a key was added)",
                report.torn_tail_bytes
            ),
            "the server cuts them off when it starts; if a person below has no key, restore \
             person-keys from the backup instead",
            true,
        ));
    }
    let missing: Vec<(&Ulid, &Position)> = journal
        .sealed
        .iter()
        .filter(|(person, _)| !report.persons.contains_key(person))
        .collect();
    if let Some((person, position)) = missing.iter().min_by_key(|(_, p)| **p) {
        let mut finding = key_store_finding(
            format!(
                "no key for {} whose values the journal seals (the first, person {person}, at \
                 position {position}): their personal data cannot be read, and this is damage, \
                 not an erasure",
                persons(missing.len())
            ),
            RESTORE_KEYS,
            false,
        );
        finding.position = Some(position.0);
        findings.push(finding);
    }
    let mut destroyed: Vec<&Ulid> = report
        .persons
        .iter()
        .filter(|(person, state)| {
            **state == KeyState::Destroyed && !journal.erased.contains_key(person)
        })
        .map(|(person, _)| person)
        .collect();
    destroyed.sort();
    if let Some(first) = destroyed.first() {
        findings.push(key_store_finding(
            format!(
                "the keys of {} read as destroyed (the first, person {first}) with no \
                 PersonErased in the journal: only an erasure destroys a key",
                persons(destroyed.len())
            ),
            RESTORE_KEYS,
            false,
        ));
    }
    let pending = journal
        .erased
        .keys()
        .filter(|person| report.persons.get(person) == Some(&KeyState::Active))
        .count();
    if pending > 0 && report.damaged.is_empty() {
        findings.push(key_store_finding(
            format!("{} erased still have a live key", persons(pending)),
            "the server destroys them when it starts (`impact repair` too)",
            true,
        ));
    }
    findings
}

/// The signing key file's faults: unreadable, not a key, or not the key of the journal's
/// checkpoints.
pub fn signing_key_findings(dir: &Path, journal: &JournalKeys) -> Vec<Finding> {
    let finding = |what: String, action: &str| Finding {
        file: KEY_FILE.to_owned(),
        position: journal.last_checkpoint_key.as_ref().map(|(p, _)| p.0),
        what,
        action: action.to_owned(),
        repairable: false,
    };
    let restore = "restore checkpoint-signing.key from the backup; never make a new key while \
                   checkpoints signed with the old one exist (the server refuses to start)";
    match checkpoint::load_key(dir) {
        Ok(key) => match &journal.last_checkpoint_key {
            Some((position, signed_with)) if *signed_with != key.public().to_hex() => {
                vec![finding(
                    format!(
                        "holds the key {}, but the checkpoint at position {position} was signed \
                         with {signed_with}",
                        key.public().to_hex()
                    ),
                    restore,
                )]
            }
            _ => Vec::new(),
        },
        Err(DeskError::KeyFile { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            match &journal.last_checkpoint_key {
                Some((position, signed_with)) => vec![finding(
                    format!("missing; the checkpoint at position {position} was signed with {signed_with}"),
                    restore,
                )],
                None => Vec::new(),
            }
        }
        Err(DeskError::KeyFileMismatch { .. }) => vec![finding(
            "its secret is not the key of the public key written beside it (damaged)".to_owned(),
            restore,
        )],
        Err(DeskError::BadKeyFile { .. }) => {
            vec![finding("does not hold a key (damaged)".to_owned(), restore)]
        }
        Err(error) => vec![finding(error.to_string(), restore)],
    }
}

/// "1 person", "2 persons".
pub(crate) fn persons(n: usize) -> String {
    if n == 1 {
        "1 person".to_owned()
    } else {
        format!("{n} persons")
    }
}

/// The checkpoints the journal records, each checked against the journal's own tree: its
/// signature under the public key it names, and its root equal to `root_at(tree_size)`.
pub fn checkpoint_findings(
    checkpoints: &[(Position, domain::CheckpointSigned)],
    root_at: impl Fn(TreeSize) -> Result<Root, JournalError>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (position, event) in checkpoints {
        let finding = |what: String| Finding {
            file: "the journal".to_owned(),
            position: Some(position.0),
            what,
            action: "a checkpoint the journal's own history does not match: keep the directory \
                     as it is, compare the head and checkpoints written down outside (impact \
                     verify --checkpoint), and restore the last backup that matches them"
                .to_owned(),
            repairable: false,
        };
        let Some(signed) = checkpoint::signed_from_event(event) else {
            findings.push(finding(
                "a CheckpointSigned whose key, root or signature does not read".to_owned(),
            ));
            continue;
        };
        let verified = PublicKey::parse(&event.public_key)
            .map_err(|e| e.to_string())
            .and_then(|key| signed.verify(&key).map_err(|e| e.to_string()));
        if let Err(why) = verified {
            findings.push(finding(format!(
                "the checkpoint of tree size {} does not verify under the key it names: {why}",
                event.tree_size
            )));
            continue;
        }
        match root_at(TreeSize(event.tree_size)) {
            Ok(root) if root == signed.checkpoint.root => {}
            Ok(root) => findings.push(finding(format!(
                "the checkpoint signs root {} for tree size {}, but the journal's tree has root \
                 {} at that size: the history before it was rewritten",
                event.root,
                event.tree_size,
                root.to_hex()
            ))),
            Err(error) => findings.push(finding(format!(
                "the checkpoint signs tree size {}, which the journal's tree cannot give: {error}",
                event.tree_size
            ))),
        }
    }
    findings
}

/// Every fault of the desk's own files in `dir` (a data directory), read with `journal`'s
/// records and the master key file when there is one, and every recorded checkpoint checked
/// against the journal's tree; writes nothing.
pub fn desk_file_findings(
    dir: &Path,
    master_key: Option<&Path>,
    journal: &Journal,
) -> Result<(Vec<Finding>, KeyStoreReport), DeskError> {
    let keys = JournalKeys::read(journal.iter_forward(Position(1)))?;
    let report = vault::inspect(dir, master_key)?;
    let mut findings = key_store_findings(&report, &keys);
    findings.extend(signing_key_findings(dir, &keys));
    findings.extend(checkpoint_findings(&keys.checkpoints, |size| {
        journal.root_at(size)
    }));
    Ok((findings, report))
}
