//! The logbook (*diario di bordo*): entries and the opening days without one.

use super::*;

/// A mediator's logbook entry (*diario di bordo*) for one opening day of a site.
#[derive(SimpleObject)]
pub struct LogbookEntry {
    pub site: String,
    /// The day the entry is about.
    pub date: NaiveDate,
    pub written_at: DateTime<Utc>,
    pub position: u64,
    pub mediator: String,
    pub slot: RotationSlot,
    pub contacts: u32,
    pub languages: Vec<String>,
    pub emerging_needs: Vec<NeedArea>,
}

/// One site's opening days in a period, and those without a logbook entry.
#[derive(SimpleObject)]
pub struct LogbookCoverage {
    pub site: String,
    /// Days the site was open in the period (by its schedule).
    pub opening_days: u32,
    /// Opening days with an entry.
    pub days_with_entry: u32,
    /// Opening days without an entry.
    pub missing_days: Vec<NaiveDate>,
}

impl From<desk::projections::MissingLogbookDays> for LogbookCoverage {
    fn from(m: desk::projections::MissingLogbookDays) -> Self {
        LogbookCoverage {
            site: m.site.0,
            opening_days: m.opening_days,
            days_with_entry: m.entries,
            missing_days: m.missing,
        }
    }
}

/// The logbook over a period.
#[derive(SimpleObject)]
pub struct Logbook {
    /// Entries, by site then date.
    pub entries: Vec<LogbookEntry>,
    /// Per site of the schedule (or the one asked for): opening days without an entry, by
    /// anyone (the `mediator` argument filters `entries` only).
    pub coverage: Vec<LogbookCoverage>,
    pub every_opening_day_has_entry: bool,
}
