//! Model-based test: random appends, reads, restarts and verifications against a plain `Vec`
//! model. The journal must give the same outcomes, positions, versions and hashes as the model,
//! restarts included.
//!
//! `JOURNAL_PROPTEST_CASES` raises the number of cases (default 64); the seed is fixed.

mod common;

use journal::{
    chain_hash, Appended, ChainHash, Conflict, ExpectedVersion, Head, IdReused, Journal,
    JournalError, NewEvent, Position, RecordedEvent, Rejected, Salts, Timestamp,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};
use ulid::Ulid;

use common::{env_number, event, TestClock};

const STREAMS: [&str; 3] = ["case-1", "case-2", "logbook-7"];

#[derive(Clone, Debug)]
enum Expect {
    Any,
    NoStream,
    /// `Exactly` the stream's actual version.
    Right,
    /// `Exactly` a version off by this much (never the actual one).
    Wrong(u64),
    /// `Exactly` this version, right or wrong.
    Raw(u64),
}

#[derive(Clone, Debug)]
enum Pick {
    /// An id never used before.
    Fresh,
    /// An id already used (a fresh one while none is).
    Old(Index),
}

#[derive(Clone, Debug)]
enum Op {
    Append {
        stream: usize,
        expect: Expect,
        events: Vec<(Pick, u8)>,
        now: i64,
    },
    /// Sends an earlier append again, as a client retrying after a timeout would.
    Retry {
        which: Index,
        expect: Expect,
        now: i64,
    },
    ReadForward {
        from: u64,
        limit: usize,
    },
    ReadBackward {
        from: Option<u64>,
        limit: usize,
    },
    ReadStream {
        stream: usize,
        from: u64,
        to: Option<u64>,
    },
    GetById(Pick),
    Get(u64),
    Restart,
    Verify {
        from: Option<u64>,
        to: Option<u64>,
    },
}

fn expect_strategy() -> impl Strategy<Value = Expect> {
    prop_oneof![
        2 => Just(Expect::Any),
        1 => Just(Expect::NoStream),
        3 => Just(Expect::Right),
        1 => (1u64..3).prop_map(Expect::Wrong),
        1 => (0u64..6).prop_map(Expect::Raw),
    ]
}

fn pick_strategy() -> impl Strategy<Value = Pick> {
    prop_oneof![4 => Just(Pick::Fresh), 1 => any::<Index>().prop_map(Pick::Old)]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    // `now` sometimes goes backwards: recorded_at must not.
    let now = 1_000i64..1_100;
    prop_oneof![
        8 => (
            0..STREAMS.len(),
            expect_strategy(),
            prop::collection::vec((pick_strategy(), prop_oneof![3 => Just(0u8), 1 => Just(1u8)]), 1..=3),
            now.clone(),
        )
            .prop_map(|(stream, expect, events, now)| Op::Append { stream, expect, events, now }),
        2 => (any::<Index>(), expect_strategy(), now)
            .prop_map(|(which, expect, now)| Op::Retry { which, expect, now }),
        1 => (0u64..40, 0usize..6).prop_map(|(from, limit)| Op::ReadForward { from, limit }),
        1 => (prop::option::of(0u64..40), 0usize..6)
            .prop_map(|(from, limit)| Op::ReadBackward { from, limit }),
        1 => (0..STREAMS.len(), 0u64..6, prop::option::of(0u64..8))
            .prop_map(|(stream, from, to)| Op::ReadStream { stream, from, to }),
        1 => pick_strategy().prop_map(Op::GetById),
        1 => (0u64..40).prop_map(Op::Get),
        1 => Just(Op::Restart),
        1 => (prop::option::of(0u64..40), prop::option::of(0u64..40))
            .prop_map(|(from, to)| Op::Verify { from, to }),
    ]
}

/// The journal as a plain `Vec` of the events it holds, in position order.
#[derive(Default)]
struct Model {
    events: Vec<RecordedEvent>,
    /// Every append sent so far (stream, events), for retries.
    sent: Vec<(String, Vec<NewEvent>)>,
    next_fresh: u128,
}

impl Model {
    fn head(&self) -> Head {
        match self.events.last() {
            Some(e) => Head {
                position: e.position,
                hash: e.hash,
            },
            None => Head {
                position: Position::ZERO,
                hash: ChainHash::genesis(),
            },
        }
    }

    fn stream(&self, stream: &str) -> Vec<&RecordedEvent> {
        self.events.iter().filter(|e| e.stream == stream).collect()
    }

    fn by_id(&self, id: Ulid) -> Option<&RecordedEvent> {
        self.events.iter().find(|e| e.id == id)
    }

    fn id(&mut self, pick: &Pick) -> Ulid {
        match pick {
            Pick::Old(index) if !self.events.is_empty() => {
                self.events[index.index(self.events.len())].id
            }
            _ => {
                self.next_fresh += 1;
                Ulid(self.next_fresh)
            }
        }
    }

