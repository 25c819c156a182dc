//! `events(filter, fromPosition)`: catch up from a position, then follow live appends, with no
//! gap and no duplicate (the journal's cursor-based subscription underneath).

use async_graphql::{Context, Result, Subscription};
use desk::Desk;
use futures_util::Stream;
use journal::Position;

use crate::error;
use crate::objects::EventNode;
use crate::queries::EventFilter;

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Every event from `fromPosition` (default: the next one to be recorded) that matches the
    /// filter, then each new one as it is recorded.
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilter>,
        from_position: Option<u64>,
    ) -> Result<impl Stream<Item = Result<EventNode>>> {
        let desk = ctx.data::<Desk>()?.clone();
        let from = match from_position {
            Some(0) => return Err(error::bad_input("fromPosition starts at 1")),
            Some(p) => Position(p),
            None => desk.journal().head().position.next(),
        };
        let filter = filter.unwrap_or_default();
        let subscription = desk.journal().subscribe(from);
        Ok(futures_util::stream::unfold(
            (subscription, filter, desk),
            |(mut subscription, filter, desk)| async move {
                loop {
                    match subscription.next().await? {
                        Ok(event) if filter.matches(&desk, &event) => {
                            return Some((Ok(EventNode(event)), (subscription, filter, desk)))
                        }
                        Ok(_) => continue,
                        Err(e) => {
                            return Some((
                                Err(error::from_journal(e)),
                                (subscription, filter, desk),
                            ))
                        }
                    }
                }
            },
        ))
    }
}
