//! A bundle's signed manifest: what the bundle holds, in lines of text the installation key
//! signs (docs/VERIFYING.md, "The manifest"; ADR 0011). Each line is made from the bundle's own
//! fields, so a verifier rebuilds the lines and compares them with the signed ones: a field
//! changed, an event left out, a period moved, each is named.

use journal::merkle::checkpoint::base64_encode;
use journal::merkle::{Root, TreeSize};

use super::figures::Stated;
use super::{Bundle, BundleEvent, Neighbour};

/// The first line of a manifest.
pub const MANIFEST_FORMAT: &str = "impact-evaluator-bundle-manifest/1";

/// The header lines (everything but the events) of a bundle's fields.
pub fn header_lines(bundle: &Bundle, origin: &str, size: TreeSize, root: &Root) -> Vec<String> {
    let neighbour = |word: &str, n: Option<&Neighbour>| match n {
        Some(n) => format!("{word} {} {} {}", n.position, n.event_hash, n.recorded_at),
        None => format!("{word} none"),
    };
    let mut lines = vec![
        MANIFEST_FORMAT.to_owned(),
        format!("origin {origin}"),
        format!("checkpoint {size} {}", base64_encode(&root.0 .0)),
        format!("period {} {}", bundle.period.from, bundle.period.to),
        format!(
            "range {} {} {}",
            bundle.first_position,
            bundle.last_position,
            bundle.events.len()
        ),
        neighbour("before", bundle.boundary.before.as_ref()),
        neighbour("after", bundle.boundary.after.as_ref()),
    ];
    if let Some(k) = &bundle.k_anonymity {
        lines.push(format!("k-anonymity {} {}", k.min_cell, k.persons_withheld));
    }
    lines
}

/// An event's line: position, hash, type, schema version, times and the actor's role.
pub fn event_line(event: &BundleEvent) -> String {
    format!(
        "event {} {} {} {} {} {} {}",
        event.position,
        event.event_hash,
        event.event_type,
        event.schema_version,
        event.occurred_at,
        event.recorded_at,
        event.actor_role
    )
}

/// A figure's line: `figure <name> <value>`, the value `*` when suppressed (the desk's figures
/// for the period, ADR 0015).
pub fn figure_line(name: &str, value: Stated) -> String {
    format!("figure {name} {value}")
}

/// The figures a signed manifest states, by name.
pub fn figure_lines(manifest: &str) -> std::collections::BTreeMap<String, Stated> {
    manifest
        .lines()
        .filter_map(|line| {
            let mut words = line.strip_prefix("figure ")?.split(' ');
            let name = words.next()?;
            let value = words.next()?.parse().ok()?;
            Some((name.to_owned(), value))
        })
        .collect()
}

/// The whole manifest of a bundle's fields, `\n` after every line: the header, the events, then
/// the figures.
pub fn manifest_text(bundle: &Bundle, origin: &str, size: TreeSize, root: &Root) -> String {
    let mut lines = header_lines(bundle, origin, size, root);
    lines.extend(bundle.events.iter().map(event_line));
    lines.extend(
        bundle
            .figures
            .iter()
            .map(|(name, value)| figure_line(name, *value)),
    );
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// True when a field may stand in a manifest line: not empty, no space, no line end.
pub fn is_word(text: &str) -> bool {
    !text.is_empty() && !text.chars().any(char::is_whitespace)
}
