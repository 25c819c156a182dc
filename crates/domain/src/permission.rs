//! Who may send each command, and which site its fact belongs to.
//!
//! Both decide who may act, so neither has a catch-all: a command's roles are part of its line in
//! `commands!` (`command.rs`; deny by default: a role not named is refused), and the site of its
//! fact is its `Decide::placement`, beside its decision in `state/<stream>.rs`; a command that
//! does not say both does not compile. The HTTP layer and the desk ask these; the rules of the
//! facts themselves stay in [`DeskState::decide`](crate::DeskState::decide).

use crate::command::Command;
use crate::ids::SiteId;
use crate::vocab::Role;

impl Command {
    /// `true` when `role` may send this command ([`Command::roles`]).
    pub fn permits(&self, role: Role) -> bool {
        self.roles().contains(&role)
    }
}

/// Where the fact a command records belongs, as the state knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// The fact belongs to this site: the command names it, or the record it acts on has it.
    Site(SiteId),
    /// The fact belongs to no one site: the directory, supervision (several sites), an erasure,
    /// a checkpoint, or a correction of such a fact.
    NoSite,
    /// The record it acts on is not known (the decision refuses the command).
    Unknown,
}

impl Placement {
    /// The site a command names itself.
    pub(crate) fn own(site: &SiteId) -> Placement {
        Placement::Site(site.clone())
    }

    /// The site of the record a command acts on, when the state knows that record.
    pub(crate) fn known(site: Option<&SiteId>) -> Placement {
        site.map_or(Placement::Unknown, Placement::own)
    }
}
