//! Given events, when a command about a site's calendar or an appointment, then events or a
//! rejection naming the field.

mod support;

use domain::calendar::{easter_sunday, italian_holiday, rome_date, rome_instant, rome_offset};
use domain::RejectionKind as K;
use domain::*;
use support::*;

fn closed() -> Vec<Event> {
    let mut events = scheduled();
    events.extend(
        given(scheduled())
            .when_by(admin(), close_site())
            .then_accepted()
            .events,
    );
    events
}

fn after(events: Vec<Event>, actor: Actor, cmd: impl Into<Command>) -> Vec<Event> {
    let mut all = events.clone();
    all.extend(given(events).when_by(actor, cmd).then_accepted().events);
    all
}

// ---- the calendar -----------------------------------------------------------------------------

#[test]
fn italian_public_holidays_are_computed() {
    // 25 April, 15 August and 26 December 2024 are Thursdays, opening days of the desk.
    for (day, name) in [
        ("2024-04-25", "Festa della Liberazione"),
        ("2024-08-15", "Ferragosto"),
        ("2024-12-26", "Santo Stefano"),
        ("2024-04-01", "Lunedì dell'Angelo"),
        ("2025-04-21", "Lunedì dell'Angelo"),
        ("2024-06-02", "Festa della Repubblica"),
    ] {
        assert_eq!(italian_holiday(d(day)), Some(name), "{day}");
    }
    assert_eq!(easter_sunday(2024), Some(d("2024-03-31")));
    assert_eq!(easter_sunday(2025), Some(d("2025-04-20")));
    assert_eq!(italian_holiday(d("2024-05-16")), None);
    assert_eq!(italian_holiday(d("2024-04-02")), None);
}

#[test]
fn rome_time_follows_summer_time() {
    assert_eq!(
        rome_offset(t("2024-01-16T10:00:00Z")).local_minus_utc(),
        3600
    );
    assert_eq!(
        rome_offset(t("2024-05-16T10:00:00Z")).local_minus_utc(),
        7200
    );
    // Summer time began at 01:00 UTC on 31 March 2024 and ended at 01:00 UTC on 27 October.
    assert_eq!(
        rome_offset(t("2024-03-31T00:59:00Z")).local_minus_utc(),
        3600
    );
    assert_eq!(
        rome_offset(t("2024-03-31T01:00:00Z")).local_minus_utc(),
        7200
    );
    assert_eq!(
        rome_offset(t("2024-10-27T00:59:00Z")).local_minus_utc(),
        7200
    );
    assert_eq!(
        rome_offset(t("2024-10-27T01:00:00Z")).local_minus_utc(),
        3600
    );
    assert_eq!(rome_date(t("2024-05-16T22:30:00Z")), d("2024-05-17"));
    let nine = d("2024-05-16").and_hms_opt(9, 0, 0).unwrap();
    assert_eq!(rome_instant(nine), t("2024-05-16T07:00:00Z"));
    let winter = d("2024-12-19").and_hms_opt(9, 0, 0).unwrap();
    assert_eq!(rome_instant(winter), t("2024-12-19T08:00:00Z"));
}

#[test]
fn a_site_is_scheduled_with_hours_and_phones() {
    let decision = given(vec![])
        .when_by(admin(), schedule_site())
        .then_decision(StreamId::site(&site()), Expected::NoStream);
    let Event::SiteScheduled(e) = &decision.events[0] else {
        panic!("a schedule");
    };
    assert_eq!(e.hours.len(), 4);
    assert_eq!(e.phones, vec!["0774 301234", "0774 301235"]);
}

#[test]
fn hours_and_phones_are_checked() {
    let mut hours = schedule_site();
    hours.hours[1].day = Weekday::Monday;
    given(vec![])
        .when_by(admin(), hours)
        .then_rejected("hours[1].day", K::Mismatch);
    let mut backwards = schedule_site();
    backwards.hours[0].closes = "08:00".parse().unwrap();
    given(vec![])
        .when_by(admin(), backwards)
        .then_rejected("hours[0].closes", K::EndsBeforeStart);
    let mut overlapping = schedule_site();
    overlapping.hours[1].opens = "11:00".parse().unwrap();
    given(vec![])
        .when_by(admin(), overlapping)
        .then_rejected("hours[1]", K::Duplicate);
    let mut missing = schedule_site();
    missing.hours.truncate(2);
    given(vec![])
        .when_by(admin(), missing)
        .then_rejected("hours", K::Required);
    let mut phone = schedule_site();
    phone.phones[1] = "chiamare Anna".into();
    given(vec![])
        .when_by(admin(), phone)
        .then_rejected("phones[1]", K::Invalid);
}

