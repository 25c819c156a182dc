//! Evaluator bundles: the format, its signed manifest (`manifest.rs`), and its offline
//! verification (docs/VERIFYING.md, ADR 0011). Creating one (pseudonymising the events) is
//! `impact bundle create`.

pub mod figures;
pub mod manifest;
pub mod tables;

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use domain::TYPES_WITHOUT_PERSONAL_DATA;
use journal::merkle::checkpoint::{base64_decode, PublicKey, SignedCheckpoint};
use journal::merkle::{leaf_hash, Hash, InclusionProof, LeafIndex, Root, TreeSize};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format line of a bundle.
pub const FORMAT: &str = "impact-evaluator-bundle/2";

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub format: String,
    pub public_key_fingerprint: String,
    /// The signed checkpoint note, as `impact checkpoint` prints it.
    pub checkpoint: String,
    /// The manifest (`manifest::manifest_text`): what the bundle holds, signed.
    pub manifest: String,
    /// The Ed25519 signature of the manifest's bytes with the installation key (base64).
    pub manifest_signature: String,
    pub period: Period,
    pub first_position: u64,
    pub last_position: u64,
    /// The events just outside the range, showing that nothing of the period is left out.
    pub boundary: Boundary,
    pub events: Vec<BundleEvent>,
    /// The desk's figures for the period (`figures.rs`), by name, small cells suppressed
    /// (`"*"`); signed in the manifest, and recomputed from the bundle by
    /// `impact bundle verify --report`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub figures: std::collections::BTreeMap<String, figures::Stated>,
    /// The k-anonymity applied to the persons whose fields are disclosed (ADR 0015); signed in
    /// the manifest. Absent from bundles made before it was applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k_anonymity: Option<KAnonymity>,
    /// Witnesses' cosignature lines of the checkpoint (ADR 0012), added after the bundle is
    /// made (`impact witness cosign --bundle`): not part of the manifest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cosignatures: Vec<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The period's first instant and the first instant after it (UTC days).
    pub fn bounds(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        Some((
            self.from.and_hms_opt(0, 0, 0)?.and_utc(),
            self.to.succ_opt()?.and_hms_opt(0, 0, 0)?.and_utc(),
        ))
    }
}

/// The neighbours of the range: the event before `firstPosition` (none when it is 1) and the
/// one after `lastPosition` (none when the checkpoint's tree ends there).
#[derive(Serialize, Deserialize, Debug, Default)]
pub struct Boundary {
    pub before: Option<Neighbour>,
    pub after: Option<Neighbour>,
}

/// An event outside the period: where, its hash and proof, and when it was recorded.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Neighbour {
    pub position: u64,
    pub event_hash: String,
    pub recorded_at: String,
    pub proof: Vec<String>,
}

impl Neighbour {
    pub fn new(record: &journal::RecordedEvent, proof: &InclusionProof) -> Neighbour {
        Neighbour {
            position: record.position.0,
            event_hash: record.hash.to_hex(),
            recorded_at: record.recorded_at.to_string(),
            proof: proof.path.iter().map(Hash::to_hex).collect(),
        }
    }
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
    /// birth year replaced by an age band; `null` when withheld.
    pub payload: Value,
    /// Why the payload is withheld: `reporting` when the person it is about has not given the
    /// `reporting` consent (ADR 0009), `k-anonymity` when their combination of
    /// quasi-identifiers is shared by fewer than k persons the bundle discloses (ADR 0015): the
    /// event is counted, its content is not shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_withheld: Option<String>,
    /// The full stored record (hex), only for format-1 records of types that carry no personal
    /// data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// A format-2 record's hashed body (hex, ADR 0015): its hash is `eventHash`, and it holds the
    /// envelope (type, times, role, schema version), so the envelope is proven without the
    /// payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The digests of a format-2 record's payload fields (hex, in order): their blake3 is the
    /// body's payload commitment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_digests: Vec<String>,
    /// The payload fields shown, each proven by its digest among `fieldDigests`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disclosures: Vec<FieldDisclosure>,
}

/// One payload field of a format-2 record, shown: `digest(salt, name, value)` is one of the
/// event's `fieldDigests` (docs/VERIFYING.md, "Record format 2").
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FieldDisclosure {
    /// 32 hex digits.
    pub salt: String,
    pub name: String,
    /// The value's JSON text, exactly as the payload holds it.
    pub value: String,
}

