//! The API's benchmark (`bench api`): GraphQL over a real TCP listener against the trivial query
//! on the same server, and the desk's cold start against a plain sled scan (see
//! `docs/BENCHMARKS.md`, section API).
//!
//! Scenarios, in the order they run:
//! - `baseline`: `{ __typename }`. Every HTTP `ratio` is a rate divided by this one.
//! - `audit_page`: a page of 20 audit-trail events with payloads and hashes, after a random
//!   cursor; every other request also filters by a site.
//! - `mutation`: `writeLogbookEntry`, each for a site and day of its own, so each is accepted.
//! - `monitoring_year`: `monitoring(from, to)` over the first year of generated activity.
//! - `as_of_head`, `as_of_past_cold`, `as_of_past_near`: `Desk::read_models_as_of` at the head,
//!   half-way back, and 1,000 events after that, with the memory each keeps.
//! - `cold_scan`, `cold_journal_open`, `cold_rebuild`, `cold_start`: each in a fresh child
//!   process on the big journal: a plain sled scan of the `events` tree (the baseline of the
//!   cold start), `Journal::open` alone, the read models folded from an open journal, and
//!   `Desk::open` until it returns (folding the whole journal).
//! - `cold_start_snapshot`: `Desk::open` from a snapshot written by the child before it (a clean
//!   shutdown's), against `cold_journal_open` measured again just before it.
//!
//! The journals are written from generated import lines decided by [`DeskState::decide`] in
//! order (every rule applies), each decision folded into that state at once and appended with
//! the stream version it was decided against. Appends are submitted to the journal's writer in
//! decision order without waiting for each to be durable, so group commit batches them and the
//! journal's order is the decision order.

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Command as Process;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use desk::{Desk, DeskOptions};
use domain::generator::{Generator, GeneratorConfig};
use domain::{Context, DeskState, EventMeta, Expected, ImportLine};
use journal::{AppendResult, ExpectedVersion, Journal, NewEvent, Position, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ulid::Ulid;

use crate::{emit, per_s, percentile, round_for_print, BenchResult};

/// Targets from the issue.
const TARGET_PAGE_RATIO: f64 = 0.5;
const TARGET_PAGE_P99_TIMES: f64 = 3.0;
const TARGET_MUTATION_RATIO: f64 = 0.4;
const TARGET_COLD_TIMES: f64 = 3.0;
/// Appends submitted and not yet acknowledged while a journal is built.
const BUILD_IN_FLIGHT: usize = 8192;
/// The first generated day, and the year `monitoring_year` asks for.
const START: (i32, u32, u32) = (2023, 1, 2);

#[derive(clap::Args, Clone)]
pub struct ApiArgs {
    /// Events in the journal the HTTP scenarios query (generated activity at `--sites` sites).
    #[arg(long, default_value_t = 150_000)]
    pub events: u64,
    /// Sites of the generated activity.
    #[arg(long, default_value_t = 6)]
    pub sites: u32,
    /// Mean new people per site and opening day (the generator's density).
    #[arg(long, default_value_t = 12)]
    pub persons_per_opening: u32,
    /// Concurrent keep-alive connections of the load generator.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Measured seconds per HTTP scenario (after a warm-up of a fifth of it).
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Events in the journal the cold start opens; 0 skips the cold start.
    #[arg(long, default_value_t = 1_000_000)]
    pub cold_events: u64,
    /// Sites of the cold-start journal's activity (more sites pack a million events into fewer
    /// years, all of them in the past).
    #[arg(long, default_value_t = 40)]
    pub cold_sites: u32,
    /// Keep the cold-start journal here and reuse it when it already holds `--cold-events`
    /// events (default: a temporary directory, built afresh).
    #[arg(long)]
    pub cold_dir: Option<PathBuf>,
    /// Run only the cold start (no query journal, no HTTP scenarios).
    #[arg(long)]
    pub only_cold: bool,
    /// Seed of the generator.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Where the temporary databases go (default: the system's temporary directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Run only these HTTP scenarios (comma-separated: audit_page, audit_filtered, cases_page,
    /// referrals_page, mediations_page, mutation, monitoring_year, and as_of: the as-of reads
    /// of the desk itself, no HTTP);
    /// the baseline always runs, every ratio is taken against it. Default: all of them.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

impl ApiArgs {
    fn runs(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == scenario)
    }
}

/// What a cold-start child measures.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ColdKind {
    /// Open sled and read every value of the `events` tree.
    Scan,
    /// `Journal::open`.
    JournalOpen,
    /// The read models folded from an open journal (the open is not timed).
    Rebuild,
    /// `Desk::open` until it returns, folding the whole journal (any snapshot deleted first).
    Desk,
    /// A snapshot of the models written (`Desk::snapshot`), nothing timed: what
    /// `desk-from-snapshot` starts from.
    WriteSnapshot,
    /// `Desk::open` until it returns, from the snapshot (refused if it was not used).
    DeskFromSnapshot,
    /// The parts of a replay, each timed on one thread: read, decode, write model, read models.
    Parts,
}

