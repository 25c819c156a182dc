//! Accounts that sign in to the pages with a user name and a password.
//!
//! The store is an append-only JSON-lines file, `accounts.jsonl` beside `tokens.jsonl` in the
//! data directory, written by `impact account create|disable|reset` (with or without the server
//! running) and by the admin page, re-read by the server when it grows. Each line is the JSON
//! text, a tab and its checksum (as the token file's, `api::auth::line_check`): a damaged line is
//! named, never read as another role or site. A password is drawn here, shown once, and kept
//! only as its Argon2id hash (PHC string); it never reaches the journal or a log.
//!
//! Each line is also a fact of the journal (`StaffAccountOpened`, `StaffAccountDisabled`,
//! `StaffPasswordReset`: never the password or its hash), recorded by the server through the
//! GraphQL door (`crate::staff`) under an event id drawn from the line itself
//! ([`AccountChange::event_id`]), so that recording a line twice records it once.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use domain::{Actor, Role, SiteId};
use parking_lot::RwLock;
use rand::Rng;
use serde::{Deserialize, Serialize};
use ulid::Ulid;

/// The accounts file's name in the data directory.
pub const ACCOUNT_FILE: &str = "accounts.jsonl";

/// The characters a drawn password is made of: no look-alikes (0/O, 1/l/I).
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const PASSWORD_LENGTH: usize = 16;

/// Why the accounts cannot be used or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The file cannot be read or written: check the data directory's permissions.
    #[error("accounts file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A line is not what this module writes: restore the file from a backup.
    #[error("accounts file {path}, line {line}: {reason}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// A request that makes no sense (a mediator without a site, a user name taken, ...).
    #[error("{0}")]
    Invalid(String),
    /// No account with that user name.
    #[error("no account {0:?}")]
    Unknown(String),
}

/// One account as the pages know it (never its password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    pub user: String,
    pub role: Role,
    pub site: Option<SiteId>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl Account {
    /// The principal the account signs in as: its user name is the actor id events record.
    pub fn principal(&self) -> api::Principal {
        api::Principal::new(Actor::new(self.user.clone(), self.role), self.site.clone())
    }
}

/// A password drawn for an account, to be shown once. `Debug` does not print it.
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line {
    Created {
        user: String,
        role: Role,
        site: Option<SiteId>,
        hash: String,
        at: DateTime<Utc>,
        /// The admin who did it on the admin page; none: `impact account`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    Disabled {
        user: String,
        at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    PasswordSet {
        user: String,
        hash: String,
        at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
}

/// The actor a change made with `impact account` is recorded as (an admin at the server's
/// console, who signs in as nobody).
pub const CONSOLE_ACTOR: &str = "impact-account";

/// What a line of the accounts file changed, as the journal records it (never a hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Opened { role: Role, site: Option<SiteId> },
    Disabled,
    PasswordReset,
}

/// One line of the accounts file as a fact to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountChange {
    /// The event id it is recorded under: the line's time (milliseconds) and 80 bits of the
    /// blake3 of its text, so every reading of the same line gives the same id.
    pub event_id: Ulid,
    pub user: String,
    pub change: Change,
    pub at: DateTime<Utc>,
    /// The admin who made it: their user name, or [`CONSOLE_ACTOR`].
    pub by: String,
}

impl AccountChange {
    fn of(line: &Line, json: &str) -> AccountChange {
        let (user, change, at, by) = match line {
            Line::Created {
                user,
                role,
                site,
                at,
                by,
                ..
            } => (
                user,
                Change::Opened {
                    role: *role,
                    site: site.clone(),
                },
                at,
                by,
            ),
            Line::Disabled { user, at, by } => (user, Change::Disabled, at, by),
            Line::PasswordSet { user, at, by, .. } => (user, Change::PasswordReset, at, by),
        };
        let digest = blake3::hash(json.as_bytes());
        let mut random = [0u8; 16];
        random[6..].copy_from_slice(&digest.as_bytes()[..10]);
        let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        AccountChange {
            event_id: Ulid::from_parts(millis, u128::from_be_bytes(random)),
            user: user.clone(),
            change,
            at: *at,
            by: by.clone().unwrap_or_else(|| CONSOLE_ACTOR.to_owned()),
        }
    }
}

#[derive(Default)]
struct Loaded {
    accounts: BTreeMap<String, (Account, String)>,
    /// Every line, in the file's order, as the fact it records.
    changes: Vec<AccountChange>,
    len: u64,
}

