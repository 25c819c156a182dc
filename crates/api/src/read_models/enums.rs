//! The enums the read models answer with that are not the domain's words: a case's status, a
//! referral's, a contact's activity, an age band.

use super::*;

/// Whether a case is open now.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "desk::projections::CaseStatus")]
pub enum CaseStatus {
    Open,
    Closed,
}

/// Where a referral stands: its latest outcome, or `ISSUED` before any.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ReferralStatus {
    Issued,
    Accepted,
    AppointmentSet,
    ServiceReceived,
    Refused,
    NoShow,
    LostContact,
}

impl From<desk::projections::ReferralStatus> for ReferralStatus {
    fn from(status: desk::projections::ReferralStatus) -> Self {
        use domain::ReferralOutcome as O;
        match status {
            desk::projections::ReferralStatus::Issued => ReferralStatus::Issued,
            desk::projections::ReferralStatus::Outcome(o) => match o {
                O::Accepted => ReferralStatus::Accepted,
                O::AppointmentSet => ReferralStatus::AppointmentSet,
                O::ServiceReceived => ReferralStatus::ServiceReceived,
                O::Refused => ReferralStatus::Refused,
                O::NoShow => ReferralStatus::NoShow,
                O::LostContact => ReferralStatus::LostContact,
            },
        }
    }
}

impl From<ReferralStatus> for desk::projections::ReferralStatus {
    fn from(status: ReferralStatus) -> Self {
        use desk::projections::ReferralStatus::{Issued, Outcome};
        use domain::ReferralOutcome as O;
        match status {
            ReferralStatus::Issued => Issued,
            ReferralStatus::Accepted => Outcome(O::Accepted),
            ReferralStatus::AppointmentSet => Outcome(O::AppointmentSet),
            ReferralStatus::ServiceReceived => Outcome(O::ServiceReceived),
            ReferralStatus::Refused => Outcome(O::Refused),
            ReferralStatus::NoShow => Outcome(O::NoShow),
            ReferralStatus::LostContact => Outcome(O::LostContact),
        }
    }
}

/// What a contact was: an intake, an intervention of one of the four individual activities, or
/// a mediation session.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "desk::projections::ContactActivity")]
pub enum ContactActivity {
    Intake,
    OrientationAccompaniment,
    IntegratedCaseSupport,
    ParentalSupport,
    LegalAdvice,
    Mediation,
}

/// Age bands, by age reached in the year the period ends (that year minus birth year).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "desk::projections::AgeBand")]
pub enum AgeBand {
    #[graphql(name = "UNDER_18")]
    Under18,
    #[graphql(name = "FROM_18_TO_24")]
    From18To24,
    #[graphql(name = "FROM_25_TO_34")]
    From25To34,
    #[graphql(name = "FROM_35_TO_44")]
    From35To44,
    #[graphql(name = "FROM_45_TO_54")]
    From45To54,
    #[graphql(name = "FROM_55_TO_64")]
    From55To64,
    #[graphql(name = "FROM_65")]
    From65,
}
