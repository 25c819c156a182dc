//! Decisions on the streams each fact creates for itself: group activities
//! (`group-activity-<ulid>`), information material (`material-<ulid>`), surveys (`survey-<ulid>`),
//! and the logbook of a site's day (`logbook-<site>-<yyyy-mm-dd>`).

use super::*;

impl DeskState {
    pub(super) fn record_group_activity(&self, c: &RecordGroupActivity) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !c.title.trim().is_empty(),
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
        ensure!(
            !c.scores.is_empty(),
            "scores",
            K::Required,
            "a survey has at least one answer"
        );
        let mut seen = BTreeSet::new();
        for (i, s) in c.scores.iter().enumerate() {
            ensure!(
                (1..=5).contains(&s.score),
                format!("scores[{i}].score"),
                K::OutOfRange,
                "scores go from 1 to 5"
            );
            ensure!(
                seen.insert(s.item),
                format!("scores[{i}].item"),
                K::Duplicate,
                "each item is scored once"
            );
        }
        if let Some(p) = c.person_id {
            self.person_with_consent(p, ConsentScope::SurveyContact)?;
        }
        let event = SatisfactionSurveyCompleted {
            survey_id: c.survey_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            person_id: c.person_id,
            scores: c.scores.clone(),
            helpful_for_integration: c.helpful_for_integration,
            comment: c.comment.clone(),
        };
        self.creation(StreamId::survey(c.survey_id), "surveyId", "survey", event)
    }

    pub(super) fn write_logbook_entry(&self, c: &WriteLogbookEntry, ctx: &Context) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            c.date <= ctx.now.date_naive(),
            "date",
            K::InFuture,
            "a logbook entry cannot be dated in the future"
        );
        ensure!(
            c.occurred_at.date_naive() >= c.date,
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
        if let Some(author) = self.logbook_authors.get(&stream) {
            return reject(
                "date",
                K::AlreadyExists,
                format!(
                    "{author} already wrote the logbook of {} for {}",
                    c.site_id, c.date
                ),
            );
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
        };
        self.creation(stream, "date", "logbook entry", event)
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