pub fn run_api(args: &ApiArgs) -> BenchResult<()> {
    let base = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;

    if args.only_cold {
        return cold_start(args, &base, &runtime);
    }
    let query_dir = tempfile::tempdir_in(&base)?;
    let built = runtime.block_on(build_journal(
        query_dir.path(),
        args,
        args.sites,
        args.events,
    ))?;
    emit(&json!({
        "scenario": "build",
        "events": built.events,
        "lines": built.lines,
        "sites": args.sites,
        "first_day": built.first_day.to_string(),
        "last_day": built.last_day.to_string(),
        "events_per_s": per_s(built.events, built.elapsed).round(),
    }));
    runtime.block_on(http_scenarios(args, query_dir.path(), &built))?;
    drop(query_dir);

    if args.cold_events > 0 {
        cold_start(args, &base, &runtime)?;
    }
    Ok(())
}

struct Built {
    events: u64,
    lines: u64,
    first_day: NaiveDate,
    last_day: NaiveDate,
    elapsed: Duration,
}

fn start_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(START.0, START.1, START.2).unwrap_or_default()
}

type Pending = Pin<Box<dyn Future<Output = AppendResult> + Send>>;

/// Writes generated activity (`events` events or a little more: a line's events stay together)
/// into a fresh journal in `dir`, deciding every line against the write model in order.
async fn build_journal(dir: &Path, args: &ApiArgs, sites: u32, events: u64) -> BenchResult<Built> {
    let seed = args.seed;
    // Every generated day is in the past: decisions refuse the future.
    let days = (Utc::now().date_naive() - start_day()).num_days();
    let journal = Journal::open(dir, journal::Options::default())?;
    // Personal values are sealed as the desk seals them, so reading them back costs what it does
    // in production.
    let vault = desk::vault::Vault::open(dir, &desk::vault::default_master_key_path(dir))?;
    let generator = Generator::new(
        seed,
        GeneratorConfig {
            start: start_day(),
            days: u32::try_from(days).unwrap_or(0),
            sites: sites.max(1),
            new_persons_per_opening: args.persons_per_opening.max(1),
            max_lines: None,
        },
    );
    let started = Instant::now();
    let mut state = DeskState::new();
    let mut position = journal.head().position.0;
    let mut in_flight: VecDeque<Pending> = VecDeque::new();
    let mut lines = 0u64;
    let mut last_day = start_day();
    let now = Utc::now();
    for line in generator {
        if position >= events {
            break;
        }
        lines += 1;
        last_day = line.command.occurred_at().date_naive();
        let (stream, expected, new_events) = decide(&mut state, &vault, &line, now, &mut position)
            .map_err(|e| format!("generated line {lines} refused: {e}"))?;
        let journal = journal.clone();
        let mut append: Pending = Box::pin(async move {
            journal
                .append(&stream, ExpectedVersion::Exactly(expected), new_events)
                .await
        });
        // The first poll hands the append to the writer, in decision order.
        match futures_util::poll!(append.as_mut()) {
            Poll::Ready(outcome) => check_append(outcome)?,
            Poll::Pending => in_flight.push_back(append),
        }
        while in_flight.len() >= BUILD_IN_FLIGHT {
            if let Some(append) = in_flight.pop_front() {
                check_append(append.await)?;
            }
        }
    }
    for append in in_flight {
        check_append(append.await)?;
    }
    let elapsed = started.elapsed();
    let head = journal.head().position.0;
    if head < events {
        return Err(format!(
            "the generator ran out of days at {head} events; give more sites or people per opening"
        )
        .into());
    }
    if head != position {
        return Err(format!("built journal ends at {head}, expected {position}").into());
    }
    drop(journal);
    Ok(Built {
        events: head,
        lines,
        first_day: start_day(),
        last_day,
        elapsed,
    })
}

