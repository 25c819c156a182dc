//! Indexes that keep a page's cost flat as history grows (`docs/adr/0017-paging-indexes.md`).
//!
//! - [`RowOrder`]: the rows of a table (cases, referrals, mediation requests and sessions) in
//!   journal order, all of them and per site. A page starts at its cursor (a position, found by
//!   binary search) and stops once it is full, whatever the table's size.
//! - [`Postings`]: for the audit index, the rows of each stream, event type, actor, role, site,
//!   person and case. A filtered audit page walks the shortest list that applies.
//!
//! Both are derived from the rows and hold only positions, indices and interned symbols: an
//! erased personal value is in none of them.

use std::hash::Hash;

use journal::Position;

use crate::audit::Page;
use crate::model::Ix;
use crate::sym::Sym;
use crate::table::{Map, Slice, Table};

/// A forward page of a table: the `first` rows after `after`, in journal order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// Only rows after this position.
    pub after: Option<Position>,
    /// At most this many rows.
    pub first: usize,
    /// Count every row matching the filter (ignores `after` and `first`; costs a walk of the
    /// table or of its site's list).
    pub with_total: bool,
}

/// The rows of one table in journal order, all and per site.
///
/// A fold pushes a row when the event that makes it is folded, so the lists are in position
/// order. A row made twice (two events with the same id, in a damaged journal) is listed at
/// both positions; [`page_rows`] keeps an entry only if its row still has its position.
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct RowOrder {
    all: Table<(Position, Ix)>,
    by_site: Map<Sym, Table<(Position, Ix)>>,
}

impl RowOrder {
    pub(crate) fn push(&mut self, position: Position, site: Sym, ix: Ix) {
        self.all.push_back((position, ix));
        self.by_site
            .entry(site)
            .or_default()
            .push_back((position, ix));
    }

    /// The rows of one site (`None`: of every site).
    pub(crate) fn list(&self, site: Option<Sym>) -> Slice<'_, (Position, Ix)> {
        match site {
            None => Slice::all(Some(&self.all)),
            Some(s) => Slice::all(self.by_site.get(&s)),
        }
    }
}

/// One page of `list` (in position order): the first `cursor.first` entries after the cursor
/// that `keep` accepts, as row indices.
pub(crate) fn page_rows(
    list: Slice<'_, (Position, Ix)>,
    cursor: &Cursor,
    keep: impl Fn(Position, Ix) -> bool,
) -> Page<Ix> {
    let start = cursor
        .after
        .map_or(0, |a| list.partition_point(|(p, _)| *p <= a));
    let mut items = Vec::with_capacity(cursor.first.min(list.len() - start));
    let mut has_next_page = false;
    for &(p, ix) in list.range(start..list.len()).iter() {
        if !keep(p, ix) {
            continue;
        }
        if items.len() == cursor.first {
            has_next_page = true;
            break;
        }
        items.push(ix);
    }
    Page {
        items,
        has_next_page,
        has_previous_page: list
            .range(0..start)
            .iter()
            .rev()
            .any(|&(p, ix)| keep(p, ix)),
        total: cursor
            .with_total
            .then(|| list.iter().filter(|&&(p, ix)| keep(p, ix)).count()),
    }
}

/// Audit rows (indices into the audit index) per key, in position order.
#[derive(Clone)]
pub(crate) struct Postings<K> {
    lists: Map<K, Table<u32>>,
}

impl<K> Default for Postings<K> {
    fn default() -> Self {
        Postings {
            lists: Map::default(),
        }
    }
}

impl<K: Hash + Eq + Copy> Postings<K> {
    /// Lists row `i` under `key`, unless the key is `none` (no value: not worth a list).
    pub(crate) fn push(&mut self, key: K, none: K, i: usize) {
        if key != none {
            let i = u32::try_from(i).expect("fewer than 2^32 audit rows");
            self.lists.entry(key).or_default().push_back(i);
        }
    }

    pub(crate) fn get(&self, key: K) -> Slice<'_, u32> {
        Slice::all(self.lists.get(&key))
    }
}

/// The audit index's postings, one per field a filter can name.
#[derive(Clone, Default)]
pub(crate) struct AuditPostings {
    pub stream: Postings<Sym>,
    pub event_type: Postings<Sym>,
    pub actor: Postings<Sym>,
    pub role: Postings<Sym>,
    pub site: Postings<Sym>,
    pub person: Postings<Ix>,
    pub case: Postings<Ix>,
}

/// The rows a filtered audit page may come from, within a window of row indices: every row, or
/// the union of some postings (one list, or one per event type asked for).
pub(crate) enum Candidates<'a> {
    Range(usize, usize),
    Lists(Vec<Slice<'a, u32>>),
}

impl<'a> Candidates<'a> {
    /// The shortest of `lists` (each one a condition every match meets; an entry holding
    /// several lists is their union), cut to rows `lo..hi`; every row of the window when there
    /// is none.
    pub(crate) fn narrowest(lists: Vec<Vec<Slice<'a, u32>>>, lo: usize, hi: usize) -> Self {
        let cut = |l: Slice<'a, u32>| -> Slice<'a, u32> {
            let a = l.partition_point(|&i| (i as usize) < lo);
            let b = l.partition_point(|&i| (i as usize) < hi);
            l.range(a..b.max(a))
        };
        lists
            .into_iter()
            .map(|union| union.into_iter().map(cut).collect::<Vec<_>>())
            .min_by_key(|union| union.iter().map(|l| l.len()).sum::<usize>())
            .map_or(Candidates::Range(lo, hi), Candidates::Lists)
    }

    /// The candidates, ascending (`forward`) or descending.
    pub(crate) fn iter(&self, forward: bool) -> Box<dyn Iterator<Item = usize> + '_> {
        match (self, forward) {
            (Candidates::Range(lo, hi), true) => Box::new(*lo..*hi),
            (Candidates::Range(lo, hi), false) => Box::new((*lo..*hi).rev()),
            (Candidates::Lists(lists), _) if lists.len() == 1 => {
                let l = lists[0].iter().map(|&i| i as usize);
                if forward {
                    Box::new(l)
                } else {
                    Box::new(l.rev())
                }
            }
            (Candidates::Lists(lists), _) => Box::new(Merge {
                lists: lists.clone(),
                forward,
            }),
        }
    }
}

/// The union of sorted, disjoint lists, in order (one list per event type: few of them).
struct Merge<'a> {
    lists: Vec<Slice<'a, u32>>,
    forward: bool,
}

impl Iterator for Merge<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let forward = self.forward;
        let (k, taken) = self
            .lists
            .iter()
            .enumerate()
            .filter_map(|(k, l)| {
                let (first, last) = l.ends()?;
                Some((k, if forward { *first } else { *last }))
            })
            .min_by_key(|&(_, i)| if forward { i64::from(i) } else { -i64::from(i) })?;
        let l = self.lists[k];
        self.lists[k] = if forward {
            l.range(1..l.len())
        } else {
            l.range(0..l.len() - 1)
        };
        Some(taken as usize)
    }
}
