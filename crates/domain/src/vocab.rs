//! The desk's words: closed lists that statistics count by.

use serde::{Deserialize, Serialize};

macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The value as written in JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }
    };
}

words!(
    /// Who is acting: every command comes from an actor with one role.
    Role {
        /// Records intakes, interventions, referrals, sessions and, in rotation, the logbook.
        Mediator = "mediator",
        /// Looks at everything; records supervision meetings.
        Supervisor = "supervisor",
        /// Replays history to assess the service; records nothing.
        Evaluator = "evaluator",
        /// Manages sites, accounts and the service directory.
        Admin = "admin",
    }
);

/// Who recorded a fact.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    pub role: Role,
}

impl Actor {
    pub fn new(id: impl Into<String>, role: Role) -> Self {
        Actor {
            id: id.into(),
            role,
        }
    }
}

words!(Sex {
    Female = "female",
    Male = "male",
    Other = "other",
    Undisclosed = "undisclosed",
});

words!(
    /// Residence permit (*permesso di soggiorno*) held: its type. A renewal applied for is not a
    /// type but a status beside it (`permitRenewalPending`); `renewal_pending`, once a type, is
    /// read from older records as `unknown` with the renewal pending (`PersonRegistered` v1).
    PermitType {
        /// *Lavoro* (subordinate or self-employed work).
        Work = "work",
        /// *Motivi familiari*.
        Family = "family",
        /// *Studio*.
        Study = "study",
        /// *Richiesta asilo*: applied for international protection, awaiting the decision.
        AsylumSeeker = "asylum_seeker",
        /// *Status di rifugiato* (international protection).
        Refugee = "refugee",
        /// *Protezione sussidiaria* (international protection).
        SubsidiaryProtection = "subsidiary_protection",
        /// International protection without saying which: records written before refugee and
        /// subsidiary protection were told apart.
        InternationalProtection = "international_protection",
        /// *Protezione speciale*.
        SpecialProtection = "special_protection",
        /// *Casi speciali*, Testo Unico Immigrazione art. 18: victims of violence or
        /// exploitation.
        SpecialCaseArt18 = "special_case_art_18",
        /// *Casi speciali*, TUI art. 18-bis: victims of domestic violence.
        SpecialCaseArt18Bis = "special_case_art_18_bis",
        /// *Casi speciali*, TUI art. 22 c. 12-quater: victims of labour exploitation.
        SpecialCaseArt22 = "special_case_art_22",
        /// *Minore età*.
        MinorAge = "minor_age",
        /// *Cure mediche*.
        MedicalCare = "medical_care",
        /// *Attesa occupazione*: awaiting employment.
        AwaitingEmployment = "awaiting_employment",
        /// *Carta di soggiorno per familiare di cittadino UE*.
        EuFamilyMemberCard = "eu_family_member_card",
        /// *Protezione temporanea*, the Ukrainian-crisis permit.
        TemporaryProtection = "temporary_protection",
        /// *Permesso UE per soggiornanti di lungo periodo*.
        LongTermEu = "long_term_eu",
        /// No permit.
        None = "none",
        /// Not known yet: a first contact, before the papers are seen.
        Unknown = "unknown",
    }
);

impl PermitType {
    /// `true` for the types that have no permit, and so no expiry and nothing to renew.
    pub fn is_no_permit(self) -> bool {
        matches!(self, PermitType::None | PermitType::Unknown)
    }
}

words!(
    /// Who a guardian giving consent for a minor is.
    GuardianKind {
        /// A parent, or who exercises parental responsibility.
        Parent = "parent",
        /// A *tutore volontario* appointed by the juvenile court (L. 47/2017).
        VoluntaryGuardian = "voluntary_guardian",
        /// The head of the reception facility, while no guardian is appointed.
        FacilityHead = "facility_head",
    }
);

words!(
    /// Vulnerable categories of D.Lgs. 142/2015 art. 17.
    VulnerabilityCategory {
        Minor = "minor",
        UnaccompaniedMinor = "unaccompanied_minor",
        Disability = "disability",
        Elderly = "elderly",
        Pregnancy = "pregnancy",
        SingleParentWithMinors = "single_parent_with_minors",
        TraffickingVictim = "trafficking_victim",
        SeriousOrMentalIllness = "serious_or_mental_illness",
        TortureOrViolenceSurvivor = "torture_or_violence_survivor",
        FemaleGenitalMutilation = "female_genital_mutilation",
    }
);