/// Decides one line and folds its events into `state` as the projector would, at the positions
/// the journal will give them. Returns the stream, the version decided against, and the events.
fn decide(
    state: &mut DeskState,
    vault: &desk::vault::Vault,
    line: &ImportLine,
    now: DateTime<Utc>,
    position: &mut u64,
) -> Result<(String, u64, Vec<NewEvent>), String> {
    let context = Context {
        now,
        actor: line.actor.clone(),
    };
    let decision = state
        .decide(&line.command, &context)
        .map_err(|r| format!("{r:?}"))?;
    let expected = match decision.expected {
        Expected::NoStream => 0,
        Expected::Exactly(n) => n,
    };
    let mut new_events = Vec::with_capacity(decision.events.len());
    for (i, (event, version)) in decision.events.iter().zip(expected + 1..).enumerate() {
        let id = Ulid(line.event_id.0.wrapping_add(u128::try_from(i).unwrap_or(0)));
        *position += 1;
        let meta = EventMeta {
            id,
            stream: decision.stream.clone(),
            version,
            position: *position,
            recorded_at: now,
            actor: line.actor.clone(),
        };
        state.apply(&meta, event);
        new_events.push(NewEvent {
            id,
            event_type: event.event_type().to_owned(),
            schema_version: event.schema_version(),
            occurred_at: Timestamp::from(event.occurred_at()),
            actor: journal::Actor {
                id: line.actor.id.clone(),
                role: line.actor.role.as_str().to_owned(),
            },
            payload: desk::sealed_payload(vault, event, id, event.to_payload())
                .map_err(|e| e.to_string())?
                .map_err(|_| "a generated person was erased".to_string())?,
        });
    }
    Ok((decision.stream.as_str().to_owned(), expected, new_events))
}

fn check_append(outcome: AppendResult) -> BenchResult<()> {
    match outcome? {
        Ok(_) => Ok(()),
        Err(rejected) => Err(format!("the journal rejected a decided append: {rejected:?}").into()),
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP scenarios

struct Measured {
    requests: u64,
    elapsed: Duration,
    latencies_us: Vec<u64>,
    /// CPU time of the whole process (server, load generator, journal writers) over the
    /// measured seconds, from `/proc/self/stat`; less sensitive than the rate to other work on
    /// a shared machine. `None` where there is no such file.
    cpu: Option<Duration>,
}

impl Measured {
    fn rate(&self) -> f64 {
        per_s(self.requests, self.elapsed)
    }
    fn p(&self, p: usize) -> u64 {
        percentile(&self.latencies_us, p)
    }
}

/// Builds the request body and extra headers of request `n` of connection `conn`.
type MakeRequest = Arc<dyn Fn(usize, u64, &mut ChaCha8Rng) -> String + Send + Sync>;

async fn http_scenarios(args: &ApiArgs, dir: &Path, built: &Built) -> BenchResult<()> {
    let desk = Desk::open(dir, DeskOptions::default())?;
    let security =
        api::Security::open(dir).map_err(|e| format!("cannot open the accounts: {e}"))?;
    // Supervisors may read and record everything the scenarios touch (many sites).
    let token: Arc<str> = security
        .tokens
        .issue(
            "bench-supervisor",
            domain::Role::Supervisor,
            None,
            chrono::Duration::hours(1),
            Utc::now(),
        )
        .map_err(|e| format!("cannot issue a token: {e}"))?
        .token
        .into();
    let state = api::AppState::new(desk.clone(), api::ApiConfig::default(), security);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, api::app(state)).await });

    let seconds = args.seconds.max(0.1);
    let connections = args.connections.max(1);
    let head = built.events;

    let baseline = load(addr, connections, seconds, &token, trivial()).await?;
    let base_rate = baseline.rate();
    let base_p99 = baseline.p(99).max(1);
    emit_http("baseline", &baseline, base_rate, None);

    if args.runs("audit_page") {
        let audit = load(
            addr,
            connections,
            seconds,
            &token,
            audit_page(head, args.sites),
        )
        .await?;
        let mut line = http_line("audit_page", &audit, base_rate);
        #[allow(clippy::cast_precision_loss)]
        let p99_times = audit.p(99) as f64 / base_p99 as f64;
        line["p99_times_baseline"] = json!(round_for_print(p99_times));
        line["target"] = json!("rate >= 0.5x baseline, p99 <= 3x baseline p99");
        line["target_met"] = json!(
            audit.rate() / base_rate >= TARGET_PAGE_RATIO && p99_times <= TARGET_PAGE_P99_TIMES
        );
        emit(&line);
    }

    // Pages of the read models: their CPU a request at this history's length, to set against
    // the same scenarios run with another `--events` (docs/BENCHMARKS.md, "Page cost and
    // history").
    for (scenario, query) in PAGES {
        if args.runs(scenario) {
            let m = load(
                addr,
                connections,
                seconds,
                &token,
                list_page(query, head, args.sites, scenario == "audit_filtered"),
            )
            .await?;
            let mut line = http_line(scenario, &m, base_rate);
            line["events"] = json!(head);
            emit(&line);
        }
    }

    if args.runs("mutation") {
        let today = Utc::now().date_naive();
        let mutation = load(addr, connections, seconds, &token, logbook_entry(today)).await?;
        emit_http(
            "mutation",
            &mutation,
            base_rate,
            Some(TARGET_MUTATION_RATIO),
        );
    }

    if args.runs("monitoring_year") {
        let year = load(addr, connections, seconds, &token, monitoring_year()).await?;
        let mut line = http_line("monitoring_year", &year, base_rate);
        line["from"] = json!(start_day().to_string());
        line["to"] = json!((start_day() + TimeDelta::days(364)).to_string());
        emit(&line);
    }

    server.abort();
    if args.runs("as_of") {
        tokio::task::block_in_place(|| as_of_scenarios(&desk))?;
    }
    Ok(())
}

