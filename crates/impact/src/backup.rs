//! `impact backup` and `impact restore` (`docs/adr/0007-the-journal-log.md`, "Backups").
//!
//! A backup is a tar file:
//! - `journal.frames`: the journal's records of complete appends up to its head when the backup
//!   started (`journal::Journal::backup_to`), taken while the server runs, changing no byte;
//! - `read-audit.frames`: the read audit's, the same way;
//! - `files/<name>`: the data directory's own files (the key store `person-keys`, the tokens,
//!   the accounts, the checkpoint signing key), copied after the journal, so that every person
//!   the journal copy names has their key, and a key destroyed meanwhile stays destroyed;
//! - `manifest.json`, last: the heads, and the size and blake3 hash of every entry.
//!
//! Never in a backup: the master key (it lives beside the data directory, not in it), sled's
//! files (rebuilt from the journal's records), anything set aside in `damaged-*`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use journal::{Head, Journal};
use serde::{Deserialize, Serialize};

const MANIFEST: &str = "manifest.json";
const JOURNAL: &str = "journal.frames";
const READ_AUDIT: &str = "read-audit.frames";
const FILES: &str = "files/";
/// The format of the manifest.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    format: u32,
    created_at: String,
    journal: HeadNote,
    read_audit: Option<HeadNote>,
    entries: Vec<Entry>,
}

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
struct HeadNote {
    position: u64,
    hash: journal::ChainHash,
}

impl From<Head> for HeadNote {
    fn from(head: Head) -> Self {
        HeadNote {
            position: head.position.0,
            hash: head.hash,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Entry {
    name: String,
    bytes: u64,
    blake3: String,
}

/// Files of the data directory that belong to sled, or are not the desk's to back up.
fn skipped(name: &str) -> bool {
    name == "db"
        || name == "conf"
        || name == "impact.wal"
        || name.starts_with("snap.")
        || name.ends_with(".master-key")
        || name.ends_with(".tmp")
        // Derived data (docs/adr/0014-snapshots.md): a restore folds the journal again.
        || name == desk::snapshot::FILE
}

pub fn backup(data: &Path, out: &Path) -> ExitCode {
    match write_backup(data, out) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("impact backup: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn write_backup(data: &Path, out: &Path) -> Result<String> {
    if !data.join("log").is_dir() && !data.join("db").exists() {
        bail!("no journal in {}", data.display());
    }
    let staging = tempfile::Builder::new()
        .prefix("impact-backup")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let mut entries: Vec<(String, PathBuf)> = Vec::new();

    let journal_copy = staging.path().join(JOURNAL);
    let head = {
        let mut file = BufWriter::new(File::create(&journal_copy)?);
        let head = Journal::backup_to(data, &mut file)
            .with_context(|| format!("cannot copy the journal in {}", data.display()))?;
        file.flush()?;
        head
    };
    entries.push((JOURNAL.into(), journal_copy));

    let audit_dir = data.join(desk::read_audit::DIR);
    let audit_head = if audit_dir.exists() {
        let copy = staging.path().join(READ_AUDIT);
        let mut file = BufWriter::new(File::create(&copy)?);
        let head = Journal::backup_to(&audit_dir, &mut file)
            .with_context(|| format!("cannot copy the read audit in {}", audit_dir.display()))?;
        file.flush()?;
        entries.push((READ_AUDIT.into(), copy));
        Some(head)
    } else {
        None
    };

    // The desk's own files, after the journal: see the module's documentation.
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(data)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_file() && !skipped(&name) {
            names.push(name);
        }
    }
    names.sort();
    for name in names {
        let copy = staging.path().join(format!("file-{name}"));
        std::fs::copy(data.join(&name), &copy)
            .with_context(|| format!("cannot copy {}", data.join(&name).display()))?;
        entries.push((format!("{FILES}{name}"), copy));
    }

    let partial = out.with_extension("partial");
    let file =
        File::create(&partial).with_context(|| format!("cannot create {}", out.display()))?;
    let mut tar = tar::Builder::new(BufWriter::new(file));
    let mut manifest = Manifest {
        format: FORMAT,
        created_at: chrono::Utc::now().to_rfc3339(),
        journal: head.into(),
        read_audit: audit_head.map(HeadNote::from),
        entries: Vec::new(),
    };
    for (name, path) in &entries {
        let bytes = std::fs::read(path)?;
        manifest.entries.push(Entry {
            name: name.clone(),
            bytes: u64::try_from(bytes.len())?,
            blake3: blake3::hash(&bytes).to_hex().to_string(),
        });
        append(&mut tar, name, &bytes)?;
    }
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    append(&mut tar, MANIFEST, &manifest_bytes)?;
    let mut writer = tar.into_inner()?;
    writer.flush()?;
    writer
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()?;
    std::fs::rename(&partial, out).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(format!(
        "backup written to {}: journal head {} {}, {} files; the master key is not in it: keep \
         it apart",
        out.display(),
        head.position,
        head.hash,
        manifest.entries.len()
    ))
}

fn append<W: Write>(tar: &mut tar::Builder<W>, name: &str, bytes: &[u8]) -> Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(u64::try_from(bytes.len())?);
    header.set_mode(0o600);
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes)?;
    Ok(())
}

pub fn restore(
    file: &Path,
    data: &Path,
    master_key: Option<&Path>,
    erasures_from: Option<&Path>,
) -> ExitCode {
    match restore_backup(file, data, master_key, erasures_from) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("impact restore: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn restore_backup(
    file: &Path,
    data: &Path,
    master_key: Option<&Path>,
    erasures_from: Option<&Path>,
) -> Result<String> {
    if data.exists() && std::fs::read_dir(data)?.next().is_some() {
        bail!(
            "{} is not empty: restore into a new directory, then move it into place",
            data.display()
        );
    }
    let staging = tempfile::Builder::new()
        .prefix("impact-restore")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let mut archive = tar::Archive::new(BufReader::new(
        File::open(file).with_context(|| format!("cannot open {}", file.display()))?,
    ));
    let mut extracted: Vec<(String, PathBuf)> = Vec::new();
    for (n, entry) in archive
        .entries()
        .context("the backup is not a tar file")?
        .enumerate()
    {
        let mut entry = entry.context("the backup is damaged")?;
        let name = entry.path()?.to_string_lossy().into_owned();
        if name.contains("..") || name.starts_with('/') {
            bail!("the backup names a file outside it: {name}");
        }
        let path = staging.path().join(format!("entry-{n}"));
        let mut out = File::create(&path)?;
        std::io::copy(&mut entry, &mut out)?;
        extracted.push((name, path));
    }
    let manifest_path = extracted
        .iter()
        .find(|(name, _)| name == MANIFEST)
        .map(|(_, path)| path.clone())
        .context("the backup has no manifest: it was cut short or is not a backup of impact")?;
    let manifest: Manifest = serde_json::from_slice(&std::fs::read(&manifest_path)?)
        .context("the backup's manifest does not read")?;
    if manifest.format != FORMAT {
        bail!(
            "backup format {} is not one this program reads",
            manifest.format
        );
    }
    for entry in &manifest.entries {
        let path = extracted
            .iter()
            .find(|(name, _)| *name == entry.name)
            .map(|(_, path)| path)
            .with_context(|| format!("the backup lacks {}", entry.name))?;
        let bytes = std::fs::read(path)?;
        if u64::try_from(bytes.len())? != entry.bytes
            || blake3::hash(&bytes).to_hex().as_str() != entry.blake3
        {
            bail!(
                "{} in the backup is damaged (its hash differs from the manifest's)",
                entry.name
            );
        }
    }
    let find = |name: &str| {
        extracted
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, path)| path.clone())
    };

