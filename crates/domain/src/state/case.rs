//! Decisions on a case's stream (`case-<ulid>`): opening, care plan, closing, reopening, and
//! the interventions delivered (on the case's stream, or the person's outside a case).

use super::*;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct CaseState {
    pub(super) person_id: PersonId,
    pub(super) site_id: SiteId,
    pub(super) opened_at: DateTime<Utc>,
    pub(super) open: bool,
    /// Who holds the case now (`CaseOpened`, then each `CaseTransferred` that names one).
    pub(super) case_worker: String,
}

impl DeskState {
    pub(super) fn open_case(&self, c: &OpenCase) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !self.cases.contains_key(&c.case_id),
            "caseId",
            K::AlreadyExists,
            "this case is already open"
        );
        let p = self.person(c.person_id, "personId")?;
        ensure!(
            p.open_case.is_none(),
            "personId",
            K::CaseAlreadyOpen,
            "the person already has an open case"
        );
        ensure!(
            !c.case_worker.trim().is_empty(),
            "caseWorker",
            K::Required,
            "say who holds the case"
        );
        no_duplicates(&c.vulnerabilities, "vulnerabilities")?;
        for (i, s) in c.partner_services.iter().enumerate() {
            self.usable_service(*s, &format!("partnerServices[{i}]"))?;
        }
        let event = CaseOpened {
            case_id: c.case_id,
            person_id: c.person_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            case_worker: c.case_worker.clone(),
            vulnerabilities: c.vulnerabilities.clone(),
            partner_services: c.partner_services.clone(),
        };
        self.creation(StreamId::case(c.case_id), "caseId", "case", event)
    }

    pub(super) fn agree_care_plan(&self, c: &AgreeCarePlan) -> Decided {
        let case = self.case(c.case_id, "caseId")?;
        ensure!(
            case.open,
            "caseId",
            K::CaseClosed,
            "the case is closed: reopen it first"
        );
        after_opening(case, c.occurred_at)?;
        ensure!(
            !c.needs.is_empty(),
            "needs",
            K::Required,
            "say at least one area of need"
        );
        ensure!(
            c.review_on > desk_day(c.occurred_at),
            "reviewOn",
            K::OutOfRange,
            "the review date must come after the day the plan is agreed"
        );
        for (i, s) in c.partner_services.iter().enumerate() {
            self.usable_service(*s, &format!("partnerServices[{i}]"))?;
        }
        let event = CarePlanAgreed {
            case_id: c.case_id,
            person_id: case.person_id,
            site_id: case.site_id.clone(),
            occurred_at: c.occurred_at,
            needs: c.needs.clone(),
            goals: c.goals.clone(),
            partner_services: c.partner_services.clone(),
            review_on: c.review_on,
        };
        self.decision(StreamId::case(c.case_id), event)
    }

    pub(super) fn close_case(&self, c: &CloseCase) -> Decided {
        let case = self.case(c.case_id, "caseId")?;
        ensure!(
            case.open,
            "caseId",
            K::CaseClosed,
            "the case is already closed"
        );
        after_opening(case, c.occurred_at)?;
        let event = CaseClosed {
            case_id: c.case_id,
            person_id: case.person_id,
            site_id: case.site_id.clone(),
            occurred_at: c.occurred_at,
            reason: c.reason,
            outcome: c.outcome,
            note: c.note.clone(),
        };
        self.decision(StreamId::case(c.case_id), event)
    }

    pub(super) fn reopen_case(&self, c: &ReopenCase) -> Decided {
        let case = self.case(c.case_id, "caseId")?;
        ensure!(
            !case.open,
            "caseId",
            K::CaseNotClosed,
            "the case is open: there is nothing to reopen"
        );
        after_opening(case, c.occurred_at)?;
        let p = self.person(case.person_id, "personId")?;
        ensure!(
            p.open_case.is_none(),
            "caseId",
            K::CaseAlreadyOpen,
            "the person has another open case"
        );
        let event = CaseReopened {
            case_id: c.case_id,
            person_id: case.person_id,
            site_id: case.site_id.clone(),
            occurred_at: c.occurred_at,
            note: c.note.clone(),
        };
        self.decision(StreamId::case(c.case_id), event)
    }

    pub(super) fn transfer_case(&self, c: &TransferCase) -> Decided {
        let case = self.case(c.case_id, "caseId")?;
        ensure!(
            case.open,
            "caseId",
            K::CaseClosed,
            "the case is closed: reopen it first"
        );
        after_opening(case, c.occurred_at)?;
        ensure!(
            c.case_worker.is_some() || c.holding_service.is_some(),
            "caseWorker",
            K::Required,
            "say who takes the case, or which service holds it"
        );
        if let Some(worker) = &c.case_worker {
            ensure!(
                !worker.trim().is_empty(),
                "caseWorker",
                K::Required,
                "say who takes the case"
            );
            ensure!(
                *worker != case.case_worker,
                "caseWorker",
                K::Invalid,
                "the case is already with this case worker"
            );
        }
        if let Some(holding) = &c.holding_service {
            self.usable_service(holding.service_id, "holdingService.serviceId")?;
            ensure!(
                !holding.reference.trim().is_empty(),
                "holdingService.reference",
                K::Required,
                "give the service's own reference for the case"
            );
        }
        let event = CaseTransferred {
            case_id: c.case_id,
            person_id: case.person_id,
            site_id: case.site_id.clone(),
            occurred_at: c.occurred_at,
            case_worker: c.case_worker.clone(),
            holding_service: c.holding_service.clone(),
        };
        self.decision(StreamId::case(c.case_id), event)
    }

    pub(super) fn record_case_conference(&self, c: &RecordCaseConference) -> Decided {
        let case = self.case(c.case_id, "caseId")?;
        ensure!(
            case.open,
            "caseId",
            K::CaseClosed,
            "the case is closed: reopen it first"
        );
        after_opening(case, c.occurred_at)?;
        ensure!(
            !c.mediator.trim().is_empty(),
            "mediator",
            K::Required,
            "say who took part for the desk"
        );
        ensure!(
            !c.services.is_empty(),
            "services",
            K::Required,
            "name the services of the directory present"
        );
        no_duplicates(&c.services, "services")?;
        for (i, s) in c.services.iter().enumerate() {
            self.usable_service(*s, &format!("services[{i}]"))?;
        }
        if let Some(review) = c.next_review {
            ensure!(
                review >= desk_day(c.occurred_at),
                "nextReview",
                K::OutOfRange,
                "the next review comes after the conference"
            );
        }
        let event = CaseConferenceHeld {
            case_id: c.case_id,
            person_id: case.person_id,
            site_id: case.site_id.clone(),
            occurred_at: c.occurred_at,
            mediator: c.mediator.trim().to_string(),
            services: c.services.clone(),
            participants: c.participants.clone(),
            decisions: c.decisions.clone(),
            next_review: c.next_review,
        };
        self.decision(StreamId::case(c.case_id), event)
    }

    pub(super) fn record_intervention(&self, c: &RecordIntervention) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !self.interventions.contains(&c.intervention_id),
            "interventionId",
            K::AlreadyExists,
            "this intervention is already recorded (the same id was sent twice)"
        );
        self.person(c.person_id, "personId")?;
        if let Some(case_id) = c.case_id {
            self.open_case_of(case_id, c.person_id, "caseId")?;
        }
        duration(c.duration_minutes, "durationMinutes")?;
        ensure!(
            !c.staff.iter().all(|s| s.trim().is_empty()),
            "staff",
            K::Required,
            "say who delivered the intervention"
        );
        language(&c.language, "language")?;
        match c.activity {
            Activity::IntegratedCaseSupport => {
                ensure!(
                    c.case_id.is_some(),
                    "caseId",
                    K::Required,
                    "integrated case support is given within a case"
                );
                ensure!(
                    c.service_id.is_some(),
                    "serviceId",
                    K::Required,
                    "say which partner service is supported"
                );
            }
            Activity::LegalAdvice => {
                ensure!(
                    c.legal_topic.is_some(),
                    "legalTopic",
                    K::Required,
                    "say the topic of the legal advice"
                );
            }
            Activity::ParentalSupport => {
                ensure!(
                    c.parental_kind.is_some(),
                    "parentalKind",
                    K::Required,
                    "say which kind of parental support"
                );
            }
            Activity::OrientationAccompaniment => {}
        }
        if let Some(s) = c.service_id {
            self.usable_service(s, "serviceId")?;
        }
        let event = InterventionDelivered {
            intervention_id: c.intervention_id,
            person_id: c.person_id,
            case_id: c.case_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            activity: c.activity,
            mode: c.mode,
            duration_minutes: c.duration_minutes,
            staff: c.staff.clone(),
            language: c.language.clone(),
            need: c.need,
            service_id: c.service_id,
            legal_topic: c.legal_topic,
            parental_kind: c.parental_kind,
            outcome: c.outcome,
            note: c.note.clone(),
        };
        let stream = match c.case_id {
            Some(case_id) => StreamId::case(case_id),
            None => StreamId::person(c.person_id),
        };
        self.decision(stream, event)
    }
}

