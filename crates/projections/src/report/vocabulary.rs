//! How the region names the codes of the desk's closed lists, in Italian and in English, in the
//! order reports list them. A template may rename any value (`[values.<dimension>]`); a code no
//! list knows is written as itself.

/// `(code, Italian, English)`.
type Word = (&'static str, &'static str, &'static str);

/// The known values of a dimension, in report order; `None` for free-text dimensions (items,
/// languages, sites, household sizes).
pub fn words(dimension: &str) -> Option<&'static [Word]> {
    Some(match dimension {
        "sex" => &[
            ("female", "Femmina", "Female"),
            ("male", "Maschio", "Male"),
            ("other", "Altro", "Other"),
            ("undisclosed", "Non dichiarato", "Undisclosed"),
            ("unknown", "Non noto", "Unknown"),
        ],
        "age_band" => &[
            ("0-17", "0-17 anni", "0-17 years"),
            ("18-24", "18-24 anni", "18-24 years"),
            ("25-34", "25-34 anni", "25-34 years"),
            ("35-44", "35-44 anni", "35-44 years"),
            ("45-54", "45-54 anni", "45-54 years"),
            ("55-64", "55-64 anni", "55-64 years"),
            ("65+", "65 anni e oltre", "65 years and over"),
            ("unknown", "Non noto", "Unknown"),
        ],
        "eligibility" => &[
            (
                "third_country",
                "Cittadino di paese terzo",
                "Third-country national",
            ),
            ("italian", "Cittadino italiano", "Italian citizen"),
            ("eu", "Cittadino UE", "EU citizen"),
            ("dual_eu", "Doppia cittadinanza UE", "Dual EU citizen"),
            ("unknown", "Non noto", "Unknown"),
        ],
        "status" => &[
            ("new", "Nuovo utente", "New"),
            ("returning", "Utente già in carico", "Returning"),
            ("unknown", "Non noto", "Unknown"),
        ],
        "permit_type" => &[
            ("work", "Lavoro", "Work"),
            ("family", "Motivi familiari", "Family"),
            ("study", "Studio", "Study"),
            ("asylum_seeker", "Richiesta asilo", "Asylum seeker"),
            ("refugee", "Asilo politico (rifugiato)", "Refugee"),
            (
                "subsidiary_protection",
                "Protezione sussidiaria",
                "Subsidiary protection",
            ),
            (
                "international_protection",
                "Protezione internazionale",
                "International protection",
            ),
            (
                "special_protection",
                "Protezione speciale",
                "Special protection",
            ),
            (
                "special_case_art_18",
                "Casi speciali art. 18",
                "Special case art. 18",
            ),
            (
                "special_case_art_18_bis",
                "Casi speciali art. 18-bis",
                "Special case art. 18-bis",
            ),
            (
                "special_case_art_22",
                "Casi speciali art. 22",
                "Special case art. 22",
            ),
            ("minor_age", "Minore età", "Minor age"),
            ("medical_care", "Cure mediche", "Medical care"),
            (
                "awaiting_employment",
                "Attesa occupazione",
                "Awaiting employment",
            ),
            (
                "eu_family_member_card",
                "Carta di soggiorno familiare UE",
                "EU family member card",
            ),
            (
                "temporary_protection",
                "Protezione temporanea",
                "Temporary protection",
            ),
            (
                "long_term_eu",
                "Soggiornante di lungo periodo UE",
                "Long-term EU resident",
            ),
            ("none", "Nessun permesso", "None"),
            ("unknown", "Non noto", "Unknown"),
        ],
        "vulnerability" => &[
            ("minor", "Minore", "Minor"),
            (
                "unaccompanied_minor",
                "Minore straniero non accompagnato",
                "Unaccompanied minor",
            ),
            ("disability", "Disabilità", "Disability"),
            ("elderly", "Anziano", "Elderly"),
            ("pregnancy", "Donna in gravidanza", "Pregnancy"),
            (
                "single_parent_with_minors",
                "Genitore solo con figli minori",
                "Single parent with minors",
            ),
            (
                "trafficking_victim",
                "Vittima di tratta",
                "Trafficking victim",
            ),
            (
                "serious_or_mental_illness",
                "Malattia grave o disturbo mentale",
                "Serious or mental illness",
            ),
            (
                "torture_or_violence_survivor",
                "Vittima di tortura o violenza",
                "Torture or violence survivor",
            ),
            (
                "female_genital_mutilation",
                "Mutilazioni genitali femminili",
                "Female genital mutilation",
            ),
            ("none", "Nessuna vulnerabilità", "None"),
        ],
        "activity" => &[
            ("intake", "Accoglienza (primo contatto)", "Intake"),
            (
                "orientation_accompaniment",
                "Orientamento e accompagnamento ai servizi",
                "Orientation and accompaniment",
            ),
            (
                "integrated_case_support",
                "Supporto alla presa in carico integrata",
                "Integrated case support",
            ),
            (
                "parental_support",
                "Supporto alla genitorialità",
                "Parental support",
            ),
            ("legal_advice", "Consulenza legale", "Legal advice"),
            (
                "mediation",
                "Mediazione sociale e interculturale",
                "Mediation",
            ),
        ],
        "kind" => &[
            ("proximity", "Prossimità e buon vicinato", "Proximity"),
            ("parental_group", "Gruppo genitori", "Parental group"),
            (
                "community_activation",
                "Attivazione della comunità",
                "Community activation",
            ),
            (
                "information_session",
                "Incontro informativo",
                "Information session",
            ),
        ],
        "channel" => &[
            ("desk", "Sportello", "Desk"),
            ("outreach", "Attività sul territorio", "Outreach"),
            ("partner_service", "Servizio partner", "Partner service"),
            ("online", "Online", "Online"),
            ("group_activity", "Attività di gruppo", "Group activity"),
        ],
        "helpful" => &[("yes", "Sì", "Yes"), ("no", "No", "No")],
        "citizenship" => &[
            ("AF", "Afghanistan", "Afghanistan"),
            ("AL", "Albania", "Albania"),
            ("BD", "Bangladesh", "Bangladesh"),
            ("CN", "Cina", "China"),
            ("CO", "Colombia", "Colombia"),
            ("EG", "Egitto", "Egypt"),
            ("ER", "Eritrea", "Eritrea"),
            ("ET", "Etiopia", "Ethiopia"),
            ("GH", "Ghana", "Ghana"),
            ("GM", "Gambia", "Gambia"),
            ("IN", "India", "India"),
            ("MA", "Marocco", "Morocco"),
            ("ML", "Mali", "Mali"),
            ("MD", "Moldova", "Moldova"),
            ("NG", "Nigeria", "Nigeria"),
            ("PE", "Perù", "Peru"),
            ("PH", "Filippine", "Philippines"),
            ("PK", "Pakistan", "Pakistan"),
            ("SN", "Senegal", "Senegal"),
            ("SY", "Siria", "Syria"),
            ("TN", "Tunisia", "Tunisia"),
            ("UA", "Ucraina", "Ukraine"),
            ("IT", "Italia", "Italy"),
            ("RO", "Romania", "Romania"),
            ("PL", "Polonia", "Poland"),
            ("DE", "Germania", "Germany"),
            ("FR", "Francia", "France"),
            ("ES", "Spagna", "Spain"),
            ("unknown", "Non nota", "Unknown"),
        ],
        _ => return None,
    })
}
