//! Personal data at rest: a master key outside the data directory, one key per person in a file
//! of fixed-size slots, sealing and opening of personal values, keyed pseudonyms.
//!
//! Key types: [`Vault`] (open, [`Vault::seal`], [`Vault::open_sealed`], [`Vault::destroy`],
//! [`Vault::pseudonym`]), [`Opened`], [`KeyState`], [`VaultError`].
//!
//! Invariants:
//! - a person's key exists in clear only in this process's memory; on disk it exists once, wrapped
//!   by the master key, in its slot of `person-keys`; nothing else ever writes key bytes (no log,
//!   no journal, no sled);
//! - destroying a key overwrites its slot in place (same offset, so no other copy exists in the
//!   file) and `fdatasync`s it before returning; a destroyed key never comes back, and nothing new
//!   is sealed for that person;
//! - sealing is deterministic for the same (person, event id, field, plaintext), so a retried
//!   command produces byte-identical payloads.
//!
//! The `person-keys` file is a sequence of [`SLOT_LEN`]-byte slots, one per person, in the order
//! the keys were created:
//!
//! | bytes | content |
//! |---|---|
//! | 16 | person id (ULID as u128, big-endian) |
//! | 24 | nonce of the wrapping |
//! | 48 | the person key (32) encrypted with the master key, then the Poly1305 tag (16) |
//! | 1 | state: [`STATE_ACTIVE`], [`STATE_DESTROYED`] or [`STATE_FOREIGN`] (for the last two the 72 bytes before it are zeros) |
//!
//! The three state bytes differ pairwise in two bits, so a flipped bit never turns one state
//! into another; a destroyed or foreign slot must hold zeros, and an active one must open with
//! the master key (its Poly1305 tag is the slot's checksum). [`inspect`] checks every slot
//! without writing.
//!
//! The wrapping is XChaCha20-Poly1305 under the master key with a random nonce and the associated
//! data `"impact person key v1" ‖ person id`, so a slot cannot be moved to another person.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use parking_lot::Mutex;
use rand::RngCore as _;
use ulid::Ulid;
use zeroize::Zeroizing;

/// The key store's file name inside the data directory.
pub const PERSON_KEYS_FILE: &str = "person-keys";
/// Length of the master key and of every person key.
pub const KEY_LEN: usize = 32;
/// Length of an XChaCha20 nonce.
pub const NONCE_LEN: usize = 24;
/// Length of a Poly1305 tag.
pub const TAG_LEN: usize = 16;
/// Length of a wrapped person key: nonce ‖ encrypted key ‖ tag.
pub const WRAPPED_LEN: usize = NONCE_LEN + KEY_LEN + TAG_LEN;
/// Length of one slot of `person-keys`: person id ‖ wrapped key ‖ state.
pub const SLOT_LEN: usize = 16 + WRAPPED_LEN + 1;
/// Offset of the wrapped key in a slot.
pub const SLOT_WRAPPED_AT: usize = 16;
/// State byte of a slot holding a live key.
pub const STATE_ACTIVE: u8 = 1;
/// State byte of a slot whose key was destroyed (its wrapped key is zeros).
pub const STATE_DESTROYED: u8 = 2;
/// State byte of a slot that says this store never had the person's key: their sealed values
/// came from another installation's export (its wrapped key is zeros).
pub const STATE_FOREIGN: u8 = 7;
/// Associated data prefix of a wrapped key (followed by the person id).
pub const WRAP_AAD: &[u8] = b"impact person key v1";

/// Associated data prefix of a sealed value (followed by person id, event id, field path).
const SEAL_AAD: &[u8] = b"impact sealed v1";
/// `blake3::derive_key` context of the key that makes a sealing's synthetic nonce.
const NONCE_CONTEXT: &str = "impact vault 2024-11 synthetic nonce of a sealed personal value";
/// `blake3::derive_key` context of the pseudonym key (from the master key).
const PSEUDONYM_CONTEXT: &str = "impact vault 2024-11 pseudonym of a person for evaluators";
/// `blake3::derive_key` context of the key of staff pseudonyms in a bundle (from the master key).
const STAFF_PSEUDONYM_CONTEXT: &str =
    "impact vault 2026-12 pseudonym of a member of staff in a bundle";
