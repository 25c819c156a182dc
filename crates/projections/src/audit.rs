//! The audit index: who recorded what, when, in which order, for every event.

use chrono::{DateTime, Utc};
use domain::{CaseId, CheckpointSigned, PersonId, SiteId};
use journal::{Position, Timestamp};

use crate::apply::{At, Fold};
use crate::index::{AuditPostings, Candidates};
use crate::model::Target;
use crate::model::{Ix, ReadModels, NO_IX};
use crate::sym::Sym;
use crate::table::{Slice, Table};

/// One event in the index: 48 bytes, so 1,000,000 events take about 46 MiB (plus the distinct
/// stream names, interned once).
#[derive(Clone, Copy)]
pub(crate) struct AuditRow {
    pub stream: Sym,
    pub event_type: Sym,
    pub actor: Sym,
    pub role: Sym,
    pub site: Sym,
    pub person: Ix,
    pub case: Ix,
    pub occurred_us: i64,
    pub recorded_us: i64,
}

/// Rows by position: `rows[i]` is the event at position `first + i`; with the postings of each
/// field a filter names (derived from the rows: rebuilt when a snapshot is read).
#[derive(Clone, Default)]
pub(crate) struct AuditIndex {
    pub first: u64,
    pub rows: Table<AuditRow>,
    pub postings: AuditPostings,
    /// Some row was recorded before the row ahead of it (the journal refuses that; a caller
    /// folding made-up records may not): times of recording then cannot be binary searched.
    pub recorded_back: bool,
}

impl AuditIndex {
    pub(crate) fn push(&mut self, position: Position, row: AuditRow, gap: AuditRow) {
        if self.rows.is_empty() {
            self.first = position.get();
        } else {
            // Positions are gap-free; should a caller skip some, the skipped ones are kept as
            // rows of type "(missing)" so that indices stay positions. A gap takes the time of
            // recording of the row before it, so that times of recording never decrease.
            let gap = AuditRow {
                recorded_us: self.rows.last().map_or(gap.recorded_us, |r| r.recorded_us),
                ..gap
            };
            while self.first + (self.rows.len() as u64) < position.get() {
                self.push_row(gap);
            }
        }
        self.push_row(row);
    }

    /// Appends `row` and lists it in the postings.
    pub(crate) fn push_row(&mut self, row: AuditRow) {
        let i = self.rows.len();
        if self
            .rows
            .last()
            .is_some_and(|r| r.recorded_us > row.recorded_us)
        {
            self.recorded_back = true;
        }
        let p = &mut self.postings;
        p.stream.push(row.stream, Sym::NONE, i);
        p.event_type.push(row.event_type, Sym::NONE, i);
        p.actor.push(row.actor, Sym::NONE, i);
        p.role.push(row.role, Sym::NONE, i);
        p.site.push(row.site, Sym::NONE, i);
        p.person.push(row.person, NO_IX, i);
        p.case.push(row.case, NO_IX, i);
        self.rows.push_back(row);
    }

    pub(crate) fn position_of(&self, i: usize) -> Position {
        Position(self.first + i as u64)
    }
}

/// A time range; both ends optional, `from` included, `to` excluded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl TimeRange {
    fn bounds(&self) -> (i64, i64) {
        (
            self.from.map_or(i64::MIN, |t| Timestamp::from(t).micros()),
            self.to.map_or(i64::MAX, |t| Timestamp::from(t).micros()),
        )
    }
}

/// Positions, both ends optional and included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PositionRange {
    pub from: Option<Position>,
    pub to: Option<Position>,
}

/// Which events to list; every field set must match (empty `event_types`: any type).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub stream: Option<String>,
    pub event_types: Vec<String>,
    /// Actor id.
    pub actor: Option<String>,
    /// Actor role as recorded (`"mediator"`, ...).
    pub role: Option<String>,
    pub site: Option<SiteId>,
    pub person: Option<PersonId>,
    pub case: Option<CaseId>,
    pub occurred: TimeRange,
    pub recorded: TimeRange,
    pub positions: PositionRange,
}

/// A Relay connection request: cursors are positions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Only items after this position.
    pub after: Option<Position>,
    /// Only items before this position.
    pub before: Option<Position>,
    /// The first `n` of what remains.
    pub first: Option<usize>,
    /// The last `n` of what remains (after `first`, as Relay says).
    pub last: Option<usize>,
    /// Count every item matching the filter (ignores the cursors; costs a full scan).
    pub with_total: bool,
}

/// One page of a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Some matching item comes after the last one returned (whatever `before` said).
    pub has_next_page: bool,
    /// Some matching item comes before the first one returned (whatever `after` said).
    pub has_previous_page: bool,
    pub total: Option<usize>,
}

impl<T> Page<T> {
    /// No item.
    pub(crate) fn empty(with_total: bool) -> Self {
        Page {
            items: Vec::new(),
            has_next_page: false,
            has_previous_page: false,
            total: with_total.then_some(0),
        }
    }