/// The accounts of one data directory. Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    path: PathBuf,
    loaded: Arc<RwLock<Loaded>>,
}

impl Accounts {
    /// Opens (creating when missing) the accounts file of a data directory.
    pub fn open(data_dir: &Path) -> Result<Accounts, AccountError> {
        std::fs::create_dir_all(data_dir).map_err(|source| AccountError::Io {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let accounts = Accounts {
            path: data_dir.join(ACCOUNT_FILE),
            loaded: Arc::new(RwLock::new(Loaded::default())),
        };
        if !accounts.path.exists() {
            accounts.create_file()?;
        }
        accounts.refresh()?;
        Ok(accounts)
    }

    fn io(&self, source: std::io::Error) -> AccountError {
        AccountError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn options() -> OpenOptions {
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
    }

    fn create_file(&self) -> Result<(), AccountError> {
        let file = Self::options().open(&self.path).map_err(|e| self.io(e))?;
        file.sync_all().map_err(|e| self.io(e))
    }

    fn append(&self, line: &Line) -> Result<(), AccountError> {
        let json = serde_json::to_string(line).map_err(|e| AccountError::Invalid(e.to_string()))?;
        let text = format!("{json}\t{}\n", api::auth::line_check(&json));
        let mut file = Self::options().open(&self.path).map_err(|e| self.io(e))?;
        file.write_all(text.as_bytes()).map_err(|e| self.io(e))?;
        file.sync_data().map_err(|e| self.io(e))?;
        self.refresh()
    }

    /// Reads what was appended since the last read (by this or another process).
    pub fn refresh(&self) -> Result<(), AccountError> {
        let len = std::fs::metadata(&self.path).map_err(|e| self.io(e))?.len();
        if len == self.loaded.read().len {
            return Ok(());
        }
        let mut fresh = read_lines(&self.path)?;
        fresh.len = len;
        *self.loaded.write() = fresh;
        Ok(())
    }

    /// Creates an account and draws its password. Mediators need the site they work at; the
    /// other roles must not name one.
    pub fn create(
        &self,
        user: &str,
        role: Role,
        site: Option<SiteId>,
        now: DateTime<Utc>,
        by: Option<&str>,
    ) -> Result<(Account, Password), AccountError> {
        check_user(user)?;
        check_site(role, site.as_ref())?;
        self.refresh()?;
        if self.loaded.read().accounts.contains_key(user) {
            return Err(AccountError::Invalid(format!(
                "the user name {user:?} is taken"
            )));
        }
        let password = draw_password();
        self.append(&Line::Created {
            user: user.to_owned(),
            role,
            site,
            hash: hash_password(&password.0)?,
            at: now,
            by: by.map(str::to_owned),
        })?;
        Ok((
            self.get(user).ok_or(AccountError::Unknown(user.into()))?,
            password,
        ))
    }

    /// Disables an account: it can no longer sign in. Disabling twice is not an error.
    pub fn disable(
        &self,
        user: &str,
        now: DateTime<Utc>,
        by: Option<&str>,
    ) -> Result<Account, AccountError> {
        self.refresh()?;
        let account = self
            .get(user)
            .ok_or_else(|| AccountError::Unknown(user.into()))?;
        if account.disabled_at.is_some() {
            return Ok(account);
        }
        self.append(&Line::Disabled {
            user: user.to_owned(),
            at: now,
            by: by.map(str::to_owned),
        })?;
        self.get(user)
            .ok_or_else(|| AccountError::Unknown(user.into()))
    }

    /// Draws a new password for an account (the old one stops working).
    pub fn reset(
        &self,
        user: &str,
        now: DateTime<Utc>,
        by: Option<&str>,
    ) -> Result<Password, AccountError> {
        self.refresh()?;
        let account = self
            .get(user)
            .ok_or_else(|| AccountError::Unknown(user.into()))?;
        if account.disabled_at.is_some() {
            return Err(AccountError::Invalid(format!(
                "the account {user:?} is disabled"
            )));
        }
        let password = draw_password();
        self.append(&Line::PasswordSet {
            user: user.to_owned(),
            hash: hash_password(&password.0)?,
            at: now,
            by: by.map(str::to_owned),
        })?;
        Ok(password)
    }

    /// One account by user name.
    pub fn get(&self, user: &str) -> Option<Account> {
        if let Err(error) = self.refresh() {
            tracing::error!(%error, "the accounts file cannot be re-read");
        }
        self.loaded
            .read()
            .accounts
            .get(user)
            .map(|(account, _)| account.clone())
    }

    /// Every account, by user name.
    pub fn list(&self) -> Result<Vec<Account>, AccountError> {
        self.refresh()?;
        Ok(self
            .loaded
            .read()
            .accounts
            .values()
            .map(|(account, _)| account.clone())
            .collect())
    }

    /// Every change the file holds from the `from`-th on (0: all), in the file's order.
    pub fn changes_from(&self, from: usize) -> Result<Vec<AccountChange>, AccountError> {
        self.refresh()?;
        Ok(self
            .loaded
            .read()
            .changes
            .get(from..)
            .map(<[AccountChange]>::to_vec)
            .unwrap_or_default())
    }

    /// The account, if the user name and password match an account that is not disabled.
    /// Costs an Argon2id check (tens of milliseconds): call it off the async threads. An
    /// unknown user name costs the same as a wrong password.
    pub fn check_password(&self, user: &str, password: &str) -> Option<Account> {
        let found = {
            if let Err(error) = self.refresh() {
                tracing::error!(%error, "the accounts file cannot be re-read");
            }
            self.loaded.read().accounts.get(user).cloned()
        };
        let hash = match &found {
            Some((_, hash)) => hash.clone(),
            None => DUMMY_HASH.with(Clone::clone),
        };
        let matches = PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        match found {
            Some((account, _)) if matches && account.disabled_at.is_none() => Some(account),
            _ => None,
        }
    }
}

thread_local! {
    /// A hash to check an unknown user name against, so that it takes as long as a known one.
    static DUMMY_HASH: String = hash_password("unknown user").unwrap_or_default();
}

fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Invalid(format!("the password cannot be hashed: {e}")))
}

fn draw_password() -> Password {
    let mut rng = rand::rngs::OsRng;
    Password(
        (0..PASSWORD_LENGTH)
            .map(|_| char::from(PASSWORD_ALPHABET[rng.gen_range(0..PASSWORD_ALPHABET.len())]))
            .collect(),
    )
}

/// A user name is 2 to 64 characters of `a-z`, `0-9`, `.`, `_` and `-`: it is the actor id the
/// journal records, so no personal name is needed in it.
fn check_user(user: &str) -> Result<(), AccountError> {
    let ok = (2..=64).contains(&user.len())
        && user
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Invalid(format!(
            "{user:?} is not a user name: 2 to 64 characters of a-z, 0-9, '.', '_' and '-'"
        )))
    }
}