/// Reads as of the head and of past positions (`Desk::read_models_as_of`), each timed, with the
/// memory it keeps (`VmRSS` after less before: the desk keeps each state for the next read).
/// - `as_of_head`: the head's state kept (a clone of the live models, sharing their tables);
/// - `as_of_past_cold`: half-way back with no kept state before it: a fold from nothing, what
///   a whole copy of the models costs;
/// - `as_of_past_near`: 1,000 events after that one: a fold from the state kept by it.
fn as_of_scenarios(desk: &Desk) -> BenchResult<()> {
    let measure = |scenario: &str, position: Position| -> BenchResult<()> {
        let before = crate::status_mib("VmRSS:");
        let started = Instant::now();
        let (at, models) = desk.read_models_as_of(desk::AsOf::Position(position))?;
        let elapsed = started.elapsed();
        let after = crate::status_mib("VmRSS:");
        emit(&json!({
            "scenario": scenario,
            "position": at.get(),
            "head": desk.applied_position().get(),
            "folded_to": models.position().get(),
            "ms": round_for_print(elapsed.as_secs_f64() * 1e3),
            "rss_kept_mib": before.zip(after).map(|(b, a)| round_for_print(a - b)),
            "rss_mib": after,
            "peak_rss_mib": crate::status_mib("VmHWM:"),
        }));
        Ok(())
    };
    let head = desk.applied_position();
    measure("as_of_head", head)?;
    let half = Position(head.get() / 2);
    measure("as_of_past_cold", half)?;
    measure("as_of_past_near", Position(half.get() + 1_000).min(head))?;
    Ok(())
}

fn http_line(scenario: &str, m: &Measured, base_rate: f64) -> Value {
    json!({
        "scenario": scenario,
        "requests": m.requests,
        "seconds": round_for_print(m.elapsed.as_secs_f64()),
        "requests_per_s": m.rate().round(),
        "ratio": round_for_print(m.rate() / base_rate),
        "p50_us": m.p(50),
        "p99_us": m.p(99),
        "max_us": m.latencies_us.last().copied().unwrap_or(0),
        "cpu_us_per_request": m.cpu.map(|cpu| {
            #[allow(clippy::cast_precision_loss)]
            let per = cpu.as_secs_f64() * 1e6 / m.requests.max(1) as f64;
            per.round()
        }),
    })
}

/// User and system CPU time of this process so far (`/proc/self/stat`, in clock ticks of
/// 1/100 s, the value of `_SC_CLK_TCK` on Linux).
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn emit_http(scenario: &str, m: &Measured, base_rate: f64, target: Option<f64>) {
    let mut line = http_line(scenario, m, base_rate);
    if let Some(target) = target {
        line["target_ratio"] = json!(target);
        line["target_met"] = json!(m.rate() / base_rate >= target);
    }
    emit(&line);
}

fn graphql(query: &str, variables: &Value) -> String {
    json!({ "query": query, "variables": variables }).to_string()
}

fn trivial() -> MakeRequest {
    let body = graphql("{ __typename }", &json!({}));
    Arc::new(move |_, _, _| body.clone())
}

