//! Decisions on a mediation's stream (`mediation-<ulid>`): the request, its sessions, its
//! cancellation.

use super::*;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct MediationState {
    pub(super) site_id: SiteId,
    pub(super) person_id: Option<PersonId>,
    pub(super) case_id: Option<CaseId>,
    pub(super) requested_at: DateTime<Utc>,
    pub(super) cancelled: bool,
}

impl DeskState {
    pub(super) fn request_mediation(&self, c: &RequestMediation) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !self.mediations.contains_key(&c.mediation_id),
            "mediationId",
            K::AlreadyExists,
            "this mediation request is already recorded (the same id was sent twice)"
        );
        language(&c.language, "language")?;
        if let Some(s) = c.requesting_service {
            self.usable_service(s, "requestingService")?;
        }
        if let Some(p) = c.person_id {
            self.person(p, "personId")?;
        }
        if let Some(case_id) = c.case_id {
            let Some(p) = c.person_id else {
                return reject(
                    "personId",
                    K::Required,
                    "a mediation within a case names the person",
                );
            };
            self.open_case_of(case_id, p, "caseId")?;
        }
        match (c.slot_start, c.slot_end) {
            (Some(start), Some(end)) => {
                ensure!(
                    start >= c.occurred_at,
                    "slotStart",
                    K::OutOfRange,
                    "the slot cannot start before the request was made"
                );
                ensure!(
                    end > start,
                    "slotEnd",
                    K::EndsBeforeStart,
                    "the slot must end after it starts"
                );
                ensure!(
                    end - start < TimeDelta::days(1),
                    "slotEnd",
                    K::TooLong,
                    "a slot lasts less than a day"
                );
            }
            (None, None) => {
                ensure!(
                    c.mode == MediationMode::OnCall,
                    "slotStart",
                    K::Required,
                    "a scheduled mediation needs a slot"
                );
            }
            (None, Some(_)) => {
                return reject("slotStart", K::Required, "the slot has an end but no start")
            }
            (Some(_), None) => {
                return reject("slotEnd", K::Required, "the slot has a start but no end")
            }
        }
        let event = MediationRequested {
            mediation_id: c.mediation_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            mode: c.mode,
            requesting_service: c.requesting_service,
            person_id: c.person_id,
            case_id: c.case_id,
            language: c.language.clone(),
            slot_start: c.slot_start,
            slot_end: c.slot_end,
        };
        self.creation(
            StreamId::mediation(c.mediation_id),
            "mediationId",
            "mediation request",
            event,
        )
    }

    pub(super) fn record_mediation_session(&self, c: &RecordMediationSession) -> Decided {
        let Some(m) = self.mediations.get(&c.mediation_id) else {
            return reject(
                "mediationId",
                K::NotFound,
                "no mediation with this id was requested",
            );
        };
        ensure!(
            !m.cancelled,
            "mediationId",
            K::Cancelled,
            "the mediation was cancelled: a session cannot be held"
        );
        ensure!(
            c.ended_at > c.started_at,
            "endedAt",
            K::EndsBeforeStart,
            "the session must end after it starts"
        );
        ensure!(
            c.ended_at - c.started_at < TimeDelta::days(1),
            "endedAt",
            K::TooLong,
            "a session lasts less than a day"
        );
        ensure!(
            c.started_at >= m.requested_at,
            "startedAt",
            K::OutOfRange,
            "a session cannot start before it was requested"
        );
        ensure!(
            !c.mediator.trim().is_empty(),
            "mediator",
            K::Required,
            "say who mediated"
        );
        language(&c.languages.from, "languages.from")?;
        language(&c.languages.to, "languages.to")?;
        ensure!(
            c.languages.from != c.languages.to,
            "languages",
            K::Invalid,
            "a mediation bridges two different languages"
        );
        ensure!(
            !c.parties.is_empty(),
            "parties",
            K::Required,
            "say who took part"
        );
        if let Some(by) = c.follow_up_by {
            ensure!(
                c.follow_up_needed,
                "followUpBy",
                K::Mismatch,
                "a follow-up date goes with followUpNeeded"
            );
            ensure!(
                by >= crate::calendar::rome_date(c.ended_at),
                "followUpBy",
                K::OutOfRange,
                "the follow-up cannot be due before the session"
            );
        }
        let event = MediationSessionHeld {
            mediation_id: c.mediation_id,
            site_id: m.site_id.clone(),
            person_id: m.person_id,
            case_id: m.case_id,
            started_at: c.started_at,
            ended_at: c.ended_at,
            mediator: c.mediator.clone(),
            languages: c.languages.clone(),
            parties: c.parties.clone(),
            kind: c.kind,
            outcome: c.outcome,
            follow_up_needed: c.follow_up_needed,
            note: c.note.clone(),
            place: c.place,
            follow_up_by: c.follow_up_by,
        };
        self.decision(StreamId::mediation(c.mediation_id), event)
    }

    pub(super) fn cancel_mediation(&self, c: &CancelMediation) -> Decided {
        let Some(m) = self.mediations.get(&c.mediation_id) else {
            return reject(
                "mediationId",
                K::NotFound,
                "no mediation with this id was requested",
            );
        };
        ensure!(
            !m.cancelled,
            "mediationId",
            K::Cancelled,
            "the mediation is already cancelled"
        );
        ensure!(
            c.occurred_at >= m.requested_at,
            "occurredAt",
            K::OutOfRange,
            "a cancellation cannot come before the request"
        );
        let event = MediationCancelled {
            mediation_id: c.mediation_id,
            site_id: m.site_id.clone(),
            occurred_at: c.occurred_at,
            reason: c.reason,
        };
        self.decision(StreamId::mediation(c.mediation_id), event)
    }
}

