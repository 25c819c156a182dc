//! Decisions on a person's stream (`person-<ulid>`): registration, consent, vulnerability,
//! intake, erasure.

use super::*;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct PersonState {
    pub(super) registered_at: DateTime<Utc>,
    /// The site that registered them.
    pub(super) site_id: SiteId,
    /// The sites that took them on after (`PersonTakenOn`).
    pub(super) taken_on: Vec<SiteId>,
    pub(super) minor: bool,
    pub(super) unaccompanied_minor: bool,
    pub(super) birth_year: i32,
    /// The exact birth date, when the registration (or a later update) gave it.
    pub(super) birth_date: Option<NaiveDate>,
    pub(super) consents: BTreeSet<ConsentScope>,
    pub(super) open_case: Option<CaseId>,
    /// Their personal data was erased: nothing new is recorded about them.
    pub(super) erased: bool,
    /// The registration kept when this one was merged away (`PersonsMerged`).
    pub(super) merged_into: Option<PersonId>,
}

impl DeskState {
    pub(super) fn register_person(&self, c: &RegisterPerson, ctx: &Context) -> Decided {
        site(&c.site_id, "siteId")?;
        ensure!(
            !self.persons.contains_key(&c.person_id),
            "personId",
            K::AlreadyExists,
            "this person is already registered"
        );
        ensure!(
            !c.personal.full_name.trim().is_empty(),
            "personal.fullName",
            K::Required,
            "the name is missing"
        );
        ensure!(
            c.personal.full_name.trim() != crate::personal::ERASED,
            "personal.fullName",
            K::Invalid,
            "{} marks erased data; it is not a name",
            crate::personal::ERASED
        );
        let this_year = ctx.now.year();
        ensure!(
            (1900..=this_year).contains(&c.birth_year),
            "birthYear",
            K::OutOfRange,
            "the birth year must be between 1900 and {this_year}"
        );
        if let Some(date) = c.personal.birth_date {
            ensure!(
                date.year() == c.birth_year,
                "personal.birthDate",
                K::Mismatch,
                "the birth date is not in the birth year"
            );
            ensure!(
                date <= desk_day(ctx.now),
                "personal.birthDate",
                K::InFuture,
                "the birth date is in the future"
            );
        }
        if let Some(code) = &c.personal.fiscal_code {
            ensure!(
                crate::personal::is_fiscal_code(code),
                "personal.fiscalCode",
                K::Invalid,
                "a codice fiscale is 16 uppercase letters and digits (like RSSMRA85T10A562S) \
                 ending in its check letter"
            );
        }
        countries(&c.citizenships, "citizenships")?;
        ensure!(
            is_country_code(&c.country_of_birth),
            "countryOfBirth",
            K::Invalid,
            "use a two-letter country code such as UA or BD"
        );
        if let Some(arrival) = c.arrival_year {
            ensure!(
                arrival >= c.birth_year && arrival <= this_year,
                "arrivalYear",
                K::OutOfRange,
                "the arrival year must be between the birth year and this year"
            );
        }
        languages(&c.languages, "languages")?;
        ensure!(
            c.household_size >= 1,
            "householdSize",
            K::OutOfRange,
            "a household has at least one person"
        );
        let age_this_year = this_year - c.birth_year;
        ensure!(
            !(c.minor && age_this_year > 18),
            "minor",
            K::Mismatch,
            "someone born in {} cannot be a minor",
            c.birth_year
        );
        ensure!(
            c.minor || age_this_year >= 17,
            "minor",
            K::Mismatch,
            "someone born in {} is a minor",
            c.birth_year
        );
        ensure!(
            !c.unaccompanied_minor || c.minor,
            "unaccompaniedMinor",
            K::Mismatch,
            "an unaccompanied minor must also be marked as a minor"
        );
        permit(
            &Permit {
                permit_type: c.permit_type,
                expires_on: c.permit_expires_on,
                renewal_pending: c.permit_renewal_pending,
            },
            "",
        )?;
        let event = PersonRegistered {
            person_id: c.person_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            birth_year: c.birth_year,
            sex: c.sex,
            citizenships: c.citizenships.clone(),
            country_of_birth: c.country_of_birth.clone(),
            arrival_year: c.arrival_year,
            permit_type: c.permit_type,
            permit_expires_on: c.permit_expires_on,
            permit_renewal_pending: c.permit_renewal_pending,
            languages: c.languages.clone(),
            household_size: c.household_size,
            minor: c.minor,
            unaccompanied_minor: c.unaccompanied_minor,
            personal: c.personal.clone(),
        };
        self.creation(StreamId::person(c.person_id), "personId", "person", event)
    }