/// The context of the key that seals the snapshots of the models (`docs/adr/0014-snapshots.md`).
const SNAPSHOT_CONTEXT: &str = "impact vault 2026-12 snapshot of the desk's models";
/// Hex digits of a pseudonym.
const PSEUDONYM_LEN: usize = 12;

/// Failures of the vault. None of them carries key bytes or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The data directory holds person keys but the master key file is missing: give the right
    /// file (`--master-key` / `IMPACT_MASTER_KEY_FILE`) or restore it from the backup. A new
    /// master key is never made in this case: it would open nothing.
    #[error(
        "{keys} holds person keys but the master key file {master_key} is missing; give the \
         master key file (--master-key or IMPACT_MASTER_KEY_FILE) or restore it from the backup"
    )]
    MasterKeyMissing { master_key: PathBuf, keys: PathBuf },
    /// The master key file is not exactly 32 bytes: a wrong or damaged file.
    #[error("master key file {path} holds {len} bytes, not {KEY_LEN}")]
    MasterKeyInvalid { path: PathBuf, len: u64 },
    /// The master key does not open the person keys: a master key file of another installation.
    #[error("the master key in {master_key} does not open the person keys in {keys}")]
    WrongMasterKey { master_key: PathBuf, keys: PathBuf },
    /// A slot of the key store cannot be read (0-based slot number): restore the file from a
    /// backup taken together with the journal.
    #[error("{path}: slot {slot} is damaged: {reason}")]
    Damaged {
        path: PathBuf,
        slot: u64,
        reason: &'static str,
    },
    /// A sealed value does not open with its person's key: the payload is damaged, or the key
    /// store is not the one the data was written with.
    #[error("a sealed value of person {person} does not open with that person's key")]
    Unopenable { person: Ulid },
    /// A snapshot of the models could not be sealed (too large for the cipher): none is
    /// written; the models are rebuilt from the journal at the next open.
    #[error("a snapshot of the models cannot be sealed")]
    SnapshotUnsealable,
    /// Reading or writing a file failed. Check the disk and the permissions.
    #[error("cannot {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl VaultError {
    fn io(op: &'static str, path: &Path, source: std::io::Error) -> VaultError {
        VaultError::Io {
            op,
            path: path.to_owned(),
            source,
        }
    }
}

/// What the store knows of a person's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// A live key: their values seal and open.
    Active,
    /// The key was destroyed: their sealed values are erased for good.
    Destroyed,
    /// The store has no slot for this person: nothing was sealed for them here. A person whose
    /// values are sealed in the journal and who has no slot is damage to the key store.
    Unknown,
    /// Their sealed values came from another installation's export, without its key: they read
    /// as unknown here.
    Foreign,
}

/// A sealed value, opened.
#[derive(PartialEq, Eq)]
pub enum Opened {
    /// The plaintext (zeroed when dropped).
    Plain(Zeroizing<Vec<u8>>),
    /// The person's key was destroyed: the value is gone.
    Erased,
    /// This store has no key for the person (data imported without its key store).
    NoKey,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Opened::Plain(_) => "Plain([redacted])",
            Opened::Erased => "Erased",
            Opened::NoKey => "NoKey",
        })
    }
}

/// Sealing refused: the person's key was destroyed, nothing new about them can be kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Erased;

/// The default master key file for a data directory: its sibling `<data-dir>.master-key`, so
/// that it is never inside the directory that gets copied, exported or backed up with the data.
pub fn default_master_key_path(data_dir: &Path) -> PathBuf {
    let dir = if data_dir.file_name().is_some() {
        data_dir.to_owned()
    } else {
        // "." or "..": name the sibling after the directory's real name.
        std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned())
    };
    let mut name = dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "impact-data".into());
    name.push(".master-key");
    dir.with_file_name(name)
}

struct Entry {
    slot: u64,
    key: Held,
}

