//! `PersonUpdated`: the person's profile takes the values that changed, so the read models show
//! the current permit, citizenships, languages, household and contacts (the registration and
//! every update stay in the audit trail).

use domain::*;

use crate::apply::{At, Fold};
use crate::model::*;
use crate::search::SearchKeys;

impl ReadModels {
    pub(crate) fn apply_update(&mut self, ix: Ix, e: &PersonUpdated) {
        let citizenships = e.citizenships.as_ref().map(|v| self.syms.intern_all(v));
        let languages = e.languages.as_ref().map(|v| self.syms.intern_all(v));
        let Some(p) = self.persons[ix as usize].profile.as_mut() else {
            return;
        };
        p.updated_at = Some(e.occurred_at);
        if let Some(permit) = e.permit {
            p.permit_type = permit.permit_type;
            p.permit_expires_on = permit.expires_on;
            p.permit_renewal_pending = permit.renewal_pending;
        }
        if let Some(v) = citizenships {
            p.citizenships = v;
        }
        if let Some(v) = languages {
            p.languages = v;
        }
        if let Some(size) = e.household_size {
            p.household_size = size;
        }
        // An erased person's changes open as the marker: nothing of them is applied, and the
        // profile's personal data stays erased.
        let Some(changes) = e.personal.as_ref() else {
            return;
        };
        if p.personal.is_erased() || changes.full_name.as_deref() == Some(ERASED) {
            return;
        }
        if let Some(name) = &changes.full_name {
            p.personal.full_name = name.clone();
        }
        if let Some(contacts) = &changes.contacts {
            p.personal.contacts = contacts.clone();
        }
        if let Some(code) = &changes.fiscal_code {
            p.personal.fiscal_code = Some(code.clone());
        }
        p.search = SearchKeys::of(&p.personal);
    }
}

// The fold: no rules here, whatever is in the journal happened.

impl Fold for PersonUpdated {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        let ix = m.person_ix(self.person_id);
        m.apply_update(ix, self);
        None
    }
}