/// The top-level payload fields a bundle discloses for the events of a person with the
/// `reporting` consent and for events about no person: the figures' fields, never a name, a
/// contact, a note or free text (`crates/desk/tests/bundle.rs` checks that none is personal).
pub const STATISTICAL_FIELDS: &[&str] = &[
    "birthYear",
    "sex",
    "citizenships",
    "permitType",
    "householdSize",
    "categories",
    "vulnerabilities",
    "minor",
    "unaccompaniedMinor",
    "siteId",
    "kind",
    "activity",
    "durationMinutes",
    "need",
    "needs",
    "channel",
    "mode",
    "outcome",
    "urgency",
    "serviceId",
    "attendeesThirdCountry",
    "attendeesOther",
    "closureReason",
    "helpfulForIntegration",
    "scores",
    "definition",
    "version",
    "startedAt",
    "endedAt",
];

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
            payload_withheld: None,
            record: (full_record && record.salts.is_none())
                .then(|| hex::encode(record.stored_bytes())),
            body: record
                .salts
                .is_some()
                .then(|| hex::encode(record.body_bytes())),
            field_digests: record
                .field_digests()
                .unwrap_or_default()
                .iter()
                .map(hex::encode)
                .collect(),
            disclosures: Vec::new(),
        }
    }

    /// Shows the fields of a format-2 record that `show` chooses.
    pub fn disclose(&mut self, record: &journal::RecordedEvent, show: impl Fn(&str) -> bool) {
        self.disclosures = record
            .disclosures()
            .unwrap_or_default()
            .into_iter()
            .filter(|d| show(d.name))
            .map(|d| FieldDisclosure {
                salt: hex::encode(d.salt),
                name: d.name.to_owned(),
                value: String::from_utf8_lossy(d.value).into_owned(),
            })
            .collect();
    }
}

impl Bundle {
    /// Signs the bundle's manifest with `sign` (the installation key), against the checkpoint
    /// it carries. `None` when the checkpoint does not read or a field cannot stand in a
    /// manifest line.
    pub fn seal(&mut self, sign: impl FnOnce(&str) -> Option<[u8; 64]>) -> Option<()> {
        let signed = SignedCheckpoint::parse(&self.checkpoint).ok()?;
        let words = self.events.iter().all(|e| {
            manifest::is_word(&e.event_type)
                && manifest::is_word(&e.actor_role)
                && manifest::is_word(&e.occurred_at)
                && manifest::is_word(&e.recorded_at)
        });
        if !words {
            return None;
        }
        let text = manifest::manifest_text(
            self,
            &signed.checkpoint.origin,
            signed.checkpoint.tree_size,
            &signed.checkpoint.root,
        );
        let signature = sign(&text)?;
        self.manifest = text;
        self.manifest_signature = journal::merkle::checkpoint::base64_encode(&signature);
        Some(())
    }
}

/// What a verified bundle holds.
#[derive(Debug)]
pub struct Verified {
    pub events: usize,
    /// Full records re-hashed (format 1).
    pub rehashed: usize,
    /// Format-2 bodies whose envelope was proven against the event hash.
    pub bodies: usize,
    /// Payload fields proven by their disclosure.
    pub disclosed: usize,
    pub tree_size: TreeSize,
    pub signed_at: String,
    /// When the checkpoint was signed before the period's end and no event after the range is
    /// in its tree: the bundle is complete up to that time only.
    pub complete_until: Option<String>,
}

