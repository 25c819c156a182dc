//! The desk's calendar: a site's opening hours in Rome's local time, Italy's public holidays, and
//! the closures a site records (`SiteClosed`). The decisions (an appointment inside the hours, on
//! an open day) and the read models (the days the logbook must cover, the agenda) both use it.
//!
//! Rome's local time is computed here rather than read from a time-zone database: Italy follows
//! the EU rule (directive 2000/84/EC), CET (UTC+1) with summer time (UTC+2) from 01:00 UTC on the
//! last Sunday of March to 01:00 UTC on the last Sunday of October.

use chrono::{
    DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc,
};
use serde::{Deserialize, Serialize};

use crate::vocab::Weekday;

/// One opening period of a weekday, in Rome's local time (`09:00`-`12:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpeningHours {
    pub day: Weekday,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

/// A closure a site recorded: from `from` to `to`, both included.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LocalClosure {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

/// Why a site is closed on a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClosedBecause {
    /// A national public holiday (its Italian name).
    Holiday(&'static str),
    /// A closure the site recorded (its reason).
    Local(String),
}

impl ClosedBecause {
    /// In words, for a refusal or a page.
    pub fn describe(&self) -> String {
        match self {
            ClosedBecause::Holiday(name) => format!("a public holiday ({name})"),
            ClosedBecause::Local(reason) => format!("a closure of the site ({reason})"),
        }
    }
}

/// What the desk knows of a site's days: its opening weekdays, their hours, its phone numbers and
/// its recorded closures. A site scheduled without hours (schema version 1 of `SiteScheduled`)
/// opens on its days at hours nobody recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SiteCalendar {
    pub opening_days: Vec<Weekday>,
    pub hours: Vec<OpeningHours>,
    pub phones: Vec<String>,
    pub closures: Vec<LocalClosure>,
}

impl SiteCalendar {
    /// Why the site is closed on `date` although it may be an opening weekday: a public holiday
    /// or a recorded closure; `None` when neither.
    pub fn closed_on(&self, date: NaiveDate) -> Option<ClosedBecause> {
        if let Some(name) = italian_holiday(date) {
            return Some(ClosedBecause::Holiday(name));
        }
        self.closures
            .iter()
            .rev()
            .find(|c| c.from <= date && date <= c.to)
            .map(|c| ClosedBecause::Local(c.reason.clone()))
    }

    /// `true` on an opening weekday that is neither a holiday nor a recorded closure.
    pub fn is_open(&self, date: NaiveDate) -> bool {
        self.opens_on_weekday(date) && self.closed_on(date).is_none()
    }

    /// `true` when `date`'s weekday is one of the opening days.
    pub fn opens_on_weekday(&self, date: NaiveDate) -> bool {
        self.opening_days
            .iter()
            .any(|d| d.to_chrono() == date.weekday())
    }

    /// The opening periods of `date`'s weekday, in order.
    pub fn hours_on(&self, date: NaiveDate) -> Vec<OpeningHours> {
        let mut hours: Vec<_> = self
            .hours
            .iter()
            .filter(|h| h.day.to_chrono() == date.weekday())
            .copied()
            .collect();
        hours.sort();
        hours
    }

    /// `true` when the slot lies, in Rome's local time, within one opening period of its day.
    pub fn within_hours(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        let (start, end) = (rome_local(start), rome_local(end));
        start.date() == end.date()
            && self
                .hours_on(start.date())
                .iter()
                .any(|h| h.opens <= start.time() && end.time() <= h.closes)
    }

    /// The hours of a weekday as people write them: `09:00-12:00, 15:00-17:00`.
    pub fn describe_hours(&self, date: NaiveDate) -> String {
        let hours = self.hours_on(date);
        if hours.is_empty() {
            return "no hours recorded".to_string();
        }
        hours
            .iter()
            .map(|h| format!("{}-{}", h.opens.format("%H:%M"), h.closes.format("%H:%M")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Rome's offset from UTC at an instant (UTC+1, or UTC+2 in summer time).
pub fn rome_offset(at: DateTime<Utc>) -> FixedOffset {
    let year = at.year();
    let change = |month| {
        last_sunday(year, month)
            .and_time(NaiveTime::MIN)
            .and_utc()
            .checked_add_signed(TimeDelta::hours(1))
    };
    let summer = match (change(3), change(10)) {
        (Some(begins), Some(ends)) => begins <= at && at < ends,
        _ => false,
    };
    let hours = if summer { 2 } else { 1 };
    FixedOffset::east_opt(hours * 3600).expect("one or two hours is a valid offset")
}

/// The local date and time in Rome of an instant.
pub fn rome_local(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&rome_offset(at)).naive_local()
}

/// The day an instant falls on in Rome.
pub fn rome_date(at: DateTime<Utc>) -> NaiveDate {
    rome_local(at).date()
}

/// The instant a local time in Rome stands for. The clocks change at 02:00 or 03:00 local time,
/// so a time of the desk's day (never between 02:00 and 03:00) is never ambiguous.
pub fn rome_instant(local: NaiveDateTime) -> DateTime<Utc> {
    // The offset an hour before the local time read as UTC is the offset of that local time,
    // except within the hour the clocks change, at night.
    let guess = local.and_utc() - TimeDelta::hours(1);
    let offset = rome_offset(guess);
    local.and_utc() - TimeDelta::seconds(i64::from(offset.local_minus_utc()))
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap_or(NaiveDate::MAX);
    let last = first_of_next.pred_opt().unwrap_or(first_of_next);
    let back = last.weekday().num_days_from_sunday();
    last.checked_sub_days(Days::new(u64::from(back)))
        .unwrap_or(last)
}

/// Easter Sunday of a year of the Gregorian calendar (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// Italy's national public holidays (law 260/1949 and after): their Italian name on the day,
/// `None` on any other day. Patron saints' days are local: a site records them as closures.
pub fn italian_holiday(date: NaiveDate) -> Option<&'static str> {
    let fixed = match (date.month(), date.day()) {
        (1, 1) => Some("Capodanno"),
        (1, 6) => Some("Epifania"),
        (4, 25) => Some("Festa della Liberazione"),
        (5, 1) => Some("Festa del Lavoro"),
        (6, 2) => Some("Festa della Repubblica"),
        (8, 15) => Some("Ferragosto"),
        (11, 1) => Some("Ognissanti"),
        (12, 8) => Some("Immacolata Concezione"),
        (12, 25) => Some("Natale"),
        (12, 26) => Some("Santo Stefano"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let easter = easter_sunday(date.year())?;
    if date == easter {
        Some("Pasqua")
    } else if easter.succ_opt() == Some(date) {
        Some("Lunedì dell'Angelo")
    } else {
        None
    }
}
