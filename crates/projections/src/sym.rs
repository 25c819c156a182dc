//! Interned strings and dense indices: the read models keep `u32`s, not repeated strings or ULIDs.

use std::hash::Hash;
use std::sync::Arc;

use crate::table::{Map, Table};

/// An interned string.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub(crate) struct Sym(pub(crate) u32);

impl Sym {
    /// No value (an event without a site, say).
    pub(crate) const NONE: Sym = Sym(u32::MAX);
}

/// Interns strings; every distinct string is stored once (the stream names among them: as many
/// as there are streams, so shared between clones like the tables).
#[derive(Clone, Default)]
pub(crate) struct Symbols {
    ids: Map<Arc<str>, Sym>,
    names: Table<Arc<str>>,
}

impl Symbols {
    pub(crate) fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.ids.get(s) {
            return sym;
        }
        let sym = Sym(u32::try_from(self.names.len()).expect("fewer than 2^32 distinct strings"));
        let name: Arc<str> = s.into();
        self.names.push_back(Arc::clone(&name));
        self.ids.insert(name, sym);
        sym
    }

    pub(crate) fn get(&self, s: &str) -> Option<Sym> {
        self.ids.get(s).copied()
    }

    /// The string; empty for [`Sym::NONE`].
    pub(crate) fn name(&self, sym: Sym) -> &str {
        self.names.get(sym.0 as usize).map_or("", |s| s)
    }

    pub(crate) fn intern_all(&mut self, items: &[String]) -> Box<[Sym]> {
        items.iter().map(|s| self.intern(s)).collect()
    }

    pub(crate) fn names(&self, syms: &[Sym]) -> Vec<String> {
        syms.iter().map(|s| self.name(*s).to_string()).collect()
    }
}

/// Dense indices for ids: the n-th distinct key gets `n`.
#[derive(Clone)]
pub(crate) struct Keys<K> {
    index: Map<K, u32>,
    keys: Table<K>,
}

impl<K> Default for Keys<K> {
    fn default() -> Self {
        Keys {
            index: Map::default(),
            keys: Table::new(),
        }
    }
}

impl<K: Copy + Eq + Hash> Keys<K> {
    /// The key's index, and whether it is new.
    pub(crate) fn insert(&mut self, key: K) -> (u32, bool) {
        if let Some(&ix) = self.index.get(&key) {
            return (ix, false);
        }
        let ix = u32::try_from(self.keys.len()).expect("fewer than 2^32 ids");
        self.keys.push_back(key);
        self.index.insert(key, ix);
        (ix, true)
    }

    pub(crate) fn get(&self, key: &K) -> Option<u32> {
        self.index.get(key).copied()
    }

    pub(crate) fn key(&self, ix: u32) -> K {
        self.keys[ix as usize]
    }
}

/// A set of values of a closed word list, as bits in the order of `ALL`.
pub(crate) fn bits<T: Copy + PartialEq>(all: &[T], values: &[T]) -> u32 {
    values.iter().fold(0, |acc, v| acc | bit(all, *v))
}

pub(crate) fn bit<T: Copy + PartialEq>(all: &[T], value: T) -> u32 {
    all.iter().position(|a| *a == value).map_or(0, |i| 1 << i)
}

pub(crate) fn from_bits<T: Copy>(all: &[T], set: u32) -> Vec<T> {
    all.iter()
        .enumerate()
        .filter(|(i, _)| set & (1 << i) != 0)
        .map(|(_, v)| *v)
        .collect()
}

// A snapshot (`docs/adr/0014-snapshots.md`) keeps the names and the keys in their order; the
// lookups are rebuilt when it is read.

impl serde::Serialize for Symbols {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.names.iter().map(|name| &**name))
    }
}

impl<'de> serde::Deserialize<'de> for Symbols {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = <Vec<Box<str>>>::deserialize(d)?;
        let mut symbols = Symbols::default();
        for name in &names {
            symbols.intern(name);
        }
        if symbols.names.len() != names.len() {
            return Err(serde::de::Error::custom("a name interned twice"));
        }
        Ok(symbols)
    }
}

impl<K: serde::Serialize> serde::Serialize for Keys<K> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.keys.serialize(s)
    }
}

impl<'de, K: serde::Deserialize<'de> + Copy + Eq + Hash> serde::Deserialize<'de> for Keys<K> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let keys = <Vec<K>>::deserialize(d)?;
        let mut out = Keys::default();
        for key in keys {
            if !out.insert(key).1 {
                return Err(serde::de::Error::custom("a key listed twice"));
            }
        }
        Ok(out)
    }
}
