//! The desk's day: a site's or a mediator's agenda of appointments, and what is due, computed
//! from the facts already recorded. An item of the due list is open while the fact that closes
//! it is not recorded; each links to the fact it comes from.

use chrono::{DateTime, Days, NaiveDate, Utc};
use domain::calendar::rome_date;
use domain::*;
use journal::Position;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;
use ulid::Ulid;

use crate::apply::{At, Fold};
use crate::model::*;
use crate::sym::Sym;

/// Days ahead a permit's expiry is listed.
pub const PERMIT_WARNING_DAYS: u64 = 60;
/// Days after a referral (or its last outcome) by which the next outcome is due.
pub const REFERRAL_OUTCOME_DAYS: u64 = 30;
/// Days after a session by which a follow-up marked as needed is due, unless it says when.
pub const FOLLOW_UP_DAYS: u64 = 7;
/// Days after a supervision meeting by which an action without a due day is due.
pub const SUPERVISION_ACTION_DAYS: u64 = 30;

/// One appointment of an agenda, as the read models know it now.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentView {
    pub id: AppointmentId,
    /// The booking's event.
    pub event_id: Ulid,
    pub position: Position,
    /// The person, as the kept registration when theirs was merged into another.
    pub person: PersonId,
    pub site: SiteId,
    pub booked_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub mediator: String,
    pub language: String,
    pub channel: IntakeChannel,
    pub referred_by: Option<ServiceId>,
    pub status: AppointmentStatus,
    /// How many times it was moved.
    pub rescheduled: u32,
}

/// What an item of the due list asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueKind {
    /// An appointment to hold, then to record as attended or missed (or to cancel).
    Appointment,
    /// A person's residence permit expires: help with the renewal (closed by a new expiry, or a
    /// renewal pending).
    PermitExpiring,
    /// A care plan's review day (closed by a new plan, or the case closed).
    CarePlanReview,
    /// A referral's next outcome is not recorded (closed by an outcome; a final one ends it).
    ReferralOutcome,
    /// A mediation session marked a follow-up as needed (closed by the next session of the same
    /// request, or its cancellation).
    FollowUp,
    /// An action of a supervision meeting (closed by `SupervisionActionCompleted`).
    SupervisionAction,
}

/// One thing to do, by when, by whom, and the fact it comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DueItem {
    pub kind: DueKind,
    pub due_on: NaiveDate,
    /// Who the item falls to: the appointment's mediator, the case worker, who issued the
    /// referral, the session's mediator, the action's owner; none for a permit outside a case.
    pub owner: Option<String>,
    /// The site it belongs to; none for a supervision action (a meeting is about several).
    pub site: Option<SiteId>,
    /// The event the item comes from.
    pub event_id: Ulid,
    pub person: Option<PersonId>,
    pub case: Option<CaseId>,
    pub referral: Option<ReferralId>,
    pub mediation: Option<MediationId>,
    pub appointment: Option<AppointmentId>,
    pub meeting: Option<MeetingId>,
    /// The action's index in the meeting's actions.
    pub action: Option<u32>,
}

impl DueItem {
    fn new(kind: DueKind, due_on: NaiveDate, event_id: Ulid) -> Self {
        DueItem {
            kind,
            due_on,
            owner: None,
            site: None,
            event_id,
            person: None,
            case: None,
            referral: None,
            mediation: None,
            appointment: None,
            meeting: None,
            action: None,
        }
    }
}

/// Which items: those due on or before `on` + `within_days` (overdue ones too), of a site, of an
/// owner. Permits are listed [`PERMIT_WARNING_DAYS`] ahead, whatever `within_days`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueFilter {
    pub on: NaiveDate,
    pub within_days: u32,
    pub site: Option<SiteId>,
    pub owner: Option<String>,
}

fn plus(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days))
        .unwrap_or(NaiveDate::MAX)
}

impl ReadModels {
    /// The appointments of a day (Rome's date of their start) at a site (every site for `None`)
    /// and of a mediator, in time order; cancelled ones included, with their status.
    pub fn agenda(
        &self,
        site: Option<&SiteId>,
        date: NaiveDate,
        mediator: Option<&str>,
    ) -> Vec<AppointmentView> {
        let Some(site) = self.site_filter(&site.cloned()) else {
            return Vec::new();
        };
        let mediator = mediator.map(|m| self.syms.get(m));
        let mut rows: Vec<&AppointmentRow> = self
            .appointments
            .iter()
            .flatten()
            .filter(|a| {
                site.is_none_or(|s| s == a.site)
                    && mediator.is_none_or(|m| m == Some(a.mediator))
                    && rome_date(a.starts_at) == date
            })
            .collect();
        rows.sort_by_key(|a| (a.starts_at, a.position));
        rows.into_iter().map(|a| self.appointment_view(a)).collect()
    }

    /// One appointment, if it was booked.
    pub fn appointment(&self, id: AppointmentId) -> Option<AppointmentView> {
        let ix = self.appointment_keys.get(&id)?;
        self.appointments[ix as usize]
            .as_ref()
            .map(|a| self.appointment_view(a))
    }

