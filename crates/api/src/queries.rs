//! Queries: the audit trail and the chain (read from the journal through the audit index), and
//! the read models.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use desk::journal::{Position, RecordedEvent, Timestamp};
use desk::projections::{AuditFilter, PageRequest, PositionRange, TimeRange};
use desk::Desk;
use domain::{CaseId, PersonId, SiteId};
use ulid::Ulid;

use crate::access::{self, Allow};
use crate::error;
use crate::objects::{EventNode, HeadNode};

/// Largest page of the audit trail.
const MAX_PAGE: usize = 500;
/// Page size when the client names none.
const DEFAULT_PAGE: usize = 50;

/// Which events to list; every field given must match.
#[derive(InputObject, Default, Clone)]
pub struct EventFilter {
    /// One stream (`case-…`, `logbook-…`).
    pub stream: Option<String>,
    /// Event types (`IntakeRecorded`, ...); any of them.
    pub types: Option<Vec<String>>,
    /// Actor id.
    pub actor: Option<String>,
    /// Actor role: mediator, supervisor, evaluator, admin.
    pub role: Option<String>,
    /// Site slug (`montelucci`).
    pub site: Option<String>,
    /// Person id (ULID).
    pub person: Option<ID>,
    /// Case id (ULID).
    pub case: Option<ID>,
    /// Occurred at or after.
    pub occurred_from: Option<DateTime<Utc>>,
    /// Occurred before.
    pub occurred_to: Option<DateTime<Utc>>,
    /// Recorded at or after.
    pub recorded_from: Option<DateTime<Utc>>,
    /// Recorded before.
    pub recorded_to: Option<DateTime<Utc>>,
    /// From this position (included).
    pub position_from: Option<u64>,
    /// Up to this position (included).
    pub position_to: Option<u64>,
}

fn parse_id(field: &str, id: &ID) -> Result<Ulid> {
    Ulid::from_string(id.as_str())
        .map_err(|_| error::bad_input(format!("{field} must be a ULID, got {:?}", id.as_str())))
}

impl EventFilter {
    pub(crate) fn to_audit_filter(&self) -> Result<AuditFilter> {
        Ok(AuditFilter {
            stream: self.stream.clone(),
            event_types: self.types.clone().unwrap_or_default(),
            actor: self.actor.clone(),
            role: self.role.clone(),
            site: self.site.clone().map(SiteId::new),
            person: self
                .person
                .as_ref()
                .map(|id| parse_id("person", id).map(PersonId))
                .transpose()?,
            case: self
                .case
                .as_ref()
                .map(|id| parse_id("case", id).map(CaseId))
                .transpose()?,
            occurred: TimeRange {
                from: self.occurred_from,
                to: self.occurred_to,
            },
            recorded: TimeRange {
                from: self.recorded_from,
                to: self.recorded_to,
            },
            positions: PositionRange {
                from: self.position_from.map(Position),
                to: self.position_to.map(Position),
            },
        })
    }

    /// Whether a live event matches (for subscriptions, which do not go through the index).
    pub(crate) fn matches(&self, desk: &desk::Desk, event: &RecordedEvent) -> bool {
        let within = |at: Timestamp, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>| {
            from.is_none_or(|f| at >= Timestamp::from(f))
                && to.is_none_or(|t| at < Timestamp::from(t))
        };
        if self.stream.as_ref().is_some_and(|s| *s != event.stream)
            || self
                .types
                .as_ref()
                .is_some_and(|t| !t.is_empty() && !t.contains(&event.event_type))
            || self.actor.as_ref().is_some_and(|a| *a != event.actor.id)
            || self.role.as_ref().is_some_and(|r| *r != event.actor.role)
            || !within(event.occurred_at, self.occurred_from, self.occurred_to)
            || !within(event.recorded_at, self.recorded_from, self.recorded_to)
            || self.position_from.is_some_and(|p| event.position.0 < p)
            || self.position_to.is_some_and(|p| event.position.0 > p)
        {
            return false;
        }
        if self.site.is_none() && self.person.is_none() && self.case.is_none() {
            return true;
        }
        let Ok(decoded) = desk.decode(event) else {
            return false;
        };
        self.site
            .as_ref()
            .is_none_or(|s| decoded.site_id().is_some_and(|d| d.as_str() == s))
            && self.person.as_ref().is_none_or(|p| {
                decoded
                    .person_id()
                    .is_some_and(|d| d.0.to_string() == p.as_str())
            })
            && self.case.as_ref().is_none_or(|c| {
                decoded
                    .case_id()
                    .is_some_and(|d| d.0.to_string() == c.as_str())
            })
    }
}