fn check_site(role: Role, site: Option<&SiteId>) -> Result<(), AccountError> {
    if let Some(site) = site {
        if !site.is_valid() {
            return Err(AccountError::Invalid(format!(
                "{:?} is not a site slug (a-z, 0-9 and -)",
                site.as_str()
            )));
        }
    }
    match (role, site) {
        (Role::Mediator, None) => Err(AccountError::Invalid(
            "a mediator works at a site: give the site".into(),
        )),
        (Role::Mediator, Some(_)) | (_, None) => Ok(()),
        (_, Some(_)) => Err(AccountError::Invalid(
            "only mediators are bound to a site".into(),
        )),
    }
}

/// Reads and checks the accounts file of `data_dir` without writing anything: `Ok(None)` when
/// there is none, else how many accounts it holds; `Err(Corrupt)` names the first damaged line.
pub fn check_file(data_dir: &Path) -> Result<Option<usize>, AccountError> {
    let path = data_dir.join(ACCOUNT_FILE);
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(read_lines(&path)?.accounts.len()))
}

fn read_lines(path: &Path) -> Result<Loaded, AccountError> {
    let io = |source| AccountError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let mut fresh = Loaded::default();
    for (index, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(io)?;
        let corrupt = |reason: &str| AccountError::Corrupt {
            path: path.to_path_buf(),
            line: index + 1,
            reason: reason.to_owned(),
        };
        let line = String::from_utf8(line).map_err(|_| corrupt("not UTF-8 text"))?;
        if line.trim().is_empty() {
            continue;
        }
        let Some((json, check)) = line.rsplit_once('\t') else {
            return Err(corrupt("the line has no checksum (damaged or cut)"));
        };
        if api::auth::line_check(json) != check {
            return Err(corrupt(
                "the line does not match its checksum (damaged): restore accounts.jsonl from \
                 the backup, or create the accounts again",
            ));
        }
        let parsed = serde_json::from_str::<Line>(json).map_err(|e| corrupt(&e.to_string()))?;
        fresh.changes.push(AccountChange::of(&parsed, json));
        match parsed {
            Line::Created {
                user,
                role,
                site,
                hash,
                at,
                by: _,
            } => {
                let account = Account {
                    user: user.clone(),
                    role,
                    site,
                    created_at: at,
                    disabled_at: None,
                };
                fresh.accounts.insert(user, (account, hash));
            }
            Line::Disabled { user, at, by: _ } => {
                let (account, _) = fresh
                    .accounts
                    .get_mut(&user)
                    .ok_or_else(|| corrupt("disables an account never created"))?;
                account.disabled_at.get_or_insert(at);
            }
            Line::PasswordSet {
                user, hash, at: _, ..
            } => {
                let (_, old) = fresh
                    .accounts
                    .get_mut(&user)
                    .ok_or_else(|| corrupt("resets an account never created"))?;
                *old = hash;
            }
        }
    }
    Ok(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-26T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_password_signs_in_until_reset_or_disabled_and_only_its_hash_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::open(dir.path()).unwrap();
        let site = Some(SiteId::new("montelucci-4"));
        let (account, password) = accounts
            .create("amina", Role::Mediator, site.clone(), now(), None)
            .unwrap();
        assert_eq!(account.site, site);
        let file = std::fs::read_to_string(dir.path().join(ACCOUNT_FILE)).unwrap();
        assert!(!file.contains(&password.0));
        assert!(file.contains("$argon2id$"));
        assert_eq!(
            accounts.check_password("amina", &password.0).unwrap().user,
            "amina"
        );
        assert!(accounts.check_password("amina", "wrong").is_none());
        assert!(accounts.check_password("nobody", &password.0).is_none());

        // Another process (a second store on the same file) resets it; this one sees it.
        let other = Accounts::open(dir.path()).unwrap();
        let new = other.reset("amina", now(), Some("root")).unwrap();
        assert!(accounts.check_password("amina", &password.0).is_none());
        assert!(accounts.check_password("amina", &new.0).is_some());
        other.disable("amina", now(), None).unwrap();
        assert!(accounts.check_password("amina", &new.0).is_none());
        assert!(accounts.get("amina").unwrap().disabled_at.is_some());

        // Each line is a fact to record, under the same event id however often it is read.
        let changes = accounts.changes_from(0).unwrap();
        assert_eq!(changes, other.changes_from(0).unwrap());
        let kinds: Vec<_> = changes
            .iter()
            .map(|c| (c.change.clone(), c.by.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    Change::Opened {
                        role: Role::Mediator,
                        site
                    },
                    CONSOLE_ACTOR
                ),
                (Change::PasswordReset, "root"),
                (Change::Disabled, CONSOLE_ACTOR),
            ]
        );
        assert_eq!(
            changes[0].event_id.timestamp_ms(),
            u64::try_from(now().timestamp_millis()).unwrap()
        );
        assert_eq!(accounts.changes_from(2).unwrap(), changes[2..]);
        assert_eq!(
            changes
                .iter()
                .map(|c| c.event_id)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            3
        );
    }

    #[test]
    fn accounts_that_make_no_sense_are_refused_and_damage_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::open(dir.path()).unwrap();
        assert!(accounts
            .create("amina", Role::Mediator, None, now(), None)
            .is_err());
        assert!(accounts
            .create("sara", Role::Evaluator, Some(SiteId::new("x")), now(), None)
            .is_err());
        assert!(accounts
            .create("Sara Rossi", Role::Admin, None, now(), None)
            .is_err());
        accounts
            .create("sara", Role::Admin, None, now(), None)
            .unwrap();
        assert!(accounts
            .create("sara", Role::Admin, None, now(), None)
            .is_err());
        assert!(matches!(
            accounts.disable("nobody", now(), None),
            Err(AccountError::Unknown(_))
        ));

        let path = dir.path().join(ACCOUNT_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"admin\"", "\"supervisor\"")).unwrap();
        assert!(matches!(
            check_file(dir.path()),
            Err(AccountError::Corrupt { line: 1, .. })
        ));
    }
}
