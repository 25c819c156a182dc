//! Decisions on the streams each fact creates for itself: group activities
//! (`group-activity-<ulid>`), information material (`material-<ulid>`), surveys (`survey-<ulid>`),
//! and the logbook of a site's day (`logbook-<site>-<yyyy-mm-dd>`).

use super::*;

impl DeskState {
    pub(super) fn record_group_activity(&self, c: &RecordGroupActivity) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !c.title.as_str().trim().is_empty(),
            "title",
            K::Required,
            "give the activity a title"
        );
        duration(c.duration_minutes, "durationMinutes")?;
        ensure!(
            c.attendees_third_country + c.attendees_other > 0,
            "attendeesThirdCountry",
            K::OutOfRange,
            "a group activity has at least one attendee"
        );
        languages(&c.languages, "languages")?;
        ensure!(
            !c.facilitators.is_empty(),
            "facilitators",
            K::Required,
            "say who led the activity"
        );
        ensure!(
            c.kind != GroupActivityKind::CommunityActivation || !c.associations.is_empty(),
            "associations",
            K::Required,
            "community activation names the associations involved"
        );
        let event = GroupActivityHeld {
            activity_id: c.activity_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            kind: c.kind,
            title: c.title.clone(),
            duration_minutes: c.duration_minutes,
            attendees_third_country: c.attendees_third_country,
            attendees_other: c.attendees_other,
            languages: c.languages.clone(),
            associations: c.associations.clone(),
            facilitators: c.facilitators.clone(),
        };
        self.creation(
            StreamId::group_activity(c.activity_id),
            "activityId",
            "group activity",
            event,
        )
    }

    pub(super) fn distribute_material(&self, c: &DistributeInformationMaterial) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !c.item.trim().is_empty(),
            "item",
            K::Required,
            "say which material was distributed"
        );
        language(&c.language, "language")?;
        ensure!(
            c.quantity >= 1,
            "quantity",
            K::OutOfRange,
            "at least one copy is distributed"
        );
        let event = InformationMaterialDistributed {
            distribution_id: c.distribution_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            item: c.item.clone(),
            language: c.language.clone(),
            quantity: c.quantity,
            channel: c.channel,
        };
        self.creation(
            StreamId::distribution(c.distribution_id),
            "distributionId",
            "distribution",
            event,
        )
    }

    pub(super) fn record_survey(&self, c: &RecordSurveyResponse) -> Decided {
        site(&c.site_id, "siteId")?;
        let definition = self.survey_answered(c)?;
        self.check_scores(definition, &c.scores)?;
        if let Some(p) = c.person_id {
            self.person_with_consent(p, ConsentScope::SurveyContact)?;
        }
        let event = SatisfactionSurveyCompleted {
            survey_id: c.survey_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            person_id: c.person_id,
            definition: definition.definition.clone(),
            version: definition.version,
            scores: c.scores.clone(),
            helpful_for_integration: c.helpful_for_integration,
            comment: c.comment.clone(),
        };
        self.creation(StreamId::survey(c.survey_id), "surveyId", "survey", event)
    }

    pub(super) fn write_logbook_entry(&self, c: &WriteLogbookEntry, ctx: &Context) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            c.date <= desk_day(ctx.now),
            "date",
            K::InFuture,
            "a logbook entry cannot be dated in the future"
        );
        ensure!(
            desk_day(c.occurred_at) >= c.date,
            "occurredAt",
            K::OutOfRange,
            "a logbook entry is written on the day it describes or later"
        );
        ensure!(
            !c.mediator.trim().is_empty(),
            "mediator",
            K::Required,
            "say which mediator writes the entry"
        );
        languages(&c.languages, "languages")?;
        let stream = StreamId::logbook(&c.site_id, c.date);
        // One entry per mediator, site, day and slot; a full day overlaps both halves. The
        // day's stream version guards it: two mediators writing at once conflict, and the
        // second decision, retried, sees the first entry.
        if let Some(written) = self.logbook_days.get(&stream) {
            let overlaps = |a: RotationSlot, b: RotationSlot| {
                a == b || a == RotationSlot::FullDay || b == RotationSlot::FullDay
            };
            if written
                .iter()
                .any(|(m, slot)| *m == c.mediator && overlaps(*slot, c.slot))
            {
                return reject(
                    "slot",
                    K::AlreadyExists,
                    format!(
                        "{} already wrote the logbook of {} for {} ({})",
                        c.mediator,
                        c.site_id,
                        c.date,
                        c.slot.as_str().replace('_', " ")
                    ),
                );
            }
        }
        let event = LogbookEntryWritten {
            site_id: c.site_id.clone(),
            date: c.date,
            occurred_at: c.occurred_at,
            mediator: c.mediator.clone(),
            slot: c.slot,
            contacts: c.contacts,
            languages: c.languages.clone(),
            observations: c.observations.clone(),
            incidents: c.incidents.clone(),
            emerging_needs: c.emerging_needs.clone(),
            difficulties: c.difficulties.clone(),
            strategies: c.strategies.clone(),
            training_needs: c.training_needs.clone(),
        };
        self.decision(stream, event)
    }

    pub(super) fn comment_logbook_entry(&self, c: &CommentLogbookEntry, ctx: &Context) -> Decided {
        ensure!(
            matches!(ctx.actor.role, Role::Supervisor | Role::Admin),
            "actor",
            K::NotPermitted,
            "only a supervisor comments on a logbook entry"
        );
        let Some((site_id, date)) = self.logbook_entries.get(&c.entry_id) else {
            return reject(
                "entryId",
                K::NotFound,
                "there is no logbook entry with this id",
            );
        };
        ensure!(
            desk_day(c.occurred_at) >= *date,
            "occurredAt",
            K::OutOfRange,
            "a comment comes after the day of the entry ({date})"
        );
        ensure!(
            !c.comment.as_str().trim().is_empty(),
            "comment",
            K::Required,
            "write the comment"
        );
        ensure!(
            !self.redacted_texts.contains(&c.entry_id),
            "entryId",
            K::Erased,
            "this entry's text was redacted: nothing more is written under it"
        );
        let event = LogbookEntryCommented {
            entry_id: c.entry_id,
            site_id: site_id.clone(),
            date: *date,
            occurred_at: c.occurred_at,
            supervisor: ctx.actor.id.clone(),
            comment: c.comment.clone(),
        };
        self.decision(StreamId::logbook(site_id, *date), event)
    }

    pub(super) fn redact_text(&self, c: &RedactText, ctx: &Context) -> Decided {
        ensure!(
            ctx.actor.role == Role::Supervisor,
            "actor",
            K::NotPermitted,
            "only a supervisor redacts a text"
        );
        let Some(original) = self.events.get(&c.event_id) else {
            return reject("eventId", K::NotFound, "there is no event with this id");
        };
        // The facts whose free text is sealed under a key of their own (`Event::text_key`): a
        // named respondent's survey is the person's data, sealed under their key.
        let own_text = match original.event_type {
            "LogbookEntryWritten" | "SupervisionMeetingHeld" | "GroupActivityHeld" => true,
            "SatisfactionSurveyCompleted" | "MediationSessionHeld" => original.person_id.is_none(),
            _ => false,
        };
        ensure!(
            own_text,
            "eventId",
            K::Mismatch,
            "only the text of a logbook entry, a supervision meeting, a group activity, an \
             anonymous survey or a session without a person is redacted (a person's own data goes \
             with their erasure)"
        );
        ensure!(
            !self.redacted_texts.contains(&c.event_id),
            "eventId",
            K::AlreadyExists,
            "this text is already redacted"
        );
        let stream = self.stream_ids[original.stream as usize].clone();
        let site_id = original.site.map(|ix| self.site_ids[ix as usize].clone());
        let event = TextRedacted {
            event_id: c.event_id,
            site_id,
            occurred_at: c.occurred_at,
            reason: c.reason,
        };
        self.decision(stream, event)
    }
}