/// What a slot holds.
enum Held {
    Active(Zeroizing<[u8; KEY_LEN]>),
    Destroyed,
    Foreign,
}

struct Inner {
    /// `None` for a read-only vault of a data directory without a key store.
    file: Option<File>,
    slots: u64,
    persons: HashMap<Ulid, Entry>,
}

/// The master key, the person keys of a data directory, and what is done with them.
pub struct Vault {
    master: Zeroizing<[u8; KEY_LEN]>,
    pseudonym_key: Zeroizing<[u8; KEY_LEN]>,
    staff_pseudonym_key: Zeroizing<[u8; KEY_LEN]>,
    keys_path: PathBuf,
    inner: Mutex<Inner>,
    /// Opened with [`Vault::open_read_only`]: nothing is ever written.
    read_only: bool,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("keys_path", &self.keys_path)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Opens the key store of `data_dir` with the master key in `master_key_file`.
    ///
    /// A missing master key file is created (32 random bytes, mode 0600, synced) only while the
    /// key store holds no key; otherwise this refuses with [`VaultError::MasterKeyMissing`]. A
    /// torn slot at the end of the store (a crash while a key was being added, before any event
    /// used it) is cut off.
    pub fn open(data_dir: &Path, master_key_file: &Path) -> Result<Vault, VaultError> {
        Vault::open_with(data_dir, master_key_file, false)
    }

    /// Opens the key store of `data_dir` without ever writing a byte: no master key file or key
    /// store is made (a directory without keys gets a master key in memory only), a torn slot is
    /// left where it is, and what would be written (a key made, a key destroyed at replay) changes
    /// this process's memory only. For the commands that only read.
    pub fn open_read_only(data_dir: &Path, master_key_file: &Path) -> Result<Vault, VaultError> {
        Vault::open_with(data_dir, master_key_file, true)
    }

    fn open_with(
        data_dir: &Path,
        master_key_file: &Path,
        read_only: bool,
    ) -> Result<Vault, VaultError> {
        if !read_only {
            std::fs::create_dir_all(data_dir).map_err(|e| VaultError::io("create", data_dir, e))?;
        }
        let keys_path = data_dir.join(PERSON_KEYS_FILE);
        let keys_len = match std::fs::metadata(&keys_path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(VaultError::io("read", &keys_path, e)),
        };
        let master = read_or_create_master_key(
            master_key_file,
            keys_len >= slot_len(),
            &keys_path,
            read_only,
        )?;
        let pseudonym_key = Zeroizing::new(blake3::derive_key(PSEUDONYM_CONTEXT, &master[..]));
        let staff_pseudonym_key =
            Zeroizing::new(blake3::derive_key(STAFF_PSEUDONYM_CONTEXT, &master[..]));
        let existed = keys_path.exists();
        let file = if read_only {
            if existed {
                Some(File::open(&keys_path).map_err(|e| VaultError::io("open", &keys_path, e))?)
            } else {
                None
            }
        } else {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(&keys_path)
                .map_err(|e| VaultError::io("open", &keys_path, e))?;
            if !existed {
                sync_dir(data_dir)?;
            }
            Some(file)
        };
        let mut inner = Inner {
            file,
            slots: 0,
            persons: HashMap::new(),
        };
        load_slots(&mut inner, &keys_path, &master, master_key_file, read_only)?;
        Ok(Vault {
            master,
            pseudonym_key,
            staff_pseudonym_key,
            keys_path,
            inner: Mutex::new(inner),
            read_only,
        })
    }

    /// The key store file.
    pub fn keys_path(&self) -> &Path {
        &self.keys_path
    }

    /// What the store knows of `person`'s key.
    pub fn key_state(&self, person: Ulid) -> KeyState {
        match self.inner.lock().persons.get(&person).map(|e| &e.key) {
            None => KeyState::Unknown,
            Some(Held::Destroyed) => KeyState::Destroyed,
            Some(Held::Foreign) => KeyState::Foreign,
            Some(Held::Active(_)) => KeyState::Active,
        }
    }

    /// How many persons have a key slot (live or destroyed).
    pub fn person_count(&self) -> usize {
        self.inner.lock().persons.len()
    }

