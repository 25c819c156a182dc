//! Folding events into the read models. No rules here: whatever is in the journal happened.

use domain::*;
use journal::{Position, RecordedEvent};

use crate::audit::AuditRow;
use crate::model::*;
use crate::sym::Sym;

/// A recorded event's part of the read models: one impl per event type, in the file of the read
/// model it changes (`case.rs` for the case events, ...). No rules: whatever is in the journal
/// happened. [`ReadModels::apply`] hands each event to its impl through [`Event::handle`], so an
/// event type without one does not compile. It returns the row the event made, if a correction
/// may name it.
pub(crate) trait Fold {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target>;
}

/// What a [`Fold`] impl reads of the event beside its fields, and what it says back besides the
/// row it made.
pub(crate) struct At<'a> {
    pub rec: &'a RecordedEvent,
    /// The event itself, as its enum (for the case timelines).
    pub event: &'a Event,
    pub position: Position,
    /// The event's site, interned (`Sym::NONE` when it has none).
    pub site: Sym,
    /// The person the event names (`Event::person_id`), as an index.
    pub person: Option<Ix>,
    /// The case the event names (`Event::case_id`), as an index.
    pub case: Option<Ix>,
    /// The case whose timeline this event joins besides `case` (set by the fold).
    pub extra_case: Option<Ix>,
}

/// The read models as an [`Event::handle`] handler.
struct Folding<'a, 'b> {
    models: &'a mut ReadModels,
    at: &'a mut At<'b>,
}

impl<E: Fold> Handle<E> for Folding<'_, '_> {
    type Output = Option<Target>;
    fn handle(&mut self, event: &E) -> Option<Target> {
        event.fold(self.models, self.at)
    }
}

pub(crate) fn len_ix(len: usize) -> Ix {
    u32::try_from(len - 1).expect("fewer than 2^32 rows")
}

impl ReadModels {
    /// Folds one event, decoded by the caller with `domain::Event::from_payload`.
    ///
    /// Events must come in position order; an event at or before [`ReadModels::position`] is
    /// ignored, so replaying an overlap is harmless.
    pub fn apply(&mut self, rec: &RecordedEvent, event: &Event) {
        if rec.position <= self.position {
            return;
        }
        let position = rec.position;
        let site = event
            .site_id()
            .map_or(Sym::NONE, |s| self.syms.intern(s.as_str()));
        let person = event.person_id().map(|p| self.person_ix(p));
        let case = event.case_id().map(|c| self.case_ix(c));
        self.push_audit(rec, site, person, case);

        let mut at = At {
            rec,
            event,
            position,
            site,
            person,
            case,
            extra_case: None,
        };
        let target = event.handle(&mut Folding {
            models: self,
            at: &mut at,
        });
        let extra_case = at.extra_case;
        if let Some(c) = case {
            self.push_timeline(c, rec, event);
        }
        if let Some(c) = extra_case {
            self.push_timeline(c, rec, event);
        }
        if let Some(t) = target {
            self.targets.insert(rec.id, (t, position));
        }
        self.position = position;
    }

    /// Counts an event the caller could not decode and keeps it in the audit index (with its
    /// stream, type, actor and times; site, person and case unknown).
    pub fn apply_undecodable(&mut self, rec: &RecordedEvent) {
        if rec.position <= self.position {
            return;
        }
        self.push_audit(rec, Sym::NONE, None, None);
        self.undecodable += 1;
        self.position = rec.position;
    }

    fn push_audit(&mut self, rec: &RecordedEvent, site: Sym, person: Option<Ix>, case: Option<Ix>) {
        let row = AuditRow {
            stream: self.syms.intern(&rec.stream),
            event_type: self.syms.intern(&rec.event_type),
            actor: self.syms.intern(&rec.actor.id),
            role: self.syms.intern(&rec.actor.role),
            site,
            person: person.unwrap_or(NO_IX),
            case: case.unwrap_or(NO_IX),
            occurred_us: rec.occurred_at.micros(),
            recorded_us: rec.recorded_at.micros(),
        };
        let expected = self.audit.first + self.audit.rows.len() as u64;
        let missing = if !self.audit.rows.is_empty() && expected < rec.position.get() {
            self.syms.intern("(missing)")
        } else {
            Sym::NONE
        };
        let gap = AuditRow {
            stream: Sym::NONE,
            event_type: missing,
            actor: Sym::NONE,
            role: Sym::NONE,
            site: Sym::NONE,
            person: NO_IX,
            case: NO_IX,
            occurred_us: 0,
            recorded_us: 0,
        };
        self.audit.push(rec.position, row, gap);
    }

    pub(crate) fn push_timeline(&mut self, case: Ix, rec: &RecordedEvent, event: &Event) {
        if let Some(c) = self.cases.get_mut(case as usize).and_then(Option::as_mut) {
            if c.timeline
                .last()
                .is_some_and(|t| t.position == rec.position)
            {
                return;
            }
            c.timeline.push_back(TimelineEntry {
                position: rec.position,
                event_id: rec.id,
                event_type: event.event_type(),
                occurred_at: event.occurred_at(),
            });
        }
    }
}
