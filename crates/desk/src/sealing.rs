//! Sealing and opening the personal values of a payload (`docs/adr/0003-personal-data-at-rest.md`),
//! and [`decode`], the one place payloads are parsed.

use domain::Event;
use journal::RecordedEvent;
use ulid::Ulid;
use vault::{Opened, Vault};

use crate::DeskError;

/// Decodes a recorded event into the domain's terms with the key store of its data: what
/// [`Desk::decode`] does, for callers that hold a [`Vault`] but no desk (a rebuild from a closed
/// journal).
pub fn decode(vault: &Vault, record: &RecordedEvent) -> Result<Event, DeskError> {
    let undecodable = |source| DeskError::Undecodable {
        position: record.position,
        source,
    };
    if is_sealed(&record.payload) {
        // Sealed by the desk: opened in place (an erased person's values open as erased), and
        // decoded from the opened value without writing it out again.
        let opened = open_payload_value(vault, record).map_err(|source| DeskError::Sealed {
            position: record.position,
            source,
        })?;
        if let Some(opened) = opened {
            return Event::from_value(&record.event_type, record.schema_version, opened)
                .map_err(undecodable);
        }
    }
    let payload = &record.payload[..];
    let event = Event::from_payload(&record.event_type, record.schema_version, payload)
        .map_err(undecodable)?;
    if let Some(key) = key_of(&event, record.id) {
        if vault.key_state(key) == vault::KeyState::Destroyed {
            // Values written in clear before the vault existed (or, for a diary or a meeting,
            // before their text was sealed) read as erased too (their bytes stay in the
            // journal: see docs/adr/0003 and 0008).
            if let Some(erased) = erase_personal(payload) {
                return Event::from_payload(&record.event_type, record.schema_version, &erased)
                    .map_err(undecodable);
            }
        }
    }
    Ok(event)
}

/// The payload with every personal value replaced by the erased marker; `None` when it has no
/// personal value that is not erased already.
fn erase_personal(payload: &[u8]) -> Option<Vec<u8>> {
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(payload) else {
        return None;
    };
    let mut changed = false;
    let _ = visit_personal(&mut object, &mut |_, name, v| -> Result<(), ()> {
        let marker = domain::erased_json(name);
        if *v != marker {
            *v = marker;
            changed = true;
        }
        Ok(())
    });
    changed.then(|| {
        serde_json::to_vec(&serde_json::Value::Object(object)).expect("JSON values serialize")
    })
}

/// The event type whose folding destroys a person's key.
pub(crate) const ERASURE: &str = "PersonErased";
/// The event type whose folding destroys the key of a text (`docs/adr/0010-sealed-free-text.md`).
pub(crate) const REDACTION: &str = "TextRedacted";

/// The id of the key an event's personal values are sealed under: the person it names, or for
/// a fact about no single person, the key of its free text (`Event::text_key`); `None` when it
/// seals nothing.
pub(crate) fn key_of(event: &Event, event_id: Ulid) -> Option<Ulid> {
    match event.person_id() {
        Some(person) => Some(person.0),
        None => event.text_key().map(|key| key.id(event_id)),
    }
}

/// The key an event's folding destroys: an erased person's, a redacted text's.
pub(crate) fn destroyed_key(event: &Event) -> Option<Ulid> {
    match event {
        Event::PersonErased(e) => Some(e.person_id.0),
        Event::TextRedacted(e) => Some(e.event_id),
        _ => None,
    }
}
/// Bytes every payload with a sealed value contains.
const SEALED_MARK: &[u8] = b"\"sealed\"";

/// The persons whose sealed values a payload holds (from each sealed value's `person`).
pub(crate) fn sealed_persons(payload: &[u8]) -> Vec<Ulid> {
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(payload) else {
        return Vec::new();
    };
    let mut persons = Vec::new();
    let _ = visit_personal(&mut object, &mut |_, _, v| -> Result<(), ()> {
        if let (Some(_), Some(person)) = (
            v.get("sealed"),
            v.get("person")
                .and_then(|p| p.as_str())
                .and_then(|p| p.parse::<Ulid>().ok()),
        ) {
            if !persons.contains(&person) {
                persons.push(person);
            }
        }
        Ok(())
    });
    persons
}

/// True when a payload holds a sealed value (it has [`SEALED_MARK`]).
pub(crate) fn is_sealed(payload: &[u8]) -> bool {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(SEALED_MARK));
    FINDER.find(payload).is_some()
}

