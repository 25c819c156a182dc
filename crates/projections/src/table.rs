//! The collections the read models keep their tables in, shared between clones.
//!
//! A [`Table`] (the rows of a read model, an index's list) is an RRB tree and a [`Map`] a hash
//! array mapped trie (the persistent collections of `imbl`): cloning either copies one pointer,
//! and a change to a clone copies only the path to what it changes (copy on write), never what
//! the other clones see. So a clone of [`ReadModels`](crate::ReadModels) costs the same at ten
//! events and at a million, and the clone and the models folded on from it each answer as of
//! their own position; what they hold apart is what changed since the clone.
//!
//! [`Slice`] is a part of a table, what `&[T]` is to a `Vec`: what the pages are read from.

use std::ops::Range;

/// The rows of a table, or the entries of an index's list, in order.
pub(crate) type Table<T> = imbl::Vector<T>;

/// A map of the read models (ids to indices, an index's lists by key).
pub(crate) type Map<K, V> =
    imbl::GenericHashMap<K, V, rustc_hash::FxBuildHasher, imbl::shared_ptr::DefaultSharedPtr>;

/// The rows `start..end` of a table (of none: empty).
pub(crate) struct Slice<'a, T> {
    table: Option<&'a Table<T>>,
    start: usize,
    end: usize,
}

impl<T> Clone for Slice<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Slice<'_, T> {}

impl<'a, T: Clone> Slice<'a, T> {
    /// Every row of `table` (none when there is no table).
    pub(crate) fn all(table: Option<&'a Table<T>>) -> Self {
        Slice {
            table,
            start: 0,
            end: table.map_or(0, Table::len),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    /// The rows `range` of this slice (indices relative to it).
    ///
    /// Panics if the range is not within the slice, as slicing a `&[T]` does.
    pub(crate) fn range(&self, range: Range<usize>) -> Self {
        assert!(
            range.start <= range.end && range.end <= self.len(),
            "a range within the slice"
        );
        Slice {
            table: self.table,
            start: self.start + range.start,
            end: self.start + range.end,
        }
    }

    /// The first and the last row.
    pub(crate) fn ends(&self) -> Option<(&'a T, &'a T)> {
        let table = self.table?;
        (self.start < self.end).then(|| (&table[self.start], &table[self.end - 1]))
    }

    /// The index (relative to the slice) of the first row for which `pred` is false, the rows
    /// being those for which it is true and then those for which it is false (as
    /// `<[T]>::partition_point`). A binary search: O(log² n) for the tree's depth.
    pub(crate) fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let Some(table) = self.table else {
            return 0;
        };
        let (mut lo, mut hi) = (self.start, self.end);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(&table[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo - self.start
    }

    /// The rows in order (reversible): one leaf of the tree is looked up per 64 rows.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &'a T> + 'a {
        let (start, end) = (self.start, self.end);
        self.table
            .map(move |t| t.focus().narrow(start..end).into_iter())
            .into_iter()
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_answers_as_the_slice_of_a_vec() {
        let v: Vec<u32> = (0..1000).map(|i| i * 3).collect();
        let t: Table<u32> = v.iter().copied().collect();
        for (a, b) in [(0, 1000), (0, 0), (10, 700), (999, 1000), (64, 128)] {
            let s = Slice::all(Some(&t)).range(a..b);
            let w = &v[a..b];
            assert_eq!(s.len(), w.len());
            assert_eq!(s.iter().copied().collect::<Vec<_>>(), w);
            assert_eq!(s.iter().rev().copied().collect::<Vec<_>>(), {
                let mut r = w.to_vec();
                r.reverse();
                r
            });
            assert_eq!(
                s.ends().map(|(x, y)| (*x, *y)),
                w.first().zip(w.last()).map(|(x, y)| (*x, *y))
            );
            for x in [0, 1, 30, 31, 1500, 2997, 5000] {
                assert_eq!(s.partition_point(|&y| y < x), w.partition_point(|&y| y < x));
            }
            if w.len() >= 2 {
                let inner = s.range(1..w.len() - 1);
                assert_eq!(
                    inner.iter().copied().collect::<Vec<_>>(),
                    &w[1..w.len() - 1]
                );
            }
        }
        let none: Slice<u32> = Slice::all(None);
        assert_eq!(none.len(), 0);
        assert_eq!(none.iter().count(), 0);
        assert_eq!(none.partition_point(|_| true), 0);
    }
}