    /// Seals `plaintext`, the value of `field` (a path such as `"personal"` or `"goals.1"`) in
    /// the event `event_id` about `person`: `synthetic nonce ‖ ciphertext ‖ tag`. Makes the
    /// person's key first if they have none (one slot appended and synced). The same inputs
    /// always give the same bytes. `Ok(Err(Erased))` when the person's key was destroyed.
    pub fn seal(
        &self,
        person: Ulid,
        event_id: Ulid,
        field: &str,
        plaintext: &[u8],
    ) -> Result<Result<Vec<u8>, Erased>, VaultError> {
        let mut inner = self.inner.lock();
        if !inner.persons.contains_key(&person) {
            self.create_key(&mut inner, person)?;
        }
        let Some(Held::Active(key)) = inner.persons.get(&person).map(|e| &e.key) else {
            return Ok(Err(Erased));
        };
        let nonce_key = Zeroizing::new(blake3::derive_key(NONCE_CONTEXT, &key[..]));
        let mut hasher = blake3::Hasher::new_keyed(&nonce_key);
        hasher.update(&event_id.0.to_be_bytes());
        hasher.update(&u64::try_from(field.len()).unwrap_or(u64::MAX).to_be_bytes());
        hasher.update(field.as_bytes());
        hasher.update(plaintext);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&hasher.finalize().as_bytes()[..NONCE_LEN]);
        let aad = seal_aad(person, event_id, field);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&key[..]));
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Unopenable { person })?;
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(Ok(out))
    }

    /// Opens what [`Vault::seal`] made for the same person, event id and field.
    pub fn open_sealed(
        &self,
        person: Ulid,
        event_id: Ulid,
        field: &str,
        sealed: &[u8],
    ) -> Result<Opened, VaultError> {
        let inner = self.inner.lock();
        let key = match inner.persons.get(&person).map(|e| &e.key) {
            None | Some(Held::Foreign) => return Ok(Opened::NoKey),
            Some(Held::Destroyed) => return Ok(Opened::Erased),
            Some(Held::Active(key)) => key,
        };
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(VaultError::Unopenable { person });
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let aad = seal_aad(person, event_id, field);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&key[..]));
        let plain = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Unopenable { person })?;
        Ok(Opened::Plain(Zeroizing::new(plain)))
    }

    /// Destroys `person`'s key: its slot is overwritten in place with the person id, zeros and
    /// [`STATE_DESTROYED`], then synced; the key is wiped from memory. Returns `true` if a live
    /// key was destroyed, `false` if there was none (unknown, or destroyed already): idempotent.
    /// A person without a key gets a destroyed slot, so that nothing is sealed for them later.
    pub fn destroy(&self, person: Ulid) -> Result<bool, VaultError> {
        let mut inner = self.inner.lock();
        let slot = match inner.persons.get(&person) {
            Some(Entry {
                key: Held::Destroyed,
                ..
            }) => return Ok(false),
            Some(Entry {
                key: Held::Foreign,
                slot,
            }) => {
                // No key here to destroy; the slot now says erased, as the journal does.
                let slot = *slot;
                self.write_slot(&inner.file, slot, &empty_slot(person, STATE_DESTROYED))?;
                if let Some(entry) = inner.persons.get_mut(&person) {
                    entry.key = Held::Destroyed;
                }
                return Ok(false);
            }
            Some(entry) => entry.slot,
            None => {
                let bytes = empty_slot(person, STATE_DESTROYED);
                self.add_slot(&mut inner, person, &bytes, Held::Destroyed)?;
                return Ok(false);
            }
        };
        self.write_slot(&inner.file, slot, &empty_slot(person, STATE_DESTROYED))?;
        if let Some(entry) = inner.persons.get_mut(&person) {
            // Dropping the `Zeroizing` wipes the key bytes.
            entry.key = Held::Destroyed;
        }
        tracing::info!(slot, "person key destroyed");
        Ok(true)
    }

    /// Records that `person`'s sealed values came from another installation's export: a slot in
    /// state [`STATE_FOREIGN`], so that the key store accounts for every person the journal seals
    /// values of. Nothing if the person has a slot already. Returns `true` if a slot was written.
    pub fn mark_foreign(&self, person: Ulid) -> Result<bool, VaultError> {
        let mut inner = self.inner.lock();
        if inner.persons.contains_key(&person) {
            return Ok(false);
        }
        let bytes = empty_slot(person, STATE_FOREIGN);
        self.add_slot(&mut inner, person, &bytes, Held::Foreign)?;
        Ok(true)
    }

    /// The persons whose key was destroyed.
    pub fn destroyed(&self) -> Vec<Ulid> {
        let inner = self.inner.lock();
        let mut out: Vec<Ulid> = inner
            .persons
            .iter()
            .filter(|(_, e)| matches!(e.key, Held::Destroyed))
            .map(|(p, _)| *p)
            .collect();
        out.sort();
        out
    }

    /// Seals a snapshot of the models (derived data that holds opened personal values:
    /// `docs/adr/0014-snapshots.md`) under a key derived from the master key: random nonce ‖
    /// ciphertext ‖ tag, with `aad` bound to it. The plaintext is encrypted in place.
    pub fn seal_snapshot(&self, aad: &[u8], mut plaintext: Vec<u8>) -> Result<Vec<u8>, VaultError> {
        use chacha20poly1305::aead::AeadInPlace as _;
        let key = Zeroizing::new(blake3::derive_key(SNAPSHOT_CONTEXT, &self.master[..]));
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&key[..]));
        cipher
            .encrypt_in_place(XNonce::from_slice(&nonce), aad, &mut plaintext)
            .map_err(|_| VaultError::SnapshotUnsealable)?;
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&plaintext);
        Ok(out)
    }

    /// Opens what [`Vault::seal_snapshot`] made with the same `aad`; `None` when it does not
    /// open (cut, damaged, or sealed by another master key).
    pub fn open_snapshot(&self, aad: &[u8], mut sealed: Vec<u8>) -> Option<Zeroizing<Vec<u8>>> {
        use chacha20poly1305::aead::AeadInPlace as _;
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let key = Zeroizing::new(blake3::derive_key(SNAPSHOT_CONTEXT, &self.master[..]));
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[..NONCE_LEN]);
        sealed.drain(..NONCE_LEN);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&key[..]));
        let mut plain = Zeroizing::new(sealed);
        cipher
            .decrypt_in_place(XNonce::from_slice(&nonce), aad, &mut *plain)
            .ok()?;
        Some(plain)
    }

    /// A stable pseudonym for a person: the first 12 hex digits of blake3 in keyed mode over the
    /// person's ULID (16 bytes, big-endian), with a key derived from the master key. Whoever lacks
    /// the master key cannot link a pseudonym to a person id.
    pub fn pseudonym(&self, person: Ulid) -> String {
        pseudonym_with(&self.pseudonym_key, person)
    }

    /// The pseudonym of a member of staff (an account name) within `scope` (a bundle's period):
    /// `staff-` and the first 12 hex digits of blake3 in keyed mode, with a key derived from the
    /// master key, over the scope's length (u16, big-endian), the scope and the name. The same
    /// name has the same pseudonym within a scope and another one in any other; whoever lacks the
    /// master key cannot try a list of names against it.
    pub fn staff_pseudonym(&self, scope: &str, name: &str) -> String {
        let mut hasher = blake3::Hasher::new_keyed(&self.staff_pseudonym_key);
        let len = u16::try_from(scope.len()).unwrap_or(u16::MAX);
        hasher.update(&len.to_be_bytes());
        hasher.update(scope.as_bytes());
        hasher.update(name.as_bytes());
        format!("staff-{}", &hasher.finalize().to_hex()[..PSEUDONYM_LEN])
    }

    fn create_key(&self, inner: &mut Inner, person: Ulid) -> Result<(), VaultError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(&mut key[..]);
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = wrap_aad(person);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&self.master[..]));
        let wrapped = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &key[..],
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Unopenable { person })?;
        let mut slot_bytes = Zeroizing::new([0u8; SLOT_LEN]);
        slot_bytes[..16].copy_from_slice(&person.0.to_be_bytes());
        slot_bytes[SLOT_WRAPPED_AT..SLOT_WRAPPED_AT + NONCE_LEN].copy_from_slice(&nonce);
        slot_bytes[SLOT_WRAPPED_AT + NONCE_LEN..SLOT_LEN - 1].copy_from_slice(&wrapped);
        slot_bytes[SLOT_LEN - 1] = STATE_ACTIVE;
        self.add_slot(inner, person, &slot_bytes, Held::Active(key))
    }

    /// Appends a slot for `person` (written and synced) and remembers what it holds.
    fn add_slot(
        &self,
        inner: &mut Inner,
        person: Ulid,
        bytes: &[u8; SLOT_LEN],
        key: Held,
    ) -> Result<(), VaultError> {
        let slot = inner.slots;
        self.write_slot(&inner.file, slot, bytes)?;
        inner.slots += 1;
        inner.persons.insert(person, Entry { slot, key });
        Ok(())
    }

    /// Writes and syncs a slot; nothing in a read-only vault (its callers change memory only).
    fn write_slot(
        &self,
        file: &Option<File>,
        slot: u64,
        bytes: &[u8; SLOT_LEN],
    ) -> Result<(), VaultError> {
        if self.read_only {
            return Ok(());
        }
        let Some(file) = file else {
            return Err(VaultError::io(
                "write",
                &self.keys_path,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        };
        file.write_all_at(bytes, slot * slot_len())
            .and_then(|()| file.sync_data())
            .map_err(|e| VaultError::io("write and fdatasync", &self.keys_path, e))
    }
}

fn pseudonym_with(key: &[u8; KEY_LEN], person: Ulid) -> String {
    blake3::keyed_hash(key, &person.0.to_be_bytes()).to_hex()[..PSEUDONYM_LEN].to_string()
}

fn slot_len() -> u64 {
    // 89 fits any u64.
    u64::try_from(SLOT_LEN).unwrap_or(u64::MAX)
}

fn wrap_aad(person: Ulid) -> Vec<u8> {
    let mut aad = WRAP_AAD.to_vec();
    aad.extend_from_slice(&person.0.to_be_bytes());
    aad
}

fn seal_aad(person: Ulid, event_id: Ulid, field: &str) -> Vec<u8> {
    let mut aad = SEAL_AAD.to_vec();
    aad.extend_from_slice(&person.0.to_be_bytes());
    aad.extend_from_slice(&event_id.0.to_be_bytes());
    aad.extend_from_slice(field.as_bytes());
    aad
}

/// A slot without a key: destroyed or foreign.
fn empty_slot(person: Ulid, state: u8) -> [u8; SLOT_LEN] {
    let mut bytes = [0u8; SLOT_LEN];
    bytes[..16].copy_from_slice(&person.0.to_be_bytes());
    bytes[SLOT_LEN - 1] = state;
    bytes
}

fn read_or_create_master_key(
    path: &Path,
    keys_exist: bool,
    keys_path: &Path,
    read_only: bool,
) -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            if bytes.len() != KEY_LEN {
                return Err(VaultError::MasterKeyInvalid {
                    path: path.to_owned(),
                    len: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                });
            }
            let mut key = Zeroizing::new([0u8; KEY_LEN]);
            key.copy_from_slice(&bytes);
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if keys_exist {
                return Err(VaultError::MasterKeyMissing {
                    master_key: path.to_owned(),
                    keys: keys_path.to_owned(),
                });
            }
            let mut key = Zeroizing::new([0u8; KEY_LEN]);
            rand::rngs::OsRng.fill_bytes(&mut key[..]);
            if read_only {
                // Nothing is sealed yet: a key in memory opens all there is (nothing).
                return Ok(key);
            }
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| VaultError::io("create", path, e))?;
            file.write_all(&key[..])
                .and_then(|()| file.sync_all())
                .map_err(|e| VaultError::io("write", path, e))?;
            if let Some(parent) = path.parent() {
                sync_dir(if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                })?;
            }
            tracing::info!(path = %path.display(), "master key created");
            Ok(key)
        }
        Err(e) => Err(VaultError::io("read", path, e)),
    }
}