const AUDIT_PAGE: &str = "query Page($after: String, $filter: EventFilter) {
  auditTrail(first: 20, after: $after, filter: $filter) {
    edges { cursor node { id position stream version type schemaVersion occurredAt recordedAt
      actor { id role } payload prevHash hash } }
    pageInfo { hasNextPage endCursor }
  }
}";

const SITE_NAMES: [&str; 6] = [
    "montelucci-4",
    "guidonia-centro",
    "villanova",
    "setteville",
    "tivoli-centro",
    "villalba",
];

/// A page after a random position; every other one filtered by one of the sites.
fn audit_page(head: u64, sites: u32) -> MakeRequest {
    let sites = usize::try_from(sites.clamp(1, 6)).unwrap_or(1);
    Arc::new(move |_, n, rng| {
        let after = rng.gen_range(0..head.saturating_sub(20).max(1));
        let filter = if n % 2 == 1 {
            json!({ "site": SITE_NAMES[rng.gen_range(0..sites)] })
        } else {
            Value::Null
        };
        graphql(
            AUDIT_PAGE,
            &json!({ "after": after.to_string(), "filter": filter }),
        )
    })
}

/// The page scenarios: 20 rows after a random position each.
const PAGES: [(&str, &str); 4] = [
    (
        "audit_filtered",
        "query Page($after: String, $site: String) {
  auditTrail(first: 20, after: $after, filter: { types: [\"ReferralIssued\", \"CaseOpened\"], site: $site }) {
    edges { cursor node { position type payload } }
    pageInfo { hasNextPage endCursor }
  }
}",
    ),
    (
        "cases_page",
        "query Page($after: String) {
  cases(first: 20, after: $after) {
    edges { cursor node { id position status caseWorker } }
    pageInfo { hasNextPage endCursor }
  }
}",
    ),
    (
        "referrals_page",
        "query Page($after: String) {
  referrals(first: 20, after: $after) {
    edges { cursor node { id position status } }
    pageInfo { hasNextPage endCursor }
  }
}",
    ),
    (
        "mediations_page",
        "query Page($after: String) {
  mediations { requests(first: 20, after: $after) {
    edges { cursor node { id position language } }
    pageInfo { hasNextPage endCursor }
  } }
}",
    ),
];

/// A page of `query` after a random position (`site`: with a random site as `$site`).
fn list_page(query: &'static str, head: u64, sites: u32, site: bool) -> MakeRequest {
    let sites = usize::try_from(sites.clamp(1, 6)).unwrap_or(1);
    Arc::new(move |_, _, rng| {
        let after = rng.gen_range(0..head.saturating_sub(20).max(1));
        let mut variables = json!({ "after": after.to_string() });
        if site {
            variables["site"] = json!(SITE_NAMES[rng.gen_range(0..sites)]);
        }
        graphql(query, &variables)
    })
}

const WRITE_LOGBOOK: &str = "mutation Write($input: WriteLogbookEntryInput!) {
  writeLogbookEntry(input: $input) { alreadyRecorded events { position hash } }
}";

/// A logbook entry for a site and day no other request uses: connection `c`, request `n` writes
/// at site `bench-c-(n / 300)` for the day `n % 300 + 1` days before `today`.
fn logbook_entry(today: NaiveDate) -> MakeRequest {
    Arc::new(move |c, n, _| {
        let date = today - TimeDelta::days(i64::try_from(n % 300 + 1).unwrap_or(1));
        let input = json!({
            "siteId": format!("bench-{c}-{}", n / 300),
            "date": date.to_string(),
            "occurredAt": format!("{date}T17:30:00Z"),
            "mediator": "bench-mediator",
            "slot": "AFTERNOON",
            "contacts": 7,
            "languages": ["it", "uk"],
            "observations": "Affluenza regolare; due richieste di accompagnamento.",
            "emergingNeeds": ["HOUSING"],
        });
        graphql(WRITE_LOGBOOK, &json!({ "input": input }))
    })
}

const MONITORING: &str = "query Year($from: NaiveDate!, $to: NaiveDate!) {
  monitoring(from: $from, to: $to) {
    from to site asOfPosition totalContacts openCases
    contacts { activity site contacts distinctPersons }
    beneficiaries { total new returning }
    mediation { requests cancelled sessions minutes hours }
    referralFunnel { serviceId serviceName issued }
    openCaseload { operator openCases }
  }
}";

fn monitoring_year() -> MakeRequest {
    let from = start_day();
    let to = from + TimeDelta::days(364);
    let body = graphql(
        MONITORING,
        &json!({ "from": from.to_string(), "to": to.to_string() }),
    );
    Arc::new(move |_, _, _| body.clone())
}

