//! Supervision meetings and the months that had one.

use super::*;

/// A supervision meeting held.
#[derive(SimpleObject)]
pub struct SupervisionMeeting {
    pub id: ID,
    pub occurred_at: DateTime<Utc>,
    pub position: u64,
    pub duration_minutes: u32,
    pub supervisor: String,
    pub attendees: Vec<String>,
    pub sites: Vec<String>,
    pub themes: Vec<String>,
    pub cases_discussed: Vec<ID>,
    /// What was decided (`[erased]` once the meeting's text is redacted).
    pub decisions: Vec<String>,
    /// The actions to follow, each with its owner and due date where recorded.
    pub actions: Vec<SupervisionAction>,
}

/// An action decided in supervision, to be followed up.
#[derive(SimpleObject)]
pub struct SupervisionAction {
    pub description: String,
    /// Who carries it out (an account id).
    pub owner: String,
    /// By when, if a date was set.
    pub due_on: Option<NaiveDate>,
}

impl From<domain::SupervisionAction> for SupervisionAction {
    fn from(a: domain::SupervisionAction) -> Self {
        SupervisionAction {
            description: a.description.0,
            owner: a.owner,
            due_on: a.due_on,
        }
    }
}

/// The meetings held in one month (within the period asked for).
#[derive(SimpleObject)]
pub struct MonthMeetings {
    /// `yyyy-mm`.
    pub month: String,
    pub meetings: u32,
    pub has_meeting: bool,
}

impl From<desk::projections::MonthMeetings> for MonthMeetings {
    fn from(m: desk::projections::MonthMeetings) -> Self {
        MonthMeetings {
            month: m.month.to_string(),
            meetings: m.meetings,
            has_meeting: m.has_meeting(),
        }
    }
}

/// Supervision over a period.
#[derive(SimpleObject)]
pub struct Supervision {
    /// Meetings held in the period, in time order.
    pub meetings: Vec<SupervisionMeeting>,
    /// Every month the period touches, with the meetings held in it.
    pub months: Vec<MonthMeetings>,
    pub every_month_has_meeting: bool,
}
