//! Decisions on the directory of services (`service-<ulid>`) and the sites' schedules
//! (`site-<slug>`).

use crate::calendar::OpeningHours;

use super::*;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct ServiceState {
    pub(super) retired: bool,
}

impl DeskState {
    pub(super) fn map_service(&self, c: &MapService, ctx: &Context) -> Decided {
        ensure!(
            !self.services.contains_key(&c.service_id),
            "serviceId",
            K::AlreadyExists,
            "this service is already in the directory"
        );
        description(&c.description, ctx)?;
        let event = ServiceMapped {
            service_id: c.service_id,
            occurred_at: c.occurred_at,
            description: c.description.clone(),
        };
        self.creation(
            StreamId::service(c.service_id),
            "serviceId",
            "service",
            event,
        )
    }

    pub(super) fn update_service(&self, c: &UpdateService, ctx: &Context) -> Decided {
        self.usable_service(c.service_id, "serviceId")?;
        description(&c.description, ctx)?;
        let event = ServiceUpdated {
            service_id: c.service_id,
            occurred_at: c.occurred_at,
            description: c.description.clone(),
        };
        self.decision(StreamId::service(c.service_id), event)
    }

    pub(super) fn retire_service(&self, c: &RetireService) -> Decided {
        self.usable_service(c.service_id, "serviceId")?;
        ensure!(
            !c.reason.trim().is_empty(),
            "reason",
            K::Required,
            "say why the service is retired"
        );
        let event = ServiceRetired {
            service_id: c.service_id,
            occurred_at: c.occurred_at,
            reason: c.reason.clone(),
        };
        self.decision(StreamId::service(c.service_id), event)
    }

    pub(super) fn schedule_site(&self, c: &ScheduleSite, ctx: &Context) -> Decided {
        ensure!(
            matches!(ctx.actor.role, Role::Admin | Role::Supervisor),
            "actor",
            K::NotPermitted,
            "only an admin or a supervisor sets a site's schedule"
        );
        ensure!(
            c.site_id.is_valid(),
            "siteId",
            K::Invalid,
            "a site is a slug of a-z, 0-9 and - (like montelucci-4)"
        );
        ensure!(
            !c.name.trim().is_empty() && c.name.len() <= 200,
            "name",
            K::Required,
            "give the site's name (at most 200 characters)"
        );
        let mut days = c.opening_days.clone();
        days.sort();
        days.dedup();
        ensure!(
            days.len() == c.opening_days.len(),
            "openingDays",
            K::Invalid,
            "a weekday is named twice"
        );
        opening_hours(&c.hours, &c.opening_days)?;
        for (i, phone) in c.phones.iter().enumerate() {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            ensure!(
                (6..=15).contains(&digits)
                    && phone
                        .chars()
                        .all(|ch| ch.is_ascii_digit() || matches!(ch, '+' | ' ' | '-' | '/')),
                format!("phones[{i}]"),
                K::Invalid,
                "a phone number is 6 to 15 digits, with spaces, + or - (like 0774 123456)"
            );
        }
        no_duplicates(&c.phones, "phones")?;
        let event = SiteScheduled {
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            name: c.name.trim().to_string(),
            opening_days: c.opening_days.clone(),
            hours: c.hours.clone(),
            phones: c.phones.iter().map(|p| p.trim().to_string()).collect(),
        };
        self.decision(StreamId::site(&c.site_id), event)
    }
}

impl Decide for MapService {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::NoSite
    }

    fn decide(&self, state: &DeskState, ctx: &Context) -> Decided {
        state.map_service(self, ctx)
    }
}

impl Decide for UpdateService {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::NoSite
    }

    fn decide(&self, state: &DeskState, ctx: &Context) -> Decided {
        state.update_service(self, ctx)
    }
}

impl Decide for RetireService {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::NoSite
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.retire_service(self)
    }
}

