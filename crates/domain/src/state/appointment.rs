//! Decisions on a site's calendar: its closures (`site-<slug>`) and the appointments booked in its
//! hours (`appointment-<ulid>`).

use crate::calendar::rome_date;

use super::*;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct AppointmentState {
    pub(super) person_id: PersonId,
    pub(super) site_id: SiteId,
    pub(super) starts_at: DateTime<Utc>,
    pub(super) ends_at: DateTime<Utc>,
    pub(super) mediator: String,
    pub(super) status: AppointmentStatus,
}

/// The longest closure one fact records: a year.
const LONGEST_CLOSURE_DAYS: i64 = 366;

impl DeskState {
    pub(super) fn close_site(&self, c: &CloseSite) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            self.calendars.contains_key(&c.site_id),
            "siteId",
            K::NotFound,
            "this site has no schedule: schedule it before closing it"
        );
        ensure!(
            c.to >= c.from,
            "to",
            K::EndsBeforeStart,
            "the closure must end on or after the day it starts"
        );
        ensure!(
            (c.to - c.from).num_days() < LONGEST_CLOSURE_DAYS,
            "to",
            K::TooLong,
            "a closure lasts at most a year"
        );
        ensure!(
            !c.reason.trim().is_empty(),
            "reason",
            K::Required,
            "say why the site is closed"
        );
        let event = SiteClosed {
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            from: c.from,
            to: c.to,
            reason: c.reason.trim().to_string(),
        };
        self.decision(StreamId::site(&c.site_id), event)
    }

    pub(super) fn book_appointment(&self, c: &BookAppointment) -> Decided {
        site(&c.site_id, "siteId")?;
        self.person(c.person_id, "personId")?;
        ensure!(
            !self.appointments.contains_key(&c.appointment_id),
            "appointmentId",
            K::AlreadyExists,
            "this appointment is already booked (the same id was sent twice)"
        );
        ensure!(
            !c.mediator.trim().is_empty(),
            "mediator",
            K::Required,
            "say which mediator holds the appointment"
        );
        language(&c.language, "language")?;
        match (c.channel, c.referred_by) {
            (IntakeChannel::ReferredByService, Some(service)) => {
                self.usable_service(service, "referredBy")?
            }
            (IntakeChannel::ReferredByService, None) => {
                return reject(
                    "referredBy",
                    K::Required,
                    "say which service referred the person",
                )
            }
            (_, Some(_)) => {
                return reject(
                    "referredBy",
                    K::Mismatch,
                    "a referring service goes with the channel referred_by_service",
                )
            }
            (_, None) => {}
        }
        self.slot(&c.site_id, c.starts_at, c.ends_at, c.occurred_at)?;
        self.mediator_free(&c.mediator, c.starts_at, c.ends_at, None)?;
        let event = AppointmentBooked {
            appointment_id: c.appointment_id,
            person_id: c.person_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            starts_at: c.starts_at,
            ends_at: c.ends_at,
            mediator: c.mediator.trim().to_string(),
            language: c.language.clone(),
            channel: c.channel,
            referred_by: c.referred_by,
            note: c.note.clone(),
        };
        self.creation(
            StreamId::appointment(c.appointment_id),
            "appointmentId",
            "appointment",
            event,
        )
    }

    pub(super) fn reschedule_appointment(&self, c: &RescheduleAppointment) -> Decided {
        let a = self.booked(c.appointment_id)?;
        let mediator = match &c.mediator {
            Some(m) => {
                ensure!(
                    !m.trim().is_empty(),
                    "mediator",
                    K::Required,
                    "say which mediator holds the appointment, or leave it out"
                );
                m.trim().to_string()
            }
            None => a.mediator.clone(),
        };
        self.slot(&a.site_id, c.starts_at, c.ends_at, c.occurred_at)?;
        self.mediator_free(&mediator, c.starts_at, c.ends_at, Some(c.appointment_id))?;
        let event = AppointmentRescheduled {
            appointment_id: c.appointment_id,
            person_id: a.person_id,
            site_id: a.site_id.clone(),
            occurred_at: c.occurred_at,
            starts_at: c.starts_at,
            ends_at: c.ends_at,
            mediator,
        };
        self.decision(StreamId::appointment(c.appointment_id), event)
    }

    pub(super) fn cancel_appointment(&self, c: &CancelAppointment) -> Decided {
        let a = self.booked(c.appointment_id)?;
        let event = AppointmentCancelled {
            appointment_id: c.appointment_id,
            person_id: a.person_id,
            site_id: a.site_id.clone(),
            occurred_at: c.occurred_at,
            reason: c.reason,
        };
        self.decision(StreamId::appointment(c.appointment_id), event)
    }

    pub(super) fn appointment_attended(&self, c: &RecordAppointmentAttended) -> Decided {
        let a = self.booked(c.appointment_id)?;
        self.not_before_the_slot(a, c.occurred_at)?;
        let event = AppointmentAttended {
            appointment_id: c.appointment_id,
            person_id: a.person_id,
            site_id: a.site_id.clone(),
            occurred_at: c.occurred_at,
        };
        self.decision(StreamId::appointment(c.appointment_id), event)
    }

    pub(super) fn appointment_missed(&self, c: &RecordNoShow) -> Decided {
        let a = self.booked(c.appointment_id)?;
        self.not_before_the_slot(a, c.occurred_at)?;
        let event = AppointmentMissed {
            appointment_id: c.appointment_id,
            person_id: a.person_id,
            site_id: a.site_id.clone(),
            occurred_at: c.occurred_at,
        };
        self.decision(StreamId::appointment(c.appointment_id), event)
    }

    /// A booked appointment that can still change: known, of a person still on record, not
    /// attended, missed or cancelled.
    fn booked(&self, id: AppointmentId) -> Result<&AppointmentState, Rejection> {
        let Some(a) = self.appointments.get(&id) else {
            return reject(
                "appointmentId",
                K::NotFound,
                "no appointment with this id was booked",
            );
        };
        self.person(a.person_id, "appointmentId")?;
        ensure!(
            a.status == AppointmentStatus::Booked,
            "appointmentId",
            K::AlreadyFinal,
            "this appointment was already {}: it cannot change",
            match a.status {
                AppointmentStatus::Attended => "attended",
                AppointmentStatus::Missed => "missed",
                AppointmentStatus::Cancelled => "cancelled",
                AppointmentStatus::Booked => "booked",
            }
        );
        Ok(a)
    }

    fn not_before_the_slot(
        &self,
        a: &AppointmentState,
        at: DateTime<Utc>,
    ) -> Result<(), Rejection> {
        ensure!(
            at >= a.starts_at,
            "occurredAt",
            K::OutOfRange,
            "the appointment has not started yet ({})",
            a.starts_at.format("%Y-%m-%dT%H:%M:%SZ")
        );
        Ok(())
    }

    /// A slot the site holds: it ends after it starts, has not begun when booked, falls on a day
    /// the site is open and within one of that day's opening periods.
    fn slot(
        &self,
        site_id: &SiteId,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        booked_at: DateTime<Utc>,
    ) -> Result<(), Rejection> {
        ensure!(
            ends_at > starts_at,
            "endsAt",
            K::EndsBeforeStart,
            "the appointment must end after it starts"
        );
        ensure!(
            starts_at >= booked_at,
            "startsAt",
            K::OutOfRange,
            "this slot has already begun: book a slot to come"
        );
        let Some(calendar) = self.calendars.get(site_id) else {
            return reject(
                "siteId",
                K::NotFound,
                "this site has no schedule: an admin schedules its days and hours first",
            );
        };
        let day = rome_date(starts_at);
        ensure!(
            calendar.opens_on_weekday(day),
            "startsAt",
            K::SiteClosed,
            "the site does not open on {}s",
            day.format("%A")
        );
        if let Some(why) = calendar.closed_on(day) {
            return reject(
                "startsAt",
                K::SiteClosed,
                format!(
                    "the site is closed on {}: {}",
                    day.format("%Y-%m-%d"),
                    why.describe()
                ),
            );
        }
        ensure!(
            calendar.within_hours(starts_at, ends_at),
            "startsAt",
            K::OutsideOpeningHours,
            "the slot is outside the site's opening hours of that day ({}, Rome time)",
            calendar.describe_hours(day)
        );
        Ok(())
    }

    /// Refuses a slot that overlaps another appointment the mediator holds (booked or attended),
    /// `except` the one being moved.
    fn mediator_free(
        &self,
        mediator: &str,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        except: Option<AppointmentId>,
    ) -> Result<(), Rejection> {
        let held = self.mediator_appointments.get(mediator.trim());
        for id in held.into_iter().flatten() {
            if Some(*id) == except {
                continue;
            }
            let Some(other) = self.appointments.get(id) else {
                continue;
            };
            let holds = matches!(
                other.status,
                AppointmentStatus::Booked | AppointmentStatus::Attended
            );
            ensure!(
                !(holds && other.starts_at < ends_at && starts_at < other.ends_at),
                "mediator",
                K::DoubleBooked,
                "this mediator already has an appointment from {} to {}",
                other.starts_at.format("%Y-%m-%dT%H:%M:%SZ"),
                other.ends_at.format("%Y-%m-%dT%H:%M:%SZ")
            );
        }
        Ok(())
    }
}