    /// The page with each item turned by `f`.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total: self.total,
        }
    }

    /// The page with each item turned by `f` (the items it turns to `None` dropped).
    pub(crate) fn filter_map<U>(self, f: impl FnMut(T) -> Option<U>) -> Page<U> {
        Page {
            items: self.items.into_iter().filter_map(f).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total: self.total,
        }
    }
}

/// What the index knows of one event; the API reads the event itself from the journal.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub position: Position,
    pub stream: String,
    pub event_type: String,
    pub actor_id: String,
    pub actor_role: String,
    pub site: Option<SiteId>,
    pub person: Option<PersonId>,
    pub case: Option<CaseId>,
    #[serde(serialize_with = "micros")]
    pub occurred_at: Timestamp,
    #[serde(serialize_with = "micros")]
    pub recorded_at: Timestamp,
}

/// A [`Timestamp`] as its microseconds since the epoch (the journal's own unit).
fn micros<S: serde::Serializer>(at: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(at.micros())
}

/// A filter with its strings resolved to symbols; `None` when it can match nothing.
struct Resolved {
    stream: Option<Sym>,
    event_types: Vec<Sym>,
    actor: Option<Sym>,
    role: Option<Sym>,
    site: Option<Sym>,
    person: Option<Ix>,
    case: Option<Ix>,
    occurred: (i64, i64),
    recorded: (i64, i64),
}

impl Resolved {
    fn matches(&self, r: &AuditRow) -> bool {
        self.stream.is_none_or(|s| s == r.stream)
            && (self.event_types.is_empty() || self.event_types.contains(&r.event_type))
            && self.actor.is_none_or(|s| s == r.actor)
            && self.role.is_none_or(|s| s == r.role)
            && self.site.is_none_or(|s| s == r.site)
            && self.person.is_none_or(|p| p == r.person)
            && self.case.is_none_or(|c| c == r.case)
            && (self.occurred.0..self.occurred.1).contains(&r.occurred_us)
            && (self.recorded.0..self.recorded.1).contains(&r.recorded_us)
    }
}

impl ReadModels {
    fn resolve(&self, f: &AuditFilter) -> Option<Resolved> {
        let sym = |s: &Option<String>| -> Option<Option<Sym>> {
            match s {
                None => Some(None),
                Some(s) => self.syms.get(s).map(Some),
            }
        };
        let event_types = if f.event_types.is_empty() {
            Vec::new()
        } else {
            let known: Vec<Sym> = f
                .event_types
                .iter()
                .filter_map(|t| self.syms.get(t))
                .collect();
            if known.is_empty() {
                return None;
            }
            known
        };
        Some(Resolved {
            stream: sym(&f.stream)?,
            event_types,
            actor: sym(&f.actor)?,
            role: sym(&f.role)?,
            site: match &f.site {
                None => None,
                Some(s) => Some(self.syms.get(s.as_str())?),
            },
            person: match &f.person {
                None => None,
                Some(p) => Some(self.person_keys.get(p)?),
            },
            case: match &f.case {
                None => None,
                Some(c) => Some(self.case_keys.get(c)?),
            },
            occurred: f.occurred.bounds(),
            recorded: f.recorded.bounds(),
        })
    }

    /// Index range `lo..hi` of rows whose positions are within `range`, `after` and `before`.
    fn window(
        &self,
        range: PositionRange,
        after: Option<Position>,
        before: Option<Position>,
    ) -> (usize, usize) {
        let first = self.audit.first;
        let len = self.audit.rows.len();
        let ix = |p: u64| -> usize {
            usize::try_from(p.saturating_sub(first))
                .unwrap_or(usize::MAX)
                .min(len)
        };
        let mut lo = 0usize;
        let mut hi = len;
        if let Some(p) = range.from {
            lo = lo.max(ix(p.get()));
        }
        if let Some(p) = range.to {
            hi = hi.min(ix(p.get().saturating_add(1)));
        }
        if let Some(p) = after {
            lo = lo.max(ix(p.get().saturating_add(1)));
        }
        if let Some(p) = before {
            hi = hi.min(ix(p.get()));
        }
        (lo, hi.max(lo))
    }

