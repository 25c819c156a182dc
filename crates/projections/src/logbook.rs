//! The logbook's read model: `LogbookRow` (its text and comments), `LogbookEntryView` and the
//! logbook queries, and the fold of the logbook events and of a text's redaction.

use chrono::{DateTime, NaiveDate, Utc};
use domain::*;
use journal::Position;
use serde::Serialize;
use ulid::Ulid;

use crate::apply::{At, Fold};
use crate::model::*;
use crate::period::Period;
use crate::query::count;
use crate::sym::{bits, from_bits, Sym};

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct LogbookRow {
    pub site: Sym,
    pub date: NaiveDate,
    pub written_at: DateTime<Utc>,
    pub position: Position,
    pub mediator: Sym,
    pub slot: RotationSlot,
    pub contacts: u32,
    pub languages: Box<[Sym]>,
    pub emerging_needs: u32,
    /// The entry's event id (comments and redactions name it).
    pub id: Ulid,
    /// Its free text, opened (none in an entry without text); `[erased]` once redacted.
    pub text: Option<Box<DiaryText>>,
    pub comments: Vec<DiaryComment>,
    /// Its text was redacted (`TextRedacted`).
    pub redacted: bool,
}

/// What a mediator wrote in their entry, in words.
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct DiaryText {
    pub observations: Option<PersonalNote>,
    pub incidents: Option<PersonalNote>,
    pub difficulties: Option<PersonalNote>,
    pub strategies: Option<PersonalNote>,
    pub training_needs: Option<PersonalNote>,
}

impl DiaryText {
    /// The same fields, each one present read as erased.
    pub fn redacted(&self) -> DiaryText {
        let erased = |n: &Option<PersonalNote>| n.as_ref().map(|_| PersonalNote::erased());
        DiaryText {
            observations: erased(&self.observations),
            incidents: erased(&self.incidents),
            difficulties: erased(&self.difficulties),
            strategies: erased(&self.strategies),
            training_needs: erased(&self.training_needs),
        }
    }
}

/// A supervisor's comment under a logbook entry.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct DiaryComment {
    pub at: DateTime<Utc>,
    pub position: Position,
    pub supervisor: String,
    pub comment: PersonalNote,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogbookEntryView {
    pub site: SiteId,
    pub date: NaiveDate,
    pub written_at: DateTime<Utc>,
    pub position: Position,
    pub mediator: String,
    pub slot: RotationSlot,
    pub contacts: u32,
    pub languages: Vec<String>,
    pub emerging_needs: Vec<NeedArea>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogbookFilter {
    pub site: Option<SiteId>,
    /// On the entry's date (the day it is about).
    pub period: Option<Period>,
    pub mediator: Option<String>,
}

/// One site's opening days in a period that have no logbook entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingLogbookDays {
    pub site: SiteId,
    pub opening_days: u32,
    pub entries: u32,
    pub missing: Vec<NaiveDate>,
}

impl ReadModels {
    /// Logbook entries matching the filter, by site then date.
    pub fn logbook_entries(&self, f: &LogbookFilter) -> Vec<LogbookEntryView> {
        let Some(site) = self.site_filter(&f.site) else {
            return Vec::new();
        };
        let mediator = f.mediator.as_deref().map(|l| self.syms.get(l));
        let mut out: Vec<LogbookEntryView> = self
            .logbook
            .iter()
            .filter(|l| {
                site.is_none_or(|s| s == l.site)
                    && f.period.is_none_or(|p| p.contains_date(l.date))
                    && mediator.is_none_or(|m| m == Some(l.mediator))
            })
            .map(|l| LogbookEntryView {
                site: self.site(l.site),
                date: l.date,
                written_at: l.written_at,
                position: l.position,
                mediator: self.syms.name(l.mediator).to_string(),
                slot: l.slot,
                contacts: l.contacts,
                languages: self.syms.names(&l.languages),
                emerging_needs: from_bits(NeedArea::ALL, l.emerging_needs),
            })
            .collect();
        out.sort_by(|a, b| (a.site.as_str(), a.date).cmp(&(b.site.as_str(), b.date)));
        out
    }

