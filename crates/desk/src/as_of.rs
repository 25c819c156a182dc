//! Reading the models as of a past position or instant: folded from the journal, from the
//! nearest kept snapshot, and kept for repeated questions.
//!
//! A kept state shares its tables with the models it was cloned from (`projections`'
//! `table.rs`): keeping the head costs one clone of a few pointers per table, and a fold from a
//! kept state copies only what the events after it change. The kept states hold apart only what
//! changed between them.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use journal::{Position, Timestamp};
use projections::ReadModels;

use crate::sealing::decode;
use crate::{Desk, DeskError};

/// A past moment to read the models as of: a position of the journal, or an instant (what had
/// been recorded by then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsOf {
    Position(Position),
    Time(DateTime<Utc>),
}

/// How many past states the desk keeps folded, for repeated as-of reads.
const SNAPSHOTS_KEPT: usize = 4;

impl Desk {
    /// position recorded at or before the instant.
    pub fn resolve(&self, as_of: AsOf) -> Position {
        let applied = self.applied_position();
        match as_of {
            AsOf::Position(position) => position.min(applied),
            AsOf::Time(at) => self.read(|m| m.position_recorded_by(Timestamp::from(at))),
        }
    }

    /// The read models exactly as they stood when the journal ended at the position `as_of`
    /// names: later events, corrections included, are not in them. Folded from the journal (from
    /// the nearest earlier snapshot when one is kept) and kept for the next call; the current
    /// models serve a position they have reached (a clone that shares their tables: O(1)). The
    /// cost is that of the events between the base and the position, whatever the history's
    /// length. Blocking: call it off the async threads for large journals.
    pub fn read_models_as_of(&self, as_of: AsOf) -> Result<(Position, Arc<ReadModels>), DeskError> {
        let position = self.resolve(as_of);
        let erasures = self.erasures.load(Ordering::SeqCst);
        {
            let mut kept = self.snapshots.lock();
            if let Some(i) = kept.iter().position(|m| m.position() == position) {
                let hit = kept.remove(i);
                kept.push(Arc::clone(&hit));
                return Ok((position, hit));
            }
        }
        if position >= self.applied_position() {
            // The current models are the state at this position: the head has not moved past it
            // (`resolve` never names a position beyond what is applied). The clone shares their
            // tables; the projector's next fold copies only the paths it changes.
            let current = {
                let models = self.models.read();
                (models.position == position).then(|| models.read.clone())
            };
            if let Some(current) = current {
                return Ok((position, self.keep(current, erasures)));
            }
        }
        let base = {
            let kept = self.snapshots.lock();
            kept.iter()
                .filter(|m| m.position() <= position)
                .max_by_key(|m| m.position())
                .map(|m| ReadModels::clone(m))
        };
        // A clone of the base shares its tables: the fold below copies only what it changes.
        let mut models = base.unwrap_or_default();
        if position > models.position() {
            let from = models.position().next();
            for record in self.journal.iter_forward(from) {
                let record = record?;
                if record.position > position {
                    break;
                }
                match decode(&self.vault, &record) {
                    Ok(event) => models.apply(&record, &event),
                    Err(_) => models.apply_undecodable(&record),
                }
            }
        }
        Ok((position, self.keep(models, erasures)))
    }

    /// Keeps `models` for the next as-of read, unless an erasure was folded since `erasures` was
    /// read (the models may have been folded with a key that is gone now).
    fn keep(&self, models: ReadModels, erasures: u64) -> Arc<ReadModels> {
        let models = Arc::new(models);
        let mut kept = self.snapshots.lock();
        if self.erasures.load(Ordering::SeqCst) != erasures {
            return models;
        }
        if kept.len() == SNAPSHOTS_KEPT {
            kept.remove(0);
        }
        kept.push(Arc::clone(&models));
        models
    }
}
