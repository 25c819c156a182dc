//! Subcommands. The only place that reads environment variables or uses `anyhow`.

use std::fs::File;
use std::io::{BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use api::{ApiConfig, AppState};
use clap::{Parser, Subcommand};
use desk::{Desk, DeskOptions, ImportError};
use journal::Journal;
use tracing_subscriber::EnvFilter;

/// The demo scenario loaded by `serve --demo` into an empty data directory.
const DEMO_FIXTURE: &str = include_str!("../../../fixtures/montelucci-2024-05.jsonl");

#[derive(Parser, Debug)]
#[command(
    name = "impact",
    version,
    about = "The IMPACT case journal: a tamper-evident record of the desk's work"
)]
pub struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Serve the GraphQL API.
    Serve {
        /// The data directory (created if missing).
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        /// Address to listen on.
        #[arg(long, env = "IMPACT_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Load the demo month of the via Montelucci desk into an empty data directory first;
        /// implies --dev.
        #[arg(long, env = "IMPACT_DEMO")]
        demo: bool,
        /// GraphiQL, introspection and suggestions (off in production).
        #[arg(long, env = "IMPACT_DEV")]
        dev: bool,
        /// Largest request body in bytes.
        #[arg(long, env = "IMPACT_BODY_LIMIT", default_value_t = 256 * 1024)]
        body_limit: usize,
        /// Longest a request may run, in seconds.
        #[arg(long, env = "IMPACT_REQUEST_TIMEOUT", default_value_t = 30)]
        request_timeout: u64,
    },
    /// Import commands (one JSON line each, through the desk's rules) or an export of
    /// `impact export` (reproducing the same chain). Stops at the first bad line; importing the
    /// mended file again records nothing twice.
    Import {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        /// The JSON Lines file.
        file: PathBuf,
    },
    /// Verify the hash chain. Exit 0: intact; 1: damaged (the first bad position is named);
    /// 2: usage or IO error. The server must be stopped.
    Verify {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        /// First position to check (default 1).
        #[arg(long)]
        from: Option<u64>,
        /// Last position to check (default: the end).
        #[arg(long)]
        to: Option<u64>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Also check that the journal extends this signed checkpoint (a note written down
        /// earlier): a journal replaced by another history fails here even if its chain is
        /// intact. Needs --public-key.
        #[arg(long, requires = "public_key")]
        checkpoint: Option<PathBuf>,
        /// The installation's public key (64 hex digits, base64, or a file holding either).
        #[arg(long, requires = "checkpoint")]
        public_key: Option<String>,
    },
    /// Export events as JSON Lines with the exact stored bytes of each, so that the chain can be
    /// re-verified independently (docs/VERIFYING.md). The server must be stopped.
    Export {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        /// The file to write (`-` for standard output).
        #[arg(long)]
        out: PathBuf,
        /// First position (default 1).
        #[arg(long)]
        from: Option<u64>,
        /// Last position (default: the head).
        #[arg(long)]
        to: Option<u64>,
    },
    /// Print the head of the chain: the position and hash an auditor writes down.
    Head {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
    },
    /// Monitoring figures of a month or quarter as CSV tables or JSON; with --fami, the quarterly
    /// FAMI beneficiary sheet (pseudonymised). The server must be stopped.
    Report(crate::report::ReportArgs),
    /// Print the monitoring figures as they stood at a past moment (later events and
    /// corrections do not change them). The server must be stopped.
    Replay(crate::report::ReplayArgs),
    /// The territorial service directory as Open Referral HSDS 3.0 JSON. The server must be
    /// stopped.
    Directory(crate::directory::DirectoryArgs),
    /// The installation's checkpoint signing key.
    #[command(subcommand)]
    Key(crate::proofs::KeyCmd),
    /// Sign a checkpoint of the journal's Merkle tree now, record it, and print the note to keep
    /// outside the system. The server must be stopped.
    Checkpoint(crate::proofs::CheckpointArgs),
    /// Inclusion and consistency proofs: print them, or verify one against checkpoints.
    #[command(subcommand)]
    Proof(crate::proofs::ProofCmd),
    /// Evaluator bundles: the events of a period, pseudonymised, with proofs and a checkpoint.
    #[command(subcommand)]
    Bundle(crate::bundle::BundleCmd),
}