    fn expected(&self, stream: &str, expect: &Expect) -> ExpectedVersion {
        let actual = self.stream(stream).len() as u64;
        match *expect {
            Expect::Any => ExpectedVersion::Any,
            Expect::NoStream => ExpectedVersion::NoStream,
            Expect::Right => ExpectedVersion::Exactly(actual),
            Expect::Wrong(d) if actual >= d && d % 2 == 1 => ExpectedVersion::Exactly(actual - d),
            Expect::Wrong(d) => ExpectedVersion::Exactly(actual + d),
            Expect::Raw(n) => ExpectedVersion::Exactly(n),
        }
    }

    /// What the journal must answer; `None` for an append the journal refuses as invalid.
    fn append(
        &mut self,
        stream: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
        now: i64,
        salts: &[Option<Salts>],
    ) -> Option<Result<Appended, Rejected>> {
        for (i, e) in events.iter().enumerate() {
            if events[..i].iter().any(|o| o.id == e.id) {
                return None;
            }
        }
        // Idempotency first: ids already recorded.
        if events.iter().any(|e| self.by_id(e.id).is_some()) {
            let mut originals = Vec::new();
            for e in events {
                let Some(original) = self.by_id(e.id) else {
                    let seen = events.iter().find_map(|e| self.by_id(e.id)).unwrap();
                    return Some(Err(Rejected::IdReused(IdReused {
                        id: seen.id,
                        position: seen.position,
                    })));
                };
                if !original.same_content(stream, e) {
                    return Some(Err(Rejected::IdReused(IdReused {
                        id: e.id,
                        position: original.position,
                    })));
                }
                originals.push(original.clone());
            }
            return Some(Ok(Appended {
                events: originals,
                already_recorded: true,
            }));
        }
        let actual = self.stream(stream).len() as u64;
        let ok = match expected {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => actual == 0,
            ExpectedVersion::Exactly(n) => n == actual,
        };
        if !ok {
            return Some(Err(Rejected::Conflict(Conflict {
                stream: stream.to_owned(),
                expected,
                actual,
            })));
        }
        let recorded_at = Timestamp(self.events.last().map_or(now, |e| e.recorded_at.0.max(now)));
        let mut recorded = Vec::new();
        for (i, e) in events.iter().enumerate() {
            let head = self.head();
            let mut r = RecordedEvent {
                id: e.id,
                position: head.position.next(),
                stream: stream.to_owned(),
                version: actual + i as u64 + 1,
                event_type: e.event_type.clone(),
                schema_version: e.schema_version,
                occurred_at: e.occurred_at,
                recorded_at,
                actor: e.actor.clone(),
                payload: e.payload.clone(),
                append_index: i as u16,
                append_len: events.len() as u16,
                prev_hash: head.hash,
                hash: head.hash,
                // The salts are the journal's to draw, as the recorded time is its clock's: the
                // model takes them from the journal's answer, and says which records have them
                // (format 2: every payload that is a JSON object).
                salts: salts.get(i).cloned().flatten(),
            };
            assert_eq!(
                r.salts.is_some(),
                e.payload.starts_with(b"{"),
                "format of the record at {}",
                r.position
            );
            r.hash = chain_hash(&head.hash, &r.body_bytes());
            self.events.push(r.clone());
            recorded.push(r);
        }
        Some(Ok(Appended {
            events: recorded,
            already_recorded: false,
        }))
    }
}

