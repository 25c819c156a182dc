//! The IMPACT desk's domain: events, commands, decisions and validation.
//!
//! No IO, no async: the clock comes in as [`Context::now`], ids come in with the commands, and
//! the caller assigns event ids and talks to the journal. See `docs/DOMAIN-MODEL.md`.

pub mod calendar;
pub mod command;
pub mod event;
pub mod generator;
pub mod ids;
pub mod import;
pub mod permission;
pub mod personal;
pub mod rejection;
#[doc(hidden)]
pub mod samples;
pub mod snapshot;
pub mod staff;
pub mod state;
pub mod survey;
pub mod text;
pub mod vocab;

pub use calendar::{OpeningHours, SiteCalendar};
pub use command::*;
pub use event::*;
pub use ids::*;
pub use import::ImportLine;
pub use permission::Placement;
pub use personal::*;
pub use rejection::{Rejection, RejectionKind};
pub use staff::*;
pub use state::{Context, Decision, DeskState, EventMeta, Expected, ProjectStart};
pub use survey::*;
pub use vocab::*;