#[test]
fn a_scheduled_site_records_a_closure_on_its_stream() {
    given(scheduled())
        .when_by(admin(), close_site())
        .then_events(vec![SiteClosed {
            site_id: site(),
            occurred_at: t("2024-05-10T08:00:00Z"),
            from: d("2024-05-21"),
            to: d("2024-05-21"),
            reason: "festa patronale".into(),
        }
        .into()]);
}

#[test]
fn a_closure_needs_a_scheduled_site_an_order_and_a_reason() {
    given(base())
        .when_by(admin(), close_site())
        .then_rejected("siteId", K::NotFound);
    given(scheduled())
        .when_by(
            admin(),
            CloseSite {
                to: d("2024-05-20"),
                ..close_site()
            },
        )
        .then_rejected("to", K::EndsBeforeStart);
    given(scheduled())
        .when_by(
            admin(),
            CloseSite {
                to: d("2025-06-20"),
                ..close_site()
            },
        )
        .then_rejected("to", K::TooLong);
    given(scheduled())
        .when_by(
            admin(),
            CloseSite {
                reason: " ".into(),
                ..close_site()
            },
        )
        .then_rejected("reason", K::Required);
}

// ---- appointments -----------------------------------------------------------------------------

#[test]
fn an_appointment_is_booked_inside_the_hours_on_its_own_stream() {
    let decision = given(scheduled())
        .when(book())
        .then_decision(StreamId::appointment(appointment()), Expected::NoStream);
    assert_eq!(
        decision.events,
        vec![AppointmentBooked {
            appointment_id: appointment(),
            person_id: person(),
            site_id: site(),
            occurred_at: t("2024-05-14T08:00:00Z"),
            starts_at: t("2024-05-16T07:30:00Z"),
            ends_at: t("2024-05-16T08:00:00Z"),
            mediator: "m.haddad".into(),
            language: "uk".into(),
            channel: IntakeChannel::Phone,
            referred_by: None,
            note: Some(PersonalNote::new("porta il passaporto")),
        }
        .into()]
    );
    // The person the desk seals the note for.
    assert_eq!(decision.events[0].person_id(), Some(person()));
}

#[test]
fn a_slot_outside_the_hours_is_refused() {
    // 12:00-12:30 in Rome: after the morning closes.
    let rejection = given(scheduled())
        .when(BookAppointment {
            starts_at: t("2024-05-16T10:00:00Z"),
            ends_at: t("2024-05-16T10:30:00Z"),
            ..book()
        })
        .then_rejected("startsAt", K::OutsideOpeningHours);
    assert!(
        rejection.message.contains("09:00-12:00, 15:00-17:00"),
        "{}",
        rejection.message
    );
    // Across the lunch break.
    given(scheduled())
        .when(BookAppointment {
            starts_at: t("2024-05-16T09:30:00Z"),
            ends_at: t("2024-05-16T13:30:00Z"),
            ..book()
        })
        .then_rejected("startsAt", K::OutsideOpeningHours);
}

#[test]
fn a_slot_on_a_closed_day_is_refused() {
    // Wednesday: not an opening day.
    given(scheduled())
        .when(BookAppointment {
            starts_at: t("2024-05-22T07:30:00Z"),
            ends_at: t("2024-05-22T08:00:00Z"),
            ..book()
        })
        .then_rejected("startsAt", K::SiteClosed);
    // Tuesday 21 May: the recorded local closure.
    let rejection = given(closed())
        .when(BookAppointment {
            starts_at: t("2024-05-21T07:30:00Z"),
            ends_at: t("2024-05-21T08:00:00Z"),
            ..book()
        })
        .then_rejected("startsAt", K::SiteClosed);
    assert!(
        rejection.message.contains("festa patronale"),
        "{}",
        rejection.message
    );
    // Thursday 15 August 2024: Ferragosto.
    let rejection = given(scheduled())
        .when_at(
            t("2024-08-01T12:00:00Z"),
            mediator(),
            BookAppointment {
                occurred_at: t("2024-08-01T10:00:00Z"),
                starts_at: t("2024-08-15T07:30:00Z"),
                ends_at: t("2024-08-15T08:00:00Z"),
                ..book()
            },
        )
        .then_rejected("startsAt", K::SiteClosed);
    assert!(
        rejection.message.contains("Ferragosto"),
        "{}",
        rejection.message
    );
    // A site nobody scheduled has no hours to book in.
    given(base())
        .when(book())
        .then_rejected("siteId", K::NotFound);
}

