//! Merging two registrations of one person (`MergePersons`), on the stream of the one merged
//! away.

use super::*;

impl DeskState {
    /// A registered person who may be named by an erasure or a merge: known and not erased (a
    /// merged registration is still theirs to erase).
    pub(super) fn registered(&self, id: PersonId, field: &str) -> Result<&PersonState, Rejection> {
        match self.persons.get(&id) {
            Some(p) if p.erased => reject(
                field,
                K::Erased,
                "this person's data was erased: nothing more is recorded about them",
            ),
            Some(p) => Ok(p),
            None => reject(field, K::NotFound, "this person is not registered"),
        }
    }

    pub(super) fn merge_persons(&self, c: &MergePersons, ctx: &Context) -> Decided {
        ensure!(
            ctx.actor.role == Role::Supervisor,
            "actor",
            K::NotPermitted,
            "only a supervisor merges two registrations"
        );
        ensure!(
            c.person_id != c.into_person_id,
            "intoPersonId",
            K::Invalid,
            "a registration is not merged into itself"
        );
        let merged = self.registered(c.person_id, "personId")?;
        if let Some(into) = merged.merged_into {
            return reject(
                "personId",
                K::Merged,
                format!("this registration was merged into person {into} already"),
            );
        }
        ensure!(
            merged.open_case.is_none(),
            "personId",
            K::CaseNotClosed,
            "this registration has an open case: close it, or merge the other way round"
        );
        let kept = self.registered(c.into_person_id, "intoPersonId")?;
        if let Some(into) = kept.merged_into {
            return reject(
                "intoPersonId",
                K::Merged,
                format!("this registration was merged into person {into}: merge into that one"),
            );
        }
        self.decision(
            StreamId::person(c.person_id),
            PersonsMerged {
                person_id: c.person_id,
                into_person_id: c.into_person_id,
                site_id: merged.site_id.clone(),
                occurred_at: c.occurred_at,
            },
        )
    }
}

impl Decide for MergePersons {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::NoSite
    }

    fn decide(&self, state: &DeskState, ctx: &Context) -> Decided {
        state.merge_persons(self, ctx)
    }
}

// The write model's part of each event of this stream: no rule, whatever is in the journal
// happened.

impl Evolve for PersonsMerged {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        if let Some(p) = state.persons.get_mut(&self.person_id) {
            p.merged_into = Some(self.into_person_id);
        }
    }
}

/// The sample of each command of this stream ([`crate::samples`]).
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for MergePersons {
        fn sample() -> Self {
            MergePersons {
                person_id: duplicate(),
                into_person_id: person(),
                occurred_at: t("2024-05-16T11:59:30Z"),
            }
        }
    }
}