/// Checks a bundle, and that each of `witnesses` cosigned its checkpoint; every problem found,
/// each naming its position or field.
pub fn verify_bundle(
    bundle: &Bundle,
    key: &PublicKey,
    witnesses: &[PublicKey],
) -> std::result::Result<Verified, Vec<String>> {
    let mut problems = Vec::new();
    if bundle.format != FORMAT {
        problems.push(format!(
            "format: {:?} is not {FORMAT} (a bundle of format 1 proves neither its completeness nor what its events are: make it again)",
            bundle.format
        ));
        return Err(problems);
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
    for witness in witnesses {
        let cosigned = bundle.cosignatures.iter().any(|line| {
            journal::merkle::cosignature::verify_cosignature(line, witness, &signed.checkpoint)
                .is_ok()
        });
        if !cosigned {
            problems.push(format!(
                "cosignatures: none by the witness key {} on the checkpoint of tree size {size}",
                witness.to_hex()
            ));
        }
    }
    check_manifest(bundle, key, &signed, &mut problems);
    let (first, last) = (bundle.first_position, bundle.last_position);
    if first == 0 {
        problems.push("firstPosition: positions start at 1".into());
    }
    if last + 1 < first {
        problems.push(format!(
            "lastPosition: {last} is before firstPosition {first} (an empty bundle has lastPosition = firstPosition - 1)"
        ));
    }
    if last > size.0 {
        problems.push(format!(
            "lastPosition: {last} is beyond the checkpoint's tree size {size}"
        ));
    }
    let complete_until = check_boundary(bundle, &signed, &mut problems);
    let mut expected = first;
    let mut rehashed = 0;
    let mut bodies = 0;
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
        if let Err(reason) = check_inclusion(at, &event.event_hash, &event.proof, size, &root) {
            problems.push(format!("position {at}: {reason}"));
            continue;
        }
        let hash = Hash::from_hex(&event.event_hash).unwrap_or(Hash([0; 32]));
        if let Some(body) = &event.body {
            match check_body(event, &hash, body) {
                Ok(()) => bodies += 1,
                Err(reasons) => {
                    for reason in reasons {
                        problems.push(format!("position {at}: {reason}"));
                    }
                }
            }
        }
        match &event.record {
            Some(record) => match check_record(event, &hash, record) {
                Ok(()) => rehashed += 1,
                Err(reason) => problems.push(format!("position {at}: record: {reason}")),
            },
            // Format 2: the body and every field shown stand for the record.
            None if event.body.is_some()
                && event.disclosures.len() == event.field_digests.len() => {}
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
            bodies,
            disclosed: bundle.events.iter().map(|e| e.disclosures.len()).sum(),
            tree_size: size,
            signed_at: signed.checkpoint.time.to_rfc3339(),
            complete_until,
        })
    } else {
        Err(problems)
    }
}

/// The inclusion proof of the event of position `at` with `event_hash`, against the root.
fn check_inclusion(
    at: u64,
    event_hash: &str,
    proof: &[String],
    size: TreeSize,
    root: &Root,
) -> std::result::Result<(), String> {
    let hash = Hash::from_hex(event_hash).ok_or("eventHash is not 64 hex digits")?;
    let path: Option<Vec<Hash>> = proof.iter().map(|h| Hash::from_hex(h)).collect();
    let path = path.ok_or("a proof hash is not 64 hex digits")?;
    if at == 0 {
        return Err("positions start at 1".into());
    }
    let proof = InclusionProof {
        leaf_index: LeafIndex(at - 1),
        tree_size: size,
        path,
    };
    proof
        .verify(&leaf_hash(&hash.0), root)
        .map_err(|error| format!("not in the signed tree of size {size}: {error}"))
}

