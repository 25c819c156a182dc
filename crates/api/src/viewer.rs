//! `viewer`: who the request's token stands for and what that role may do, so that a client
//! never asks its user for their own id, role or site.

use async_graphql::{Context, Object, Result, SimpleObject};
use domain::Role;

use crate::access::{self, Allow};

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The actor, role and site of the request's bearer token, and what this role may do
    /// (docs/ACCESS.md). Events recorded with this token name this actor.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let principal = access::principal(ctx)?;
        let role = principal.actor.role;
        Ok(Viewer {
            actor_id: principal.actor.id.clone(),
            role: role.as_str().to_owned(),
            site: principal.sites.first().map(|s| s.0.clone()),
            sites: principal.sites.iter().map(|s| s.0.clone()).collect(),
            may: abilities(role).iter().map(|s| (*s).to_owned()).collect(),
        })
    }
}

/// The principal of a request, as a client sees it.
#[derive(SimpleObject)]
pub struct Viewer {
    /// The actor's id, as events record it (`actor.id`).
    pub actor_id: String,
    /// mediator, supervisor, evaluator or admin.
    pub role: String,
    /// The (first) site a mediator works at (its slug); null for the other roles, who see every
    /// site.
    pub site: Option<String>,
    /// Every site a mediator works at, in rotation; empty for the other roles.
    pub sites: Vec<String>,
    /// What this role may do, one sentence each.
    pub may: Vec<String>,
}

/// What each role may do, in the words of docs/ACCESS.md.
fn abilities(role: Role) -> &'static [&'static str] {
    match role {
        Role::Mediator => &[
            "record the facts of your own site: persons, consents, intakes, cases, referrals, \
             mediations, group activities, surveys, logbook entries, corrections",
            "read the persons, cases, referrals, mediations and logbook of your own site",
            "read the service directory, the sites, the chain and the proofs",
        ],
        Role::Supervisor => &[
            "record and read the facts of every site, supervision meetings included",
            "erase a person's personal data",
            "read the audit trail and the read audit",
            "read the monitoring figures and the pseudonymised persons",
            "manage the service directory and the sites' schedules",
            "sign checkpoints",
        ],
        Role::Evaluator => &[
            "read the monitoring figures and the pseudonymised persons, at any past moment",
            "read the service directory, the sites, the chain and the proofs",
        ],
        Role::Admin => &[
            "manage the service directory and the sites' schedules",
            "sign checkpoints",
            "read the service directory, the sites, the chain and the proofs",
        ],
    }
}
