//! What opening does when the journal's files disagree: opening sled without letting its panics
//! or its own silent recovery decide, moving damaged files aside, copying sled for a read-only
//! open, and naming every fault found (`docs/adr/0007-the-journal-log.md`).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Once;

use serde::Serialize;

use crate::error::JournalError;

/// A fault found in the journal's files, with where it is and what was done or can be done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The file or folder, relative to the journal's directory (`db`, `log/…seg`).
    pub file: String,
    /// The position concerned, when one is known.
    pub position: Option<u64>,
    /// What is wrong.
    pub what: String,
    /// What the journal did about it (`repaired`) or what the user can do.
    pub action: String,
    /// True when the journal repaired it from its other copy (or, read-only, would at the next
    /// start of the server or `impact repair`) and nothing acknowledged is lost.
    pub repairable: bool,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(position) = self.position {
            write!(f, " (position {position})")?;
        }
        write!(f, ": {}; {}", self.what, self.action)
    }
}

/// Why sled could not be opened.
pub(crate) enum SledOpen {
    /// Its files are damaged: it reported corruption, a bug, or panicked.
    Damaged(String),
    /// Anything else (a lock held by another process, permissions): not damage.
    Failed(JournalError),
}

thread_local! {
    /// Set while sled is opened: a panic on this thread is caught and its message kept here
    /// instead of printed.
    static CATCHING: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_quiet_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let caught = CATCHING.with(|c| {
                let mut c = c.borrow_mut();
                match c.as_mut() {
                    Some(message) => {
                        *message = info.to_string();
                        true
                    }
                    None => false,
                }
            });
            if !caught {
                previous(info);
            }
        }));
    });
}

/// Opens sled through `open`, turning a panic inside sled into [`SledOpen::Damaged`] and sled's
/// corruption reports into the same.
pub(crate) fn open_sled_caught(
    open: impl FnOnce() -> Result<sled::Db, JournalError>,
) -> Result<sled::Db, SledOpen> {
    install_quiet_hook();
    CATCHING.with(|c| *c.borrow_mut() = Some(String::new()));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(open));
    let message = CATCHING.with(|c| c.borrow_mut().take()).unwrap_or_default();
    match result {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(JournalError::Storage(
            error @ (sled::Error::Corruption { .. }
            | sled::Error::ReportableBug(_)
            | sled::Error::Unsupported(_)),
        ))) => Err(SledOpen::Damaged(sled_reason(&error))),
        Ok(Err(error)) => Err(SledOpen::Failed(error)),
        Err(_) => Err(SledOpen::Damaged(format!(
            "sled stopped while reading its files ({})",
            message.lines().next().unwrap_or("a panic")
        ))),
    }
}

fn sled_reason(error: &sled::Error) -> String {
    match error {
        sled::Error::Corruption { at, .. } => match at {
            Some(at) => format!("sled found damaged data at {at:?} of its files"),
            None => "sled found damaged data in its files".into(),
        },
        other => format!("sled cannot read its files ({other})"),
    }
}

/// The files sled keeps in a journal's directory.
pub(crate) fn sled_files(dir: &Path) -> Result<Vec<PathBuf>, JournalError> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| JournalError::io("list", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| JournalError::io("list", dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "db" || name == "conf" || name == "blobs" || name.starts_with("snap.") {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

/// A new folder `damaged-<time>` in `dir` for files the journal sets aside instead of deleting.
pub(crate) fn aside_dir(dir: &Path) -> Result<PathBuf, JournalError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let aside = dir.join(format!("damaged-{stamp}"));
    std::fs::create_dir_all(&aside).map_err(|e| JournalError::io("create", &aside, e))?;
    Ok(aside)
}

/// Moves sled's files out of `dir` into a new `damaged-<time>` folder, so that a fresh sled can
/// be built from the log; nothing is deleted.
pub(crate) fn move_sled_aside(dir: &Path) -> Result<PathBuf, JournalError> {
    let aside = aside_dir(dir)?.join("sled");
    std::fs::create_dir_all(&aside).map_err(|e| JournalError::io("create", &aside, e))?;
    for path in sled_files(dir)? {
        let Some(name) = path.file_name() else {
            continue;
        };
        std::fs::rename(&path, aside.join(name))
            .map_err(|e| JournalError::io("move aside", &path, e))?;
    }
    crate::store::sync_dir(dir)?;
    Ok(aside)
}

/// Copies sled's files from `dir` into `to`, for a read-only open that must not let sled write
/// into the journal's own directory.
pub(crate) fn copy_sled(dir: &Path, to: &Path) -> Result<(), JournalError> {
    for path in sled_files(dir)? {
        let Some(name) = path.file_name() else {
            continue;
        };
        let target = to.join(name);
        if path.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| JournalError::io("create", &target, e))?;
            let entries =
                std::fs::read_dir(&path).map_err(|e| JournalError::io("list", &path, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| JournalError::io("list", &path, e))?;
                if entry.path().is_file() {
                    std::fs::copy(entry.path(), target.join(entry.file_name()))
                        .map_err(|e| JournalError::io("copy", entry.path(), e))?;
                }
            }
        } else {
            std::fs::copy(&path, &target).map_err(|e| JournalError::io("copy", &path, e))?;
        }
    }
    Ok(())
}

/// Removes sled's files from `dir` (a private copy only).
pub(crate) fn clear_sled(dir: &Path) -> Result<(), JournalError> {
    for path in sled_files(dir)? {
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| JournalError::io("remove", &path, e))?;
    }
    Ok(())
}

/// A path relative to the journal's directory, for messages.
pub(crate) fn relative(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// True when another process holds sled's lock on `db` (a running server). Taking the lock to
/// find out writes nothing, and it is let go at once.
pub(crate) fn locked_by_another(db: &Path) -> bool {
    let Ok(file) = std::fs::File::open(db) else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
    }
}