/// The manifest's signature, and that it says what the bundle's fields say, line by line.
fn check_manifest(
    bundle: &Bundle,
    key: &PublicKey,
    signed: &SignedCheckpoint,
    problems: &mut Vec<String>,
) {
    let signature = base64_decode(&bundle.manifest_signature).unwrap_or_default();
    if key.verify_statement(&bundle.manifest, &signature).is_err() {
        problems.push(
            "manifest: its signature does not verify with the public key: the manifest was \
             altered, or signed by another key"
                .into(),
        );
        return;
    }
    let Some(text) = bundle.manifest.strip_suffix('\n') else {
        problems.push("manifest: it must end with a line end".into());
        return;
    };
    let signed_lines: Vec<&str> = text.split('\n').collect();
    let ours = manifest::header_lines(
        bundle,
        &signed.checkpoint.origin,
        signed.checkpoint.tree_size,
        &signed.checkpoint.root,
    );
    for (index, line) in ours.iter().enumerate() {
        let theirs = signed_lines.get(index).copied().unwrap_or_default();
        if theirs != line {
            let word = line.split(' ').next().unwrap_or_default();
            problems.push(format!(
                "manifest: the bundle's {word} is {:?}, the signed manifest says {theirs:?}",
                line.split_once(' ').map_or("", |(_, rest)| rest)
            ));
        }
    }
    // After the header, only events and figures: a header line the bundle's fields do not make
    // (a `k-anonymity` line whose field was removed) is named.
    for line in signed_lines.iter().skip(ours.len()) {
        if !(line.starts_with("event ") || line.starts_with("figure ")) {
            let word = line.split(' ').next().unwrap_or_default();
            problems.push(format!(
                "manifest: the signed manifest says {line:?}, the bundle's fields make no {word} line"
            ));
        }
    }
    let signed_events: std::collections::BTreeMap<u64, &str> = signed_lines
        .iter()
        .skip(ours.len())
        .filter_map(|line| {
            let position = line
                .strip_prefix("event ")?
                .split(' ')
                .next()?
                .parse()
                .ok()?;
            Some((position, *line))
        })
        .collect();
    let mut shown = std::collections::BTreeSet::new();
    let signed_figures = manifest::figure_lines(&bundle.manifest);
    if signed_figures != bundle.figures {
        for (name, value) in &bundle.figures {
            if signed_figures.get(name) != Some(value) {
                problems.push(format!(
                    "figures.{name}: {value} is not what the signed manifest says"
                ));
            }
        }
        for name in signed_figures.keys() {
            if !bundle.figures.contains_key(name) {
                problems.push(format!(
                    "figures.{name}: missing (the signed manifest states it)"
                ));
            }
        }
    }
    for event in &bundle.events {
        shown.insert(event.position);
        let line = manifest::event_line(event);
        match signed_events.get(&event.position) {
            None => problems.push(format!(
                "position {}: not in the signed manifest",
                event.position
            )),
            Some(theirs) if *theirs != line => {
                let names = [
                    "",
                    "",
                    "eventHash",
                    "type",
                    "schemaVersion",
                    "occurredAt",
                    "recordedAt",
                    "actorRole",
                ];
                let differs: Vec<&str> = line
                    .split(' ')
                    .zip(theirs.split(' ').chain(std::iter::repeat("")))
                    .zip(names)
                    .filter(|((a, b), _)| a != b)
                    .map(|(_, name)| name)
                    .collect();
                problems.push(format!(
                    "position {}: {} differs from the signed manifest",
                    event.position,
                    differs.join(", ")
                ));
            }
            Some(_) => {}
        }
    }
    for position in signed_events.keys().filter(|p| !shown.contains(p)) {
        problems.push(format!(
            "position {position}: missing (the signed manifest lists it)"
        ));
    }
}

/// Every event recorded within the period; the neighbours outside it. The time up to which the
/// bundle is complete, when that is before the period's end.
fn check_boundary(
    bundle: &Bundle,
    signed: &SignedCheckpoint,
    problems: &mut Vec<String>,
) -> Option<String> {
    let Some((start, end)) = bundle.period.bounds() else {
        problems.push("period: not a range of days".into());
        return None;
    };
    let size = signed.checkpoint.tree_size;
    let root = signed.checkpoint.root;
    let time = |text: &str| -> Option<DateTime<Utc>> {
        let at = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
        (at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true) == text).then_some(at)
    };
    for event in &bundle.events {
        match time(&event.recorded_at) {
            Some(at) if at >= start && at < end => {}
            Some(_) => problems.push(format!(
                "position {}: recordedAt {} is outside the period",
                event.position, event.recorded_at
            )),
            None => problems.push(format!(
                "position {}: recordedAt {:?} is not RFC 3339 with six fractional digits and Z",
                event.position, event.recorded_at
            )),
        }
        if time(&event.occurred_at).is_none() {
            problems.push(format!(
                "position {}: occurredAt {:?} is not RFC 3339 with six fractional digits and Z",
                event.position, event.occurred_at
            ));
        }
    }
    let (first, last) = (bundle.first_position, bundle.last_position);
    match (&bundle.boundary.before, first > 1) {
        (None, false) => {}
        (None, true) => problems.push(format!(
            "boundary.before: missing; position {} must be shown to be recorded before the period",
            first - 1
        )),
        (Some(_), false) => {
            problems.push("boundary.before: there is no event before position 1".into())
        }
        (Some(n), true) => {
            if n.position + 1 != first {
                problems.push(format!(
                    "boundary.before: position {} is not the one before firstPosition {first}",
                    n.position
                ));
            }
            if time(&n.recorded_at).is_none_or(|at| at >= start) {
                problems.push(format!(
                    "boundary.before: position {} was recorded at {}, not before the period",
                    n.position, n.recorded_at
                ));
            }
            if let Err(reason) = check_inclusion(n.position, &n.event_hash, &n.proof, size, &root) {
                problems.push(format!(
                    "boundary.before: position {}: {reason}",
                    n.position
                ));
            }
        }
    }
    match (&bundle.boundary.after, last < size.0) {
        (None, false) => {
            let signed_at = signed.checkpoint.time.to_rfc3339();
            let at = DateTime::parse_from_rfc3339(&signed_at)
                .ok()?
                .with_timezone(&Utc);
            return (at < end).then_some(signed_at);
        }
        (None, true) => problems.push(format!(
            "boundary.after: missing; position {} must be shown to be recorded after the period",
            last + 1
        )),
        (Some(_), false) => problems.push(format!(
            "boundary.after: the checkpoint's tree ends at lastPosition {last}"
        )),
        (Some(n), true) => {
            if n.position != last + 1 {
                problems.push(format!(
                    "boundary.after: position {} is not the one after lastPosition {last}",
                    n.position
                ));
            }
            if time(&n.recorded_at).is_none_or(|at| at < end) {
                problems.push(format!(
                    "boundary.after: position {} was recorded at {}, not after the period",
                    n.position, n.recorded_at
                ));
            }
            if let Err(reason) = check_inclusion(n.position, &n.event_hash, &n.proof, size, &root) {
                problems.push(format!("boundary.after: position {}: {reason}", n.position));
            }
        }
    }
    None
}