words!(
    /// What a consent covers.
    ConsentScope {
        /// The person was told how the desk serves them. Not the legal basis of the desk's
        /// processing (its public task: `docs/adr/0009-legal-basis.md`); no fact requires it.
        Service = "service",
        /// Sharing with the named bodies (referrals).
        Sharing = "sharing",
        /// Being contacted for a satisfaction survey.
        SurveyContact = "survey_contact",
        /// Being a row, pseudonymised, in the evaluators' tables; aggregate figures count
        /// everyone.
        Reporting = "reporting",
    }
);

words!(
    /// Who gave a consent.
    ConsentGiver {
        /// The person, being of age.
        Person = "person",
        /// A parent or guardian (required for a minor, and named: `GuardianKind` and the name).
        Guardian = "guardian",
    }
);

words!(IntakeChannel {
    WalkIn = "walk_in",
    Phone = "phone",
    ReferredByService = "referred_by_service",
});

words!(
    /// Areas of need; also the reason of a referral.
    NeedArea {
        Documents = "documents",
        Health = "health",
        Education = "education",
        Language = "language",
        Work = "work",
        Housing = "housing",
        Legal = "legal",
        Family = "family",
        Income = "income",
        Registry = "registry",
        Other = "other",
    }
);

words!(
    /// Individual activities of the desk (the numbers are those of the service page).
    Activity {
        /// 1. Orientation and accompaniment to territorial services.
        OrientationAccompaniment = "orientation_accompaniment",
        /// 2. Support to services in integrated case-taking (*presa in carico integrata*).
        IntegratedCaseSupport = "integrated_case_support",
        /// 3. Parental-responsibility support.
        ParentalSupport = "parental_support",
        /// 6. Legal advice.
        LegalAdvice = "legal_advice",
    }
);

words!(ParentalSupportKind {
    SocioEducational = "socio_educational",
    PsychoEducationalCounselling = "psycho_educational_counselling",
});

words!(LegalTopic {
    Permit = "permit",
    Citizenship = "citizenship",
    Work = "work",
    Family = "family",
    Housing = "housing",
    Asylum = "asylum",
    Other = "other",
});

words!(InterventionMode {
    InPerson = "in_person",
    Phone = "phone",
    Video = "video",
    /// Going with the person to the service.
    Accompaniment = "accompaniment",
});

words!(InterventionOutcome {
    Resolved = "resolved",
    InProgress = "in_progress",
    Referred = "referred",
    NotResolved = "not_resolved",
});

words!(Urgency {
    Routine = "routine",
    Priority = "priority",
    Urgent = "urgent",
});

words!(
    /// Outcome (*esito*) of a referral.
    ReferralOutcome {
        Accepted = "accepted",
        AppointmentSet = "appointment_set",
        ServiceReceived = "service_received",
        Refused = "refused",
        NoShow = "no_show",
        LostContact = "lost_contact",
    }
);

impl ReferralOutcome {
    /// After a final outcome, a referral takes no further outcome.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ReferralOutcome::ServiceReceived
                | ReferralOutcome::Refused
                | ReferralOutcome::LostContact
        )
    }
}

words!(
    /// *Mediazione su chiamata* or *programmata*.
    MediationMode {
        OnCall = "on_call",
        Scheduled = "scheduled",
    }
);

words!(MediationKind {
    Linguistic = "linguistic",
    Intercultural = "intercultural",
    Social = "social",
    Conflict = "conflict",
});

words!(PartyRole {
    Beneficiary = "beneficiary",
    FamilyMember = "family_member",
    ServiceOperator = "service_operator",
    HealthWorker = "health_worker",
    Teacher = "teacher",
    SocialWorker = "social_worker",
    Other = "other",
});

words!(SessionOutcome {
    Completed = "completed",
    PartiallyCompleted = "partially_completed",
    NotCompleted = "not_completed",
});

