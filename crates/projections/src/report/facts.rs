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
//! - *Persons served* (the response rate's denominator): the distinct persons with at least one
//!   contact recorded in the period (an intake, an intervention or a mediation session naming
//!   them), whatever their eligibility; the same persons the `beneficiaries` facts are made of.
//! - *Survey definition*: each response answers one version of one definition (`survey.rs`);
//!   its code is `<slug>/<version>`, its label the definition's heading, version and languages.

use std::collections::BTreeSet;

use chrono::Datelike;
use domain::{Label, PersonId, SiteId, SurveyDefined};

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
    /// One fact per survey response: dimensions `definition` (the definition and version
    /// answered), `site`, `helpful`; measure `responses`; and `persons_served`, the persons
    /// served in the period (see the module docs), for the response rate.
    Satisfaction,
    /// One fact per item scored in a survey response: dimensions `definition`, `item` (the
    /// item's code, labelled as the definition labels it, in its order), `scale` (`min-max`,
    /// labelled with the scale's points), `site`; measures `answers`, `score_sum` (and `mean`,
    /// on the item's own scale).
    SurveyItems,
}

impl Source {
    /// Whether a fact's cells count people, and so are protected as small cells outside the desk.
    pub fn counts_people(self) -> bool {
        match self {
            Source::Beneficiaries | Source::Contacts => true,
            // Attendees and responses name no person; copies are not people.
            Source::GroupActivities
            | Source::InformationMaterial
            | Source::Satisfaction
            | Source::SurveyItems => false,
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
    /// Labels a fact brings for its own codes (a survey definition's items), with their place
    /// in the dimension's order; other codes are labelled by the template or the vocabulary.
    pub labels: Vec<Named>,
}

/// The label and order of a fact's code of one dimension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub dimension: &'static str,
    pub order: usize,
    pub label: Label,
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
                    labels: Vec::new(),
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
                    labels: Vec::new(),
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
                    labels: Vec::new(),
                })
                .collect(),
            Source::Satisfaction => {
                let served = self.beneficiary_facts(period, site_sym);
                let served: BTreeSet<_> = served.iter().filter_map(|f| f.person).collect();
                let definitions = self.survey_definitions();
                let mut facts: Vec<Fact> = self
                    .surveys
                    .iter()
                    .filter(|s| site_sym.is_none_or(|x| x == s.site) && period.contains(s.at))
                    .map(|s| {
                        let (code, named) = self.definition_named(&definitions, s);
                        Fact {
                            dims: vec![
                                ("definition", code),
                                ("site", self.syms.name(s.site).to_string()),
                                ("helpful", if s.helpful { "yes" } else { "no" }.to_string()),
                            ],
                            person: None,
                            values: vec![("responses", 1)],
                            labels: vec![named],
                        }
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
                    labels: Vec::new(),
                });
                facts
            }
            Source::SurveyItems => self.survey_item_facts(period, site_sym),
        }
    }

    /// A response's definition as a code (`<slug>/<version>`) and its label (the heading, the
    /// version and the languages), placed in the order of `definitions`.
    fn definition_named(
        &self,
        definitions: &[SurveyDefined],
        s: &crate::activity::SurveyRow,
    ) -> (String, Named) {
        let slug = self.syms.name(s.definition);
        let found = definitions
            .iter()
            .position(|d| d.definition == slug && d.version == s.version);
        let code = format!("{slug}/{}", s.version);
        let label = match found.map(|i| &definitions[i]) {
            Some(d) => {
                let languages = d.languages.join(", ");
                Label {
                    it: format!(
                        "{}, versione {} (lingue: {languages})",
                        d.heading.it, d.version
                    ),
                    en: Some(format!(
                        "{}, version {} (languages: {languages})",
                        d.heading.en.as_deref().unwrap_or(&d.heading.it),
                        d.version
                    )),
                }
            }
            None => Label {
                it: code.clone(),
                en: None,
            },
        };
        let named = Named {
            dimension: "definition",
            order: found.unwrap_or(usize::MAX),
            label,
        };
        (code, named)
    }

    fn survey_item_facts(&self, period: &Period, site: Option<Sym>) -> Vec<Fact> {
        let definitions = self.survey_definitions();
        let mut facts = Vec::new();
        for s in &self.surveys {
            if !(site.is_none_or(|x| x == s.site) && period.contains(s.at)) {
                continue;
            }
            let (code, named) = self.definition_named(&definitions, s);
            let definition = definitions.get(named.order);
            for (item, score) in &s.answers {
                let item = self.syms.name(*item);
                let defined = definition
                    .and_then(|d| d.items.iter().enumerate().find(|(_, i)| i.code == item));
                let (order, label, scale) = match defined {
                    Some((i, d)) => (i, d.label.clone(), Some(&d.scale)),
                    None => (
                        usize::MAX,
                        Label {
                            it: item.into(),
                            en: None,
                        },
                        None,
                    ),
                };
                let (scale_code, scale_named) = match scale {
                    Some(sc) => (
                        format!("{}-{}", sc.min, sc.max),
                        Named {
                            dimension: "scale",
                            order: usize::from(sc.min) * 256 + usize::from(sc.max),
                            label: scale_label(sc),
                        },
                    ),
                    None => (
                        String::new(),
                        Named {
                            dimension: "scale",
                            order: usize::MAX,
                            label: Label {
                                it: String::new(),
                                en: None,
                            },
                        },
                    ),
                };
                facts.push(Fact {
                    dims: vec![
                        ("definition", code.clone()),
                        ("item", item.to_string()),
                        ("scale", scale_code),
                        ("site", self.syms.name(s.site).to_string()),
                    ],
                    person: None,
                    values: vec![("answers", 1), ("score_sum", u64::from(*score))],
                    labels: vec![
                        named.clone(),
                        Named {
                            dimension: "item",
                            order,
                            label,
                        },
                        scale_named,
                    ],
                });
            }
        }
        facts
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
                        if domain::state::desk_day(pr.registered_at) < period.from {
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
                    labels: Vec::new(),
                });
            }
        }
        facts
    }
}

/// A scale as the report writes it: `da 1 (Scarso) a 5 (Ottimo)`, or `da 0 a 10` without labels.
fn scale_label(scale: &domain::SurveyScale) -> Label {
    let (first, last) = (scale.labels.first(), scale.labels.last());
    let end = |n: u8, l: Option<&Label>, en: bool| match l {
        Some(l) if en => format!("{n} ({})", l.en.as_deref().unwrap_or(&l.it)),
        Some(l) => format!("{n} ({})", l.it),
        None => n.to_string(),
    };
    Label {
        it: format!(
            "da {} a {}",
            end(scale.min, first, false),
            end(scale.max, last, false)
        ),
        en: Some(format!(
            "from {} to {}",
            end(scale.min, first, true),
            end(scale.max, last, true)
        )),
    }
}
