//! `bench proofs`: the Merkle tree's cost on appends, proofs at a large tree size, and bundle
//! verification, one JSON object per scenario (see `docs/BENCHMARKS.md`).
//!
//! Scenarios, in order:
//! - `bulk_append`, `durable_append_64`: appends as in `bench journal` (the journal keeps its
//!   tree inline, in the writer's commit path);
//! - `tree_update`: the same leaves pushed into a tree alone (the journal's `CompactLevels` at
//!   its kept level, leaf hash included), timed apart. `append_slowdown` on the append lines is
//!   tree time / (append time - tree time): how much slower appends are than they would be
//!   without the tree;
//! - `random_read`: `Journal::get` of random positions, the baseline the proofs are compared to;
//! - `inclusion_generate`, `inclusion_verify`, `consistency_generate`, `consistency_verify`:
//!   per proof, at the full size, random positions and sizes;
//! - `bundle_verify_hash_only`, `bundle_verify_full_records`: parse and verify a bundle of the
//!   last `--bundle-events` events (each with its proof; the second with every full record to
//!   re-hash), events/s.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use desk::bundle::{verify_bundle, Bundle, BundleEvent, Period};
use journal::merkle::checkpoint::{SigningKey, Time};
use journal::merkle::{leaf_hash, CompactLevels, Hash, TreeSize};
use journal::{Journal, Position};
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::{
    bulk_append, durable_appends, emit, options, payload, per_s, round_for_print, BenchResult,
};

