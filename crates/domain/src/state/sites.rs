//! Persons and sites: a fact about a person is recorded at a site that registered them or took
//! them on (`TakeOnPerson`), and a person of another site is refused exactly as an unknown one,
//! so that a refusal never tells whether an id exists elsewhere.

use super::*;

/// What an unknown person and a person of another site both answer.
const NOT_AT_THIS_SITE: &str = "this person is not registered at this site: search for them, \
     and take them on if they were registered at another site";

impl DeskState {
    /// Refuses a command about a person the command's site neither registered nor took on, in
    /// the same words as for an id nobody registered.
    pub(super) fn person_of_the_site(&self, cmd: &Command) -> Result<(), Rejection> {
        let Some((person, site)) = cmd.person_at_site() else {
            return Ok(());
        };
        match self.persons.get(&person) {
            Some(p) if p.site_id == *site || p.taken_on.contains(site) => Ok(()),
            Some(_) | None => reject("personId", K::NotFound, NOT_AT_THIS_SITE),
        }
    }

    pub(super) fn take_on_person(&self, c: &TakeOnPerson) -> Decided {
        site(&c.site_id, "siteId")?;
        let p = self.person(c.person_id, "personId")?;
        ensure!(
            p.site_id != c.site_id && !p.taken_on.contains(&c.site_id),
            "siteId",
            K::AlreadyExists,
            "this person is already a person of this site"
        );
        self.decision(
            StreamId::person(c.person_id),
            PersonTakenOn {
                person_id: c.person_id,
                site_id: c.site_id.clone(),
                occurred_at: c.occurred_at,
            },
        )
    }
}

impl Decide for TakeOnPerson {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.take_on_person(self)
    }
}

// The write model's part of each event of this stream: no rule, whatever is in the journal
// happened.

impl Evolve for PersonTakenOn {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        if let Some(p) = state.persons.get_mut(&self.person_id) {
            p.taken_on.push(self.site_id.clone());
        }
    }
}

/// The sample of each command of this stream ([`crate::samples`]).
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for TakeOnPerson {
        fn sample() -> Self {
            TakeOnPerson {
                person_id: person(),
                site_id: other_site(),
                occurred_at: t("2024-05-16T11:59:40Z"),
            }
        }
    }
}
