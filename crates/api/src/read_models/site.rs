//! The sites and their opening days.

use super::*;

/// A site (*sportello*) of the desk and the weekdays it opens.
#[derive(SimpleObject)]
pub struct Site {
    /// Site slug.
    pub site_id: String,
    /// The name an admin gave it (`null` for the site the service page describes, until an admin
    /// schedules it).
    pub name: Option<String>,
    pub opening_days: Vec<Weekday>,
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