#[derive(clap::Args, Clone)]
pub struct ProofsArgs {
    /// Events in the journal the proofs are made at.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Proofs generated and verified per scenario.
    #[arg(long, default_value_t = 2_000)]
    pub proofs: u64,
    /// Events in the bundle that is verified.
    #[arg(long, default_value_t = 20_000)]
    pub bundle_events: u64,
    /// Events of the durable appends with 64 appenders.
    #[arg(long, default_value_t = 100_000)]
    pub durable_events: u64,
    #[arg(long, default_value_t = 256)]
    pub payload_bytes: usize,
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    pub cache_bytes: u64,
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// The journal keeps subtrees from this level up (journal::tree::KEPT_LEVEL).
const KEPT_LEVEL: u32 = 8;

fn micros(elapsed: Duration, count: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let count = count.max(1) as f64;
    round_for_print(elapsed.as_secs_f64() * 1e6 / count)
}

/// Times pushing these leaves' hashes into a fresh tree.
fn time_tree(hashes: &[Hash]) -> Duration {
    let start = Instant::now();
    let mut levels = CompactLevels::new(KEPT_LEVEL);
    for hash in hashes {
        levels.push(leaf_hash(&hash.0));
    }
    std::hint::black_box(levels.root());
    start.elapsed()
}

fn slowdown(append: Duration, tree: Duration) -> f64 {
    let without = append.saturating_sub(tree).as_secs_f64().max(1e-9);
    round_for_print(tree.as_secs_f64() / without)
}

pub fn run_proofs(args: &ProofsArgs) -> BenchResult<()> {
    let n = args.events.max(2);
    let base = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base)?;
    let payload = payload(args.payload_bytes);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);

    let dir = tempfile::tempdir_in(&base)?;
    let journal = Journal::open(dir.path(), options(args.cache_bytes))?;
    let start = Instant::now();
    runtime.block_on(bulk_append(&journal, n, &payload))?;
    let append = start.elapsed();
    let hashes: Vec<Hash> = journal
        .iter_forward(Position(1))
        .map(|r| r.map(|r| Hash(r.hash.0)))
        .collect::<Result<_, _>>()?;
    let tree = time_tree(&hashes);
    emit(&json!({
        "scenario": "bulk_append",
        "events": n,
        "events_per_s": per_s(n, append).round(),
        "us_per_event": micros(append, n),
        "append_slowdown": slowdown(append, tree),
    }));
    emit(&json!({
        "scenario": "tree_update",
        "events": n,
        "events_per_s": per_s(n, tree).round(),
        "us_per_event": micros(tree, n),
        "kept_level": KEPT_LEVEL,
        "tree_memory_bytes": journal.tree_memory_bytes(),
    }));
    {
        let total = args.durable_events.clamp(64, n);
        let dir = tempfile::tempdir_in(&base)?;
        let durable = Journal::open(dir.path(), options(args.cache_bytes))?;
        let (elapsed, _) = runtime.block_on(durable_appends(&durable, 64, total, &payload))?;
        let count = usize::try_from(total)?;
        let tree = time_tree(&hashes[..count.min(hashes.len())]);
        emit(&json!({
            "scenario": "durable_append_64",
            "events": total,
            "events_per_s": per_s(total, elapsed).round(),
            "us_per_event": micros(elapsed, total),
            "append_slowdown": slowdown(elapsed, tree),
        }));
    }

    let size = journal.tree_size();
    let k = args.proofs.max(1);
    let positions: Vec<u64> = (0..k).map(|_| rng.gen_range(1..=n)).collect();
    let start = Instant::now();
    for &p in &positions {
        std::hint::black_box(journal.get(Position(p))?);
    }
    let read = start.elapsed();
    let read_us = micros(read, k);
    emit(&json!({
        "scenario": "random_read",
        "events": n,
        "ops": k,
        "per_s": per_s(k, read).round(),
        "us_per_op": read_us,
    }));
    let ratio = |us: f64| round_for_print(us / read_us.max(1e-9));

    let start = Instant::now();
    let mut proofs = Vec::with_capacity(positions.len());
    for &p in &positions {
        proofs.push(journal.inclusion_proof(Position(p), size)?);
    }
    let generate = start.elapsed();
    emit(&json!({
        "scenario": "inclusion_generate",
        "tree_size": size.0,
        "ops": k,
        "per_s": per_s(k, generate).round(),
        "us_per_op": micros(generate, k),
        "ratio_to_random_read": ratio(micros(generate, k)),
    }));
    let root = journal.root();
    let start = Instant::now();
    for (proof, &p) in proofs.iter().zip(&positions) {
        let leaf = leaf_hash(&hashes[usize::try_from(p - 1)?].0);
        proof
            .verify(&leaf, &root)
            .map_err(|e| format!("position {p}: {e}"))?;
    }
    let verify = start.elapsed();
    emit(&json!({
        "scenario": "inclusion_verify",
        "tree_size": size.0,
        "ops": k,
        "per_s": per_s(k, verify).round(),
        "us_per_op": micros(verify, k),
        "ratio_to_random_read": ratio(micros(verify, k)),
    }));

    let froms: Vec<u64> = (0..k).map(|_| rng.gen_range(1..=n)).collect();
    let start = Instant::now();
    let mut consistency = Vec::with_capacity(froms.len());
    for &from in &froms {
        consistency.push(journal.consistency_proof(TreeSize(from), size)?);
    }
    let generate = start.elapsed();
    emit(&json!({
        "scenario": "consistency_generate",
        "tree_size": size.0,
        "ops": k,
        "per_s": per_s(k, generate).round(),
        "us_per_op": micros(generate, k),
        "ratio_to_random_read": ratio(micros(generate, k)),
    }));
    // The old roots come from the tree (as a checkpoint would carry them), outside the timing.
    let old_roots = froms
        .iter()
        .map(|&from| journal.root_at(TreeSize(from)))
        .collect::<Result<Vec<_>, _>>()?;
    let start = Instant::now();
    for (proof, old) in consistency.iter().zip(&old_roots) {
        proof.verify(old, &root).map_err(|e| e.to_string())?;
    }
    let verify = start.elapsed();
    emit(&json!({
        "scenario": "consistency_verify",
        "tree_size": size.0,
        "ops": k,
        "per_s": per_s(k, verify).round(),
        "us_per_op": micros(verify, k),
        "ratio_to_random_read": ratio(micros(verify, k)),
    }));

    let key = SigningKey::from_secret(&[9; 32]);
    let signed = key.sign(size, root, Time(1_717_200_000));
    let count = args.bundle_events.clamp(1, n);
    let first = n - count + 1;
    let mut all = Vec::new();
    for record in journal.iter_forward(Position(first)) {
        let record = record?;
        let proof = journal.inclusion_proof(record.position, size)?;
        all.push(BundleEvent::new(
            &record,
            &proof,
            serde_json::from_slice(&record.payload)?,
            true,
        ));
    }
    // The period: the days on which the bundled events were recorded.
    let day = |record: &journal::RecordedEvent| {
        record
            .recorded_at
            .to_datetime()
            .map(|t| t.date_naive())
            .unwrap_or_default()
    };
    let first_record = journal.get(Position(first))?.ok_or("no first event")?;
    let last_record = journal.get(Position(n))?.ok_or("no last event")?;
    let period = Period {
        from: day(&first_record),
        to: day(&last_record),
    };
    let before = match first.checked_sub(1).filter(|p| *p > 0) {
        Some(p) => {
            let record = journal.get(Position(p))?.ok_or("no event before")?;
            let proof = journal.inclusion_proof(record.position, size)?;
            Some(desk::bundle::Neighbour::new(&record, &proof))
        }
        None => None,
    };
    for full in [false, true] {
        let events = all
            .iter()
            .map(|e| BundleEvent {
                proof: e.proof.clone(),
                event_hash: e.event_hash.clone(),
                event_type: e.event_type.clone(),
                occurred_at: e.occurred_at.clone(),
                recorded_at: e.recorded_at.clone(),
                actor_role: e.actor_role.clone(),
                payload: e.payload.clone(),
                record: if full { e.record.clone() } else { None },
                payload_withheld: None,
                body: e.body.clone(),
                field_digests: e.field_digests.clone(),
                disclosures: e.disclosures.clone(),
                ..*e
            })
            .collect();
        let mut bundle = Bundle {
            format: desk::bundle::FORMAT.into(),
            public_key_fingerprint: key.public().fingerprint(),
            checkpoint: signed.to_note(),
            manifest: String::new(),
            manifest_signature: String::new(),
            period: period.clone(),
            first_position: first,
            last_position: n,
            boundary: desk::bundle::Boundary {
                before: before.clone(),
                after: None,
            },
            events,
            figures: Default::default(),
            k_anonymity: None,
            cosignatures: Vec::new(),
        };
        bundle
            .seal(|text| key.sign_statement(text))
            .ok_or("the manifest cannot be signed")?;
        let text = serde_json::to_string(&bundle)?;
        let start = Instant::now();
        let parsed: Bundle = serde_json::from_str(&text)?;
        // The bench's journal is recorded within a day or so: the event before the range lies
        // inside the bundle's period, and that (and only that) is what the verifier may say.
        let rehashed = match verify_bundle(&parsed, &key.public(), &[]) {
            Ok(verified) => verified.rehashed,
            Err(problems) if problems.iter().all(|p| p.starts_with("boundary.before")) => {
                if full {
                    all.len()
                } else {
                    0
                }
            }
            Err(problems) => return Err(format!("bundle did not verify: {problems:?}").into()),
        };
        let elapsed = start.elapsed();
        emit(&json!({
            "scenario": if full { "bundle_verify_full_records" } else { "bundle_verify_hash_only" },
            "events": count,
            "bundle_bytes": text.len(),
            "rehashed": rehashed,
            "events_per_s": per_s(count, elapsed).round(),
            "us_per_event": micros(elapsed, count),
        }));
    }
    Ok(())
}
