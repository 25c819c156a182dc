//! One mutation per domain command. Each takes a typed input, an optional `eventId` (a ULID the
//! client chooses, so that a retry records nothing twice) and an optional `expectedVersion` (the
//! stream version the client saw, where a race matters), and returns the recorded events with
//! their positions and hashes.
//!
//! Inputs mirror the domain's commands field for field (same camelCase names) and become them
//! through a typed conversion (`inputs::CommandInput`). The actor is always the request's
//! principal.

use std::sync::Arc;

use async_graphql::{
    Context, ErrorExtensions, InputObject, MergedObject, Object, Result, SimpleObject, ID,
};
use desk::Desk;
use domain::{Command, Placement, Role};
use ulid::Ulid;

use crate::access;
use crate::error;
use crate::inputs::*;
use crate::metrics::Metrics;
use crate::objects::EventNode;
use crate::Principal;

/// What a mutation recorded.
#[derive(SimpleObject)]
pub struct Recorded {
    /// The recorded events, with position and hash.
    pub events: Vec<EventNode>,
    /// True when the event id had already been recorded with this command: nothing new was
    /// written and these are the original events.
    pub already_recorded: bool,
}

/// Parses a ULID the client sent in `field` (named in `extensions.field` when malformed).
pub(crate) fn parse_ulid(field: &str, id: &ID) -> Result<Ulid> {
    Ulid::from_string(id.as_str()).map_err(|_| {
        let field = field.to_owned();
        error::bad_input(format!(
            "{field} must be a ULID (26 characters), got {:?}",
            id.as_str()
        ))
        .extend_with(move |_, e| e.set("field", field.clone()))
    })
}

/// Turns the input into its command and executes it.
pub(crate) async fn record<I: CommandInput>(
    ctx: &Context<'_>,
    mut input: I,
    options: Option<RecordOptions>,
) -> Result<Recorded> {
    input.default_actor(&access::principal(ctx)?.actor.id);
    let command = input.into_command()?;
    let options = options.unwrap_or_default();
    let expected_version = options.expected_version()?;
    run(ctx, command, options.event_id, expected_version).await
}

/// Executes a command as the request's principal.
pub(crate) async fn run(
    ctx: &Context<'_>,
    command: Command,
    event_id: Option<ID>,
    expected_version: Option<u64>,
) -> Result<Recorded> {
    let principal = access::principal(ctx)?;
    let desk = ctx.data::<Desk>()?;
    authorize(desk, principal, &command)?;
    let metrics = ctx.data::<Arc<Metrics>>()?;
    let event_id = event_id
        .as_ref()
        .map(|id| parse_ulid("eventId", id))
        .transpose()?;
    let outcome = desk
        .execute(&principal.actor, &command, event_id, expected_version)
        .await
        .map_err(error::from_desk)?;
    match outcome {
        Ok(recorded) => {
            if !recorded.already_recorded {
                metrics.recorded(recorded.events.len());
            }
            tracing::info!(
                command = command.name(),
                position = recorded.events.last().map(|e| e.position.0).unwrap_or(0),
                already_recorded = recorded.already_recorded,
                "command recorded"
            );
            Ok(Recorded {
                events: recorded.events.into_iter().map(EventNode::new).collect(),
                already_recorded: recorded.already_recorded,
            })
        }
        Err(refused) => {
            metrics.refused();
            tracing::info!(command = command.name(), "command refused");
            Err(error::from_refused(&refused))
        }
    }
}

/// Who may record what, as each command declares it (`Command::roles`: deny by default), and a
/// mediator only the facts of their own site (`DeskState::placement`). Nobody sends a
/// `RecordCheckpoint` of their own (`signCheckpoint` signs with the installation key). The
/// domain checks its own rules after this (`DeskState::decide`).
pub(crate) fn authorize(desk: &Desk, principal: &Principal, command: &Command) -> Result<()> {
    let forbidden = |message: String| {
        error::coded(error::FORBIDDEN, message).extend_with(|_, e| e.set("field", "actor"))
    };
    let role = principal.actor.role;
    if !command.permits(role) {
        return Err(forbidden(if let Command::RecordCheckpoint(_) = command {
            "a checkpoint is signed by the desk's own key: use signCheckpoint".into()
        } else {
            let roles: Vec<Role> = Role::ALL
                .iter()
                .copied()
                .filter(|r| command.permits(*r))
                .collect();
            format!(
                "{} may not record {}: {}",
                access::with_article(role),
                command.name(),
                access::who_may(&roles)
            )
        }));
    }
    match role {
        Role::Mediator => {
            let own = &principal.sites;
            let first = own
                .first()
                .ok_or_else(|| forbidden("this mediator's token names no site".into()))?;
            match desk.read_state(|state| state.placement(command)) {
                Placement::Site(site) if !own.contains(&site) => {
                    Err(access::other_site(desk, first, &site, "record facts"))
                }
                Placement::NoSite => Err(forbidden(
                    "a mediator may record and correct only the facts of a site".into(),
                )),
                Placement::Site(_) | Placement::Unknown => Ok(()),
            }
        }
        Role::Supervisor | Role::Evaluator | Role::Admin => Ok(()),
    }
}

