//! The domain's closed word lists as GraphQL enums.
//!
//! Each enum mirrors one list of `domain::vocab` value for value: GraphQL names are the domain's
//! JSON strings in UPPER_SNAKE case (`LONG_TERM_EU` is `"long_term_eu"`). The derive's `remote`
//! conversions (`From` both ways) match exhaustively: a word added to the domain and forgotten
//! here does not compile.

macro_rules! mirror {
    ($(#[$doc:meta])* $name:ident: $remote:tt { $($(#[$vdoc:meta])* $variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(async_graphql::Enum, Copy, Clone, Debug, Eq, PartialEq)]
        #[graphql(remote = $remote)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }
    };
}

mirror!(
    /// Sex as the person declares it.
    Sex: "domain::Sex" {
        Female,
        Male,
        Other,
        Undisclosed,
    }
);

mirror!(
    /// Residence permit (*permesso di soggiorno*) held: its type. A renewal applied for is a
    /// status beside it (`renewalPending`), not a type.
    PermitType: "domain::PermitType" {
        /// *Lavoro*.
        Work,
        /// *Motivi familiari*.
        Family,
        /// *Studio*.
        Study,
        /// *Richiesta asilo*: applied for international protection, awaiting the decision.
        AsylumSeeker,
        /// *Status di rifugiato*.
        Refugee,
        /// *Protezione sussidiaria*.
        SubsidiaryProtection,
        /// International protection, refugee or subsidiary not said (older records).
        InternationalProtection,
        /// *Protezione speciale*.
        SpecialProtection,
        /// *Casi speciali*, Testo Unico Immigrazione art. 18 (victims of violence or
        /// exploitation).
        SpecialCaseArt18,
        /// *Casi speciali*, TUI art. 18-bis (victims of domestic violence).
        SpecialCaseArt18Bis,
        /// *Casi speciali*, TUI art. 22 c. 12-quater (victims of labour exploitation).
        SpecialCaseArt22,
        /// *Minore età*.
        MinorAge,
        /// *Cure mediche*.
        MedicalCare,
        /// *Attesa occupazione*.
        AwaitingEmployment,
        /// *Carta di soggiorno per familiare di cittadino UE*.
        EuFamilyMemberCard,
        /// *Protezione temporanea*, the Ukrainian-crisis permit.
        TemporaryProtection,
        /// EU long-term residence permit.
        LongTermEu,
        /// No permit.
        None,
        /// Not known yet (a first contact, before the papers are seen).
        Unknown,
    }
);

mirror!(
    /// Who a guardian giving consent for a minor is.
    GuardianKind: "domain::GuardianKind" {
        /// A parent, or who exercises parental responsibility.
        Parent,
        /// A *tutore volontario* appointed by the juvenile court.
        VoluntaryGuardian,
        /// The head of the reception facility, while no guardian is appointed.
        FacilityHead,
    }
);

mirror!(
    /// Vulnerable categories of D.Lgs. 142/2015 art. 17 (special-category data).
    VulnerabilityCategory: "domain::VulnerabilityCategory" {
        Minor,
        UnaccompaniedMinor,
        Disability,
        Elderly,
        Pregnancy,
        SingleParentWithMinors,
        TraffickingVictim,
        SeriousOrMentalIllness,
        TortureOrViolenceSurvivor,
        FemaleGenitalMutilation,
    }
);

mirror!(
    /// What a consent covers.
    ConsentScope: "domain::ConsentScope" {
        /// The person was told how the desk serves them. Not the legal basis of the desk's work
        /// (its public task); nothing requires it.
        Service,
        /// Sharing with the named bodies (needed for a referral).
        Sharing,
        /// Being contacted for a satisfaction survey.
        SurveyContact,
        /// Being a row, pseudonymised, in the evaluators' tables (`pseudonymisedPersons`);
        /// aggregate figures count everyone.
        Reporting,
    }
);

mirror!(
    /// Who gave a consent.
    ConsentGiver: "domain::ConsentGiver" {
        /// The person, being of age (from their 18th birthday).
        Person,
        /// A parent or guardian (required for a minor; name them in `guardianKind` and
        /// `guardianName`).
        Guardian,
    }
);

mirror!(
    /// How the person reached the desk.
    IntakeChannel: "domain::IntakeChannel" {
        WalkIn,
        Phone,
        /// Sent by a territorial service (name it in `referredBy`).
        ReferredByService,
    }
);

mirror!(
    /// Areas of need; also the reason of a referral.
    NeedArea: "domain::NeedArea" {
        Documents,
        Health,
        Education,
        Language,
        Work,
        Housing,
        Legal,
        Family,
        Income,
        /// Registry office matters (residence, certificates).
        Registry,
        Other,
    }
);

mirror!(
    /// Individual activities of the desk (the numbers are those of the service page).
    Activity: "domain::Activity" {
        /// 1. Orientation and accompaniment to territorial services.
        OrientationAccompaniment,
        /// 2. Support to services in integrated case-taking (*presa in carico integrata*).
        IntegratedCaseSupport,
        /// 3. Parental-responsibility support.
        ParentalSupport,
        /// 6. Legal advice.
        LegalAdvice,
    }
);

mirror!(
    /// Kind of parental-responsibility support.
    ParentalSupportKind: "domain::ParentalSupportKind" {
        SocioEducational,
        PsychoEducationalCounselling,
    }
);

mirror!(
    /// Topic of a legal advice.
    LegalTopic: "domain::LegalTopic" {
        Permit,
        Citizenship,
        Work,
        Family,
        Housing,
        Asylum,
        Other,
    }
);

mirror!(
    /// How an intervention was delivered.
    InterventionMode: "domain::InterventionMode" {
        InPerson,
        Phone,
        Video,
        /// Going with the person to the service.
        Accompaniment,
    }
);

mirror!(
    /// Outcome of an intervention.
    InterventionOutcome: "domain::InterventionOutcome" {
        Resolved,
        InProgress,
        Referred,
        NotResolved,
    }
);

mirror!(
    /// Urgency of a referral.
    Urgency: "domain::Urgency" {
        Routine,
        Priority,
        Urgent,
    }
);

mirror!(
    /// Outcome (*esito*) of a referral. SERVICE_RECEIVED, REFUSED and LOST_CONTACT are final:
    /// no outcome follows them.
    ReferralOutcome: "domain::ReferralOutcome" {
        Accepted,
        /// An appointment was set (give its day in `appointmentOn`).
        AppointmentSet,
        ServiceReceived,
        Refused,
        NoShow,
        LostContact,
    }
);

mirror!(
    /// *Mediazione su chiamata* or *programmata*.
    MediationMode: "domain::MediationMode" {
        /// On call: no slot needed.
        OnCall,
        /// Scheduled: the request gives a slot.
        Scheduled,
    }
);

mirror!(
    /// Kind of mediation.
    MediationKind: "domain::MediationKind" {
        Linguistic,
        Intercultural,
        Social,
        Conflict,
    }
);

mirror!(
    /// Who took part in a mediation session, by role.
    PartyRole: "domain::PartyRole" {
        Beneficiary,
        FamilyMember,
        ServiceOperator,
        HealthWorker,
        Teacher,
        SocialWorker,
        Other,
    }
);

mirror!(
    /// Outcome of a mediation session.
    SessionOutcome: "domain::SessionOutcome" {
        Completed,
        PartiallyCompleted,
        NotCompleted,
    }
);

mirror!(
    /// Why a mediation was cancelled.
    CancellationReason: "domain::CancellationReason" {
        RequesterCancelled,
        PersonAbsent,
        NoMediatorAvailable,
        Other,
    }
);

mirror!(
    /// Kind of a group activity.
    GroupActivityKind: "domain::GroupActivityKind" {
        /// 5. Mutual aid, good neighbourhood, intercultural exchange.
        Proximity,
        /// 3. Parental group.
        ParentalGroup,
        /// 7. Activation of citizens and local communities (name the associations).
        CommunityActivation,
        InformationSession,
    }
);

mirror!(
    /// Where information material was handed out.
    DistributionChannel: "domain::DistributionChannel" {
        Desk,
        Outreach,
        PartnerService,
        Online,
        GroupActivity,
    }
);

mirror!(
    /// Kind of a territorial service.
    ServiceKind: "domain::ServiceKind" {
        Health,
        Education,
        Social,
        Work,
        Legal,
        Housing,
        Reception,
        /// Registry office, police immigration office and other public offices.
        Administrative,
    }
);

mirror!(
    /// Why a case was closed.
    ClosureReason: "domain::ClosureReason" {
        GoalsAchieved,
        TransferredToService,
        MovedAway,
        LostContact,
        PersonRequest,
        Other,
    }
);

mirror!(
    /// Why a person's personal data was erased (a closed list: the reason holds no personal
    /// data itself).
    ErasureReason: "domain::ErasureReason" {
        /// The person asked for their data to be erased (GDPR art. 17).
        PersonRequest,
        /// The retention period for the record ended.
        RetentionExpired,
        /// The person was registered by mistake (a duplicate, a wrong person).
        RegisteredInError,
        /// The data was collected without a lawful basis.
        UnlawfulProcessing,
        /// Ordered by the data protection officer or an authority.
        Ordered,
    }
);

mirror!(
    /// Outcome of a closed case.
    CaseOutcome: "domain::CaseOutcome" {
        Positive,
        Partial,
        Negative,
    }
);

mirror!(
    /// An item of the satisfaction survey.
    SurveyItem: "domain::SurveyItem" {
        Welcome,
        Clarity,
        Usefulness,
        WaitingTime,
        Language,
        Overall,
    }
);

mirror!(
    /// Part of the opening day a logbook entry covers.
    RotationSlot: "domain::RotationSlot" {
        Morning,
        Afternoon,
        FullDay,
    }
);

mirror!(
    /// A day of the week a site opens.
    Weekday: "domain::Weekday" {
        Monday,
        Tuesday,
        Wednesday,
        Thursday,
        Friday,
        Saturday,
        Sunday,
    }
);

mirror!(
    /// How to reach a person.
    ContactKind: "domain::ContactKind" {
        Phone,
        Email,
        /// Postal address.
        Address,
    }
);

#[cfg(test)]
mod tests {
    use async_graphql::{InputType, Value};

    use super::*;

    /// Every domain word converts to the mirror and back, and is named in GraphQL by its JSON
    /// string in UPPER_SNAKE case.
    fn round_trips<G, D>(all: &[D], as_str: fn(D) -> &'static str)
    where
        G: InputType + From<D> + Copy,
        D: From<G> + Copy + PartialEq + std::fmt::Debug,
    {
        assert!(!all.is_empty());
        for &word in all {
            let mirrored = G::from(word);
            assert_eq!(D::from(mirrored), word);
            assert_eq!(
                mirrored.to_value(),
                Value::Enum(async_graphql::Name::new(as_str(word).to_uppercase())),
            );
        }
    }

    macro_rules! check {
        ($($name:ident),* $(,)?) => {
            $(round_trips::<$name, domain::$name>(domain::$name::ALL, domain::$name::as_str);)*
        };
    }

    #[test]
    fn every_word_list_is_mirrored_and_round_trips() {
        check!(
            Sex,
            PermitType,
            GuardianKind,
            VulnerabilityCategory,
            ConsentScope,
            ConsentGiver,
            IntakeChannel,
            NeedArea,
            Activity,
            ParentalSupportKind,
            LegalTopic,
            InterventionMode,
            InterventionOutcome,
            Urgency,
            ReferralOutcome,
            MediationMode,
            MediationKind,
            PartyRole,
            SessionOutcome,
            CancellationReason,
            GroupActivityKind,
            DistributionChannel,
            ServiceKind,
            ClosureReason,
            ErasureReason,
            CaseOutcome,
            SurveyItem,
            RotationSlot,
            Weekday,
        );
    }

    /// `ContactKind` is not a `words!` list (no `ALL`): its values are listed here.
    #[test]
    fn contact_kind_round_trips() {
        let all = [
            domain::ContactKind::Phone,
            domain::ContactKind::Email,
            domain::ContactKind::Address,
        ];
        round_trips::<ContactKind, domain::ContactKind>(&all, |k| match k {
            domain::ContactKind::Phone => "phone",
            domain::ContactKind::Email => "email",
            domain::ContactKind::Address => "address",
        });
    }
}

mirror!(
    /// Where a mediation session was held.
    SessionPlace: "domain::SessionPlace" {
        /// At the desk.
        Desk,
        Hospital,
        /// The *Questura*, the police immigration office.
        Questura,
        School,
        /// By phone.
        Phone,
        Other,
    }
);

mirror!(
    /// What became of an appointment: `BOOKED` until it is attended, missed or cancelled.
    AppointmentStatus: "domain::AppointmentStatus" {
        Booked,
        Attended,
        /// The person did not come (a no-show).
        Missed,
        Cancelled,
    }
);
