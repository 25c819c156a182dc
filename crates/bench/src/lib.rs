//! The journal's benchmark: every scenario of one run against a baseline of plain sled inserts
//! measured in the same run, printed as one JSON object per line (see `docs/BENCHMARKS.md`).
//!
//! Scenarios, in the order they run:
//! - `baseline`: one plain sled insert per record (same record size, same cache), no hashing,
//!   no flush. Every `ratio` is a rate divided by this one.
//! - `baseline_3_inserts`: the layout we did not choose: record + stream-index + id-index
//!   inserts per event.
//! - `bulk_append`: durable appends of `MAX_EVENTS_PER_APPEND` events from four tasks; this builds
//!   the journal the next scenarios read.
//! - `open`: `Journal::open` of that journal in a fresh child process (this binary, `open-probe`),
//!   with the child's peak memory (VmHWM) and the bytes on disk per event.
//! - `verify`, `iter_forward`: the whole chain, after reopening.
//! - `durable_append_1`, `_16`, `_64`: that many tokio tasks each calling `append(..).await` with
//!   one event, each on its own stream, on a fresh journal; events/s and latency percentiles.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use journal::{
    Actor, ChainHash, ExpectedVersion, Journal, NewEvent, Options, Position, RecordedEvent,
    Timestamp, MAX_EVENTS_PER_APPEND,
};
use serde_json::{json, Value};
use ulid::Ulid;

mod api;
mod proofs;

pub type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Durable appends with one appender wait for one fsync each: cap them so a default run stays
/// within minutes.
const DURABLE_CAP_EVENTS: [(usize, u64); 3] = [(1, 20_000), (16, 200_000), (64, 400_000)];
/// Tasks that build the journal with large appends.
const BULK_TASKS: u64 = 4;
/// Target ratios to the baseline, and the memory ceiling, from the issue.
const TARGET_DURABLE_64: f64 = 0.5;
const TARGET_VERIFY: f64 = 7.0;
const TARGET_PEAK_MIB: f64 = 256.0;

#[derive(Parser)]
#[command(
    name = "bench",
    about = "Benchmarks for the IMPACT journal, as JSON lines"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Measures the journal against plain sled inserts, one JSON object per scenario.
    Journal(JournalArgs),
    /// Measures the GraphQL API over TCP against `{ __typename }`, and the desk's cold start
    /// against a plain sled scan, one JSON object per scenario.
    Api(api::ApiArgs),
    /// Measures the Merkle tree: its cost on appends, inclusion and consistency proofs at a
    /// large size, and bundle verification, one JSON object per scenario.
    Proofs(proofs::ProofsArgs),
    /// Measures one kind of cold start of the journal in `dir` and prints it as JSON. Run by
    /// `api` as a child so that each starts cold and the peak memory is its own.
    #[command(hide = true)]
    ColdProbe {
        #[arg(value_enum)]
        kind: api::ColdKind,
        dir: PathBuf,
    },
    /// Opens the journal in `dir` and prints the open time and this process's peak memory.
    /// Run by `journal` as a child so that the peak is the open's alone.
    #[command(hide = true)]
    OpenProbe {
        dir: PathBuf,
        #[arg(long)]
        cache_bytes: u64,
    },
}