    /// The rows a filter resolved to `r` can match within rows `lo..hi`: the window cut to its
    /// times of recording (they never decrease along the journal), then the shortest posting
    /// list among the fields the filter names.
    fn candidates(&self, r: &Resolved, lo: usize, hi: usize) -> Candidates<'_> {
        let rows = Slice::all(Some(&self.audit.rows));
        let (from, to) = r.recorded;
        let (lo, hi) = if self.audit.recorded_back {
            (lo, hi)
        } else {
            let lo = lo.max(rows.partition_point(|row| row.recorded_us < from));
            (
                lo,
                hi.min(rows.partition_point(|row| row.recorded_us < to))
                    .max(lo),
            )
        };
        let p = &self.audit.postings;
        let mut lists: Vec<Vec<Slice<u32>>> = Vec::new();
        if let Some(s) = r.stream {
            lists.push(vec![p.stream.get(s)]);
        }
        if !r.event_types.is_empty() {
            lists.push(r.event_types.iter().map(|t| p.event_type.get(*t)).collect());
        }
        for (key, postings) in [(r.actor, &p.actor), (r.role, &p.role), (r.site, &p.site)] {
            if let Some(s) = key {
                lists.push(vec![postings.get(s)]);
            }
        }
        if let Some(i) = r.person {
            lists.push(vec![p.person.get(i)]);
        }
        if let Some(i) = r.case {
            lists.push(vec![p.case.get(i)]);
        }
        Candidates::narrowest(lists, lo, hi)
    }

    /// Positions of the events matching `filter`, one Relay page of them, oldest first. The
    /// cost is that of the page, not of the history: the cursors and the times of recording are
    /// found by binary search, the rows walked are those of the shortest posting list the
    /// filter names.
    pub fn audit_positions(&self, filter: &AuditFilter, page: &PageRequest) -> Page<Position> {
        let empty = Page {
            items: Vec::new(),
            has_next_page: false,
            has_previous_page: false,
            total: page.with_total.then_some(0),
        };
        if self.audit.rows.is_empty() {
            return empty;
        }
        let Some(r) = self.resolve(filter) else {
            return empty;
        };
        let rows = &self.audit.rows;
        let (all_lo, all_hi) = self.window(filter.positions, None, None);
        let (lo, hi) = self.window(filter.positions, page.after, page.before);
        let matching = |i: &usize| r.matches(&rows[*i]);
        let within = self.candidates(&r, lo, hi);
        let mut items: Vec<usize> = match (page.first, page.last) {
            (Some(n), _) => within.iter(true).filter(matching).take(n).collect(),
            (None, Some(n)) => {
                let mut v: Vec<usize> = within.iter(false).filter(matching).take(n).collect();
                v.reverse();
                v
            }
            (None, None) => within.iter(true).filter(matching).collect(),
        };
        if let (Some(_), Some(n)) = (page.first, page.last) {
            let skip = items.len().saturating_sub(n);
            items.drain(..skip);
        }
        let (start, end) = match (items.first(), items.last()) {
            (Some(a), Some(b)) => (*a, *b + 1),
            _ => (lo, lo),
        };
        let before = self.candidates(&r, all_lo, start.max(all_lo));
        let has_previous_page = before.iter(false).any(|i| matching(&i));
        let after = self.candidates(&r, end.min(all_hi).max(all_lo), all_hi);
        let has_next_page = after.iter(true).any(|i| matching(&i));
        let total = page.with_total.then(|| {
            self.candidates(&r, all_lo, all_hi)
                .iter(true)
                .filter(matching)
                .count()
        });
        Page {
            items: items
                .into_iter()
                .map(|i| self.audit.position_of(i))
                .collect(),
            has_next_page,
            has_previous_page,
            total,
        }
    }

    /// What the index holds about the event at `position`.
    pub fn audit_entry(&self, position: Position) -> Option<AuditEntry> {
        let i = usize::try_from(position.get().checked_sub(self.audit.first)?).ok()?;
        let r = self.audit.rows.get(i)?;
        let opt = |s: Sym| (s != Sym::NONE).then(|| self.syms.name(s).to_string());
        Some(AuditEntry {
            position,
            stream: self.syms.name(r.stream).to_string(),
            event_type: self.syms.name(r.event_type).to_string(),
            actor_id: self.syms.name(r.actor).to_string(),
            actor_role: self.syms.name(r.role).to_string(),
            site: opt(r.site).map(SiteId::new),
            person: (r.person != NO_IX).then(|| self.person_keys.key(r.person)),
            case: (r.case != NO_IX).then(|| self.case_keys.key(r.case)),
            occurred_at: Timestamp(r.occurred_us),
            recorded_at: Timestamp(r.recorded_us),
        })
    }

    /// The last position recorded at or before `at` (`recorded_at` never decreases along the
    /// journal), or `Position::ZERO` when nothing was recorded by then. What the desk knew "as of"
    /// an instant is the journal up to this position.
    pub fn position_recorded_by(&self, at: Timestamp) -> Position {
        let rows = Slice::all(Some(&self.audit.rows));
        let known = rows.partition_point(|r| r.recorded_us <= at.micros());
        if known == 0 {
            Position::ZERO
        } else {
            self.audit.position_of(known - 1)
        }
    }

    /// How many events the index holds.
    pub fn audit_len(&self) -> usize {
        self.audit.rows.len()
    }
}

// The fold: no rules here, whatever is in the journal happened.

impl Fold for CheckpointSigned {
    fn fold(&self, _: &mut ReadModels, _: &mut At) -> Option<Target> {
        None
    }
}

// Staff accounts are read from the audit trail only (`push_audit`, for every event).

impl Fold for domain::StaffAccountOpened {
    fn fold(&self, _: &mut ReadModels, _: &mut At) -> Option<Target> {
        None
    }
}

impl Fold for domain::StaffAccountDisabled {
    fn fold(&self, _: &mut ReadModels, _: &mut At) -> Option<Target> {
        None
    }
}

impl Fold for domain::StaffPasswordReset {
    fn fold(&self, _: &mut ReadModels, _: &mut At) -> Option<Target> {
        None
    }
}
