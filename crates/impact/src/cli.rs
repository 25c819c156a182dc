//! Subcommands. The only place that reads environment variables or uses `anyhow`.

use std::fs::File;
use std::io::{BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use api::{ApiConfig, AppState, Security};
use chrono::{DateTime, FixedOffset};
use clap::{Parser, Subcommand};
use desk::{Desk, DeskOptions, ImportError};
use domain::{ProjectStart, Role};
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
        /// The master key file that wraps the per-person keys (default: `<data>.master-key`,
        /// beside the data directory; made with mode 0600 on first start). Keep it outside the
        /// data directory and out of its backups.
        #[arg(long, env = "IMPACT_MASTER_KEY_FILE", value_name = "FILE")]
        master_key: Option<PathBuf>,
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
        /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
        #[arg(
            long,
            env = "IMPACT_TLS_CERT",
            value_name = "FILE",
            requires = "tls_key"
        )]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM); needs --tls-cert.
        #[arg(
            long,
            env = "IMPACT_TLS_KEY",
            value_name = "FILE",
            requires = "tls_cert"
        )]
        tls_key: Option<PathBuf>,
        /// The project's start: a command that says an earlier time is refused, naming it
        /// (RFC 3339, such as 2024-04-12T00:00:00+02:00; default 2014-01-01T00:00:00+01:00, the
        /// first day of the FAMI/AMIF programme that funds IMPACT LAZIO).
        #[arg(long, env = "IMPACT_PROJECT_START", value_name = "TIME")]
        project_start: Option<DateTime<FixedOffset>>,
    },
    /// Import commands (one JSON line each, through the desk's rules) or an export of
    /// `impact export` (reproducing the same chain). Stops at the first bad line; importing the
    /// mended file again records nothing twice.
    Import {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        /// The master key file (default: `<data>.master-key`, beside the data directory).
        #[arg(long, env = "IMPACT_MASTER_KEY_FILE", value_name = "FILE")]
        master_key: Option<PathBuf>,
        /// The project's start: a command that says an earlier time is refused, naming it
        /// (RFC 3339, such as 2024-04-12T00:00:00+02:00; default 2014-01-01T00:00:00+01:00, the
        /// first day of the FAMI/AMIF programme that funds IMPACT LAZIO).
        #[arg(long, env = "IMPACT_PROJECT_START", value_name = "TIME")]
        project_start: Option<DateTime<FixedOffset>>,
        /// The JSON Lines file.
        file: PathBuf,
    },
    /// Verify the journal: its log and sled's copy of it, compared, and the hash chain walked.
    /// Exit 0: intact; 1: damaged (each fault named with its file, position and what to do);
    /// 2: usage or IO error. Changes no byte of the data directory, and works while the server
    /// runs.
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
        /// The master key file, to check that every slot of the key store opens (default:
        /// `<data>.master-key`; without one the slots' structure is still checked).
        #[arg(long, env = "IMPACT_MASTER_KEY_FILE", value_name = "FILE")]
        master_key: Option<PathBuf>,
        /// Also check that the journal extends this signed checkpoint (a note written down
        /// earlier): a journal replaced by another history fails here even if its chain is
        /// intact. Needs --public-key.
        #[arg(long, requires = "public_key")]
        checkpoint: Option<PathBuf>,
        /// The installation's public key (64 hex digits, base64, or a file holding either).
        #[arg(long, requires = "checkpoint")]
        public_key: Option<String>,
    },
    /// Verify an export file as it is (`impact export`), with no data directory: every record's
    /// bytes and hash, the links between them, and every readable field (`position`, `id`,
    /// `stream`, `version`, `type`, `schemaVersion`, `occurredAt`, `recordedAt`, `actor`,
    /// `payload`, `prevHash`, `hash`) against the bytes. Exit 0 intact (the head is printed),
    /// 1 not (the line and the reason), 2 usage or IO error.
    VerifyExport {
        file: PathBuf,
        /// The head written down earlier (`POSITION:HASH`, as `impact head` prints it, with a
        /// colon): the export must end there.
        #[arg(long)]
        head: Option<String>,
    },
    /// Repair the journal from its two copies, as the server does when it starts: sled rebuilt
    /// from the journal's log where sled is damaged, short or different; the log rewritten from
    /// sled where the log is damaged or missing. Damaged files are kept in `damaged-<time>/`.
    /// Exit 0: nothing to repair or repaired; 1: damage neither copy can repair (restore a
    /// backup); 2: usage or IO error. The server must be stopped.
    Repair {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
    },
    /// Write a backup of the data directory to one file, while the server runs: the journal
    /// and the read audit up to their heads when the backup starts (whole appends), the key
    /// store, the tokens and the signing key. Never the master key. Changes no byte of the data
    /// directory.
    Backup {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        /// The backup file to write (written whole, then renamed into place).
        #[arg(long)]
        out: PathBuf,
    },
    /// Rebuild a data directory from a backup into a new (empty) directory, and verify it
    /// against the backup's head before saying done.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// The new data directory.
        #[arg(long)]
        data: PathBuf,
        /// The master key file for the restored directory (default: `<data>.master-key`).
        #[arg(long, value_name = "FILE")]
        master_key: Option<PathBuf>,
        /// A data directory (the damaged one, if it still reads) whose journal's erasures are
        /// re-applied to the restored key store: no erased person comes back with a restore.
        #[arg(long, value_name = "DIR")]
        erasures_from: Option<PathBuf>,
    },
    /// Export events as JSON Lines with the exact stored bytes of each, so that the chain can be
    /// re-verified independently (docs/VERIFYING.md). The export holds personal data: each
    /// person's is recorded in the read audit as read by `--actor`. The server must be stopped.
    Export {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        /// Who makes the export (recorded in the read audit as a supervisor's read).
        #[arg(long, env = "IMPACT_ACTOR", default_value = "operator")]
        actor: String,
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
    /// Monitoring figures of what happened in a month or quarter (--period, --quarter: by
    /// `occurredAt`), as recorded by now or by --as-of (`recordedAt`), as CSV tables or JSON;
    /// with --fami, the quarterly FAMI beneficiary sheet (pseudonymised). The server must be
    /// stopped.
    Report(crate::report::ReportArgs),
    /// The region's figures of a report template for a period: each desk's signed report
    /// (`impact report --template T --signed FILE`) verified against that desk's public key,
    /// refused with the reason when it does not verify, a desk that sent nothing listed, and
    /// the accepted desks' figures summed, small cells suppressed.
    Region(crate::region::RegionArgs),
    /// Print the monitoring figures of what happened in a month (--period, by `occurredAt`) as
    /// they stood at a past moment (--as-of: what had been recorded by then, by `recordedAt`;
    /// later events and corrections do not change them). The server must be stopped.
    Replay(crate::report::ReplayArgs),
    /// The territorial service directory as Open Referral HSDS 3.0 JSON. The server must be
    /// stopped.
    Directory(crate::directory::DirectoryArgs),
    /// A person's own data (GDPR art. 15 and 20): every fact about them, opened, and who read
    /// their data, as JSON and a page in Italian; the access is recorded in the read audit. The
    /// server must be stopped.
    SubjectAccess(crate::subject_access::SubjectAccessArgs),
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
    /// A witness run by another body (the Comune, the region) with its own key: it cosigns a
    /// desk's checkpoint only when it extends the last one it cosigned (ADR 0012).
    #[command(subcommand)]
    Witness(crate::witness::WitnessCmd),
    /// Accounts: issue, revoke and list bearer tokens. Works while the server runs (it re-reads
    /// the token file when it changes).
    #[command(subcommand)]
    Token(TokenCmd),
    /// Accounts that sign in to the pages with a user name and password: create, disable,
    /// reset, list. Works while the server runs.
    #[command(subcommand)]
    Account(crate::account::AccountCmd),
}

