//! A person's own history: the facts recorded about them outside a case file.

use domain::PersonId;

use crate::audit::AuditEntry;
use crate::model::{ReadModels, NO_IX};

/// The event types of a person's own history: intakes, interventions outside a case, referrals,
/// mediation requests, sessions and cancellations, appointments and what became of them.
pub const HISTORY_EVENT_TYPES: &[&str] = &[
    "IntakeRecorded",
    "InterventionDelivered",
    "ReferralIssued",
    "MediationRequested",
    "MediationSessionHeld",
    "MediationCancelled",
    "AppointmentBooked",
    "AppointmentRescheduled",
    "AppointmentCancelled",
    "AppointmentAttended",
    "AppointmentMissed",
];

impl ReadModels {
    /// The facts of a person's own history in journal order, for them and every registration
    /// merged into them (each entry names the registration it was recorded under); an
    /// intervention within a case is in the case's timeline, not here. `None` for an id the
    /// models do not know as registered.
    pub fn person_history(&self, id: PersonId) -> Option<Vec<AuditEntry>> {
        let ix = self.person_keys.get(&id)?;
        self.persons[ix as usize].profile.as_ref()?;
        let kept = self.kept(ix);
        let types: Vec<_> = HISTORY_EVENT_TYPES
            .iter()
            .filter_map(|t| self.syms.get(t))
            .collect();
        let intervention = self.syms.get("InterventionDelivered");
        Some(
            self.audit
                .rows
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    r.person != NO_IX
                        && types.contains(&r.event_type)
                        && !(Some(r.event_type) == intervention && r.case != NO_IX)
                        && self.kept(r.person) == kept
                })
                .filter_map(|(i, _)| self.audit_entry(self.audit.position_of(i)))
                .collect(),
        )
    }
}
