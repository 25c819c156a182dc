//! A form's errors: each beside the field it names, and all in a summary at the top. The API's
//! refusals name the input field (`extensions.field`) and the domain's kind of rejection
//! (`extensions.reason`); the catalogue gives the sentence (`reason-<kind>`, with the field's
//! label `field-<name>`), so a mediator reads it in their language.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::door::Refusal;
use crate::i18n::{Catalogues, Lang};

/// One line of the summary: the message, and the field to jump to.
#[derive(Clone, Debug, Serialize)]
pub struct SummaryLine {
    pub field: Option<String>,
    pub message: String,
}

/// The errors of one form.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FormErrors {
    /// By form field name.
    pub fields: BTreeMap<String, String>,
    pub summary: Vec<SummaryLine>,
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.summary.is_empty()
    }

    /// An error the page found before asking the API (a date not written as a date, ...).
    pub fn field(&mut self, field: &str, message: String) {
        if self.fields.contains_key(field) {
            return;
        }
        self.fields.insert(field.to_owned(), message.clone());
        self.summary.push(SummaryLine {
            field: Some(field.to_owned()),
            message,
        });
    }

    /// Anything not about one field.
    pub fn general(&mut self, message: String) {
        self.summary.push(SummaryLine {
            field: None,
            message,
        });
    }

    /// The API's refusals of a form whose fields are `form_fields` (the API's field names).
    pub fn from_refusals(
        refusals: &[Refusal],
        form_fields: &[&str],
        catalogues: &Catalogues,
        lang: Lang,
    ) -> FormErrors {
        let mut errors = FormErrors::default();
        for refusal in refusals {
            let field = refusal.field.as_deref().map(form_field);
            let label = field
                .map(|f| catalogues.text(lang, &format!("field-{}", label_key(f)), &[]))
                .unwrap_or_default();
            let message = match (&refusal.reason, refusal.code.as_str()) {
                (Some(reason), _) if catalogues.has(lang, &format!("reason-{reason}")) => {
                    catalogues.text(lang, &format!("reason-{reason}"), &[("field", label)])
                }
                (_, "FORBIDDEN") => catalogues.text(lang, "refusal-forbidden", &[]),
                (_, "CONFLICT") => catalogues.text(lang, "refusal-conflict", &[]),
                (_, "DISK_FULL") => catalogues.text(lang, "refusal-disk-full", &[]),
                (_, "BAD_INPUT") if field.is_some() => {
                    catalogues.text(lang, "reason-invalid", &[("field", label)])
                }
                _ => catalogues.text(lang, "refusal-other", &[]),
            };
            match field {
                Some(field) if form_fields.contains(&field) => errors.field(field, message),
                _ => errors.general(message),
            }
        }
        errors
    }
}

/// The form field an API field path lands on: `citizenships[0]` is the citizenships field.
fn form_field(api_field: &str) -> &str {
    api_field.split('[').next().unwrap_or(api_field)
}

/// The catalogue key of a field's label: dots become dashes (`personal.fullName`).
pub fn label_key(field: &str) -> String {
    field.replace('.', "-")
}

/// A form's fields as the browser sent them (`application/x-www-form-urlencoded`), repeated
/// names (checkboxes) kept.
#[derive(Clone, Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &[u8]) -> Fields {
        Fields(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// Every value of `name` (checkboxes), non-empty ones.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// A list written with commas or spaces (`uk, ru`), each item as written.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .split([',', ' ', ';'])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The fields as a map for the template (the first value of each, and checkbox lists).
    pub fn to_value(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (key, value) in &self.0 {
            match map.get_mut(key) {
                Some(serde_json::Value::Array(values)) => {
                    values.push(value.clone().into());
                }
                Some(first) => {
                    let first = first.take();
                    map.insert(
                        key.clone(),
                        serde_json::Value::Array(vec![first, value.clone().into()]),
                    );
                }
                None => {
                    map.insert(key.clone(), value.clone().into());
                }
            }
        }
        serde_json::Value::Object(map)
    }
}