fn sync_dir(dir: &Path) -> Result<(), VaultError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| VaultError::io("fsync the directory", dir, e))
}

fn load_slots(
    inner: &mut Inner,
    path: &Path,
    master: &[u8; KEY_LEN],
    master_key_file: &Path,
    read_only: bool,
) -> Result<(), VaultError> {
    let Some(file) = inner.file.as_ref() else {
        return Ok(());
    };
    let len = file
        .metadata()
        .map_err(|e| VaultError::io("read", path, e))?
        .len();
    let whole = len / slot_len();
    if len % slot_len() != 0 && !read_only {
        // A torn append: the key was never synced, so no event was sealed with it (the desk
        // checks at every start that each person the journal seals values of has a slot).
        tracing::warn!(
            slots = whole,
            "person-keys ends with a torn slot; cutting it off"
        );
        file.set_len(whole * slot_len())
            .and_then(|()| file.sync_data())
            .map_err(|e| VaultError::io("truncate", path, e))?;
    }
    let cipher = XChaCha20Poly1305::new(Key::from_slice(&master[..]));
    let mut opened_any = false;
    let mut bytes = Zeroizing::new([0u8; SLOT_LEN]);
    for slot in 0..whole {
        file.read_exact_at(&mut bytes[..], slot * slot_len())
            .map_err(|e| VaultError::io("read", path, e))?;
        let damaged = |reason| VaultError::Damaged {
            path: path.to_owned(),
            slot,
            reason,
        };
        let (person, held) = match parse_slot(&bytes, Some(&cipher)) {
            Ok(parsed) => parsed,
            Err(SlotFault::DoesNotOpen) if !opened_any => {
                return Err(VaultError::WrongMasterKey {
                    master_key: master_key_file.to_owned(),
                    keys: path.to_owned(),
                })
            }
            Err(fault) => return Err(damaged(fault.reason())),
        };
        opened_any |= matches!(held, Held::Active(_));
        if inner.persons.contains_key(&person) {
            return Err(damaged("a second slot for the same person"));
        }
        inner.persons.insert(person, Entry { slot, key: held });
    }
    inner.slots = whole;
    Ok(())
}