    /// For each site of the schedule (or only `site`), its opening days in the period without a
    /// logbook entry. A site not in the schedule has no opening days.
    pub fn missing_logbook_days(
        &self,
        period: &Period,
        site: Option<&SiteId>,
    ) -> Vec<MissingLogbookDays> {
        self.schedule
            .opening_days
            .keys()
            .filter(|s| site.is_none_or(|x| x == *s))
            .map(|s| {
                let sym = self.syms.get(s.as_str());
                let open = self.schedule.opening_days_in(s, period);
                let written: std::collections::BTreeSet<NaiveDate> = self
                    .logbook
                    .iter()
                    .filter(|l| Some(l.site) == sym && period.contains_date(l.date))
                    .map(|l| l.date)
                    .collect();
                let missing: Vec<NaiveDate> = open
                    .iter()
                    .copied()
                    .filter(|d| !written.contains(d))
                    .collect();
                MissingLogbookDays {
                    site: s.clone(),
                    opening_days: count(open.len()),
                    entries: count(open.len() - missing.len()),
                    missing,
                }
            })
            .collect()
    }
}

// The fold: no rules here, whatever is in the journal happened.

impl Fold for LogbookEntryWritten {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At {
            rec,
            position,
            site,
            ..
        } = *at;
        let row = LogbookRow {
            site,
            date: self.date,
            written_at: self.occurred_at,
            position,
            mediator: m.syms.intern(&self.mediator),
            slot: self.slot,
            contacts: self.contacts,
            languages: m.syms.intern_all(&self.languages),
            emerging_needs: bits(NeedArea::ALL, &self.emerging_needs),
            id: rec.id,
            text: diary_text(self),
            comments: Vec::new(),
            redacted: false,
        };
        m.logbook.push_back(row);
        Some(Target::Logbook(len_ix(m.logbook.len())))
    }
}

impl Fold for LogbookEntryCommented {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At { position, .. } = *at;
        if let Some((Target::Logbook(ix), _)) = m.targets.get(&self.entry_id) {
            m.logbook[*ix as usize].comments.push(DiaryComment {
                at: self.occurred_at,
                position,
                supervisor: self.supervisor.clone(),
                comment: self.comment.clone(),
            });
        }
        None
    }
}

impl Fold for TextRedacted {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        // The desk destroys the text's key once this is durable; the read models forget
        // the text at the same moment.
        match m.targets.get(&self.event_id) {
            Some((Target::Logbook(ix), _)) => {
                let l = &mut m.logbook[*ix as usize];
                l.redacted = true;
                l.text = l.text.as_ref().map(|t| Box::new(t.redacted()));
                for c in &mut l.comments {
                    c.comment = PersonalNote::erased();
                }
            }
            Some((Target::Meeting(ix), _)) => {
                let m = &mut m.meetings[*ix as usize];
                m.decisions = vec![PersonalNote::erased(); m.decisions.len()];
                for a in &mut m.actions {
                    a.description = PersonalNote::erased();
                    a.owner = domain::ERASED.to_string();
                    a.due_on = None;
                }
            }
            _ => {}
        }
        None
    }
}

/// The free text of a logbook entry, or none when it has none.
fn diary_text(e: &domain::LogbookEntryWritten) -> Option<Box<DiaryText>> {
    let text = DiaryText {
        observations: e.observations.clone(),
        incidents: e.incidents.clone(),
        difficulties: e.difficulties.clone(),
        strategies: e.strategies.clone(),
        training_needs: e.training_needs.clone(),
    };
    let any = text.observations.is_some()
        || text.incidents.is_some()
        || text.difficulties.is_some()
        || text.strategies.is_some()
        || text.training_needs.is_some();
    any.then(|| Box::new(text))
}
