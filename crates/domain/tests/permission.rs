//! Who may send each command (`Command::roles`) and where its fact belongs
//! (`DeskState::placement`), against the state the decisions see.

mod support;

use domain::*;
use support::*;
use ulid::Ulid;

/// One command of every kind: the shared samples (`domain::samples`).
fn every_command() -> Vec<Command> {
    let commands = Command::samples();
    let names: Vec<&str> = commands.iter().map(Command::name).collect();
    assert_eq!(names, COMMAND_NAMES, "one command of every kind, in order");
    // The samples that name a recorded event name the scenario's logbook entry and intake.
    let scenario = everything();
    assert_eq!(id_of(&scenario, "LogbookEntryWritten"), logbook_entry_id());
    assert_eq!(id_of(&scenario, "IntakeRecorded"), event_id(4));
    commands
}

#[test]
fn evaluators_send_nothing_and_nobody_sends_a_checkpoint() {
    for command in every_command() {
        assert!(!command.permits(Role::Evaluator), "{}", command.name());
        let roles = command.roles();
        let checkpoint = matches!(command, Command::RecordCheckpoint(_));
        assert_eq!(
            roles.is_empty(),
            checkpoint,
            "{}: {roles:?}",
            command.name()
        );
    }
}

#[test]
fn the_site_facts_are_mediators_and_the_directory_admins() {
    for command in every_command() {
        let mediator = command.permits(Role::Mediator);
        let admin = command.permits(Role::Admin);
        assert!(!(mediator && admin), "{}", command.name());
        // Staff accounts are the admins' alone: a supervisor is no admin of the sign-ins.
        let staff = matches!(
            command,
            Command::OpenStaffAccount(_)
                | Command::DisableStaffAccount(_)
                | Command::ResetStaffPassword(_)
        );
        if (mediator || admin) && !staff {
            assert!(command.permits(Role::Supervisor), "{}", command.name());
        }
        // What a mediator may send belongs to a site, so that their own site can be checked.
        let state = given(everything());
        if mediator {
            assert_ne!(
                state.state().placement(&command),
                Placement::NoSite,
                "{}",
                command.name()
            );
        }
    }
}

#[test]
fn a_fact_belongs_to_its_own_site_or_to_the_site_of_the_record_it_acts_on() {
    let given = given(everything());
    let state = given.state();
    let here = Placement::Site(site());
    assert_eq!(state.placement(&intake().into()), here);
    assert_eq!(state.placement(&close_case().into()), here);
    assert_eq!(state.placement(&referral_outcome().into()), here);
    assert_eq!(state.placement(&session().into()), here);
    let elsewhere = SiteId::new("centro-2");
    let own_site = RecordIntake {
        site_id: elsewhere.clone(),
        ..intake()
    };
    assert_eq!(
        state.placement(&own_site.into()),
        Placement::Site(elsewhere)
    );

    // A record nobody has seen: the decision refuses it, nothing to place.
    let unknown = Ulid::from_parts(1, 1);
    let close_unknown = CloseCase {
        case_id: CaseId(unknown),
        ..close_case()
    };
    assert_eq!(state.placement(&close_unknown.into()), Placement::Unknown);
    let cancel_unknown = CancelMediation {
        mediation_id: MediationId(unknown),
        ..cancel_mediation()
    };
    assert_eq!(state.placement(&cancel_unknown.into()), Placement::Unknown);

    // A correction belongs to the site of the event it corrects: the intake's, or none for the
    // directory's first entry.
    let correct = |corrects: Ulid| -> Command {
        CorrectEvent {
            corrects,
            occurred_at: t("2024-05-16T11:55:00Z"),
            fields: [("needs".to_string(), serde_json::json!(["work"]))].into(),
            personal_fields: PersonalFields::default(),
            reason: "registrato male".into(),
        }
        .into()
    };
    assert_eq!(state.placement(&correct(event_id(4))), here);
    assert_eq!(state.placement(&correct(event_id(0))), Placement::NoSite);
    assert_eq!(state.placement(&correct(unknown)), Placement::Unknown);

    for no_site in [
        Command::from(supervision()),
        map_asl().into(),
        checkpoint().into(),
    ] {
        assert_eq!(state.placement(&no_site), Placement::NoSite);
    }
}
