//! Periods, months and the sites' opening days.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use domain::calendar::ClosedBecause;
use domain::{SiteCalendar, SiteClosed, SiteId, SiteScheduled};
use serde::{Serialize, Serializer};

use crate::apply::{At, Fold};
use crate::model::{ReadModels, Target};
use crate::ProjectionError;

/// A range of whole days, both ends included. Days are UTC days: an event is in the period when
/// the UTC date of its time is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// Fails when `to` is before `from`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, ProjectionError> {
        if to < from {
            return Err(ProjectionError::InvertedPeriod { from, to });
        }
        Ok(Period { from, to })
    }

    /// The whole of a calendar month.
    pub fn month(month: Month) -> Period {
        Period {
            from: month.first_day(),
            to: month.last_day(),
        }
    }

    /// Parses `"2024-05"` into the whole month.
    pub fn parse_month(text: &str) -> Result<Period, ProjectionError> {
        Ok(Period::month(text.parse()?))
    }

    /// Parses `"2024-Q2"` (or `"2024-q2"`) into the whole calendar quarter: April to June.
    pub fn parse_quarter(text: &str) -> Result<Period, ProjectionError> {
        let bad = || ProjectionError::InvalidQuarter(text.to_string());
        let (y, q) = text.split_once('-').ok_or_else(bad)?;
        let q = q
            .strip_prefix('Q')
            .or_else(|| q.strip_prefix('q'))
            .ok_or_else(bad)?;
        if y.len() != 4 || q.len() != 1 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let quarter: u32 = q.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&quarter) {
            return Err(bad());
        }
        let first = Month {
            year,
            month: quarter * 3 - 2,
        };
        let last = Month {
            year,
            month: quarter * 3,
        };
        Ok(Period {
            from: first.first_day(),
            to: last.last_day(),
        })
    }

    pub fn contains_date(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.contains_date(domain::state::desk_day(at))
    }

    /// Every day of the period, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let to = self.to;
        self.from.iter_days().take_while(move |d| *d <= to)
    }

    /// Every calendar month the period touches, in order.
    pub fn months(&self) -> Vec<Month> {
        let mut months = Vec::new();
        let mut m = Month::of(self.from);
        let last = Month::of(self.to);
        while m <= last {
            months.push(m);
            m = m.next();
        }
        months
    }

    /// The first instant after the period.
    pub(crate) fn end_exclusive(&self) -> DateTime<Utc> {
        self.to
            .succ_opt()
            .unwrap_or(self.to)
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
    }
}

/// A calendar month, written `2024-05`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
}

impl Month {
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a month has a first day")
    }

    pub fn last_day(self) -> NaiveDate {
        self.next()
            .first_day()
            .pred_opt()
            .expect("a month has a last day")
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

/// As text, `"2024-05"`.
impl Serialize for Month {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for Month {
    type Err = ProjectionError;

    fn from_str(text: &str) -> Result<Month, ProjectionError> {
        let bad = || ProjectionError::InvalidMonth(text.to_string());
        let (y, m) = text.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || NaiveDate::from_ymd_opt(year, month, 1).is_none() {
            return Err(bad());
        }
        Ok(Month { year, month })
    }
}

/// The weekdays each site is open, and the name an admin gave it. It starts from the one the
/// service page gives (`montelucci-4`, via Montelucci 4, opens on Tuesday and Thursday) and
/// follows every `SiteScheduled` folded: a site scheduled again takes its new days.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SiteSchedule {
    pub opening_days: BTreeMap<SiteId, Vec<Weekday>>,
    pub names: BTreeMap<SiteId, String>,
    /// Each scheduled site's hours, phones and recorded closures (`SiteClosed`).
    pub calendars: BTreeMap<SiteId, SiteCalendar>,
}

impl Default for SiteSchedule {
    fn default() -> Self {
        SiteSchedule::empty().with_site(SiteId::new("montelucci-4"), &[Weekday::Tue, Weekday::Thu])
    }
}

impl SiteSchedule {
    /// No site known.
    pub fn empty() -> Self {
        SiteSchedule {
            opening_days: BTreeMap::new(),
            names: BTreeMap::new(),
            calendars: BTreeMap::new(),
        }
    }

    /// Sets a site's opening weekdays, replacing any it had.
    pub fn with_site(mut self, site: SiteId, days: &[Weekday]) -> Self {
        self.opening_days.insert(site, days.to_vec());
        self
    }

    /// `true` when the site is open on that date: one of its opening days, neither a public
    /// holiday nor a closure it recorded; `false` for a site not in the schedule.
    pub fn is_open(&self, site: &SiteId, date: NaiveDate) -> bool {
        self.opening_days
            .get(site)
            .is_some_and(|days| days.contains(&date.weekday()))
            && self.closed_on(site, date).is_none()
    }

    /// Why the site is closed on `date` (a public holiday, a recorded closure), if it is.
    pub fn closed_on(&self, site: &SiteId, date: NaiveDate) -> Option<ClosedBecause> {
        match self.calendars.get(site) {
            Some(calendar) => calendar.closed_on(date),
            None => SiteCalendar::default().closed_on(date),
        }
    }

    /// The site's opening days within the period.
    pub fn opening_days_in(&self, site: &SiteId, period: &Period) -> Vec<NaiveDate> {
        period.days().filter(|d| self.is_open(site, *d)).collect()
    }
}

// The fold: no rules here, whatever is in the journal happened.

impl Fold for SiteScheduled {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        let days: Vec<chrono::Weekday> = self.opening_days.iter().map(|d| d.to_chrono()).collect();
        m.schedule.opening_days.insert(self.site_id.clone(), days);
        m.schedule
            .names
            .insert(self.site_id.clone(), self.name.clone());
        let calendar = m
            .schedule
            .calendars
            .entry(self.site_id.clone())
            .or_default();
        calendar.opening_days = self.opening_days.clone();
        calendar.hours = self.hours.clone();
        calendar.phones = self.phones.clone();
        None
    }
}

impl Fold for SiteClosed {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        m.schedule
            .calendars
            .entry(self.site_id.clone())
            .or_default()
            .closures
            .push(domain::calendar::LocalClosure {
                from: self.from,
                to: self.to,
                reason: self.reason.clone(),
            });
        None
    }
}
