//! Decisions on corrections: an `EventCorrected` goes to the stream of the event it corrects.

use super::*;

impl DeskState {
    pub(super) fn correct_event(&self, c: &CorrectEvent) -> Decided {
        let Some(original) = self.events.get(&c.corrects) else {
            return reject("corrects", K::NotFound, "there is no event with this id");
        };
        ensure!(
            original.event_type != "EventCorrected",
            "corrects",
            K::NotCorrectable,
            "a correction is not corrected: correct the original event again"
        );
        ensure!(
            original.event_type != "PersonErased",
            "corrects",
            K::NotCorrectable,
            "an erasure is final and is not corrected"
        );
        ensure!(
            !matches!(
                original.event_type,
                "TextRedacted" | "LogbookEntryCommented"
            ),
            "corrects",
            K::NotCorrectable,
            "a redaction or a comment is not corrected: record a new one"
        );
        ensure!(
            original.event_type != "SiteScheduled",
            "corrects",
            K::NotCorrectable,
            "a site's schedule is not corrected: schedule the site again"
        );
        ensure!(
            !original.event_type.starts_with("Staff"),
            "corrects",
            K::NotCorrectable,
            "a staff account's fact is not corrected: the accounts file says what happened"
        );
        ensure!(
            !c.reason.trim().is_empty(),
            "reason",
            K::Required,
            "say why the correction is made"
        );
        ensure!(
            !c.fields.is_empty() || !c.personal_fields.is_empty(),
            "fields",
            K::Required,
            "say which fields are corrected"
        );
        let known = self.field_names.get(original.event_type);
        let names = c
            .fields
            .keys()
            .map(|n| (n, false))
            .chain(c.personal_fields.0.keys().map(|n| (n, true)));
        for (name, in_personal) in names {
            let field = if in_personal {
                format!("personalFields.{name}")
            } else {
                format!("fields.{name}")
            };
            ensure!(
                known.is_some_and(|k| k.contains(name)),
                field,
                K::Invalid,
                "{} has no field {name}",
                original.event_type
            );
            ensure!(
                !(name.ends_with("Id") || name.ends_with("Ids")) && name != "date",
                field,
                K::NotCorrectable,
                "{name} says where the event belongs: record a new fact instead"
            );
            let personal = PERSONAL_FIELD_NAMES.contains(&name.as_str());
            ensure!(
                personal == in_personal,
                field,
                K::Invalid,
                "{}",
                if personal {
                    "this field holds personal data: put it in personalFields"
                } else {
                    "this field is not personal data: put it in fields"
                }
            );
        }
        let event = EventCorrected {
            corrects: c.corrects,
            corrected_event_type: original.event_type.to_string(),
            site_id: original.site.map(|ix| self.site_ids[ix as usize].clone()),
            person_id: original.person_id,
            case_id: original.case_id,
            occurred_at: c.occurred_at,
            fields: c.fields.clone(),
            personal_fields: c.personal_fields.clone(),
            reason: c.reason.clone(),
        };
        self.decision(self.stream_ids[original.stream as usize].clone(), event)
    }
}

impl DeskState {
    /// Where a command acting on a recorded event belongs: that event's site.
    pub(super) fn placement_of_event(&self, id: Ulid) -> Placement {
        match self.event_site(id) {
            None => Placement::Unknown,
            Some(None) => Placement::NoSite,
            Some(Some(site)) => Placement::own(site),
        }
    }
}

impl Decide for CorrectEvent {
    fn placement(&self, state: &DeskState) -> Placement {
        state.placement_of_event(self.corrects)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.correct_event(self)
    }
}

// The write model's part of each event of this stream: no rule, whatever is in the journal
// happened.

impl Evolve for EventCorrected {
    /// Decides nothing later.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

/// The sample of a correction ([`crate::samples`]).
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for CorrectEvent {
        fn sample() -> Self {
            CorrectEvent {
                // The intake of the test scenario.
                corrects: event_id(4),
                occurred_at: t("2024-05-16T11:55:00Z"),
                fields: [("needs".to_string(), serde_json::json!(["work"]))].into(),
                personal_fields: PersonalFields::default(),
                reason: "bisogno registrato male".into(),
            }
        }
    }
}