impl Decide for OpenCase {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.open_case(self)
    }
}

impl Decide for AgreeCarePlan {
    fn placement(&self, state: &DeskState) -> Placement {
        Placement::known(state.case_site(self.case_id))
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.agree_care_plan(self)
    }
}

impl Decide for CloseCase {
    fn placement(&self, state: &DeskState) -> Placement {
        Placement::known(state.case_site(self.case_id))
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.close_case(self)
    }
}

impl Decide for ReopenCase {
    fn placement(&self, state: &DeskState) -> Placement {
        Placement::known(state.case_site(self.case_id))
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.reopen_case(self)
    }
}

impl Decide for RecordIntervention {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.record_intervention(self)
    }
}

impl Decide for TransferCase {
    fn placement(&self, state: &DeskState) -> Placement {
        Placement::known(state.case_site(self.case_id))
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.transfer_case(self)
    }
}

impl Decide for RecordCaseConference {
    fn placement(&self, state: &DeskState) -> Placement {
        Placement::known(state.case_site(self.case_id))
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.record_case_conference(self)
    }
}

// The write model's part of each event of this stream: no rule, whatever is in the journal
// happened.

impl Evolve for CaseOpened {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state.cases.insert(
            self.case_id,
            CaseState {
                person_id: self.person_id,
                site_id: self.site_id.clone(),
                opened_at: self.occurred_at,
                open: true,
                case_worker: self.case_worker.clone(),
            },
        );
        if let Some(p) = state.persons.get_mut(&self.person_id) {
            p.open_case = Some(self.case_id);
        }
    }
}