pub fn run(args: Args) -> ExitCode {
    init_tracing();
    let outcome = match args.command {
        Cmd::Verify {
            data,
            from,
            to,
            json,
            checkpoint,
            public_key,
        } => {
            let code = verify(&data, from, to, json);
            return match (checkpoint, public_key) {
                (Some(checkpoint), Some(key)) if code == ExitCode::SUCCESS => {
                    match crate::proofs::check_journal_extends(&data, &checkpoint, &key) {
                        Ok(Ok(message)) => {
                            println!("{message}");
                            ExitCode::SUCCESS
                        }
                        Ok(Err(reason)) => {
                            println!("FAILED: {reason}");
                            ExitCode::from(1)
                        }
                        Err(error) => {
                            eprintln!("impact verify: {error:#}");
                            ExitCode::from(2)
                        }
                    }
                }
                _ => code,
            };
        }
        Cmd::Proof(cmd) => return crate::proofs::proof(&cmd),
        Cmd::Bundle(cmd) => return crate::bundle::run(&cmd),
        Cmd::Key(cmd) => crate::proofs::key(&cmd),
        Cmd::Checkpoint(args) => {
            runtime().and_then(|rt| rt.block_on(crate::proofs::checkpoint(&args)))
        }
        Cmd::Serve {
            data,
            listen,
            demo,
            dev,
            body_limit,
            request_timeout,
        } => {
            let config = ApiConfig {
                dev: dev || demo,
                body_limit_bytes: body_limit,
                request_timeout: Duration::from_secs(request_timeout),
                ..ApiConfig::default()
            };
            runtime().and_then(|rt| rt.block_on(serve(&data, listen, demo, config)))
        }
        Cmd::Import { data, file } => runtime().and_then(|rt| rt.block_on(import(&data, &file))),
        Cmd::Head { data } => head(&data),
        Cmd::Report(args) => crate::report::run(&args),
        Cmd::Replay(args) => crate::report::replay(&args),
        Cmd::Directory(args) => crate::directory::run(&args),
        Cmd::Export {
            data,
            out,
            from,
            to,
        } => export(&data, &out, from, to),
    };
    exit(outcome)
}

