//! Corrections: an `EventCorrected` gives new values for fields of an earlier event, by their
//! JSON names. The rows that event made take the new values from the correction's position on;
//! fields the read models do not keep are ignored (the audit trail keeps the correction).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::apply::{At, Fold};
use crate::model::*;
use crate::search::SearchKeys;
use crate::sym::bits;

type Fields = BTreeMap<String, Value>;

/// The corrected value of `name`, when the correction gives one that reads as `T`.
fn get<T: DeserializeOwned>(fields: &Fields, name: &str) -> Option<T> {
    fields
        .get(name)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn set<T: DeserializeOwned>(fields: &Fields, name: &str, slot: &mut T) {
    if let Some(v) = get(fields, name) {
        *slot = v;
    }
}

fn occurred(fields: &Fields) -> Option<DateTime<Utc>> {
    get(fields, "occurredAt")
}

impl ReadModels {
    pub(crate) fn apply_correction(&mut self, e: &EventCorrected) {
        let Some(&(target, corrected_position)) = self.targets.get(&e.corrects) else {
            self.corrections_unmatched += 1;
            return;
        };
        let f = &e.fields;
        match target {
            Target::Person(ix) => {
                let citizenships =
                    get::<Vec<String>>(f, "citizenships").map(|v| self.syms.intern_all(&v));
                let languages =
                    get::<Vec<String>>(f, "languages").map(|v| self.syms.intern_all(&v));
                let country = get::<String>(f, "countryOfBirth").map(|v| self.syms.intern(&v));
                let Some(p) = self.persons[ix as usize].profile.as_mut() else {
                    return;
                };
                if let Some(at) = occurred(f) {
                    p.registered_at = at;
                }
                set(f, "birthYear", &mut p.birth_year);
                set(f, "sex", &mut p.sex);
                set(f, "arrivalYear", &mut p.arrival_year);
                // A correction written when `renewal_pending` was a type reads as the upcast of
                // `PersonRegistered` v1 does: type unknown, renewal pending.
                if let Some(old) = get::<PermitTypeV1>(f, "permitType") {
                    (p.permit_type, p.permit_renewal_pending) = old.upcast();
                }
                set(f, "permitRenewalPending", &mut p.permit_renewal_pending);
                set(f, "permitExpiresOn", &mut p.permit_expires_on);
                set(f, "householdSize", &mut p.household_size);
                set(f, "minor", &mut p.minor);
                set(f, "unaccompaniedMinor", &mut p.unaccompanied_minor);
                if let Some(v) = citizenships {
                    p.citizenships = v;
                }
                if let Some(v) = languages {
                    p.languages = v;
                }
                if let Some(v) = country {
                    p.country_of_birth = v;
                }
                set(&e.personal_fields.0, "personal", &mut p.personal);
                p.search = SearchKeys::of(&p.personal);
            }
            Target::Assessment(ix) => {
                let p = &mut self.persons[ix as usize];
                if p.assessed_at == Some(corrected_position) {
                    if let Some(c) = get::<Vec<VulnerabilityCategory>>(f, "categories") {
                        p.vulnerabilities = bits(VulnerabilityCategory::ALL, &c);
                    }
                }
            }
            Target::Intake(ix) => {
                let r = &mut self.intakes[ix as usize];
                set(f, "occurredAt", &mut r.at);
                set(f, "channel", &mut r.channel);
                if let Some(n) = get::<Vec<NeedArea>>(f, "needs") {
                    r.needs = bits(NeedArea::ALL, &n);
                }
                let person = r.person;
                let at = r.at;
                if let Some(last) = self.persons[person as usize].last_intake.as_mut() {
                    if last.0 == corrected_position {
                        last.2 = at;
                    }
                }
            }
            Target::CaseOpened(ix) => {
                let worker = get::<String>(f, "caseWorker").map(|w| self.syms.intern(&w));
                let Some(c) = self.cases[ix as usize].as_mut() else {
                    return;
                };
                if let Some(w) = worker {
                    c.case_worker = w;
                }
                if let Some(v) = get::<Vec<VulnerabilityCategory>>(f, "vulnerabilities") {
                    c.vulnerabilities = bits(VulnerabilityCategory::ALL, &v);
                }
                if let Some(at) = occurred(f) {
                    c.opened_at = at;
                    retime(c, corrected_position, at);
                }
            }
            Target::CarePlan(ix) => {
                let Some(c) = self.cases[ix as usize].as_mut() else {
                    return;
                };
                if let Some(plan) = c.plan.as_mut().filter(|p| p.position == corrected_position) {
                    set(f, "occurredAt", &mut plan.agreed_at);
                    set::<NaiveDate>(f, "reviewOn", &mut plan.review_on);
                    if let Some(n) = get::<Vec<NeedArea>>(f, "needs") {
                        plan.needs = bits(NeedArea::ALL, &n);
                    }
                }
                if let Some(at) = occurred(f) {
                    retime(c, corrected_position, at);
                }
            }
            Target::CaseClosed(ix) | Target::CaseReopened(ix) => {
                let Some(c) = self.cases[ix as usize].as_mut() else {
                    return;
                };
                if let Some(cl) = c
                    .closure
                    .as_mut()
                    .filter(|cl| cl.position == corrected_position)
                {
                    set(f, "reason", &mut cl.reason);
                    set(f, "outcome", &mut cl.outcome);
                    set(f, "occurredAt", &mut cl.at);
                }
                if let Some(at) = occurred(f) {
                    retime(c, corrected_position, at);
                }
            }
            Target::Intervention(ix) => {
                let language = get::<String>(f, "language").map(|l| self.syms.intern(&l));
                let r = &mut self.interventions[ix as usize];
                set(f, "occurredAt", &mut r.at);
                set(f, "activity", &mut r.activity);
                set(f, "mode", &mut r.mode);
                set(f, "durationMinutes", &mut r.duration_minutes);
                set(f, "need", &mut r.need);
                set(f, "outcome", &mut r.outcome);
                if let Some(l) = language {
                    r.language = l;
                }
                let (at, case) = (r.at, r.case);
                self.retime_timeline(case, corrected_position, at);
            }
            Target::Referral(ix) => {
                let Some(r) = self.referrals[ix as usize].as_mut() else {
                    return;
                };
                set(f, "occurredAt", &mut r.issued_at);
                set(f, "reason", &mut r.reason);
                set(f, "urgency", &mut r.urgency);
                let (at, case) = (r.issued_at, r.case);
                self.retime_timeline(case, corrected_position, at);
            }
            Target::ReferralOutcome(ix, i) => {
                let Some(r) = self.referrals[ix as usize].as_mut() else {
                    return;
                };
                let case = r.case;
                if let Some(o) = r.outcomes.get_mut(i as usize) {
                    set(f, "occurredAt", &mut o.at);
                    set(f, "outcome", &mut o.outcome);
                    set(f, "appointmentOn", &mut o.appointment_on);
                    let at = o.at;
                    self.retime_timeline(case, corrected_position, at);
                }
            }
            Target::Mediation(ix) => {
                let language = get::<String>(f, "language").map(|l| self.syms.intern(&l));
                let Some(m) = self.mediations[ix as usize].as_mut() else {
                    return;
                };
                set(f, "occurredAt", &mut m.requested_at);
                set(f, "mode", &mut m.mode);
                set(f, "slotStart", &mut m.slot_start);
                set(f, "slotEnd", &mut m.slot_end);
                if let Some(l) = language {
                    m.language = l;
                }
                let (at, case) = (m.requested_at, m.case);
                self.retime_timeline(case, corrected_position, at);
            }
            Target::Session(ix) => {
                let mediator = get::<String>(f, "mediator").map(|m| self.syms.intern(&m));
                let pair = get::<LanguagePair>(f, "languages")
                    .map(|p| (self.syms.intern(&p.from), self.syms.intern(&p.to)));
                let s = &mut self.sessions[ix as usize];
                set(f, "startedAt", &mut s.started_at);
                set(f, "endedAt", &mut s.ended_at);
                set(f, "kind", &mut s.kind);
                set(f, "outcome", &mut s.outcome);
                set(f, "followUpNeeded", &mut s.follow_up_needed);
                if let Some(m) = mediator {
                    s.mediator = m;
                }
                if let Some((from, to)) = pair {
                    s.from = from;
                    s.to = to;
                }
                let (at, case) = (s.started_at, s.case);
                self.retime_timeline(case, corrected_position, at);
            }
            Target::Cancellation(ix) => {
                if let Some((at, reason)) = self.mediations[ix as usize]
                    .as_mut()
                    .and_then(|m| m.cancelled.as_mut())
                {
                    set(f, "occurredAt", at);
                    set(f, "reason", reason);
                }
            }
            Target::Group(ix) => {
                let g = &mut self.groups[ix as usize];
                set(f, "occurredAt", &mut g.at);
                set(f, "kind", &mut g.kind);
                set(f, "durationMinutes", &mut g.duration_minutes);
                set(f, "attendeesThirdCountry", &mut g.attendees_third_country);
                set(f, "attendeesOther", &mut g.attendees_other);
            }
            Target::Survey(ix) => {
                let s = &mut self.surveys[ix as usize];
                set(f, "occurredAt", &mut s.at);
                set(f, "helpfulForIntegration", &mut s.helpful);
                if let Some(scores) = get::<Vec<ItemScore>>(f, "scores") {
                    s.set_scores(&mut self.syms, &scores);
                }
            }
            Target::Logbook(ix) => {
                let mediator = get::<String>(f, "mediator").map(|m| self.syms.intern(&m));
                let languages =
                    get::<Vec<String>>(f, "languages").map(|v| self.syms.intern_all(&v));
                let l = &mut self.logbook[ix as usize];
                set(f, "occurredAt", &mut l.written_at);
                set(f, "slot", &mut l.slot);
                set(f, "contacts", &mut l.contacts);
                if let Some(n) = get::<Vec<NeedArea>>(f, "emergingNeeds") {
                    l.emerging_needs = bits(NeedArea::ALL, &n);
                }
                if let Some(m) = mediator {
                    l.mediator = m;
                }
                if let Some(v) = languages {
                    l.languages = v;
                }
                let p = &e.personal_fields.0;
                if !p.is_empty() && !l.redacted {
                    let mut text = l.text.as_deref().cloned().unwrap_or_default();
                    set(p, "observations", &mut text.observations);
                    set(p, "incidents", &mut text.incidents);
                    set(p, "difficulties", &mut text.difficulties);
                    set(p, "strategies", &mut text.strategies);
                    set(p, "trainingNeeds", &mut text.training_needs);
                    l.text = Some(Box::new(text));
                }
            }
            Target::Meeting(ix) => {
                let m = &mut self.meetings[ix as usize];
                set(f, "occurredAt", &mut m.at);
                set(f, "durationMinutes", &mut m.duration_minutes);
                set(f, "supervisor", &mut m.supervisor);
                set(f, "attendees", &mut m.attendees);
                set(f, "themes", &mut m.themes);
                set(&e.personal_fields.0, "decisions", &mut m.decisions);
                let mut actions: Vec<SupervisionAction> =
                    m.actions.iter().map(ActionRow::action).collect();
                set(&e.personal_fields.0, "actions", &mut actions);
                // What an action says may be corrected; whether it was done is a fact of its own.
                m.actions = actions
                    .into_iter()
                    .enumerate()
                    .map(|(i, a)| ActionRow {
                        description: a.description,
                        owner: a.owner,
                        due_on: a.due_on,
                        done: m.actions.get(i).is_some_and(|r| r.done),
                    })
                    .collect();
            }
            Target::ServiceDescription(ix) => {
                let Some(s) = self.services[ix as usize].as_mut() else {
                    return;
                };
                if s.description_position != corrected_position {
                    return;
                }
                // The description is flattened into the event: merge the corrected fields.
                if let Ok(Value::Object(mut map)) = serde_json::to_value(&s.description) {
                    for (k, v) in f {
                        if map.contains_key(k) {
                            map.insert(k.clone(), v.clone());
                        }
                    }
                    if let Ok(d) = serde_json::from_value::<ServiceDescription>(Value::Object(map))
                    {
                        s.description = d;
                    }
                }
            }
            Target::ServiceRetired(ix) => {
                if let Some((at, reason)) = self.services[ix as usize]
                    .as_mut()
                    .and_then(|s| s.retired.as_mut())
                {
                    set(f, "occurredAt", at);
                    set(f, "reason", reason);
                }
            }
        }
    }

    /// A corrected time also moves the event's entry in the timeline of its case.
    fn retime_timeline(
        &mut self,
        case: Option<Ix>,
        position: journal::Position,
        at: DateTime<Utc>,
    ) {
        if let Some(c) = case
            .and_then(|c| self.cases.get_mut(c as usize))
            .and_then(Option::as_mut)
        {
            retime(c, position, at);
        }
    }
}

fn retime(c: &mut CaseRow, position: journal::Position, at: DateTime<Utc>) {
    for t in c.transitions.iter_mut().filter(|t| t.position == position) {
        t.at = at;
    }
    // Found first, then changed: only the entries changed are copied from a clone's timeline.
    let entries: Vec<usize> = (c.timeline.iter().enumerate())
        .filter(|(_, t)| t.position == position)
        .map(|(i, _)| i)
        .collect();
    for i in entries {
        c.timeline[i].occurred_at = at;
    }
}

// The fold: no rules here, whatever is in the journal happened.

impl Fold for EventCorrected {
    fn fold(&self, m: &mut ReadModels, _: &mut At) -> Option<Target> {
        m.apply_correction(self);
        None
    }
}
