//! Decisions on a referral's stream (`referral-<ulid>`): issuing it and its outcomes.

use super::*;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct ReferralState {
    pub(super) person_id: PersonId,
    pub(super) service_id: ServiceId,
    pub(super) site_id: SiteId,
    pub(super) issued_at: DateTime<Utc>,
    pub(super) last_outcome: Option<ReferralOutcome>,
}

impl DeskState {
    pub(super) fn issue_referral(&self, c: &IssueReferral) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !self.referrals.contains_key(&c.referral_id),
            "referralId",
            K::AlreadyExists,
            "this referral is already issued (the same id was sent twice)"
        );
        self.person_with_consent(c.person_id, ConsentScope::Sharing)?;
        self.usable_service(c.service_id, "serviceId")?;
        if let Some(case_id) = c.case_id {
            self.open_case_of(case_id, c.person_id, "caseId")?;
        }
        let event = ReferralIssued {
            referral_id: c.referral_id,
            person_id: c.person_id,
            case_id: c.case_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            service_id: c.service_id,
            reason: c.reason,
            urgency: c.urgency,
            note: c.note.clone(),
        };
        self.creation(
            StreamId::referral(c.referral_id),
            "referralId",
            "referral",
            event,
        )
    }

    pub(super) fn record_referral_outcome(&self, c: &RecordReferralOutcome) -> Decided {
        let Some(r) = self.referrals.get(&c.referral_id) else {
            return reject(
                "referralId",
                K::NotFound,
                "no referral with this id was issued",
            );
        };
        if let Some(last) = r.last_outcome.filter(|o| o.is_final()) {
            return reject(
                "referralId",
                K::AlreadyFinal,
                format!(
                    "the referral already ended with outcome {}",
                    last.as_str().replace('_', " ")
                ),
            );
        }
        ensure!(
            c.occurred_at >= r.issued_at,
            "occurredAt",
            K::OutOfRange,
            "an outcome cannot come before the referral was issued"
        );
        if c.outcome == ReferralOutcome::AppointmentSet {
            let Some(on) = c.appointment_on else {
                return reject(
                    "appointmentOn",
                    K::Required,
                    "say the day of the appointment",
                );
            };
            ensure!(
                on >= desk_day(c.occurred_at),
                "appointmentOn",
                K::OutOfRange,
                "the appointment cannot be before the day it was set"
            );
        }
        let event = ReferralOutcomeRecorded {
            referral_id: c.referral_id,
            person_id: r.person_id,
            service_id: r.service_id,
            site_id: r.site_id.clone(),
            occurred_at: c.occurred_at,
            outcome: c.outcome,
            appointment_on: c.appointment_on,
            note: c.note.clone(),
        };
        self.decision(StreamId::referral(c.referral_id), event)
    }
}

impl Decide for IssueReferral {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.issue_referral(self)
    }
}

impl Decide for RecordReferralOutcome {
    fn placement(&self, state: &DeskState) -> Placement {
        Placement::known(state.referral_site(self.referral_id))
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.record_referral_outcome(self)
    }
}

// The write model's part of each event of this stream: no rule, whatever is in the journal
// happened.

impl Evolve for ReferralIssued {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state.referrals.insert(
            self.referral_id,
            ReferralState {
                person_id: self.person_id,
                service_id: self.service_id,
                site_id: self.site_id.clone(),
                issued_at: self.occurred_at,
                last_outcome: None,
            },
        );
    }
}

impl Evolve for ReferralOutcomeRecorded {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        if let Some(r) = state.referrals.get_mut(&self.referral_id) {
            r.last_outcome = Some(self.outcome);
        }
    }
}

/// The sample of each command of this stream ([`crate::samples`]).
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for IssueReferral {
        fn sample() -> Self {
            IssueReferral {
                referral_id: referral(),
                person_id: person(),
                case_id: None,
                site_id: site(),
                occurred_at: t("2024-05-07T10:00:00Z"),
                service_id: asl(),
                reason: NeedArea::Health,
                urgency: Urgency::Routine,
                note: None,
            }
        }
    }

    impl Sample for RecordReferralOutcome {
        fn sample() -> Self {
            RecordReferralOutcome {
                referral_id: referral(),
                occurred_at: t("2024-05-09T15:00:00Z"),
                outcome: ReferralOutcome::AppointmentSet,
                appointment_on: Some(d("2024-05-20")),
                note: None,
            }
        }
    }
}
