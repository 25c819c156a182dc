//! The directory of territorial services, and the filter of `services`.

use super::*;

/// A territorial service in the directory.
#[derive(SimpleObject)]
pub struct Service {
    pub id: ID,
    pub name: String,
    pub kind: ServiceKind,
    pub address: String,
    pub opening_hours: String,
    /// ISO 639 codes the service works in.
    pub languages: Vec<String>,
    pub access_rules: String,
    /// What it offers to Ukrainian-crisis (temporary protection) beneficiaries; `null` if nothing.
    pub ukraine_capacity: Option<UkraineCapacity>,
    pub verified_on: NaiveDate,
    pub mapped_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
    pub retired_reason: Option<String>,
}

#[derive(SimpleObject)]
pub struct UkraineCapacity {
    pub reception_places: u32,
    pub health: bool,
    pub school_access: bool,
}

impl From<desk::projections::ServiceView> for Service {
    fn from(v: desk::projections::ServiceView) -> Self {
        let d = v.description;
        Service {
            id: id(v.id),
            name: d.name,
            kind: d.kind.into(),
            address: d.address,
            opening_hours: d.opening_hours,
            languages: d.languages,
            access_rules: d.access_rules,
            ukraine_capacity: d.ukraine_capacity.map(|c| UkraineCapacity {
                reception_places: c.reception_places,
                health: c.health,
                school_access: c.school_access,
            }),
            verified_on: d.verified_on,
            mapped_at: v.mapped_at,
            updated_at: v.updated_at,
            retired_at: v.retired_at,
            retired_reason: v.retired_reason,
        }
    }
}

/// Which services to list; every field given must match.
#[derive(InputObject, Default)]
pub struct ServiceFilter {
    pub kind: Option<ServiceKind>,
    /// ISO 639 code the service works in.
    pub language: Option<String>,
    /// `true`: only services with a Ukrainian-crisis capacity; `false`: only without.
    pub ukraine_capacity: Option<bool>,
    /// Also list retired services.
    #[graphql(default)]
    pub include_retired: bool,
}

impl ServiceFilter {
    pub(super) fn parse(&self) -> Result<desk::projections::ServiceFilter> {
        Ok(desk::projections::ServiceFilter {
            kind: self.kind.map(Into::into),
            language: opt(&self.language, |l| parse_language("language", l))?,
            ukraine_capacity: self.ukraine_capacity,
            retired: (!self.include_retired).then_some(false),
        })
    }
}
