//! Folding events into the read models. No rules here: whatever is in the journal happened.

use domain::*;
use journal::RecordedEvent;

use crate::audit::AuditRow;
use crate::model::*;
use crate::search::SearchKeys;
use crate::sym::{bits, Sym};

fn len_ix(len: usize) -> Ix {
    u32::try_from(len - 1).expect("fewer than 2^32 rows")
}

impl ReadModels {
    /// Folds one event, decoded by the caller with `domain::Event::from_payload`.
    ///
    /// Events must come in position order; an event at or before [`ReadModels::position`] is
    /// ignored, so replaying an overlap is harmless.
    pub fn apply(&mut self, rec: &RecordedEvent, event: &Event) {
        if rec.position <= self.position {
            return;
        }
        let position = rec.position;
        let site = event
            .site_id()
            .map_or(Sym::NONE, |s| self.syms.intern(s.as_str()));
        let person = event.person_id().map(|p| self.person_ix(p));
        let case = event.case_id().map(|c| self.case_ix(c));
        self.push_audit(rec, site, person, case);
        // The case whose timeline this event joins (besides `case`).
        let mut extra_case: Option<Ix> = None;

        let target = match event {
            Event::PersonRegistered(e) => {
                let ix = self.person_ix(e.person_id);
                let profile = Profile {
                    event_id: rec.id,
                    site,
                    registered_at: e.occurred_at,
                    position,
                    birth_year: e.birth_year,
                    sex: e.sex,
                    citizenships: self.syms.intern_all(&e.citizenships),
                    country_of_birth: self.syms.intern(&e.country_of_birth),
                    arrival_year: e.arrival_year,
                    permit_type: e.permit_type,
                    permit_expires_on: e.permit_expires_on,
                    permit_renewal_pending: e.permit_renewal_pending,
                    updated_at: None,
                    languages: self.syms.intern_all(&e.languages),
                    household_size: e.household_size,
                    minor: e.minor,
                    unaccompanied_minor: e.unaccompanied_minor,
                    personal: e.personal.clone(),
                    search: SearchKeys::of(&e.personal),
                };
                self.persons[ix as usize].profile = Some(profile);
                Some(Target::Person(ix))
            }
            Event::PersonUpdated(e) => {
                let ix = self.person_ix(e.person_id);
                self.apply_update(ix, e);
                None
            }
            Event::ConsentGiven(e) => {
                let ix = self.person_ix(e.person_id);
                self.persons[ix as usize].consents |= bits(ConsentScope::ALL, &e.scopes);
                None
            }
            Event::ConsentWithdrawn(e) => {
                let ix = self.person_ix(e.person_id);
                self.persons[ix as usize].consents &= !bits(ConsentScope::ALL, &e.scopes);
                None
            }
            Event::VulnerabilityAssessed(e) => {
                let ix = self.person_ix(e.person_id);
                let p = &mut self.persons[ix as usize];
                p.vulnerabilities = bits(VulnerabilityCategory::ALL, &e.categories);
                p.assessed_at = Some(position);
                Some(Target::Assessment(ix))
            }
            Event::IntakeRecorded(e) => {
                let ix = self.person_ix(e.person_id);
                self.persons[ix as usize].last_intake = Some((position, rec.id, e.occurred_at));
                self.intakes.push(IntakeRow {
                    person: ix,
                    site,
                    at: e.occurred_at,
                    channel: e.channel,
                    needs: bits(NeedArea::ALL, &e.needs),
                });
                Some(Target::Intake(len_ix(self.intakes.len())))
            }
            Event::CaseOpened(e) => {
                let person = self.person_ix(e.person_id);
                let ix = self.case_ix(e.case_id);
                let mut timeline = Vec::new();
                // The intake that led to the case, when the person had one before it.
                if let Some((pos, id, at)) = self.persons[person as usize].last_intake {
                    timeline.push(TimelineEntry {
                        position: pos,
                        event_id: id,
                        event_type: "IntakeRecorded",
                        occurred_at: at,
                    });
                }
                let case_worker = self.syms.intern(&e.case_worker);
                self.cases[ix as usize] = Some(CaseRow {
                    id: e.case_id,
                    person,
                    site,
                    opened_at: e.occurred_at,
                    position,
                    case_worker,
                    vulnerabilities: bits(VulnerabilityCategory::ALL, &e.vulnerabilities),
                    partner_services: e.partner_services.clone(),
                    transitions: vec![Transition {
                        at: e.occurred_at,
                        position,
                        open: true,
                    }],
                    closure: None,
                    plan: None,
                    holding_service: None,
                    timeline,
                });
                Some(Target::CaseOpened(ix))
            }
            Event::CarePlanAgreed(e) => {
                let ix = self.case_ix(e.case_id);
                if let Some(c) = self.cases[ix as usize].as_mut() {
                    c.plan = Some(Plan {
                        event_id: rec.id,
                        agreed_at: e.occurred_at,
                        position,
                        needs: bits(NeedArea::ALL, &e.needs),
                        review_on: e.review_on,
                    });
                    for s in &e.partner_services {
                        if !c.partner_services.contains(s) {
                            c.partner_services.push(*s);
                        }
                    }
                }
                Some(Target::CarePlan(ix))
            }
            Event::CaseClosed(e) => {
                let ix = self.case_ix(e.case_id);
                if let Some(c) = self.cases[ix as usize].as_mut() {
                    c.transitions.push(Transition {
                        at: e.occurred_at,
                        position,
                        open: false,
                    });
                    c.closure = Some(Closure {
                        at: e.occurred_at,
                        position,
                        reason: e.reason,
                        outcome: e.outcome,
                    });
                }
                Some(Target::CaseClosed(ix))
            }
            Event::CaseReopened(e) => {
                let ix = self.case_ix(e.case_id);
                if let Some(c) = self.cases[ix as usize].as_mut() {
                    c.transitions.push(Transition {
                        at: e.occurred_at,
                        position,
                        open: true,
                    });
                }
                Some(Target::CaseReopened(ix))
            }
            Event::CaseTransferred(e) => {
                let worker = e.case_worker.as_ref().map(|w| self.syms.intern(w));
                let ix = self.case_ix(e.case_id);
                if let Some(c) = self.cases[ix as usize].as_mut() {
                    if let Some(w) = worker {
                        c.case_worker = w;
                    }
                    if let Some(holding) = &e.holding_service {
                        c.holding_service = Some(holding.clone());
                    }
                }
                None
            }
            Event::InterventionDelivered(e) => {
                let language = self.syms.intern(&e.language);
                self.interventions.push(InterventionRow {
                    person: person.unwrap_or(NO_IX),
                    case,
                    site,
                    at: e.occurred_at,
                    activity: e.activity,
                    mode: e.mode,
                    duration_minutes: e.duration_minutes,
                    language,
                    need: e.need,
                    outcome: e.outcome,
                });
                Some(Target::Intervention(len_ix(self.interventions.len())))
            }
            Event::ReferralIssued(e) => {
                let ix = self.referral_ix(e.referral_id);
                let issued_by = self.syms.intern(&rec.actor.id);
                self.referrals[ix as usize] = Some(ReferralRow {
                    id: e.referral_id,
                    event_id: rec.id,
                    issued_by,
                    person: person.unwrap_or(NO_IX),
                    case,
                    site,
                    service: e.service_id,
                    reason: e.reason,
                    urgency: e.urgency,
                    issued_at: e.occurred_at,
                    position,
                    outcomes: Vec::new(),
                });
                Some(Target::Referral(ix))
            }
            Event::ReferralOutcomeRecorded(e) => {
                let ix = self.referral_ix(e.referral_id);
                match self.referrals[ix as usize].as_mut() {
                    Some(r) => {
                        r.outcomes.push(OutcomeRow {
                            outcome: e.outcome,
                            at: e.occurred_at,
                            appointment_on: e.appointment_on,
                            position,
                        });
                        extra_case = r.case;
                        Some(Target::ReferralOutcome(ix, len_ix(r.outcomes.len())))
                    }
                    None => None,
                }
            }
            Event::MediationRequested(e) => {
                let ix = self.mediation_ix(e.mediation_id);
                let language = self.syms.intern(&e.language);
                self.mediations[ix as usize] = Some(MediationRow {
                    id: e.mediation_id,
                    site,
                    requested_at: e.occurred_at,
                    position,
                    mode: e.mode,
                    requesting_service: e.requesting_service,
                    person,
                    case,
                    language,
                    slot_start: e.slot_start,
                    slot_end: e.slot_end,
                    cancelled: None,
                    sessions: Vec::new(),
                });
                Some(Target::Mediation(ix))
            }
            Event::MediationSessionHeld(e) => {
                let m = self.mediation_ix(e.mediation_id);
                let session = SessionRow {
                    event_id: rec.id,
                    mediation: m,
                    site,
                    person,
                    case,
                    started_at: e.started_at,
                    ended_at: e.ended_at,
                    position,
                    mediator: self.syms.intern(&e.mediator),
                    from: self.syms.intern(&e.languages.from),
                    to: self.syms.intern(&e.languages.to),
                    kind: e.kind,
                    outcome: e.outcome,
                    follow_up_needed: e.follow_up_needed,
                    follow_up_by: e.follow_up_by,
                    place: e.place,
                };
                self.sessions.push(session);
                let ix = len_ix(self.sessions.len());
                if let Some(row) = self.mediations[m as usize].as_mut() {
                    row.sessions.push(ix);
                    if case.is_none() {
                        extra_case = row.case;
                    }
                }
                Some(Target::Session(ix))
            }
            Event::MediationCancelled(e) => {
                let ix = self.mediation_ix(e.mediation_id);
                if let Some(row) = self.mediations[ix as usize].as_mut() {
                    row.cancelled = Some((e.occurred_at, e.reason));
                    extra_case = row.case;
                }
                Some(Target::Cancellation(ix))
            }
            Event::GroupActivityHeld(e) => {
                self.groups.push(GroupRow {
                    site,
                    at: e.occurred_at,
                    kind: e.kind,
                    duration_minutes: e.duration_minutes,
                    attendees_third_country: e.attendees_third_country,
                    attendees_other: e.attendees_other,
                });
                Some(Target::Group(len_ix(self.groups.len())))
            }
            Event::InformationMaterialDistributed(_) => None,
            Event::SatisfactionSurveyCompleted(e) => {
                self.surveys.push(SurveyRow {
                    site,
                    at: e.occurred_at,
                    scores: scores_array(&e.scores),
                    helpful: e.helpful_for_integration,
                });
                Some(Target::Survey(len_ix(self.surveys.len())))
            }
            Event::LogbookEntryWritten(e) => {
                let row = LogbookRow {
                    site,
                    date: e.date,
                    written_at: e.occurred_at,
                    position,
                    mediator: self.syms.intern(&e.mediator),
                    slot: e.slot,
                    contacts: e.contacts,
                    languages: self.syms.intern_all(&e.languages),
                    emerging_needs: bits(NeedArea::ALL, &e.emerging_needs),
                    id: rec.id,
                    text: diary_text(e),
                    comments: Vec::new(),
                    redacted: false,
                };
                self.logbook.push(row);
                Some(Target::Logbook(len_ix(self.logbook.len())))
            }
            Event::SupervisionMeetingHeld(e) => {
                self.meetings.push(MeetingRow {
                    id: e.meeting_id,
                    event_id: rec.id,
                    actions: e
                        .actions
                        .iter()
                        .map(|a| ActionRow {
                            description: a.description.clone(),
                            owner: a.owner.clone(),
                            due_on: a.due_on,
                            done: false,
                        })
                        .collect(),
                    at: e.occurred_at,
                    position,
                    duration_minutes: e.duration_minutes,
                    supervisor: e.supervisor.clone(),
                    attendees: e.attendees.clone(),
                    sites: e.site_ids.clone(),
                    themes: e.themes.clone(),
                    cases_discussed: e.cases_discussed.clone(),
                    decisions: e.decisions.clone(),
                });
                for case_id in &e.cases_discussed {
                    let ix = self.case_ix(*case_id);
                    self.push_timeline(ix, rec, event);
                }
                Some(Target::Meeting(len_ix(self.meetings.len())))
            }
            Event::LogbookEntryCommented(e) => {
                if let Some((Target::Logbook(ix), _)) = self.targets.get(&e.entry_id) {
                    self.logbook[*ix as usize].comments.push(DiaryComment {
                        at: e.occurred_at,
                        position,
                        supervisor: e.supervisor.clone(),
                        comment: e.comment.clone(),
                    });
                }
                None
            }
            Event::TextRedacted(e) => {
                // The desk destroys the text's key once this is durable; the read models forget
                // the text at the same moment.
                match self.targets.get(&e.event_id) {
                    Some((Target::Logbook(ix), _)) => {
                        let l = &mut self.logbook[*ix as usize];
                        l.redacted = true;
                        l.text = l.text.as_ref().map(|t| Box::new(t.redacted()));
                        for c in &mut l.comments {
                            c.comment = PersonalNote::erased();
                        }
                    }
                    Some((Target::Meeting(ix), _)) => {
                        let m = &mut self.meetings[*ix as usize];
                        m.decisions = vec![PersonalNote::erased(); m.decisions.len()];
                        for a in &mut m.actions {
                            a.description = PersonalNote::erased();
                            a.owner = domain::ERASED.to_string();
                            a.due_on = None;
                        }
                    }
                    _ => {}
                }
                None
            }
            // Checkpoints are listed from the journal's `checkpoints` stream; no read model.
            Event::CheckpointSigned(_) => None,
            Event::SiteScheduled(e) => {
                let days: Vec<chrono::Weekday> =
                    e.opening_days.iter().map(|d| d.to_chrono()).collect();
                self.schedule.opening_days.insert(e.site_id.clone(), days);
                self.schedule
                    .names
                    .insert(e.site_id.clone(), e.name.clone());
                let calendar = self
                    .schedule
                    .calendars
                    .entry(e.site_id.clone())
                    .or_default();
                calendar.opening_days = e.opening_days.clone();
                calendar.hours = e.hours.clone();
                calendar.phones = e.phones.clone();
                None
            }
            Event::SiteClosed(e) => {
                self.schedule
                    .calendars
                    .entry(e.site_id.clone())
                    .or_default()
                    .closures
                    .push(domain::calendar::LocalClosure {
                        from: e.from,
                        to: e.to,
                        reason: e.reason.clone(),
                    });
                None
            }
            Event::AppointmentBooked(e) => {
                let ix = self.appointment_ix(e.appointment_id);
                let mediator = self.syms.intern(&e.mediator);
                let language = self.syms.intern(&e.language);
                self.appointments[ix as usize] = Some(AppointmentRow {
                    id: e.appointment_id,
                    event_id: rec.id,
                    position,
                    person: person.unwrap_or(NO_IX),
                    site,
                    booked_at: e.occurred_at,
                    starts_at: e.starts_at,
                    ends_at: e.ends_at,
                    mediator,
                    language,
                    channel: e.channel,
                    referred_by: e.referred_by,
                    status: AppointmentStatus::Booked,
                    rescheduled: 0,
                });
                None
            }
            Event::AppointmentRescheduled(e) => {
                let ix = self.appointment_ix(e.appointment_id);
                let mediator = self.syms.intern(&e.mediator);
                if let Some(a) = self.appointments[ix as usize].as_mut() {
                    a.starts_at = e.starts_at;
                    a.ends_at = e.ends_at;
                    a.mediator = mediator;
                    a.rescheduled += 1;
                }
                None
            }
            Event::AppointmentCancelled(e) => {
                self.appointment_ends(e.appointment_id, AppointmentStatus::Cancelled)
            }
            Event::AppointmentAttended(e) => {
                self.appointment_ends(e.appointment_id, AppointmentStatus::Attended)
            }
            Event::AppointmentMissed(e) => {
                self.appointment_ends(e.appointment_id, AppointmentStatus::Missed)
            }
            Event::SupervisionActionCompleted(e) => {
                let action = self
                    .meetings
                    .iter_mut()
                    .rev()
                    .find(|m| m.id == e.meeting_id)
                    .and_then(|m| m.actions.get_mut(e.action as usize));
                if let Some(action) = action {
                    action.done = true;
                }
                None
            }
            Event::ServiceMapped(e) => {
                let ix = self.service_ix(e.service_id);
                self.services[ix as usize] = Some(ServiceRow {
                    id: e.service_id,
                    description: e.description.clone(),
                    description_position: position,
                    mapped_at: e.occurred_at,
                    updated_at: None,
                    retired: None,
                });
                Some(Target::ServiceDescription(ix))
            }
            Event::ServiceUpdated(e) => {
                let ix = self.service_ix(e.service_id);
                if let Some(s) = self.services[ix as usize].as_mut() {
                    s.description = e.description.clone();
                    s.description_position = position;
                    s.updated_at = Some(e.occurred_at);
                }
                Some(Target::ServiceDescription(ix))
            }
            Event::ServiceRetired(e) => {
                let ix = self.service_ix(e.service_id);
                if let Some(s) = self.services[ix as usize].as_mut() {
                    s.retired = Some((e.occurred_at, e.reason.clone()));
                }
                Some(Target::ServiceRetired(ix))
            }
            Event::EventCorrected(e) => {
                self.apply_correction(e);
                None
            }
            Event::PersonTakenOn(e) => {
                let ix = self.person_ix(e.person_id);
                let site = self.syms.intern(e.site_id.as_str());
                self.persons[ix as usize].taken_on.push(site);
                None
            }
            Event::PersonsMerged(e) => {
                let ix = self.person_ix(e.person_id);
                let into = self.person_ix(e.into_person_id);
                self.persons[ix as usize].merged_into = into;
                None
            }
            Event::PersonErased(e) => {
                // The only personal data the read models hold is the registration's; the desk
                // decodes every other sealed value as erased from now on.
                let ix = self.person_ix(e.person_id);
                if let Some(profile) = self.persons[ix as usize].profile.as_mut() {
                    profile.personal = PersonalData::erased();
                    profile.search = SearchKeys::default();
                }
                None
            }
            // Staff accounts are read from the audit trail only (`push_audit` above).
            Event::StaffAccountOpened(_)
            | Event::StaffAccountDisabled(_)
            | Event::StaffPasswordReset(_) => None,
        };
        if let Some(c) = case {
            self.push_timeline(c, rec, event);
        }
        if let Some(c) = extra_case {
            self.push_timeline(c, rec, event);
        }
        if let Some(t) = target {
            self.targets.insert(rec.id, (t, position));
        }
        self.position = position;
    }