/// Why a slot does not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotFault {
    UnknownState,
    NotZeros,
    DoesNotOpen,
}

impl SlotFault {
    fn reason(self) -> &'static str {
        match self {
            SlotFault::UnknownState => "unknown state byte",
            SlotFault::NotZeros => "a slot without a key that does not hold zeros",
            SlotFault::DoesNotOpen => "the wrapped key does not open",
        }
    }
}

/// Reads one slot. Without `cipher` (no master key at hand) an active slot's key is not
/// unwrapped, and reads as `Held::Active` of zeros: for [`inspect`] only.
fn parse_slot(
    bytes: &[u8; SLOT_LEN],
    cipher: Option<&XChaCha20Poly1305>,
) -> Result<(Ulid, Held), SlotFault> {
    let mut id = [0u8; 16];
    id.copy_from_slice(&bytes[..16]);
    let person = Ulid(u128::from_be_bytes(id));
    let wrapped = &bytes[SLOT_WRAPPED_AT..SLOT_LEN - 1];
    let held = match bytes[SLOT_LEN - 1] {
        STATE_DESTROYED | STATE_FOREIGN if wrapped.iter().any(|b| *b != 0) => {
            return Err(SlotFault::NotZeros)
        }
        STATE_DESTROYED => Held::Destroyed,
        STATE_FOREIGN => Held::Foreign,
        STATE_ACTIVE => {
            let mut key = Zeroizing::new([0u8; KEY_LEN]);
            if let Some(cipher) = cipher {
                let (nonce, ciphertext) = wrapped.split_at(NONCE_LEN);
                let aad = wrap_aad(person);
                let plain = Zeroizing::new(
                    cipher
                        .decrypt(
                            XNonce::from_slice(nonce),
                            Payload {
                                msg: ciphertext,
                                aad: &aad,
                            },
                        )
                        .map_err(|_| SlotFault::DoesNotOpen)?,
                );
                key.copy_from_slice(&plain);
            }
            Held::Active(key)
        }
        _ => return Err(SlotFault::UnknownState),
    };
    Ok((person, held))
}