impl Command {
    /// True for the commands whose decision reads the agenda of a mediator, which lies on other
    /// appointment streams than the one the fact is appended to (no double booking): the journal's
    /// version check of one stream cannot guard it, so the desk decides these one at a time.
    pub fn reads_the_agenda(&self) -> bool {
        matches!(
            self,
            Command::BookAppointment(_) | Command::RescheduleAppointment(_)
        )
    }
}

impl Decide for CloseSite {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.close_site(self)
    }
}

impl Decide for BookAppointment {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.book_appointment(self)
    }
}

impl Decide for RescheduleAppointment {
    fn placement(&self, state: &DeskState) -> Placement {
        Placement::known(state.appointment_site(self.appointment_id))
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.reschedule_appointment(self)
    }
}

impl Decide for CancelAppointment {
    fn placement(&self, state: &DeskState) -> Placement {
        Placement::known(state.appointment_site(self.appointment_id))
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.cancel_appointment(self)
    }
}

impl Decide for RecordAppointmentAttended {
    fn placement(&self, state: &DeskState) -> Placement {
        Placement::known(state.appointment_site(self.appointment_id))
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.appointment_attended(self)
    }
}

impl Decide for RecordNoShow {
    fn placement(&self, state: &DeskState) -> Placement {
        Placement::known(state.appointment_site(self.appointment_id))
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.appointment_missed(self)
    }
}