/// Where the read models stand.
#[derive(SimpleObject)]
pub struct ProjectionStatus {
    /// Last position folded into the read models.
    pub position: u64,
    /// Acknowledged events not yet folded.
    pub lag: u64,
    /// Events this build could not read (they stay in the journal and the audit trail).
    pub undecodable: u64,
}

/// A problem found by `chain.verify`.
#[derive(SimpleObject)]
pub struct ChainProblem {
    pub position: u64,
    /// hash_mismatch, broken_link, missing_position, misplaced, undecodable, ...
    pub kind: String,
    pub message: String,
}

/// The outcome of verifying the chain.
#[derive(SimpleObject)]
pub struct Verification {
    pub intact: bool,
    pub checked: u64,
    /// The last good position and its hash.
    pub head: Option<HeadNode>,
    pub problem: Option<ChainProblem>,
}

/// The hash chain.
pub struct Chain;

#[Object]
impl Chain {
    /// The last recorded position and its hash: the digest to write down.
    async fn head(&self, ctx: &Context<'_>) -> Result<HeadNode> {
        Ok(ctx.data::<Desk>()?.journal().head().into())
    }

    /// Re-walks the chain (all, or `from..=to`) and reports the first bad position.
    async fn verify(
        &self,
        ctx: &Context<'_>,
        from: Option<u64>,
        to: Option<u64>,
    ) -> Result<Verification> {
        let journal = ctx.data::<Desk>()?.journal().clone();
        let report = tokio::task::spawn_blocking(move || journal.verify(from, to, &mut |_| {}))
            .await
            .map_err(error::internal)?
            .map_err(error::from_journal)?;
        let problem = report
            .problem
            .as_ref()
            .map(|(position, problem)| ChainProblem {
                position: position.0,
                kind: serde_json::to_value(problem)
                    .ok()
                    .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
                    .unwrap_or_default(),
                message: problem.to_string(),
            });
        Ok(Verification {
            intact: report.is_intact(),
            checked: report.checked,
            head: report.head.map(HeadNode::from),
            problem,
        })
    }
}