/// `connections` keep-alive connections sending requests back to back for a warm-up of a fifth
/// of `seconds`, then `seconds` measured. Every response must be 200 without GraphQL errors.
async fn load(
    addr: SocketAddr,
    connections: usize,
    seconds: f64,
    token: &Arc<str>,
    make: MakeRequest,
) -> BenchResult<Measured> {
    let warm_up = Duration::from_secs_f64(seconds / 5.0);
    let measured = Duration::from_secs_f64(seconds);
    let begin = Instant::now() + warm_up;
    let end = begin + measured;
    let mut tasks = Vec::new();
    for c in 0..connections {
        let make = Arc::clone(&make);
        let token = Arc::clone(token);
        tasks.push(tokio::spawn(async move {
            let mut rng = ChaCha8Rng::seed_from_u64(u64::try_from(c).unwrap_or(0));
            let mut client = Client::connect(addr, &token).await?;
            let mut latencies = Vec::new();
            let mut n = 0u64;
            loop {
                let body = make(c, n, &mut rng);
                n += 1;
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                client.post(&body).await?;
                if sent >= begin {
                    let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                    latencies.push(micros);
                }
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(latencies)
        }));
    }
    tokio::time::sleep_until(begin.into()).await;
    let cpu_at_begin = process_cpu();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let cpu = process_cpu()
        .zip(cpu_at_begin)
        .map(|(end, begin)| end.saturating_sub(begin));
    // Requests still in flight at `end` finish after it: count the time until the last one.
    let elapsed = measured + Instant::now().saturating_duration_since(end);
    all.sort_unstable();
    Ok(Measured {
        requests: u64::try_from(all.len())?,
        elapsed,
        latencies_us: all,
        cpu,
    })
}

/// A minimal HTTP/1.1 client: one keep-alive connection, one request at a time, bodies with a
/// `content-length` (what axum sends for a GraphQL response) or chunked.
struct Client {
    stream: TcpStream,
    head: String,
    buf: Vec<u8>,
}

impl Client {
    async fn connect(addr: SocketAddr, token: &str) -> BenchResult<Client> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let mut head = format!(
            "POST /graphql HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\naccept: application/json\r\n"
        );
        head.push_str(&format!("authorization: Bearer {token}\r\n"));
        Ok(Client {
            stream,
            head,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    /// Sends one request and reads the whole response; errors unless it is a 200 whose body has
    /// `data` and no `errors`.
    async fn post(&mut self, body: &str) -> BenchResult<()> {
        let mut request = Vec::with_capacity(self.head.len() + body.len() + 40);
        request.extend_from_slice(self.head.as_bytes());
        request.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        request.extend_from_slice(body.as_bytes());
        self.stream.write_all(&request).await?;
        let body = self.read_response().await?;
        if find(&body, b"\"errors\"").is_some() || find(&body, b"\"data\"").is_none() {
            return Err(format!(
                "GraphQL error: {}",
                String::from_utf8_lossy(&body[..body.len().min(600)])
            )
            .into());
        }
        Ok(())
    }

    async fn fill(&mut self) -> BenchResult<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn read_response(&mut self) -> BenchResult<Vec<u8>> {
        let head_end = loop {
            if let Some(at) = find(&self.buf, b"\r\n\r\n") {
                break at + 4;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_ascii_lowercase();
        if !head.starts_with("http/1.1 200") {
            let _ = tokio::time::timeout(Duration::from_millis(50), self.fill()).await;
            return Err(format!(
                "HTTP status: {}",
                String::from_utf8_lossy(&self.buf[..self.buf.len().min(600)])
            )
            .into());
        }
        let header = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
        };
        if let Some(length) = header("content-length:") {
            let length: usize = length.parse()?;
            while self.buf.len() < head_end + length {
                self.fill().await?;
            }
            let body = self.buf[head_end..head_end + length].to_vec();
            self.buf.drain(..head_end + length);
            return Ok(body);
        }
        if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
            self.buf.drain(..head_end);
            let mut body = Vec::new();
            loop {
                let line_end = loop {
                    if let Some(at) = find(&self.buf, b"\r\n") {
                        break at;
                    }
                    self.fill().await?;
                };
                let size_text = String::from_utf8_lossy(&self.buf[..line_end]).to_string();
                let size =
                    usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
                while self.buf.len() < line_end + 2 + size + 2 {
                    self.fill().await?;
                }
                body.extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
                self.buf.drain(..line_end + 2 + size + 2);
                if size == 0 {
                    return Ok(body);
                }
            }
        }
        Err("a response without content-length or chunked body".into())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Cold start

fn cold_start(args: &ApiArgs, base: &Path, runtime: &tokio::runtime::Runtime) -> BenchResult<()> {
    let scratch;
    let dir = match &args.cold_dir {
        Some(dir) => dir.clone(),
        None => {
            scratch = tempfile::tempdir_in(base)?;
            scratch.path().to_path_buf()
        }
    };
    let existing = if dir.join("db").exists() || dir.join("conf").exists() {
        let journal = Journal::open(&dir, journal::Options::default())?;
        journal.head().position.0
    } else {
        0
    };
    if existing >= args.cold_events {
        emit(&json!({ "scenario": "cold_build", "reused": true, "events": existing }));
    } else {
        if existing > 0 {
            return Err(format!(
                "{} holds {existing} events, fewer than --cold-events; give an empty directory",
                dir.display()
            )
            .into());
        }
        let built =
            runtime.block_on(build_journal(&dir, args, args.cold_sites, args.cold_events))?;
        emit(&json!({
            "scenario": "cold_build",
            "reused": false,
            "events": built.events,
            "sites": args.cold_sites,
            "lines": built.lines,
            "first_day": built.first_day.to_string(),
            "last_day": built.last_day.to_string(),
            "events_per_s": per_s(built.events, built.elapsed).round(),
        }));
    }

    let scan = cold_in_child(&dir, ColdKind::Scan)?;
    let events = scan["events"].as_u64().unwrap_or(0);
    let scan_s = scan["seconds"].as_f64().unwrap_or(f64::NAN);
    let scan_rate = per_s(events, Duration::from_secs_f64(scan_s.max(1e-9)));
    let line = |scenario: &str, probe: &Value| {
        let seconds = probe["seconds"].as_f64().unwrap_or(f64::NAN);
        let rate = per_s(events, Duration::from_secs_f64(seconds.max(1e-9)));
        json!({
            "scenario": scenario,
            "events": probe["events"],
            "seconds": (seconds * 1000.0).round() / 1000.0,
            "events_per_s": rate.round(),
            "ratio": round_for_print(rate / scan_rate),
            "times_scan": round_for_print(seconds / scan_s),
            "peak_memory_mib": probe["peak_memory_mib"],
        })
    };
    emit(&line("cold_scan", &scan));
    emit(&line(
        "cold_journal_open",
        &cold_in_child(&dir, ColdKind::JournalOpen)?,
    ));
    emit(&line(
        "cold_rebuild",
        &cold_in_child(&dir, ColdKind::Rebuild)?,
    ));
    let desk = cold_in_child(&dir, ColdKind::Desk)?;
    let mut cold = line("cold_start", &desk);
    let seconds = desk["seconds"].as_f64().unwrap_or(f64::NAN);
    cold["target_times_scan"] = json!(TARGET_COLD_TIMES);
    cold["target_met"] = json!(seconds <= TARGET_COLD_TIMES * scan_s);
    emit(&cold);
    // The restart: from a snapshot written by a clean shutdown (docs/adr/0014-snapshots.md).
    cold_in_child(&dir, ColdKind::WriteSnapshot)?;
    let open = cold_in_child(&dir, ColdKind::JournalOpen)?;
    let open_s = open["seconds"].as_f64().unwrap_or(f64::NAN);
    let restart = cold_in_child(&dir, ColdKind::DeskFromSnapshot)?;
    let mut line = line("cold_start_snapshot", &restart);
    let seconds = restart["seconds"].as_f64().unwrap_or(f64::NAN);
    line["journal_open_seconds"] = json!((open_s * 1000.0).round() / 1000.0);
    line["times_journal_open"] = json!(round_for_print(seconds / open_s));
    line["target"] = json!("<= 1 s and <= 1.5x cold_journal_open");
    line["target_met"] = json!(seconds <= 1.0 && seconds <= 1.5 * open_s);
    emit(&line);
    Ok(())
}

fn cold_in_child(dir: &Path, kind: ColdKind) -> BenchResult<Value> {
    let exe = std::env::current_exe()?;
    let kind_arg = match kind {
        ColdKind::Scan => "scan",
        ColdKind::JournalOpen => "journal-open",
        ColdKind::Rebuild => "rebuild",
        ColdKind::Desk => "desk",
        ColdKind::WriteSnapshot => "write-snapshot",
        ColdKind::DeskFromSnapshot => "desk-from-snapshot",
        ColdKind::Parts => "parts",
    };
    let output = Process::new(exe)
        .arg("cold-probe")
        .arg(kind_arg)
        .arg(dir)
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "cold probe {kind_arg} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// A desk that writes no snapshot of its own (the cold starts control which exist).
fn no_snapshots() -> DeskOptions {
    DeskOptions {
        snapshot_every: 0,
        ..DeskOptions::default()
    }
}

/// Run in a fresh child: measures one kind of cold start of the journal in `dir` and prints
/// the seconds, the events and this process's peak memory.
pub fn cold_probe(kind: ColdKind, dir: &Path) -> BenchResult<()> {
    let options = journal::Options::default();
    let (events, seconds) = match kind {
        ColdKind::Scan => {
            let start = Instant::now();
            let db = crate::sled_db(dir, options.cache_capacity_bytes)?;
            // The journal's tree of blocks (records packed back to back, each after its u32
            // length): the records are counted by their lengths, nothing is decoded.
            let tree = db.open_tree("blocks")?;
            let mut events = 0u64;
            let mut bytes = 0usize;
            for value in tree.iter().values() {
                let value = value?;
                bytes += value.len();
                let mut at = 0usize;
                while let Some(len) = value.get(at..at + 4) {
                    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]);
                    at += 4 + usize::try_from(len)?;
                    events += 1;
                }
            }
            let seconds = start.elapsed().as_secs_f64();
            if bytes == 0 && events > 0 {
                return Err("empty records".into());
            }
            (events, seconds)
        }
        ColdKind::JournalOpen => {
            let start = Instant::now();
            let journal = Journal::open(dir, options)?;
            (journal.head().position.0, start.elapsed().as_secs_f64())
        }
        ColdKind::Rebuild => {
            let journal = Journal::open(dir, options)?;
            let vault = desk::vault::Vault::open(dir, &desk::vault::default_master_key_path(dir))?;
            let start = Instant::now();
            let mut read = projections::ReadModels::default();
            for record in journal.iter_forward(Position(1)) {
                let record = record?;
                let event = desk::decode(&vault, &record)?;
                read.apply(&record, &event);
            }
            let seconds = start.elapsed().as_secs_f64();
            (journal.head().position.0, seconds)
        }
        ColdKind::Desk => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let _guard = runtime.enter();
            match std::fs::remove_file(desk::snapshot::path(dir)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
            let start = Instant::now();
            let desk = Desk::open(dir, no_snapshots())?;
            let seconds = start.elapsed().as_secs_f64();
            (desk.applied_position().0, seconds)
        }
        ColdKind::WriteSnapshot => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let _guard = runtime.enter();
            let desk = Desk::open(dir, no_snapshots())?;
            let start = Instant::now();
            desk.snapshot()?.ok_or("no snapshot written")?;
            (desk.applied_position().0, start.elapsed().as_secs_f64())
        }
        ColdKind::DeskFromSnapshot => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let _guard = runtime.enter();
            let start = Instant::now();
            let desk = Desk::open(dir, no_snapshots())?;
            let seconds = start.elapsed().as_secs_f64();
            if desk.snapshot_used_at_open().is_none() {
                return Err("the snapshot was not used".into());
            }
            (desk.applied_position().0, seconds)
        }
        ColdKind::Parts => {
            let journal = Journal::open(dir, options)?;
            let vault = desk::vault::Vault::open(dir, &desk::vault::default_master_key_path(dir))?;
            let start = Instant::now();
            let mut state = DeskState::new();
            let mut read = projections::ReadModels::default();
            let mut parts = [Duration::ZERO; 4];
            let mut clock = Instant::now();
            let mut lap = |part: usize| {
                let now = Instant::now();
                parts[part] += now - clock;
                clock = now;
            };
            for record in journal.iter_forward(Position(1)) {
                let record = record?;
                lap(0);
                let event = desk::decode(&vault, &record)?;
                lap(1);
                state.apply_stored(record.id, &record.stream, record.version, &event);
                lap(2);
                read.apply(&record, &event);
                lap(3);
            }
            let seconds = start.elapsed().as_secs_f64();
            let names = ["read", "decode", "write_model", "read_models"];
            for (name, part) in names.iter().zip(parts) {
                eprintln!("{name}: {:.3} s", part.as_secs_f64());
            }
            (journal.head().position.0, seconds)
        }
    };
    println!(
        "{}",
        json!({
            "events": events,
            "seconds": seconds,
            "peak_memory_mib": crate::status_mib("VmHWM:"),
        })
    );
    Ok(())
}
