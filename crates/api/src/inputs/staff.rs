//! Inputs of the staff accounts' facts: who was given which role and site, disabled, given a new
//! password. The accounts themselves (password hashes) are `web::accounts`; the server records
//! each change of the accounts file through these mutations, so the audit trail shows it.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use domain::Command;

use super::*;

/// A staff member's role.
#[derive(async_graphql::Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::Role")]
pub enum StaffRole {
    Mediator,
    Supervisor,
    Evaluator,
    Admin,
}

/// Records that a staff account was opened (admins).
#[derive(InputObject)]
pub struct OpenStaffAccountInput {
    /// The user name: 2 to 64 characters of a-z, 0-9, '.', '_' and '-' (the actor id of the
    /// account's events).
    pub user: String,
    pub role: StaffRole,
    /// The site a mediator works at (mediators only).
    pub site_id: Option<ID>,
    /// When it was opened: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
}

impl CommandInput for OpenStaffAccountInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            user,
            role,
            site_id,
            occurred_at,
        } = self;
        Ok(domain::OpenStaffAccount {
            user,
            role: role.into(),
            site_id: site_id.map(site),
            occurred_at,
        }
        .into())
    }
}

/// Records that a staff account was disabled (admins).
#[derive(InputObject)]
pub struct DisableStaffAccountInput {
    pub user: String,
    /// When it was disabled: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
}

impl CommandInput for DisableStaffAccountInput {
    fn into_command(self) -> Result<Command> {
        let Self { user, occurred_at } = self;
        Ok(domain::DisableStaffAccount { user, occurred_at }.into())
    }
}

/// Records that a staff account's password was drawn again (admins); never the password.
#[derive(InputObject)]
pub struct ResetStaffPasswordInput {
    pub user: String,
    /// When it was drawn: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
}

impl CommandInput for ResetStaffPasswordInput {
    fn into_command(self) -> Result<Command> {
        let Self { user, occurred_at } = self;
        Ok(domain::ResetStaffPassword { user, occurred_at }.into())
    }
}

/// The mutations of this file's inputs (merged into `MutationRoot`).
#[derive(Default)]
pub struct StaffMutations;

#[Object]
impl StaffMutations {
    /// Records that a staff account was opened, with its role and (mediators) site.
    async fn open_staff_account(
        &self,
        ctx: &Context<'_>,
        input: OpenStaffAccountInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records that a staff account was disabled.
    async fn disable_staff_account(
        &self,
        ctx: &Context<'_>,
        input: DisableStaffAccountInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records that a staff account's password was drawn again.
    async fn reset_staff_password(
        &self,
        ctx: &Context<'_>,
        input: ResetStaffPasswordInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }
}
