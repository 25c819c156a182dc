//! Dates and times as the desk writes them: `gg/mm/aaaa`, 24-hour, in Italian time (UTC+1,
//! UTC+2 from the last Sunday of March to the last Sunday of October, the EU rule, at 01:00
//! UTC), without a time-zone database.

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Offset, TimeZone, Utc, Weekday,
};

/// The last Sunday of a month, at 01:00 UTC (when the EU changes its clocks).
fn last_sunday_1am(year: i32, month: u32) -> Option<DateTime<Utc>> {
    let mut day = NaiveDate::from_ymd_opt(year, month + 1, 1)?.pred_opt()?;
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt()?;
    }
    Some(Utc.from_utc_datetime(&day.and_hms_opt(1, 0, 0)?))
}

/// Italy's offset from UTC at an instant.
pub fn offset_at(instant: DateTime<Utc>) -> FixedOffset {
    let year = instant.year();
    let summer = match (last_sunday_1am(year, 3), last_sunday_1am(year, 10)) {
        (Some(start), Some(end)) => instant >= start && instant < end,
        _ => false,
    };
    let hours = if summer { 2 } else { 1 };
    FixedOffset::east_opt(hours * 3600).unwrap_or(Utc.fix())
}

/// An instant in Italian time.
pub fn local(instant: DateTime<Utc>) -> DateTime<FixedOffset> {
    instant.with_timezone(&offset_at(instant))
}

/// Today's date in Italy.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    local(now).date_naive()
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

/// The instant of a date and time in Italy (the offset of that day at noon, so the hour the
/// clocks change is read as the new offset).
pub fn instant(day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let noon = Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0)?);
    let offset = offset_at(noon);
    let local = offset.from_local_datetime(&day.and_time(time)).single()?;
    Some(local.with_timezone(&Utc))
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
