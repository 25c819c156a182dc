//! Inputs of the desk's other records: group activities, information material, surveys, the
//! logbook (*diario di bordo*) and supervision meetings.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Command;

use super::vocab::*;
use super::*;

/// Records a group activity: proximity, parental group, community activation, information
/// session. Attendees are counted, not named.
#[derive(InputObject)]
pub struct RecordGroupActivityInput {
    /// A new ULID for the activity, chosen by the client.
    pub activity_id: ID,
    /// The desk that held it: `montelucci-4`.
    pub site_id: ID,
    /// When it was held: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// Kind of activity.
    pub kind: GroupActivityKind,
    /// Title of the activity ("Family language café"); not personal data, name nobody.
    pub title: String,
    /// Length in minutes (1 to 1439).
    pub duration_minutes: u32,
    /// Third-country nationals attending (with `attendeesOther`, at least one in all).
    pub attendees_third_country: u32,
    /// Other attendees (Italian and EU citizens).
    #[graphql(default)]
    pub attendees_other: u32,
    /// Languages used, as ISO 639 codes, at least one.
    pub languages: Vec<String>,
    /// Associations and local groups involved; required for COMMUNITY_ACTIVATION.
    #[graphql(default)]
    pub associations: Vec<String>,
    /// Who led it (account ids or names of external facilitators), at least one.
    pub facilitators: Vec<String>,
}

impl CommandInput for RecordGroupActivityInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            activity_id,
            site_id,
            occurred_at,
            kind,
            title,
            duration_minutes,
            attendees_third_country,
            attendees_other,
            languages,
            associations,
            facilitators,
        } = self;
        Ok(domain::RecordGroupActivity {
            activity_id: id("activityId", &activity_id)?,
            site_id: site(site_id),
            occurred_at,
            kind: kind.into(),
            title: domain::PersonalNote(title),
            duration_minutes,
            attendees_third_country,
            attendees_other,
            languages,
            associations,
            facilitators,
        }
        .into())
    }
}

/// Records a distribution of information material.
#[derive(InputObject)]
pub struct DistributeInformationMaterialInput {
    /// A new ULID for the distribution, chosen by the client.
    pub distribution_id: ID,
    /// The desk that distributed it: `montelucci-4`.
    pub site_id: ID,
    /// When it was distributed: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// The material ("Leaflet: health card").
    pub item: String,
    /// Language of the material, as an ISO 639 code.
    pub language: String,
    /// Copies distributed, at least 1.
    pub quantity: u32,
    /// Where it was handed out.
    pub channel: DistributionChannel,
}

impl CommandInput for DistributeInformationMaterialInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            distribution_id,
            site_id,
            occurred_at,
            item,
            language,
            quantity,
            channel,
        } = self;
        Ok(domain::DistributeInformationMaterial {
            distribution_id: id("distributionId", &distribution_id)?,
            site_id: site(site_id),
            occurred_at,
            item,
            language,
            quantity,
            channel: channel.into(),
        }
        .into())
    }
}

/// Records a completed satisfaction survey (*gradimento*), anonymous or of a person who gave the
/// SURVEY_CONTACT consent.
#[derive(InputObject)]
pub struct RecordSurveyResponseInput {
    /// A new ULID for the survey, chosen by the client.
    pub survey_id: ID,
    /// The desk the survey is about: `montelucci-4`.
    pub site_id: ID,
    /// When it was completed: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// The person who answered (ULID); empty for an anonymous survey.
    pub person_id: Option<ID>,
    /// The survey definition answered (`surveyDefinitions`); the one in force on the day when
    /// empty.
    pub definition: Option<String>,
    /// The definition's version answered; the latest in force on the day when empty.
    pub version: Option<u32>,
    /// The answers, at least one, each item of the definition once, on its scale.
    pub scores: Vec<ItemScoreInput>,
    /// The person found the desk helpful for their integration.
    pub helpful_for_integration: bool,
    /// Personal data: the free-text comment.
    /// At most 4,000 characters; no control characters or bidi overrides.
    pub comment: Option<String>,
}

impl CommandInput for RecordSurveyResponseInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            survey_id,
            site_id,
            occurred_at,
            person_id,
            definition,
            version,
            scores,
            helpful_for_integration,
            comment,
        } = self;
        Ok(domain::RecordSurveyResponse {
            survey_id: id("surveyId", &survey_id)?,
            site_id: site(site_id),
            occurred_at,
            person_id: opt_id("personId", person_id.as_ref())?,
            definition,
            version,
            scores: scores
                .into_iter()
                .map(|ItemScoreInput { item, score }| domain::ItemScore { item, score })
                .collect(),
            helpful_for_integration,
            comment: comment.map(domain::PersonalNote),
        }
        .into())
    }
}

