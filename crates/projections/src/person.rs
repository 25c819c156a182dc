//! The persons' read model: each registration's row (`PersonRow`, its `Profile`), its view
//! (`PersonView`) and queries, and the fold of the person's events.

use chrono::{DateTime, NaiveDate, Utc};
use domain::*;
use journal::Position;
use serde::Serialize;
use ulid::Ulid;

use crate::apply::{At, Fold};
use crate::model::*;
use crate::period::Period;
use crate::search::SearchKeys;
use crate::sym::{bits, from_bits, Sym};

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct PersonRow {
    pub id: PersonId,
    pub profile: Option<Profile>,
    /// Categories of the latest assessment, as bits of `VulnerabilityCategory::ALL`.
    pub vulnerabilities: u32,
    pub assessed_at: Option<Position>,
    /// Scopes currently consented, as bits of `ConsentScope::ALL`.
    pub consents: u32,
    /// The latest intake: position, time.
    pub last_intake: Option<(Position, Ulid, DateTime<Utc>)>,
    /// The registration this one was merged into (`PersonsMerged`), or [`NO_IX`].
    pub merged_into: Ix,
    /// The sites that took the person on after their registration (`PersonTakenOn`).
    pub taken_on: Vec<Sym>,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Profile {
    /// The registration's event.
    pub event_id: Ulid,
    pub site: Sym,
    pub registered_at: DateTime<Utc>,
    pub position: Position,
    pub birth_year: i32,
    pub sex: Sex,
    pub citizenships: Box<[Sym]>,
    pub country_of_birth: Sym,
    pub arrival_year: Option<i32>,
    pub permit_type: PermitType,
    pub permit_expires_on: Option<NaiveDate>,
    /// The permit's renewal was applied for (a status beside the type).
    pub permit_renewal_pending: bool,
    /// When the latest `PersonUpdated` happened, if any: the values here are the current ones.
    pub updated_at: Option<DateTime<Utc>>,
    pub languages: Box<[Sym]>,
    pub household_size: u8,
    pub minor: bool,
    pub unaccompanied_minor: bool,
    pub personal: PersonalData,
    /// What the person is found by, folded from `personal` (memory only).
    pub search: SearchKeys,
}

/// A registered person: the statistics fields as the domain gives them (corrections applied),
/// and the personal data, which the API shows only to whom it may.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonView {
    pub id: PersonId,
    pub site: SiteId,
    pub registered_at: DateTime<Utc>,
    pub position: Position,
    pub birth_year: i32,
    pub sex: Sex,
    pub citizenships: Vec<String>,
    pub country_of_birth: String,
    pub arrival_year: Option<i32>,
    pub permit_type: PermitType,
    pub permit_expires_on: Option<NaiveDate>,
    /// The permit's renewal was applied for.
    pub permit_renewal_pending: bool,
    /// When the latest update (`PersonUpdated`) happened: the values shown are the current ones.
    pub updated_at: Option<DateTime<Utc>>,
    pub languages: Vec<String>,
    pub household_size: u8,
    pub minor: bool,
    pub unaccompanied_minor: bool,
    /// Categories of the latest vulnerability assessment (empty if none or never assessed).
    pub vulnerabilities: Vec<VulnerabilityCategory>,
    pub consents: Vec<ConsentScope>,
    pub personal: PersonalData,
    /// The registration this one was merged into (`PersonsMerged`): the same person, whose id
    /// is the one to use.
    pub merged_into: Option<PersonId>,
    /// The sites that took the person on after the one that registered them.
    pub taken_on: Vec<SiteId>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonFilter {
    pub site: Option<SiteId>,
    pub permit_type: Option<PermitType>,
    pub sex: Option<Sex>,
    /// ISO 3166-1 alpha-2; matches any of the person's citizenships.
    pub citizenship: Option<String>,
    pub vulnerability: Option<VulnerabilityCategory>,
    pub registered_in: Option<Period>,
}

impl ReadModels {
    pub(crate) fn person_view(&self, p: &PersonRow) -> Option<PersonView> {
        let pr = p.profile.as_ref()?;
        Some(PersonView {
            id: p.id,
            site: self.site(pr.site),
            registered_at: pr.registered_at,
            position: pr.position,
            birth_year: pr.birth_year,
            sex: pr.sex,
            citizenships: self.syms.names(&pr.citizenships),
            country_of_birth: self.syms.name(pr.country_of_birth).to_string(),
            arrival_year: pr.arrival_year,
            permit_type: pr.permit_type,
            permit_expires_on: pr.permit_expires_on,
            permit_renewal_pending: pr.permit_renewal_pending,
            updated_at: pr.updated_at,
            languages: self.syms.names(&pr.languages),
            household_size: pr.household_size,
            minor: pr.minor,
            unaccompanied_minor: pr.unaccompanied_minor,
            vulnerabilities: from_bits(VulnerabilityCategory::ALL, p.vulnerabilities),
            consents: from_bits(ConsentScope::ALL, p.consents),
            personal: pr.personal.clone(),
            taken_on: p.taken_on.iter().map(|s| self.site(*s)).collect(),
            merged_into: (p.merged_into != NO_IX)
                .then(|| self.person_keys.key(self.kept(p.merged_into))),
        })
    }

    pub fn person(&self, id: PersonId) -> Option<PersonView> {
        let ix = self.person_keys.get(&id)?;
        self.person_view(&self.persons[ix as usize])
    }

    /// Registered persons matching the filter, in registration order; a registration merged
    /// into another is left out (the kept one stands for both).
    pub fn persons(&self, f: &PersonFilter) -> Vec<PersonView> {
        let Some(site) = self.site_filter(&f.site) else {
            return Vec::new();
        };
        let citizenship = f.citizenship.as_deref().map(|c| self.syms.get(c));
        let mut rows: Vec<&PersonRow> = self
            .persons
            .iter()
            .filter(|p| {
                let Some(pr) = p.profile.as_ref() else {
                    return false;
                };
                p.merged_into == NO_IX
                    && site.is_none_or(|s| s == pr.site || p.taken_on.contains(&s))
                    && f.permit_type.is_none_or(|t| t == pr.permit_type)
                    && f.sex.is_none_or(|s| s == pr.sex)
                    && citizenship.is_none_or(|c| c.is_some_and(|c| pr.citizenships.contains(&c)))
                    && f.vulnerability.is_none_or(|v| {
                        from_bits(VulnerabilityCategory::ALL, p.vulnerabilities).contains(&v)
                    })
                    && f.registered_in.is_none_or(|r| r.contains(pr.registered_at))
            })
            .collect();
        rows.sort_by_key(|p| p.profile.as_ref().map(|pr| pr.position));
        rows.into_iter()
            .filter_map(|p| self.person_view(p))
            .collect()
    }
}

// The fold: no rules here, whatever is in the journal happened.

impl Fold for PersonRegistered {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At {
            rec,
            position,
            site,
            ..
        } = *at;
        let ix = m.person_ix(self.person_id);
        let profile = Profile {
            event_id: rec.id,
            site,
            registered_at: self.occurred_at,
            position,
            birth_year: self.birth_year,
            sex: self.sex,
            citizenships: m.syms.intern_all(&self.citizenships),
            country_of_birth: m.syms.intern(&self.country_of_birth),
            arrival_year: self.arrival_year,
            permit_type: self.permit_type,
            permit_expires_on: self.permit_expires_on,
            permit_renewal_pending: self.permit_renewal_pending,
            updated_at: None,
            languages: m.syms.intern_all(&self.languages),
            household_size: self.household_size,
            minor: self.minor,
            unaccompanied_minor: self.unaccompanied_minor,
            personal: self.personal.clone(),
            search: SearchKeys::of(&self.personal),
        };
        m.persons[ix as usize].profile = Some(profile);
        Some(Target::Person(ix))
    }
}