/// Calls `f(path, name, value)` for each personal value of a payload: each field named in
/// `PERSONAL_FIELD_NAMES` and each value of `personalFields`, each element of a list apart
/// (path `goals.1`), nulls skipped. Sealing and opening walk the same paths.
fn visit_personal<E>(
    object: &mut serde_json::Map<String, serde_json::Value>,
    f: &mut impl FnMut(&str, &str, &mut serde_json::Value) -> Result<(), E>,
) -> Result<(), E> {
    fn value<E>(
        path: &str,
        name: &str,
        v: &mut serde_json::Value,
        f: &mut impl FnMut(&str, &str, &mut serde_json::Value) -> Result<(), E>,
    ) -> Result<(), E> {
        match v {
            serde_json::Value::Null => Ok(()),
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    if !item.is_null() {
                        f(&format!("{path}.{i}"), name, item)?;
                    }
                }
                Ok(())
            }
            _ => f(path, name, v),
        }
    }
    for name in domain::PERSONAL_FIELD_NAMES {
        if let Some(v) = object.get_mut(*name) {
            value(name, name, v, f)?;
        }
    }
    if let Some(serde_json::Value::Object(fields)) = object.get_mut(domain::PERSONAL_FIELDS) {
        for (name, v) in fields.iter_mut() {
            value(&format!("{}.{name}", domain::PERSONAL_FIELDS), name, v, f)?;
        }
    }
    Ok(())
}

/// The same JSON with every object's keys in order, so that the bytes do not depend on whether
/// serde_json keeps insertion order in this build.
fn canonical(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(canonical).collect())
        }
        other => other,
    }
}

/// The payload to store for `event` (its JSON, `payload`), with its personal values sealed under
/// the key of the person it is about (or of its text: a diary, a supervision meeting), as
/// [`Desk::execute`] stores it; `Err(Erased)` when that key was destroyed. For tools that append
/// decided events themselves (the bench).
pub fn sealed_payload(
    vault: &Vault,
    event: &Event,
    event_id: Ulid,
    payload: Vec<u8>,
) -> Result<Result<Vec<u8>, vault::Erased>, DeskError> {
    let Some(key) = key_of(event, event_id) else {
        return Ok(Ok(payload));
    };
    Ok(seal_payload(vault, key, event_id, &payload)?.map(|sealed| sealed.unwrap_or(payload)))
}

/// Seals the personal values of a payload about `person`: `Ok(Ok(None))` when it has none (the
/// payload stays as it is), `Ok(Err(Erased))` when the person's key was destroyed.
fn seal_payload(
    vault: &Vault,
    person: Ulid,
    event_id: Ulid,
    payload: &[u8],
) -> Result<Result<Option<Vec<u8>>, vault::Erased>, DeskError> {
    use base64::Engine as _;
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(payload) else {
        return Ok(Ok(None));
    };
    let mut sealed_any = false;
    let outcome = visit_personal(&mut object, &mut |path, _name, v| {
        let plaintext = zeroize::Zeroizing::new(
            serde_json::to_vec(&canonical(v.take())).expect("JSON values serialize"),
        );
        match vault.seal(person, event_id, path, &plaintext) {
            Ok(Ok(sealed)) => {
                *v = serde_json::json!({
                    "person": person.to_string(),
                    "sealed": base64::engine::general_purpose::STANDARD.encode(sealed),
                });
                sealed_any = true;
                Ok(())
            }
            Ok(Err(erased)) => Err(Ok(erased)),
            Err(e) => Err(Err(e)),
        }
    });
    match outcome {
        Ok(()) => {}
        Err(Ok(erased)) => return Ok(Err(erased)),
        Err(Err(e)) => return Err(e.into()),
    }
    if !sealed_any {
        return Ok(Ok(None));
    }
    let bytes = serde_json::to_vec(&canonical(serde_json::Value::Object(object)))
        .expect("JSON values serialize");
    Ok(Ok(Some(bytes)))
}

/// The payload with its sealed values opened (or replaced by the erased marker); `None` when
/// it holds no sealed value after all.
pub(crate) fn open_payload_value(
    vault: &Vault,
    record: &RecordedEvent,
) -> Result<Option<serde_json::Value>, vault::VaultError> {
    use base64::Engine as _;
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(&record.payload) else {
        return Ok(None);
    };
    let mut opened_any = false;
    visit_personal(&mut object, &mut |path, name, v| {
        let (Some(serde_json::Value::String(sealed)), Some(serde_json::Value::String(person))) =
            (v.get("sealed"), v.get("person"))
        else {
            return Ok(());
        };
        let Ok(person) = person.parse::<Ulid>() else {
            return Ok(());
        };
        let Ok(sealed) = base64::engine::general_purpose::STANDARD.decode(sealed) else {
            return Err(vault::VaultError::Unopenable { person });
        };
        opened_any = true;
        *v = match vault.open_sealed(person, record.id, path, &sealed)? {
            Opened::Plain(plain) => serde_json::from_slice(&plain)
                .map_err(|_| vault::VaultError::Unopenable { person })?,
            Opened::Erased | Opened::NoKey => domain::erased_json(name),
        };
        Ok(())
    })?;
    if !opened_any {
        return Ok(None);
    }
    Ok(Some(serde_json::Value::Object(object)))
}
