//! Finding a person: by name, birth year, phone or *codice fiscale*.
//!
//! The keys are folded from the opened personal data when a registration (or a correction of
//! it) is applied, and kept in memory only, beside the profile they come from: nothing here is
//! written to a file or logged. An erasure empties them, and an erased person is never a match,
//! so they are unfindable from the position of their `PersonErased` on.

use domain::{ContactKind, PersonalData, SiteId};

use crate::model::{Ix, PersonRow, Profile, ReadModels};
use crate::PersonView;

/// The keys a person is found by, folded from their personal data.
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct SearchKeys {
    /// The words of the name, folded ([`name_words`]), sorted.
    name: Box<[String]>,
    /// The digits of each phone number.
    phones: Box<[String]>,
    fiscal_code: Option<String>,
}

impl SearchKeys {
    pub(crate) fn of(personal: &PersonalData) -> Self {
        if personal.is_erased() {
            return SearchKeys::default();
        }
        let mut name = name_words(&personal.full_name);
        name.sort();
        SearchKeys {
            name: name.into(),
            phones: personal
                .contacts
                .iter()
                .filter(|c| c.kind == ContactKind::Phone)
                .map(|c| digits(&c.value))
                .filter(|d| !d.is_empty())
                .collect(),
            fiscal_code: personal.fiscal_code.as_deref().map(fold_fiscal_code),
        }
    }
}

/// What to look for; every criterion given must match. Build it with [`PersonSearch::new`],
/// which refuses a search that names nothing to look for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonSearch {
    /// Any part of the name: each word given must be a part of a different word of the name,
    /// in any order, ignoring case and accents ("nguyen thi" finds "Thị Nguyễn").
    pub name: Option<String>,
    pub birth_year: Option<i32>,
    /// A phone number, as written: its digits must end the stored number's digits, or the other
    /// way round (a number given with or without `+39`); at least [`MIN_PHONE_DIGITS`] digits.
    pub phone: Option<String>,
    /// The *codice fiscale*, exactly (case and spaces aside).
    pub fiscal_code: Option<String>,
    /// Only the persons of this site (registered or taken on there); every site when `None`.
    pub site: Option<SiteId>,
}

/// The fewest digits a phone search takes.
pub const MIN_PHONE_DIGITS: usize = 6;
/// The fewest letters or digits a name search takes.
pub const MIN_NAME_CHARS: usize = 2;

/// Why a search cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// Nothing to look for: give a name, a birth year, a phone or a fiscal code.
    #[error("give at least one of a name, a birth year, a phone number and a fiscal code")]
    Empty,
    /// The name has fewer than [`MIN_NAME_CHARS`] letters or digits.
    #[error("a name to search has at least {MIN_NAME_CHARS} letters")]
    NameTooShort,
    /// The phone has fewer than [`MIN_PHONE_DIGITS`] digits.
    #[error("a phone number to search has at least {MIN_PHONE_DIGITS} digits")]
    PhoneTooShort,
}

impl PersonSearch {
    /// Checks that the search names something to look for, each part long enough.
    pub fn check(&self) -> Result<(), SearchError> {
        if self.name.is_none()
            && self.birth_year.is_none()
            && self.phone.is_none()
            && self.fiscal_code.is_none()
        {
            return Err(SearchError::Empty);
        }
        if let Some(name) = &self.name {
            if name_words(name).concat().chars().count() < MIN_NAME_CHARS {
                return Err(SearchError::NameTooShort);
            }
        }
        if let Some(phone) = &self.phone {
            if digits(phone).len() < MIN_PHONE_DIGITS {
                return Err(SearchError::PhoneTooShort);
            }
        }
        Ok(())
    }
}

/// A search folded once, to compare with every person's keys.
struct Folded {
    name: Option<Vec<String>>,
    birth_year: Option<i32>,
    phone: Option<String>,
    fiscal_code: Option<String>,
}

impl Folded {
    fn of(s: &PersonSearch) -> Self {
        Folded {
            name: s.name.as_deref().map(name_words),
            birth_year: s.birth_year,
            phone: s.phone.as_deref().map(digits),
            fiscal_code: s.fiscal_code.as_deref().map(fold_fiscal_code),
        }
    }

