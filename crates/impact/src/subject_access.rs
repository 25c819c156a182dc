//! `impact subject-access`: a person's own data (GDPR art. 15 and 20) as JSON and as a page in
//! Italian, the access recorded in the read audit before anything is written.

use std::path::PathBuf;

use anyhow::{Context, Result};
use domain::{PersonId, Role};

/// `impact subject-access`: every fact about a person, opened, and who read their data.
#[derive(clap::Args, Debug)]
pub struct SubjectAccessArgs {
    #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
    pub data: PathBuf,
    /// The master key file (default: `<data>.master-key`, beside the data directory).
    #[arg(long, env = "IMPACT_MASTER_KEY_FILE", value_name = "FILE")]
    pub master_key: Option<PathBuf>,
    /// The person (ULID).
    #[arg(long)]
    pub person: String,
    /// A directory to write `subject-access-<person>.json` and `.html` into (made if missing);
    /// without it the JSON goes to standard output.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The supervisor who hands the data over (recorded in the read audit).
    #[arg(long, env = "IMPACT_ACTOR", default_value = "operator")]
    pub actor: String,
}

/// Runs `impact subject-access`. The server must be stopped (the read audit is written).
pub fn run(args: &SubjectAccessArgs) -> Result<()> {
    let person: ulid::Ulid = args
        .person
        .parse()
        .with_context(|| format!("{:?} is not a person id (a ULID)", args.person))?;
    let person = PersonId(person);
    // The desk's projector runs on the runtime.
    let rt = crate::cli::runtime()?;
    let _entered = rt.enter();
    let desk = crate::cli::open_desk_read_only(&args.data, args.master_key.as_deref())?;
    let audit = desk::read_audit::ReadAudit::open(&args.data)?;
    let Some(access) = desk.subject_access(person, &audit)? else {
        anyhow::bail!("the desk never registered person {person}: there is no data about them");
    };
    // Recorded before anything is shown or written: no data leaves unrecorded.
    let actor = domain::Actor::new(args.actor.as_str(), Role::Supervisor);
    rt.block_on(audit.record(
        &actor,
        vec![desk::subject_access::subject_access_read(person)],
    ))
    .context("the access could not be recorded in the read audit; nothing was written")?;
    let json = serde_json::to_string_pretty(&access).context("cannot write the JSON")?;
    match &args.out {
        None => println!("{json}"),
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot make {}", dir.display()))?;
            let base = dir.join(format!("subject-access-{person}"));
            let json_path = base.with_extension("json");
            let html_path = base.with_extension("html");
            std::fs::write(&json_path, json + "\n")
                .with_context(|| format!("cannot write {}", json_path.display()))?;
            std::fs::write(&html_path, access.html())
                .with_context(|| format!("cannot write {}", html_path.display()))?;
            eprintln!("wrote {} and {}", json_path.display(), html_path.display());
        }
    }
    if access.erased {
        eprintln!(
            "person {person} was erased: the {} facts about them remain, their personal values \
             read [erased]",
            access.facts.len()
        );
    } else {
        eprintln!(
            "person {person}: {} facts, {} recorded reads of their data; this access is recorded",
            access.facts.len(),
            access.reads.len()
        );
    }
    Ok(())
}
