//! Queries over the read models: persons, cases with their timelines, referrals, mediations, the
//! logbook, the service directory, supervision meetings and the monitoring figures.
//!
//! Conventions:
//! - Lists of case work that grow without bound (`cases`, `referrals`, mediation `requests` and
//!   `sessions`) are Relay connections in journal order; the cursor is the journal position of
//!   the row, so a page stays stable while new events arrive. `first` defaults to 50, at most 500.
//! - Lists bounded by what they are (the service directory) or by a required period (`logbook`,
//!   `supervisionMeetings`, at most 366 days) are plain lists.
//! - Personal data (name, birth date, contacts) is only on `person(id) { personal }`; lists and
//!   figures name persons by id.
//! - A malformed argument is answered with `extensions.code` `BAD_INPUT`; a lookup of an id the
//!   desk does not know answers `null`.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, NaiveDate, Utc};
use desk::journal::Position;
use desk::projections::{Period, ReadModels};
use desk::Desk;
use domain::{CaseId, PersonId, ServiceId, SiteId};
use ulid::Ulid;

use crate::access::{self, Allow};
use crate::error;
use crate::inputs::vocab::{
    CancellationReason, CaseOutcome, ClosureReason, ConsentScope, ContactKind, GroupActivityKind,
    MediationKind, MediationMode, NeedArea, PermitType, ReferralOutcome, RotationSlot, ServiceKind,
    SessionOutcome, SessionPlace, Sex, SurveyItem, Urgency, VulnerabilityCategory, Weekday,
};
use crate::objects::EventNode;

/// Largest page of a connection.
const MAX_PAGE: usize = 500;
/// Page size when the client names none.
const DEFAULT_PAGE: usize = 50;
/// Longest period of a query that lists rows per day or per month.
const MAX_PERIOD_DAYS: i64 = 366;

mod calendar;
mod case;
mod diary;
mod enums;
mod history;
mod logbook;
mod mediation;
mod monitoring;
mod person;
mod query;
mod referral;
mod search;
mod service;
mod site;
mod supervision;
mod survey;

pub use calendar::*;
pub use case::*;
pub use diary::*;
pub use enums::*;
pub use history::*;
pub use logbook::*;
pub use mediation::*;
pub use monitoring::*;
pub use person::*;
pub use query::*;
pub use referral::*;
pub use search::*;
pub use service::*;
pub use site::*;
pub use supervision::*;
pub use survey::*;

// ---- arguments ----------------------------------------------------------------------------------

fn parse_ulid(field: &str, id: &ID) -> Result<Ulid> {
    Ulid::from_string(id.as_str()).map_err(|_| {
        error::bad_input(format!(
            "{field} must be a ULID (26 characters), got {:?}",
            id.as_str()
        ))
    })
}

fn parse_site(field: &str, slug: &str) -> Result<SiteId> {
    let site = SiteId::new(slug);
    if !site.is_valid() {
        return Err(error::bad_input(format!(
            "{field} must be a site slug (a-z, 0-9 and -, like montelucci-4), got {slug:?}"
        )));
    }
    Ok(site)
}

fn parse_language(field: &str, code: &str) -> Result<String> {
    if !domain::is_language_code(code) {
        return Err(error::bad_input(format!(
            "{field} must be an ISO 639 code (2 or 3 lowercase letters, like uk), got {code:?}"
        )));
    }
    Ok(code.to_string())
}

fn opt<T>(value: &Option<String>, parse: impl Fn(&str) -> Result<T>) -> Result<Option<T>> {
    value.as_deref().map(parse).transpose()
}

fn opt_id<T: From<Ulid>>(field: &str, id: &Option<ID>) -> Result<Option<T>> {
    id.as_ref()
        .map(|id| parse_ulid(field, id).map(T::from))
        .transpose()
}

fn period(from: NaiveDate, to: NaiveDate) -> Result<Period> {
    Period::new(from, to).map_err(|e| error::bad_input(e.to_string()))
}

/// A filter's period: open at either end when that end is not given.
fn open_period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Option<Period>> {
    if from.is_none() && to.is_none() {
        return Ok(None);
    }
    period(from.unwrap_or(NaiveDate::MIN), to.unwrap_or(NaiveDate::MAX)).map(Some)
}

