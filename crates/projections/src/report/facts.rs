//! The facts a report template groups: one row per beneficiary, contact, group activity or
//! distribution of information material, each with its dimensions (codes, never labels) and its
//! measures. A template says which of them it groups and how; the figures of `monitoring.rs`
//! stay as they are.
//!
//! Definitions follow `monitoring.rs` (contacts, beneficiaries, periods, sites); in addition:
//! - *Eligibility*: the funder counts third-country nationals. A person with Italian
//!   citizenship is `italian`, one with another EU citizenship and no third-country one is
//!   `eu`, one with an EU (or Italian) citizenship and a third-country one is `dual_eu`; none of
//!   these is a third-country national. A person without a registration is `unknown`.
//! - *New / returning*: registered in the period or after it, or before it started.
//! - *Hours*: an intervention's recorded minutes, a mediation session's start to end, an intake
//!   none; a group activity its duration.

use std::collections::BTreeSet;

use chrono::Datelike;
use domain::{PersonId, SiteId};

use crate::model::{Ix, ReadModels, NO_IX};
use crate::monitoring::{AgeBand, ContactActivity};
use crate::period::Period;
use crate::sym::{from_bits, Sym};

/// The member states of the European Union other than Italy (ISO 3166-1 alpha-2).
pub const EU_OTHER_THAN_ITALY: [&str; 26] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "LT",
    "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// What a template can group: the facts of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// One fact per beneficiary and vulnerability category (`none` for a person without one):
    /// dimensions `citizenship`, `eligibility`, `sex`, `age_band`, `permit_type`,
    /// `vulnerability`, `status`, `household_size`; measure `persons` (distinct).
    Beneficiaries,
    /// One fact per contact: dimensions `activity`, `site`, `eligibility`; measures `contacts`,
    /// `persons` (distinct), `minutes` (and `hours`).
    Contacts,
    /// One fact per group activity: dimensions `kind`, `site`; measures `activities`,
    /// `attendees_third_country`, `attendees_other`, `minutes` (and `hours`).
    GroupActivities,
    /// One fact per distribution: dimensions `item`, `language`, `channel`, `site`; measures
    /// `distributions`, `quantity`.
    InformationMaterial,
    /// One fact per survey response: dimensions `site`, `helpful`; measure `responses`; and
    /// `persons_served`, the period's beneficiaries, for the response rate.
    Satisfaction,
}

impl Source {
    /// Whether a fact's cells count people, and so are protected as small cells outside the desk.
    pub fn counts_people(self) -> bool {
        match self {
            Source::Beneficiaries | Source::Contacts => true,
            // Attendees and responses name no person; copies are not people.
            Source::GroupActivities | Source::InformationMaterial | Source::Satisfaction => false,
        }
    }
}

/// One fact: its dimensions (name, code), the person it is about, and its measures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    pub dims: Vec<(&'static str, String)>,
    /// For distinct counts of persons (`persons`); never written out.
    pub person: Option<PersonId>,
    pub values: Vec<(&'static str, u64)>,
}

impl Fact {
    /// The code of a dimension (empty when the fact has no such dimension).
    pub fn dim(&self, name: &str) -> &str {
        self.dims
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A measure's value (0 when the fact has no such measure).
    pub fn value(&self, name: &str) -> u64 {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, v)| *v)
    }
}

/// A person's eligibility code from their citizenships (see the module docs).
pub fn eligibility(citizenships: &[&str]) -> &'static str {
    let italian = citizenships.contains(&"IT");
    let eu = citizenships.iter().any(|c| EU_OTHER_THAN_ITALY.contains(c));
    let third = citizenships
        .iter()
        .any(|c| *c != "IT" && !EU_OTHER_THAN_ITALY.contains(c));
    if citizenships.is_empty() {
        "unknown"
    } else if !(italian || eu) {
        "third_country"
    } else if third {
        "dual_eu"
    } else if italian {
        "italian"
    } else {
        "eu"
    }
}

/// A contact as the report facts need it.
struct Touch {
    activity: ContactActivity,
    site: Sym,
    person: Option<Ix>,
    minutes: u64,
}

