//! Decisions on survey definitions (`survey-definition-<slug>`): each version recorded once, in
//! order, as the commissioner set it; and which definition a response answers, with its scores
//! checked against that definition's items and scales.

use crate::survey::{default_definition, is_survey_code, DefineSurvey, DEFAULT_SURVEY};

use super::*;

/// How many items a definition may have, and how wide a scale may be.
const MAX_ITEMS: usize = 40;
const MAX_SCALE: u8 = 10;

impl DeskState {
    /// The versions of a definition known so far, the built-in one included.
    fn survey_versions(&self, definition: &str) -> Vec<&SurveyDefined> {
        let recorded = self.survey_definitions.get(definition);
        let mut out: Vec<&SurveyDefined> = recorded.map(|v| v.iter().collect()).unwrap_or_default();
        if definition == DEFAULT_SURVEY {
            out.insert(0, builtin());
        }
        out
    }

    fn define_survey(&self, c: &DefineSurvey) -> Decided {
        ensure!(
            is_survey_code(&c.definition),
            "definition",
            K::Invalid,
            "a definition is named by 2 to 40 of a-z, 0-9, '-' and '_', starting with a letter"
        );
        let versions = self.survey_versions(&c.definition);
        let next = versions.last().map_or(1, |v| v.version + 1);
        ensure!(
            c.version == next,
            "version",
            K::OutOfRange,
            "versions of a definition are numbered in order: this one is {next}"
        );
        if let Some(last) = versions.last() {
            ensure!(
                c.valid_from >= last.valid_from,
                "validFrom",
                K::OutOfRange,
                "a version is valid from the day its previous one is valid from ({}), or later",
                last.valid_from
            );
        }
        ensure!(
            !c.heading.it.trim().is_empty(),
            "heading.it",
            K::Required,
            "the questionnaire's heading in Italian"
        );
        ensure!(
            !c.languages.is_empty(),
            "languages",
            K::Required,
            "the languages the questionnaire is given in"
        );
        let mut seen = BTreeSet::new();
        for (i, l) in c.languages.iter().enumerate() {
            ensure!(
                is_language_code(l),
                format!("languages[{i}]"),
                K::Invalid,
                "a language is an ISO 639 code such as it, ar, uk"
            );
            ensure!(
                seen.insert(l),
                format!("languages[{i}]"),
                K::Duplicate,
                "each language once"
            );
        }
        check_items(&c.items)?;
        let event = SurveyDefined {
            definition: c.definition.clone(),
            version: c.version,
            occurred_at: c.occurred_at,
            heading: c.heading.clone(),
            languages: c.languages.clone(),
            items: c.items.clone(),
            valid_from: c.valid_from,
        };
        self.decision(StreamId::survey_definition(&c.definition), event)
    }

    /// The definition a response answers: the one it names (at the version it names, else the
    /// latest in force on its day), or the version in force on its day of any definition.
    pub(super) fn survey_answered(
        &self,
        c: &RecordSurveyResponse,
    ) -> Result<&SurveyDefined, Rejection> {
        let day = desk_day(c.occurred_at);
        let chosen =
            match (&c.definition, c.version) {
                (None, Some(_)) => {
                    return reject(
                        "definition",
                        K::Required,
                        "a version is of a definition: name it",
                    )
                }
                (None, None) => self.survey_in_force(day),
                (Some(d), version) => {
                    let versions = self.survey_versions(d);
                    ensure!(
                        !versions.is_empty(),
                        "definition",
                        K::NotFound,
                        "there is no survey definition with this name"
                    );
                    match version {
                        Some(n) => match versions.iter().find(|v| v.version == n) {
                            Some(v) => *v,
                            None => {
                                return reject(
                                    "version",
                                    K::NotFound,
                                    "the definition has no such version",
                                )
                            }
                        },
                        None => match versions.iter().rev().find(|v| v.valid_from <= day) {
                            Some(v) => *v,
                            None => return reject(
                                "definition",
                                K::OutOfRange,
                                "no version of the definition is in force on the response's day",
                            ),
                        },
                    }
                }
            };
        ensure!(
            chosen.valid_from <= day,
            "version",
            K::OutOfRange,
            "this version is in force from {}, after the response's day",
            chosen.valid_from
        );
        Ok(chosen)
    }

    /// The version in force on `day`: the latest `valid_from` not after it, the later recorded
    /// first among equals; the built-in definition when none is.
    pub fn survey_in_force(&self, day: NaiveDate) -> &SurveyDefined {
        self.survey_definitions
            .values()
            .flatten()
            .filter(|v| v.valid_from <= day)
            .max_by_key(|v| (v.valid_from, v.occurred_at))
            .unwrap_or_else(|| builtin())
    }

