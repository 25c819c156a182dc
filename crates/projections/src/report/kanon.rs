//! k-anonymity for row-level views that leave the desk (`pseudonymisedPersons`;
//! `docs/adr/0013`, "Rows"): every combination of quasi-identifiers shown is shared by at least
//! k rows of the view.
//!
//! A row whose exact combination is shared by at least k rows is shown as it is. The others are
//! generalised (the caller's `generalise`: citizenship to its area) and shown generalised when
//! at least k of them share the generalised combination; the rest are held back, and counted.
//! Generalised and exact rows never mix in a combination, so no shown combination has fewer
//! than k rows, and a generalised row is not told apart from the exact ones beside it.

use std::collections::BTreeMap;

use crate::monitoring::AgeBand;
use crate::person::PersonView;

/// The quasi-identifiers of a person, the combination k-anonymity groups by (the pseudonymised
/// view and evaluator bundles alike): age band, sex, first citizenship, permit type, household
/// size.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct QuasiIdentifiers {
    pub age_band: &'static str,
    pub sex: &'static str,
    pub citizenship: Option<String>,
    pub permit_type: &'static str,
    pub household_size: u8,
}

impl QuasiIdentifiers {
    /// A person's combination, the age band at `year`.
    pub fn of(p: &PersonView, year: i32) -> QuasiIdentifiers {
        QuasiIdentifiers {
            age_band: AgeBand::of_age(year - p.birth_year).as_str(),
            sex: p.sex.as_str(),
            citizenship: p.citizenships.first().cloned(),
            permit_type: p.permit_type.as_str(),
            household_size: p.household_size,
        }
    }

    /// The combination with the citizenship as its area (lowercase words, never a country's
    /// code).
    pub fn generalised(&self) -> QuasiIdentifiers {
        let mut q = self.clone();
        q.citizenship = q.citizenship.map(|c| citizenship_area(&c).to_string());
        q
    }
}

/// What happens to a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// Shown as it is.
    Exact,
    /// Shown with its quasi-identifiers generalised.
    Generalised,
    /// Not shown: its combination is rarer than k even generalised.
    HeldBack,
}

/// The release of each row, from its quasi-identifiers.
pub fn k_anonymise<Q: Ord + Clone>(
    rows: &[Q],
    generalise: impl Fn(&Q) -> Q,
    k: usize,
) -> Vec<Release> {
    let mut exact: BTreeMap<&Q, usize> = BTreeMap::new();
    for q in rows {
        *exact.entry(q).or_default() += 1;
    }
    let mut release: Vec<Release> = rows
        .iter()
        .map(|q| {
            if exact[q] >= k {
                Release::Exact
            } else {
                Release::HeldBack
            }
        })
        .collect();
    let general: Vec<Option<Q>> = rows
        .iter()
        .zip(&release)
        .map(|(q, r)| (*r == Release::HeldBack).then(|| generalise(q)))
        .collect();
    let mut counts: BTreeMap<&Q, usize> = BTreeMap::new();
    for g in general.iter().flatten() {
        *counts.entry(g).or_default() += 1;
    }
    for (r, g) in release.iter_mut().zip(&general) {
        if let Some(g) = g {
            if counts[g] >= k {
                *r = Release::Generalised;
            }
        }
    }
    release
}

/// The area of a citizenship (ISO 3166-1 alpha-2), as a generalised row shows it: `africa`,
/// `americas`, `asia`, `europe`, `oceania`; `other` for a code not listed.
pub fn citizenship_area(code: &str) -> &'static str {
    const AFRICA: &[&str] = &[
        "DZ", "AO", "BJ", "BW", "BF", "BI", "CV", "CM", "CF", "TD", "KM", "CG", "CD", "CI", "DJ",
        "EG", "GQ", "ER", "SZ", "ET", "GA", "GM", "GH", "GN", "GW", "KE", "LS", "LR", "LY", "MG",
        "MW", "ML", "MR", "MU", "MA", "MZ", "NA", "NE", "NG", "RW", "ST", "SN", "SC", "SL", "SO",
        "ZA", "SS", "SD", "TZ", "TG", "TN", "UG", "ZM", "ZW", "EH",
    ];
    const AMERICAS: &[&str] = &[
        "AR", "BO", "BR", "CL", "CO", "EC", "GY", "PY", "PE", "SR", "UY", "VE", "MX", "GT", "HN",
        "SV", "NI", "CR", "PA", "CU", "DO", "HT", "JM", "TT", "BB", "BS", "BZ", "US", "CA", "DM",
        "GD", "KN", "LC", "VC", "AG",
    ];
    const ASIA: &[&str] = &[
        "AF", "AM", "AZ", "BH", "BD", "BT", "BN", "KH", "CN", "GE", "IN", "ID", "IR", "IQ", "IL",
        "JP", "JO", "KZ", "KW", "KG", "LA", "LB", "MY", "MV", "MN", "MM", "NP", "KP", "OM", "PK",
        "PS", "PH", "QA", "SA", "SG", "KR", "LK", "SY", "TW", "TJ", "TH", "TL", "TR", "TM", "AE",
        "UZ", "VN", "YE",
    ];
    const EUROPE: &[&str] = &[
        "AL", "AD", "AT", "BY", "BE", "BA", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE",
        "GR", "HU", "IS", "IE", "IT", "XK", "LV", "LI", "LT", "LU", "MT", "MD", "MC", "ME", "NL",
        "MK", "NO", "PL", "PT", "RO", "RU", "SM", "RS", "SK", "SI", "ES", "SE", "CH", "UA", "GB",
        "VA",
    ];
    const OCEANIA: &[&str] = &[
        "AU", "NZ", "FJ", "PG", "SB", "VU", "WS", "TO", "KI", "FM", "MH", "NR", "PW", "TV",
    ];
    let code = code.to_ascii_uppercase();
    let code = code.as_str();
    [
        ("africa", AFRICA),
        ("americas", AMERICAS),
        ("asia", ASIA),
        ("europe", EUROPE),
        ("oceania", OCEANIA),
    ]
    .into_iter()
    .find(|(_, codes)| codes.contains(&code))
    .map_or("other", |(area, _)| area)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(q: &(&'static str, u8)) -> (&'static str, u8) {
        (citizenship_area(q.0), q.1)
    }

    #[test]
    fn a_unique_row_is_generalised_when_its_area_is_shared_and_held_back_when_not() {
        let mut rows = vec![("PK", 3); 5];
        rows.extend([("BD", 3), ("AF", 3), ("IN", 3), ("CN", 3), ("NP", 3)]);
        rows.push(("PE", 3));
        let r = k_anonymise(&rows, area, 5);
        assert!(r[..5].iter().all(|r| *r == Release::Exact));
        assert!(r[5..10].iter().all(|r| *r == Release::Generalised));
        assert_eq!(r[10], Release::HeldBack);
    }

    #[test]
    fn every_shown_combination_has_k_rows() {
        let rows: Vec<(&str, u8)> = (0..60u8)
            .map(|i| {
                (
                    ["MA", "EG", "SN", "PE", "CO", "UA"][usize::from(i % 6)],
                    i % 4,
                )
            })
            .collect();
        let r = k_anonymise(&rows, area, 5);
        let mut shown: BTreeMap<(&str, u8), usize> = BTreeMap::new();
        for (q, r) in rows.iter().zip(&r) {
            match r {
                Release::Exact => *shown.entry(*q).or_default() += 1,
                Release::Generalised => *shown.entry(area(q)).or_default() += 1,
                Release::HeldBack => {}
            }
        }
        assert!(shown.values().all(|n| *n >= 5), "{shown:?}");
    }
}