    fn matches(&self, keys: &SearchKeys, profile: &Profile) -> bool {
        self.name
            .as_ref()
            .is_none_or(|words| words_match(words, &keys.name))
            && self.birth_year.is_none_or(|y| y == profile.birth_year)
            && self.phone.as_ref().is_none_or(|p| {
                keys.phones
                    .iter()
                    .any(|k| k.ends_with(p.as_str()) || p.ends_with(k.as_str()))
            })
            && self
                .fiscal_code
                .as_ref()
                .is_none_or(|f| keys.fiscal_code.as_ref() == Some(f))
    }
}

/// Each word asked for is a part of a different word of the name (a small matching, greedy on
/// the longest words asked first, which is enough for names of a few words).
fn words_match(asked: &[String], name: &[String]) -> bool {
    let mut asked: Vec<&String> = asked.iter().collect();
    asked.sort_by_key(|w| std::cmp::Reverse(w.len()));
    let mut used = vec![false; name.len()];
    asked.iter().all(|w| {
        let found = name
            .iter()
            .enumerate()
            .find(|(i, n)| !used[*i] && n.contains(w.as_str()));
        match found {
            Some((i, _)) => {
                used[i] = true;
                true
            }
            None => false,
        }
    })
}

impl ReadModels {
    /// The registered persons the search finds, in registration order. Erased persons are
    /// never found; a registration merged into another is found as the one kept.
    pub fn search_persons(&self, search: &PersonSearch) -> Result<Vec<PersonView>, SearchError> {
        search.check()?;
        let Some(site) = self.site_filter(&search.site) else {
            return Ok(Vec::new());
        };
        let folded = Folded::of(search);
        let found = self.kept_where(|_, pr| folded.matches(&pr.search, pr));
        Ok(found
            .into_iter()
            .filter(|p| {
                p.profile
                    .as_ref()
                    .is_some_and(|pr| site.is_none_or(|s| s == pr.site || p.taken_on.contains(&s)))
            })
            .filter_map(|p| self.person_view(p))
            .collect())
    }

    /// Ids of the persons registered with exactly this name (its words, folded, in any order)
    /// and birth year, or with this fiscal code, each as the registration kept; erased persons
    /// aside.
    pub fn persons_with_identifier(
        &self,
        full_name: Option<&str>,
        birth_year: Option<i32>,
        fiscal_code: Option<&str>,
    ) -> Vec<PersonView> {
        let name = full_name.map(|n| {
            let mut words = name_words(n);
            words.sort();
            words
        });
        let fiscal_code = fiscal_code.map(fold_fiscal_code);
        self.kept_where(|_, pr| {
            let by_name = name.as_ref().is_some_and(|n| {
                !n.is_empty()
                    && birth_year == Some(pr.birth_year)
                    && n.as_slice() == &*pr.search.name
            });
            let by_code =
                fiscal_code.is_some() && fiscal_code.as_ref() == pr.search.fiscal_code.as_ref();
            by_name || by_code
        })
        .into_iter()
        .filter_map(|p| self.person_view(p))
        .collect()
    }

    /// The registrations kept (never merged away) for the registered rows that `matches`, each
    /// once, in registration order; erased persons aside.
    fn kept_where(&self, matches: impl Fn(&PersonRow, &Profile) -> bool) -> Vec<&PersonRow> {
        let mut kept: Vec<Ix> = self
            .persons
            .iter()
            .zip(0..)
            .filter(|(p, _)| {
                p.profile
                    .as_ref()
                    .is_some_and(|pr| !pr.personal.is_erased() && matches(p, pr))
            })
            .map(|(_, ix)| self.kept(ix))
            .collect();
        kept.sort_unstable();
        kept.dedup();
        let mut rows: Vec<&PersonRow> = kept
            .into_iter()
            .map(|ix| &self.persons[ix as usize])
            .filter(|p| {
                p.profile
                    .as_ref()
                    .is_some_and(|pr| !pr.personal.is_erased())
            })
            .collect();
        rows.sort_by_key(|p| p.profile.as_ref().map(|pr| pr.position));
        rows
    }
}