    /// A response's scores against its definition: each item the definition's, once, on its
    /// scale.
    pub(super) fn check_scores(
        &self,
        definition: &SurveyDefined,
        scores: &[ItemScore],
    ) -> Result<(), Rejection> {
        ensure!(
            !scores.is_empty(),
            "scores",
            K::Required,
            "a survey has at least one answer"
        );
        let mut seen = BTreeSet::new();
        for (i, s) in scores.iter().enumerate() {
            let Some(item) = definition.item(&s.item) else {
                return reject(
                    format!("scores[{i}].item"),
                    K::NotFound,
                    format!(
                        "version {} of the definition {} has no item {:?}",
                        definition.version, definition.definition, s.item
                    ),
                );
            };
            ensure!(
                (item.scale.min..=item.scale.max).contains(&s.score),
                format!("scores[{i}].score"),
                K::OutOfRange,
                "this item is scored from {} to {}",
                item.scale.min,
                item.scale.max
            );
            ensure!(
                seen.insert(&s.item),
                format!("scores[{i}].item"),
                K::Duplicate,
                "each item is scored once"
            );
        }
        Ok(())
    }
}

fn builtin() -> &'static SurveyDefined {
    static BUILTIN: std::sync::OnceLock<SurveyDefined> = std::sync::OnceLock::new();
    BUILTIN.get_or_init(default_definition)
}

fn check_items(items: &[crate::survey::SurveyItemDefinition]) -> Result<(), Rejection> {
    ensure!(
        !items.is_empty(),
        "items",
        K::Required,
        "a questionnaire has at least one item"
    );
    ensure!(
        items.len() <= MAX_ITEMS,
        "items",
        K::TooLarge,
        "at most {MAX_ITEMS} items"
    );
    let mut codes = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        ensure!(
            is_survey_code(&item.code),
            format!("items[{i}].code"),
            K::Invalid,
            "an item's code is 2 to 40 of a-z, 0-9, '-' and '_', starting with a letter"
        );
        ensure!(
            codes.insert(&item.code),
            format!("items[{i}].code"),
            K::Duplicate,
            "each item's code once"
        );
        ensure!(
            !item.label.it.trim().is_empty(),
            format!("items[{i}].label.it"),
            K::Required,
            "the item's label in Italian"
        );
        let s = &item.scale;
        ensure!(
            s.min < s.max && s.max <= MAX_SCALE,
            format!("items[{i}].scale"),
            K::OutOfRange,
            "a scale goes from a lower to a higher point, at most {MAX_SCALE}"
        );
        ensure!(
            s.labels.is_empty() || s.labels.len() == usize::from(s.max - s.min) + 1,
            format!("items[{i}].scale.labels"),
            K::Invalid,
            "a scale's labels are none, or one per point from {} to {}",
            s.min,
            s.max
        );
    }
    Ok(())
}

impl Decide for DefineSurvey {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::NoSite
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.define_survey(self)
    }
}

impl Evolve for SurveyDefined {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state
            .survey_definitions
            .entry(self.definition.clone())
            .or_default()
            .push(self.clone());
    }
}

/// The sample of this stream's command ([`crate::samples`]): the commissioner's questionnaire
/// for IMPACT LAZIO, in three languages, with an item the built-in one lacks.
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for DefineSurvey {
        fn sample() -> Self {
            let agree = SurveyScale {
                min: 1,
                max: 4,
                labels: vec![
                    Label::new("Per niente", "Not at all"),
                    Label::new("Poco", "A little"),
                    Label::new("Abbastanza", "Quite"),
                    Label::new("Molto", "Very"),
                ],
            };
            DefineSurvey {
                definition: "gradimento-impact".into(),
                version: 1,
                occurred_at: t("2024-05-16T08:30:00Z"),
                heading: Label::new(
                    "IMPACT LAZIO - Questionario di gradimento",
                    "IMPACT LAZIO - Satisfaction questionnaire",
                ),
                languages: vec!["it".into(), "en".into(), "ar".into()],
                items: vec![
                    SurveyItemDefinition {
                        code: "accoglienza".into(),
                        label: Label::new("Mi sono sentito accolto", "I felt welcome"),
                        scale: agree.clone(),
                    },
                    SurveyItemDefinition {
                        code: "informazioni".into(),
                        label: Label {
                            it: "Le informazioni erano chiare".into(),
                            en: None,
                        },
                        scale: agree.clone(),
                    },
                    SurveyItemDefinition {
                        code: "raccomanderei".into(),
                        label: Label::new(
                            "Consiglierei lo sportello a un amico",
                            "I would recommend the desk to a friend",
                        ),
                        scale: SurveyScale {
                            min: 0,
                            max: 10,
                            labels: Vec::new(),
                        },
                    },
                ],
                valid_from: d("2024-06-01"),
            }
        }
    }
}
