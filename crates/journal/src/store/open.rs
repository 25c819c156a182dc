//! Opening: sled and the journal's log read, compared and repaired one from the other
//! (`docs/adr/0007-the-journal-log.md`), ready to serve.

use std::path::{Path, PathBuf};

use super::scan::{build_index, first_damage};
use super::upgrade::{drop_records_tree, migrate_to_blocks, replay_wal};
use super::writer::{sync_dir, Syncer};
use super::{
    check_at_mark, decode_checked, head_mark_bytes, Head, Index, Options, StoredRecord, FORMAT_LOG,
    META_FORMAT, META_HEAD, META_TREE,
};
use crate::blocks::{self, Layout, Packer, Slot, Slots};
use crate::error::{JournalError, Problem};
use crate::log::{LogWriter, LOG_DIR};
use crate::record::{decode, ChainHash, Position};
use crate::recover::{Finding, SledOpen};

/// Everything opening read and checked, ready to serve.
pub(super) struct OpenedFiles {
    pub(super) db: sled::Db,
    pub(super) events: sled::Tree,
    pub(super) meta: sled::Tree,
    pub(super) syncer: Option<Syncer>,
    pub(super) index: Index,
    pub(super) log: Option<LogWriter>,
    pub(super) findings: Vec<Finding>,
    pub(super) scratch: Option<tempfile::TempDir>,
}

pub(super) fn sled_config(dir: &Path, options: &Options) -> sled::Config {
    sled::Config::new()
        .path(dir)
        .cache_capacity(options.cache_capacity_bytes)
        .mode(sled::Mode::HighThroughput)
}