/// The words of a name, lowercase, accents and marks removed: "D'Angelo-Nguyễn  Thị" gives
/// `["d", "angelo", "nguyen", "thi"]`.
///
/// Each character is decomposed (Unicode canonical decomposition, NFD) and every combining mark
/// dropped, in any script: Latin accents, Greek tonos and dialytika (`Ελένη`, `Ελενη`), Cyrillic
/// breve and diaeresis (`Андрій`/`Андрии`, `Алёна`/`Алена`), Arabic short vowels, shadda and the
/// hamza on alef (`أحمد`/`احمد`), Hebrew points, Devanagari nukta. Latin letters without a
/// decomposition fold by a table (`ø`, `ł`, `đ`, `ß`, `æ`), the Arabic tatweel is dropped, the
/// Greek final sigma is a sigma. Not covered: one script written in another (`Олена` does not
/// find `Olena`), Han characters (kept as they are).
pub fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let decomposed = name.chars().flat_map(char::to_lowercase).flat_map(|c| {
        let mut parts = Vec::with_capacity(2);
        unicode_normalization::char::decompose_canonical(c, |p| parts.push(p));
        parts
    });
    for c in decomposed {
        if unicode_normalization::char::is_combining_mark(c) || c == ARABIC_TATWEEL {
            continue;
        }
        match fold_letter(c) {
            Some(base) => word.push_str(base),
            None if c.is_alphanumeric() => word.push(c),
            None => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The Arabic elongation mark: typographic, not a letter.
const ARABIC_TATWEEL: char = '\u{640}';

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn fold_fiscal_code(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// The plain letters of a lowercase letter that has no canonical decomposition but reads as
/// plain letters (`ø`, `ł`, `đ`, `ß`, `æ`, the Greek final sigma), `None` for any other
/// character (those with a decomposition were decomposed before).
fn fold_letter(c: char) -> Option<&'static str> {
    let base = match c {
        'æ' => "ae",
        'ð' | 'đ' => "d",
        'ħ' => "h",
        'ı' => "i",
        'ĳ' => "ij",
        'ĸ' => "k",
        'ŀ' | 'ł' => "l",
        'ŋ' => "n",
        'ø' => "o",
        'œ' => "oe",
        'ß' => "ss",
        'ŧ' => "t",
        'þ' => "th",
        'ς' => "σ",
        _ => return None,
    };
    Some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_case_accents_and_separators() {
        assert_eq!(
            name_words("D'Angelo-NGUYỄN  Thị"),
            ["d", "angelo", "nguyen", "thi"]
        );
        assert_eq!(name_words("Şerban Ţurcanu"), ["serban", "turcanu"]);
        assert_eq!(
            name_words("Trương Thị Ngọc Ánh"),
            ["truong", "thi", "ngoc", "anh"]
        );
        assert_eq!(name_words("Олена Коваль"), ["олена", "коваль"]);
        // A decomposed accent (e + U+0301) folds like the composed one.
        assert_eq!(name_words("Jose\u{301}"), name_words("José"));
        assert_eq!(
            name_words("Søren Łukasz Đorđe"),
            ["soren", "lukasz", "dorde"]
        );
    }

    #[test]
    fn marks_fold_beyond_the_latin_script() {
        // Greek tonos and final sigma.
        assert_eq!(name_words("Ελένη Παππάς"), name_words("ΕΛΕΝΗ ΠΑΠΠΑΣ"));
        // Cyrillic breve and diaeresis.
        assert_eq!(name_words("Андрій Алёна"), name_words("Андріи Алена"));
        // Arabic short vowels, shadda, the hamza on alef and the tatweel.
        assert_eq!(name_words("أَحْمَد مُحَمَّد"), name_words("احمد محـمد"));
        // Hebrew points.
        assert_eq!(name_words("שָׁלוֹם"), name_words("שלום"));
        // One script is not read as another.
        assert_ne!(name_words("Олена"), name_words("Olena"));
    }

    #[test]
    fn each_word_asked_needs_its_own_word_of_the_name() {
        let name: Vec<String> = vec!["ana".into(), "maria".into()];
        assert!(words_match(&["mar".into(), "an".into()], &name));
        assert!(!words_match(&["ma".into(), "mar".into()], &name));
        assert!(!words_match(&["ana".into(), "ana".into()], &name));
    }

    #[test]
    fn a_search_names_something() {
        assert_eq!(PersonSearch::default().check(), Err(SearchError::Empty));
        let short = PersonSearch {
            phone: Some("0774 1".into()),
            ..PersonSearch::default()
        };
        assert_eq!(short.check(), Err(SearchError::PhoneTooShort));
        let name = PersonSearch {
            name: Some("é".into()),
            ..PersonSearch::default()
        };
        assert_eq!(name.check(), Err(SearchError::NameTooShort));
    }
}