impl Evolve for CarePlanAgreed {
    /// Decides nothing later.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

impl Evolve for CaseClosed {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        if let Some(c) = state.cases.get_mut(&self.case_id) {
            c.open = false;
        }
        if let Some(p) = state.persons.get_mut(&self.person_id) {
            if p.open_case == Some(self.case_id) {
                p.open_case = None;
            }
        }
    }
}

impl Evolve for CaseReopened {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        if let Some(c) = state.cases.get_mut(&self.case_id) {
            c.open = true;
        }
        if let Some(p) = state.persons.get_mut(&self.person_id) {
            p.open_case = Some(self.case_id);
        }
    }
}

impl Evolve for CaseTransferred {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        if let (Some(c), Some(worker)) = (state.cases.get_mut(&self.case_id), &self.case_worker) {
            c.case_worker = worker.clone();
        }
    }
}

impl Evolve for CaseConferenceHeld {
    /// Decides nothing later: the conference is for the read models.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

impl Evolve for InterventionDelivered {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state.interventions.insert(self.intervention_id);
    }
}

/// The sample of each command of this stream ([`crate::samples`]).
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for OpenCase {
        fn sample() -> Self {
            OpenCase {
                case_id: case(),
                person_id: person(),
                site_id: site(),
                occurred_at: t("2024-05-07T09:40:00Z"),
                case_worker: "m.haddad".into(),
                vulnerabilities: vec![VulnerabilityCategory::SingleParentWithMinors],
                partner_services: vec![asl()],
            }
        }
    }

    impl Sample for AgreeCarePlan {
        fn sample() -> Self {
            AgreeCarePlan {
                case_id: case(),
                occurred_at: t("2024-05-09T10:00:00Z"),
                needs: vec![NeedArea::Health],
                goals: vec![PersonalNote::new("iscrizione al SSN")],
                partner_services: vec![asl()],
                review_on: d("2024-06-13"),
            }
        }
    }

    impl Sample for CloseCase {
        fn sample() -> Self {
            CloseCase {
                case_id: case(),
                occurred_at: t("2024-05-14T11:00:00Z"),
                reason: ClosureReason::GoalsAchieved,
                outcome: CaseOutcome::Positive,
                note: None,
            }
        }
    }

    impl Sample for ReopenCase {
        fn sample() -> Self {
            ReopenCase {
                case_id: case(),
                occurred_at: t("2024-05-16T09:30:00Z"),
                note: None,
            }
        }
    }

    impl Sample for TransferCase {
        fn sample() -> Self {
            TransferCase {
                case_id: case(),
                occurred_at: t("2024-05-10T10:00:00Z"),
                case_worker: Some("l.bianchi".into()),
                holding_service: Some(HoldingService {
                    service_id: asl(),
                    reference: "CF-2024/0173".into(),
                }),
            }
        }
    }

    impl Sample for RecordCaseConference {
        /// A case conference with the ASL's consultorio, after the case was reopened.
        fn sample() -> Self {
            RecordCaseConference {
                case_id: case(),
                occurred_at: t("2024-05-16T10:30:00Z"),
                mediator: "m.haddad".into(),
                services: vec![asl()],
                participants: vec![PersonalNote::new("assistente sociale del consultorio")],
                decisions: vec![PersonalNote::new("visita ginecologica entro giugno")],
                next_review: Some(d("2024-06-13")),
            }
        }
    }

    impl Sample for RecordIntervention {
        fn sample() -> Self {
            RecordIntervention {
                intervention_id: intervention(),
                person_id: person(),
                case_id: Some(case()),
                site_id: site(),
                occurred_at: t("2024-05-16T09:45:00Z"),
                activity: Activity::OrientationAccompaniment,
                mode: InterventionMode::InPerson,
                duration_minutes: 40,
                staff: vec!["m.haddad".into()],
                language: "uk".into(),
                need: Some(NeedArea::Health),
                service_id: Some(asl()),
                legal_topic: None,
                parental_kind: None,
                outcome: InterventionOutcome::Referred,
                note: None,
            }
        }
    }
}
