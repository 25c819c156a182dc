//! The signed checkpoint note: round trip, exact bytes, and every kind of damage refused.

use merkle::checkpoint::{CheckpointError, PublicKey, SignedCheckpoint, SigningKey, Time};
use merkle::{leaf_hash, Root, TreeSize};

fn key(seed: u8) -> SigningKey {
    SigningKey::from_secret(&[seed; 32])
}

fn signed() -> (SigningKey, SignedCheckpoint) {
    let key = key(7);
    let root = Root(leaf_hash(b"some root"));
    let time = Time::parse("2024-05-31T18:00:00Z").unwrap();
    let checkpoint = key.sign(TreeSize(1234), root, time);
    (key, checkpoint)
}

#[test]
fn a_note_prints_reads_back_and_verifies() {
    let (key, checkpoint) = signed();
    let note = checkpoint.to_note();
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0], key.public().origin());
    assert_eq!(lines[0].len(), "impact-journal/".len() + 16);
    assert_eq!(lines[1], "1234");
    assert_eq!(lines[3], "2024-05-31T18:00:00Z");
    assert_eq!(lines[4], "");
    assert!(lines[5].starts_with("\u{2014} impact-journal/"));
    let read = SignedCheckpoint::parse(&note).unwrap();
    assert_eq!(read, checkpoint);
    read.verify(&key.public()).unwrap();
    // Mail mangles line ends; the note still reads.
    let mailed = format!("\r\n{}\r\n", note.replace('\n', "\r\n"));
    SignedCheckpoint::parse(&mailed)
        .unwrap()
        .verify(&key.public())
        .unwrap();
    // The public key reads back from what `impact key show` prints, in hex or base64.
    let public = key.public();
    assert_eq!(PublicKey::parse(&public.to_hex()).unwrap(), public);
    let b64 = merkle::checkpoint::base64_encode(&public.to_bytes());
    assert_eq!(PublicKey::parse(&b64).unwrap(), public);
}

#[test]
fn an_altered_note_or_another_key_is_refused() {
    let (signer, checkpoint) = signed();
    let key = &signer;
    let note = checkpoint.to_note();
    let bigger = note.replacen("\n1234\n", "\n1235\n", 1);
    assert_eq!(
        SignedCheckpoint::parse(&bigger)
            .unwrap()
            .verify(&key.public()),
        Err(CheckpointError::BadSignature)
    );
    let later = note.replace("2024-05-31T18:00:00Z", "2024-06-30T18:00:00Z");
    assert_eq!(
        SignedCheckpoint::parse(&later)
            .unwrap()
            .verify(&key.public()),
        Err(CheckpointError::BadSignature)
    );
    // Another installation's key: the origin already says so.
    let other = SigningKey::from_secret(&[8; 32]);
    assert!(matches!(
        checkpoint.verify(&other.public()),
        Err(CheckpointError::OtherKey { .. })
    ));
    // The same origin with a forged signature.
    let mut forged = checkpoint.clone();
    forged.signature[10] ^= 1;
    assert_eq!(
        forged.verify(&key.public()),
        Err(CheckpointError::BadSignature)
    );
}

#[test]
fn malformed_notes_name_the_line() {
    let (_, checkpoint) = signed();
    let note = checkpoint.to_note();
    let cases = [
        (note.replacen("impact-journal/", "other/", 1), 1),
        (note.replacen("\n1234\n", "\n01234\n", 1), 2),
        (note.replacen("\n1234\n", "\n12x4\n", 1), 2),
        (
            note.replace("2024-05-31T18:00:00Z", "2024-02-30T18:00:00Z"),
            4,
        ),
        (note.replace("2024-05-31T18:00:00Z", "31/05/2024"), 4),
        (note.replace("\u{2014} ", "-- "), 6),
    ];
    for (text, line) in cases {
        match SignedCheckpoint::parse(&text) {
            Err(CheckpointError::Malformed { line: found, .. }) => {
                assert_eq!(found, line, "{text}")
            }
            other => panic!("expected line {line} to be named, got {other:?}"),
        }
    }
    let truncated: String = note.lines().take(4).collect::<Vec<_>>().join("\n");
    assert!(matches!(
        SignedCheckpoint::parse(&truncated),
        Err(CheckpointError::Malformed { .. })
    ));
    assert!(PublicKey::parse("not a key").is_err());
}

#[test]
fn times_print_and_read_as_rfc3339() {
    for text in [
        "1970-01-01T00:00:00Z",
        "2000-02-29T23:59:59Z",
        "2024-05-31T18:00:00Z",
        "2099-12-31T00:00:01Z",
    ] {
        let time = Time::parse(text).unwrap();
        assert_eq!(time.to_rfc3339(), text);
    }
    assert_eq!(Time(0).to_rfc3339(), "1970-01-01T00:00:00Z");
    assert_eq!(Time(1_717_178_400).to_rfc3339(), "2024-05-31T18:00:00Z");
    assert_eq!(Time::parse("2023-02-29T00:00:00Z"), None);
}
