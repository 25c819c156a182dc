//! The sites and their opening days.

use super::*;

/// A site (*sportello*) of the desk: the weekdays it opens, their hours, its phone numbers and
/// the closures it recorded.
#[derive(SimpleObject)]
pub struct Site {
    /// Site slug.
    pub site_id: String,
    /// The name an admin gave it (`null` for the site the service page describes, until an admin
    /// schedules it).
    pub name: Option<String>,
    pub opening_days: Vec<Weekday>,
    /// The opening periods of each day, in Rome's local time (empty: not recorded).
    pub hours: Vec<OpeningHours>,
    pub phones: Vec<String>,
    /// The closures it recorded (`closeSite`); public holidays are not listed, see `closedOn`.
    pub closures: Vec<SiteClosure>,
}

/// One opening period of a weekday, in Rome's local time.
#[derive(SimpleObject)]
pub struct OpeningHours {
    pub day: Weekday,
    /// `HH:MM`.
    pub opens: String,
    /// `HH:MM`.
    pub closes: String,
}

/// A closure a site recorded, both days included.
#[derive(SimpleObject)]
pub struct SiteClosure {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

impl Site {
    pub(super) fn new(
        site: &SiteId,
        days: &[chrono::Weekday],
        schedule: &desk::projections::SiteSchedule,
    ) -> Self {
        let calendar = schedule.calendars.get(site).cloned().unwrap_or_default();
        Site {
            site_id: site.0.clone(),
            name: schedule.names.get(site).cloned(),
            opening_days: days.iter().map(|d| weekday(*d)).collect(),
            hours: calendar
                .hours
                .iter()
                .map(|h| OpeningHours {
                    day: h.day.into(),
                    opens: h.opens.format("%H:%M").to_string(),
                    closes: h.closes.format("%H:%M").to_string(),
                })
                .collect(),
            phones: calendar.phones.clone(),
            closures: calendar
                .closures
                .iter()
                .map(|c| SiteClosure {
                    from: c.from,
                    to: c.to,
                    reason: c.reason.clone(),
                })
                .collect(),
        }
    }
}

pub(super) fn weekday(day: chrono::Weekday) -> Weekday {
    match day {
        chrono::Weekday::Mon => Weekday::Monday,
        chrono::Weekday::Tue => Weekday::Tuesday,
        chrono::Weekday::Wed => Weekday::Wednesday,
        chrono::Weekday::Thu => Weekday::Thursday,
        chrono::Weekday::Fri => Weekday::Friday,
        chrono::Weekday::Sat => Weekday::Saturday,
        chrono::Weekday::Sun => Weekday::Sunday,
    }
}