    pub(super) fn give_consent(&self, c: &GiveConsent) -> Decided {
        site(&c.site_id, "siteId")?;
        let p = self.person(c.person_id, "personId")?;
        ensure!(
            !c.scopes.is_empty(),
            "scopes",
            K::Required,
            "say what the consent covers"
        );
        no_duplicates(&c.scopes, "scopes")?;
        ensure!(
            !c.scopes.contains(&ConsentScope::Sharing) || !c.shared_with.is_empty(),
            "sharedWith",
            K::Required,
            "a consent to sharing names the bodies data may be shared with"
        );
        giver(p, c)?;
        let event = ConsentGiven {
            person_id: c.person_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            scopes: c.scopes.clone(),
            shared_with: c.shared_with.clone(),
            given_by: c.given_by,
            guardian_kind: c.guardian_kind,
            guardian_name: c.guardian_name.clone(),
        };
        self.decision(StreamId::person(c.person_id), event)
    }

    pub(super) fn withdraw_consent(&self, c: &WithdrawConsent) -> Decided {
        site(&c.site_id, "siteId")?;
        let p = self.person(c.person_id, "personId")?;
        ensure!(
            !c.scopes.is_empty(),
            "scopes",
            K::Required,
            "say which consent is withdrawn"
        );
        no_duplicates(&c.scopes, "scopes")?;
        for (i, scope) in c.scopes.iter().enumerate() {
            ensure!(
                p.consents.contains(scope),
                format!("scopes[{i}]"),
                K::ConsentMissing,
                "there is no consent to {} to withdraw",
                scope.as_str().replace('_', " ")
            );
        }
        let event = ConsentWithdrawn {
            person_id: c.person_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            scopes: c.scopes.clone(),
        };
        self.decision(StreamId::person(c.person_id), event)
    }

    pub(super) fn assess_vulnerability(&self, c: &AssessVulnerability) -> Decided {
        site(&c.site_id, "siteId")?;
        // The desk's public task is the legal basis (docs/adr/0009-legal-basis.md): no consent.
        let p = self.person(c.person_id, "personId")?;
        no_duplicates(&c.categories, "categories")?;
        let says_minor = c.categories.iter().any(|v| {
            matches!(
                v,
                VulnerabilityCategory::Minor | VulnerabilityCategory::UnaccompaniedMinor
            )
        });
        ensure!(
            !says_minor || p.minor,
            "categories",
            K::Mismatch,
            "the person was registered as an adult, not a minor"
        );
        let event = VulnerabilityAssessed {
            person_id: c.person_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            categories: c.categories.clone(),
            note: c.note.clone(),
        };
        self.decision(StreamId::person(c.person_id), event)
    }

    pub(super) fn record_intake(&self, c: &RecordIntake) -> Decided {
        site(&c.site_id, "siteId")?;
        // A first contact is recorded without consent: the desk's public task is the legal basis
        // (docs/adr/0009-legal-basis.md).
        self.person(c.person_id, "personId")?;
        ensure!(
            !c.needs.is_empty(),
            "needs",
            K::Required,
            "say at least one area of need"
        );
        no_duplicates(&c.needs, "needs")?;
        match (c.channel, c.referred_by) {
            (IntakeChannel::ReferredByService, None) => {
                return reject(
                    "referredBy",
                    K::Required,
                    "say which service referred the person",
                );
            }
            (IntakeChannel::ReferredByService, Some(s)) => {
                ensure!(
                    self.services.contains_key(&s),
                    "referredBy",
                    K::NotFound,
                    "this service is not in the directory"
                );
            }
            (_, Some(_)) => {
                return reject(
                    "referredBy",
                    K::Invalid,
                    "only an intake referred by a service names a referring service",
                );
            }
            (_, None) => {}
        }
        let event = IntakeRecorded {
            person_id: c.person_id,
            site_id: c.site_id.clone(),
            occurred_at: c.occurred_at,
            channel: c.channel,
            referred_by: c.referred_by,
            needs: c.needs.clone(),
            note: c.note.clone(),
        };
        self.decision(StreamId::person(c.person_id), event)
    }

    pub(super) fn erase_person(&self, c: &ErasePerson, ctx: &Context) -> Decided {
        ensure!(
            ctx.actor.role == Role::Supervisor,
            "actor",
            K::NotPermitted,
            "only a supervisor erases a person's data"
        );
        // `registered` refuses an erased person with `Erased`: an erasure happens once. A
        // registration merged into another is erased on its own.
        self.registered(c.person_id, "personId")?;
        self.decision(
            StreamId::person(c.person_id),
            PersonErased {
                person_id: c.person_id,
                occurred_at: c.occurred_at,
                reason: c.reason,
            },
        )
    }
}

impl Decide for RegisterPerson {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, ctx: &Context) -> Decided {
        state.register_person(self, ctx)
    }
}

