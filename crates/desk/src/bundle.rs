//! Evaluator bundles: the format, and its offline verification (docs/VERIFYING.md). Creating
//! one (pseudonymising the events) is `impact bundle create`.

use std::fmt::Write as _;

use chrono::NaiveDate;
use domain::TYPES_WITHOUT_PERSONAL_DATA;
use journal::merkle::checkpoint::{PublicKey, SignedCheckpoint};
use journal::merkle::{leaf_hash, Hash, InclusionProof, LeafIndex, TreeSize};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format line of a bundle.
pub const FORMAT: &str = "impact-evaluator-bundle/1";

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub format: String,
    pub public_key_fingerprint: String,
    /// The signed checkpoint note, as `impact checkpoint` prints it.
    pub checkpoint: String,
    pub period: Period,
    pub first_position: u64,
    pub last_position: u64,
    pub events: Vec<BundleEvent>,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct BundleEvent {
    pub position: u64,
    /// The record's hash (hex): the leaf data.
    pub event_hash: String,
    /// The inclusion proof against the checkpoint's tree size (hex hashes, leaf to root).
    pub proof: Vec<String>,
    #[serde(rename = "type")]
    pub event_type: String,
    pub schema_version: u16,
    pub occurred_at: String,
    pub recorded_at: String,
    pub actor_role: String,
    /// The payload as evaluators see it: person ids pseudonymised, personal fields removed,
    /// birth year replaced by an age band.
    pub payload: Value,
    /// The full stored record (hex), only for types that carry no personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
}

impl BundleEvent {
    /// The entry of `record` with its inclusion proof, the payload shown and, when given, the full
    /// stored record (hex).
    pub fn new(
        record: &journal::RecordedEvent,
        proof: &InclusionProof,
        payload: Value,
        full_record: bool,
    ) -> BundleEvent {
        BundleEvent {
            position: record.position.0,
            event_hash: record.hash.to_hex(),
            proof: proof.path.iter().map(Hash::to_hex).collect(),
            event_type: record.event_type.clone(),
            schema_version: record.schema_version,
            occurred_at: record.occurred_at.to_string(),
            recorded_at: record.recorded_at.to_string(),
            actor_role: record.actor.role.clone(),
            payload,
            record: full_record.then(|| hex::encode(record.stored_bytes())),
        }
    }
}

/// What a verified bundle holds.
#[derive(Debug)]
pub struct Verified {
    pub events: usize,
    pub rehashed: usize,
    pub tree_size: TreeSize,
    pub signed_at: String,
}