/// A format-2 body must hash to the event hash and hold the readable envelope; its field digests
/// must make its payload commitment, and every disclosure must be one of them and say what the
/// readable payload says (docs/VERIFYING.md, "Record format 2").
fn check_body(
    event: &BundleEvent,
    hash: &Hash,
    body: &str,
) -> std::result::Result<(), Vec<String>> {
    let bytes = hex::decode(body).map_err(|_| vec!["body: not hex".to_string()])?;
    let envelope =
        journal::decode_envelope(&bytes).map_err(|e| vec![format!("body: undecodable: {e}")])?;
    if journal::chain_hash(&envelope.prev_hash, &bytes).0 != hash.0 {
        return Err(vec![
            "body: its hash is not eventHash: the body was altered".to_string(),
        ]);
    }
    let mut problems = Vec::new();
    let mut differs = String::new();
    if envelope.position.0 != event.position {
        let _ = write!(differs, " position");
    }
    if envelope.event_type != event.event_type {
        let _ = write!(differs, " type");
    }
    if envelope.schema_version != event.schema_version {
        let _ = write!(differs, " schemaVersion");
    }
    if envelope.occurred_at.to_string() != event.occurred_at {
        let _ = write!(differs, " occurredAt");
    }
    if envelope.recorded_at.to_string() != event.recorded_at {
        let _ = write!(differs, " recordedAt");
    }
    if envelope.actor_role != event.actor_role {
        let _ = write!(differs, " actorRole");
    }
    if !differs.is_empty() {
        problems.push(format!(
            "body: the readable fields differ from the proven envelope:{differs}"
        ));
    }
    let digests: Option<Vec<journal::Digest>> = event
        .field_digests
        .iter()
        .map(|d| hex::decode(d).ok().and_then(|b| b.try_into().ok()))
        .collect();
    let Some(digests) = digests else {
        problems.push("fieldDigests: a digest is not 64 hex digits".into());
        return Err(problems);
    };
    if journal::payload_commitment(&digests) != envelope.payload_commitment {
        problems.push(
            "fieldDigests: they do not make the body's payload commitment (altered, added or \
             left out)"
                .into(),
        );
        return Err(problems);
    }
    let mut names = std::collections::BTreeSet::new();
    for disclosure in &event.disclosures {
        let name = &disclosure.name;
        if !names.insert(name.as_str()) {
            problems.push(format!("disclosure {name}: shown twice"));
            continue;
        }
        let salt: Option<[u8; journal::SALT_LEN]> = hex::decode(&disclosure.salt)
            .ok()
            .and_then(|b| b.try_into().ok());
        let Some(salt) = salt else {
            problems.push(format!("disclosure {name}: the salt is not 32 hex digits"));
            continue;
        };
        let digest = journal::digest(&salt, name, disclosure.value.as_bytes());
        if !digests.contains(&digest) {
            problems.push(format!(
                "disclosure {name}: not proven (its digest is none of the event's field digests: \
                 the value, the name or the salt was altered)"
            ));
            continue;
        }
        let value: Option<Value> = serde_json::from_str(&disclosure.value).ok();
        if value.is_none() {
            problems.push(format!("disclosure {name}: the value is not JSON"));
        }
        if let (Some(shown), Some(value)) = (event.payload.get(name.as_str()), &value) {
            // Person ids and account names are shown as pseudonyms; every other field the
            // payload shows must be the value proven.
            let pseudonymised = domain::PERSON_ID_FIELDS.contains(&name.as_str())
                || domain::STAFF_NAME_FIELDS.contains(&name.as_str());
            if !pseudonymised && shown != value {
                problems.push(format!(
                    "payload.{name}: {shown} is not the proven value {value}"
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The figures the signed manifest states against what the bundle proves (the envelopes, the
/// full records and the disclosed fields) and against the small-cell rule under the manifest's
/// threshold: what contradicts them, and what the bundle cannot prove. For a bundle that
/// `verify_bundle` accepted.
pub fn report(bundle: &Bundle) -> figures::FigureReport {
    let stated = manifest::figure_lines(&bundle.manifest);
    let proven: Vec<Option<serde_json::Map<String, Value>>> =
        bundle.events.iter().map(proven_fields).collect();
    let events: Vec<figures::FigureEvent<'_>> = bundle
        .events
        .iter()
        .zip(&proven)
        .map(|(event, fields)| figures::FigureEvent {
            event_type: &event.event_type,
            fields: fields.as_ref(),
            person: None,
        })
        .collect();
    let recomputed = figures::compute(&events);
    figures::compare(&stated, &recomputed, bundle.k_anonymity.map(|k| k.min_cell))
}

/// The payload fields an event proves: a full record's payload, or a format-2 event's
/// disclosures; `None` when it proves none (a format-1 event without its record).
fn proven_fields(event: &BundleEvent) -> Option<serde_json::Map<String, Value>> {
    if let Some(record) = &event.record {
        let record = journal::decode_record(&hex::decode(record).ok()?).ok()?;
        return match serde_json::from_slice(&record.payload).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        };
    }
    event.body.as_ref()?;
    Some(
        event
            .disclosures
            .iter()
            .filter_map(|d| Some((d.name.clone(), serde_json::from_str(&d.value).ok()?)))
            .collect(),
    )
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

/// Why a person's events are withheld: no `reporting` consent (or erased, or an event that
/// does not decode).
pub const WITHHELD_REPORTING: &str = "reporting";
/// Why a person's events are withheld: their combination of quasi-identifiers is shared by
/// fewer than k persons whose fields the bundle discloses (ADR 0015, "Disclosure and
/// k-anonymity").
pub const WITHHELD_K_ANONYMITY: &str = "k-anonymity";

/// The k-anonymity a bundle applied to the persons it discloses: the threshold and how many
/// persons' events were withheld under it. Signed in the manifest's `k-anonymity` line.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KAnonymity {
    pub min_cell: u32,
    pub persons_withheld: usize,
}

/// Whose events a bundle withholds.
struct Withheld {
    min_cell: u32,
    /// Without the `reporting` consent, or erased.
    without_consent: std::collections::BTreeSet<domain::PersonId>,
    /// With it, but their combination shared by fewer than `min_cell` disclosed persons.
    below_k: std::collections::BTreeSet<domain::PersonId>,
}

impl Withheld {
    fn why(&self, person: domain::PersonId) -> Option<&'static str> {
        if self.without_consent.contains(&person) {
            Some(WITHHELD_REPORTING)
        } else if self.below_k.contains(&person) {
            Some(WITHHELD_K_ANONYMITY)
        } else {
            None
        }
    }
}

/// Why no bundle was made for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoBundle {
    /// `to` is before `from`.
    ToBeforeFrom,
    /// The journal recorded nothing on those days (days of recording, `recordedAt`).
    NothingRecorded,
    /// The manifest cannot be signed: a type, role or time holds a space.
    Unsignable,
}

/// How a bundle names persons and members of staff: `person` turns a person id into the keyed
/// pseudonym evaluators see everywhere (`Vault::pseudonym`), `staff` an account name into its
/// pseudonym within the bundle (`Vault::staff_pseudonym`).
pub struct Pseudonyms<'a> {
    pub person: &'a dyn Fn(domain::PersonId) -> String,
    pub staff: &'a dyn Fn(&str) -> String,
}

/// The evaluator view of a payload: person ids and account names pseudonymised, personal fields
/// removed, the birth year turned into an age band.
pub fn evaluator_payload(
    event_type: &str,
    payload: &[u8],
    occurred_year: i32,
    pseudonyms: &Pseudonyms<'_>,
) -> Value {
    let mut value: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
    scrub(&mut value, occurred_year, pseudonyms);
    if event_type == "EventCorrected" {
        // The reason of a correction is free text about the corrected fact.
        if let Value::Object(map) = &mut value {
            map.remove("reason");
        }
    }
    value
}

fn scrub(value: &mut Value, year: i32, pseudonyms: &Pseudonyms<'_>) {
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
                        .map(|u| (pseudonyms.person)(domain::PersonId(u)))
                        .unwrap_or_default();
                    map.insert((*field).into(), Value::String(pseudonym));
                }
            }
            for field in domain::STAFF_NAME_FIELDS {
                if let Some(names) = map.get_mut(*field) {
                    pseudonymise_staff(names, pseudonyms);
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
                scrub(inner, year, pseudonyms);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| scrub(v, year, pseudonyms)),
        _ => {}
    }
}

/// An account name, or each of a list of them, replaced by its pseudonym.
fn pseudonymise_staff(value: &mut Value, pseudonyms: &Pseudonyms<'_>) {
    match value {
        Value::String(name) => *name = (pseudonyms.staff)(name),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| pseudonymise_staff(v, pseudonyms)),
        _ => {}
    }
}

