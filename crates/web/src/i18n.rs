//! The message catalogues (Fluent): Italian first, English available. Every word a page shows
//! comes from `locales/<lang>/pages.ftl`; a key missing from a catalogue shows as the key itself
//! (and `tests/catalogues` in this crate fails on it).

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The languages of the pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    It,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::It, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language of a request: the switch's cookie, else the first of `Accept-Language` the
    /// pages speak, else Italian.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = cookie.and_then(Lang::from_code) {
            return lang;
        }
        let mut ranges: Vec<(f32, &str)> = accept_language
            .unwrap_or_default()
            .split(',')
            .filter_map(|range| {
                let mut parts = range.trim().split(';');
                let tag = parts.next()?.trim();
                let q = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(1.0);
                Some((q, tag))
            })
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges
            .into_iter()
            .filter(|(q, _)| *q > 0.0)
            .find_map(|(_, tag)| Lang::from_code(&tag.get(..2)?.to_ascii_lowercase()))
            .unwrap_or(Lang::It)
    }
}

/// The catalogue of each language.
pub struct Catalogues {
    it: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

const IT: &str = include_str!("../locales/it/pages.ftl");
const EN: &str = include_str!("../locales/en/pages.ftl");

fn bundle(lang: &str, source: &str) -> FluentBundle<FluentResource> {
    let resource = match FluentResource::try_new(source.to_owned()) {
        Ok(resource) => resource,
        // A catalogue with a syntax error keeps what it could read; the test names the error.
        Err((resource, errors)) => {
            tracing::error!(lang, errors = errors.len(), "a catalogue has syntax errors");
            resource
        }
    };
    let id = lang.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: the pages are plain left-to-right text.
    bundle.set_use_isolating(false);
    if bundle.add_resource(resource).is_err() {
        tracing::error!(lang, "a catalogue defines a message twice");
    }
    bundle
}

impl Default for Catalogues {
    fn default() -> Self {
        Catalogues {
            it: bundle("it", IT),
            en: bundle("en", EN),
        }
    }
}

impl Catalogues {
    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::It => &self.it,
            Lang::En => &self.en,
        }
    }

    /// Whether `lang`'s catalogue has the message.
    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.bundle(lang).has_message(key)
    }

    /// The message `key` in `lang`, with its arguments.
    pub fn text(&self, lang: Lang, key: &str, args: &[(&str, String)]) -> String {
        let bundle = self.bundle(lang);
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            return key.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            let value = match value.parse::<f64>() {
                Ok(number) => FluentValue::from(number),
                Err(_) => FluentValue::from(value.clone()),
            };
            fluent_args.set(*name, value);
        }
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }

    /// Every message key of a catalogue source (for the tests).
    pub fn keys(lang: Lang) -> Vec<String> {
        let source = match lang {
            Lang::It => IT,
            Lang::En => EN,
        };
        source
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_owned()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_is_the_switchs_else_the_browsers_else_italian() {
        assert_eq!(Lang::negotiate(None, None), Lang::It);
        assert_eq!(Lang::negotiate(None, Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::negotiate(None, Some("de,en;q=0.5,it;q=0.8")),
            Lang::It
        );
        assert_eq!(Lang::negotiate(None, Some("fr")), Lang::It);
        assert_eq!(Lang::negotiate(Some("it"), Some("en")), Lang::It);
    }

    #[test]
    fn both_catalogues_have_the_same_messages_and_read_without_error() {
        for lang in Lang::ALL {
            let source = match lang {
                Lang::It => IT,
                Lang::En => EN,
            };
            if let Err((_, errors)) = FluentResource::try_new(source.to_owned()) {
                panic!("{} catalogue: {errors:?}", lang.code());
            }
        }
        let mut it = Catalogues::keys(Lang::It);
        let mut en = Catalogues::keys(Lang::En);
        it.sort();
        en.sort();
        assert_eq!(it, en, "the catalogues must hold the same keys");
    }
}
