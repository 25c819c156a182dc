//! `events(filter, fromPosition)`: catch up from a position, then follow live appends, with no
//! gap and no duplicate (the journal's cursor-based subscription underneath).

use async_graphql::{Context, Result, Subscription};
use desk::journal::Position;
use desk::Desk;
use futures_util::Stream;

use crate::access::{self, Allow, ReadLog};
use crate::error;
use crate::objects::{payload_read, payload_value, EventNode};
use crate::queries::EventFilter;
use crate::Principal;
use desk::read_audit::{ReadAudit, ReadChannel};

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Every event from `fromPosition` (default: the next one to be recorded) that matches the
    /// filter, then each new one as it is recorded. Supervisors only; each payload about a person
    /// is recorded in the read audit before it is sent.
    #[graphql(guard = "Allow(access::SUPERVISORS)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilter>,
        from_position: Option<u64>,
    ) -> Result<impl Stream<Item = Result<EventNode>>> {
        let desk = ctx.data::<Desk>()?.clone();
        let next = desk.journal().head().position.next();
        let from = match from_position {
            Some(0) => return Err(error::bad_input("fromPosition starts at 1")),
            Some(p) if p > next.0 => {
                return Err(error::bad_input(format!(
                    "fromPosition {p} is past the head of the journal (position {}): ask for \
                     at most {}, the next event to be recorded, or leave fromPosition out",
                    next.0 - 1,
                    next.0
                )))
            }
            Some(p) => Position(p),
            None => next,
        };
        let filter = filter.unwrap_or_default();
        let subscription = desk.journal().subscribe(from);
        let audit = Audit {
            read_audit: ctx.data::<ReadAudit>()?.clone(),
            principal: access::principal(ctx)?.clone(),
            shows_payload: ctx.look_ahead().field("payload").exists(),
        };
        Ok(futures_util::stream::unfold(
            (subscription, filter, audit, desk),
            |(mut subscription, filter, audit, desk)| async move {
                loop {
                    let next = match subscription.next().await? {
                        Ok(event) if filter.matches(&desk, &event) => {
                            audit.before_sending(&desk, event).await
                        }
                        Ok(_) => continue,
                        Err(e) => Err(error::from_journal(e)),
                    };
                    return Some((next, (subscription, filter, audit, desk)));
                }
            },
        ))
    }
}

/// Records each payload a subscription sends in the read audit, before sending it.
struct Audit {
    read_audit: ReadAudit,
    principal: Principal,
    shows_payload: bool,
}

impl Audit {
    async fn before_sending(
        &self,
        desk: &Desk,
        event: desk::journal::RecordedEvent,
    ) -> Result<EventNode> {
        if !self.shows_payload {
            return Ok(EventNode::new(event));
        }
        let payload = payload_value(desk, &event)?;
        if let Some((person, fields)) = payload_read(&payload) {
            let reads = ReadLog::default();
            reads.note(person, fields);
            crate::http::record_reads(
                &self.read_audit,
                &self.principal,
                &reads,
                ReadChannel::Subscription,
            )
            .await
            .map_err(error::internal)?;
        }
        Ok(EventNode::audited(event))
    }
}
