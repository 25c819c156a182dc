//! Accounts: bearer tokens, stored only as hashes, and the principal a token stands for.
//!
//! A token is `imp1.<audience>.<secret>`: the audience is the installation's id (a ULID written
//! when the token file is created) and the secret 32 random bytes, base64url. The server keeps
//! only `blake3(token)`, with who the token is for (actor, role, site), when it expires and
//! whether it was revoked. A token of another installation (another audience), an unknown or
//! altered one, an expired or a revoked one, or anything else (a JWT, `alg=none` included) is
//! refused with a reason the operator can read in the response code and the client cannot
//! learn anything from.
//!
//! The store is an append-only JSON-lines file, `tokens.jsonl` in the data directory, written
//! by `impact token issue|revoke` (with or without the server running) and re-read by the server
//! when it grows. Every line is fsynced before the command returns. Each line is the JSON text, a
//! tab and its checksum (the first 32 hex digits of blake3 over the JSON text): a damaged line
//! is named, never read as another actor, role or expiry. Lines without a checksum (written
//! before it existed) are read as they are, but only before the first line that has one.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use domain::{Actor, Role, SiteId};
use parking_lot::RwLock;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::Principal;

/// The token file's name in the data directory.
pub const TOKEN_FILE: &str = "tokens.jsonl";
/// The prefix and format version of every token.
const PREFIX: &str = "imp1";

/// Why a token store cannot be used, or a token cannot be issued or revoked.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token file cannot be read or written: check the data directory's permissions.
    #[error("token file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A line of the token file is not what `impact token` writes: restore it from a backup.
    #[error("token file {path}, line {line}: {reason}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// An account request that makes no sense (a mediator without a site, a bad ttl, ...).
    #[error("{0}")]
    Invalid(String),
    /// Revoking a token id the store does not know.
    #[error("no token with id {0}")]
    UnknownId(Ulid),
}

/// Why a request's token was refused. The client sees only "the token is not valid" and the
/// code; the reason is counted and logged without the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization: Bearer` header (or connection payload).
    Missing,
    /// Not a token of this system (a JWT, `alg=none`, garbage).
    Malformed,
    /// A token of another installation.
    WrongAudience,
    /// Well-formed for this installation but never issued here, or altered.
    Unknown,
    Expired,
    Revoked,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Missing => "missing",
            Refusal::Malformed => "malformed",
            Refusal::WrongAudience => "wrong_audience",
            Refusal::Unknown => "unknown",
            Refusal::Expired => "expired",
            Refusal::Revoked => "revoked",
        }
    }

    /// What the client is told.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Missing => {
                "authentication required: send Authorization: Bearer <token> (impact token issue)"
            }
            Refusal::Expired => "the token has expired; ask for a new one",
            _ => "the token is not valid",
        }
    }
}

impl TokenRecord {
    /// Every site the token's mediator works at; empty for the other roles.
    pub fn sites(&self) -> Vec<SiteId> {
        self.site.iter().chain(&self.more_sites).cloned().collect()
    }
}

/// One issued token, as stored (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub id: Ulid,
    /// blake3 of the whole token, hex.
    pub hash: String,
    pub actor: String,
    pub role: Role,
    /// A mediator's (first) site.
    pub site: Option<SiteId>,
    /// The other sites a mediator works at in rotation (absent in lines written before).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_sites: Vec<SiteId>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line {
    Installation { audience: Ulid },
    Issued(TokenRecord),
    Revoked { id: Ulid, at: DateTime<Utc> },
}

/// What a token issue gives back: the token (shown once) and its record.
pub struct Issued {
    pub token: String,
    pub record: TokenRecord,
}

#[derive(Default)]
struct Loaded {
    audience: Option<Ulid>,
    by_hash: HashMap<[u8; 32], TokenRecord>,
    by_id: HashMap<Ulid, [u8; 32]>,
    /// Bytes of the file read so far.
    len: u64,
    report: TokenFileReport,
}

/// The token store of one data directory. Cheap to clone.
#[derive(Clone)]
pub struct Tokens {
    path: PathBuf,
    loaded: Arc<RwLock<Loaded>>,
}

