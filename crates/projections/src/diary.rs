//! Each mediator's diary (*diario di bordo*): the entries with their text and the supervisors'
//! comments, and what supervision reads over months (*crescita della professione*).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::*;
use journal::Position;
use serde::Serialize;
use ulid::Ulid;

use crate::model::*;
use crate::period::{Month, Period};
use crate::sym::from_bits;

/// One logbook entry with its text and the comments under it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiaryEntryView {
    /// The event id of the `LogbookEntryWritten`.
    pub id: Ulid,
    pub site: SiteId,
    pub date: NaiveDate,
    pub written_at: DateTime<Utc>,
    pub position: Position,
    pub mediator: String,
    pub slot: RotationSlot,
    pub contacts: u32,
    pub languages: Vec<String>,
    pub emerging_needs: Vec<NeedArea>,
    pub observations: Option<PersonalNote>,
    pub incidents: Option<PersonalNote>,
    pub difficulties: Option<PersonalNote>,
    pub strategies: Option<PersonalNote>,
    pub training_needs: Option<PersonalNote>,
    pub comments: Vec<DiaryCommentView>,
    /// The day is not an opening day of the site's schedule: the entry is kept and flagged.
    pub on_closed_day: bool,
    /// Its text (and its comments') was redacted.
    pub redacted: bool,
}

/// A supervisor's comment under an entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiaryCommentView {
    pub occurred_at: DateTime<Utc>,
    pub position: Position,
    pub supervisor: String,
    pub comment: PersonalNote,
}

/// Which diaries to read: the sites (`None`: every site), the days, a mediator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiaryFilter {
    pub sites: Option<Vec<SiteId>>,
    pub period: Period,
    pub mediator: Option<String>,
}

/// What one mediator's entries of one month say of their work: the difficulties met, the
/// strategies used and the training needs, in the order of the days.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrowthView {
    pub mediator: String,
    pub month: Month,
    pub entries: u32,
    pub difficulties: Vec<PersonalNote>,
    pub strategies: Vec<PersonalNote>,
    pub training_needs: Vec<PersonalNote>,
}

impl ReadModels {
    /// The entries of the filter's sites and days, by date, site, slot and time of writing,
    /// each with its comments in order.
    pub fn diaries(&self, f: &DiaryFilter) -> Vec<DiaryEntryView> {
        let mut out: Vec<DiaryEntryView> = self
            .logbook
            .iter()
            .filter(|l| f.period.contains_date(l.date))
            .filter(|l| {
                f.mediator
                    .as_deref()
                    .is_none_or(|m| self.syms.name(l.mediator) == m)
            })
            .map(|l| self.diary_entry(l))
            .filter(|e| f.sites.as_ref().is_none_or(|s| s.contains(&e.site)))
            .collect();
        out.sort_by(|a, b| {
            (a.date, a.site.as_str(), a.written_at, a.position).cmp(&(
                b.date,
                b.site.as_str(),
                b.written_at,
                b.position,
            ))
        });
        out
    }

    /// One entry by its event id.
    pub fn diary_entry_by_id(&self, id: Ulid) -> Option<DiaryEntryView> {
        match self.targets.get(&id) {
            Some((Target::Logbook(ix), _)) => Some(self.diary_entry(&self.logbook[*ix as usize])),
            _ => None,
        }
    }

    fn diary_entry(&self, l: &LogbookRow) -> DiaryEntryView {
        let site = SiteId::new(self.syms.name(l.site));
        let text = l.text.as_deref().cloned().unwrap_or_default();
        DiaryEntryView {
            id: l.id,
            on_closed_day: !self.schedule.is_open(&site, l.date),
            site,
            date: l.date,
            written_at: l.written_at,
            position: l.position,
            mediator: self.syms.name(l.mediator).to_string(),
            slot: l.slot,
            contacts: l.contacts,
            languages: self.syms.names(&l.languages),
            emerging_needs: from_bits(NeedArea::ALL, l.emerging_needs),
            observations: text.observations,
            incidents: text.incidents,
            difficulties: text.difficulties,
            strategies: text.strategies,
            training_needs: text.training_needs,
            comments: l
                .comments
                .iter()
                .map(|c| DiaryCommentView {
                    occurred_at: c.at,
                    position: c.position,
                    supervisor: c.supervisor.clone(),
                    comment: c.comment.clone(),
                })
                .collect(),
            redacted: l.redacted,
        }
    }

    /// Per mediator and month of the filter, what their entries say of difficulties,
    /// strategies and training needs (*crescita della professione*), by mediator then month.
    pub fn professional_growth(&self, f: &DiaryFilter) -> Vec<GrowthView> {
        let mut by: BTreeMap<(String, Month), GrowthView> = BTreeMap::new();
        for e in self.diaries(f) {
            let month = Month::of(e.date);
            let g = by
                .entry((e.mediator.clone(), month))
                .or_insert_with(|| GrowthView {
                    mediator: e.mediator.clone(),
                    month,
                    entries: 0,
                    difficulties: Vec::new(),
                    strategies: Vec::new(),
                    training_needs: Vec::new(),
                });
            g.entries += 1;
            g.difficulties.extend(e.difficulties);
            g.strategies.extend(e.strategies);
            g.training_needs.extend(e.training_needs);
        }
        by.into_values().collect()
    }
}
