//! Read models of the IMPACT case journal, folded from its events.
//!
//! Derived only: [`ReadModels`] is built by folding the journal's events in position order and can
//! be thrown away and rebuilt at any time. It never writes to the journal and does no IO.
//!
//! As-of queries: a fresh `ReadModels` folded over positions `1..=P` answers exactly as the live
//! one did at `P`. A correction ([`domain::EventCorrected`]) changes the rows of the event it names
//! from its own position on; models folded only up to an earlier position never see it. The audit
//! index keeps both the original and the correction.
//!
//! Key types: [`ReadModels`] (fold and query), the filters ([`AuditFilter`], [`CaseFilter`],
//! [`ReferralFilter`], [`MediationFilter`], [`LogbookFilter`], [`ServiceFilter`], [`PersonFilter`]),
//! [`Period`] and [`Month`], [`SiteSchedule`], [`Page`], [`MonitoringReport`] (serialisable, for
//! exports) and [`BeneficiaryRow`]. The views (`CaseView`, ...) are serialisable too: the API's
//! test `view_parity` compares their fields with the GraphQL objects that show them.

mod activity;
mod apply;
mod audit;
mod calendar;
mod case;
mod correct;
mod diary;
mod history;
mod index;
mod logbook;
mod mediation;
mod model;
mod monitoring;
mod period;
mod person;
mod query;
mod referral;
mod report;
mod search;
mod service;
mod snapshot;
mod supervision;
mod survey;
mod sym;
mod table;
mod update;

pub use audit::{AuditEntry, AuditFilter, Page, PageRequest, PositionRange, TimeRange};
pub use calendar::{
    AppointmentView, DueFilter, DueItem, DueKind, FOLLOW_UP_DAYS, PERMIT_WARNING_DAYS,
    REFERRAL_OUTCOME_DAYS, SUPERVISION_ACTION_DAYS,
};
pub use case::{CaseConferenceView, CaseFilter, CaseStatus, CaseView, TimelineEntry};
pub use diary::{DiaryCommentView, DiaryEntryView, DiaryFilter, GrowthView};
pub use history::HISTORY_EVENT_TYPES;
pub use index::Cursor;
pub use logbook::{LogbookEntryView, LogbookFilter, MissingLogbookDays};
pub use mediation::{MediationFilter, MediationRequestView, MediationSessionView};
pub use model::ReadModels;
pub use monitoring::*;
pub use period::{Month, Period, SiteSchedule};
pub use person::{PersonFilter, PersonView};
pub use referral::{ReferralFilter, ReferralOutcomeView, ReferralStatus, ReferralView};
pub use report::*;
pub use search::{name_words, PersonSearch, SearchError, MIN_NAME_CHARS, MIN_PHONE_DIGITS};
pub use service::{ServiceFilter, ServiceView};
pub use supervision::{MeetingView, MonthMeetings};

/// What a query can reject. Folding never fails: what cannot be read is counted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectionError {
    /// The text is not a month written `yyyy-mm`: ask the user again.
    #[error("{0:?} is not a month written yyyy-mm")]
    InvalidMonth(String),
    /// The text is not a quarter written `yyyy-Qn` (n from 1 to 4): ask the user again.
    #[error("{0:?} is not a quarter written yyyy-Qn (n from 1 to 4)")]
    InvalidQuarter(String),
    /// The period ends before it starts: swap the ends or ask the user again.
    #[error("the period ends ({to}) before it starts ({from})")]
    InvertedPeriod {
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    },
}
