//! Catch-up-then-live subscriptions.

use std::collections::VecDeque;

use tokio::sync::watch;

use crate::error::JournalError;
use crate::record::{Position, RecordedEvent};
use std::sync::Arc;

use crate::store::{Head, Shared};

/// How many events a subscription reads from disk at a time while catching up.
const READ_CHUNK: usize = 512;

/// Delivers every acknowledged event from a starting position in order, then waits for new
/// ones. It keeps a cursor (the next position to deliver) and reads from the journal up to the
/// acknowledged head, so it can neither skip nor repeat an event, however far behind it is.
pub struct Subscription {
    shared: Arc<Shared>,
    next: Position,
    buffer: VecDeque<RecordedEvent>,
    head_rx: watch::Receiver<Head>,
}

impl Subscription {
    pub(crate) fn new(shared: Arc<Shared>, from: Position) -> Subscription {
        let head_rx = shared.head_rx.clone();
        Subscription {
            shared,
            next: from.max(Position(1)),
            buffer: VecDeque::new(),
            head_rx,
        }
    }

    /// The position of the next event this subscription will deliver.
    pub fn next_position(&self) -> Position {
        self.buffer.front().map(|e| e.position).unwrap_or(self.next)
    }

    /// The next event; waits for one when caught up. `None` once the journal has closed and
    /// every acknowledged event was delivered.
    pub async fn next(&mut self) -> Option<Result<RecordedEvent, JournalError>> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                return Some(Ok(event));
            }
            let head = self.head_rx.borrow_and_update().position;
            if self.next <= head {
                match self.shared.read_forward(self.next, READ_CHUNK) {
                    Ok(events) => {
                        if let Some(last) = events.last() {
                            self.next = last.position.next();
                        }
                        self.buffer.extend(events);
                        continue;
                    }
                    Err(e) => return Some(Err(e)),
                }
            }
            if self.head_rx.changed().await.is_err() {
                return None;
            }
        }
    }

    /// The next event if one is already acknowledged, without waiting.
    pub fn try_next(&mut self) -> Option<Result<RecordedEvent, JournalError>> {
        if let Some(event) = self.buffer.pop_front() {
            return Some(Ok(event));
        }
        if self.next > self.shared.head().position {
            return None;
        }
        match self.shared.read_forward(self.next, READ_CHUNK) {
            Ok(events) => {
                if let Some(last) = events.last() {
                    self.next = last.position.next();
                }
                self.buffer.extend(events);
                self.buffer.pop_front().map(Ok)
            }
            Err(e) => Some(Err(e)),
        }
    }
}