/// A required period of at most [`MAX_PERIOD_DAYS`].
fn bounded_period(from: NaiveDate, to: NaiveDate) -> Result<Period> {
    let p = period(from, to)?;
    let days = (p.to - p.from).num_days() + 1;
    if days > MAX_PERIOD_DAYS {
        return Err(error::bad_input(format!(
            "the period spans {days} days; ask for at most {MAX_PERIOD_DAYS}"
        )));
    }
    Ok(p)
}

/// `period: "2024-05"`, or `from` and `to`.
fn report_period(
    month: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Period> {
    match (month, from, to) {
        (Some(month), None, None) => {
            Period::parse_month(month).map_err(|e| error::bad_input(e.to_string()))
        }
        (None, Some(from), Some(to)) => period(from, to),
        _ => Err(error::bad_input(
            "give either period (a month, like \"2024-05\") or both from and to",
        )),
    }
}

fn id(ulid: impl std::fmt::Display) -> ID {
    ID(ulid.to_string())
}

fn ids<T: std::fmt::Display>(items: &[T]) -> Vec<ID> {
    items.iter().map(id).collect()
}

fn words<L: Copy, G: From<L>>(items: &[L]) -> Vec<G> {
    items.iter().map(|w| G::from(*w)).collect()
}

// ---- pages --------------------------------------------------------------------------------------

/// Extra fields of every connection.
#[derive(SimpleObject)]
pub struct TotalCount {
    /// How many rows match the filter (ignores the cursor and `first`).
    pub total_count: u64,
}

type Page<N> = Connection<u64, N, TotalCount, EmptyFields>;

pub(crate) struct PageArgs {
    pub(crate) first: usize,
    pub(crate) after: Option<u64>,
}

pub(crate) fn page_args(first: Option<i32>, after: Option<String>) -> Result<PageArgs> {
    let first = match first {
        None => DEFAULT_PAGE,
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| *n <= MAX_PAGE)
            .ok_or_else(|| error::bad_input(format!("first must be 0 to {MAX_PAGE}, got {n}")))?,
    };
    let after = after
        .map(|c| {
            c.parse::<u64>().map_err(|_| {
                error::bad_input(format!(
                    "after must be a cursor from a previous page, got {c:?}"
                ))
            })
        })
        .transpose()?;
    Ok(PageArgs { first, after })
}

impl PageArgs {
    /// The read models' cursor; `with_total` when the request selects `totalCount`.
    fn cursor(&self, ctx: &Context<'_>) -> desk::projections::Cursor {
        desk::projections::Cursor {
            after: self.after.map(Position),
            first: self.first,
            with_total: ctx.look_ahead().field("totalCount").exists(),
        }
    }
}

/// One page over the sites a reader may see: each site's page read from the models (walked from
/// the cursor on, in the site's own list), merged in journal order. `position` is the cursor of
/// an item.
fn per_site_page<T>(
    sites: &[Option<SiteId>],
    cursor: &desk::projections::Cursor,
    mut read: impl FnMut(Option<SiteId>) -> desk::projections::Page<T>,
    position: impl Fn(&T) -> u64,
) -> desk::projections::Page<T> {
    if let [one] = sites {
        return read(one.clone());
    }
    let mut merged = desk::projections::Page {
        items: Vec::new(),
        has_next_page: false,
        has_previous_page: false,
        total: cursor.with_total.then_some(0),
    };
    for site in sites {
        let page = read(site.clone());
        merged.items.extend(page.items);
        merged.has_next_page |= page.has_next_page;
        merged.has_previous_page |= page.has_previous_page;
        merged.total = merged.total.zip(page.total).map(|(a, b)| a + b);
    }
    merged.items.sort_by_key(|n| position(n));
    merged.items.dedup_by(|a, b| position(a) == position(b));
    if merged.items.len() > cursor.first {
        merged.items.truncate(cursor.first);
        merged.has_next_page = true;
    }
    merged
}

/// A page of the read models as a connection; its cursors are positions.
fn connection<N: async_graphql::OutputType>(
    page: desk::projections::Page<N>,
    position: impl Fn(&N) -> u64,
) -> Page<N> {
    let mut connection = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        TotalCount {
            // Counted only when asked for: `0` is never shown.
            total_count: page
                .total
                .map_or(0, |t| u64::try_from(t).unwrap_or(u64::MAX)),
        },
    );
    connection
        .edges
        .extend(page.items.into_iter().map(|n| Edge::new(position(&n), n)));
    connection
}