    fn appointment_ends(&mut self, id: AppointmentId, status: AppointmentStatus) -> Option<Target> {
        let ix = self.appointment_ix(id);
        if let Some(a) = self.appointments[ix as usize].as_mut() {
            a.status = status;
        }
        None
    }

    /// Counts an event the caller could not decode and keeps it in the audit index (with its
    /// stream, type, actor and times; site, person and case unknown).
    pub fn apply_undecodable(&mut self, rec: &RecordedEvent) {
        if rec.position <= self.position {
            return;
        }
        self.push_audit(rec, Sym::NONE, None, None);
        self.undecodable += 1;
        self.position = rec.position;
    }

    fn push_audit(&mut self, rec: &RecordedEvent, site: Sym, person: Option<Ix>, case: Option<Ix>) {
        let row = AuditRow {
            stream: self.syms.intern(&rec.stream),
            event_type: self.syms.intern(&rec.event_type),
            actor: self.syms.intern(&rec.actor.id),
            role: self.syms.intern(&rec.actor.role),
            site,
            person: person.unwrap_or(NO_IX),
            case: case.unwrap_or(NO_IX),
            occurred_us: rec.occurred_at.micros(),
            recorded_us: rec.recorded_at.micros(),
        };
        let expected = self.audit.first + self.audit.rows.len() as u64;
        let missing = if !self.audit.rows.is_empty() && expected < rec.position.get() {
            self.syms.intern("(missing)")
        } else {
            Sym::NONE
        };
        let gap = AuditRow {
            stream: Sym::NONE,
            event_type: missing,
            actor: Sym::NONE,
            role: Sym::NONE,
            site: Sym::NONE,
            person: NO_IX,
            case: NO_IX,
            occurred_us: 0,
            recorded_us: 0,
        };
        self.audit.push(rec.position, row, gap);
    }

    fn push_timeline(&mut self, case: Ix, rec: &RecordedEvent, event: &Event) {
        if let Some(c) = self.cases.get_mut(case as usize).and_then(Option::as_mut) {
            if c.timeline
                .last()
                .is_some_and(|t| t.position == rec.position)
            {
                return;
            }
            c.timeline.push(TimelineEntry {
                position: rec.position,
                event_id: rec.id,
                event_type: event.event_type(),
                occurred_at: event.occurred_at(),
            });
        }
    }
}

/// The free text of a logbook entry, or none when it has none.
fn diary_text(e: &domain::LogbookEntryWritten) -> Option<Box<DiaryText>> {
    let text = DiaryText {
        observations: e.observations.clone(),
        incidents: e.incidents.clone(),
        difficulties: e.difficulties.clone(),
        strategies: e.strategies.clone(),
        training_needs: e.training_needs.clone(),
    };
    let any = text.observations.is_some()
        || text.incidents.is_some()
        || text.difficulties.is_some()
        || text.strategies.is_some()
        || text.training_needs.is_some();
    any.then(|| Box::new(text))
}