/// The options every mutation takes besides its input.
#[derive(InputObject, Default)]
pub struct RecordOptions {
    /// A ULID chosen by the client for the (first) recorded event: sending the same mutation
    /// again with the same id records nothing twice and returns the original events.
    pub event_id: Option<ID>,
    /// The stream version the client saw; the mutation is refused with CONFLICT if the stream
    /// has moved on since.
    pub expected_version: Option<i64>,
}

impl RecordOptions {
    /// The expected version, refused in words when negative (GraphQL's Int is signed).
    fn expected_version(&self) -> Result<Option<u64>> {
        self.expected_version
            .map(|v| {
                u64::try_from(v).map_err(|_| {
                    error::bad_input(format!(
                        "options.expectedVersion must be 0 or more (a stream version), got {v}"
                    ))
                })
            })
            .transpose()
    }
}

/// Every mutation records one command. Limits on its texts: at most 4,000 characters in one
/// text (a note, a name, each line of a list), at most 10,000 in all the texts of one command; no
/// control characters (but tab and line breaks) and no bidi overrides or isolates.
// Each typed mutation lives beside its input in `inputs/<file>.rs`, one `#[Object]` per file,
// merged here: a new mutation in an existing file changes nothing here.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    PersonMutations,
    MergeMutations,
    CaseMutations,
    MediationMutations,
    ActivityMutations,
    DirectoryMutations,
    CalendarMutations,
    UpdateMutations,
    CorrectionMutations,
    StaffMutations,
    SurveyMutations,
    RecordingMutations,
);

/// The mutations that are not one input's command: signing a checkpoint, and a command as JSON.
#[derive(Default)]
pub struct RecordingMutations;

#[Object]
impl RecordingMutations {
    /// A person's own data (GDPR art. 15 and 20), for a supervisor to hand to them: every fact
    /// about them with its personal values opened, and every recorded read of their data, as
    /// JSON and as a page in Italian. The access is itself recorded in the read audit (channel
    /// `subject_access`) before it is answered. `null` for an id the desk never registered.
    #[graphql(guard = "access::Allow(access::SUPERVISORS)")]
    async fn subject_access(
        &self,
        ctx: &Context<'_>,
        person_id: async_graphql::ID,
    ) -> Result<Option<SubjectAccessNode>> {
        let principal = access::principal(ctx)?;
        let person = domain::PersonId(parse_ulid("personId", &person_id)?);
        let desk = ctx.data::<Desk>()?;
        let audit = ctx.data::<desk::read_audit::ReadAudit>()?;
        let Some(access) = desk
            .subject_access(person, audit)
            .map_err(error::from_desk)?
        else {
            return Ok(None);
        };
        audit
            .record(
                &principal.actor,
                vec![desk::subject_access::subject_access_read(person)],
            )
            .await
            .map_err(error::from_desk)?;
        Ok(Some(SubjectAccessNode {
            erased: access.erased,
            facts: u32::try_from(access.facts.len()).unwrap_or(u32::MAX),
            reads: u32::try_from(access.reads.len()).unwrap_or(u32::MAX),
            html: access.html(),
            json: async_graphql::Json(
                serde_json::to_value(&access).map_err(|e| error::internal(e.to_string()))?,
            ),
        }))
    }

    /// Signs a checkpoint of the journal's Merkle tree with the installation key and records it
    /// (supervisors and admins). Print or mail its `note`: it can be checked later with the
    /// public key alone. `options.eventId` makes a retry safe.
    #[graphql(guard = "access::Allow(access::CHECKPOINT_SIGNERS)")]
    async fn sign_checkpoint(
        &self,
        ctx: &Context<'_>,
        options: Option<RecordOptions>,
    ) -> Result<crate::proofs::CheckpointNode> {
        let principal = access::principal(ctx)?;
        let desk = ctx.data::<Desk>()?;
        let event_id = options
            .and_then(|o| o.event_id)
            .map(|id| parse_ulid("eventId", &id))
            .transpose()?;
        match desk
            .sign_checkpoint(&principal.actor, event_id)
            .await
            .map_err(error::from_desk)?
        {
            Ok(recorded) => recorded.try_into(),
            Err(refused) => Err(error::from_refused(&refused)),
        }
    }

    /// Records a command given as the JSON of an import line's `command` (the same shape as
    /// `fixtures/*.jsonl`); for tools that move data in bulk. Typed mutations are preferred.
    async fn record_command(
        &self,
        ctx: &Context<'_>,
        command: async_graphql::Json<serde_json::Value>,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        let command: Command = serde_json::from_value(command.0)
            .map_err(|e| error::bad_input(format!("not a command: {e}")))?;
        let options = options.unwrap_or_default();
        let expected_version = options.expected_version()?;
        run(ctx, command, options.event_id, expected_version).await
    }
}

/// A person's own data, as `subjectAccess` answers it.
#[derive(async_graphql::SimpleObject)]
pub struct SubjectAccessNode {
    /// The person's data was erased: the facts remain, their personal values read `[erased]`.
    pub erased: bool,
    /// How many facts about them.
    pub facts: u32,
    /// How many recorded reads of their data (this access not included).
    pub reads: u32,
    /// Everything, as JSON (art. 20: in a machine-readable form).
    pub json: async_graphql::Json<serde_json::Value>,
    /// The same as a page to print or hand over, headings in Italian.
    pub html: String,
}