impl DeskState {
    fn appointment_ends(&mut self, id: AppointmentId, status: AppointmentStatus) {
        if let Some(a) = self.appointments.get_mut(&id) {
            a.status = status;
        }
    }
}

// The write model's part of each event of this stream: no rule, whatever is in the journal
// happened.

impl Evolve for SiteClosed {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state
            .calendars
            .entry(self.site_id.clone())
            .or_default()
            .closures
            .push(LocalClosure {
                from: self.from,
                to: self.to,
                reason: self.reason.clone(),
            });
    }
}

impl Evolve for AppointmentBooked {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state.appointments.insert(
            self.appointment_id,
            AppointmentState {
                person_id: self.person_id,
                site_id: self.site_id.clone(),
                starts_at: self.starts_at,
                ends_at: self.ends_at,
                mediator: self.mediator.clone(),
                status: AppointmentStatus::Booked,
            },
        );
        state
            .mediator_appointments
            .entry(self.mediator.clone())
            .or_default()
            .push(self.appointment_id);
    }
}

impl Evolve for AppointmentRescheduled {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        if let Some(a) = state.appointments.get_mut(&self.appointment_id) {
            a.starts_at = self.starts_at;
            a.ends_at = self.ends_at;
            if a.mediator != self.mediator {
                if let Some(held) = state.mediator_appointments.get_mut(&a.mediator) {
                    held.retain(|id| *id != self.appointment_id);
                }
                a.mediator = self.mediator.clone();
                state
                    .mediator_appointments
                    .entry(self.mediator.clone())
                    .or_default()
                    .push(self.appointment_id);
            }
        }
    }
}

impl Evolve for AppointmentCancelled {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state.appointment_ends(self.appointment_id, AppointmentStatus::Cancelled)
    }
}

impl Evolve for AppointmentAttended {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state.appointment_ends(self.appointment_id, AppointmentStatus::Attended)
    }
}

impl Evolve for AppointmentMissed {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state.appointment_ends(self.appointment_id, AppointmentStatus::Missed)
    }
}

/// The sample of each command of this stream ([`crate::samples`]).
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for CloseSite {
        fn sample() -> Self {
            CloseSite {
                site_id: site(),
                occurred_at: t("2024-05-10T08:00:00Z"),
                from: d("2024-05-21"),
                to: d("2024-05-21"),
                reason: "festa patronale".into(),
            }
        }
    }

    impl Sample for BookAppointment {
        fn sample() -> Self {
            BookAppointment {
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
        }
    }

    impl Sample for RescheduleAppointment {
        fn sample() -> Self {
            RescheduleAppointment {
                appointment_id: appointment(),
                occurred_at: t("2024-05-15T10:00:00Z"),
                starts_at: t("2024-05-23T13:00:00Z"),
                ends_at: t("2024-05-23T13:30:00Z"),
                mediator: None,
            }
        }
    }

    impl Sample for CancelAppointment {
        fn sample() -> Self {
            CancelAppointment {
                appointment_id: appointment(),
                occurred_at: t("2024-05-15T10:00:00Z"),
                reason: CancellationReason::RequesterCancelled,
            }
        }
    }

    impl Sample for RecordAppointmentAttended {
        fn sample() -> Self {
            RecordAppointmentAttended {
                appointment_id: appointment(),
                occurred_at: t("2024-05-16T07:35:00Z"),
            }
        }
    }

    impl Sample for RecordNoShow {
        fn sample() -> Self {
            RecordNoShow {
                appointment_id: appointment(),
                occurred_at: t("2024-05-16T08:00:00Z"),
            }
        }
    }
}
