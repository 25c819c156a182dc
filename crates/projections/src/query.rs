//! Queries over the read models: plain structs, filters as structs, for the API to expose.

use chrono::{DateTime, Utc};
use domain::*;

use crate::model::*;
use crate::sym::Sym;

/// Whole days from `from` to `to` (the desk's days, in Rome), never negative.
pub(crate) fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (domain::state::desk_day(to) - domain::state::desk_day(from))
        .num_days()
        .max(0)
}

impl ReadModels {
    pub(crate) fn site(&self, sym: Sym) -> SiteId {
        SiteId::new(self.syms.name(sym))
    }

    /// `Some(sym)` for a site the models know; the outer `None` when the filter names a site
    /// never seen, which matches nothing.
    pub(crate) fn site_filter(&self, site: &Option<SiteId>) -> Option<Option<Sym>> {
        match site {
            None => Some(None),
            Some(s) => self.syms.get(s.as_str()).map(Some),
        }
    }
}

pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
