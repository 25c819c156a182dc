//! Who may send each command (`Command::roles`) and where its fact belongs
//! (`DeskState::placement`), against the state the decisions see.

mod support;

use domain::*;
use support::*;
use ulid::Ulid;

/// One command of every kind.
fn every_command() -> Vec<Command> {
    let commands: Vec<Command> = vec![
        register().into(),
        consent().into(),
        withdraw().into(),
        assess().into(),
        intake().into(),
        open_case().into(),
        care_plan().into(),
        close_case().into(),
        reopen_case().into(),
        transfer().into(),
        intervention_cmd().into(),
        issue_referral().into(),
        referral_outcome().into(),
        request_mediation().into(),
        session().into(),
        cancel_mediation().into(),
        group_activity().into(),
        distribute().into(),
        survey_cmd().into(),
        logbook().into(),
        CommentLogbookEntry {
            entry_id: id_of(&everything(), "LogbookEntryWritten"),
            occurred_at: t("2024-05-16T11:55:00Z"),
            comment: PersonalNote::new("bene"),
        }
        .into(),
        RedactText {
            event_id: id_of(&everything(), "LogbookEntryWritten"),
            occurred_at: t("2024-05-16T11:56:00Z"),
            reason: ErasureReason::PersonRequest,
        }
        .into(),
        supervision().into(),
        checkpoint().into(),
        map_asl().into(),
        update_asl().into(),
        retire_cpia().into(),
        schedule_site().into(),
        CorrectEvent {
            corrects: event_id(4),
            occurred_at: t("2024-05-16T11:55:00Z"),
            fields: [("needs".to_string(), serde_json::json!(["work"]))].into(),
            personal_fields: PersonalFields::default(),
            reason: "bisogno registrato male".into(),
        }
        .into(),
        ErasePerson {
            person_id: person(),
            occurred_at: t("2024-05-16T11:58:00Z"),
            reason: ErasureReason::PersonRequest,
        }
        .into(),
        merge().into(),
        take_on().into(),
        close_site().into(),
        book().into(),
        reschedule().into(),
        cancel_appointment().into(),
        attended().into(),
        no_show().into(),
        complete_action().into(),
        update_person().into(),
        open_staff_account().into(),
        disable_staff_account().into(),
        reset_staff_password().into(),
    ];
    let names: Vec<&str> = commands.iter().map(Command::name).collect();
    assert_eq!(names, COMMAND_NAMES, "one command of every kind, in order");
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