words!(CancellationReason {
    RequesterCancelled = "requester_cancelled",
    PersonAbsent = "person_absent",
    NoMediatorAvailable = "no_mediator_available",
    Other = "other",
});

words!(
    /// Where a mediation session was held.
    SessionPlace {
        /// At the desk.
        Desk = "desk",
        Hospital = "hospital",
        /// The police immigration office.
        Questura = "questura",
        School = "school",
        /// By phone.
        Phone = "phone",
        Other = "other",
    }
);

words!(
    /// What became of an appointment; `Booked` until one of the others is recorded.
    AppointmentStatus {
        Booked = "booked",
        Attended = "attended",
        Missed = "missed",
        Cancelled = "cancelled",
    }
);

words!(GroupActivityKind {
    /// 5. Mutual aid, good neighbourhood, intercultural exchange.
    Proximity = "proximity",
    /// 3. Parental group.
    ParentalGroup = "parental_group",
    /// 7. Activation of citizens and local communities.
    CommunityActivation = "community_activation",
    InformationSession = "information_session",
});

words!(DistributionChannel {
    Desk = "desk",
    Outreach = "outreach",
    PartnerService = "partner_service",
    Online = "online",
    GroupActivity = "group_activity",
});

words!(
    /// Kind of a territorial service.
    ServiceKind {
        Health = "health",
        Education = "education",
        Social = "social",
        Work = "work",
        Legal = "legal",
        Housing = "housing",
        Reception = "reception",
        /// Registry office, police immigration office and other public offices.
        Administrative = "administrative",
    }
);

words!(ClosureReason {
    GoalsAchieved = "goals_achieved",
    TransferredToService = "transferred_to_service",
    MovedAway = "moved_away",
    LostContact = "lost_contact",
    PersonRequest = "person_request",
    Other = "other",
});

words!(
    /// Why a person's personal data was erased. A closed list, so that the recorded reason can
    /// never hold personal data itself.
    ErasureReason {
        /// The person asked for their data to be erased (GDPR art. 17).
        PersonRequest = "person_request",
        /// The retention period for the record ended.
        RetentionExpired = "retention_expired",
        /// The person was registered by mistake (a duplicate, a wrong person).
        RegisteredInError = "registered_in_error",
        /// The data was collected without a lawful basis.
        UnlawfulProcessing = "unlawful_processing",
        /// Ordered by the data protection officer or an authority.
        Ordered = "ordered",
    }
);

words!(CaseOutcome {
    Positive = "positive",
    Partial = "partial",
    Negative = "negative",
});

words!(SurveyItem {
    Welcome = "welcome",
    Clarity = "clarity",
    Usefulness = "usefulness",
    WaitingTime = "waiting_time",
    Language = "language",
    Overall = "overall",
});

words!(
    /// Part of the opening day a logbook entry covers.
    RotationSlot {
        Morning = "morning",
        Afternoon = "afternoon",
        FullDay = "full_day",
    }
);

/// `true` for an ISO 639 code: 2 or 3 lowercase ASCII letters (`ar`, `uk`, `ti`, `ckb`).
pub fn is_language_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
}

/// `true` for an ISO 3166-1 alpha-2 code: 2 uppercase ASCII letters (`UA`, `BD`).
pub fn is_country_code(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

words!(
    /// A day of the week a site opens.
    Weekday {
        Monday = "monday",
        Tuesday = "tuesday",
        Wednesday = "wednesday",
        Thursday = "thursday",
        Friday = "friday",
        Saturday = "saturday",
        Sunday = "sunday",
    }
);

impl Weekday {
    /// chrono's name for the same day.
    pub fn to_chrono(self) -> chrono::Weekday {
        match self {
            Weekday::Monday => chrono::Weekday::Mon,
            Weekday::Tuesday => chrono::Weekday::Tue,
            Weekday::Wednesday => chrono::Weekday::Wed,
            Weekday::Thursday => chrono::Weekday::Thu,
            Weekday::Friday => chrono::Weekday::Fri,
            Weekday::Saturday => chrono::Weekday::Sat,
            Weekday::Sunday => chrono::Weekday::Sun,
        }
    }
}