#[test]
fn a_slot_already_begun_or_ending_before_it_starts_is_refused() {
    given(scheduled())
        .when(BookAppointment {
            occurred_at: t("2024-05-16T07:45:00Z"),
            ..book()
        })
        .then_rejected("startsAt", K::OutOfRange);
    given(scheduled())
        .when(BookAppointment {
            ends_at: t("2024-05-16T07:00:00Z"),
            ..book()
        })
        .then_rejected("endsAt", K::EndsBeforeStart);
}

#[test]
fn a_mediator_is_not_booked_twice_at_once() {
    let overlapping = BookAppointment {
        appointment_id: appointment_2(),
        starts_at: t("2024-05-16T07:45:00Z"),
        ends_at: t("2024-05-16T08:15:00Z"),
        ..book()
    };
    given(booked())
        .when(overlapping.clone())
        .then_rejected("mediator", K::DoubleBooked);
    // Another mediator may take that slot, and the same one the slot after.
    given(booked())
        .when(BookAppointment {
            mediator: "o.kovalenko".into(),
            ..overlapping.clone()
        })
        .then_accepted();
    given(booked())
        .when(BookAppointment {
            starts_at: t("2024-05-16T08:00:00Z"),
            ends_at: t("2024-05-16T08:30:00Z"),
            ..overlapping.clone()
        })
        .then_accepted();
    // A cancelled appointment frees its slot.
    let cancelled = after(booked(), mediator(), cancel_appointment());
    given(cancelled).when(overlapping).then_accepted();
}

#[test]
fn a_booking_checks_the_person_the_language_the_channel_and_the_id() {
    given(scheduled())
        .when(BookAppointment {
            person_id: minor(),
            ..book()
        })
        .then_rejected("personId", K::NotFound);
    given(scheduled())
        .when(BookAppointment {
            language: "Ukrainian".into(),
            ..book()
        })
        .then_rejected("language", K::Invalid);
    given(scheduled())
        .when(BookAppointment {
            mediator: "  ".into(),
            ..book()
        })
        .then_rejected("mediator", K::Required);
    given(scheduled())
        .when(BookAppointment {
            channel: IntakeChannel::ReferredByService,
            ..book()
        })
        .then_rejected("referredBy", K::Required);
    given(scheduled())
        .when(BookAppointment {
            referred_by: Some(asl()),
            ..book()
        })
        .then_rejected("referredBy", K::Mismatch);
    given(booked())
        .when(book())
        .then_rejected("appointmentId", K::AlreadyExists);
}

#[test]
fn another_sites_person_is_answered_as_an_unknown_one() {
    let mut events = scheduled();
    let other = ScheduleSite {
        site_id: other_site(),
        name: "Tivoli".into(),
        ..schedule_site()
    };
    events = after(events, admin(), other);
    let not_yours = given(events.clone())
        .when(BookAppointment {
            site_id: other_site(),
            ..book()
        })
        .then_rejected("personId", K::NotFound);
    let unknown = given(events)
        .when(BookAppointment {
            site_id: other_site(),
            person_id: PersonId(ulid::Ulid::from_parts(9, 9)),
            ..book()
        })
        .then_rejected("personId", K::NotFound);
    assert_eq!(not_yours, unknown);
}

#[test]
fn an_appointment_is_rescheduled_inside_the_hours_without_double_booking() {
    given(booked())
        .when(reschedule())
        .then_events(vec![AppointmentRescheduled {
            appointment_id: appointment(),
            person_id: person(),
            site_id: site(),
            occurred_at: t("2024-05-15T10:00:00Z"),
            starts_at: t("2024-05-23T13:00:00Z"),
            ends_at: t("2024-05-23T13:30:00Z"),
            mediator: "m.haddad".into(),
        }
        .into()]);
    // Moving within its own slot does not collide with itself.
    given(booked())
        .when(RescheduleAppointment {
            starts_at: t("2024-05-16T07:45:00Z"),
            ends_at: t("2024-05-16T08:15:00Z"),
            ..reschedule()
        })
        .then_accepted();
    given(booked())
        .when(RescheduleAppointment {
            starts_at: t("2024-05-23T11:00:00Z"),
            ends_at: t("2024-05-23T11:30:00Z"),
            ..reschedule()
        })
        .then_rejected("startsAt", K::OutsideOpeningHours);
    let other = after(
        booked(),
        mediator(),
        BookAppointment {
            appointment_id: appointment_2(),
            mediator: "o.kovalenko".into(),
            starts_at: t("2024-05-23T13:00:00Z"),
            ends_at: t("2024-05-23T13:30:00Z"),
            ..book()
        },
    );
    given(other)
        .when(RescheduleAppointment {
            mediator: Some("o.kovalenko".into()),
            ..reschedule()
        })
        .then_rejected("mediator", K::DoubleBooked);
    given(scheduled())
        .when(reschedule())
        .then_rejected("appointmentId", K::NotFound);
}