impl ReadModels {
    /// The facts of `source` in the period, at one site or all.
    pub fn report_facts(
        &self,
        source: Source,
        period: &Period,
        site: Option<&SiteId>,
    ) -> Vec<Fact> {
        let site_sym: Option<Sym> = site.map(|s| self.syms.get(s.as_str()).unwrap_or(Sym::NONE));
        match source {
            Source::Beneficiaries => self.beneficiary_facts(period, site_sym),
            Source::Contacts => self
                .touches(period, site_sym)
                .into_iter()
                .map(|t| Fact {
                    dims: vec![
                        ("activity", t.activity.as_str().to_string()),
                        ("site", self.syms.name(t.site).to_string()),
                        (
                            "eligibility",
                            t.person
                                .map_or("unknown", |p| self.eligibility_of(p))
                                .to_string(),
                        ),
                    ],
                    person: t.person.map(|p| self.persons[p as usize].id),
                    values: vec![("contacts", 1), ("minutes", t.minutes)],
                })
                .collect(),
            Source::GroupActivities => self
                .groups
                .iter()
                .filter(|g| site_sym.is_none_or(|s| s == g.site) && period.contains(g.at))
                .map(|g| Fact {
                    dims: vec![
                        ("kind", g.kind.as_str().to_string()),
                        ("site", self.syms.name(g.site).to_string()),
                    ],
                    person: None,
                    values: vec![
                        ("activities", 1),
                        (
                            "attendees_third_country",
                            u64::from(g.attendees_third_country),
                        ),
                        ("attendees_other", u64::from(g.attendees_other)),
                        ("minutes", u64::from(g.duration_minutes)),
                    ],
                })
                .collect(),
            Source::InformationMaterial => self
                .materials
                .iter()
                .filter(|m| site_sym.is_none_or(|s| s == m.site) && period.contains(m.at))
                .map(|m| Fact {
                    dims: vec![
                        ("item", m.item.clone()),
                        ("language", m.language.clone()),
                        ("channel", m.channel.as_str().to_string()),
                        ("site", self.syms.name(m.site).to_string()),
                    ],
                    person: None,
                    values: vec![("distributions", 1), ("quantity", u64::from(m.quantity))],
                })
                .collect(),
            Source::Satisfaction => {
                let served = self.beneficiary_facts(period, site_sym);
                let served: BTreeSet<_> = served.iter().filter_map(|f| f.person).collect();
                let mut facts: Vec<Fact> = self
                    .surveys
                    .iter()
                    .filter(|s| site_sym.is_none_or(|x| x == s.site) && period.contains(s.at))
                    .map(|s| Fact {
                        dims: vec![
                            ("site", self.syms.name(s.site).to_string()),
                            ("helpful", if s.helpful { "yes" } else { "no" }.to_string()),
                        ],
                        person: None,
                        values: vec![("responses", 1)],
                    })
                    .collect();
                // The persons served carry no dimension of a response: one fact holds their number.
                facts.push(Fact {
                    dims: Vec::new(),
                    person: None,
                    values: vec![(
                        "persons_served",
                        u64::try_from(served.len()).unwrap_or(u64::MAX),
                    )],
                });
                facts
            }
        }
    }

    fn eligibility_of(&self, p: Ix) -> &'static str {
        match &self.persons[p as usize].profile {
            None => "unknown",
            Some(pr) => {
                let names: Vec<&str> = pr.citizenships.iter().map(|c| self.syms.name(*c)).collect();
                eligibility(&names)
            }
        }
    }

    fn touches(&self, period: &Period, site: Option<Sym>) -> Vec<Touch> {
        let at_site = |s: Sym| site.is_none_or(|x| x == s);
        let mut out = Vec::new();
        for r in &self.intakes {
            if at_site(r.site) && period.contains(r.at) {
                out.push(Touch {
                    activity: ContactActivity::Intake,
                    site: r.site,
                    person: Some(self.kept(r.person)),
                    minutes: 0,
                });
            }
        }
        for r in &self.interventions {
            if at_site(r.site) && period.contains(r.at) {
                out.push(Touch {
                    activity: r.activity.into(),
                    site: r.site,
                    person: Some(r.person).filter(|p| *p != NO_IX).map(|p| self.kept(p)),
                    minutes: u64::from(r.duration_minutes),
                });
            }
        }
        for s in &self.sessions {
            if at_site(s.site) && period.contains(s.started_at) {
                out.push(Touch {
                    activity: ContactActivity::Mediation,
                    site: s.site,
                    person: s.person.map(|p| self.kept(p)),
                    minutes: s.minutes(),
                });
            }
        }
        out
    }

    fn beneficiary_facts(&self, period: &Period, site: Option<Sym>) -> Vec<Fact> {
        let ref_year = period.to.year();
        let persons: BTreeSet<Ix> = self
            .touches(period, site)
            .into_iter()
            .filter_map(|t| t.person)
            .collect();
        let mut facts = Vec::new();
        for p in persons {
            let row = &self.persons[p as usize];
            let pr = row.profile.as_ref();
            let code = |s: Option<&'static str>| s.unwrap_or("unknown").to_string();
            let mut dims = vec![
                (
                    "citizenship",
                    pr.and_then(|pr| pr.citizenships.first())
                        .map_or("unknown".to_string(), |c| self.syms.name(*c).to_string()),
                ),
                ("eligibility", self.eligibility_of(p).to_string()),
                ("sex", code(pr.map(|pr| pr.sex.as_str()))),
                (
                    "age_band",
                    code(pr.map(|pr| AgeBand::of_age(ref_year - pr.birth_year).as_str())),
                ),
                ("permit_type", code(pr.map(|pr| pr.permit_type.as_str()))),
                (
                    "status",
                    code(pr.map(|pr| {
                        if pr.registered_at.date_naive() < period.from {
                            "returning"
                        } else {
                            "new"
                        }
                    })),
                ),
                (
                    "household_size",
                    pr.map_or("unknown".to_string(), |pr| pr.household_size.to_string()),
                ),
            ];
            let categories = from_bits(domain::VulnerabilityCategory::ALL, row.vulnerabilities);
            let categories: Vec<&str> = if categories.is_empty() {
                vec!["none"]
            } else {
                categories.iter().map(|c| c.as_str()).collect()
            };
            dims.push(("vulnerability", String::new()));
            for c in categories {
                let mut dims = dims.clone();
                if let Some(last) = dims.last_mut() {
                    last.1 = c.to_string();
                }
                facts.push(Fact {
                    dims,
                    person: Some(row.id),
                    values: Vec::new(),
                });
            }
        }
        facts
    }
}
