//! The vault against real files in a temporary directory.

use std::path::{Path, PathBuf};

use ulid::Ulid;
use vault::{KeyState, Opened, Vault, VaultError, PERSON_KEYS_FILE, SLOT_LEN, STATE_DESTROYED};

struct Dirs {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    master: PathBuf,
}

fn dirs() -> Dirs {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let master = vault::default_master_key_path(&data);
    Dirs {
        _tmp: tmp,
        data,
        master,
    }
}

fn plain(opened: Opened) -> Vec<u8> {
    match opened {
        Opened::Plain(bytes) => bytes.to_vec(),
        other => panic!("expected plaintext, got {other:?}"),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_master_key_sits_beside_the_data_directory() {
    assert_eq!(
        vault::default_master_key_path(Path::new("/srv/impact-data")),
        PathBuf::from("/srv/impact-data.master-key")
    );
    assert_eq!(
        vault::default_master_key_path(Path::new("impact-data/")),
        PathBuf::from("impact-data.master-key")
    );
}

#[test]
fn sealed_values_open_and_sealing_is_deterministic() {
    let d = dirs();
    let v = Vault::open(&d.data, &d.master).unwrap();
    let (person, event) = (Ulid::new(), Ulid::new());
    let a = v
        .seal(person, event, "note", b"\"hello\"")
        .unwrap()
        .unwrap();
    let b = v
        .seal(person, event, "note", b"\"hello\"")
        .unwrap()
        .unwrap();
    assert_eq!(a, b, "a retry must give byte-identical payloads");
    assert!(!contains(&a, b"hello"));
    assert_eq!(
        plain(v.open_sealed(person, event, "note", &a).unwrap()),
        b"\"hello\""
    );
    // Another event, field or text gives another nonce and ciphertext.
    let other_event = v
        .seal(person, Ulid::new(), "note", b"\"hello\"")
        .unwrap()
        .unwrap();
    let other_field = v
        .seal(person, event, "comment", b"\"hello\"")
        .unwrap()
        .unwrap();
    assert_ne!(a[..24], other_event[..24]);
    assert_ne!(a[..24], other_field[..24]);
    // The associated data binds person, event and field: a moved value does not open.
    assert!(matches!(
        v.open_sealed(person, event, "comment", &a),
        Err(VaultError::Unopenable { .. })
    ));
    assert!(matches!(
        v.open_sealed(person, Ulid::new(), "note", &a),
        Err(VaultError::Unopenable { .. })
    ));
    let someone_else = Ulid::new();
    v.seal(someone_else, event, "x", b"1").unwrap().unwrap();
    assert!(matches!(
        v.open_sealed(someone_else, event, "note", &a),
        Err(VaultError::Unopenable { .. })
    ));
    assert_eq!(
        v.open_sealed(Ulid::new(), event, "note", &a).unwrap(),
        Opened::NoKey
    );
}

#[test]
fn keys_survive_a_reopen_and_a_destroyed_key_is_gone_from_the_file() {
    let d = dirs();
    let (person, other, event) = (Ulid::new(), Ulid::new(), Ulid::new());
    let (sealed, other_sealed) = {
        let v = Vault::open(&d.data, &d.master).unwrap();
        (
            v.seal(person, event, "personal", b"{\"fullName\":\"A\"}")
                .unwrap()
                .unwrap(),
            v.seal(other, event, "personal", b"{\"fullName\":\"B\"}")
                .unwrap()
                .unwrap(),
        )
    };
    let before = std::fs::read(d.data.join(PERSON_KEYS_FILE)).unwrap();
    assert_eq!(before.len(), 2 * SLOT_LEN);
    let wrapped = before[16..SLOT_LEN - 1].to_vec();

    let v = Vault::open(&d.data, &d.master).unwrap();
    assert_eq!(v.key_state(person), KeyState::Active);
    assert_eq!(
        plain(v.open_sealed(person, event, "personal", &sealed).unwrap()),
        b"{\"fullName\":\"A\"}"
    );
    assert!(v.destroy(person).unwrap());
    assert!(!v.destroy(person).unwrap(), "destroying twice is a no-op");
    assert_eq!(v.key_state(person), KeyState::Destroyed);
    assert_eq!(
        v.open_sealed(person, event, "personal", &sealed).unwrap(),
        Opened::Erased
    );
    assert_eq!(
        v.seal(person, Ulid::new(), "note", b"1").unwrap(),
        Err(vault::Erased)
    );

    let after = std::fs::read(d.data.join(PERSON_KEYS_FILE)).unwrap();
    assert_eq!(
        after.len(),
        before.len(),
        "destroyed in place, not appended"
    );
    assert!(contains(&before, &wrapped));
    assert!(!contains(&after, &wrapped));
    assert_eq!(&after[..16], &person.0.to_be_bytes());
    assert!(after[16..SLOT_LEN - 1].iter().all(|b| *b == 0));
    assert_eq!(after[SLOT_LEN - 1], STATE_DESTROYED);
    assert_eq!(
        &after[SLOT_LEN..],
        &before[SLOT_LEN..],
        "other slots untouched"
    );
    drop(v);

    let v = Vault::open(&d.data, &d.master).unwrap();
    assert_eq!(v.key_state(person), KeyState::Destroyed);
    assert_eq!(
        v.open_sealed(person, event, "personal", &sealed).unwrap(),
        Opened::Erased
    );
    assert_eq!(
        plain(
            v.open_sealed(other, event, "personal", &other_sealed)
                .unwrap()
        ),
        b"{\"fullName\":\"B\"}"
    );
}

#[test]
fn a_person_never_sealed_can_be_marked_destroyed() {
    let d = dirs();
    let v = Vault::open(&d.data, &d.master).unwrap();
    let person = Ulid::new();
    assert!(!v.destroy(person).unwrap());
    assert_eq!(v.key_state(person), KeyState::Destroyed);
    assert_eq!(
        v.seal(person, Ulid::new(), "note", b"1").unwrap(),
        Err(vault::Erased)
    );
}

#[test]
fn a_missing_master_key_is_made_only_for_an_empty_store() {
    let d = dirs();
    {
        let v = Vault::open(&d.data, &d.master).unwrap();
        assert!(d.master.exists());
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&d.master).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        v.seal(Ulid::new(), Ulid::new(), "note", b"1")
            .unwrap()
            .unwrap();
    }
    let moved = d.master.with_extension("moved");
    std::fs::rename(&d.master, &moved).unwrap();
    assert!(matches!(
        Vault::open(&d.data, &d.master),
        Err(VaultError::MasterKeyMissing { .. })
    ));
    assert!(!d.master.exists(), "no new master key was made");

    // Another installation's master key does not open the store.
    let stranger = dirs();
    Vault::open(&stranger.data, &stranger.master).unwrap();
    assert!(matches!(
        Vault::open(&d.data, &stranger.master),
        Err(VaultError::WrongMasterKey { .. })
    ));
    std::fs::write(&d.master, [1u8; 5]).unwrap();
    assert!(matches!(
        Vault::open(&d.data, &d.master),
        Err(VaultError::MasterKeyInvalid { len: 5, .. })
    ));
    std::fs::rename(&moved, &d.master).unwrap();
    Vault::open(&d.data, &d.master).unwrap();
}

#[test]
fn a_torn_last_slot_is_cut_off() {
    let d = dirs();
    let person = Ulid::new();
    let event = Ulid::new();
    let sealed = {
        let v = Vault::open(&d.data, &d.master).unwrap();
        v.seal(person, event, "note", b"1").unwrap().unwrap()
    };
    let path = d.data.join(PERSON_KEYS_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(&[7u8; 40]);
    std::fs::write(&path, &bytes).unwrap();
    let v = Vault::open(&d.data, &d.master).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), SLOT_LEN as u64);
    assert_eq!(
        plain(v.open_sealed(person, event, "note", &sealed).unwrap()),
        b"1"
    );
    assert_eq!(v.person_count(), 1);
}

