//! One sample of every command, for the tests of every crate: `Command::samples()` gives one of
//! each kind (each from its [`Sample`] impl, beside the command's decision in
//! `state/<stream>.rs`), and the ids and times they use are here. Not part of the API: hidden
//! from the docs, used by tests only.

use chrono::{DateTime, NaiveDate, Utc};
use ulid::Ulid;

use crate::*;

/// A command of this kind that the decisions accept against the state the domain's test
/// scenario (`everything()` in `crates/domain/tests/support`) builds, or refuse by their rules
/// (never a malformed one). `commands!` asks every command for one: a command without it does
/// not compile.
pub trait Sample {
    fn sample() -> Self;
}

/// The event id of the logbook entry the test scenario writes (its 23rd command).
pub fn logbook_entry_id() -> Ulid {
    event_id(22)
}

/// The canary name: a fake person's name that must never reach a log or an evaluator.
pub const CANARY: &str = "Zorbeta Quillfeather";

pub fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("test times are RFC 3339")
}

pub fn d(s: &str) -> NaiveDate {
    s.parse().expect("test dates are yyyy-mm-dd")
}

pub fn id(n: u128) -> Ulid {
    Ulid((0x018F_4A00_0000u128 << 80) | n)
}

pub const NOW: &str = "2024-05-16T12:00:00Z";
pub const SITE: &str = "montelucci-4";

pub fn site() -> SiteId {
    SiteId::new(SITE)
}
pub fn person() -> PersonId {
    PersonId(id(1))
}
pub fn minor() -> PersonId {
    PersonId(id(2))
}
/// A second registration of [`person`], made by mistake.
pub fn duplicate() -> PersonId {
    PersonId(id(13))
}
pub fn case() -> CaseId {
    CaseId(id(3))
}
pub fn referral() -> ReferralId {
    ReferralId(id(4))
}
pub fn mediation() -> MediationId {
    MediationId(id(5))
}
pub fn asl() -> ServiceId {
    ServiceId(id(6))
}
pub fn cpia() -> ServiceId {
    ServiceId(id(7))
}
pub fn intervention() -> InterventionId {
    InterventionId(id(8))
}
pub fn group() -> GroupActivityId {
    GroupActivityId(id(9))
}
pub fn distribution() -> DistributionId {
    DistributionId(id(10))
}
pub fn survey() -> SurveyId {
    SurveyId(id(11))
}
pub fn meeting() -> MeetingId {
    MeetingId(id(12))
}

pub fn appointment() -> AppointmentId {
    AppointmentId(id(14))
}
/// A second appointment, held by another mediator.
pub fn appointment_2() -> AppointmentId {
    AppointmentId(id(15))
}

pub fn asl_description() -> ServiceDescription {
    ServiceDescription {
        name: "ASL Roma 1 - Consultorio familiare".into(),
        kind: ServiceKind::Health,
        address: "via Montelucci 12".into(),
        opening_hours: "lun-ven 8:30-13:00".into(),
        languages: vec!["it".into(), "en".into()],
        access_rules: "tessera sanitaria o codice STP".into(),
        ukraine_capacity: Some(UkraineCapacity {
            reception_places: 0,
            health: true,
            school_access: false,
        }),
        verified_on: d("2024-05-02"),
    }
}

/// Another site of the municipality.
pub fn other_site() -> SiteId {
    SiteId::new("tivoli-1")
}

pub fn event_id(i: usize) -> Ulid {
    Ulid((0x018F_4B00_0000u128 << 80) | (i as u128 + 1))
}
