//! Record format 2 (docs/adr/0015): random payloads appended to a real journal, mixed with
//! payloads that stay format 1. Every record reads back byte for byte, verifies, survives a
//! restart and an import into another journal with the same hashes, and each of its fields is
//! proven apart: its disclosure's digest is in the commitment the hashed body holds, and a
//! disclosure with any byte changed is not.
//!
//! `JOURNAL_PROPTEST_CASES` raises the number of cases (default 32); the seed is fixed.

mod common;

use journal::{
    payload_commitment, Actor, ExpectedVersion, Journal, NewEvent, Position, RecordedEvent,
    Timestamp, FORMAT_V1, FORMAT_V2,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};
use ulid::Ulid;

use common::env_number;

/// A JSON value as text, nested a little.
fn value_strategy() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i32>().prop_map(|n| n.to_string()),
        "[a-z ,:{}\\[\\]\"\\\\é]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("null".to_string()),
        Just("true".to_string()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-z]{1,5}", inner), 0..4).prop_map(|v| {
                let mut seen = std::collections::BTreeSet::new();
                let fields: Vec<String> = v
                    .into_iter()
                    .filter(|(k, _)| seen.insert(k.clone()))
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

/// A payload: a compact JSON object (format 2) or, now and then, bytes that are not one.
fn payload_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => prop::collection::btree_map("[a-zA-Z_]{1,10}", value_strategy(), 0..8).prop_map(|m| {
            let fields: Vec<String> = m.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", fields.join(",")).into_bytes()
        }),
        1 => Just(b"not json at all".to_vec()),
        1 => Just(b"{ \"spaced\": 1 }".to_vec()),
        1 => Just(b"[1,2]".to_vec()),
    ]
}

fn new_event(n: u128, payload: Vec<u8>) -> NewEvent {
    NewEvent {
        id: Ulid(n + 1),
        event_type: "Noted".into(),
        schema_version: 1,
        occurred_at: Timestamp(1_700_000_000_000_000),
        actor: Actor {
            id: "m.rossi".into(),
            role: "mediator".into(),
        },
        payload,
    }
}

/// The fields of a format-2 record are each proven against its hash, and an altered one is not.
fn check_fields(record: &RecordedEvent, flip: usize) {
    let body = record.body_bytes();
    assert_eq!(
        journal::chain_hash(&record.prev_hash, &body),
        record.hash,
        "the hash covers the body"
    );
    let disclosures = record.disclosures().expect("format 2 has its fields");
    let digests: Vec<_> = disclosures.iter().map(|d| d.digest()).collect();
    assert_eq!(record.field_digests().unwrap(), digests);
    // The body ends with the payload commitment, then the previous hash.
    let commitment = &body[body.len() - 64..body.len() - 32];
    assert_eq!(commitment, payload_commitment(&digests));
    // Every field's value is JSON, as the payload holds it.
    for d in &disclosures {
        serde_json::from_slice::<serde_json::Value>(d.value).expect("a field's value is JSON");
    }
    if let Some(d) = disclosures.get(flip % disclosures.len().max(1)) {
        let mut value = d.value.to_vec();
        let at = flip % value.len();
        value[at] ^= 1;
        let altered = journal::digest(&d.salt, d.name, &value);
        assert!(
            !digests.contains(&altered),
            "an altered disclosure proves nothing"
        );
        let mut salt = d.salt;
        salt[0] ^= 1;
        assert!(!digests.contains(&journal::digest(&salt, d.name, d.value)));
    }
}

fn run(payloads: &[Vec<u8>], flip: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal");
    let journal = Journal::open(&path, journal::Options::default()).unwrap();
    for (n, payload) in payloads.iter().enumerate() {
        let event = new_event(n as u128, payload.clone());
        journal
            .append_blocking("notes-1", ExpectedVersion::Any, vec![event])
            .unwrap()
            .unwrap();
    }
    let check = |journal: &Journal| -> Vec<RecordedEvent> {
        let all = journal.read_forward(Position(1), usize::MAX).unwrap();
        assert_eq!(all.len(), payloads.len());
        for (record, payload) in all.iter().zip(payloads) {
            assert_eq!(&record.payload, payload, "read back byte for byte");
            let object = payload.starts_with(b"{\"") || payload == b"{}";
            let format = if object { FORMAT_V2 } else { FORMAT_V1 };
            assert_eq!(
                record.format(),
                format,
                "{}",
                String::from_utf8_lossy(payload)
            );
            assert_eq!(record.stored_bytes()[0], format);
            let decoded = journal::decode_record(&record.stored_bytes()).unwrap();
            assert_eq!(&decoded, record);
            if object {
                check_fields(record, flip);
            }
        }
        let report = journal.verify(None, None, &mut |_| {}).unwrap();
        assert!(report.is_intact(), "{report:?}");
        all
    };
    let before = check(&journal);
    drop(journal);
    let journal = Journal::open(&path, journal::Options::default()).unwrap();
    assert_eq!(check(&journal), before, "the same records after a restart");
    // An export taken in as it is: the same bytes, the same hashes, in another journal.
    let copy_path = dir.path().join("copy");
    let copy = Journal::open(&copy_path, journal::Options::default()).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(copy.import_recorded(before.clone()))
        .unwrap();
    assert_eq!(check(&copy), before);
    assert_eq!(copy.head(), journal.head());
}

#[test]
fn format_2_records_prove_each_field_apart_and_mix_with_format_1() {
    let config = Config {
        cases: u32::try_from(env_number("JOURNAL_PROPTEST_CASES", 32)).unwrap(),
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x0015),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    runner
        .run(
            &(
                prop::collection::vec(payload_strategy(), 1..12),
                any::<usize>(),
            ),
            |(payloads, flip)| {
                run(&payloads, flip);
                Ok(())
            },
        )
        .unwrap();
}