    fn appointment_view(&self, a: &AppointmentRow) -> AppointmentView {
        AppointmentView {
            id: a.id,
            event_id: a.event_id,
            position: a.position,
            person: self.person_keys.key(self.kept(a.person)),
            site: SiteId::new(self.syms.name(a.site)),
            booked_at: a.booked_at,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            mediator: self.syms.name(a.mediator).to_string(),
            language: self.syms.name(a.language).to_string(),
            channel: a.channel,
            referred_by: a.referred_by,
            status: a.status,
            rescheduled: a.rescheduled,
        }
    }

    /// What is due (see [`DueKind`] for what closes each kind), by due day then kind.
    pub fn due(&self, f: &DueFilter) -> Vec<DueItem> {
        let Some(site_sym) = self.site_filter(&f.site) else {
            return Vec::new();
        };
        let horizon = plus(f.on, u64::from(f.within_days));
        let at_site = |s: Sym| site_sym.is_none_or(|x| x == s);
        let mut items = Vec::new();
        self.due_appointments(&at_site, horizon, &mut items);
        self.due_permits(
            &at_site,
            plus(f.on, PERMIT_WARNING_DAYS).max(horizon),
            &mut items,
        );
        self.due_reviews(&at_site, horizon, &mut items);
        self.due_referrals(&at_site, horizon, &mut items);
        self.due_follow_ups(&at_site, horizon, &mut items);
        self.due_actions(f.site.as_ref(), horizon, &mut items);
        items.retain(|i| f.owner.as_ref().is_none_or(|o| i.owner.as_ref() == Some(o)));
        items.sort_by_key(|i| (i.due_on, i.kind));
        items
    }

    fn site_name(&self, sym: Sym) -> Option<SiteId> {
        (sym != Sym::NONE).then(|| SiteId::new(self.syms.name(sym)))
    }

    fn due_appointments(
        &self,
        at_site: &dyn Fn(Sym) -> bool,
        horizon: NaiveDate,
        out: &mut Vec<DueItem>,
    ) {
        for a in self.appointments.iter().flatten() {
            let day = rome_date(a.starts_at);
            if a.status != AppointmentStatus::Booked || !at_site(a.site) || day > horizon {
                continue;
            }
            let mut item = DueItem::new(DueKind::Appointment, day, a.event_id);
            item.owner = Some(self.syms.name(a.mediator).to_string());
            item.site = self.site_name(a.site);
            item.person = Some(self.person_keys.key(self.kept(a.person)));
            item.appointment = Some(a.id);
            out.push(item);
        }
    }

    fn due_permits(
        &self,
        at_site: &dyn Fn(Sym) -> bool,
        horizon: NaiveDate,
        out: &mut Vec<DueItem>,
    ) {
        // The case worker of each person's open case.
        let mut workers: HashMap<Ix, (Sym, CaseId)> = HashMap::default();
        for c in self.cases.iter().flatten() {
            if c.is_open() {
                workers.insert(self.kept(c.person), (c.case_worker, c.id));
            }
        }
        for (ix, p) in self.persons.iter().enumerate() {
            let Some(profile) = p.profile.as_ref() else {
                continue;
            };
            let Some(expires) = profile.permit_expires_on else {
                continue;
            };
            let of_site = at_site(profile.site) || p.taken_on.iter().any(|s| at_site(*s));
            if p.merged_into != NO_IX
                || profile.personal.is_erased()
                || profile.permit_renewal_pending
                || !of_site
                || expires > horizon
            {
                continue;
            }
            let ix = Ix::try_from(ix).unwrap_or(NO_IX);
            let mut item = DueItem::new(DueKind::PermitExpiring, expires, profile.event_id);
            if let Some((worker, case)) = workers.get(&ix) {
                item.owner = Some(self.syms.name(*worker).to_string());
                item.case = Some(*case);
            }
            item.site = self.site_name(profile.site);
            item.person = Some(p.id);
            out.push(item);
        }
    }

    fn due_reviews(
        &self,
        at_site: &dyn Fn(Sym) -> bool,
        horizon: NaiveDate,
        out: &mut Vec<DueItem>,
    ) {
        for c in self.cases.iter().flatten() {
            let Some(plan) = c.plan.as_ref() else {
                continue;
            };
            if !c.is_open() || !at_site(c.site) || plan.review_on > horizon {
                continue;
            }
            let mut item = DueItem::new(DueKind::CarePlanReview, plan.review_on, plan.event_id);
            item.owner = Some(self.syms.name(c.case_worker).to_string());
            item.site = self.site_name(c.site);
            item.person = Some(self.person_keys.key(self.kept(c.person)));
            item.case = Some(c.id);
            out.push(item);
        }
    }

