//! The services' directory: `ServiceRow`, `ServiceView` and the directory queries, and the fold
//! of the service events.

use chrono::{DateTime, Utc};
use domain::*;
use journal::Position;
use serde::Serialize;

use crate::apply::{At, Fold};
use crate::model::*;

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ServiceRow {
    pub id: ServiceId,
    pub description: ServiceDescription,
    /// Position of the event whose description is current.
    pub description_position: Position,
    pub mapped_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub retired: Option<(DateTime<Utc>, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceView {
    pub id: ServiceId,
    pub description: ServiceDescription,
    pub mapped_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
    pub retired_reason: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceFilter {
    pub kind: Option<ServiceKind>,
    pub language: Option<String>,
    /// `Some(true)`: only services with a Ukrainian-crisis capacity; `Some(false)`: only without.
    pub ukraine_capacity: Option<bool>,
    /// `Some(false)` (the usual): only services still in use.
    pub retired: Option<bool>,
}

impl ReadModels {
    /// The directory, in the order services were mapped.
    pub fn services(&self, f: &ServiceFilter) -> Vec<ServiceView> {
        self.services
            .iter()
            .flatten()
            .filter(|s| {
                let d = &s.description;
                f.kind.is_none_or(|k| k == d.kind)
                    && f.language.as_ref().is_none_or(|l| d.languages.contains(l))
                    && f.ukraine_capacity
                        .is_none_or(|u| u == d.ukraine_capacity.is_some())
                    && f.retired.is_none_or(|r| r == s.retired.is_some())
            })
            .map(service_view)
            .collect()
    }

    pub fn service(&self, id: ServiceId) -> Option<ServiceView> {
        let ix = self.service_keys.get(&id)?;
        self.services[ix as usize].as_ref().map(service_view)
    }
}

fn service_view(s: &ServiceRow) -> ServiceView {
    ServiceView {
        id: s.id,
        description: s.description.clone(),
        mapped_at: s.mapped_at,
        updated_at: s.updated_at,
        retired_at: s.retired.as_ref().map(|r| r.0),
        retired_reason: s.retired.as_ref().map(|r| r.1.clone()),
    }
}

// The fold: no rules here, whatever is in the journal happened.

impl Fold for ServiceMapped {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At { position, .. } = *at;
        let ix = m.service_ix(self.service_id);
        m.services[ix as usize] = Some(ServiceRow {
            id: self.service_id,
            description: self.description.clone(),
            description_position: position,
            mapped_at: self.occurred_at,
            updated_at: None,
            retired: None,
        });
        Some(Target::ServiceDescription(ix))
    }
}

impl Fold for ServiceUpdated {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At { position, .. } = *at;
        let ix = m.service_ix(self.service_id);
        if let Some(s) = m.services[ix as usize].as_mut() {
            s.description = self.description.clone();
            s.description_position = position;
            s.updated_at = Some(self.occurred_at);
        }
        Some(Target::ServiceDescription(ix))
    }
}

impl Fold for ServiceRetired {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        let ix = m.service_ix(self.service_id);
        if let Some(s) = m.services[ix as usize].as_mut() {
            s.retired = Some((self.occurred_at, self.reason.clone()));
        }
        Some(Target::ServiceRetired(ix))
    }
}