/// Checks a bundle; every problem found, each naming its position or field.
pub fn verify_bundle(
    bundle: &Bundle,
    key: &PublicKey,
) -> std::result::Result<Verified, Vec<String>> {
    let mut problems = Vec::new();
    if bundle.format != FORMAT {
        problems.push(format!("format: {:?} is not {FORMAT}", bundle.format));
    }
    if bundle.public_key_fingerprint != key.fingerprint() {
        problems.push(format!(
            "publicKeyFingerprint: the bundle was made by the installation {}, the key given is {}'s",
            bundle.public_key_fingerprint,
            key.fingerprint()
        ));
    }
    let signed =
        match SignedCheckpoint::parse(&bundle.checkpoint).and_then(|s| s.verify(key).map(|()| s)) {
            Ok(signed) => signed,
            Err(error) => {
                problems.push(format!("checkpoint: {error}"));
                return Err(problems);
            }
        };
    let size = signed.checkpoint.tree_size;
    let root = signed.checkpoint.root;
    let (first, last) = (bundle.first_position, bundle.last_position);
    if first == 0 {
        problems.push("firstPosition: positions start at 1".into());
    }
    if last > size.0 {
        problems.push(format!(
            "lastPosition: {last} is beyond the checkpoint's tree size {size}"
        ));
    }
    let mut expected = first;
    let mut rehashed = 0;
    for (i, event) in bundle.events.iter().enumerate() {
        let at = event.position;
        if at != expected {
            if at > expected {
                problems.push(format!(
                    "position {expected}: missing (events[{i}] is position {at})"
                ));
            } else {
                problems.push(format!(
                    "position {at}: out of order or repeated (events[{i}], expected {expected})"
                ));
            }
            expected = at;
        }
        expected += 1;
        let Some(hash) = Hash::from_hex(&event.event_hash) else {
            problems.push(format!("position {at}: eventHash is not 64 hex digits"));
            continue;
        };
        let path: Option<Vec<Hash>> = event.proof.iter().map(|h| Hash::from_hex(h)).collect();
        let Some(path) = path else {
            problems.push(format!("position {at}: a proof hash is not 64 hex digits"));
            continue;
        };
        let proof = InclusionProof {
            leaf_index: LeafIndex(at.saturating_sub(1)),
            tree_size: size,
            path,
        };
        if let Err(error) = proof.verify(&leaf_hash(&hash.0), &root) {
            problems.push(format!(
                "position {at}: not in the signed tree of size {size}: {error}"
            ));
        }
        match &event.record {
            Some(record) => match check_record(event, &hash, record) {
                Ok(()) => rehashed += 1,
                Err(reason) => problems.push(format!("position {at}: record: {reason}")),
            },
            None if TYPES_WITHOUT_PERSONAL_DATA.contains(&event.event_type.as_str()) => {
                problems.push(format!(
                    "position {at}: a {} carries its full record, and it is missing",
                    event.event_type
                ));
            }
            None => {}
        }
    }
    if bundle.events.is_empty() && first <= last {
        problems.push(format!(
            "events: positions {first} to {last} are all missing"
        ));
    } else if expected != last + 1 && first <= last {
        if expected <= last {
            problems.push(format!(
                "position {expected}: missing (the bundle ends early: truncated?); positions up to {last} were promised"
            ));
        } else {
            problems.push(format!(
                "lastPosition: {last}, but the events go on to {}",
                expected - 1
            ));
        }
    }
    if problems.is_empty() {
        Ok(Verified {
            events: bundle.events.len(),
            rehashed,
            tree_size: size,
            signed_at: signed.checkpoint.time.to_rfc3339(),
        })
    } else {
        Err(problems)
    }
}

/// The full record must hash to the event hash and say what the readable fields say.
fn check_record(event: &BundleEvent, hash: &Hash, record: &str) -> std::result::Result<(), String> {
    let bytes = hex::decode(record).map_err(|_| "not hex".to_string())?;
    let decoded = journal::decode_record(&bytes).map_err(|e| format!("undecodable: {e}"))?;
    if journal::chain_hash(&decoded.prev_hash, &decoded.body_bytes()) != decoded.hash {
        return Err("hash mismatch: the record's bytes were altered".into());
    }
    if decoded.hash.0 != hash.0 {
        return Err("the record's hash is not eventHash".into());
    }
    let mut differs = String::new();
    if decoded.position.0 != event.position {
        let _ = write!(differs, " position");
    }
    if decoded.event_type != event.event_type {
        let _ = write!(differs, " type");
    }
    if decoded.schema_version != event.schema_version {
        let _ = write!(differs, " schemaVersion");
    }
    if decoded.occurred_at.to_string() != event.occurred_at {
        let _ = write!(differs, " occurredAt");
    }
    if decoded.recorded_at.to_string() != event.recorded_at {
        let _ = write!(differs, " recordedAt");
    }
    if decoded.actor.role != event.actor_role {
        let _ = write!(differs, " actorRole");
    }
    let payload: Value = serde_json::from_slice(&decoded.payload).unwrap_or(Value::Null);
    if payload != event.payload {
        let _ = write!(differs, " payload");
    }
    if differs.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the readable fields differ from the hashed record:{differs}"
        ))
    }
}
