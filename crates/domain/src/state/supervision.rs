//! Decisions on supervision meetings (`supervision-<ulid>`) and signed checkpoints
//! (`checkpoints`).

use super::*;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct MeetingState {
    /// Per action of the meeting: done (`SupervisionActionCompleted`).
    pub(super) done: Vec<bool>,
}

impl DeskState {
    pub(super) fn record_supervision(
        &self,
        c: &RecordSupervisionMeeting,
        ctx: &Context,
    ) -> Decided {
        ensure!(
            matches!(ctx.actor.role, Role::Supervisor | Role::Admin),
            "actor",
            K::NotPermitted,
            "only a supervisor records a supervision meeting"
        );
        duration(c.duration_minutes, "durationMinutes")?;
        ensure!(
            !c.supervisor.trim().is_empty(),
            "supervisor",
            K::Required,
            "say who supervised"
        );
        ensure!(
            !c.attendees.is_empty(),
            "attendees",
            K::Required,
            "say who attended"
        );
        ensure!(
            !c.site_ids.is_empty(),
            "siteIds",
            K::Required,
            "say which sites were discussed"
        );
        for (i, s) in c.site_ids.iter().enumerate() {
            site(s, &format!("siteIds[{i}]"))?;
        }
        for (i, case_id) in c.cases_discussed.iter().enumerate() {
            self.case(*case_id, &format!("casesDiscussed[{i}]"))?;
        }
        for (i, a) in c.actions.iter().enumerate() {
            ensure!(
                !a.owner.trim().is_empty(),
                format!("actions[{i}].owner"),
                K::Required,
                "every action has an owner"
            );
        }
        let event = SupervisionMeetingHeld {
            meeting_id: c.meeting_id,
            occurred_at: c.occurred_at,
            duration_minutes: c.duration_minutes,
            supervisor: c.supervisor.clone(),
            attendees: c.attendees.clone(),
            site_ids: c.site_ids.clone(),
            themes: c.themes.clone(),
            cases_discussed: c.cases_discussed.clone(),
            decisions: c.decisions.clone(),
            actions: c.actions.clone(),
        };
        self.creation(
            StreamId::supervision(c.meeting_id),
            "meetingId",
            "supervision meeting",
            event,
        )
    }

    pub(super) fn complete_supervision_action(&self, c: &CompleteSupervisionAction) -> Decided {
        let Some(meeting) = self.meetings.get(&c.meeting_id) else {
            return reject(
                "meetingId",
                K::NotFound,
                "no supervision meeting with this id was recorded",
            );
        };
        let Some(done) = meeting.done.get(c.action as usize) else {
            return reject(
                "action",
                K::NotFound,
                format!(
                    "the meeting has {} actions, numbered from 0",
                    meeting.done.len()
                ),
            );
        };
        ensure!(
            !done,
            "action",
            K::AlreadyFinal,
            "this action is already recorded as done"
        );
        let event = SupervisionActionCompleted {
            meeting_id: c.meeting_id,
            action: c.action,
            occurred_at: c.occurred_at,
        };
        self.decision(StreamId::supervision(c.meeting_id), event)
    }

    pub(super) fn record_checkpoint(&self, c: &RecordCheckpoint, ctx: &Context) -> Decided {
        ensure!(
            matches!(ctx.actor.role, Role::Supervisor | Role::Admin),
            "actor",
            K::NotPermitted,
            "only a supervisor or an administrator signs a checkpoint"
        );
        ensure!(
            c.tree_size > 0,
            "treeSize",
            K::Invalid,
            "the journal is empty: there is nothing to sign yet"
        );
        let hex64 = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        ensure!(
            hex64(&c.root),
            "root",
            K::Invalid,
            "the root is 64 hex digits"
        );
        ensure!(
            hex64(&c.public_key),
            "publicKey",
            K::Invalid,
            "the public key is 64 hex digits"
        );
        ensure!(
            !c.signature.trim().is_empty(),
            "signature",
            K::Required,
            "a checkpoint carries its signature"
        );
        let stream = StreamId::checkpoints();
        Ok(Decision {
            expected: self.expected(&stream),
            stream,
            events: vec![CheckpointSigned {
                occurred_at: c.occurred_at,
                tree_size: c.tree_size,
                root: c.root.clone(),
                public_key: c.public_key.clone(),
                signature: c.signature.clone(),
            }
            .into()],
        })
    }
}

impl Decide for RecordSupervisionMeeting {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::NoSite
    }

    fn decide(&self, state: &DeskState, ctx: &Context) -> Decided {
        state.record_supervision(self, ctx)
    }
}

impl Decide for RecordCheckpoint {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::NoSite
    }

    fn decide(&self, state: &DeskState, ctx: &Context) -> Decided {
        state.record_checkpoint(self, ctx)
    }
}

impl Decide for CompleteSupervisionAction {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::NoSite
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.complete_supervision_action(self)
    }
}

// The write model's part of each event of this stream: no rule, whatever is in the journal
// happened.

impl Evolve for SupervisionMeetingHeld {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state.meetings.insert(
            self.meeting_id,
            MeetingState {
                done: vec![false; self.actions.len()],
            },
        );
    }
}

impl Evolve for SupervisionActionCompleted {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        let done = state
            .meetings
            .get_mut(&self.meeting_id)
            .and_then(|m| m.done.get_mut(self.action as usize));
        if let Some(done) = done {
            *done = true;
        }
    }
}

impl Evolve for CheckpointSigned {
    /// Decides nothing later.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

/// The sample of each command of this stream ([`crate::samples`]).
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for RecordSupervisionMeeting {
        fn sample() -> Self {
            RecordSupervisionMeeting {
                meeting_id: meeting(),
                occurred_at: t("2024-05-15T14:00:00Z"),
                duration_minutes: 120,
                supervisor: "s.ferri".into(),
                attendees: vec!["m.haddad".into(), "o.kovalenko".into()],
                site_ids: vec![site()],
                themes: vec!["carico emotivo".into()],
                cases_discussed: vec![case()],
                decisions: vec![PersonalNote::new(
                    "rafforzare il raccordo con il consultorio",
                )],
                actions: vec![SupervisionAction {
                    description: PersonalNote::new("chiamare il consultorio"),
                    owner: "m.haddad".into(),
                    due_on: Some(d("2024-05-21")),
                }],
            }
        }
    }

    impl Sample for RecordCheckpoint {
        fn sample() -> Self {
            RecordCheckpoint {
                occurred_at: t("2024-05-16T11:59:00Z"),
                tree_size: 27,
                root: "9f".repeat(32),
                public_key: "3b".repeat(32),
                signature: "c2lnbmF0dXJl".into(),
            }
        }
    }

    impl Sample for CompleteSupervisionAction {
        fn sample() -> Self {
            CompleteSupervisionAction {
                meeting_id: meeting(),
                action: 0,
                occurred_at: t("2024-05-16T09:00:00Z"),
            }
        }
    }
}
