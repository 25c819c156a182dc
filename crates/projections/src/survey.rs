//! Survey definitions as the commissioner set them (`SurveyDefined`): every version, and the
//! one in force on a day. The built-in definition (`domain::default_definition`) is always
//! there, first. The report's satisfaction figures read them (`report/facts.rs`) for the items,
//! scales and languages of each version.

use chrono::NaiveDate;
use domain::{default_definition, SurveyDefined};

use crate::apply::{At, Fold};
use crate::model::{ReadModels, Target};

impl Fold for SurveyDefined {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        m.survey_definitions.push(self.clone());
        None
    }
}

impl ReadModels {
    /// Every version of every survey definition: the built-in one first, then as recorded.
    pub fn survey_definitions(&self) -> Vec<SurveyDefined> {
        let mut out = vec![default_definition()];
        out.extend(self.survey_definitions.iter().cloned());
        out
    }

    /// A definition's version, if known (the built-in one included).
    pub fn survey_definition(&self, definition: &str, version: u32) -> Option<SurveyDefined> {
        self.survey_definitions()
            .into_iter()
            .find(|d| d.definition == definition && d.version == version)
    }

    /// The version in force on `day` (the latest `valid_from` not after it, the later recorded
    /// among equals; the built-in one when none is), as the desk decides it
    /// (`DeskState::survey_in_force`).
    pub fn survey_in_force(&self, day: NaiveDate) -> SurveyDefined {
        self.survey_definitions
            .iter()
            .filter(|v| v.valid_from <= day)
            .max_by_key(|v| (v.valid_from, v.occurred_at))
            .cloned()
            .unwrap_or_else(default_definition)
    }
}