/// A slot of `person-keys` that does not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotDamage {
    /// 0-based slot number (its bytes start at `slot * SLOT_LEN`).
    pub slot: u64,
    pub reason: &'static str,
}

/// What [`inspect`] found in a key store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyStoreReport {
    /// False when there is no `person-keys` file.
    pub exists: bool,
    /// The state of each person with a readable slot.
    pub persons: HashMap<Ulid, KeyState>,
    /// Slots that do not read (a second slot of a person included).
    pub damaged: Vec<SlotDamage>,
    /// Bytes after the last whole slot: a torn append, cut off at the next start.
    pub torn_tail_bytes: u64,
    /// True when the wrapped keys were opened with the master key (each slot's tag checked);
    /// false when no master key file was at hand.
    pub wrappings_checked: bool,
}

/// Reads the key store of `data_dir` without writing anything (no master key made, no torn
/// slot cut) and checks every slot: its state byte, zeros where no key is kept, and, with the
/// master key, that each wrapped key opens. A master key that opens none of several active slots
/// is [`VaultError::WrongMasterKey`].
pub fn inspect(
    data_dir: &Path,
    master_key_file: Option<&Path>,
) -> Result<KeyStoreReport, VaultError> {
    let path = data_dir.join(PERSON_KEYS_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => Zeroizing::new(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(KeyStoreReport::default()),
        Err(e) => return Err(VaultError::io("read", &path, e)),
    };
    let master = match master_key_file {
        Some(file) => match std::fs::read(file) {
            Ok(key) if key.len() == KEY_LEN => {
                let mut master = Zeroizing::new([0u8; KEY_LEN]);
                master.copy_from_slice(&key);
                Some(master)
            }
            Ok(key) => {
                return Err(VaultError::MasterKeyInvalid {
                    path: file.to_owned(),
                    len: u64::try_from(key.len()).unwrap_or(u64::MAX),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(VaultError::io("read", file, e)),
        },
        None => None,
    };
    let cipher = master
        .as_ref()
        .map(|m| XChaCha20Poly1305::new(Key::from_slice(&m[..])));
    let mut report = KeyStoreReport {
        exists: true,
        wrappings_checked: cipher.is_some(),
        ..KeyStoreReport::default()
    };
    let mut opened = 0usize;
    let mut unopened = 0usize;
    let chunks = bytes.chunks_exact(SLOT_LEN);
    report.torn_tail_bytes = u64::try_from(chunks.remainder().len()).unwrap_or(u64::MAX);
    for (slot, chunk) in (0u64..).zip(chunks) {
        let mut slot_bytes = Zeroizing::new([0u8; SLOT_LEN]);
        slot_bytes.copy_from_slice(chunk);
        match parse_slot(&slot_bytes, cipher.as_ref()) {
            Ok((person, held)) => {
                let state = match held {
                    Held::Active(_) => {
                        opened += 1;
                        KeyState::Active
                    }
                    Held::Destroyed => KeyState::Destroyed,
                    Held::Foreign => KeyState::Foreign,
                };
                if report.persons.insert(person, state).is_some() {
                    report.damaged.push(SlotDamage {
                        slot,
                        reason: "a second slot for the same person",
                    });
                }
            }
            Err(fault) => {
                unopened += usize::from(fault == SlotFault::DoesNotOpen);
                report.damaged.push(SlotDamage {
                    slot,
                    reason: fault.reason(),
                });
            }
        }
    }
    if opened == 0 && unopened > 1 {
        return Err(VaultError::WrongMasterKey {
            master_key: master_key_file.map(Path::to_owned).unwrap_or_default(),
            keys: path,
        });
    }
    Ok(report)
}