/// The arguments of a Relay page, checked before the page is read: one direction at a time, no
/// negative size, cursors that are positions (a cursor comes from an earlier page).
fn check_page(
    first: Option<i32>,
    after: &Option<String>,
    last: Option<i32>,
    before: &Option<String>,
) -> Result<()> {
    if first.is_some() && last.is_some() {
        return Err(error::bad_input(
            "first and last cannot be used together: page forward with first and after, or \
             backward with last and before",
        ));
    }
    for (name, n) in [("first", first), ("last", last)] {
        if let Some(n) = n.filter(|n| *n < 0) {
            return Err(error::bad_input(format!(
                "{name} must be 0 to {MAX_PAGE}, got {n}"
            )));
        }
    }
    for (name, cursor) in [("after", after), ("before", before)] {
        if let Some(cursor) = cursor.as_deref() {
            if cursor.parse::<u64>().is_err() {
                return Err(error::bad_input(format!(
                    "{name} must be a cursor from a previous page (an edge's cursor or \
                     pageInfo's startCursor or endCursor), got {cursor:?}"
                )));
            }
        }
    }
    Ok(())
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The events themselves, oldest first, as a Relay connection whose cursors are positions.
    #[graphql(guard = "Allow(access::SUPERVISORS)")]
    async fn audit_trail(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<u64, EventNode, AuditTotal, EmptyFields>> {
        let desk = ctx.data::<Desk>()?.clone();
        let filter = filter.unwrap_or_default().to_audit_filter()?;
        let want_total = ctx.look_ahead().field("totalCount").exists();
        check_page(first, &after, last, &before)?;
        async_graphql::connection::query(
            after,
            before,
            first,
            last,
            |after: Option<u64>, before: Option<u64>, first, last| async move {
                for n in [first, last].into_iter().flatten() {
                    if n > MAX_PAGE {
                        return Err(error::bad_input(format!(
                            "a page holds at most {MAX_PAGE} events; asked for {n}"
                        )));
                    }
                }
                let first = match (first, last) {
                    (None, None) => Some(DEFAULT_PAGE),
                    (first, _) => first,
                };
                let request = PageRequest {
                    after: after.map(Position),
                    before: before.map(Position),
                    first,
                    last,
                    with_total: want_total,
                };
                let page = desk.read(|m| m.audit_positions(&filter, &request));
                let mut connection = Connection::with_additional_fields(
                    page.has_previous_page,
                    page.has_next_page,
                    AuditTotal {
                        total_count: page.total.map(|t| u64::try_from(t).unwrap_or(u64::MAX)),
                    },
                );
                for position in page.items {
                    let event = desk
                        .journal()
                        .get(position)
                        .map_err(error::from_journal)?
                        .ok_or_else(|| {
                            error::internal(format!(
                                "position {position} is indexed but not readable"
                            ))
                        })?;
                    connection
                        .edges
                        .push(Edge::new(position.0, EventNode::new(event)));
                }
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }

    /// One event by id (ULID).
    #[graphql(guard = "Allow(access::SUPERVISORS)")]
    async fn event(&self, ctx: &Context<'_>, id: ID) -> Result<Option<EventNode>> {
        let id = parse_id("id", &id)?;
        let desk = ctx.data::<Desk>()?;
        Ok(desk
            .journal()
            .get_by_id(id)
            .map_err(error::from_journal)?
            .map(EventNode::new))
    }

    /// The events of one stream, by version (`fromVersion` included, default 1; `toVersion`
    /// included, default the last).
    #[graphql(guard = "Allow(access::SUPERVISORS)")]
    async fn stream(
        &self,
        ctx: &Context<'_>,
        id: String,
        from_version: Option<u64>,
        to_version: Option<u64>,
    ) -> Result<Vec<EventNode>> {
        let desk = ctx.data::<Desk>()?;
        let from = from_version.unwrap_or(1);
        if to_version.is_some_and(|to| to >= from && to - from >= MAX_PAGE as u64)
            || (to_version.is_none()
                && desk.journal().stream_version(&id).saturating_sub(from) >= MAX_PAGE as u64)
        {
            return Err(error::bad_input(format!(
                "a stream read returns at most {MAX_PAGE} events; narrow fromVersion/toVersion"
            )));
        }
        Ok(desk
            .journal()
            .read_stream(&id, from, to_version)
            .map_err(error::from_journal)?
            .into_iter()
            .map(EventNode::new)
            .collect())
    }

    /// The hash chain: its head, and verification.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn chain(&self) -> Chain {
        Chain
    }

    /// Where the read models stand against the journal.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn projection(&self, ctx: &Context<'_>) -> Result<ProjectionStatus> {
        let desk = ctx.data::<Desk>()?;
        let head = desk.journal().head().position.0;
        let (position, undecodable) = desk.read(|m| (m.position().0, m.undecodable_count()));
        Ok(ProjectionStatus {
            position,
            lag: head.saturating_sub(position),
            undecodable,
        })
    }
}

/// Extra fields of the audit-trail connection.
#[derive(SimpleObject)]
pub struct AuditTotal {
    /// How many events match the filter (ignores the cursors). Costs a scan of the index:
    /// ask for it only when it is shown.
    pub total_count: Option<u64>,
}