#[test]
fn an_appointment_is_attended_missed_or_cancelled_once() {
    let attended_events = given(booked()).when(attended()).then_accepted().events;
    assert_eq!(
        attended_events,
        vec![AppointmentAttended {
            appointment_id: appointment(),
            person_id: person(),
            site_id: site(),
            occurred_at: t("2024-05-16T07:35:00Z"),
        }
        .into()]
    );
    given(booked()).when(no_show()).then_accepted();
    given(booked()).when(cancel_appointment()).then_accepted();
    for (closing, name) in [
        (Command::from(attended()), "attended"),
        (no_show().into(), "missed"),
        (cancel_appointment().into(), "cancelled"),
    ] {
        let done = after(booked(), mediator(), closing);
        for change in [
            Command::from(reschedule()),
            cancel_appointment().into(),
            attended().into(),
            no_show().into(),
        ] {
            let rejection = given(done.clone())
                .when(change)
                .then_rejected("appointmentId", K::AlreadyFinal);
            assert!(rejection.message.contains(name), "{}", rejection.message);
        }
    }
}

#[test]
fn attendance_is_not_recorded_before_the_slot() {
    given(booked())
        .when(RecordAppointmentAttended {
            occurred_at: t("2024-05-16T07:00:00Z"),
            ..attended()
        })
        .then_rejected("occurredAt", K::OutOfRange);
    given(booked())
        .when(RecordNoShow {
            occurred_at: t("2024-05-15T07:00:00Z"),
            ..no_show()
        })
        .then_rejected("occurredAt", K::OutOfRange);
    given(scheduled())
        .when(attended())
        .then_rejected("appointmentId", K::NotFound);
}

#[test]
fn an_erased_persons_appointment_does_not_change() {
    let erased = after(
        booked(),
        supervisor(),
        ErasePerson {
            person_id: person(),
            occurred_at: t("2024-05-15T09:00:00Z"),
            reason: ErasureReason::PersonRequest,
        },
    );
    given(erased)
        .when(reschedule())
        .then_rejected("appointmentId", K::Erased);
}

#[test]
fn appointments_belong_to_their_site() {
    let given = given(booked());
    let state = given.state();
    assert_eq!(
        state.placement(&reschedule().into()),
        Placement::Site(site())
    );
    assert_eq!(
        state.placement(
            &RecordNoShow {
                appointment_id: appointment_2(),
                ..no_show()
            }
            .into()
        ),
        Placement::Unknown
    );
    assert_eq!(state.calendar(&site()).map(|c| c.phones.len()), Some(2));
}

// ---- mediation sessions and supervision actions -------------------------------------------------

#[test]
fn a_session_says_where_it_was_held_and_when_its_follow_up_is_due() {
    let requested = after(base(), mediator(), request_mediation());
    let decision = given(requested.clone())
        .when(RecordMediationSession {
            place: Some(SessionPlace::Questura),
            follow_up_needed: true,
            follow_up_by: Some(d("2024-05-21")),
            ..session()
        })
        .then_accepted();
    let Event::MediationSessionHeld(e) = &decision.events[0] else {
        panic!("a session");
    };
    assert_eq!(
        (e.place, e.follow_up_by),
        (Some(SessionPlace::Questura), Some(d("2024-05-21")))
    );
    given(requested.clone())
        .when(RecordMediationSession {
            follow_up_by: Some(d("2024-05-21")),
            ..session()
        })
        .then_rejected("followUpBy", K::Mismatch);
    given(requested)
        .when(RecordMediationSession {
            follow_up_needed: true,
            follow_up_by: Some(d("2024-05-10")),
            ..session()
        })
        .then_rejected("followUpBy", K::OutOfRange);
}

#[test]
fn a_supervision_action_is_completed_once() {
    let held = after(base(), supervisor(), supervision());
    given(held.clone())
        .when_by(supervisor(), complete_action())
        .then_events(vec![SupervisionActionCompleted {
            meeting_id: meeting(),
            action: 0,
            occurred_at: t("2024-05-16T09:00:00Z"),
        }
        .into()]);
    given(held.clone())
        .when_by(
            supervisor(),
            CompleteSupervisionAction {
                action: 1,
                ..complete_action()
            },
        )
        .then_rejected("action", K::NotFound);
    given(base())
        .when_by(supervisor(), complete_action())
        .then_rejected("meetingId", K::NotFound);
    let done = after(held, supervisor(), complete_action());
    given(done)
        .when_by(supervisor(), complete_action())
        .then_rejected("action", K::AlreadyFinal);
}
