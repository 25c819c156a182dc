//! The rows the monitoring figures count: intakes, interventions, group activities and surveys,
//! and the fold of their events.

use chrono::{DateTime, Utc};
use domain::*;

use crate::apply::{At, Fold};
use crate::model::*;
use crate::sym::{bits, Sym};

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct IntakeRow {
    pub person: Ix,
    pub site: Sym,
    pub at: DateTime<Utc>,
    pub channel: IntakeChannel,
    pub needs: u32,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct InterventionRow {
    pub person: Ix,
    pub case: Option<Ix>,
    pub site: Sym,
    pub at: DateTime<Utc>,
    pub activity: Activity,
    pub mode: InterventionMode,
    pub duration_minutes: u32,
    pub language: Sym,
    pub need: Option<NeedArea>,
    pub outcome: InterventionOutcome,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct GroupRow {
    pub site: Sym,
    pub at: DateTime<Utc>,
    pub kind: GroupActivityKind,
    pub duration_minutes: u32,
    pub attendees_third_country: u32,
    pub attendees_other: u32,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct SurveyRow {
    pub site: Sym,
    pub at: DateTime<Utc>,
    /// The survey definition answered, and its version.
    pub definition: Sym,
    pub version: u32,
    /// Score per item of `SurveyItem::ALL` for the built-in definition (the monitoring's
    /// figures, 1 to 5); 0 when not answered, or for another definition.
    pub scores: [u8; 6],
    /// Every score, by the item's code in the definition answered.
    pub answers: Vec<(Sym, u8)>,
    pub helpful: bool,
}

impl SurveyRow {
    /// Sets the scores of a response to `definition` at `version`.
    pub(crate) fn set_scores(&mut self, syms: &mut crate::sym::Symbols, scores: &[ItemScore]) {
        self.answers = scores
            .iter()
            .map(|s| (syms.intern(&s.item), s.score))
            .collect();
        self.scores = [0; 6];
        if syms.name(self.definition) == DEFAULT_SURVEY && self.version == 1 {
            self.scores = scores_array(scores);
        }
    }
}

pub(crate) fn scores_array(scores: &[ItemScore]) -> [u8; 6] {
    let mut out = [0u8; 6];
    for s in scores {
        if let Some(i) = SurveyItem::ALL.iter().position(|x| x.as_str() == s.item) {
            if let Some(slot) = out.get_mut(i) {
                *slot = s.score;
            }
        }
    }
    out
}

// The fold: no rules here, whatever is in the journal happened.

impl Fold for IntakeRecorded {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At {
            rec,
            position,
            site,
            ..
        } = *at;
        let ix = m.person_ix(self.person_id);
        m.persons[ix as usize].last_intake = Some((position, rec.id, self.occurred_at));
        m.intakes.push_back(IntakeRow {
            person: ix,
            site,
            at: self.occurred_at,
            channel: self.channel,
            needs: bits(NeedArea::ALL, &self.needs),
        });
        Some(Target::Intake(len_ix(m.intakes.len())))
    }
}

impl Fold for InterventionDelivered {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At {
            site, person, case, ..
        } = *at;
        let language = m.syms.intern(&self.language);
        m.interventions.push_back(InterventionRow {
            person: person.unwrap_or(NO_IX),
            case,
            site,
            at: self.occurred_at,
            activity: self.activity,
            mode: self.mode,
            duration_minutes: self.duration_minutes,
            language,
            need: self.need,
            outcome: self.outcome,
        });
        Some(Target::Intervention(len_ix(m.interventions.len())))
    }
}

impl Fold for GroupActivityHeld {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At { site, .. } = *at;
        m.groups.push_back(GroupRow {
            site,
            at: self.occurred_at,
            kind: self.kind,
            duration_minutes: self.duration_minutes,
            attendees_third_country: self.attendees_third_country,
            attendees_other: self.attendees_other,
        });
        Some(Target::Group(len_ix(m.groups.len())))
    }
}

impl Fold for InformationMaterialDistributed {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        m.materials
            .push_back(crate::report::MaterialRow::of(self, at.site));
        None
    }
}

impl Fold for SatisfactionSurveyCompleted {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At { site, .. } = *at;
        let mut row = SurveyRow {
            site,
            at: self.occurred_at,
            definition: m.syms.intern(&self.definition),
            version: self.version,
            scores: [0; 6],
            answers: Vec::new(),
            helpful: self.helpful_for_integration,
        };
        row.set_scores(&mut m.syms, &self.scores);
        m.surveys.push_back(row);
        Some(Target::Survey(len_ix(m.surveys.len())))
    }
}