impl Decide for RecordGroupActivity {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.record_group_activity(self)
    }
}

impl Decide for DistributeInformationMaterial {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.distribute_material(self)
    }
}

impl Decide for RecordSurveyResponse {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.record_survey(self)
    }
}

impl Decide for WriteLogbookEntry {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, ctx: &Context) -> Decided {
        state.write_logbook_entry(self, ctx)
    }
}

impl Decide for CommentLogbookEntry {
    fn placement(&self, state: &DeskState) -> Placement {
        state.placement_of_event(self.entry_id)
    }

    fn decide(&self, state: &DeskState, ctx: &Context) -> Decided {
        state.comment_logbook_entry(self, ctx)
    }
}

impl Decide for RedactText {
    fn placement(&self, state: &DeskState) -> Placement {
        state.placement_of_event(self.event_id)
    }

    fn decide(&self, state: &DeskState, ctx: &Context) -> Decided {
        state.redact_text(self, ctx)
    }
}

// The write model's part of each event of this stream: no rule, whatever is in the journal
// happened.

impl Evolve for GroupActivityHeld {
    /// Decides nothing later.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

impl Evolve for InformationMaterialDistributed {
    /// Decides nothing later.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

impl Evolve for SatisfactionSurveyCompleted {
    /// Decides nothing later.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

impl Evolve for LogbookEntryWritten {
    fn evolve(&self, state: &mut DeskState, at: Applied) {
        let stream = state.stream_ids[at.stream as usize].clone();
        state
            .logbook_days
            .entry(stream)
            .or_default()
            .push((self.mediator.clone(), self.slot));
        state
            .logbook_entries
            .insert(at.id, (self.site_id.clone(), self.date));
    }
}

impl Evolve for LogbookEntryCommented {
    /// Decides nothing later.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

impl Evolve for TextRedacted {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state.redacted_texts.insert(self.event_id);
    }
}

/// The sample of each command of this stream ([`crate::samples`]).
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for RecordGroupActivity {
        fn sample() -> Self {
            RecordGroupActivity {
                activity_id: group(),
                site_id: site(),
                occurred_at: t("2024-05-16T10:00:00Z"),
                kind: GroupActivityKind::InformationSession,
                title: PersonalNote::new("Il permesso di soggiorno: rinnovo e conversione"),
                duration_minutes: 90,
                attendees_third_country: 14,
                attendees_other: 2,
                languages: vec!["it".into(), "ar".into()],
                associations: vec![],
                facilitators: vec!["m.haddad".into()],
            }
        }
    }

