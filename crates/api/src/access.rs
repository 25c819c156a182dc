//! Who may do what, and the reads of personal data a request makes.
//!
//! The matrix (docs/ACCESS.md has it as a table; `tests/access.rs` checks every cell):
//! - mediators record the facts of their own site and read the persons, cases, referrals,
//!   mediations and logbook of their own site;
//! - supervisors record and read everything, the audit trail and the read audit included;
//! - evaluators read aggregate and pseudonymised views only (`monitoring`, `pseudonymisedPersons`,
//!   the chain and its verification, the directory), at any `asOf`, and record nothing;
//! - admins manage the service directory (and accounts, with `impact token`), read the directory
//!   and the chain, and read no case content.
//!
//! Root fields carry a [`Allow`] guard; rows of another site are answered to a mediator as an
//! unknown id (by-id queries: `null`) and filtered out of lists by [`site_scope`]; a filter naming
//! another site is refused by [`scoped_site`]. Every resolver that shows a person's personal
//! data calls [`note_read`]; the HTTP layer records the request's reads in the read audit before
//! it answers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_graphql::{Context, ContextBase, Guard, Result};
use desk::Desk;
use domain::{PersonId, Role, SiteId};
use parking_lot::Mutex;

use crate::error;
use crate::Principal;

pub const EVERYONE: &[Role] = &[
    Role::Mediator,
    Role::Supervisor,
    Role::Evaluator,
    Role::Admin,
];
/// Case content: persons, cases, referrals, mediations, logbook (mediators: their own site).
pub const CASE_READERS: &[Role] = &[Role::Mediator, Role::Supervisor];
/// The audit trail, supervision, the read audit.
pub const SUPERVISORS: &[Role] = &[Role::Supervisor];
/// Who signs a checkpoint of the Merkle tree.
pub const CHECKPOINT_SIGNERS: &[Role] = &[Role::Supervisor, Role::Admin];
/// Aggregate and pseudonymised views.
pub const EVALUATION: &[Role] = &[Role::Supervisor, Role::Evaluator];

/// The request's principal, or `UNAUTHENTICATED`.
pub fn principal<'a>(ctx: &Context<'a>) -> Result<&'a Principal> {
    ctx.data_opt::<Principal>().ok_or_else(|| {
        error::coded(
            error::UNAUTHENTICATED,
            "authentication required: send Authorization: Bearer <token>",
        )
    })
}

