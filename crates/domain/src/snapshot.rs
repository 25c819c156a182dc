//! What a snapshot of the models needs of the domain (`docs/adr/0014-snapshots.md`): the names
//! the models hold as `&'static str` (event types) are written as text and read back as the
//! domain's own; a name this build does not know refuses the snapshot (it is then rebuilt).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

use crate::EVENT_TYPES;

/// An event type's name as the models hold it. Written through this alias, a field is not
/// taken by serde for a borrowed `&str` (which would tie a snapshot's reader to `'static`).
pub type EventTypeName = &'static str;

/// The domain's own `&'static str` for an event type's name, if this build knows it.
pub fn static_event_type(name: &str) -> Option<&'static str> {
    EVENT_TYPES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, _)| *n)
}

/// `#[serde(with = "domain::snapshot::event_type")]` on an event type's `&'static str`.
pub mod event_type {
    use super::*;

    pub fn serialize<S: Serializer>(name: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        static_event_type(&name)
            .ok_or_else(|| D::Error::custom(format!("unknown event type {name:?}")))
    }
}

/// `#[serde(with = "domain::snapshot::event_type_keys")]` on a map keyed by event types.
pub mod event_type_keys {
    use super::*;
    use std::collections::HashMap;
    use std::hash::BuildHasher;

    pub fn serialize<S: Serializer, V: serde::Serialize, H>(
        map: &HashMap<&'static str, V, H>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub fn deserialize<'de, D, V, H>(d: D) -> Result<HashMap<&'static str, V, H>, D::Error>
    where
        D: Deserializer<'de>,
        V: Deserialize<'de>,
        H: BuildHasher + Default,
    {
        let pairs = <Vec<(String, V)>>::deserialize(d)?;
        pairs
            .into_iter()
            .map(|(name, v)| {
                static_event_type(&name)
                    .map(|n| (n, v))
                    .ok_or_else(|| D::Error::custom(format!("unknown event type {name:?}")))
            })
            .collect()
    }
}
