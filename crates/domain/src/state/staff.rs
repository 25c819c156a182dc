//! Decisions on staff accounts (`staff-<user>`): opened once, with a role and, for a mediator
//! only, a site; disabled once; a password drawn again only while the account is in use.

use crate::staff::is_user_name;

use super::*;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct StaffAccountState {
    disabled: bool,
}

impl DeskState {
    fn open_staff_account(&self, c: &OpenStaffAccount) -> Decided {
        ensure!(
            is_user_name(&c.user),
            "user",
            K::Invalid,
            "a user name is 2 to 64 characters of a-z, 0-9, '.', '_' and '-'"
        );
        match (c.role, &c.site_id) {
            (Role::Mediator, None) => {
                return reject("siteId", K::Required, "a mediator works at a site: give it")
            }
            (Role::Mediator, Some(s)) => site(s, "siteId")?,
            (_, Some(_)) => {
                return reject("siteId", K::Invalid, "only mediators are bound to a site")
            }
            (_, None) => {}
        }
        ensure!(
            !self.staff_accounts.contains_key(&c.user),
            "user",
            K::AlreadyExists,
            "this user name is taken"
        );
        let event = StaffAccountOpened {
            user: c.user.clone(),
            role: c.role,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
        };
        self.creation(StreamId::staff(&c.user), "user", "account", event)
    }

    /// The account named, if it was opened and is not disabled.
    fn staff_account_in_use(&self, user: &str) -> Result<(), Rejection> {
        match self.staff_accounts.get(user) {
            None => reject(
                "user",
                K::NotFound,
                "there is no account with this user name",
            ),
            Some(a) if a.disabled => reject("user", K::Invalid, "this account is disabled"),
            Some(_) => Ok(()),
        }
    }

    fn disable_staff_account(&self, c: &DisableStaffAccount) -> Decided {
        self.staff_account_in_use(&c.user)?;
        let event = StaffAccountDisabled {
            user: c.user.clone(),
            occurred_at: c.occurred_at,
        };
        self.decision(StreamId::staff(&c.user), event)
    }

    fn reset_staff_password(&self, c: &ResetStaffPassword) -> Decided {
        self.staff_account_in_use(&c.user)?;
        let event = StaffPasswordReset {
            user: c.user.clone(),
            occurred_at: c.occurred_at,
        };
        self.decision(StreamId::staff(&c.user), event)
    }
}

impl Decide for OpenStaffAccount {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::NoSite
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.open_staff_account(self)
    }
}

impl Decide for DisableStaffAccount {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::NoSite
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.disable_staff_account(self)
    }
}

impl Decide for ResetStaffPassword {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::NoSite
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.reset_staff_password(self)
    }
}

// The write model's part of each event of this stream.

impl Evolve for StaffAccountOpened {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state
            .staff_accounts
            .insert(self.user.clone(), StaffAccountState { disabled: false });
    }
}

impl Evolve for StaffAccountDisabled {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        if let Some(account) = state.staff_accounts.get_mut(&self.user) {
            account.disabled = true;
        }
    }
}

impl Evolve for StaffPasswordReset {
    /// Decides nothing later: a password is drawn again only while the account is in use.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

/// The sample of each command of this stream ([`crate::samples`]): one account opened, its
/// password drawn again, then disabled.
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for OpenStaffAccount {
        fn sample() -> Self {
            OpenStaffAccount {
                user: "o.kovalenko".into(),
                role: Role::Mediator,
                site_id: Some(site()),
                occurred_at: t("2024-05-16T11:50:00Z"),
            }
        }
    }

    impl Sample for ResetStaffPassword {
        fn sample() -> Self {
            ResetStaffPassword {
                user: "o.kovalenko".into(),
                occurred_at: t("2024-05-16T11:51:00Z"),
            }
        }
    }

    impl Sample for DisableStaffAccount {
        fn sample() -> Self {
            DisableStaffAccount {
                user: "o.kovalenko".into(),
                occurred_at: t("2024-05-16T11:52:00Z"),
            }
        }
    }
}