/// One answer of a satisfaction survey.
#[derive(InputObject)]
pub struct ItemScoreInput {
    /// The item's code in the definition answered (the built-in definition's: `welcome`,
    /// `clarity`, `usefulness`, `waiting_time`, `language`, `overall`).
    pub item: String,
    /// On the item's scale (the built-in definition's: 1, poor, to 5, excellent).
    pub score: u8,
}

/// Writes a mediator's own logbook entry (*diario di bordo*) of a day at a site: one per
/// mediator, site, day and slot (a full day covers both halves), in their own name. An entry on
/// a day the site's schedule does not open is kept, and flagged (`onClosedDay`).
#[derive(InputObject)]
pub struct WriteLogbookEntryInput {
    /// The desk: `montelucci-4`.
    pub site_id: ID,
    /// The opening day the entry is about (`yyyy-mm-dd`), not in the future.
    pub date: NaiveDate,
    /// When it was written: ISO 8601 date-time with offset, on that day or later.
    pub occurred_at: DateTime<Utc>,
    /// The mediator writing (account id); a mediator writes only in their own name. The token's
    /// actor when left out.
    pub mediator: Option<String>,
    /// Part of the day covered.
    pub slot: RotationSlot,
    /// People met that day.
    pub contacts: u32,
    /// Languages used that day, as ISO 639 codes, at least one.
    pub languages: Vec<String>,
    /// Personal data: free-text observations of the day.
    /// At most 4,000 characters; no control characters or bidi overrides.
    pub observations: Option<String>,
    /// Personal data: incidents of the day, if any.
    pub incidents: Option<String>,
    /// Needs seen emerging that day.
    #[graphql(default)]
    pub emerging_needs: Vec<NeedArea>,
    /// Personal data: difficulties met that day.
    pub difficulties: Option<String>,
    /// Personal data: strategies used to face them.
    pub strategies: Option<String>,
    /// Personal data: training needs the day showed.
    pub training_needs: Option<String>,
}

impl CommandInput for WriteLogbookEntryInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            site_id,
            date,
            occurred_at,
            mediator,
            slot,
            contacts,
            languages,
            observations,
            incidents,
            emerging_needs,
            difficulties,
            strategies,
            training_needs,
        } = self;
        Ok(domain::WriteLogbookEntry {
            site_id: site(site_id),
            date,
            occurred_at,
            mediator: mediator.unwrap_or_default(),
            slot: slot.into(),
            contacts,
            languages,
            observations: observations.map(domain::PersonalNote),
            incidents: incidents.map(domain::PersonalNote),
            emerging_needs: words(emerging_needs),
            difficulties: difficulties.map(domain::PersonalNote),
            strategies: strategies.map(domain::PersonalNote),
            training_needs: training_needs.map(domain::PersonalNote),
        }
        .into())
    }

    fn default_actor(&mut self, actor: &str) {
        self.mediator.get_or_insert_with(|| actor.to_owned());
    }
}

/// Records a supervision meeting (at least one a month); only a supervisor or an admin records
/// it.
#[derive(InputObject)]
pub struct RecordSupervisionMeetingInput {
    /// A new ULID for the meeting, chosen by the client.
    pub meeting_id: ID,
    /// When it was held: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// Length in minutes (1 to 1439).
    pub duration_minutes: u32,
    /// Who supervised (account id or name).
    pub supervisor: String,
    /// Who attended (account ids), at least one.
    pub attendees: Vec<String>,
    /// The desks discussed (`montelucci-4`), at least one.
    pub site_ids: Vec<ID>,
    /// Themes discussed ("burnout", "referral delays"); name nobody here.
    #[graphql(default)]
    pub themes: Vec<String>,
    /// Cases discussed (ULIDs).
    #[graphql(default)]
    pub cases_discussed: Vec<ID>,
    /// Personal data: decisions taken, one free-text line each.
    /// At most 4,000 characters a line; no control characters or bidi overrides.
    #[graphql(default)]
    pub decisions: Vec<String>,
    /// Actions decided, each with an owner.
    #[graphql(default)]
    pub actions: Vec<SupervisionActionInput>,
}

impl CommandInput for RecordSupervisionMeetingInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            meeting_id,
            occurred_at,
            duration_minutes,
            supervisor,
            attendees,
            site_ids,
            themes,
            cases_discussed,
            decisions,
            actions,
        } = self;
        Ok(domain::RecordSupervisionMeeting {
            meeting_id: id("meetingId", &meeting_id)?,
            occurred_at,
            duration_minutes,
            supervisor,
            attendees,
            site_ids: site_ids.into_iter().map(site).collect(),
            themes,
            cases_discussed: ids("casesDiscussed", &cases_discussed)?,
            decisions: decisions.into_iter().map(domain::PersonalNote).collect(),
            actions: actions
                .into_iter()
                .map(
                    |SupervisionActionInput {
                         description,
                         owner,
                         due_on,
                     }| domain::SupervisionAction {
                        description: domain::PersonalNote(description),
                        owner,
                        due_on,
                    },
                )
                .collect(),
        }
        .into())
    }
}

/// An action decided in supervision.
#[derive(InputObject)]
pub struct SupervisionActionInput {
    /// Personal data: what is to be done, in free text.
    /// At most 4,000 characters; no control characters or bidi overrides.
    pub description: String,
    /// Who owns the action (account id).
    pub owner: String,
    /// Day it is due (`yyyy-mm-dd`), if any.
    pub due_on: Option<NaiveDate>,
}

/// The mutations of this file's inputs (merged into `MutationRoot`).
#[derive(Default)]
pub struct ActivityMutations;

#[Object]
impl ActivityMutations {
    /// Records a group activity (proximity, parental group, community activation, information
    /// session).
    async fn record_group_activity(
        &self,
        ctx: &Context<'_>,
        input: RecordGroupActivityInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records a distribution of information material.
    async fn distribute_information_material(
        &self,
        ctx: &Context<'_>,
        input: DistributeInformationMaterialInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records a completed satisfaction survey.
    async fn record_survey_response(
        &self,
        ctx: &Context<'_>,
        input: RecordSurveyResponseInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Writes the logbook entry (*diario di bordo*) of a site's opening day.
    async fn write_logbook_entry(
        &self,
        ctx: &Context<'_>,
        input: WriteLogbookEntryInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records a supervision meeting (supervisors only).
    async fn record_supervision_meeting(
        &self,
        ctx: &Context<'_>,
        input: RecordSupervisionMeetingInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Comments on a logbook entry (supervisors only); the comment is shown under it.
    async fn comment_logbook_entry(
        &self,
        ctx: &Context<'_>,
        input: CommentLogbookEntryInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Redacts the text of a logbook entry or a supervision meeting (supervisors only).
    async fn redact_text(
        &self,
        ctx: &Context<'_>,
        input: RedactTextInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }
}

/// A supervisor's comment on a logbook entry, shown under it.
#[derive(InputObject)]
pub struct CommentLogbookEntryInput {
    /// The entry: the event id of its `LogbookEntryWritten` (`DiaryEntry.id`).
    pub entry_id: ID,
    /// When it was written: ISO 8601 date-time with offset, not before the entry's day.
    pub occurred_at: DateTime<Utc>,
    /// Personal data: the comment. At most 4,000 characters.
    pub comment: String,
}

impl CommandInput for CommentLogbookEntryInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            entry_id,
            occurred_at,
            comment,
        } = self;
        Ok(domain::CommentLogbookEntry {
            entry_id: parse_ulid("entryId", &entry_id)?,
            occurred_at,
            comment: domain::PersonalNote(comment),
        }
        .into())
    }
}

/// Redacts the free text of a logbook entry (with its comments) or of a supervision meeting that
/// names a person (`docs/adr/0010-sealed-free-text.md`): its key is destroyed, the text reads
/// `[erased]` from then on, the figures stay.
#[derive(InputObject)]
pub struct RedactTextInput {
    /// The event id of the `LogbookEntryWritten` or `SupervisionMeetingHeld`.
    pub event_id: ID,
    /// When the redaction was decided: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// Why: a closed list, so that the recorded reason names nobody.
    pub reason: ErasureReason,
}

impl CommandInput for RedactTextInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            event_id,
            occurred_at,
            reason,
        } = self;
        Ok(domain::RedactText {
            event_id: parse_ulid("eventId", &event_id)?,
            occurred_at,
            reason: reason.into(),
        }
        .into())
    }
}
