//! Finding a person: by name, birth year, phone or *codice fiscale*.
//!
//! The keys are folded from the opened personal data when a registration (or a correction of
//! it) is applied, and kept in memory only, beside the profile they come from: nothing here is
//! written to a file or logged. An erasure empties them, and an erased person is never a match,
//! so they are unfindable from the position of their `PersonErased` on.

use domain::{ContactKind, PersonalData, SiteId};

use crate::model::{Ix, PersonRow, Profile, ReadModels};
use crate::query::PersonView;

/// The keys a person is found by, folded from their personal data.
#[derive(Clone, Default)]
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
/// `["d", "angelo", "nguyen", "thi"]`. Letters outside the Latin script are kept, lowercase.
pub fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if is_combining_mark(c) {
            continue;
        }
        match fold_latin(c) {
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

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn fold_fiscal_code(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Combining diacritical marks (U+0300 to U+036F): what a decomposed accent leaves.
fn is_combining_mark(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// The plain letters of a lowercase Latin letter with a diacritic (Latin-1 Supplement, Latin
/// Extended-A, the Romanian comma letters and the Vietnamese letters), `None` for any other
/// character.
fn fold_latin(c: char) -> Option<&'static str> {
    let base = match u32::from(c) {
        0xe0..=0xe5 | 0x100..=0x105 | 0x1ea0..=0x1eb7 => "a",
        0xe6 => "ae",
        0xe7 | 0x106..=0x10d => "c",
        0xf0 | 0x10e..=0x111 => "d",
        0xe8..=0xeb | 0x112..=0x11b | 0x1eb8..=0x1ec7 => "e",
        0x11c..=0x123 => "g",
        0x124..=0x127 => "h",
        0xec..=0xef | 0x128..=0x131 | 0x1ec8..=0x1ecb => "i",
        0x132 | 0x133 => "ij",
        0x134 | 0x135 => "j",
        0x136..=0x138 => "k",
        0x139..=0x142 => "l",
        0xf1 | 0x143..=0x14b => "n",
        0xf2..=0xf6 | 0xf8 | 0x14c..=0x151 | 0x1a0 | 0x1a1 | 0x1ecc..=0x1ee3 => "o",
        0x152 | 0x153 => "oe",
        0x154..=0x159 => "r",
        0xdf => "ss",
        0x15a..=0x161 | 0x218 | 0x219 => "s",
        0x162..=0x167 | 0x21a | 0x21b => "t",
        0xfe => "th",
        0xf9..=0xfc | 0x168..=0x173 | 0x1af | 0x1b0 | 0x1ee4..=0x1ef1 => "u",
        0x174 | 0x175 => "w",
        0xfd | 0xff | 0x176..=0x178 | 0x1ef2..=0x1ef9 => "y",
        0x179..=0x17e => "z",
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
