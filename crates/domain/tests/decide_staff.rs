//! Given events, when a staff account's command, then events or a rejection: an account is
//! opened once, a mediator's with a site and nobody else's, and is disabled or given a new
//! password only while in use.

mod support;

use domain::RejectionKind as K;
use domain::*;
use support::*;

fn opened() -> Vec<Event> {
    given(vec![])
        .when_by(admin(), open_staff_account())
        .then_accepted()
        .events
}

#[test]
fn an_account_is_opened_on_its_own_stream_with_its_role_and_site() {
    given(vec![])
        .when_by(admin(), open_staff_account())
        .then_decision(StreamId::new("staff-o.kovalenko"), Expected::NoStream);
    given(vec![])
        .when_by(admin(), open_staff_account())
        .then_events(vec![StaffAccountOpened {
            user: "o.kovalenko".into(),
            role: Role::Mediator,
            site_id: Some(site()),
            occurred_at: t("2024-05-16T11:50:00Z"),
        }
        .into()]);
}

#[test]
fn an_account_needs_a_user_name_and_a_site_for_mediators_only() {
    given(vec![])
        .when_by(
            admin(),
            OpenStaffAccount {
                user: "Olena Kovalenko".into(),
                ..open_staff_account()
            },
        )
        .then_rejected("user", K::Invalid);
    given(vec![])
        .when_by(
            admin(),
            OpenStaffAccount {
                site_id: None,
                ..open_staff_account()
            },
        )
        .then_rejected("siteId", K::Required);
    given(vec![])
        .when_by(
            admin(),
            OpenStaffAccount {
                role: Role::Supervisor,
                ..open_staff_account()
            },
        )
        .then_rejected("siteId", K::Invalid);
    given(opened())
        .when_by(admin(), open_staff_account())
        .then_rejected("user", K::AlreadyExists);
}

#[test]
fn only_an_account_in_use_is_disabled_or_given_a_new_password() {
    given(vec![])
        .when_by(admin(), reset_staff_password())
        .then_rejected("user", K::NotFound);
    given(vec![])
        .when_by(admin(), disable_staff_account())
        .then_rejected("user", K::NotFound);
    given(opened())
        .when_by(admin(), reset_staff_password())
        .then_events(vec![StaffPasswordReset {
            user: "o.kovalenko".into(),
            occurred_at: t("2024-05-16T11:51:00Z"),
        }
        .into()]);
    let mut disabled = opened();
    disabled.extend(
        given(opened())
            .when_by(admin(), disable_staff_account())
            .then_decision(StreamId::new("staff-o.kovalenko"), Expected::Exactly(1))
            .events,
    );
    given(disabled.clone())
        .when_by(admin(), reset_staff_password())
        .then_rejected("user", K::Invalid);
    given(disabled)
        .when_by(admin(), disable_staff_account())
        .then_rejected("user", K::Invalid);
}

#[test]
fn only_admins_open_disable_or_reset_accounts() {
    for command in [
        Command::from(open_staff_account()),
        disable_staff_account().into(),
        reset_staff_password().into(),
    ] {
        assert_eq!(command.roles(), [Role::Admin], "{}", command.name());
    }
}

#[test]
fn a_staff_accounts_fact_is_not_corrected() {
    given(opened())
        .when_by(
            supervisor(),
            CorrectEvent {
                corrects: event_id(0),
                occurred_at: t("2024-05-16T11:53:00Z"),
                fields: [("role".to_string(), serde_json::json!("admin"))].into(),
                personal_fields: PersonalFields::default(),
                reason: "ruolo sbagliato".into(),
            },
        )
        .then_rejected("corrects", K::NotCorrectable);
}
