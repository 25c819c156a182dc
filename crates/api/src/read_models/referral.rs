//! Referrals followed to their outcomes, and the filter of `referrals`.

use super::*;

/// A referral (*invio*) of a person to a territorial service, followed to its outcomes.
#[derive(SimpleObject, Clone)]
pub struct Referral {
    pub id: ID,
    pub person_id: ID,
    pub case_id: Option<ID>,
    pub site: String,
    /// The target service.
    pub service_id: ID,
    /// The target service's name in the directory.
    pub service_name: Option<String>,
    pub reason: NeedArea,
    pub urgency: Urgency,
    pub issued_at: DateTime<Utc>,
    /// Journal position of the issue; the cursor of `referrals`.
    pub position: u64,
    /// The latest outcome, or `ISSUED` before any.
    pub status: ReferralStatus,
    /// Every outcome recorded, in order.
    pub outcomes: Vec<ReferralOutcomeEntry>,
    /// UTC days from issue to the first outcome recorded.
    pub days_to_first_outcome: Option<i64>,
    /// The first final outcome (service received, refused, lost contact).
    pub final_outcome: Option<ReferralOutcome>,
    /// UTC days from issue to the final outcome.
    pub days_to_final_outcome: Option<i64>,
}

#[derive(SimpleObject, Clone)]
pub struct ReferralOutcomeEntry {
    pub outcome: ReferralOutcome,
    pub occurred_at: DateTime<Utc>,
    pub appointment_on: Option<NaiveDate>,
    pub position: u64,
}

pub(super) fn service_name(models: &ReadModels, service: ServiceId) -> Option<String> {
    models.service(service).map(|s| s.description.name)
}

impl Referral {
    pub(super) fn new(v: desk::projections::ReferralView, models: &ReadModels) -> Self {
        Referral {
            id: id(v.id),
            person_id: id(v.person),
            case_id: v.case.map(id),
            site: v.site.0,
            service_id: id(v.service),
            service_name: service_name(models, v.service),
            reason: v.reason.into(),
            urgency: v.urgency.into(),
            issued_at: v.issued_at,
            position: v.position.0,
            status: v.status.into(),
            outcomes: v
                .outcomes
                .into_iter()
                .map(|o| ReferralOutcomeEntry {
                    outcome: o.outcome.into(),
                    occurred_at: o.occurred_at,
                    appointment_on: o.appointment_on,
                    position: o.position.0,
                })
                .collect(),
            days_to_first_outcome: v.days_to_first_outcome,
            final_outcome: v.final_outcome.map(Into::into),
            days_to_final_outcome: v.days_to_final_outcome,
        }
    }
}

/// Which referrals to list; every field given must match.
#[derive(InputObject, Default)]
pub struct ReferralFilter {
    /// Site slug.
    pub site: Option<String>,
    /// Where the referral stands now (its latest outcome, or `ISSUED`).
    pub status: Option<ReferralStatus>,
    /// The target service.
    pub service_id: Option<ID>,
    pub person_id: Option<ID>,
    /// Issued on or after this day (UTC).
    pub issued_from: Option<NaiveDate>,
    /// Issued on or before this day (UTC).
    pub issued_to: Option<NaiveDate>,
}

impl ReferralFilter {
    pub(super) fn parse(&self) -> Result<desk::projections::ReferralFilter> {
        Ok(desk::projections::ReferralFilter {
            site: opt(&self.site, |s| parse_site("site", s))?,
            status: self.status.map(Into::into),
            service: opt_id::<ServiceId>("serviceId", &self.service_id)?,
            person: opt_id::<PersonId>("personId", &self.person_id)?,
            issued_in: open_period(self.issued_from, self.issued_to)?,
        })
    }
}