impl Tokens {
    /// Opens (creating when missing) the token file of a data directory.
    pub fn open(data_dir: &Path) -> Result<Tokens, AuthError> {
        std::fs::create_dir_all(data_dir).map_err(|source| AuthError::Io {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let tokens = Tokens {
            path: data_dir.join(TOKEN_FILE),
            loaded: Arc::new(RwLock::new(Loaded::default())),
        };
        if !tokens.path.exists() {
            tokens.append(&Line::Installation {
                audience: Ulid::new(),
            })?;
        }
        tokens.refresh()?;
        Ok(tokens)
    }

    /// The installation id every token of this store carries.
    pub fn audience(&self) -> Option<Ulid> {
        self.loaded.read().audience
    }

    fn io(&self, source: std::io::Error) -> AuthError {
        AuthError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn append(&self, line: &Line) -> Result<(), AuthError> {
        let json = serde_json::to_string(line).map_err(|e| AuthError::Invalid(e.to_string()))?;
        let text = format!("{json}\t{}\n", line_check(&json));
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&self.path).map_err(|e| self.io(e))?;
        file.write_all(text.as_bytes()).map_err(|e| self.io(e))?;
        file.sync_data().map_err(|e| self.io(e))
    }

    /// Reads what was appended to the file since the last read (by this or another process).
    pub fn refresh(&self) -> Result<(), AuthError> {
        let len = std::fs::metadata(&self.path).map_err(|e| self.io(e))?.len();
        if len == self.loaded.read().len {
            return Ok(());
        }
        // Re-read the whole file: it is small, and a re-read cannot half-apply a line.
        let (fresh, read) = read_lines(&self.path)?;
        if fresh.audience.is_none() {
            return Err(AuthError::Corrupt {
                path: self.path.clone(),
                line: 1,
                reason: "no installation line".into(),
            });
        }
        let mut fresh = fresh;
        fresh.len = read.min(len);
        *self.loaded.write() = fresh;
        Ok(())
    }

    /// Issues a token for `actor` in `role`, valid for `ttl` from `now`. Mediators need the
    /// site they work at; the other roles must not name one.
    pub fn issue(
        &self,
        actor: &str,
        role: Role,
        site: Option<SiteId>,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Issued, AuthError> {
        self.issue_at_sites(actor, role, site.into_iter().collect(), ttl, now)
    }

    /// [`Tokens::issue`] for a mediator who works at several sites in rotation: one token, the
    /// sites listed (each once); the other roles name none.
    pub fn issue_at_sites(
        &self,
        actor: &str,
        role: Role,
        sites: Vec<SiteId>,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Issued, AuthError> {
        for (i, s) in sites.iter().enumerate() {
            if sites[..i].contains(s) {
                return Err(AuthError::Invalid(format!(
                    "the site {} is named twice",
                    s.as_str()
                )));
            }
        }
        let mut sites = sites.into_iter();
        let site = sites.next();
        let more_sites: Vec<SiteId> = sites.collect();
        for s in &more_sites {
            if !s.is_valid() {
                return Err(AuthError::Invalid(format!(
                    "{:?} is not a site slug (a-z, 0-9 and -)",
                    s.as_str()
                )));
            }
        }
        let actor = actor.trim();
        if actor.is_empty() || actor.len() > 128 {
            return Err(AuthError::Invalid(
                "the actor must be 1 to 128 characters".into(),
            ));
        }
        if let Some(site) = &site {
            if !site.is_valid() {
                return Err(AuthError::Invalid(format!(
                    "{:?} is not a site slug (a-z, 0-9 and -)",
                    site.as_str()
                )));
            }
        }
        match (role, &site) {
            (Role::Mediator, None) => {
                return Err(AuthError::Invalid(
                    "a mediator works at a site: give --site".into(),
                ))
            }
            (Role::Mediator, Some(_)) | (_, None) => {}
            (_, Some(_)) => {
                return Err(AuthError::Invalid(
                    "only mediators are bound to a site; drop --site".into(),
                ))
            }
        }
        if ttl <= Duration::zero() || ttl > Duration::days(366) {
            return Err(AuthError::Invalid(
                "the ttl must be positive and at most 366 days".into(),
            ));
        }
        self.refresh()?;
        let audience = self
            .audience()
            .ok_or_else(|| AuthError::Invalid("the token file has no installation".into()))?;
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let token = format!(
            "{PREFIX}.{audience}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
        );
        let record = TokenRecord {
            id: Ulid::new(),
            hash: blake3::hash(token.as_bytes()).to_hex().to_string(),
            actor: actor.to_string(),
            role,
            site,
            more_sites,
            issued_at: now,
            expires_at: now + ttl,
            revoked_at: None,
        };
        self.append(&Line::Issued(record.clone()))?;
        self.refresh()?;
        Ok(Issued { token, record })
    }

    /// Revokes a token by its id; revoking twice is not an error.
    pub fn revoke(&self, id: Ulid, now: DateTime<Utc>) -> Result<TokenRecord, AuthError> {
        self.refresh()?;
        let record = self.record(id).ok_or(AuthError::UnknownId(id))?;
        if record.revoked_at.is_some() {
            return Ok(record);
        }
        self.append(&Line::Revoked { id, at: now })?;
        self.refresh()?;
        self.record(id).ok_or(AuthError::UnknownId(id))
    }

    /// The id of a token, to revoke it when only the token is at hand.
    pub fn id_of(&self, token: &str) -> Option<Ulid> {
        let loaded = self.loaded.read();
        loaded
            .by_hash
            .get(blake3::hash(token.trim().as_bytes()).as_bytes())
            .map(|r| r.id)
    }

    fn record(&self, id: Ulid) -> Option<TokenRecord> {
        let loaded = self.loaded.read();
        loaded
            .by_id
            .get(&id)
            .and_then(|hash| loaded.by_hash.get(hash))
            .cloned()
    }

    /// Every token record, in issue order.
    pub fn list(&self) -> Result<Vec<TokenRecord>, AuthError> {
        self.refresh()?;
        let mut records: Vec<TokenRecord> = self.loaded.read().by_hash.values().cloned().collect();
        records.sort_by_key(|r| r.id);
        Ok(records)
    }

    /// The principal a presented token stands for, or why not.
    pub fn authenticate(&self, token: &str, now: DateTime<Utc>) -> Result<Principal, Refusal> {
        let mut parts = token.split('.');
        let (Some(prefix), Some(audience), Some(secret), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Refusal::Malformed);
        };
        if prefix != PREFIX || secret.len() != 43 {
            return Err(Refusal::Malformed);
        }
        let Ok(audience) = Ulid::from_string(audience) else {
            return Err(Refusal::Malformed);
        };
        if let Err(error) = self.refresh() {
            // Keep answering from what was read before; the operator sees why.
            tracing::error!(%error, "token file cannot be re-read");
        }
        let loaded = self.loaded.read();
        if loaded.audience != Some(audience) {
            return Err(Refusal::WrongAudience);
        }
        let record = loaded
            .by_hash
            .get(blake3::hash(token.as_bytes()).as_bytes())
            .ok_or(Refusal::Unknown)?;
        if record.revoked_at.is_some_and(|at| at <= now) {
            return Err(Refusal::Revoked);
        }
        if record.expires_at <= now {
            return Err(Refusal::Expired);
        }
        Ok(Principal {
            actor: Actor::new(record.actor.clone(), record.role),
            sites: record.sites(),
            token_id: Some(record.id),
        })
    }
}

/// Length in hex digits of a line's checksum.
const CHECK_HEX: usize = 32;

/// The checksum of one line's JSON text (the token file's, and the accounts file of the pages).
pub fn line_check(json: &str) -> String {
    blake3::hash(json.as_bytes()).to_hex()[..CHECK_HEX].to_string()
}

/// What the token file holds, read without writing: how many lines, and how many of them carry
/// no checksum (written before checksums existed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenFileReport {
    pub lines: usize,
    pub unchecked: usize,
    pub tokens: usize,
}

/// Reads and checks the token file of `data_dir` without writing anything: `Ok(None)` when
/// there is none; `Err(Corrupt)` naming the first line that is damaged.
pub fn check_file(data_dir: &Path) -> Result<Option<TokenFileReport>, AuthError> {
    let path = data_dir.join(TOKEN_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let (loaded, _) = read_lines(&path)?;
    if loaded.audience.is_none() {
        return Err(AuthError::Corrupt {
            path,
            line: 1,
            reason: "no installation line".into(),
        });
    }
    Ok(Some(loaded.report))
}

/// Reads every line of a token file: what it holds and how many bytes were read.
fn read_lines(path: &Path) -> Result<(Loaded, u64), AuthError> {
    let io = |source| AuthError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let mut fresh = Loaded::default();
    let mut read = 0u64;
    let mut checked_seen = false;
    for (index, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(io)?;
        let bytes = u64::try_from(line.len()).unwrap_or(u64::MAX);
        read = read.saturating_add(bytes).saturating_add(1);
        let corrupt = |reason: String| AuthError::Corrupt {
            path: path.to_path_buf(),
            line: index + 1,
            reason,
        };
        let line = String::from_utf8(line).map_err(|_| corrupt("not UTF-8 text".into()))?;
        if line.trim().is_empty() {
            continue;
        }
        fresh.report.lines += 1;
        let json = match line.rsplit_once('\t') {
            Some((json, check)) => {
                if line_check(json) != check {
                    return Err(corrupt(
                        "the line does not match its checksum (damaged): restore tokens.jsonl \
                         from the backup, or revoke and issue the tokens again"
                            .into(),
                    ));
                }
                checked_seen = true;
                json
            }
            None if checked_seen => {
                return Err(corrupt(
                    "a line without its checksum after lines with one (damaged or cut)".into(),
                ))
            }
            None => {
                fresh.report.unchecked += 1;
                line.as_str()
            }
        };
        match serde_json::from_str::<Line>(json).map_err(|e| corrupt(e.to_string()))? {
            Line::Installation { audience } => {
                fresh.audience.get_or_insert(audience);
            }
            Line::Issued(record) => {
                fresh.report.tokens += 1;
                let hash = parse_hash(&record.hash)
                    .ok_or_else(|| corrupt("the hash is not 64 hex digits".into()))?;
                fresh.by_id.insert(record.id, hash);
                fresh.by_hash.insert(hash, record);
            }
            Line::Revoked { id, at } => {
                if let Some(record) = fresh
                    .by_id
                    .get(&id)
                    .and_then(|hash| fresh.by_hash.get_mut(hash))
                {
                    record.revoked_at.get_or_insert(at);
                }
            }
        }
    }
    Ok((fresh, read))
}

fn parse_hash(hex_text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut out).ok()?;
    Some(out)
}

/// Parses a time-to-live like `8h`, `30m`, `90s`, `7d`.
pub fn parse_ttl(text: &str) -> Result<Duration, AuthError> {
    let text = text.trim();
    let invalid = || AuthError::Invalid(format!("{text:?} is not a ttl like 8h, 30m, 90s or 7d"));
    let unit_at = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(invalid)?;
    let (number, unit) = text.split_at(unit_at);
    let number: i64 = number.parse().map_err(|_| invalid())?;
    let duration = match unit {
        "s" => Duration::try_seconds(number),
        "m" => Duration::try_minutes(number),
        "h" => Duration::try_hours(number),
        "d" => Duration::try_days(number),
        _ => None,
    };
    duration.ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-26T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_token_stands_for_its_actor_until_it_expires_or_is_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::open(dir.path()).unwrap();
        let site = Some(SiteId::new("montelucci"));
        let issued = tokens
            .issue(
                "amina",
                Role::Mediator,
                site.clone(),
                Duration::hours(8),
                now(),
            )
            .unwrap();
        let principal = tokens.authenticate(&issued.token, now()).unwrap();
        assert_eq!(principal.actor, Actor::new("amina", Role::Mediator));
        assert_eq!(principal.sites, site.into_iter().collect::<Vec<_>>());
        // Only the hash is on disk.
        let file = std::fs::read_to_string(dir.path().join(TOKEN_FILE)).unwrap();
        assert!(!file.contains(issued.token.rsplit('.').next().unwrap()));
        assert!(file.contains(&issued.record.hash));

        let later = now() + Duration::hours(8);
        assert_eq!(
            tokens.authenticate(&issued.token, later),
            Err(Refusal::Expired)
        );
        // Another process (a second store on the same file) revokes it; this one sees it.
        let other = Tokens::open(dir.path()).unwrap();
        other.revoke(issued.record.id, now()).unwrap();
        assert_eq!(
            tokens.authenticate(&issued.token, now() + Duration::minutes(1)),
            Err(Refusal::Revoked)
        );
    }

    #[test]
    fn foreign_altered_and_unsigned_tokens_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::open(dir.path()).unwrap();
        let issued = tokens
            .issue("sara", Role::Supervisor, None, Duration::hours(1), now())
            .unwrap();
        let other_dir = tempfile::tempdir().unwrap();
        let other = Tokens::open(other_dir.path()).unwrap();
        let foreign = other
            .issue("sara", Role::Supervisor, None, Duration::hours(1), now())
            .unwrap();
        assert_eq!(
            tokens.authenticate(&foreign.token, now()),
            Err(Refusal::WrongAudience)
        );
        let mut altered = issued.token.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            tokens.authenticate(&String::from_utf8(altered).unwrap(), now()),
            Err(Refusal::Unknown)
        );
        let alg_none =
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJzYXJhIiwicm9sZSI6InN1cGVydmlzb3IifQ.";
        assert_eq!(
            tokens.authenticate(alg_none, now()),
            Err(Refusal::Malformed)
        );
        assert_eq!(tokens.authenticate("", now()), Err(Refusal::Malformed));
    }

    #[test]
    fn accounts_that_make_no_sense_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::open(dir.path()).unwrap();
        let hour = Duration::hours(1);
        assert!(tokens
            .issue("amina", Role::Mediator, None, hour, now())
            .is_err());
        assert!(tokens
            .issue("sara", Role::Evaluator, Some(SiteId::new("x")), hour, now())
            .is_err());
        assert!(tokens.issue(" ", Role::Admin, None, hour, now()).is_err());
        assert!(tokens
            .issue("sara", Role::Admin, None, Duration::zero(), now())
            .is_err());
        assert!(matches!(
            tokens.revoke(Ulid::new(), now()),
            Err(AuthError::UnknownId(_))
        ));
    }

    #[test]
    fn ttls_read_like_people_write_them() {
        assert_eq!(parse_ttl("8h").unwrap(), Duration::hours(8));
        assert_eq!(parse_ttl("30m").unwrap(), Duration::minutes(30));
        assert_eq!(parse_ttl("7d").unwrap(), Duration::days(7));
        assert!(parse_ttl("8").is_err());
        assert!(parse_ttl("h").is_err());
        assert!(parse_ttl("8 hours").is_err());
    }
}