/// A role with its article, as a sentence names it: "a mediator", "an admin".
pub fn with_article(role: Role) -> String {
    let name = role.as_str();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

/// Who may, in words: "only a supervisor may", "only a mediator or a supervisor may", or
/// "no role may" for an empty list.
pub fn who_may(roles: &[Role]) -> String {
    let named: Vec<String> = roles.iter().map(|r| with_article(*r)).collect();
    match named.as_slice() {
        [] => "no role may".to_owned(),
        [one] => format!("only {one} may"),
        [init @ .., last] => format!("only {} or {last} may", init.join(", ")),
    }
}

fn forbidden(role: Role, allowed: &[Role]) -> async_graphql::Error {
    error::coded(
        error::FORBIDDEN,
        format!(
            "{} may not do this: {}",
            with_article(role),
            who_may(allowed)
        ),
    )
}

/// A guard that lets only some roles through.
pub struct Allow(pub &'static [Role]);

impl Guard for Allow {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let principal = principal(ctx)?;
        if self.0.contains(&principal.actor.role) {
            Ok(())
        } else {
            Err(forbidden(principal.actor.role, self.0))
        }
    }
}

/// The sites the principal may see (a mediator's, one or more), or `None` for every site.
pub fn site_scope(ctx: &Context<'_>) -> Result<Option<Vec<SiteId>>> {
    let principal = principal(ctx)?;
    Ok(match principal.actor.role {
        Role::Mediator if principal.sites.is_empty() => {
            return Err(error::coded(
                error::FORBIDDEN,
                "this mediator's token names no site",
            ))
        }
        Role::Mediator => Some(principal.sites.clone()),
        Role::Supervisor | Role::Evaluator | Role::Admin => None,
    })
}

/// Narrows a filter's site to the principal's scope, as the site filters to run: every site
/// (`[None]`) or the one asked for, for supervisors; for a mediator the site asked for if it is
/// one of theirs (another one is refused), else each of their sites.
pub fn scoped_sites(ctx: &Context<'_>, asked: Option<SiteId>) -> Result<Vec<Option<SiteId>>> {
    match (site_scope(ctx)?, asked) {
        (None, asked) => Ok(vec![asked]),
        (Some(own), None) => Ok(own.into_iter().map(Some).collect()),
        (Some(own), Some(asked)) if own.contains(&asked) => Ok(vec![Some(asked)]),
        (Some(own), Some(asked)) => {
            let desk = ctx.data::<Desk>()?;
            Err(other_site(desk, &own[0], &asked, "see the records"))
        }
    }
}

/// Runs a site-filtered read once per filter of [`scoped_sites`] and merges the rows in the
/// order of `key`, each row once (a person of two of a mediator's sites is found once).
pub fn per_site<T, K: Ord>(
    sites: &[Option<SiteId>],
    mut read: impl FnMut(Option<SiteId>) -> Vec<T>,
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    if let [one] = sites {
        return read(one.clone());
    }
    let mut rows: Vec<T> = sites.iter().flat_map(|s| read(s.clone())).collect();
    rows.sort_by_key(|r| key(r));
    rows.dedup_by(|a, b| key(a) == key(b));
    rows
}

/// A mediator naming a site not theirs: a name that cannot be a site (a mistyped
/// `Montelucci-4`), or a well-formed name that no recorded fact names (`montelucci-5` where
/// there is no such site), is unknown (`BAD_INPUT`, field `siteId`); a real other site is
/// `FORBIDDEN`.
pub fn other_site(desk: &Desk, own: &SiteId, asked: &SiteId, doing: &str) -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    if !asked.is_valid() {
        return error::bad_input(format!(
            "the site {:?} is unknown: a site's name is short and lowercase, such as {own} \
             (your site)",
            asked.0
        ))
        .extend_with(|_, e| e.set("field", "siteId"));
    }
    if !desk.read_state(|state| state.knows_site(asked)) {
        return error::bad_input(format!(
            "the site {asked} is unknown: no site of that name has any record; check the name \
             (your site is {own})"
        ))
        .extend_with(|_, e| e.set("field", "siteId"));
    }
    error::coded(
        error::FORBIDDEN,
        format!("a mediator of {own} may not {doing} of another site ({asked})"),
    )
    .extend_with(|_, e| e.set("field", "actor"))
}

/// The reads of personal data one request made: person → field paths.
#[derive(Clone, Default)]
pub struct ReadLog(Arc<Mutex<BTreeMap<PersonId, BTreeSet<String>>>>);

impl ReadLog {
    pub fn take(&self) -> BTreeMap<PersonId, BTreeSet<String>> {
        std::mem::take(&mut *self.0.lock())
    }

    /// How many persons were read.
    pub fn len(&self) -> usize {
        self.0.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.lock().is_empty()
    }

    pub fn note(&self, person: PersonId, fields: impl IntoIterator<Item = String>) {
        self.0.lock().entry(person).or_default().extend(fields);
    }
}

/// Notes that this request showed `fields` of `person`. A request without a read log (a test
/// running the schema alone) cannot show personal data: it is refused.
pub fn note_read<T>(
    ctx: &ContextBase<'_, T>,
    person: PersonId,
    fields: impl IntoIterator<Item = String>,
) -> Result<()> {
    let log = ctx.data_opt::<ReadLog>().ok_or_else(|| {
        error::internal("a read of personal data outside a request that records reads")
    })?;
    log.note(person, fields);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_named_with_their_article() {
        assert_eq!(with_article(Role::Admin), "an admin");
        assert_eq!(with_article(Role::Evaluator), "an evaluator");
        assert_eq!(with_article(Role::Mediator), "a mediator");
        assert_eq!(who_may(SUPERVISORS), "only a supervisor may");
        assert_eq!(who_may(EVALUATION), "only a supervisor or an evaluator may");
        assert_eq!(
            who_may(EVERYONE),
            "only a mediator, a supervisor, an evaluator or an admin may"
        );
    }
}