    std::fs::create_dir_all(data)?;
    let journal_frames = find(JOURNAL).context("the backup has no journal")?;
    let head = Journal::restore_from(&mut BufReader::new(File::open(&journal_frames)?), data)?;
    if HeadNote::from(head) != manifest.journal {
        bail!(
            "the restored journal ends at {} {}, the backup's manifest says {} {}",
            head.position,
            head.hash,
            manifest.journal.position,
            manifest.journal.hash
        );
    }
    if let (Some(frames), Some(expected)) = (find(READ_AUDIT), manifest.read_audit) {
        let audit_dir = data.join(desk::read_audit::DIR);
        let audit = Journal::restore_from(&mut BufReader::new(File::open(&frames)?), &audit_dir)?;
        if HeadNote::from(audit) != expected {
            bail!("the restored read audit does not end at the manifest's head");
        }
    }
    for (name, path) in &extracted {
        if let Some(file_name) = name.strip_prefix(FILES) {
            if file_name.contains('/') {
                bail!("the backup names a file in a subfolder: {name}");
            }
            std::fs::copy(path, data.join(file_name))?;
        }
    }
    // The first open builds sled from the restored log; then the whole is verified.
    for dir in [data.to_path_buf(), data.join(desk::read_audit::DIR)] {
        if dir.join("log").is_dir() {
            let journal = Journal::open(&dir, journal::Options::default()).with_context(|| {
                format!("cannot open the restored journal in {}", dir.display())
            })?;
            journal.close();
        }
    }
    let report = Journal::verify_dir(data, None, None, &mut |_| {})?;
    if !report.is_intact() || report.head.map(HeadNote::from) != Some(manifest.journal) {
        let mut why: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
        if let Some((position, problem)) = &report.problem {
            why.push(format!("position {position}: {problem}"));
        }
        if why.is_empty() {
            why.push(format!(
                "it ends at {}, the manifest says {}",
                report.head.map_or(0, |h| h.position.0),
                manifest.journal.position
            ));
        }
        bail!(
            "the restored journal does not verify against the backup's head: {}",
            why.join("; ")
        );
    }
    let mut summary = format!(
        "restored {} events into {} (head {} {}, as the backup's manifest says; verified), \
         backup taken {}",
        report.checked,
        data.display(),
        head.position,
        head.hash,
        manifest.created_at
    );
    let master_key = master_key
        .map(Path::to_path_buf)
        .unwrap_or_else(|| desk::vault::default_master_key_path(data));
    match erasures_from {
        Some(live) => {
            let erased = reapply_erasures(live, data, &master_key)?;
            summary.push_str(&format!(
                "\nre-applied {erased} erasures recorded in {} after the backup (recorded again \
                 in the restored journal, after the backup's head)",
                live.display()
            ));
        }
        None => summary.push_str(
            "\nerasures recorded after this backup are not in it: re-apply them with \
             --erasures-from <the damaged data directory> if it still reads, or from the desk's \
             register of erasures (docs/VERIFYING.md)",
        ),
    }
    if !master_key.exists() {
        summary.push_str(&format!(
            "\nthe master key is not in a backup: put the installation's master key at {} (or \
             pass --master-key) before starting the server",
            master_key.display()
        ));
    }
    Ok(summary)
}