/// Opens sled and the log of `dir`, compares them and repairs one from the other where that is
/// sound (`docs/adr/0007-the-journal-log.md`):
/// - sled cannot open, lacks records the log holds, or holds other bytes: sled is rebuilt from
///   the log (its old files moved aside into `damaged-<time>/`);
/// - sled holds records after the log's last commit: a crash after sled wrote them and before
///   the log's `fdatasync`; never acknowledged, they are removed;
/// - the log is damaged (a bad frame followed by valid ones, a missing segment) or missing
///   while sled holds a whole chain that continues it: the log is rewritten from sled (the old
///   segments moved aside);
/// - both damaged where the other cannot fill in: [`JournalError::Damaged`], naming both.
///
/// Read-only, sled is opened from a private copy (sled writes into its files as it opens) and
/// the repairs happen in that copy only; the findings say what the journal would repair.
pub(super) fn open_files(
    dir: &Path,
    options: &Options,
    each: Option<&mut dyn FnMut(StoredRecord)>,
) -> Result<OpenedFiles, JournalError> {
    let read_only = options.read_only;
    let log_dir = dir.join(LOG_DIR);
    let has_log = log_dir.is_dir();
    let mut findings = Vec::new();
    // Read-only, whether a server (or another process) holds the journal open now.
    let in_use = read_only && crate::recover::locked_by_another(&dir.join("db"));
    let scratch = if read_only {
        let scratch = tempfile::Builder::new()
            .prefix("impact-journal-copy")
            .tempdir()
            .map_err(|e| JournalError::io("create", std::env::temp_dir(), e))?;
        crate::recover::copy_sled(dir, scratch.path())?;
        Some(scratch)
    } else {
        None
    };
    let sled_dir = scratch.as_ref().map_or(dir, |s| s.path()).to_path_buf();
    let had_sled = sled_dir.join("db").exists();
    let mut db =
        match crate::recover::open_sled_caught(|| open_sled(sled_config(&sled_dir, options))) {
            Ok(db) => db,
            Err(SledOpen::Failed(error)) => return Err(error),
            Err(SledOpen::Damaged(reason)) => {
                if !has_log {
                    return Err(JournalError::Damaged(vec![Finding {
                        file: "db".into(),
                        position: None,
                        what: reason,
                        action: "there is no journal log to rebuild it from: restore the data \
                             directory from a backup (`impact restore`)"
                            .into(),
                        repairable: false,
                    }]));
                }
                let action = if read_only {
                    "the server rebuilds sled from the journal's log at its next start (or run \
                 `impact repair`); nothing acknowledged is lost"
                        .to_string()
                } else {
                    let aside = crate::recover::move_sled_aside(dir)?;
                    format!(
                        "rebuilt sled from the journal's log; its damaged files are kept in {}",
                        crate::recover::relative(dir, &aside)
                    )
                };
                if read_only {
                    crate::recover::clear_sled(&sled_dir)?;
                }
                findings.push(Finding {
                    file: "db".into(),
                    position: None,
                    what: reason,
                    action,
                    repairable: true,
                });
                open_sled(sled_config(&sled_dir, options))?
            }
        };
    let mut events = db.open_tree(blocks::BLOCKS_TREE)?;
    let mut meta = db.open_tree(META_TREE)?;
    let mut syncer = if read_only {
        None
    } else {
        Some(Syncer::new(dir)?)
    };
    let format = read_format_byte(&meta)?;
    match format {
        Some(blocks::FORMAT_RECORDS) => {
            migrate_to_blocks(&db, &events, &meta, syncer.as_ref())?;
        }
        Some(_) => {
            // A move from format 1 that stopped after setting the format leaves the old tree.
            let old = blocks::RECORDS_TREE_V1.as_bytes();
            if db.tree_names().iter().any(|name| name.as_ref() == old) {
                drop_records_tree(&db)?;
            }
        }
        None => {}
    }
    // A journal from before the log kept its recent commits in a write-ahead file: they go
    // back into sled first, and the log is then written from sled.
    let wal_path = dir.join(crate::wal::WAL_FILE);
    if !has_log && wal_path.exists() {
        let frames = crate::wal::read_file_frames(&wal_path)?;
        let restored = replay_wal(&events, &frames)?;
        if restored > 0 {
            tracing::info!(
                restored,
                "restored acknowledged events from the write-ahead file"
            );
        }
    }
    let segment_bytes = options.log_segment_bytes;
    let (index, scan, extended) =
        if has_log {
            let FromLog {
                index,
                scan,
                sled_from,
                sled_ended,
                extended,
                sled_cut,
            } = index_from_log(dir, &events, each)?;
            let head = index.head;
            if let Some(damage) = &scan.damage {
                let file = crate::recover::relative(dir, &damage.file);
                if extended.is_empty() {
                    if sled_from.is_none() {
                        // sled holds what the log holds, the damage too: someone altered both. The
                        // chain walk names the first bad record.
                        let walked = crate::verify::verify_trees(
                            &events,
                            Layout::Blocks,
                            &meta,
                            None,
                            None,
                            &mut |_| {},
                        )?;
                        if let Some((position, problem)) = walked.problem {
                            return Err(JournalError::Corrupt { position, problem });
                        }
                    }
                    return Err(JournalError::Damaged(vec![Finding {
                        file,
                        position: Some(damage.position.0),
                        what: format!(
                            "{}; sled holds no checked records after position {} to take their \
                         place{}",
                            damage.what,
                            scan.head.position,
                            sled_from.map_or(String::new(), |from| format!(
                                " (and sled differs from the log from position {from})"
                            ))
                        ),
                        action: "keep the data directory as it is and restore it from a backup \
                             (`impact restore`); `impact verify` names every fault"
                            .into(),
                        repairable: false,
                    }]));
                }
                let action = if read_only {
                    "the server rewrites the log from sled at its next start (or run `impact \
                 repair`); nothing acknowledged is lost"
                        .to_string()
                } else {
                    let aside = crate::recover::aside_dir(dir)?;
                    let written =
                        rewrite_log_from_sled(dir, &events, head, Some(&aside), segment_bytes)?;
                    format!(
                        "rewrote the log from sled ({written} records, each checked); the damaged \
                     log is kept in {}",
                        crate::recover::relative(dir, &aside)
                    )
                };
                findings.push(Finding {
                    file,
                    position: Some(damage.position.0),
                    what: format!(
                        "{}; sled holds the records from there to position {} and they check",
                        damage.what, head.position
                    ),
                    action,
                    repairable: true,
                });
                let scan = if read_only {
                    scan
                } else {
                    crate::log::scan(dir, &mut |_| Ok(()))?
                };
                (index, scan, Vec::new())
            } else {
                if sled_from.is_none() {
                    // sled writes the head mark after the records of each commit, so a mark past
                    // everything both copies hold means records both lost.
                    if let Some(mark) = read_head_mark(&meta).ok().flatten() {
                        if mark.position > head.position {
                            return Err(JournalError::Corrupt {
                                position: head.position.next(),
                                problem: Problem::MissingPosition,
                            });
                        }
                        // The record at the mark must be the one the mark names: a history
                        // rewritten from some position on, links and hashes made to hold, still
                        // ends at another hash.
                        if mark.position > Position::ZERO {
                            check_at_mark(&events, &mark)?;
                        }
                    }
                }
                if sled_cut {
                    tracing::info!(
                        head = head.position.0,
                        "removing records sled wrote after the log's last commit that do not make \
                     a whole, checked append; a crash came before they were acknowledged"
                    );
                    blocks::remove_from(&events, head.position.next())?;
                }
                if let (Some(from), true) = (sled_from, in_use && sled_ended) {
                    // The server holds the journal: sled writes out its last commits in its own
                    // time, so its files on disk end before the log. Not damage.
                    tracing::debug!(
                        from = from.0,
                        "the copy of sled ends before the log while the server runs"
                    );
                    let put_back = put_back_from_log(
                        dir,
                        &sled_dir,
                        options,
                        (db, events, meta),
                        from,
                        head.position,
                    )?;
                    (db, events, meta) = (put_back.0, put_back.1, put_back.2);
                } else if let Some(from) = sled_from {
                    let sled_last = from.0.saturating_sub(1);
                    findings.push(Finding {
                        file: "db".into(),
                        position: Some(from.0),
                        what: if had_sled || from.0 > 1 {
                            format!(
                            "sled holds positions 1..{sled_last}{}; the journal had acknowledged \
                             {} (hash {})",
                            if sled_last > 0 { " as the log has them" } else { "" },
                            head.position,
                            head.hash
                        )
                        } else {
                            format!(
                            "sled's files are missing; the journal had acknowledged {} (hash {})",
                            head.position, head.hash
                        )
                        },
                        action: String::new(),
                        repairable: true,
                    });
                    let (new_db, new_events, new_meta, aside) = if had_sled {
                        put_back_from_log(
                            dir,
                            &sled_dir,
                            options,
                            (db, events, meta),
                            from,
                            head.position,
                        )?
                    } else {
                        // sled's files were not there: the sled just made is empty and new, and
                        // takes the log as it is.
                        restore_sled_from_log(dir, &events, Position(1), head.position)?;
                        (db, events, meta, None)
                    };
                    (db, events, meta) = (new_db, new_events, new_meta);
                    let action = match (read_only, aside) {
                        (true, _) => "the server rebuilds sled from the journal's log at its next \
                                  start (or run `impact repair`); nothing acknowledged is lost"
                            .to_string(),
                        (false, None) => {
                            "rebuilt sled from the journal's log, each record checked".to_string()
                        }
                        (false, Some(aside)) => {
                            syncer = Some(Syncer::new(dir)?);
                            format!(
                                "rebuilt sled from the journal's log, each record checked; sled's \
                             damaged files are kept in {}",
                                crate::recover::relative(dir, &aside)
                            )
                        }
                    };
                    if let Some(finding) = findings.last_mut() {
                        finding.action = action;
                    }
                }
                (index, scan, extended)
            }
        } else {
            let index =
                build_index(&events, &meta, options, each).map_err(|e| first_damage(&events, e))?;
            if format == Some(FORMAT_LOG) {
                findings.push(Finding {
                    file: LOG_DIR.into(),
                    position: None,
                    what: format!(
                        "the journal's log is missing; sled holds positions 1..{} and they check",
                        index.head.position
                    ),
                    action: if read_only {
                        "the server rewrites the log from sled at its next start (or run `impact \
                     repair`)"
                            .into()
                    } else {
                        "rewrote the log from sled".into()
                    },
                    repairable: true,
                });
            }
            let scan = if read_only {
                None
            } else {
                rewrite_log_from_sled(dir, &events, index.head, None, segment_bytes)?;
                Some(crate::log::scan(dir, &mut |_| Ok(()))?)
            };
            match scan {
                Some(scan) => (index, scan, Vec::new()),
                None => {
                    return Ok(OpenedFiles {
                        db,
                        events,
                        meta,
                        syncer,
                        index,
                        log: None,
                        findings,
                        scratch,
                    })
                }
            }
        };
    if index.head.position > Position::ZERO {
        meta.insert(META_HEAD, &head_mark_bytes(&index.head)[..])?;
    }
    meta.insert(META_FORMAT, &[FORMAT_LOG][..])?;
    let log = match &syncer {
        Some(syncer) => {
            // Whatever open wrote into sled is made durable before anything is served.
            db.flush()?;
            syncer.sync_all()?;
            sync_dir(dir)?;
            if wal_path.exists() {
                std::fs::remove_file(&wal_path)
                    .map_err(|e| JournalError::io("remove", &wal_path, e))?;
                sync_dir(dir)?;
            }
            let mut log = LogWriter::open(dir, &scan, index.head.position.next(), segment_bytes)?;
            if let Some(first) = extended.first() {
                // Records sled holds after the log's last commit: the log takes them too.
                tracing::info!(
                    from = first.at.0,
                    to = index.head.position.0,
                    "copied into the log the records of a commit that sled kept and the log \
                     had not yet made durable"
                );
                log.append(first.at, extended.iter().map(Slot::bytes))?;
            }
            Some(log)
        }
        None => None,
    };
    Ok(OpenedFiles {
        db,
        events,
        meta,
        syncer,
        index,
        log,
        findings,
        scratch,
    })
}