#[derive(Subcommand, Debug)]
enum TokenCmd {
    /// Issue a token and print it on stdout (once: only its hash is kept).
    Issue {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        /// mediator, supervisor, evaluator or admin.
        #[arg(long)]
        role: String,
        /// Who the token is for, as events will record them (a staff id or name).
        #[arg(long)]
        actor: String,
        /// The site a mediator works at (mediators only); repeat it for a mediator who works
        /// at several sites in rotation (`--site montelucci-4 --site tivoli-centro`).
        #[arg(long)]
        site: Vec<String>,
        /// How long the token is valid: 30m, 8h, 7d (at most 366d).
        #[arg(long, default_value = "8h")]
        ttl: String,
    },
    /// Revoke a token, by its id (see `impact token list`) or by the token itself.
    Revoke {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        /// The token's id.
        #[arg(long, conflicts_with = "token", required_unless_present = "token")]
        id: Option<String>,
        /// The token itself.
        #[arg(long)]
        token: Option<String>,
    },
    /// List the tokens issued: id, actor, role, site, expiry, revocation (never the tokens).
    List {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
    },
}

pub fn run(args: Args) -> ExitCode {
    init_tracing();
    let outcome = match args.command {
        Cmd::Repair { data } => return repair(&data),
        Cmd::Backup { data, out } => return crate::backup::backup(&data, &out),
        Cmd::Restore {
            file,
            data,
            master_key,
            erasures_from,
        } => {
            return crate::backup::restore(
                &file,
                &data,
                master_key.as_deref(),
                erasures_from.as_deref(),
            )
        }
        Cmd::Verify {
            data,
            from,
            to,
            json,
            master_key,
            checkpoint,
            public_key,
        } => {
            let master_key =
                master_key.unwrap_or_else(|| desk::vault::default_master_key_path(&data));
            let code = verify(&data, &master_key, from, to, json);
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
        Cmd::Witness(cmd) => return crate::witness::run(&cmd),
        Cmd::VerifyExport { file, head } => return verify_export(&file, head.as_deref()),
        Cmd::Key(cmd) => crate::proofs::key(&cmd),
        Cmd::Checkpoint(args) => {
            runtime().and_then(|rt| rt.block_on(crate::proofs::checkpoint(&args)))
        }
        Cmd::Serve {
            data,
            master_key,
            listen,
            demo,
            dev,
            body_limit,
            request_timeout,
            tls_cert,
            tls_key,
            project_start,
        } => {
            let config = ApiConfig {
                dev: dev || demo,
                body_limit_bytes: body_limit,
                request_timeout: Duration::from_secs(request_timeout),
                ..ApiConfig::default()
            };
            runtime().and_then(|rt| {
                let tls = tls_cert.zip(tls_key);
                rt.block_on(async {
                    let desk = open_desk(&data, master_key.as_deref(), project(project_start))?;
                    serve(desk, &data, listen, demo, config, tls).await
                })
            })
        }
        Cmd::Import {
            data,
            master_key,
            project_start,
            file,
        } => runtime().and_then(|rt| {
            rt.block_on(async {
                let desk = open_desk(&data, master_key.as_deref(), project(project_start))?;
                import(desk, &file).await
            })
        }),
        Cmd::Head { data } => head(&data),
        Cmd::Report(args) => crate::report::run(&args),
        Cmd::Region(args) => crate::region::run(&args),
        Cmd::Replay(args) => crate::report::replay(&args),
        Cmd::Directory(args) => crate::directory::run(&args),
        Cmd::SubjectAccess(args) => crate::subject_access::run(&args),
        Cmd::Token(cmd) => token(cmd),
        Cmd::Account(cmd) => crate::account::run(cmd),
        Cmd::Export {
            data,
            actor,
            out,
            from,
            to,
        } => export(&data, &actor, &out, from, to),
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

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Opens the desk of `data` without changing any byte of it: for the commands that only read.
pub(crate) fn open_desk_read_only(data: &Path, master_key: Option<&Path>) -> Result<Desk> {
    let options = DeskOptions {
        master_key: master_key.map(Path::to_owned),
        read_only: true,
        ..DeskOptions::default()
    };
    Desk::open(data, options)
        .with_context(|| format!("cannot open the journal in {}", data.display()))
}

/// The project's start given on the command line, or the default.
fn project(start: Option<DateTime<FixedOffset>>) -> ProjectStart {
    start.map_or_else(ProjectStart::default, |at| ProjectStart(at.to_utc()))
}

pub(crate) fn open_desk(
    data: &Path,
    master_key: Option<&Path>,
    project_start: ProjectStart,
) -> Result<Desk> {
    let options = DeskOptions {
        master_key: master_key.map(Path::to_owned),
        project_start,
        ..DeskOptions::default()
    };
    Desk::open(data, options)
        .with_context(|| format!("cannot open the journal in {}", data.display()))
}

async fn serve(
    desk: Desk,
    data: &Path,
    listen: SocketAddr,
    demo: bool,
    config: ApiConfig,
    tls: Option<(PathBuf, PathBuf)>,
) -> Result<()> {
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
    let security = open_security(data)?;
    let accounts = web::Accounts::open(data)
        .map_err(|e| anyhow::anyhow!("cannot open the accounts in {}: {e}", data.display()))?;
    if demo {
        print_demo_tokens(&security.tokens)?;
        print_demo_accounts(&accounts)?;
    }
    let state = AppState::new(desk.clone(), config, security);
    let pages = web::Web::new(state.clone(), accounts, tls.is_some());
    // Who was given which role and site is a fact of the journal: what the accounts file
    // holds is recorded before the first request, and what `impact account` adds as it comes.
    let staff = pages.record_account_changes().await;
    tracing::info!(
        recorded = staff.recorded,
        refused = staff.refused,
        "the accounts file's changes are in the journal"
    );
    let _watch = pages.watch_accounts(std::time::Duration::from_secs(2));
    let app = api::app(state).merge(web::router(pages));
    let scheme = if tls.is_some() { "https" } else { "http" };
    if tls.is_none() && !listen.ip().is_loopback() {
        let warning = format!(
            "WARNING: listening on {listen} without TLS: passwords and personal data would cross \
             the network in clear. Serve with --tls-cert and --tls-key, or put a reverse proxy \
             that terminates TLS in front and listen on 127.0.0.1."
        );
        tracing::warn!("{warning}");
        eprintln!("\n{warning}\n");
    }
    match tls {
        None => {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let local = listener.local_addr().context("no local address")?;
            announce(scheme, local);
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_signal())
                .await
                .context("server failed")?;
        }
        Some((cert, key)) => crate::tls::serve(listen, &cert, &key, app, announce).await?,
    }
    tracing::info!("shutting down: finishing queued appends");
    // A clean shutdown leaves a snapshot of the models, so the next start folds no tail
    // (docs/adr/0014-snapshots.md); derived data, so a failure is only logged.
    let snapshot = desk.clone();
    match tokio::task::spawn_blocking(move || snapshot.snapshot()).await {
        Ok(Ok(Some(position))) => tracing::info!(position = position.0, "snapshot written"),
        Ok(Ok(None)) => {}
        Ok(Err(error)) => tracing::warn!(%error, "no snapshot written at shutdown"),
        Err(error) => tracing::warn!(%error, "no snapshot written at shutdown"),
    }
    let journal = desk.journal().clone();
    drop(desk);
    journal.close();
    tracing::info!("journal closed");
    Ok(())
}

/// Says where the server listens: the log, and a line on stdout that scripts and tests wait for.
fn announce(scheme: &str, local: SocketAddr) {
    tracing::info!(address = %local, "serving the pages on {scheme}://{local}/ and GraphQL on {scheme}://{local}/graphql");
    println!("listening on {scheme}://{local}");
    let _ = std::io::stdout().flush();
}

pub(crate) async fn shutdown_signal() {
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

async fn import(desk: Desk, file: &Path) -> Result<()> {
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

/// The token store, the read audit and the pseudonym key of a data directory.
fn open_security(data: &Path) -> Result<Security> {
    Security::open(data).map_err(|e| {
        anyhow::anyhow!(
            "cannot open the accounts and read audit in {}: {e}",
            data.display()
        )
    })
}

/// `--demo`: one token per role, printed for the person trying the system out.
fn print_demo_tokens(tokens: &api::auth::Tokens) -> Result<()> {
    let now = chrono::Utc::now();
    let ttl = chrono::Duration::hours(8);
    let site = domain::SiteId::new("montelucci-4");
    println!("demo tokens (valid 8 hours; send as Authorization: Bearer <token>):");
    for (role, actor, site) in [
        (Role::Mediator, "demo-mediator", Some(site)),
        (Role::Supervisor, "demo-supervisor", None),
        (Role::Evaluator, "demo-evaluator", None),
        (Role::Admin, "demo-admin", None),
    ] {
        let issued = tokens.issue(actor, role, site, ttl, now)?;
        println!("  {:<10} {}", role.as_str(), issued.token);
    }
    Ok(())
}

/// `--demo`: one account per role for the pages, printed with its password.
fn print_demo_accounts(accounts: &web::Accounts) -> Result<()> {
    let now = chrono::Utc::now();
    println!("demo accounts (sign in at the address below, /):");
    for (role, user, site) in [
        (
            Role::Mediator,
            "demo-mediatore",
            Some(domain::SiteId::new("montelucci-4")),
        ),
        (Role::Supervisor, "demo-supervisore", None),
        (Role::Evaluator, "demo-valutatore", None),
        (Role::Admin, "demo-amministratore", None),
    ] {
        let password = match accounts.get(user) {
            Some(_) => accounts.reset(user, now, None)?,
            None => accounts.create(user, role, site, now, None)?.1,
        };
        println!(
            "  {:<10} user {user:<20} password {}",
            role.as_str(),
            password.0
        );
    }
    Ok(())
}

pub(crate) fn parse_role(text: &str) -> Result<Role> {
    Role::ALL
        .iter()
        .copied()
        .find(|r| r.as_str() == text)
        .ok_or_else(|| {
            anyhow::anyhow!("{text:?} is not a role: mediator, supervisor, evaluator or admin")
        })
}

fn token(cmd: TokenCmd) -> Result<()> {
    let now = chrono::Utc::now();
    match cmd {
        TokenCmd::Issue {
            data,
            role,
            actor,
            site,
            ttl,
        } => {
            let tokens = api::auth::Tokens::open(&data)?;
            let ttl = api::auth::parse_ttl(&ttl)?;
            let issued = tokens.issue_at_sites(
                &actor,
                parse_role(&role)?,
                site.into_iter().map(domain::SiteId::new).collect(),
                ttl,
                now,
            )?;
            println!("{}", issued.token);
            eprintln!(
                "token {} for {} ({}) expires {}",
                issued.record.id,
                issued.record.actor,
                issued.record.role.as_str(),
                issued.record.expires_at.to_rfc3339()
            );
        }
        TokenCmd::Revoke { data, id, token } => {
            let tokens = api::auth::Tokens::open(&data)?;
            let id = match (id, token) {
                (Some(id), _) => ulid::Ulid::from_string(&id)
                    .map_err(|_| anyhow::anyhow!("{id:?} is not a token id (a ULID)"))?,
                (None, Some(token)) => tokens
                    .id_of(&token)
                    .ok_or_else(|| anyhow::anyhow!("this token was never issued here"))?,
                (None, None) => bail!("give --id or --token"),
            };
            let record = tokens.revoke(id, now)?;
            println!(
                "revoked {} ({}, {})",
                record.id,
                record.actor,
                record.role.as_str()
            );
        }
        TokenCmd::List { data } => {
            let tokens = api::auth::Tokens::open(&data)?;
            for r in tokens.list()? {
                let state = match r.revoked_at {
                    Some(at) => format!("revoked {}", at.to_rfc3339()),
                    None if r.expires_at <= now => "expired".to_string(),
                    None => "valid".to_string(),
                };
                println!(
                    "{} {} {} {} expires {} {state}",
                    r.id,
                    r.actor,
                    r.role.as_str(),
                    match r.sites().as_slice() {
                        [] => "-".to_string(),
                        sites => sites
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(","),
                    },
                    r.expires_at.to_rfc3339()
                );
            }
        }
    }
    Ok(())
}

/// Opens the journal without changing any byte of it (sled read from a private copy).
pub(crate) fn open_read_only(data: &Path) -> Result<Journal> {
    let options = journal::Options {
        read_only: true,
        ..journal::Options::default()
    };
    let journal = Journal::open(data, options)
        .with_context(|| format!("cannot open the journal in {}", data.display()))?;
    for finding in journal.findings() {
        eprintln!("warning: {finding}");
    }
    Ok(journal)
}

/// What `verify` found in the desk's own files: the key store, the signing key, the tokens.
#[derive(serde::Serialize)]
struct DeskFiles {
    findings: Vec<journal::Finding>,
    /// One line a file checked, for people.
    summary: Vec<String>,
}

/// Checks the key store and the signing key against the journal's records, and the token file,
/// without writing anything.
fn desk_files(data: &Path, master_key: &Path) -> Result<DeskFiles> {
    let journal = open_read_only(data)?;
    let (mut findings, keys) = desk::check::desk_file_findings(data, Some(master_key), &journal)?;
    let mut summary = Vec::new();
    if keys.exists {
        summary.push(format!(
            "key store: {} slots read{}",
            keys.persons.len() + keys.damaged.len(),
            if keys.wrappings_checked {
                ", every wrapped key opened with the master key".to_owned()
            } else {
                format!(
                    " (their wrapped keys not opened: no master key at {})",
                    master_key.display()
                )
            }
        ));
    }
    match api::auth::check_file(data) {
        Ok(Some(tokens)) => summary.push(format!(
            "token file: {} lines checked, {} tokens{}",
            tokens.lines,
            tokens.tokens,
            if tokens.unchecked > 0 {
                format!(" ({} older lines carry no checksum)", tokens.unchecked)
            } else {
                String::new()
            }
        )),
        Ok(None) => {}
        Err(api::auth::AuthError::Corrupt { line, reason, .. }) => {
            findings.push(journal::Finding {
                file: api::auth::TOKEN_FILE.to_owned(),
                position: None,
                what: format!("line {line}: {reason}"),
                action: "restore tokens.jsonl from the backup, or move it aside and issue new \
                         tokens (impact token issue); the server refuses to start on it"
                    .to_owned(),
                repairable: false,
            });
        }
        Err(error) => return Err(error.into()),
    }
    match web::accounts::check_file(data) {
        Ok(Some(accounts)) => summary.push(format!("accounts file: {accounts} accounts checked")),
        Ok(None) => {}
        Err(web::AccountError::Corrupt { line, reason, .. }) => {
            findings.push(journal::Finding {
                file: web::accounts::ACCOUNT_FILE.to_owned(),
                position: None,
                what: format!("line {line}: {reason}"),
                action: "restore accounts.jsonl from the backup, or move it aside and create the \
                         accounts again (impact account create); the server refuses to start on it"
                    .to_owned(),
                repairable: false,
            });
        }
        Err(error) => return Err(error.into()),
    }
    Ok(DeskFiles { findings, summary })
}

fn repair(data: &Path) -> ExitCode {
    if !data.join("db").exists() && !data.join("log").exists() {
        eprintln!("impact repair: no journal in {}", data.display());
        return ExitCode::from(2);
    }
    match Journal::repair(data, journal::Options::default()) {
        Ok(findings) if findings.is_empty() => {
            println!("nothing to repair: the journal's log and sled agree");
            ExitCode::SUCCESS
        }
        Ok(findings) => {
            for finding in &findings {
                println!("repaired: {finding}");
            }
            println!("run `impact verify --data {}` to check", data.display());
            ExitCode::SUCCESS
        }
        Err(
            error @ (journal::JournalError::Damaged(_) | journal::JournalError::Corrupt { .. }),
        ) => {
            println!("impact repair: {error}");
            println!(
                "neither copy can repair this: keep the directory as it is and restore the last \
                 backup (`impact restore`); docs/VERIFYING.md says how"
            );
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("impact repair: {error}");
            ExitCode::from(2)
        }
    }
}

fn head(data: &Path) -> Result<()> {
    let journal = open_read_only(data)?;
    let head = journal.head();
    println!("{} {}", head.position, head.hash);
    Ok(())
}

fn export(data: &Path, actor: &str, out: &Path, from: Option<u64>, to: Option<u64>) -> Result<()> {
    let journal = open_read_only(data)?;
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
    let reads = api::access::ReadLog::default();
    if from <= to {
        for event in journal.iter_forward(journal::Position(from)) {
            let event = event.context("cannot read the journal")?;
            if event.position.0 > to {
                break;
            }
            // Every event about a person names them in `personId` (in clear; the personal
            // values beside it are sealed).
            let person = serde_json::from_slice::<serde_json::Value>(&event.payload)
                .ok()
                .and_then(|p| p.get("personId")?.as_str()?.parse::<ulid::Ulid>().ok());
            if let Some(person) = person {
                reads.note(domain::PersonId(person), ["payload".to_string()]);
            }
            let line = desk::export::export_line(&event);
            serde_json::to_writer(&mut writer, &line).context("cannot write the export")?;
            writer.write_all(b"\n").context("cannot write the export")?;
            count += 1;
        }
    }
    writer.flush().context("cannot write the export")?;
    drop(writer);
    // The export is a read of every person in it: recorded before the export is reported done;
    // if it cannot be, the file is removed.
    let persons = reads.len();
    let recorded = runtime().and_then(|rt| {
        rt.block_on(async {
            let audit = desk::read_audit::ReadAudit::open(data)?;
            let principal = api::Principal::new(domain::Actor::new(actor, Role::Supervisor), None);
            api::record_reads(
                &audit,
                &principal,
                &reads,
                desk::read_audit::ReadChannel::Export,
            )
            .await?;
            Ok::<_, anyhow::Error>(())
        })
    });
    if let Err(error) = recorded {
        if out.as_os_str() != "-" {
            let _ = std::fs::remove_file(out);
        }
        return Err(error
            .context("the export could not be recorded in the read audit; nothing was exported"));
    }
    eprintln!(
        "exported {count} events (positions {from} to {to}); the reads of {persons} persons' data are recorded"
    );
    Ok(())
}

/// `impact verify-export`: the export file checked line by line (`desk::export::verify_export`).
fn verify_export(file: &Path, head: Option<&str>) -> ExitCode {
    let expected = match head.map(|h| {
        h.split_once(':')
            .and_then(|(p, h)| Some((p.parse::<u64>().ok()?, journal::ChainHash::from_hex(h)?)))
    }) {
        Some(None) => {
            eprintln!("impact verify-export: --head is POSITION:HASH (64 hex digits)");
            return ExitCode::from(2);
        }
        Some(Some(expected)) => Some(expected),
        None => None,
    };
    let reader = match File::open(file) {
        Ok(f) => BufReader::new(f),
        Err(error) => {
            eprintln!(
                "impact verify-export: cannot open {}: {error}",
                file.display()
            );
            return ExitCode::from(2);
        }
    };
    match desk::export::verify_export(std::io::BufRead::lines(reader)) {
        Err((line, reason)) => {
            println!("DAMAGED {}:{line}: {reason}", file.display());
            ExitCode::from(1)
        }
        Ok(None) => {
            println!("empty export");
            if expected.is_some_and(|(p, _)| p != 0) {
                println!(
                    "DAMAGED the export is empty; the head written down is {}",
                    head.unwrap_or_default()
                );
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Ok(Some((position, hash))) => {
            if let Some((p, h)) = expected {
                if (p, h) != (position, hash) {
                    println!(
                        "DAMAGED the export ends at {position}:{}, the head written down is {p}:{}",
                        hash.to_hex(),
                        h.to_hex()
                    );
                    return ExitCode::from(1);
                }
            }
            println!("intact: head {position} {}", hash.to_hex());
            ExitCode::SUCCESS
        }
    }
}

fn verify(
    data: &Path,
    master_key: &Path,
    from: Option<u64>,
    to: Option<u64>,
    json: bool,
) -> ExitCode {
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
    // The read audit has its own chain: verified too when the data directory has one.
    let audit_dir = data.join(desk::read_audit::DIR);
    let audit = if audit_dir.exists() && from.is_none() && to.is_none() {
        match Journal::verify_dir(&audit_dir, None, None, &mut |_| {}) {
            Ok(report) => Some(report),
            Err(error) => {
                eprintln!("impact verify: read audit: {error}");
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    // The desk's own files, judged against the journal (only for a whole-journal verify on a
    // journal that opens: a damaged chain is reported above, and judged first).
    let files = if from.is_none() && to.is_none() && report.problem.is_none() {
        match desk_files(data, master_key) {
            Ok(files) => Some(files),
            Err(error) => {
                eprintln!("impact verify: {error:#}");
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    let files_intact = files.as_ref().is_none_or(|f| f.findings.is_empty());
    if json {
        let mut value = match serde_json::to_value(&report) {
            Ok(value) => value,
            Err(error) => {
                eprintln!("impact verify: {error}");
                return ExitCode::from(2);
            }
        };
        if let (Some(audit), Some(map)) = (&audit, value.as_object_mut()) {
            map.insert(
                "readAudit".into(),
                serde_json::to_value(audit).unwrap_or(serde_json::Value::Null),
            );
        }
        if let (Some(files), Some(map)) = (&files, value.as_object_mut()) {
            map.insert(
                "deskFiles".into(),
                serde_json::to_value(files).unwrap_or(serde_json::Value::Null),
            );
        }
        println!("{value}");
    } else {
        for finding in &report.findings {
            println!("DAMAGED: {finding}");
        }
        match &report.problem {
            None if !report.findings.is_empty() => {
                let head = report
                    .head
                    .map(|h| format!("head {} {}", h.position, h.hash))
                    .unwrap_or_else(|| "no events".into());
                println!(
                    "the chain itself checks ({} events; {head}); the server repairs the above \
                     when it starts, or run `impact repair --data {}` with the server stopped",
                    report.checked,
                    data.display()
                );
            }
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
        match audit.as_ref().map(|a| &a.problem) {
            None => {}
            Some(None) => println!(
                "read audit intact: {} records checked",
                audit.as_ref().map_or(0, |a| a.checked)
            ),
            Some(Some((position, problem))) => {
                println!("read audit DAMAGED at position {position}: {problem}");
            }
        }
        for finding in audit.iter().flat_map(|a| &a.findings) {
            println!("read audit DAMAGED: {finding}");
        }
        if let Some(files) = &files {
            for finding in &files.findings {
                println!("DAMAGED: {finding}");
            }
            for line in &files.summary {
                println!("{line}");
            }
        }
    }
    if audit.as_ref().is_some_and(|a| !a.is_intact()) || !files_intact {
        return ExitCode::from(1);
    }
    if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
