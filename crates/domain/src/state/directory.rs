//! Decisions on the directory of services (`service-<ulid>`) and the sites' schedules
//! (`site-<slug>`).

use super::*;

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
        let event = SiteScheduled {
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            name: c.name.trim().to_string(),
            opening_days: c.opening_days.clone(),
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