/// What reading the log at open found, and how sled compares with it.
pub(super) struct FromLog {
    pub(super) index: Index,
    pub(super) scan: crate::log::LogScan,
    /// The first position where sled lacks the log's record or holds other bytes.
    pub(super) sled_from: Option<Position>,
    /// sled simply ends there (it holds nothing from `sled_from` on).
    pub(super) sled_ended: bool,
    /// Records sled holds after the log's last good one, each checked (hash, link, whole
    /// appends) and taken into the index: a commit whose log write a crash cut after sled had
    /// written it, or what damage to the log hides.
    pub(super) extended: Vec<Slot>,
    /// sled holds records after the last one taken (a torn or damaged tail, never in the log).
    pub(super) sled_cut: bool,
}

/// Builds the index from the log, every record checked (hash, position, link, then the index's
/// own rules), comparing each with sled's copy as it goes, and hands `each` every record.
pub(super) fn index_from_log(
    dir: &Path,
    events: &sled::Tree,
    mut each: Option<&mut dyn FnMut(StoredRecord)>,
) -> Result<FromLog, JournalError> {
    let mut index = Index::empty();
    let mut sled_slots = Some(Slots::new(
        events,
        Layout::Blocks,
        Position(1),
        Position(u64::MAX),
    ));
    let mut sled_from: Option<Position> = None;
    let mut sled_ended = false;
    let scan = crate::log::scan(dir, &mut |record| {
        let position = record.position;
        let view = decode(record.bytes).map_err(|e| JournalError::Corrupt {
            position,
            problem: e.into(),
        })?;
        index.push(position, &view)?;
        if sled_from.is_none() {
            let same = match sled_slots.as_mut().and_then(Iterator::next) {
                Some(Ok(slot)) => slot.at == position && slot.bytes() == record.bytes,
                None => {
                    sled_ended = true;
                    false
                }
                Some(Err(_)) => false,
            };
            if !same {
                sled_from = Some(position);
                sled_slots = None;
            }
        }
        if let Some(each) = each.as_mut() {
            each(StoredRecord {
                slot: Slot::owned(position, record.bytes),
            });
        }
        Ok(())
    })?;
    let mut extended = Vec::new();
    let mut sled_cut = false;
    if let (None, Some(slots)) = (sled_from, sled_slots) {
        // sled agrees with the whole log: what it holds after is taken while each record checks
        // and the chain goes on, up to the end of the last whole append.
        let mut last = index.head;
        let mut complete = 0usize;
        for slot in slots {
            let Ok(slot) = slot else {
                sled_cut = true;
                break;
            };
            let good = decode(slot.bytes()).ok().filter(|view| {
                view.position == slot.at
                    && slot.at == last.position.next()
                    && view.prev_hash == last.hash
                    && view.recompute_hash() == view.hash
            });
            let Some(view) = good else {
                sled_cut = true;
                break;
            };
            last = Head {
                position: slot.at,
                hash: view.hash,
            };
            let ends_append = view.append_index + 1 >= view.append_len;
            extended.push(slot);
            if ends_append {
                complete = extended.len();
            }
        }
        if complete < extended.len() {
            sled_cut = true;
            extended.truncate(complete);
        }
        for slot in &extended {
            let view = decode(slot.bytes()).map_err(|e| JournalError::Corrupt {
                position: slot.at,
                problem: e.into(),
            })?;
            index.push(slot.at, &view)?;
        }
        if let Some(each) = each.as_mut() {
            for slot in &extended {
                each(StoredRecord { slot: slot.clone() });
            }
        }
    }
    Ok(FromLog {
        index,
        scan,
        sled_from,
        sled_ended,
        extended,
        sled_cut,
    })
}