struct World {
    dir: tempfile::TempDir,
    clock: TestClock,
    journal: Option<Journal>,
    model: Model,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let clock = TestClock::new(1_000);
        let journal = Journal::open(dir.path(), clock.options()).unwrap();
        World {
            dir,
            clock,
            journal: Some(journal),
            model: Model::default(),
        }
    }

    fn journal(&self) -> &Journal {
        self.journal.as_ref().unwrap()
    }

    fn send(&mut self, stream: &str, expect: &Expect, events: Vec<NewEvent>, now: i64) {
        let expected = self.model.expected(stream, expect);
        self.clock.set(now);
        let got = self
            .journal()
            .append_blocking(stream, expected, events.clone());
        let salts: Vec<Option<Salts>> = match &got {
            Ok(Ok(appended)) if !appended.already_recorded => {
                appended.events.iter().map(|e| e.salts.clone()).collect()
            }
            _ => Vec::new(),
        };
        let want = self.model.append(stream, expected, &events, now, &salts);
        match (got, want) {
            (Ok(got), Some(want)) => assert_eq!(got, want, "append to {stream} {expected:?}"),
            (Err(JournalError::InvalidAppend(_)), None) => {}
            (got, want) => panic!("append to {stream}: journal {got:?}, model {want:?}"),
        }
        self.model.sent.push((stream.to_owned(), events));
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Append {
                stream,
                expect,
                events,
                now,
            } => {
                let events: Vec<NewEvent> = events
                    .iter()
                    .map(|(pick, variant)| event(self.model.id(pick).0, *variant))
                    .collect();
                self.send(STREAMS[*stream], expect, events, *now);
            }
            Op::Retry { which, expect, now } => {
                if self.model.sent.is_empty() {
                    return;
                }
                let (stream, events) = self.model.sent[which.index(self.model.sent.len())].clone();
                self.send(&stream, expect, events, *now);
            }
            Op::ReadForward { from, limit } => {
                let want: Vec<_> = self
                    .model
                    .events
                    .iter()
                    .filter(|e| e.position.0 >= *from)
                    .take(*limit)
                    .cloned()
                    .collect();
                let got = self
                    .journal()
                    .read_forward(Position(*from), *limit)
                    .unwrap();
                assert_eq!(got, want, "read_forward({from}, {limit})");
                let all: Vec<_> = self
                    .journal()
                    .iter_forward(Position(*from))
                    .collect::<Result<_, _>>()
                    .unwrap();
                assert_eq!(
                    all.len(),
                    self.model
                        .events
                        .iter()
                        .filter(|e| e.position.0 >= *from)
                        .count()
                );
            }
            Op::ReadBackward { from, limit } => {
                let head = self.model.head().position.0;
                let start = from.unwrap_or(head).min(head);
                let want: Vec<_> = self
                    .model
                    .events
                    .iter()
                    .rev()
                    .filter(|e| e.position.0 <= start)
                    .take(*limit)
                    .cloned()
                    .collect();
                let got = self
                    .journal()
                    .read_backward(from.map(Position), *limit)
                    .unwrap();
                assert_eq!(got, want, "read_backward({from:?}, {limit})");
            }
            Op::ReadStream { stream, from, to } => {
                let stream = STREAMS[*stream];
                let want: Vec<_> = self
                    .model
                    .stream(stream)
                    .into_iter()
                    .filter(|e| e.version >= *from && to.is_none_or(|to| e.version <= to))
                    .cloned()
                    .collect();
                let got = self.journal().read_stream(stream, *from, *to).unwrap();
                assert_eq!(got, want, "read_stream({stream}, {from}, {to:?})");
            }
            Op::GetById(pick) => {
                let id = self.model.id(pick);
                let want = self.model.by_id(id).cloned();
                assert_eq!(
                    self.journal().get_by_id(id).unwrap(),
                    want,
                    "get_by_id({id})"
                );
                assert_eq!(self.journal().position_of(id), want.map(|e| e.position));
            }
            Op::Get(position) => {
                let want = self
                    .model
                    .events
                    .iter()
                    .find(|e| e.position.0 == *position)
                    .cloned();
                assert_eq!(self.journal().get(Position(*position)).unwrap(), want);
            }
            Op::Restart => {
                self.journal.take().unwrap().close();
                self.journal = Some(Journal::open(self.dir.path(), self.clock.options()).unwrap());
            }
            Op::Verify { from, to } => {
                let head = self.model.head();
                let report = self.journal().verify(*from, *to, &mut |_| {}).unwrap();
                assert!(report.is_intact(), "{report:?}");
                let first = from.unwrap_or(1).max(1);
                let last = to.unwrap_or(u64::MAX).min(head.position.0);
                let checked: Vec<_> = self
                    .model
                    .events
                    .iter()
                    .filter(|e| e.position.0 >= first && e.position.0 <= last)
                    .collect();
                assert_eq!(report.checked, checked.len() as u64, "{report:?}");
                assert_eq!(
                    report.head,
                    checked.last().map(|e| Head {
                        position: e.position,
                        hash: e.hash
                    })
                );
                let recorded = (head.position.0 > 0).then_some(head);
                assert_eq!(report.recorded_head, recorded);
            }
        }
        self.check_head();
    }

    fn check_head(&self) {
        let journal = self.journal();
        assert_eq!(journal.head(), self.model.head());
        for stream in STREAMS {
            assert_eq!(
                journal.stream_version(stream),
                self.model.stream(stream).len() as u64,
                "version of {stream}"
            );
        }
    }

    fn check_all(&self) {
        let journal = self.journal();
        let all = journal.read_forward(Position(1), usize::MAX).unwrap();
        assert_eq!(all, self.model.events);
        let report = journal.verify(None, None, &mut |_| {}).unwrap();
        assert!(report.is_intact(), "{report:?}");
        assert_eq!(report.checked, self.model.events.len() as u64);
        if let Some(last) = self.model.events.last() {
            assert_eq!(journal.head().hash, last.hash, "head hash is the last hash");
        }
        // The Merkle tree holds exactly the model's records, restarts included.
        let mut tree = journal::merkle::CompactLevels::new(63);
        for event in &self.model.events {
            tree.push(journal::merkle::leaf_hash(&event.hash.0));
        }
        assert_eq!(journal.tree_head(), (tree.size(), tree.root()));
    }
}

fn run(ops: &[Op]) {
    let mut world = World::new();
    for op in ops {
        world.apply(op);
    }
    world.check_all();
    world.apply(&Op::Restart);
    world.check_all();
}

#[test]
fn journal_behaves_like_the_model() {
    let config = Config {
        cases: u32::try_from(env_number("JOURNAL_PROPTEST_CASES", 64)).unwrap(),
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x1A_0C7),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&prop::collection::vec(op_strategy(), 1..40), |ops| {
        run(&ops);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