/// Records again, in the restored journal, every erasure the live journal holds that the
/// restored one lacks (those recorded after the backup), with the original event id, actor and
/// time; the desk destroys each person's key as it folds the erasure. An erasure is never undone
/// by a restore, and every destroyed key keeps its `PersonErased` in the journal (a key destroyed
/// without one is damage, see `desk::check`). A person registered after the backup is not in the
/// restored journal and has no key in the restored store: nothing of theirs is to erase there.
/// Returns how many erasures were recorded.
fn reapply_erasures(live: &Path, data: &Path, master_key: &Path) -> Result<usize> {
    let options = journal::Options {
        read_only: true,
        ..journal::Options::default()
    };
    let journal = Journal::open(live, options)
        .with_context(|| format!("cannot read the journal in {}", live.display()))?;
    let mut erasures = Vec::new();
    for event in journal.iter_forward(journal::Position(1)) {
        let event = event?;
        if event.event_type == "PersonErased" {
            let decoded = domain::Event::from_payload(
                &event.event_type,
                event.schema_version,
                &event.payload,
            )
            .with_context(|| format!("the erasure at position {} does not read", event.position))?;
            if let domain::Event::PersonErased(erased) = decoded {
                let role = domain::Role::ALL
                    .iter()
                    .copied()
                    .find(|r| r.as_str() == event.actor.role)
                    .with_context(|| {
                        format!(
                            "the erasure at position {} names an unknown role",
                            event.position
                        )
                    })?;
                erasures.push((
                    event.id,
                    domain::Actor::new(event.actor.id.clone(), role),
                    erased,
                ));
            }
        }
    }
    journal.close();
    if erasures.is_empty() {
        return Ok(0);
    }
    if !master_key.exists() {
        bail!(
            "to re-apply erasures the master key is needed at {} (or pass --master-key)",
            master_key.display()
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let desk = crate::cli::open_desk(data, Some(master_key), domain::ProjectStart::default())?;
        let mut recorded = 0;
        for (id, actor, erased) in erasures {
            let command = domain::Command::ErasePerson(domain::ErasePerson {
                person_id: erased.person_id,
                occurred_at: erased.occurred_at,
                reason: erased.reason,
            });
            match desk.execute(&actor, &command, Some(id), None).await? {
                Ok(outcome) if !outcome.already_recorded => recorded += 1,
                Ok(_) => {}
                // Registered after the backup, or erased before it: nothing to do here.
                Err(desk::Refused::Rejected(rejection))
                    if matches!(
                        rejection.kind,
                        domain::RejectionKind::NotFound | domain::RejectionKind::Erased
                    ) => {}
                Err(refused) => bail!(
                    "cannot record again the erasure {id}: {}",
                    desk::describe_refusal(&refused)
                ),
            }
        }
        // Every erasure was acknowledged (durable in the journal's log) before `execute` returned.
        drop(desk);
        Ok(recorded)
    })
}