impl Fold for ConsentGiven {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        let ix = m.person_ix(self.person_id);
        m.persons[ix as usize].consents |= bits(ConsentScope::ALL, &self.scopes);
        None
    }
}

impl Fold for ConsentWithdrawn {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        let ix = m.person_ix(self.person_id);
        m.persons[ix as usize].consents &= !bits(ConsentScope::ALL, &self.scopes);
        None
    }
}

impl Fold for VulnerabilityAssessed {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At { position, .. } = *at;
        let ix = m.person_ix(self.person_id);
        let p = &mut m.persons[ix as usize];
        p.vulnerabilities = bits(VulnerabilityCategory::ALL, &self.categories);
        p.assessed_at = Some(position);
        Some(Target::Assessment(ix))
    }
}

impl Fold for PersonTakenOn {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        let ix = m.person_ix(self.person_id);
        let site = m.syms.intern(self.site_id.as_str());
        m.persons[ix as usize].taken_on.push(site);
        None
    }
}

impl Fold for PersonsMerged {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        let ix = m.person_ix(self.person_id);
        let into = m.person_ix(self.into_person_id);
        m.persons[ix as usize].merged_into = into;
        None
    }
}

impl Fold for PersonErased {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        // The personal data the read models hold are the registration's and the texts of case
        // conferences; the desk decodes every other sealed value as erased from now on.
        let ix = m.person_ix(self.person_id);
        if let Some(profile) = m.persons[ix as usize].profile.as_mut() {
            profile.personal = PersonalData::erased();
            profile.search = SearchKeys::default();
        }
        // The texts of the person's case conferences, opened when folded.
        // Found first, then changed: only the rows changed are copied from a clone's tables.
        let cases: Vec<usize> = (m.cases.iter().enumerate())
            .filter(|(_, c)| c.as_ref().is_some_and(|c| c.person == ix))
            .map(|(i, _)| i)
            .collect();
        for i in cases {
            let Some(c) = m.cases[i].as_mut() else {
                continue;
            };
            for conference in &mut c.conferences {
                conference.participants.fill(PersonalNote::erased());
                conference.decisions.fill(PersonalNote::erased());
            }
        }
        None
    }
}
