//! Persons: the statistics fields and, apart, the personal data.

use super::*;

/// A registered person: the fields statistics count by, as they stand now (corrections and
/// updates applied), and the personal data apart.
#[derive(SimpleObject)]
pub struct Person {
    pub id: ID,
    /// The site that registered the person.
    pub site: String,
    pub registered_at: DateTime<Utc>,
    /// Journal position of the registration.
    pub position: u64,
    pub birth_year: i32,
    pub sex: Sex,
    /// ISO 3166-1 alpha-2 codes; the first is the one reports count by.
    pub citizenships: Vec<String>,
    pub country_of_birth: String,
    pub arrival_year: Option<i32>,
    pub permit_type: PermitType,
    pub permit_expires_on: Option<NaiveDate>,
    /// The permit's renewal was applied for (*rinnovo in corso*).
    pub permit_renewal_pending: bool,
    /// When the latest `updatePerson` happened, if any.
    pub updated_at: Option<DateTime<Utc>>,
    /// ISO 639 codes.
    pub languages: Vec<String>,
    pub household_size: u8,
    pub minor: bool,
    pub unaccompanied_minor: bool,
    /// Categories of the latest vulnerability assessment (empty if none or never assessed).
    pub vulnerabilities: Vec<VulnerabilityCategory>,
    /// Scopes currently consented.
    pub consents: Vec<ConsentScope>,
    /// Name, exact birth date and contacts: special-category data, shown only here. After an
    /// erasure the name reads `[erased]`, the birth date `null` and the contacts are empty.
    pub personal: PersonalData,
    /// The person's personal data was erased (`erasePerson`): only the statistics fields are
    /// left.
    pub erased: bool,
    /// This registration was merged into another (`mergePersons`): the same person, whose id
    /// is the one to use.
    pub merged_into: Option<ID>,
    /// The sites that took the person on after the one that registered them
    /// (`takeOnPerson`).
    pub taken_on_at: Vec<String>,
}

/// Name, exact birth date and contacts of a person.
#[derive(SimpleObject)]
pub struct PersonalData {
    pub full_name: String,
    pub birth_date: Option<NaiveDate>,
    pub contacts: Vec<PersonContact>,
    /// The *codice fiscale*, where the person has one.
    pub fiscal_code: Option<String>,
}

/// One way to reach a person.
#[derive(SimpleObject)]
pub struct PersonContact {
    pub kind: ContactKind,
    pub value: String,
}

impl From<desk::projections::PersonView> for Person {
    fn from(v: desk::projections::PersonView) -> Self {
        Person {
            id: id(v.id),
            site: v.site.0,
            registered_at: v.registered_at,
            position: v.position.0,
            birth_year: v.birth_year,
            sex: v.sex.into(),
            citizenships: v.citizenships,
            country_of_birth: v.country_of_birth,
            arrival_year: v.arrival_year,
            permit_type: v.permit_type.into(),
            permit_expires_on: v.permit_expires_on,
            permit_renewal_pending: v.permit_renewal_pending,
            updated_at: v.updated_at,
            languages: v.languages,
            household_size: v.household_size,
            minor: v.minor,
            unaccompanied_minor: v.unaccompanied_minor,
            vulnerabilities: words(&v.vulnerabilities),
            consents: words(&v.consents),
            erased: v.personal.is_erased(),
            merged_into: v.merged_into.map(id),
            taken_on_at: v.taken_on.into_iter().map(|s| s.0).collect(),
            personal: PersonalData {
                full_name: v.personal.full_name,
                birth_date: v.personal.birth_date,
                contacts: v
                    .personal
                    .contacts
                    .into_iter()
                    .map(|c| PersonContact {
                        kind: c.kind.into(),
                        value: c.value,
                    })
                    .collect(),
                fiscal_code: v.personal.fiscal_code,
            },
        }
    }
}

/// `true` when the principal's scope (a mediator's site, or `None` for every site) holds the
/// person: the site registered them or took them on.
pub(crate) fn person_in_scope(
    scope: Option<&Vec<SiteId>>,
    person: &desk::projections::PersonView,
) -> bool {
    scope.is_none_or(|own| {
        own.iter()
            .any(|own| person.site == *own || person.taken_on.contains(own))
    })
}