impl crate::Desk {
    /// The persons named by `records` whose events a bundle withholds: those without the
    /// `reporting` consent (ADR 0009), then those whose quasi-identifiers (at `year`) are
    /// shared by fewer than k of the others (ADR 0015, "Disclosure and k-anonymity").
    fn withheld_persons(
        &self,
        records: &[(
            journal::RecordedEvent,
            Result<Option<domain::PersonId>, crate::DeskError>,
        )],
        year: i32,
    ) -> Withheld {
        use projections::{k_anonymise, QuasiIdentifiers, Release, DEFAULT_MIN_CELL};
        let named: std::collections::BTreeSet<domain::PersonId> = records
            .iter()
            .filter_map(|(_, about)| about.as_ref().ok().copied().flatten())
            .collect();
        let mut withheld = Withheld {
            min_cell: DEFAULT_MIN_CELL,
            without_consent: Default::default(),
            below_k: Default::default(),
        };
        let mut disclosed = Vec::new();
        for person in named {
            let view = self.read(|m| m.person(person)).filter(|p| {
                p.consents.contains(&domain::ConsentScope::Reporting) && !p.personal.is_erased()
            });
            match view {
                Some(p) => disclosed.push((person, QuasiIdentifiers::of(&p, year))),
                None => {
                    withheld.without_consent.insert(person);
                }
            }
        }
        let quasi: Vec<QuasiIdentifiers> = disclosed.iter().map(|(_, q)| q.clone()).collect();
        // A commitment proves one value: no combination can be generalised, only withheld.
        let k = usize::try_from(withheld.min_cell).unwrap_or(usize::MAX);
        let release = k_anonymise(&quasi, Clone::clone, k);
        for ((person, _), release) in disclosed.iter().zip(release) {
            if release != Release::Exact {
                withheld.below_k.insert(*person);
            }
        }
        withheld
    }