#[derive(clap::Args, Clone)]
pub struct JournalArgs {
    /// Events per scenario (the durable appends with 1, 16 and 64 appenders are capped at
    /// 20,000, 200,000 and 400,000).
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Payload bytes per event; 256 makes a stored record of about 400 bytes.
    #[arg(long, default_value_t = 256)]
    pub payload_bytes: usize,
    /// sled's page cache for the journal and the baselines (the journal's default).
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    pub cache_bytes: u64,
    /// Where the temporary databases go (default: the system's temporary directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

pub fn run(args: Args) -> BenchResult<()> {
    match args.command {
        Command::Journal(args) => run_journal(&args),
        Command::OpenProbe { dir, cache_bytes } => open_probe(&dir, cache_bytes),
        Command::Api(args) => api::run_api(&args),
        Command::Proofs(args) => proofs::run_proofs(&args),
        Command::ColdProbe { kind, dir } => api::cold_probe(kind, &dir),
    }
}

fn emit(line: &Value) {
    println!("{line}");
}

fn per_s(events: u64, elapsed: Duration) -> f64 {
    // Precision loss only past 2^53 events.
    #[allow(clippy::cast_precision_loss)]
    let events = events as f64;
    events / elapsed.as_secs_f64().max(1e-9)
}

/// Rounds a ratio or rate for printing: two decimals, or three significant figures when that
/// keeps more (a ratio of 0.0048 must not print as 0.0 on a slow disk).
fn round_for_print(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let significant = 2 - x.abs().log10().floor() as i32;
    let decimals = significant.max(2);
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

fn run_journal(args: &JournalArgs) -> BenchResult<()> {
    let n = args.events.max(1);
    let base = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base)?;
    let payload = payload(args.payload_bytes);
    let record_bytes = record_len(&payload);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;

    let baseline_rate = {
        let dir = tempfile::tempdir_in(&base)?;
        let elapsed = baseline(dir.path(), n, record_bytes, args.cache_bytes, false)?;
        per_s(n, elapsed)
    };
    emit(&json!({
        "scenario": "baseline",
        "events": n,
        "record_bytes": record_bytes,
        "events_per_s": baseline_rate.round(),
        "ratio": 1.0,
    }));
    let ratio = |rate: f64| round_for_print(rate / baseline_rate);

    {
        let dir = tempfile::tempdir_in(&base)?;
        let elapsed = baseline(dir.path(), n, record_bytes, args.cache_bytes, true)?;
        let rate = per_s(n, elapsed);
        emit(&json!({
            "scenario": "baseline_3_inserts",
            "events": n,
            "record_bytes": record_bytes,
            "events_per_s": rate.round(),
            "ratio": ratio(rate),
        }));
    }

    // The big journal: built, probed in a child, then read.
    let dir = tempfile::tempdir_in(&base)?;
    {
        let journal = Journal::open(dir.path(), options(args.cache_bytes))?;
        let start = Instant::now();
        runtime.block_on(bulk_append(&journal, n, &payload))?;
        let rate = per_s(n, start.elapsed());
        emit(&json!({
            "scenario": "bulk_append",
            "events": n,
            "events_per_append": MAX_EVENTS_PER_APPEND,
            "tasks": BULK_TASKS,
            "events_per_s": rate.round(),
            "ratio": ratio(rate),
        }));
        if journal.head().position != Position(n) {
            return Err(format!("bulk append left head at {}", journal.head().position).into());
        }
    }
    let disk_bytes = dir_bytes(dir.path())?;
    let probe = open_in_child(dir.path(), args.cache_bytes)?;
    let open_s = probe["open_s"].as_f64().unwrap_or(f64::NAN);
    let peak_mib = probe["peak_memory_mib"].as_f64().unwrap_or(f64::NAN);
    let open_rate = per_s(n, Duration::from_secs_f64(open_s.max(1e-9)));
    #[allow(clippy::cast_precision_loss)]
    let disk_per_event = disk_bytes as f64 / n as f64;
    emit(&json!({
        "scenario": "open",
        "events": n,
        "open_s": round_for_print(open_s * 1000.0) / 1000.0,
        "events_per_s": open_rate.round(),
        "ratio": ratio(open_rate),
        "peak_memory_mib": round_for_print(peak_mib),
        "memory_after_open_mib": probe["memory_after_open_mib"],
        "cache_bytes": args.cache_bytes,
        "target_peak_memory_mib": TARGET_PEAK_MIB,
        "target_met": peak_mib < TARGET_PEAK_MIB,
        "disk_bytes": disk_bytes,
        "disk_bytes_per_event": round_for_print(disk_per_event),
        "record_bytes": record_bytes,
    }));

    {
        let journal = Journal::open(dir.path(), options(args.cache_bytes))?;
        let start = Instant::now();
        let report = journal.verify(None, None, &mut |_| {})?;
        let elapsed = start.elapsed();
        if !report.is_intact() || report.checked != n {
            return Err(format!("verify found a problem: {:?}", report.problem).into());
        }
        let rate = per_s(n, elapsed);
        emit(&json!({
            "scenario": "verify",
            "events": n,
            "events_per_s": rate.round(),
            "ratio": ratio(rate),
            "target_ratio": TARGET_VERIFY,
            "target_met": rate / baseline_rate >= TARGET_VERIFY,
        }));

        let start = Instant::now();
        let mut count = 0u64;
        let mut bytes = 0usize;
        for event in journal.iter_forward(Position(1)) {
            bytes += event?.payload.len();
            count += 1;
        }
        let elapsed = start.elapsed();
        if count != n || bytes == 0 && !payload.is_empty() {
            return Err(format!("iter_forward read {count} events of {n}").into());
        }
        let rate = per_s(n, elapsed);
        emit(&json!({
            "scenario": "iter_forward",
            "events": n,
            "events_per_s": rate.round(),
            "ratio": ratio(rate),
        }));
    }
    drop(dir);

    for (appenders, cap) in DURABLE_CAP_EVENTS {
        let total = n.min(cap);
        let dir = tempfile::tempdir_in(&base)?;
        let journal = Journal::open(dir.path(), options(args.cache_bytes))?;
        let (elapsed, mut latencies) =
            runtime.block_on(durable_appends(&journal, appenders, total, &payload))?;
        drop(journal);
        let events = u64::try_from(latencies.len())?;
        let rate = per_s(events, elapsed);
        latencies.sort_unstable();
        let mut line = json!({
            "scenario": format!("durable_append_{appenders}"),
            "appenders": appenders,
            "events": events,
            "events_per_s": rate.round(),
            "ratio": ratio(rate),
            "p50_us": percentile(&latencies, 50),
            "p99_us": percentile(&latencies, 99),
            "max_us": latencies.last().copied().unwrap_or(0),
        });
        if appenders == 64 {
            line["target_ratio"] = json!(TARGET_DURABLE_64);
            line["target_met"] = json!(rate / baseline_rate >= TARGET_DURABLE_64);
        }
        emit(&line);
    }
    Ok(())
}

fn options(cache_bytes: u64) -> Options {
    Options {
        cache_capacity_bytes: cache_bytes,
        ..Options::default()
    }
}

fn payload(len: usize) -> Vec<u8> {
    // A JSON object of the asked size: {"note":"aaaa…"}.
    let head = br#"{"note":""#;
    let tail = br#""}"#;
    let mut out = Vec::with_capacity(len.max(head.len() + tail.len()));
    out.extend_from_slice(head);
    let fill = len.saturating_sub(head.len() + tail.len());
    out.extend((0..fill).map(|i| b'a' + u8::try_from(i % 26).unwrap_or(0)));
    out.extend_from_slice(tail);
    out
}

fn new_event(payload: &[u8]) -> NewEvent {
    NewEvent {
        id: Ulid::new(),
        event_type: "NoteRecorded".into(),
        schema_version: 1,
        occurred_at: Timestamp::now(),
        actor: Actor {
            id: "m.rossi".into(),
            role: "mediator".into(),
        },
        payload: payload.to_vec(),
    }
}

/// The stored size of one event with this payload, as the journal writes it.
fn record_len(payload: &[u8]) -> usize {
    let event = new_event(payload);
    RecordedEvent {
        id: event.id,
        position: Position(1),
        stream: stream_name(0),
        version: 1,
        event_type: event.event_type,
        schema_version: event.schema_version,
        occurred_at: event.occurred_at,
        recorded_at: event.occurred_at,
        actor: event.actor,
        payload: event.payload,
        append_index: 0,
        append_len: 1,
        prev_hash: ChainHash::genesis(),
        hash: ChainHash::genesis(),
        salts: None,
    }
    .stored_bytes()
    .len()
}

fn stream_name(n: u64) -> String {
    format!("case-{n:06}")
}

fn sled_db(dir: &Path, cache_bytes: u64) -> sled::Result<sled::Db> {
    sled::Config::new()
        .path(dir)
        .cache_capacity(cache_bytes)
        .mode(sled::Mode::HighThroughput)
        .open()
}

/// Plain sled inserts of `n` records of `record_bytes`: key = position (BE). With
/// `with_indexes`, also the two index inserts the alternative layout needs per event:
/// stream ‖ version → position and event id → position. Events go round-robin to `n / 100`
/// streams. Only the inserts are timed.
fn baseline(
    dir: &Path,
    n: u64,
    record_bytes: usize,
    cache_bytes: u64,
    with_indexes: bool,
) -> BenchResult<Duration> {
    let db = sled_db(dir, cache_bytes)?;
    let events = db.open_tree("events")?;
    let streams_tree = db.open_tree("streams")?;
    let ids_tree = db.open_tree("ids")?;
    let streams = (n / 100).max(1);
    let template = vec![0x5a_u8; record_bytes.max(16)];
    let start = Instant::now();
    for position in 1..=n {
        let key = position.to_be_bytes();
        let mut value = template.clone();
        value[..8].copy_from_slice(&key);
        events.insert(key, value)?;
        if with_indexes {
            let stream = stream_name(position % streams);
            let version = position / streams + 1;
            let mut stream_key = Vec::with_capacity(stream.len() + 8);
            stream_key.extend_from_slice(stream.as_bytes());
            stream_key.extend_from_slice(&version.to_be_bytes());
            streams_tree.insert(stream_key, &key[..])?;
            ids_tree.insert(Ulid::new().0.to_be_bytes(), &key[..])?;
        }
    }
    Ok(start.elapsed())
}

/// Appends `n` events in appends of `MAX_EVENTS_PER_APPEND` from `BULK_TASKS` tasks, one stream
/// per append.
async fn bulk_append(journal: &Journal, n: u64, payload: &[u8]) -> BenchResult<()> {
    let chunk = u64::try_from(MAX_EVENTS_PER_APPEND)?;
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..BULK_TASKS {
        let journal = journal.clone();
        let next = Arc::clone(&next);
        let payload = payload.to_vec();
        tasks.push(tokio::spawn(async move {
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let first = k * chunk;
                if first >= n {
                    return Ok::<(), journal::JournalError>(());
                }
                let count = chunk.min(n - first);
                let events = (0..count).map(|_| new_event(&payload)).collect();
                let outcome = journal
                    .append(&stream_name(k), ExpectedVersion::NoStream, events)
                    .await?;
                if let Err(rejected) = outcome {
                    panic!("bulk append rejected: {rejected:?}");
                }
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// `appenders` tasks, each appending one event at a time to its own stream, `total` events in
/// all. Returns the wall time and each append's latency in microseconds.
async fn durable_appends(
    journal: &Journal,
    appenders: usize,
    total: u64,
    payload: &[u8],
) -> BenchResult<(Duration, Vec<u64>)> {
    let appenders_u64 = u64::try_from(appenders)?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..appenders_u64 {
        let journal = journal.clone();
        let payload = payload.to_vec();
        // Spread the remainder so the total is exact.
        let count = total / appenders_u64 + u64::from(task < total % appenders_u64);
        tasks.push(tokio::spawn(async move {
            let stream = stream_name(task);
            let mut latencies = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
            for version in 0..count {
                let event = new_event(&payload);
                let sent = Instant::now();
                let outcome = journal
                    .append(&stream, ExpectedVersion::Exactly(version), vec![event])
                    .await?;
                let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                if let Err(rejected) = outcome {
                    panic!("durable append rejected: {rejected:?}");
                }
                latencies.push(micros);
            }
            Ok::<_, journal::JournalError>(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    Ok((start.elapsed(), all))
}

fn percentile(sorted: &[u64], p: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let at = (sorted.len() * p).div_ceil(100).clamp(1, sorted.len()) - 1;
    sorted[at]
}

/// Total size of the files under `dir`.
fn dir_bytes(dir: &Path) -> BenchResult<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

fn open_in_child(dir: &Path, cache_bytes: u64) -> BenchResult<Value> {
    let exe = std::env::current_exe()?;
    let output = Process::new(exe)
        .arg("open-probe")
        .arg(dir)
        .arg("--cache-bytes")
        .arg(cache_bytes.to_string())
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "open probe failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn open_probe(dir: &Path, cache_bytes: u64) -> BenchResult<()> {
    let start = Instant::now();
    let journal = Journal::open(dir, options(cache_bytes))?;
    let open_s = start.elapsed().as_secs_f64();
    let mib = status_mib;
    println!(
        "{}",
        json!({
            "events": journal.head().position.get(),
            "open_s": open_s,
            "peak_memory_mib": mib("VmHWM:"),
            "memory_after_open_mib": mib("VmRSS:"),
        })
    );
    Ok(())
}

/// A memory figure of this process from `/proc/self/status` (`VmHWM:`, `VmRSS:`), in MiB.
pub(crate) fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib = line.split_whitespace().nth(1)?.parse::<f64>().ok()?;
    Some(round_for_print(kib / 1024.0))
}

#[cfg(test)]
mod tests {
    use super::round_for_print;

    #[test]
    fn small_ratios_keep_three_significant_figures() {
        assert_eq!(round_for_print(0.004_837), 0.004_84);
        assert_eq!(round_for_print(0.000_051_23), 0.000_051_2);
        assert_eq!(round_for_print(0.483_7), 0.484);
        assert_eq!(round_for_print(4.837), 4.84);
        assert_eq!(round_for_print(142_814.37), 142_814.37);
        assert_eq!(round_for_print(0.0), 0.0);
    }
}