impl Decide for ScheduleSite {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, ctx: &Context) -> Decided {
        state.schedule_site(self, ctx)
    }
}

/// Opening periods: each on an opening day, ending after it starts, none overlapping another of
/// its day; and when any is given, every opening day has one.
fn opening_hours(hours: &[OpeningHours], days: &[Weekday]) -> Result<(), Rejection> {
    for (i, h) in hours.iter().enumerate() {
        ensure!(
            days.contains(&h.day),
            format!("hours[{i}].day"),
            K::Mismatch,
            "this day is not one of the opening days"
        );
        ensure!(
            h.closes > h.opens,
            format!("hours[{i}].closes"),
            K::EndsBeforeStart,
            "a period closes after it opens"
        );
        let overlaps = hours[..i]
            .iter()
            .any(|o| o.day == h.day && o.opens < h.closes && h.opens < o.closes);
        ensure!(
            !overlaps,
            format!("hours[{i}]"),
            K::Duplicate,
            "this period overlaps another of the same day"
        );
    }
    if !hours.is_empty() {
        for day in days {
            ensure!(
                hours.iter().any(|h| h.day == *day),
                "hours",
                K::Required,
                "give the hours of every opening day ({} has none)",
                day.as_str()
            );
        }
    }
    Ok(())
}

// The write model's part of each event of this stream: no rule, whatever is in the journal
// happened.

impl Evolve for ServiceMapped {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state
            .services
            .insert(self.service_id, ServiceState { retired: false });
    }
}

impl Evolve for ServiceUpdated {
    /// Decides nothing later.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

impl Evolve for ServiceRetired {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        if let Some(s) = state.services.get_mut(&self.service_id) {
            s.retired = true;
        }
    }
}

impl Evolve for SiteScheduled {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        let first = state
            .first_schedule
            .map_or(self.occurred_at, |t| t.min(self.occurred_at));
        state.first_schedule = Some(first);
        let calendar = state.calendars.entry(self.site_id.clone()).or_default();
        calendar.opening_days = self.opening_days.clone();
        calendar.hours = self.hours.clone();
        calendar.phones = self.phones.clone();
    }
}

/// The sample of each command of this stream ([`crate::samples`]).
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for MapService {
        fn sample() -> Self {
            MapService {
                service_id: asl(),
                occurred_at: t("2024-05-02T08:00:00Z"),
                description: asl_description(),
            }
        }
    }

    impl Sample for UpdateService {
        fn sample() -> Self {
            UpdateService {
                service_id: asl(),
                occurred_at: t("2024-05-10T08:00:00Z"),
                description: ServiceDescription {
                    opening_hours: "lun-gio 8:30-13:00".into(),
                    verified_on: d("2024-05-10"),
                    ..asl_description()
                },
            }
        }
    }

    impl Sample for RetireService {
        fn sample() -> Self {
            RetireService {
                service_id: cpia(),
                occurred_at: t("2024-05-10T09:00:00Z"),
                reason: "sede trasferita".into(),
            }
        }
    }

    impl Sample for ScheduleSite {
        fn sample() -> Self {
            let hours = |day, opens: &str, closes: &str| OpeningHours {
                day,
                opens: opens.parse().unwrap(),
                closes: closes.parse().unwrap(),
            };
            ScheduleSite {
                site_id: site(),
                occurred_at: t("2024-05-02T07:00:00Z"),
                name: "Segretariato Sociale - via Montelucci 4".into(),
                opening_days: vec![Weekday::Tuesday, Weekday::Thursday],
                hours: vec![
                    hours(Weekday::Tuesday, "09:00", "12:00"),
                    hours(Weekday::Tuesday, "15:00", "17:00"),
                    hours(Weekday::Thursday, "09:00", "12:00"),
                    hours(Weekday::Thursday, "15:00", "17:00"),
                ],
                phones: vec!["0774 301234".into(), "0774 301235".into()],
            }
        }
    }
}