    /// The evaluator bundle of the events recorded from `from` to `to` (UTC days, inclusive,
    /// by `recordedAt`), pseudonymised, each with its inclusion proof against the latest
    /// recorded checkpoint of this installation that reaches past them, or against one signed
    /// for the bundle and not recorded (the second value is then `true`); with the neighbours
    /// just outside the range as boundary evidence and the manifest signed. An empty period
    /// gives an empty bundle only when `allow_empty` (its boundary proves that nothing was
    /// recorded). Writes nothing.
    pub fn evaluator_bundle(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        allow_empty: bool,
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
        if first > last && !allow_empty {
            return Ok(Err(NoBundle::NothingRecorded));
        }
        let journal = self.journal();
        // Only a checkpoint this installation's key signed, over this journal's own tree; one
        // that reaches past the range, so that the event after it shows where the period ends.
        let own_key = self.public_key();
        let head = journal.tree_size().0;
        let needed = if last < head { last + 1 } else { last.max(1) };
        let covering = self
            .checkpoints()?
            .into_iter()
            .rev()
            .filter(|c| c.signed.checkpoint.tree_size.0 >= needed)
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
        let neighbour = |position: u64| -> Result<Option<Neighbour>, crate::DeskError> {
            if position == 0 || position > size.0 {
                return Ok(None);
            }
            let Some(record) = journal.get(Position(position))? else {
                return Ok(None);
            };
            let proof = journal.inclusion_proof(record.position, size)?;
            Ok(Some(Neighbour::new(&record, &proof)))
        };
        let boundary = Boundary {
            before: neighbour(first - 1)?,
            after: neighbour(last + 1)?,
        };
        let person = |id: domain::PersonId| self.vault().pseudonym(id.0);
        let scope = format!("{from} {to}");
        let staff = |name: &str| self.vault().staff_pseudonym(&scope, name);
        let pseudonyms = Pseudonyms {
            person: &person,
            staff: &staff,
        };
        let mut records = Vec::new();
        if first <= last {
            for record in journal.iter_forward(Position(first)) {
                let record = record?;
                if record.position.0 > last {
                    break;
                }
                // The person an event is about; an event that does not decode names no one it
                // can be shown for.
                let about = crate::decode(self.vault(), &record).map(|e| e.person_id());
                records.push((record, about));
            }
        }
        let withheld = self.withheld_persons(&records, to.year());
        let mut events = Vec::new();
        let mut payloads: Vec<(String, Option<serde_json::Map<String, Value>>, _)> = Vec::new();
        for (record, about) in &records {
            let proof = journal.inclusion_proof(record.position, size)?;
            let occurred = record.occurred_at.to_datetime().map_or(0, |t| t.year());
            let full = TYPES_WITHOUT_PERSONAL_DATA.contains(&record.event_type.as_str());
            // The desk's figures come from its records, whatever the bundle shows of them.
            payloads.push((
                record.event_type.clone(),
                match serde_json::from_slice(&record.payload) {
                    Ok(Value::Object(map)) => Some(map),
                    _ => None,
                },
                about.as_ref().ok().copied().flatten(),
            ));
            let mut event = BundleEvent::new(
                record,
                &proof,
                evaluator_payload(&record.event_type, &record.payload, occurred, &pseudonyms),
                full,
            );
            let why_withheld = match about {
                Ok(Some(person)) => withheld.why(*person),
                Ok(None) => None,
                Err(_) => Some(WITHHELD_REPORTING),
            };
            match why_withheld {
                // The statistical fields, proven field by field (ADR 0015); a type without
                // personal data shows every field, as its whole record would.
                None => {
                    event.disclose(record, |name| full || STATISTICAL_FIELDS.contains(&name));
                }
                // Envelope only: the body proves type, times and role; no field is shown.
                Some(why) => {
                    event.payload = Value::Null;
                    event.payload_withheld = Some(why.into());
                }
            }
            events.push(event);
        }
        let mut bundle = Bundle {
            format: FORMAT.into(),
            public_key_fingerprint: own_key.fingerprint(),
            checkpoint: signed.to_note(),
            manifest: String::new(),
            manifest_signature: String::new(),
            period: Period { from, to },
            first_position: first,
            last_position: last,
            boundary,
            events,
            figures: figures::stated(
                &payloads
                    .iter()
                    .map(|(event_type, fields, person)| figures::FigureEvent {
                        event_type,
                        fields: fields.as_ref(),
                        person: *person,
                    })
                    .collect::<Vec<_>>(),
                withheld.min_cell,
            ),
            k_anonymity: Some(KAnonymity {
                min_cell: withheld.min_cell,
                persons_withheld: withheld.below_k.len(),
            }),
            cosignatures: Vec::new(),
        };
        if bundle.seal(|text| self.sign_statement(text)).is_none() {
            return Ok(Err(NoBundle::Unsignable));
        }
        Ok(Ok((bundle, signed_now)))
    }
}