#[test]
fn pseudonyms_are_stable_short_and_keyed() {
    let d = dirs();
    let person = Ulid::new();
    let p = Vault::open(&d.data, &d.master).unwrap().pseudonym(person);
    assert_eq!(p.len(), 12);
    assert!(p.bytes().all(|b| b.is_ascii_hexdigit()));
    let v = Vault::open(&d.data, &d.master).unwrap();
    assert_eq!(v.pseudonym(person), p, "stable across restarts");
    assert_ne!(v.pseudonym(Ulid::new()), p);
    let unkeyed = blake3::hash(&person.0.to_be_bytes()).to_hex()[..12].to_string();
    assert_ne!(p, unkeyed, "not computable from the id alone");
    let other = dirs();
    assert_ne!(
        Vault::open(&other.data, &other.master)
            .unwrap()
            .pseudonym(person),
        p,
        "another master key gives other pseudonyms"
    );
}

/// Reads every file of `dir` (name and bytes).
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn inspect_names_each_damaged_slot_and_writes_nothing() {
    let d = dirs();
    let persons: Vec<Ulid> = (0..4).map(|_| Ulid::new()).collect();
    {
        let v = Vault::open(&d.data, &d.master).unwrap();
        for p in &persons {
            v.seal(*p, Ulid::new(), "personal", b"x").unwrap().unwrap();
        }
        v.destroy(persons[3]).unwrap();
        assert!(v.mark_foreign(Ulid::new()).unwrap());
    }
    let report = vault::inspect(&d.data, Some(&d.master)).unwrap();
    assert!(report.exists && report.wrappings_checked);
    assert!(report.damaged.is_empty(), "{:?}", report.damaged);
    assert_eq!(report.persons.len(), 5);
    assert_eq!(report.persons[&persons[3]], KeyState::Destroyed);
    assert_eq!(
        report
            .persons
            .values()
            .filter(|s| **s == KeyState::Foreign)
            .count(),
        1
    );

    let path = d.data.join(PERSON_KEYS_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[SLOT_LEN + 30] ^= 0x01; // slot 1: its wrapped key
    bytes[2 * SLOT_LEN + SLOT_LEN - 1] ^= 0x02; // slot 2: its state byte, 1 -> 3
    bytes[3 * SLOT_LEN + 20] = 0x55; // slot 3 (destroyed): not zeros
    bytes.extend_from_slice(&[7; 10]); // a torn slot
    std::fs::write(&path, &bytes).unwrap();
    let before = snapshot(&d.data);
    let report = vault::inspect(&d.data, Some(&d.master)).unwrap();
    let damaged: Vec<(u64, &str)> = report.damaged.iter().map(|s| (s.slot, s.reason)).collect();
    assert_eq!(
        damaged,
        vec![
            (1, "the wrapped key does not open"),
            (2, "unknown state byte"),
            (3, "a slot without a key that does not hold zeros"),
        ]
    );
    assert_eq!(report.torn_tail_bytes, 10);
    // Without the master key the structure is still checked, not the wrappings.
    let report = vault::inspect(&d.data, None).unwrap();
    assert!(!report.wrappings_checked);
    assert_eq!(report.damaged.len(), 2);
    assert_eq!(snapshot(&d.data), before, "inspect wrote nothing");
}

#[test]
fn a_read_only_vault_changes_no_byte() {
    let d = dirs();
    let person = Ulid::new();
    {
        let v = Vault::open(&d.data, &d.master).unwrap();
        v.seal(person, Ulid::new(), "personal", b"x")
            .unwrap()
            .unwrap();
    }
    let path = d.data.join(PERSON_KEYS_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(&[1; 5]); // a torn slot, left where it is
    std::fs::write(&path, &bytes).unwrap();
    let before = snapshot(&d.data);
    let v = Vault::open_read_only(&d.data, &d.master).unwrap();
    assert_eq!(v.key_state(person), KeyState::Active);
    assert!(v.destroy(person).unwrap());
    assert_eq!(v.key_state(person), KeyState::Destroyed, "in memory");
    v.seal(Ulid::new(), Ulid::new(), "personal", b"y")
        .unwrap()
        .unwrap();
    drop(v);
    assert_eq!(snapshot(&d.data), before);
    // A directory without keys: no master key or key store is made.
    let empty = dirs();
    std::fs::create_dir_all(&empty.data).unwrap();
    Vault::open_read_only(&empty.data, &empty.master).unwrap();
    assert!(!empty.master.exists());
    assert!(!empty.data.join(PERSON_KEYS_FILE).exists());
}
