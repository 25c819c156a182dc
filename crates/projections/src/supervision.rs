//! The supervision meetings' read model: `MeetingRow` with its actions, `MeetingView` and the
//! meeting queries, and the fold of the supervision events.

use chrono::{DateTime, NaiveDate, Utc};
use domain::*;
use journal::Position;
use serde::Serialize;
use ulid::Ulid;

use crate::apply::{At, Fold};
use crate::model::*;
use crate::period::{Month, Period};
use crate::query::count;

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct MeetingRow {
    pub id: MeetingId,
    pub event_id: Ulid,
    /// Each action: what, whose, by when, and whether it was done
    /// (`SupervisionActionCompleted`).
    pub actions: Vec<ActionRow>,
    pub at: DateTime<Utc>,
    pub position: Position,
    pub duration_minutes: u32,
    pub supervisor: String,
    pub attendees: Vec<String>,
    pub sites: Vec<SiteId>,
    pub themes: Vec<String>,
    pub cases_discussed: Vec<CaseId>,
    pub decisions: Vec<PersonalNote>,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ActionRow {
    pub description: PersonalNote,
    pub owner: String,
    pub due_on: Option<NaiveDate>,
    pub done: bool,
}

impl ActionRow {
    /// The action as the meeting recorded it (or a correction made it).
    pub fn action(&self) -> SupervisionAction {
        SupervisionAction {
            description: self.description.clone(),
            owner: self.owner.clone(),
            due_on: self.due_on,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingView {
    pub id: MeetingId,
    pub occurred_at: DateTime<Utc>,
    pub position: Position,
    pub duration_minutes: u32,
    pub supervisor: String,
    pub attendees: Vec<String>,
    pub sites: Vec<SiteId>,
    pub themes: Vec<String>,
    pub cases_discussed: Vec<CaseId>,
    /// What was decided, opened (`[erased]` once redacted).
    pub decisions: Vec<PersonalNote>,
    /// The actions, each with its owner and due date where recorded.
    pub actions: Vec<SupervisionAction>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthMeetings {
    pub month: Month,
    pub meetings: u32,
}

impl MonthMeetings {
    pub fn has_meeting(&self) -> bool {
        self.meetings > 0
    }
}

impl ReadModels {
    /// Supervision meetings held in the period (optionally about a site), in time order.
    pub fn supervision_meetings(&self, period: &Period, site: Option<&SiteId>) -> Vec<MeetingView> {
        let mut out: Vec<MeetingView> = self
            .meetings
            .iter()
            .filter(|m| period.contains(m.at) && site.is_none_or(|s| m.sites.contains(s)))
            .map(|m| MeetingView {
                id: m.id,
                occurred_at: m.at,
                position: m.position,
                duration_minutes: m.duration_minutes,
                supervisor: m.supervisor.clone(),
                attendees: m.attendees.clone(),
                sites: m.sites.clone(),
                themes: m.themes.clone(),
                cases_discussed: m.cases_discussed.clone(),
                decisions: m.decisions.clone(),
                actions: m.actions.iter().map(ActionRow::action).collect(),
            })
            .collect();
        out.sort_by_key(|m| (m.occurred_at, m.position));
        out
    }

    /// For every month the period touches, how many meetings were held in it (within the period).
    pub fn supervision_months(&self, period: &Period, site: Option<&SiteId>) -> Vec<MonthMeetings> {
        period
            .months()
            .into_iter()
            .map(|month| MonthMeetings {
                month,
                meetings: count(
                    self.meetings
                        .iter()
                        .filter(|m| {
                            period.contains(m.at)
                                && Month::of(domain::state::desk_day(m.at)) == month
                                && site.is_none_or(|s| m.sites.contains(s))
                        })
                        .count(),
                ),
            })
            .collect()
    }
}

// The fold: no rules here, whatever is in the journal happened.

impl Fold for SupervisionMeetingHeld {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At {
            rec,
            event,
            position,
            ..
        } = *at;
        m.meetings.push_back(MeetingRow {
            id: self.meeting_id,
            event_id: rec.id,
            actions: self
                .actions
                .iter()
                .map(|a| ActionRow {
                    description: a.description.clone(),
                    owner: a.owner.clone(),
                    due_on: a.due_on,
                    done: false,
                })
                .collect(),
            at: self.occurred_at,
            position,
            duration_minutes: self.duration_minutes,
            supervisor: self.supervisor.clone(),
            attendees: self.attendees.clone(),
            sites: self.site_ids.clone(),
            themes: self.themes.clone(),
            cases_discussed: self.cases_discussed.clone(),
            decisions: self.decisions.clone(),
        });
        for case_id in &self.cases_discussed {
            let ix = m.case_ix(*case_id);
            m.push_timeline(ix, rec, event);
        }
        Some(Target::Meeting(len_ix(m.meetings.len())))
    }
}

impl Fold for SupervisionActionCompleted {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        let action = m
            .meetings
            .iter_mut()
            .rev()
            .find(|m| m.id == self.meeting_id)
            .and_then(|m| m.actions.get_mut(self.action as usize));
        if let Some(action) = action {
            action.done = true;
        }
        None
    }
}