    fn due_referrals(
        &self,
        at_site: &dyn Fn(Sym) -> bool,
        horizon: NaiveDate,
        out: &mut Vec<DueItem>,
    ) {
        for r in self.referrals.iter().flatten() {
            if !at_site(r.site) || r.outcomes.iter().any(|o| o.outcome.is_final()) {
                continue;
            }
            let due_on = match r.outcomes.last() {
                None => plus(rome_date(r.issued_at), REFERRAL_OUTCOME_DAYS),
                Some(OutcomeRow {
                    appointment_on: Some(day),
                    ..
                }) => plus(*day, 1),
                Some(last) => plus(rome_date(last.at), REFERRAL_OUTCOME_DAYS),
            };
            if due_on > horizon {
                continue;
            }
            let mut item = DueItem::new(DueKind::ReferralOutcome, due_on, r.event_id);
            item.owner = Some(self.syms.name(r.issued_by).to_string());
            item.site = self.site_name(r.site);
            item.person = (r.person != NO_IX).then(|| self.person_keys.key(self.kept(r.person)));
            item.case = r.case.map(|c| self.case_keys.key(c));
            item.referral = Some(r.id);
            out.push(item);
        }
    }

    fn due_follow_ups(
        &self,
        at_site: &dyn Fn(Sym) -> bool,
        horizon: NaiveDate,
        out: &mut Vec<DueItem>,
    ) {
        for m in self.mediations.iter().flatten() {
            // Only the latest session can wait for its follow-up: a later one is it.
            let Some(last) = m
                .sessions
                .iter()
                .map(|s| &self.sessions[*s as usize])
                .max_by_key(|s| s.position)
            else {
                continue;
            };
            if !last.follow_up_needed || m.cancelled.is_some() || !at_site(last.site) {
                continue;
            }
            let due_on = last
                .follow_up_by
                .unwrap_or_else(|| plus(rome_date(last.ended_at), FOLLOW_UP_DAYS));
            if due_on > horizon {
                continue;
            }
            let mut item = DueItem::new(DueKind::FollowUp, due_on, last.event_id);
            item.owner = Some(self.syms.name(last.mediator).to_string());
            item.site = self.site_name(last.site);
            item.person = last.person.map(|p| self.person_keys.key(self.kept(p)));
            item.case = last.case.map(|c| self.case_keys.key(c));
            item.mediation = Some(m.id);
            out.push(item);
        }
    }

    fn due_actions(&self, site: Option<&SiteId>, horizon: NaiveDate, out: &mut Vec<DueItem>) {
        for m in &self.meetings {
            if site.is_some_and(|s| !m.sites.contains(s)) {
                continue;
            }
            for (i, a) in m.actions.iter().enumerate() {
                let due_on = a
                    .due_on
                    .unwrap_or_else(|| plus(rome_date(m.at), SUPERVISION_ACTION_DAYS));
                if a.done || due_on > horizon {
                    continue;
                }
                let mut item = DueItem::new(DueKind::SupervisionAction, due_on, m.event_id);
                item.owner = Some(a.owner.clone());
                item.meeting = Some(m.id);
                item.action = u32::try_from(i).ok();
                out.push(item);
            }
        }
    }
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct AppointmentRow {
    pub id: AppointmentId,
    /// The booking's event.
    pub event_id: Ulid,
    pub position: Position,
    pub person: Ix,
    pub site: Sym,
    pub booked_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub mediator: Sym,
    pub language: Sym,
    pub channel: IntakeChannel,
    pub referred_by: Option<ServiceId>,
    pub status: AppointmentStatus,
    /// How many times it was moved.
    pub rescheduled: u32,
}

// The fold: no rules here, whatever is in the journal happened.

impl Fold for AppointmentBooked {
    fn fold(&self, m: &mut ReadModels, at: &mut At) -> Option<Target> {
        let At {
            rec,
            position,
            site,
            person,
            ..
        } = *at;
        let ix = m.appointment_ix(self.appointment_id);
        let mediator = m.syms.intern(&self.mediator);
        let language = m.syms.intern(&self.language);
        m.appointments[ix as usize] = Some(AppointmentRow {
            id: self.appointment_id,
            event_id: rec.id,
            position,
            person: person.unwrap_or(NO_IX),
            site,
            booked_at: self.occurred_at,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            mediator,
            language,
            channel: self.channel,
            referred_by: self.referred_by,
            status: AppointmentStatus::Booked,
            rescheduled: 0,
        });
        None
    }
}

impl Fold for AppointmentRescheduled {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        let ix = m.appointment_ix(self.appointment_id);
        let mediator = m.syms.intern(&self.mediator);
        if let Some(a) = m.appointments[ix as usize].as_mut() {
            a.starts_at = self.starts_at;
            a.ends_at = self.ends_at;
            a.mediator = mediator;
            a.rescheduled += 1;
        }
        None
    }
}

impl Fold for AppointmentCancelled {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        m.appointment_ends(self.appointment_id, AppointmentStatus::Cancelled)
    }
}

impl Fold for AppointmentAttended {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        m.appointment_ends(self.appointment_id, AppointmentStatus::Attended)
    }
}

impl Fold for AppointmentMissed {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        m.appointment_ends(self.appointment_id, AppointmentStatus::Missed)
    }
}

impl ReadModels {
    fn appointment_ends(&mut self, id: AppointmentId, status: AppointmentStatus) -> Option<Target> {
        let ix = self.appointment_ix(id);
        if let Some(a) = self.appointments[ix as usize].as_mut() {
            a.status = status;
        }
        None
    }
}