impl Decide for GiveConsent {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.give_consent(self)
    }
}

impl Decide for WithdrawConsent {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.withdraw_consent(self)
    }
}

impl Decide for AssessVulnerability {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.assess_vulnerability(self)
    }
}

impl Decide for RecordIntake {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.record_intake(self)
    }
}

impl Decide for ErasePerson {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::NoSite
    }

    fn decide(&self, state: &DeskState, ctx: &Context) -> Decided {
        state.erase_person(self, ctx)
    }
}

// The write model's part of each event of this stream: no rule, whatever is in the journal
// happened.

impl Evolve for PersonRegistered {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        state.persons.insert(
            self.person_id,
            PersonState {
                registered_at: self.occurred_at,
                site_id: self.site_id.clone(),
                taken_on: Vec::new(),
                minor: self.minor,
                unaccompanied_minor: self.unaccompanied_minor,
                birth_year: self.birth_year,
                birth_date: self.personal.birth_date,
                consents: BTreeSet::new(),
                open_case: None,
                erased: false,
                merged_into: None,
            },
        );
    }
}

impl Evolve for ConsentGiven {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        if let Some(p) = state.persons.get_mut(&self.person_id) {
            p.consents.extend(self.scopes.iter().copied());
        }
    }
}

impl Evolve for ConsentWithdrawn {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        if let Some(p) = state.persons.get_mut(&self.person_id) {
            for scope in &self.scopes {
                p.consents.remove(scope);
            }
        }
    }
}

impl Evolve for VulnerabilityAssessed {
    /// Decides nothing later.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

impl Evolve for IntakeRecorded {
    /// Decides nothing later.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

impl Evolve for PersonErased {
    fn evolve(&self, state: &mut DeskState, _: Applied) {
        if let Some(p) = state.persons.get_mut(&self.person_id) {
            p.erased = true;
        }
    }
}

/// The sample of each command of this stream ([`crate::samples`]).
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for RegisterPerson {
        fn sample() -> Self {
            RegisterPerson {
                person_id: person(),
                site_id: site(),
                occurred_at: t("2024-05-07T09:10:00Z"),
                birth_year: 1991,
                sex: Sex::Female,
                citizenships: vec!["UA".into()],
                country_of_birth: "UA".into(),
                arrival_year: Some(2022),
                permit_type: PermitType::TemporaryProtection,
                permit_expires_on: Some(d("2024-12-31")),
                permit_renewal_pending: false,
                languages: vec!["uk".into(), "ru".into()],
                household_size: 3,
                minor: false,
                unaccompanied_minor: false,
                personal: PersonalData {
                    full_name: CANARY.into(),
                    birth_date: Some(d("1991-03-14")),
                    contacts: vec![Contact {
                        kind: ContactKind::Phone,
                        value: "+39 333 000 0000".into(),
                    }],
                    fiscal_code: None,
                },
            }
        }
    }

    impl Sample for GiveConsent {
        fn sample() -> Self {
            GiveConsent {
                person_id: person(),
                site_id: site(),
                occurred_at: t("2024-05-07T09:12:00Z"),
                scopes: vec![
                    ConsentScope::Service,
                    ConsentScope::Sharing,
                    ConsentScope::SurveyContact,
                ],
                shared_with: vec!["ASL Roma 1".into()],
                given_by: ConsentGiver::Person,
                guardian_kind: None,
                guardian_name: None,
            }
        }
    }

    impl Sample for WithdrawConsent {
        fn sample() -> Self {
            WithdrawConsent {
                person_id: person(),
                site_id: site(),
                occurred_at: t("2024-05-14T10:00:00Z"),
                scopes: vec![ConsentScope::SurveyContact],
            }
        }
    }

    impl Sample for AssessVulnerability {
        fn sample() -> Self {
            AssessVulnerability {
                person_id: person(),
                site_id: site(),
                occurred_at: t("2024-05-07T09:20:00Z"),
                categories: vec![VulnerabilityCategory::SingleParentWithMinors],
                note: Some(PersonalNote::new("due figli in eta scolare")),
            }
        }
    }

    impl Sample for RecordIntake {
        fn sample() -> Self {
            RecordIntake {
                person_id: person(),
                site_id: site(),
                occurred_at: t("2024-05-07T09:15:00Z"),
                channel: IntakeChannel::WalkIn,
                referred_by: None,
                needs: vec![NeedArea::Health, NeedArea::Education],
                note: None,
            }
        }
    }

    impl Sample for ErasePerson {
        fn sample() -> Self {
            ErasePerson {
                person_id: person(),
                occurred_at: t("2024-05-16T11:58:00Z"),
                reason: ErasureReason::PersonRequest,
            }
        }
    }
}