    impl Sample for DistributeInformationMaterial {
        fn sample() -> Self {
            DistributeInformationMaterial {
                distribution_id: distribution(),
                site_id: site(),
                occurred_at: t("2024-05-16T11:00:00Z"),
                item: "Guida ai servizi del territorio".into(),
                language: "uk".into(),
                quantity: 25,
                channel: DistributionChannel::Desk,
            }
        }
    }

    impl Sample for RecordSurveyResponse {
        fn sample() -> Self {
            RecordSurveyResponse {
                survey_id: survey(),
                site_id: site(),
                occurred_at: t("2024-05-16T11:30:00Z"),
                person_id: Some(person()),
                definition: Some(DEFAULT_SURVEY.into()),
                version: Some(1),
                scores: vec![
                    ItemScore {
                        item: "welcome".into(),
                        score: 5,
                    },
                    ItemScore {
                        item: "clarity".into(),
                        score: 4,
                    },
                    ItemScore {
                        item: "usefulness".into(),
                        score: 5,
                    },
                ],
                helpful_for_integration: true,
                comment: Some(PersonalNote::new("grazie a Olena per la pazienza")),
            }
        }
    }

    impl Sample for WriteLogbookEntry {
        fn sample() -> Self {
            WriteLogbookEntry {
                site_id: site(),
                date: d("2024-05-16"),
                occurred_at: t("2024-05-16T11:50:00Z"),
                mediator: "m.haddad".into(),
                slot: RotationSlot::Morning,
                contacts: 7,
                languages: vec!["ar".into(), "uk".into()],
                observations: Some(PersonalNote::new(
                    "mattinata intensa, molte richieste sul rinnovo",
                )),
                incidents: None,
                emerging_needs: vec![NeedArea::Documents],
                difficulties: Some(PersonalNote::new("nessun interprete per il bengalese")),
                strategies: Some(PersonalNote::new("mediazione telefonica con un collega")),
                training_needs: Some(PersonalNote::new("aggiornamento sui permessi")),
            }
        }
    }

    impl Sample for CommentLogbookEntry {
        fn sample() -> Self {
            CommentLogbookEntry {
                entry_id: logbook_entry_id(),
                occurred_at: t("2024-05-16T11:55:00Z"),
                comment: PersonalNote::new("bene"),
            }
        }
    }

    impl Sample for RedactText {
        fn sample() -> Self {
            RedactText {
                event_id: logbook_entry_id(),
                occurred_at: t("2024-05-16T11:56:00Z"),
                reason: ErasureReason::PersonRequest,
            }
        }
    }
}
