//! Dates and times as the desk writes them: `gg/mm/aaaa`, 24-hour, in Italian time. Rome's
//! clock (UTC+1, UTC+2 from the last Sunday of March to the last Sunday of October) is the
//! domain's (`domain::calendar`): the pages and the decisions agree on what day it is.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use domain::calendar::{rome_instant, rome_offset};
use domain::state::desk_day;

/// An instant in Italian time.
pub fn local(instant: DateTime<Utc>) -> DateTime<FixedOffset> {
    instant.with_timezone(&rome_offset(instant))
}

/// Today's date in Italy.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    desk_day(now)
}

/// `gg/mm/aaaa`.
pub fn date(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// `gg/mm/aaaa hh:mm`, Italian time.
pub fn date_time(instant: DateTime<Utc>) -> String {
    local(instant).format("%d/%m/%Y %H:%M").to_string()
}

/// A date as staff write it (`gg/mm/aaaa`, also `g/m/aaaa`), or as `<input type="date">`
/// sends it (`aaaa-mm-gg`).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .ok()
}

/// A 24-hour time, `hh:mm`.
pub fn parse_time(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

/// The instant of a date and time in Italy.
pub fn instant(day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    Some(rome_instant(day.and_time(time)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn italian_time_follows_the_eu_clock_changes() {
        let winter: DateTime<Utc> = "2024-01-15T10:00:00Z".parse().unwrap();
        let summer: DateTime<Utc> = "2024-05-15T10:00:00Z".parse().unwrap();
        assert_eq!(date_time(winter), "15/01/2024 11:00");
        assert_eq!(date_time(summer), "15/05/2024 12:00");
        // 2024's change: Sunday 31 March, 01:00 UTC.
        let before: DateTime<Utc> = "2024-03-31T00:59:00Z".parse().unwrap();
        assert_eq!(date_time(before), "31/03/2024 01:59");
        assert_eq!(date_time(before + Duration::minutes(1)), "31/03/2024 03:00");
        let day = parse_date("15/05/2024").unwrap();
        assert_eq!(parse_date("2024-05-15"), Some(day));
        assert_eq!(parse_date("32/05/2024"), None);
        assert_eq!(instant(day, parse_time("12:00").unwrap()), Some(summer));
        assert_eq!(date(day), "15/05/2024");
    }
}