impl Decide for RequestMediation {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.request_mediation(self)
    }
}

impl Decide for RecordMediationSession {
    fn placement(&self, state: &DeskState) -> Placement {
        Placement::known(state.mediation_site(self.mediation_id))
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.record_mediation_session(self)
    }
}

impl Decide for CancelMediation {
    fn placement(&self, state: &DeskState) -> Placement {
        Placement::known(state.mediation_site(self.mediation_id))
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.cancel_mediation(self)
    }
}

// The write model's part of each event of this stream: no rule, whatever is in the journal
// happened.

impl Evolve for MediationRequested {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state.mediations.insert(
            self.mediation_id,
            MediationState {
                site_id: self.site_id.clone(),
                person_id: self.person_id,
                case_id: self.case_id,
                requested_at: self.occurred_at,
                cancelled: false,
            },
        );
    }
}

impl Evolve for MediationSessionHeld {
    /// Decides nothing later.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

impl Evolve for MediationCancelled {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        if let Some(m) = state.mediations.get_mut(&self.mediation_id) {
            m.cancelled = true;
        }
    }
}

/// The sample of each command of this stream ([`crate::samples`]).
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for RequestMediation {
        fn sample() -> Self {
            RequestMediation {
                mediation_id: mediation(),
                site_id: site(),
                occurred_at: t("2024-05-08T08:30:00Z"),
                mode: MediationMode::Scheduled,
                requesting_service: Some(asl()),
                person_id: Some(person()),
                case_id: None,
                language: "uk".into(),
                slot_start: Some(t("2024-05-14T09:00:00Z")),
                slot_end: Some(t("2024-05-14T10:00:00Z")),
            }
        }
    }

    impl Sample for RecordMediationSession {
        fn sample() -> Self {
            RecordMediationSession {
                mediation_id: mediation(),
                started_at: t("2024-05-14T09:05:00Z"),
                ended_at: t("2024-05-14T09:55:00Z"),
                mediator: "m.haddad".into(),
                languages: LanguagePair {
                    from: "uk".into(),
                    to: "it".into(),
                },
                parties: vec![PartyRole::Beneficiary, PartyRole::HealthWorker],
                kind: MediationKind::Linguistic,
                outcome: SessionOutcome::Completed,
                follow_up_needed: false,
                note: None,
                place: Some(SessionPlace::Hospital),
                follow_up_by: None,
            }
        }
    }

    impl Sample for CancelMediation {
        fn sample() -> Self {
            CancelMediation {
                mediation_id: mediation(),
                occurred_at: t("2024-05-13T16:00:00Z"),
                reason: CancellationReason::RequesterCancelled,
            }
        }
    }
}
