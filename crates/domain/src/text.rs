//! The limits on the texts of a command, checked before anything else is decided (and so before
//! the desk seals personal data, which makes a text about a third larger): how long one text and
//! all of a command's texts may be, and which characters no text may hold.
//!
//! The lengths keep every event within the journal's payload limit (64 KiB) even for texts of
//! four-byte characters, sealed. Control characters (but tab and line breaks) and the bidi
//! overrides and isolates (which make a text display in another order than it is stored, the
//! "Trojan Source" trick) are refused, not stripped: the desk records what was said, or nothing.

use serde_json::Value;

use crate::{Command, Rejection, RejectionKind};

/// The most characters one text of a command may hold (a note, a name, a reason...).
pub const MAX_TEXT_CHARS: usize = 4_000;

/// The most characters all the texts of one command may hold together.
pub const MAX_COMMAND_TEXT_CHARS: usize = 10_000;

/// Checks every text of a command: its length, the command's total, its characters. The
/// rejection names the field (`"notes"`, `"languages[1]"`, `"personalFields.job"`).
pub fn check(command: &Command) -> Result<(), Rejection> {
    let value = serde_json::to_value(command).map_err(|_| {
        Rejection::new(
            "command",
            RejectionKind::Invalid,
            "the command cannot be read as JSON",
        )
    })?;
    let mut total = 0;
    walk(&value, &mut String::new(), &mut total)
}

fn walk(value: &Value, path: &mut String, total: &mut usize) -> Result<(), Rejection> {
    match value {
        Value::String(text) => check_text(path, text, total),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, total)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(fields) => {
            for (name, item) in fields {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
                walk(item, path, total)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

fn check_text(field: &str, text: &str, total: &mut usize) -> Result<(), Rejection> {
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(Rejection::new(
            field,
            RejectionKind::TooLarge,
            format!("{field} holds {chars} characters; at most {MAX_TEXT_CHARS} are allowed"),
        ));
    }
    *total += chars;
    if *total > MAX_COMMAND_TEXT_CHARS {
        return Err(Rejection::new(
            field,
            RejectionKind::TooLarge,
            format!(
                "the texts of this command hold more than {MAX_COMMAND_TEXT_CHARS} characters \
                 together (counted up to {field}); send less at once"
            ),
        ));
    }
    if let Some((at, c)) = text.chars().enumerate().find(|(_, c)| forbidden(*c)) {
        return Err(Rejection::new(
            field,
            RejectionKind::Invalid,
            format!(
                "{field} holds the invisible character U+{:04X} at character {}: control \
                 characters and bidi overrides are not accepted; retype the text",
                u32::from(c),
                at + 1
            ),
        ));
    }
    Ok(())
}

/// Control characters but tab and line breaks, and the bidi embeddings, overrides and isolates.
fn forbidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn checked(value: Value) -> Result<(), Rejection> {
        walk(&value, &mut String::new(), &mut 0)
    }

    #[test]
    fn a_long_text_is_refused_with_its_field_and_limit() {
        let long = "é".repeat(MAX_TEXT_CHARS + 1);
        let rejection = checked(json!({ "notes": long })).unwrap_err();
        assert_eq!(rejection.field, "notes");
        assert_eq!(rejection.kind, RejectionKind::TooLarge);
        assert!(rejection.message.contains("at most 4000"), "{rejection}");
        assert!(checked(json!({ "notes": "é".repeat(MAX_TEXT_CHARS) })).is_ok());
    }

    #[test]
    fn the_texts_of_a_command_are_limited_together() {
        let text = "a".repeat(MAX_TEXT_CHARS);
        let rejection = checked(json!({ "a": text, "b": text, "c": [text] })).unwrap_err();
        assert_eq!(rejection.field, "c[0]");
        assert_eq!(rejection.kind, RejectionKind::TooLarge);
    }

    #[test]
    fn control_and_bidi_override_characters_are_refused() {
        for bad in [
            "a\u{0}b",
            "a\u{7}",
            "\u{202E}cod.exe",
            "x\u{2066}y",
            "\u{85}",
        ] {
            let rejection = checked(json!({ "person": { "name": bad } })).unwrap_err();
            assert_eq!(rejection.field, "person.name", "{bad:?}");
            assert_eq!(rejection.kind, RejectionKind::Invalid, "{bad:?}");
        }
        assert!(checked(json!({ "notes": "riga uno\nriga due\tfine; عربي" })).is_ok());
    }
}
