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

/// Why no bundle was made for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoBundle {
    /// `to` is before `from`.
    ToBeforeFrom,
    /// The journal recorded nothing on those days (days of recording, `recordedAt`).
    NothingRecorded,
}

/// The evaluator view of a payload; `pseudonym` turns a person id into the keyed pseudonym
/// evaluators see everywhere (`Vault::pseudonym`).
pub fn evaluator_payload(
    event_type: &str,
    payload: &[u8],
    occurred_year: i32,
    pseudonym: &dyn Fn(domain::PersonId) -> String,
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

fn scrub(value: &mut Value, year: i32, pseudonym: &dyn Fn(domain::PersonId) -> String) {
    match value {
        Value::Object(map) => {
            for name in domain::PERSONAL_FIELD_NAMES
                .iter()
                .chain(&[domain::PERSONAL_FIELDS])
            {
                map.remove(*name);
            }
            for field in domain::PERSON_ID_FIELDS {
                if let Some(Value::String(id)) = map.get(*field) {
                    let pseudonym = id
                        .parse::<ulid::Ulid>()
                        .map(|u| pseudonym(domain::PersonId(u)))
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

impl crate::Desk {
    /// The evaluator bundle of the events recorded from `from` to `to` (UTC days, inclusive,
    /// by `recordedAt`), pseudonymised, each with its inclusion proof against the latest
    /// recorded checkpoint of this installation that covers them, or against one signed for the
    /// bundle and not recorded (the second value is then `true`). Writes nothing.
    pub fn evaluator_bundle(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Result<(Bundle, bool), NoBundle>, crate::DeskError> {
        use chrono::Datelike;
        use journal::{Position, Timestamp};
        if to < from {
            return Ok(Err(NoBundle::ToBeforeFrom));
        }
        let midnight = |day: NaiveDate| {
            day.and_hms_opt(0, 0, 0)
                .map(|t| Timestamp::from(t.and_utc()))
        };
        let (Some(start), Some(end)) = (midnight(from), to.succ_opt().and_then(midnight)) else {
            return Ok(Err(NoBundle::NothingRecorded));
        };
        // recorded_at never decreases, so the period is a contiguous range of positions.
        let (first, last) = self.read(|m| {
            (
                m.position_recorded_by(Timestamp(start.0 - 1)).0 + 1,
                m.position_recorded_by(Timestamp(end.0 - 1)).0,
            )
        });
        if first > last {
            return Ok(Err(NoBundle::NothingRecorded));
        }
        let journal = self.journal();
        // Only a checkpoint this installation's key signed, over this journal's own tree.
        let own_key = self.public_key();
        let covering = self
            .checkpoints()?
            .into_iter()
            .rev()
            .filter(|c| c.signed.checkpoint.tree_size.0 >= last.max(1))
            .find(|c| {
                c.signed.verify(&own_key).is_ok()
                    && journal.root_at(c.signed.checkpoint.tree_size).ok()
                        == Some(c.signed.checkpoint.root)
            });
        let (signed, signed_now) = match covering {
            Some(c) => (c.signed, false),
            None => (self.sign_head_unrecorded(), true),
        };
        let size = signed.checkpoint.tree_size;
        let pseudonym = |id: domain::PersonId| self.vault().pseudonym(id.0);
        let mut events = Vec::new();
        for record in journal.iter_forward(Position(first)) {
            let record = record?;
            if record.position.0 > last {
                break;
            }
            let proof = journal.inclusion_proof(record.position, size)?;
            let occurred = record.occurred_at.to_datetime().map_or(0, |t| t.year());
            let full = TYPES_WITHOUT_PERSONAL_DATA.contains(&record.event_type.as_str());
            events.push(BundleEvent::new(
                &record,
                &proof,
                evaluator_payload(&record.event_type, &record.payload, occurred, &pseudonym),
                full,
            ));
        }
        let bundle = Bundle {
            format: FORMAT.into(),
            public_key_fingerprint: own_key.fingerprint(),
            checkpoint: signed.to_note(),
            period: Period { from, to },
            first_position: first,
            last_position: last,
            events,
        };
        Ok(Ok((bundle, signed_now)))
    }
}
