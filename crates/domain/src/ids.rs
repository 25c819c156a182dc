//! Identifiers: newtypes so a `CaseId` is never passed where a `PersonId` is meant.

use std::fmt;

use serde::{Deserialize, Serialize};
use ulid::Ulid;

macro_rules! ulid_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Ulid);

        impl $name {
            /// The ULID inside.
            pub fn ulid(self) -> Ulid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl From<Ulid> for $name {
            fn from(id: Ulid) -> Self {
                $name(id)
            }
        }
    )*};
}

ulid_id!(
    /// A person served by the desk.
    PersonId,
    /// A case file (*cartella sociale*), opened when a person is taken in charge.
    CaseId,
    /// A referral (*invio*) of a person to a territorial service.
    ReferralId,
    /// A request for mediation, on call or scheduled; its sessions and cancellation follow it.
    MediationId,
    /// A territorial service in the directory (action research, activity 11).
    ServiceId,
    /// One intervention delivered to a person.
    InterventionId,
    /// One group activity (proximity, parental group, community activation, information session).
    GroupActivityId,
    /// One distribution of information material.
    DistributionId,
    /// One completed satisfaction survey.
    SurveyId,
    /// One supervision meeting.
    MeetingId,
    /// An appointment booked at a site for a person.
    AppointmentId,
);

/// A desk (*sportello*), named by a lowercase slug such as `montelucci-4`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SiteId(pub String);

impl SiteId {
    pub fn new(slug: impl Into<String>) -> Self {
        SiteId(slug.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A slug is 1 to 40 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`.
    pub fn is_valid(&self) -> bool {
        let s = self.0.as_str();
        !s.is_empty()
            && s.len() <= 40
            && !s.starts_with('-')
            && !s.ends_with('-')
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }
}

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SiteId({})", self.0)
    }
}

/// The id of a journal stream; see `docs/DOMAIN-MODEL.md` for the formats.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StreamId(String);

/// A stream id is looked up by its text (`StreamId` hashes and compares as its `String`).
impl std::borrow::Borrow<str> for StreamId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl StreamId {
    pub fn new(id: impl Into<String>) -> Self {
        StreamId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `person-<ulid>`: registration, consent, vulnerability, intake, interventions outside a case.
    pub fn person(id: PersonId) -> Self {
        StreamId(format!("person-{id}"))
    }

    /// `case-<ulid>`: the case's life and the interventions delivered within it.
    pub fn case(id: CaseId) -> Self {
        StreamId(format!("case-{id}"))
    }

    /// `referral-<ulid>`: the referral and its outcomes.
    pub fn referral(id: ReferralId) -> Self {
        StreamId(format!("referral-{id}"))
    }

    /// `mediation-<ulid>`: the request, its sessions, its cancellation.
    pub fn mediation(id: MediationId) -> Self {
        StreamId(format!("mediation-{id}"))
    }

    /// `site-<slug>`: a site's schedule.
    pub fn site(site: &SiteId) -> Self {
        StreamId(format!("site-{site}"))
    }

    /// `service-<ulid>`: a directory entry.
    pub fn service(id: ServiceId) -> Self {
        StreamId(format!("service-{id}"))
    }

    /// `logbook-<site>-<yyyy-mm-dd>`: the single logbook entry of a site's day.
    pub fn logbook(site: &SiteId, date: chrono::NaiveDate) -> Self {
        StreamId(format!("logbook-{site}-{}", date.format("%Y-%m-%d")))
    }

    /// `group-activity-<ulid>`.
    pub fn group_activity(id: GroupActivityId) -> Self {
        StreamId(format!("group-activity-{id}"))
    }

    /// `material-<ulid>`.
    pub fn distribution(id: DistributionId) -> Self {
        StreamId(format!("material-{id}"))
    }

    /// `survey-<ulid>`.
    pub fn survey(id: SurveyId) -> Self {
        StreamId(format!("survey-{id}"))
    }

    /// `survey-definition-<slug>`: the versions of a survey definition, in order.
    pub fn survey_definition(definition: &str) -> Self {
        StreamId(format!("survey-definition-{definition}"))
    }

    /// `checkpoints`: every signed checkpoint, in order.
    pub fn checkpoints() -> Self {
        StreamId("checkpoints".to_string())
    }

    /// `supervision-<ulid>`.
    pub fn supervision(id: MeetingId) -> Self {
        StreamId(format!("supervision-{id}"))
    }

    /// `appointment-<ulid>`: a booking, its changes and what became of it.
    pub fn appointment(id: AppointmentId) -> Self {
        StreamId(format!("appointment-{id}"))
    }

    /// `staff-<user>`: a staff account opened, disabled, its password drawn again.
    pub fn staff(user: &str) -> Self {
        StreamId(format!("staff-{user}"))
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreamId({})", self.0)
    }
}