/// Exit 0, or print the error and exit 2.
pub(crate) fn exit(outcome: Result<()>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("impact: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn init_tracing() {
    // Logs go to stderr; they carry ids, positions and counts, never personal data.
    // IMPACT_LOG sets the level (`info` by default); IMPACT_LOG_FORMAT=json writes one JSON
    // object a line for log collectors.
    let filter = EnvFilter::try_from_env("IMPACT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("IMPACT_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init()
    };
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(crate) fn open_desk(data: &Path) -> Result<Desk> {
    Desk::open(data, DeskOptions::default())
        .with_context(|| format!("cannot open the journal in {}", data.display()))
}

async fn serve(data: &Path, listen: SocketAddr, demo: bool, config: ApiConfig) -> Result<()> {
    let desk = open_desk(data)?;
    if demo {
        if desk.journal().head().position.0 == 0 {
            let report = desk
                .import(DEMO_FIXTURE.as_bytes())
                .await
                .map_err(|e| anyhow::anyhow!("the demo fixture did not load: {e}"))?;
            tracing::info!(commands = report.recorded, "demo month loaded");
        } else {
            tracing::info!("data directory is not empty; --demo loads nothing");
        }
    }
    let state = AppState::new(desk.clone(), config);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let local = listener.local_addr().context("no local address")?;
    tracing::info!(address = %local, "serving GraphQL on http://{local}/graphql");
    // A line on stdout that scripts and tests can wait for.
    println!("listening on http://{local}");
    let _ = std::io::stdout().flush();
    axum::serve(listener, api::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server failed")?;
    tracing::info!("shutting down: finishing queued appends");
    let journal = desk.journal().clone();
    drop(desk);
    journal.close();
    tracing::info!("journal closed");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

async fn import(data: &Path, file: &Path) -> Result<()> {
    let desk = open_desk(data)?;
    let open = || -> Result<BufReader<File>> {
        Ok(BufReader::new(File::open(file).with_context(|| {
            format!("cannot open {}", file.display())
        })?))
    };
    // An export carries stored records; anything else is commands, one a line.
    let first_line = std::io::BufRead::lines(open()?)
        .map_while(std::result::Result::ok)
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let (what, outcome) = if desk::is_export_line(&first_line) {
        ("events", desk.import_export(open()?).await)
    } else {
        ("commands", desk.import(open()?).await)
    };
    match outcome {
        Ok(report) => {
            println!(
                "{}: {} {what}, {} recorded, {} already recorded",
                file.display(),
                report.lines,
                report.recorded,
                report.already_recorded
            );
            Ok(())
        }
        Err(ImportError::Line {
            line,
            reason,
            report,
        }) => bail!(
            "{}:{line}: {reason}\n({} {what} before it are recorded; mend the line and import the file again)",
            file.display(),
            report.recorded + report.already_recorded
        ),
        Err(other) => Err(other.into()),
    }
}

fn head(data: &Path) -> Result<()> {
    let journal = Journal::open(data, journal::Options::default())
        .with_context(|| format!("cannot open the journal in {}", data.display()))?;
    let head = journal.head();
    println!("{} {}", head.position, head.hash);
    Ok(())
}

fn export(data: &Path, out: &Path, from: Option<u64>, to: Option<u64>) -> Result<()> {
    let journal = Journal::open(data, journal::Options::default())
        .with_context(|| format!("cannot open the journal in {}", data.display()))?;
    let head = journal.head().position.0;
    let from = from.unwrap_or(1).max(1);
    let mut to = to.unwrap_or(head).min(head);
    // An append of several events is exported whole, so that the export can be imported.
    if let Some(last) = journal.get(journal::Position(to))? {
        to += u64::from(last.append_len.saturating_sub(last.append_index + 1));
    }
    let mut writer: Box<dyn Write> = if out.as_os_str() == "-" {
        Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
    } else {
        Box::new(std::io::BufWriter::new(
            File::create(out).with_context(|| format!("cannot create {}", out.display()))?,
        ))
    };
    let mut count = 0u64;
    if from <= to {
        for event in journal.iter_forward(journal::Position(from)) {
            let event = event.context("cannot read the journal")?;
            if event.position.0 > to {
                break;
            }
            let line = export_line(&event);
            serde_json::to_writer(&mut writer, &line).context("cannot write the export")?;
            writer.write_all(b"\n").context("cannot write the export")?;
            count += 1;
        }
    }
    writer.flush().context("cannot write the export")?;
    eprintln!("exported {count} events (positions {from} to {to})");
    Ok(())
}

/// One exported event: the envelope as JSON for people and tools, and the stored bytes (hex)
/// with the hashes for re-verification.
fn export_line(event: &journal::RecordedEvent) -> serde_json::Value {
    let payload: serde_json::Value =
        serde_json::from_slice(&event.payload).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "position": event.position.0,
        "id": event.id.to_string(),
        "stream": event.stream,
        "version": event.version,
        "type": event.event_type,
        "schemaVersion": event.schema_version,
        "occurredAt": event.occurred_at.to_string(),
        "recordedAt": event.recorded_at.to_string(),
        "actor": { "id": event.actor.id, "role": event.actor.role },
        "payload": payload,
        "record": hex::encode(event.stored_bytes()),
        "prevHash": event.prev_hash.to_hex(),
        "hash": event.hash.to_hex(),
    })
}

fn verify(data: &Path, from: Option<u64>, to: Option<u64>, json: bool) -> ExitCode {
    let mut last_report = std::time::Instant::now();
    let mut progress = |p: journal::VerifyProgress| {
        if last_report.elapsed() >= Duration::from_secs(2) {
            eprintln!("verified {} events (position {})", p.checked, p.position);
            last_report = std::time::Instant::now();
        }
    };
    let report = match Journal::verify_dir(data, from, to, &mut progress) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("impact verify: {error}");
            return ExitCode::from(2);
        }
    };
    if json {
        match serde_json::to_string(&report) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("impact verify: {error}");
                return ExitCode::from(2);
            }
        }
    } else {
        match &report.problem {
            None => {
                let head = report
                    .head
                    .map(|h| format!("head {} {}", h.position, h.hash))
                    .unwrap_or_else(|| "empty journal".into());
                println!("intact: {} events checked; {head}", report.checked);
            }
            Some((position, problem)) => {
                println!(
                    "DAMAGED at position {position}: {problem} ({} events before it are intact)",
                    report.checked
                );
            }
        }
    }
    if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