/// Builds a fresh sled from the whole log, sled lacking or differing from `from` on: the old
/// files are moved aside (the folder is returned), or read-only, the private copy is started
/// afresh. What was written is read back and compared.
pub(super) fn put_back_from_log(
    dir: &Path,
    sled_dir: &Path,
    options: &Options,
    opened: (sled::Db, sled::Tree, sled::Tree),
    from: Position,
    to: Position,
) -> Result<(sled::Db, sled::Tree, sled::Tree, Option<PathBuf>), JournalError> {
    let (db, events, meta) = opened;
    // sled that once read other than what was written cannot be trusted to read the same twice
    // (the fault-injection suite saw a tree patched in place lose records again): the whole of
    // it is rebuilt. A desk's journal of 10^4 events a year takes well under a second.
    tracing::info!(from = from.0, "rebuilding sled from the journal's log");
    drop(events);
    drop(meta);
    drop(db);
    // Read-only, the fresh copy goes into a new folder of the private copy: the dropped sled's
    // background threads may still write into the old one for a moment.
    let (aside, target) = if options.read_only {
        let target = sled_dir.join(format!("rebuilt-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&target).map_err(|e| JournalError::io("create", &target, e))?;
        (None, target)
    } else {
        (
            Some(crate::recover::move_sled_aside(dir)?),
            sled_dir.to_path_buf(),
        )
    };
    let db = open_sled(sled_config(&target, options))?;
    let events = db.open_tree(blocks::BLOCKS_TREE)?;
    let meta = db.open_tree(META_TREE)?;
    restore_sled_from_log(dir, &events, Position(1), to)?;
    if !sled_matches_log(dir, &events, Position(1), to)? {
        return Err(JournalError::Failed(
            "sled, rebuilt from the journal's log, does not read back what was written".into(),
        ));
    }
    Ok((db, events, meta, aside))
}

/// True when sled holds exactly the log's records `from..=to` (a server may be appending
/// after `to` while a read-only open reads).
pub(super) fn sled_matches_log(
    dir: &Path,
    events: &sled::Tree,
    from: Position,
    to: Position,
) -> Result<bool, JournalError> {
    let mut slots = Slots::new(events, Layout::Blocks, from, Position(u64::MAX));
    let mut same = true;
    crate::log::scan(dir, &mut |record| {
        if record.position >= from && record.position <= to && same {
            same = matches!(
                slots.next(),
                Some(Ok(slot)) if slot.at == record.position && slot.bytes() == record.bytes
            );
        }
        Ok(())
    })?;
    Ok(same && slots.next().is_none())
}

/// Replaces sled's records from `from` on with the log's up to `to`, read and checked again.
pub(super) fn restore_sled_from_log(
    dir: &Path,
    events: &sled::Tree,
    from: Position,
    to: Position,
) -> Result<(), JournalError> {
    blocks::remove_from(events, from)?;
    let mut packer = Packer::after_last(events, from)?;
    crate::log::scan(dir, &mut |record| {
        if record.position >= from && record.position <= to {
            packer.push(record.position, record.bytes)?;
        }
        Ok(())
    })?;
    packer.finish()
}

/// Writes the log anew from sled's records `1..=head`, each checked (hash and link) as it is
/// copied. An old log, if any, is moved into `aside`.
pub(super) fn rewrite_log_from_sled(
    dir: &Path,
    events: &sled::Tree,
    head: Head,
    aside: Option<&Path>,
    segment_bytes: u64,
) -> Result<u64, JournalError> {
    let mut prev = ChainHash::genesis();
    let mut records = Slots::new(events, Layout::Blocks, Position(1), head.position).map(|slot| {
        let slot = slot?;
        let position = slot.at;
        let view = decode_checked(position, slot.bytes())?;
        if view.prev_hash != prev {
            return Err(JournalError::Corrupt {
                position,
                problem: Problem::BrokenLink {
                    expected: prev,
                    found: view.prev_hash,
                },
            });
        }
        prev = view.hash;
        Ok((position, slot.bytes().to_vec()))
    });
    crate::log::rewrite(dir, aside, segment_bytes, &mut records)
}

/// How long opening waits for sled's directory lock.
pub(super) const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Opens sled, waiting a little for its directory lock: after the last handle of a journal
/// drops, sled's background threads let go of the lock a moment later, so a journal reopened at
/// once (a restart, a tool run right after) would otherwise fail. Another process that really
/// holds the journal still gets the error once the wait is over.
pub(crate) fn open_sled(config: sled::Config) -> Result<sled::Db, JournalError> {
    let started = std::time::Instant::now();
    loop {
        match config.open() {
            Err(sled::Error::Io(e))
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.to_string().contains("could not acquire lock") =>
            {
                if started.elapsed() >= LOCK_WAIT {
                    return Err(JournalError::io(
                        "lock (is another process using it?)",
                        config.get_path(),
                        e,
                    ));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.map_err(JournalError::from),
        }
    }
}

/// The format byte `meta.format` holds: 1 (one record per key), 2 (blocks, no log), 3 (blocks
/// and the journal's log); None for a new (or wiped) sled.
pub(crate) fn read_format_byte(meta: &sled::Tree) -> Result<Option<u8>, JournalError> {
    match meta.get(META_FORMAT)?.as_deref() {
        None => Ok(None),
        Some([format])
            if [blocks::FORMAT_RECORDS, blocks::FORMAT_BLOCKS, FORMAT_LOG].contains(format) =>
        {
            Ok(Some(*format))
        }
        Some(other) => Err(JournalError::UnsupportedFormat(
            other.first().copied().unwrap_or(0),
        )),
    }
}

pub(crate) fn read_head_mark(meta: &sled::Tree) -> Result<Option<Head>, JournalError> {
    let Some(bytes) = meta.get(META_HEAD)? else {
        return Ok(None);
    };
    let corrupt = || JournalError::Corrupt {
        position: Position::ZERO,
        problem: Problem::Undecodable {
            reason: "the recorded head is not 40 bytes".into(),
        },
    };
    if bytes.len() != 40 {
        return Err(corrupt());
    }
    let mut position = [0u8; 8];
    position.copy_from_slice(&bytes[..8]);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&bytes[8..]);
    Ok(Some(Head {
        position: Position(u64::from_be_bytes(position)),
        hash: ChainHash(hash),
    }))
}
