//! A seeded generator of realistic volume: years of activity at several sites.
//!
//! `Generator::new(seed, config)` yields [`ImportLine`]s in time order that pass every rule of
//! [`crate::DeskState::decide`] when folded in order; the same seed yields the same lines. Names
//! are made of syllables: no real person's data.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc, Weekday};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ulid::Ulid;

use crate::calendar::{italian_holiday, rome_instant, OpeningHours};
use crate::command::*;
use crate::event::{
    ItemScore, LanguagePair, Permit, ServiceDescription, SupervisionAction, UkraineCapacity,
};
use crate::ids::*;
use crate::import::ImportLine;
use crate::personal::{Contact, ContactKind, PersonalData, PersonalNote};
use crate::vocab::*;

/// Builds the command first, so that its fields may draw from the generator's rng.
macro_rules! push {
    ($self:ident, $out:expr, $actor:expr, $cmd:expr $(,)?) => {{
        let actor = $actor;
        let command: Command = ($cmd).into();
        $self.push_line($out, actor, command)
    }};
}

/// How much to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratorConfig {
    /// The first day of activity.
    pub start: NaiveDate,
    /// How many calendar days to cover.
    pub days: u32,
    /// How many sites (desks); the first is `montelucci-4`.
    pub sites: u32,
    /// Mean number of new people per site and opening.
    pub new_persons_per_opening: u32,
    /// Stop after this many lines, if set (the last day may be cut short).
    pub max_lines: Option<u64>,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            start: NaiveDate::from_ymd_opt(2023, 1, 2).expect("a valid date"),
            days: 730,
            sites: 3,
            new_persons_per_opening: 3,
            max_lines: None,
        }
    }
}

const SITE_NAMES: &[&str] = &[
    "montelucci-4",
    "guidonia-centro",
    "villanova",
    "setteville",
    "tivoli-centro",
    "villalba",
];

/// (language, citizenship, permit most often held)
const ORIGINS: &[(&str, &str, PermitType)] = &[
    ("uk", "UA", PermitType::TemporaryProtection),
    ("ar", "EG", PermitType::Work),
    ("ar", "MA", PermitType::Family),
    ("bn", "BD", PermitType::Work),
    ("ur", "PK", PermitType::Family),
    ("ti", "ER", PermitType::Refugee),
    ("zh", "CN", PermitType::Work),
    ("es", "PE", PermitType::LongTermEu),
    ("fr", "SN", PermitType::SpecialProtection),
    ("en", "NG", PermitType::AsylumSeeker),
    ("ps", "AF", PermitType::SubsidiaryProtection),
];

const SYLLABLES: &[&str] = &[
    "ka", "mi", "ro", "sa", "te", "lu", "na", "vo", "zi", "be", "da", "fe", "ho", "ju", "qu", "ri",
];

#[derive(Clone, Debug)]
struct Person {
    id: PersonId,
    site: usize,
    language: &'static str,
    permit: PermitType,
    open_case: Option<CaseId>,
    closed_case: Option<CaseId>,
}

/// An appointment booked and not yet ended.
#[derive(Clone, Debug)]
struct Booked {
    id: AppointmentId,
    site: usize,
    starts_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
struct Pending {
    id: ReferralId,
    site: usize,
    due: NaiveDate,
    stage: u8,
}

#[derive(Clone, Debug)]
struct Scheduled {
    id: MediationId,
    site: usize,
    slot_start: DateTime<Utc>,
    language: &'static str,
}

#[derive(Clone, Debug)]
struct Service {
    id: ServiceId,
    retired: bool,
    description: ServiceDescription,
}

/// Yields import lines in time order; see the module documentation.
pub struct Generator {
    rng: ChaCha8Rng,
    config: GeneratorConfig,
    day_index: u32,
    emitted: u64,
    buffer: VecDeque<ImportLine>,
    services: Vec<Service>,
    persons: Vec<Person>,
    referrals: Vec<Pending>,
    scheduled: Vec<Scheduled>,
    open_cases: Vec<CaseId>,
    last_supervision_month: Option<(i32, u32)>,
    appointments: Vec<Booked>,
    /// How many half-hour slots of a site's day are booked, morning and afternoon.
    slots_taken: BTreeMap<(usize, NaiveDate), (u32, u32)>,
}

impl Generator {
    pub fn new(seed: u64, config: GeneratorConfig) -> Self {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            config,
            day_index: 0,
            emitted: 0,
            buffer: VecDeque::new(),
            services: Vec::new(),
            persons: Vec::new(),
            referrals: Vec::new(),
            scheduled: Vec::new(),
            open_cases: Vec::new(),
            last_supervision_month: None,
            appointments: Vec::new(),
            slots_taken: BTreeMap::new(),
        }
    }

    fn site(&self, i: usize) -> SiteId {
        match SITE_NAMES.get(i) {
            Some(name) => SiteId::new(*name),
            None => SiteId::new(format!("sede-{}", i + 1)),
        }
    }

    fn mediator(&self, site: usize, slot: usize) -> (String, &'static str) {
        let (language, _, _) = ORIGINS[(site * 3 + slot) % ORIGINS.len()];
        (format!("med-{}-{}", site + 1, slot + 1), language)
    }

    fn id(&mut self, at: DateTime<Utc>) -> Ulid {
        let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        Ulid::from_parts(ms, self.rng.gen::<u128>())
    }

    fn push_line(&mut self, out: &mut Vec<ImportLine>, actor: Actor, command: impl Into<Command>) {
        let command = command.into();
        let event_id = self.id(command.occurred_at());
        out.push(ImportLine {
            event_id,
            actor,
            command,
        });
    }

    fn name(&mut self) -> String {
        let mut part = |n: usize| {
            let mut s: String = (0..n)
                .map(|_| *SYLLABLES.choose(&mut self.rng).expect("not empty"))
                .collect();
            s[..1].make_ascii_uppercase();
            s
        };
        format!("{} {}", part(2), part(3))
    }

    fn usable_service(&mut self) -> Option<ServiceId> {
        let usable: Vec<ServiceId> = self
            .services
            .iter()
            .filter(|s| !s.retired)
            .map(|s| s.id)
            .collect();
        usable.choose(&mut self.rng).copied()
    }

    fn service_description(&mut self, n: usize, on: NaiveDate) -> ServiceDescription {
        let kinds = ServiceKind::ALL;
        let kind = kinds[n % kinds.len()];
        ServiceDescription {
            name: format!("Servizio {} n. {}", kind.as_str(), n + 1),
            kind,
            address: format!("via dei Servizi {}", n + 1),
            opening_hours: "lun-ven 9:00-13:00".into(),
            languages: vec!["it".into()],
            access_rules: "su appuntamento".into(),
            ukraine_capacity: (kind == ServiceKind::Reception).then(|| UkraineCapacity {
                reception_places: self.rng.gen_range(0..30),
                health: false,
                school_access: false,
            }),
            verified_on: on,
        }
    }

    fn map_service(&mut self, out: &mut Vec<ImportLine>, at: DateTime<Utc>) {
        let n = self.services.len();
        let description = self.service_description(n, at.date_naive());
        let id = ServiceId(self.id(at));
        self.services.push(Service {
            id,
            retired: false,
            description: description.clone(),
        });
        push!(
            self,
            out,
            admin(),
            MapService {
                service_id: id,
                occurred_at: at,
                description
            }
        );
    }

    fn fill_day(&mut self) -> Vec<ImportLine> {
        let day = self.config.start + TimeDelta::days(i64::from(self.day_index));
        let mut out = Vec::new();
        let morning = day.and_hms_opt(6, 0, 0).expect("a valid time").and_utc();
        if self.day_index == 0 {
            for site in 0..self.config.sites as usize {
                let at = morning - TimeDelta::minutes(30)
                    + TimeDelta::minutes(i64::try_from(site).unwrap_or(0));
                let command = self.schedule(site, at);
                push!(self, &mut out, admin(), command);
            }
            for i in 0..8 {
                self.map_service(&mut out, morning + TimeDelta::minutes(i));
            }
        }
        if self.rng.gen_bool(0.02) {
            let at = morning + TimeDelta::minutes(30);
            if let Some(i) = (0..self.services.len())
                .filter(|i| !self.services[*i].retired)
                .collect::<Vec<_>>()
                .choose(&mut self.rng)
                .copied()
            {
                let mut description = self.services[i].description.clone();
                description.verified_on = day;
                description.opening_hours =
                    format!("lun-ven 9:00-{}:00", self.rng.gen_range(12..18));
                self.services[i].description = description.clone();
                let service_id = self.services[i].id;
                push!(
                    self,
                    &mut out,
                    admin(),
                    UpdateService {
                        service_id,
                        occurred_at: at,
                        description
                    }
                );
            }
        }
        if self.rng.gen_bool(0.003) && self.services.iter().filter(|s| !s.retired).count() > 6 {
            let at = morning + TimeDelta::minutes(40);
            if let Some(id) = self.usable_service() {
                if let Some(s) = self.services.iter_mut().find(|s| s.id == id) {
                    s.retired = true;
                }
                push!(
                    self,
                    &mut out,
                    admin(),
                    RetireService {
                        service_id: id,
                        occurred_at: at,
                        reason: "servizio chiuso".into()
                    }
                );
                self.map_service(&mut out, at + TimeDelta::minutes(1));
            }
        }
        let month = (day.year(), day.month());
        if day.weekday() == Weekday::Wed && self.last_supervision_month != Some(month) {
            self.last_supervision_month = Some(month);
            self.supervision(&mut out, day);
        }
        for site in 0..self.config.sites as usize {
            if opens_on(site, day) {
                self.opening(&mut out, site, day);
            }
        }
        out.sort_by_key(|l| l.command.occurred_at());
        out
    }

    /// A site's schedule: its opening days, 9:00-12:00 and 15:00-17:00 (Rome), two phones.
    fn schedule(&self, site: usize, at: DateTime<Utc>) -> ScheduleSite {
        let days = opening_days(site).to_vec();
        let time = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("a valid time");
        ScheduleSite {
            site_id: self.site(site),
            occurred_at: at,
            name: format!("Segretariato sociale {}", self.site(site)),
            opening_days: days.clone(),
            hours: days
                .iter()
                .flat_map(|day| {
                    [(9, 12), (15, 17)].map(|(opens, closes)| OpeningHours {
                        day: *day,
                        opens: time(opens),
                        closes: time(closes),
                    })
                })
                .collect(),
            phones: vec![
                format!("0774 30{:04}", site * 2),
                format!("0774 30{:04}", site * 2 + 1),
            ],
        }
    }

    /// The appointments of `site` whose slot is on `day`: most attended, some missed, a few
    /// cancelled; how many people came.
    fn appointments_due(&mut self, out: &mut Vec<ImportLine>, site: usize, day: NaiveDate) -> u32 {
        let (due, later): (Vec<Booked>, Vec<Booked>) = std::mem::take(&mut self.appointments)
            .into_iter()
            .partition(|a| a.site == site && crate::calendar::rome_date(a.starts_at) == day);
        self.appointments = later;
        let (mediator, _) = self.mediator(site, 0);
        let mut came = 0;
        for a in due {
            let actor = mediator_actor(&mediator);
            match self.rng.gen_range(0..20) {
                0..=1 => push!(
                    self,
                    out,
                    actor,
                    CancelAppointment {
                        appointment_id: a.id,
                        occurred_at: a.starts_at - TimeDelta::hours(1),
                        reason: CancellationReason::PersonAbsent,
                    }
                ),
                2..=4 => push!(
                    self,
                    out,
                    actor,
                    RecordNoShow {
                        appointment_id: a.id,
                        occurred_at: a.starts_at + TimeDelta::minutes(30),
                    }
                ),
                _ => {
                    came += 1;
                    push!(
                        self,
                        out,
                        actor,
                        RecordAppointmentAttended {
                            appointment_id: a.id,
                            occurred_at: a.starts_at + TimeDelta::minutes(5),
                        }
                    )
                }
            }
        }
        came
    }

    /// What may follow a returning person's visit: an appointment next week (sometimes moved to
    /// the afternoon), a renewed permit or a larger household, a case conference with the
    /// services that follow an open case.
    fn follow_up(
        &mut self,
        out: &mut Vec<ImportLine>,
        at: &mut DateTime<Utc>,
        site: usize,
        day: NaiveDate,
        person: &Person,
        mediator: &str,
    ) {
        let site_id = self.site(site);
        let actor = mediator_actor(mediator);
        let next_week = day + TimeDelta::days(7);
        if self.rng.gen_bool(0.15) && italian_holiday(next_week).is_none() {
            let taken = self.slots_taken.entry((site, next_week)).or_default();
            if taken.0 < 6 {
                let slot = taken.0;
                taken.0 += 1;
                let starts_at = rome_instant(
                    next_week.and_time(NaiveTime::from_hms_opt(9, 0, 0).expect("a valid time")),
                ) + TimeDelta::minutes(30 * i64::from(slot));
                let when = step(&mut self.rng, at);
                let appointment_id = AppointmentId(self.id(when));
                push!(
                    self,
                    out,
                    actor.clone(),
                    BookAppointment {
                        appointment_id,
                        person_id: person.id,
                        site_id: site_id.clone(),
                        occurred_at: when,
                        starts_at,
                        ends_at: starts_at + TimeDelta::minutes(30),
                        mediator: mediator.to_string(),
                        language: person.language.into(),
                        channel: if self.rng.gen_bool(0.5) {
                            IntakeChannel::Phone
                        } else {
                            IntakeChannel::WalkIn
                        },
                        referred_by: None,
                        note: None,
                    }
                );
                let mut booked = Booked {
                    id: appointment_id,
                    site,
                    starts_at,
                };
                let afternoon = self.slots_taken.entry((site, next_week)).or_default();
                if afternoon.1 < 4 && self.rng.gen_bool(0.1) {
                    let slot = afternoon.1;
                    afternoon.1 += 1;
                    let starts_at = rome_instant(
                        next_week
                            .and_time(NaiveTime::from_hms_opt(15, 0, 0).expect("a valid time")),
                    ) + TimeDelta::minutes(30 * i64::from(slot));
                    let when = step(&mut self.rng, at);
                    push!(
                        self,
                        out,
                        actor.clone(),
                        RescheduleAppointment {
                            appointment_id,
                            occurred_at: when,
                            starts_at,
                            ends_at: starts_at + TimeDelta::minutes(30),
                            mediator: None,
                        }
                    );
                    booked.starts_at = starts_at;
                }
                self.appointments.push(booked);
            }
        }
        if self.rng.gen_bool(0.05) {
            let when = step(&mut self.rng, at);
            let renewed = self.rng.gen_bool(0.7);
            push!(
                self,
                out,
                actor.clone(),
                UpdatePerson {
                    person_id: person.id,
                    site_id: site_id.clone(),
                    occurred_at: when,
                    permit: renewed.then(|| Permit {
                        permit_type: person.permit,
                        expires_on: (!person.permit.is_no_permit())
                            .then(|| day + TimeDelta::days(730)),
                        renewal_pending: false,
                    }),
                    citizenships: None,
                    languages: None,
                    household_size: (!renewed).then(|| self.rng.gen_range(2..8)),
                    personal: None,
                }
            );
        }
        if let Some(case_id) = person.open_case {
            if self.rng.gen_bool(0.1) {
                let mut services: Vec<ServiceId> =
                    (0..2).filter_map(|_| self.usable_service()).collect();
                services.sort();
                services.dedup();
                if !services.is_empty() {
                    let when = step(&mut self.rng, at);
                    push!(
                        self,
                        out,
                        actor,
                        RecordCaseConference {
                            case_id,
                            occurred_at: when,
                            mediator: mediator.to_string(),
                            participants: services
                                .iter()
                                .map(|_| PersonalNote::new("assistente sociale del servizio"))
                                .collect(),
                            services,
                            decisions: vec![PersonalNote::new(
                                *CONFERENCE_DECISIONS
                                    .choose(&mut self.rng)
                                    .expect("not empty"),
                            )],
                            next_review: Some(day + TimeDelta::days(30)),
                        }
                    );
                }
            }
        }
    }

    fn supervision(&mut self, out: &mut Vec<ImportLine>, day: NaiveDate) {
        let at = day.and_hms_opt(12, 30, 0).expect("a valid time").and_utc();
        let sites: Vec<SiteId> = (0..self.config.sites as usize)
            .map(|s| self.site(s))
            .collect();
        let attendees: Vec<String> = (0..self.config.sites as usize)
            .flat_map(|s| (0..3).map(move |j| (s, j)))
            .map(|(s, j)| self.mediator(s, j).0)
            .collect();
        let cases: Vec<CaseId> = self.open_cases.iter().rev().take(2).copied().collect();
        let owner = attendees[0].clone();
        let meeting_id = MeetingId(self.id(at));
        push!(
            self,
            out,
            Actor::new("supervisore", Role::Supervisor),
            RecordSupervisionMeeting {
                meeting_id,
                occurred_at: at,
                duration_minutes: 120,
                supervisor: "supervisore".into(),
                attendees,
                site_ids: sites,
                themes: vec!["andamento del mese".into()],
                cases_discussed: cases,
                decisions: vec![PersonalNote::new("proseguire il lavoro di rete")],
                actions: vec![SupervisionAction {
                    description: PersonalNote::new("aggiornare la mappa dei servizi"),
                    owner,
                    due_on: Some(day + TimeDelta::days(14))
                }],
            },
        );
    }

    fn opening(&mut self, out: &mut Vec<ImportLine>, site: usize, day: NaiveDate) {
        let site_id = self.site(site);
        let mut at = day.and_hms_opt(7, 0, 0).expect("a valid time").and_utc();
        let mut contacts = 0u32;
        let mut languages: Vec<String> = Vec::new();

        // Scheduled mediations whose slot is today.
        let due: Vec<Scheduled> = self
            .scheduled
            .iter()
            .filter(|m| m.site == site && m.slot_start.date_naive() == day)
            .cloned()
            .collect();
        self.scheduled
            .retain(|m| !(m.site == site && m.slot_start.date_naive() == day));
        for m in due {
            let (mediator, _) = self.mediator(site, 0);
            if self.rng.gen_bool(0.1) {
                let when = step(&mut self.rng, &mut at);
                push!(
                    self,
                    out,
                    mediator_actor(&mediator),
                    CancelMediation {
                        mediation_id: m.id,
                        occurred_at: when,
                        reason: CancellationReason::PersonAbsent
                    }
                );
            } else {
                let started = m.slot_start.max(step(&mut self.rng, &mut at));
                let ended = started + TimeDelta::minutes(self.rng.gen_range(20..90));
                at = ended;
                languages.push(m.language.to_string());
                contacts += 1;
                push!(
                    self,
                    out,
                    mediator_actor(&mediator),
                    session(
                        m.id,
                        started,
                        ended,
                        &mediator,
                        m.language,
                        MediationKind::Linguistic
                    )
                );
            }
        }

        // Appointments of today: attended, missed, or called off.
        contacts += self.appointments_due(out, site, day);

        // Referral outcomes that are due.
        let mut i = 0;
        while i < self.referrals.len() {
            if self.referrals[i].site != site || self.referrals[i].due > day {
                i += 1;
                continue;
            }
            let r = self.referrals[i].clone();
            let (mediator, _) = self.mediator(site, 1);
            let when = step(&mut self.rng, &mut at);
            let (outcome, appointment_on, next) = match (r.stage, self.rng.gen_range(0..10)) {
                (0, 0) => (ReferralOutcome::Refused, None, None),
                (0, 1) => (ReferralOutcome::LostContact, None, None),
                (0, 2..=5) => (ReferralOutcome::Accepted, None, Some(1)),
                (0, _) | (1, _) => (
                    ReferralOutcome::AppointmentSet,
                    Some(day + TimeDelta::days(7)),
                    Some(2),
                ),
                (_, 0..=1) => (ReferralOutcome::NoShow, None, Some(1)),
                _ => (ReferralOutcome::ServiceReceived, None, None),
            };
            push!(
                self,
                out,
                mediator_actor(&mediator),
                RecordReferralOutcome {
                    referral_id: r.id,
                    occurred_at: when,
                    outcome,
                    appointment_on,
                    note: None
                }
            );
            match next {
                Some(stage) => {
                    self.referrals[i].stage = stage;
                    self.referrals[i].due = day + TimeDelta::days(self.rng.gen_range(3..15));
                    i += 1;
                }
                None => {
                    self.referrals.swap_remove(i);
                }
            }
        }

        // New people.
        let mean = self.config.new_persons_per_opening;
        let new_people = self.rng.gen_range(0..=2 * mean);
        for _ in 0..new_people {
            let slot = self.rng.gen_range(0..3);
            let (mediator, _) = self.mediator(site, slot);
            let actor = mediator_actor(&mediator);
            let &(language, country, permit) = ORIGINS.choose(&mut self.rng).expect("not empty");
            let minor = self.rng.gen_bool(0.1);
            let birth_year = if minor {
                day.year() - self.rng.gen_range(6..16)
            } else {
                day.year() - self.rng.gen_range(19..70)
            };
            let person_id = PersonId(self.id(at));
            let registered_at = step(&mut self.rng, &mut at);
            let full_name = self.name();
            push!(
                self,
                out,
                actor.clone(),
                RegisterPerson {
                    person_id,
                    site_id: site_id.clone(),
                    occurred_at: registered_at,
                    birth_year,
                    sex: if self.rng.gen_bool(0.55) {
                        Sex::Female
                    } else {
                        Sex::Male
                    },
                    citizenships: vec![country.into()],
                    country_of_birth: country.into(),
                    arrival_year: Some(
                        day.year() - self.rng.gen_range(0..6).min(day.year() - birth_year)
                    ),
                    permit_type: permit,
                    permit_expires_on: (!permit.is_no_permit())
                        .then(|| day + TimeDelta::days(self.rng.gen_range(30..900))),
                    permit_renewal_pending: false,
                    languages: if language == "it" {
                        vec!["it".into()]
                    } else {
                        vec![language.into(), "it".into()]
                    },
                    household_size: self.rng.gen_range(1..7),
                    minor,
                    unaccompanied_minor: minor && self.rng.gen_bool(0.3),
                    personal: PersonalData {
                        full_name,
                        birth_date: None,
                        contacts: vec![Contact {
                            kind: ContactKind::Phone,
                            value: format!("+39 3{:09}", self.rng.gen_range(0..1_000_000_000u64))
                        }],
                        fiscal_code: None,
                    },
                },
            );
            let when = step(&mut self.rng, &mut at);
            push!(
                self,
                out,
                actor.clone(),
                GiveConsent {
                    person_id,
                    site_id: site_id.clone(),
                    occurred_at: when,
                    scopes: ConsentScope::ALL.to_vec(),
                    shared_with: vec!["servizi del territorio".into()],
                    given_by: if minor {
                        ConsentGiver::Guardian
                    } else {
                        ConsentGiver::Person
                    },
                    guardian_kind: minor.then_some(GuardianKind::VoluntaryGuardian),
                    guardian_name: minor
                        .then(|| PersonalNote::new(format!("tutore {}", self.name()))),
                },
            );
            let need = *NeedArea::ALL.choose(&mut self.rng).expect("not empty");
            let when = step(&mut self.rng, &mut at);
            push!(
                self,
                out,
                actor.clone(),
                RecordIntake {
                    person_id,
                    site_id: site_id.clone(),
                    occurred_at: when,
                    channel: IntakeChannel::WalkIn,
                    referred_by: None,
                    needs: vec![need],
                    note: None
                },
            );
            contacts += 1;
            languages.push(language.to_string());
            self.persons.push(Person {
                id: person_id,
                site,
                language,
                permit,
                open_case: None,
                closed_case: None,
            });
            if self.rng.gen_bool(0.4) {
                if let Some(service_id) = self.usable_service() {
                    let when = step(&mut self.rng, &mut at);
                    let referral_id = ReferralId(self.id(when));
                    push!(
                        self,
                        out,
                        actor.clone(),
                        IssueReferral {
                            referral_id,
                            person_id,
                            case_id: None,
                            site_id: site_id.clone(),
                            occurred_at: when,
                            service_id,
                            reason: need,
                            urgency: Urgency::Routine,
                            note: None
                        },
                    );
                    let due = day + TimeDelta::days(self.rng.gen_range(2..10));
                    self.referrals.push(Pending {
                        id: referral_id,
                        site,
                        due,
                        stage: 0,
                    });
                }
            }
        }

        // Returning people: interventions, cases.
        let here: Vec<usize> = (0..self.persons.len())
            .filter(|i| self.persons[*i].site == site)
            .collect();
        let returning = self.rng.gen_range(0..=3).min(here.len());
        for &p in here
            .choose_multiple(&mut self.rng, returning)
            .collect::<Vec<_>>()
        {
            let slot = self.rng.gen_range(0..3);
            let (mediator, _) = self.mediator(site, slot);
            let actor = mediator_actor(&mediator);
            let person = self.persons[p].clone();
            contacts += 1;
            languages.push(person.language.to_string());
            if person.open_case.is_none() && person.closed_case.is_none() && self.rng.gen_bool(0.3)
            {
                let when = step(&mut self.rng, &mut at);
                let case_id = CaseId(self.id(when));
                push!(
                    self,
                    out,
                    actor.clone(),
                    OpenCase {
                        case_id,
                        person_id: person.id,
                        site_id: site_id.clone(),
                        occurred_at: when,
                        case_worker: mediator.clone(),
                        vulnerabilities: vec![],
                        partner_services: vec![]
                    },
                );
                self.persons[p].open_case = Some(case_id);
                self.open_cases.push(case_id);
                continue;
            }
            if let (None, Some(case_id)) = (person.open_case, person.closed_case) {
                if self.rng.gen_bool(0.1) {
                    let when = step(&mut self.rng, &mut at);
                    push!(
                        self,
                        out,
                        actor.clone(),
                        ReopenCase {
                            case_id,
                            occurred_at: when,
                            note: None
                        }
                    );
                    self.persons[p].open_case = Some(case_id);
                    self.persons[p].closed_case = None;
                    self.open_cases.push(case_id);
                    continue;
                }
            }
            let when = step(&mut self.rng, &mut at);
            let intervention_id = InterventionId(self.id(when));
            let activity = *Activity::ALL.choose(&mut self.rng).expect("not empty");
            let case_id = if activity == Activity::IntegratedCaseSupport {
                person.open_case
            } else {
                None
            };
            let activity = if activity == Activity::IntegratedCaseSupport && case_id.is_none() {
                Activity::OrientationAccompaniment
            } else {
                activity
            };
            let service_id = self.usable_service();
            push!(
                self,
                out,
                actor.clone(),
                RecordIntervention {
                    intervention_id,
                    person_id: person.id,
                    case_id,
                    site_id: site_id.clone(),
                    occurred_at: when,
                    activity,
                    mode: InterventionMode::InPerson,
                    duration_minutes: self.rng.gen_range(15..120),
                    staff: vec![mediator.clone()],
                    language: person.language.into(),
                    need: None,
                    service_id: if activity == Activity::IntegratedCaseSupport
                        || self.rng.gen_bool(0.5)
                    {
                        service_id
                    } else {
                        None
                    },
                    legal_topic: (activity == Activity::LegalAdvice).then_some(LegalTopic::Permit),
                    parental_kind: (activity == Activity::ParentalSupport)
                        .then_some(ParentalSupportKind::SocioEducational),
                    outcome: InterventionOutcome::InProgress,
                    note: None,
                },
            );
            self.follow_up(out, &mut at, site, day, &person, &mediator);
            if let Some(case_id) = person.open_case {
                if self.rng.gen_bool(0.15) {
                    let when = step(&mut self.rng, &mut at);
                    push!(
                        self,
                        out,
                        actor.clone(),
                        CloseCase {
                            case_id,
                            occurred_at: when,
                            reason: ClosureReason::GoalsAchieved,
                            outcome: CaseOutcome::Positive,
                            note: None
                        }
                    );
                    self.persons[p].open_case = None;
                    self.persons[p].closed_case = Some(case_id);
                    self.open_cases.retain(|c| *c != case_id);
                }
            }
        }

        // Mediation: on call today, or scheduled for next week.
        if self.rng.gen_bool(0.5) {
            let slot = self.rng.gen_range(0..3);
            let (mediator, language) = self.mediator(site, slot);
            let actor = mediator_actor(&mediator);
            let when = step(&mut self.rng, &mut at);
            let mediation_id = MediationId(self.id(when));
            let requesting_service = self.usable_service();
            if self.rng.gen_bool(0.6) {
                push!(
                    self,
                    out,
                    actor.clone(),
                    RequestMediation {
                        mediation_id,
                        site_id: site_id.clone(),
                        occurred_at: when,
                        mode: MediationMode::OnCall,
                        requesting_service,
                        person_id: None,
                        case_id: None,
                        language: language.into(),
                        slot_start: None,
                        slot_end: None
                    },
                );
                let started = step(&mut self.rng, &mut at);
                let ended = started + TimeDelta::minutes(self.rng.gen_range(15..60));
                at = ended;
                contacts += 1;
                languages.push(language.into());
                push!(
                    self,
                    out,
                    actor,
                    session(
                        mediation_id,
                        started,
                        ended,
                        &mediator,
                        language,
                        MediationKind::Intercultural
                    )
                );
            } else {
                let slot_start = (day + TimeDelta::days(7))
                    .and_hms_opt(8, 0, 0)
                    .expect("a valid time")
                    .and_utc();
                push!(
                    self,
                    out,
                    actor,
                    RequestMediation {
                        mediation_id,
                        site_id: site_id.clone(),
                        occurred_at: when,
                        mode: MediationMode::Scheduled,
                        requesting_service,
                        person_id: None,
                        case_id: None,
                        language: language.into(),
                        slot_start: Some(slot_start),
                        slot_end: Some(slot_start + TimeDelta::hours(1)),
                    },
                );
                self.scheduled.push(Scheduled {
                    id: mediation_id,
                    site,
                    slot_start,
                    language,
                });
            }
        }

        // Group activity, material, surveys.
        let (lead, lead_language) = self.mediator(site, 2);
        if self.rng.gen_bool(0.1) {
            let when = step(&mut self.rng, &mut at);
            let kind = *GroupActivityKind::ALL
                .choose(&mut self.rng)
                .expect("not empty");
            let activity_id = GroupActivityId(self.id(when));
            let attendees = self.rng.gen_range(3..25);
            push!(
                self,
                out,
                mediator_actor(&lead),
                RecordGroupActivity {
                    activity_id,
                    site_id: site_id.clone(),
                    occurred_at: when,
                    kind,
                    title: PersonalNote::new(format!("Incontro di gruppo ({})", kind.as_str())),
                    duration_minutes: 90,
                    attendees_third_country: attendees,
                    attendees_other: self.rng.gen_range(0..5),
                    languages: vec!["it".into()],
                    associations: vec!["Associazione di quartiere".into()],
                    facilitators: vec![lead.clone()],
                },
            );
            at += TimeDelta::minutes(90);
        }
        if self.rng.gen_bool(0.2) {
            let when = step(&mut self.rng, &mut at);
            let distribution_id = DistributionId(self.id(when));
            push!(
                self,
                out,
                mediator_actor(&lead),
                DistributeInformationMaterial {
                    distribution_id,
                    site_id: site_id.clone(),
                    occurred_at: when,
                    item: "Guida ai servizi del territorio".into(),
                    language: lead_language.into(),
                    quantity: self.rng.gen_range(5..50),
                    channel: DistributionChannel::Desk,
                },
            );
        }
        if self.rng.gen_bool(0.3) {
            let when = step(&mut self.rng, &mut at);
            let survey_id = SurveyId(self.id(when));
            let person_id = here
                .choose(&mut self.rng)
                .map(|p| self.persons[*p].id)
                .filter(|_| self.rng.gen_bool(0.5));
            let scores = SurveyItem::ALL
                .iter()
                .map(|item| ItemScore {
                    item: item.as_str().into(),
                    score: self.rng.gen_range(2..=5),
                })
                .collect();
            push!(
                self,
                out,
                mediator_actor(&lead),
                RecordSurveyResponse {
                    survey_id,
                    site_id: site_id.clone(),
                    occurred_at: when,
                    person_id,
                    definition: None,
                    version: None,
                    scores,
                    helpful_for_integration: self.rng.gen_bool(0.8),
                    comment: None
                },
            );
        }

        // The logbook of the day: each mediator on duty writes their own entry, and the
        // supervisor sometimes comments on the first one.
        languages.sort();
        languages.dedup();
        if languages.is_empty() {
            languages.push("it".into());
        }
        let first = (self.day_index % 3) as usize;
        let mut first_entry = None;
        for (k, slot) in [RotationSlot::Morning, RotationSlot::Afternoon]
            .into_iter()
            .enumerate()
        {
            let (writer, _) = self.mediator(site, (first + k) % 3);
            let when = step(&mut self.rng, &mut at)
                .max(day.and_hms_opt(15, 10, 0).expect("a valid time").and_utc());
            let (observations, difficulties, strategies, training) =
                DIARY[(self.day_index as usize + k) % DIARY.len()];
            let entry = WriteLogbookEntry {
                site_id: site_id.clone(),
                date: day,
                occurred_at: when,
                mediator: writer.clone(),
                slot,
                contacts: if k == 0 { contacts } else { contacts / 2 },
                languages: languages.clone(),
                observations: Some(PersonalNote::new(observations)),
                incidents: None,
                emerging_needs: vec![],
                difficulties: Some(PersonalNote::new(difficulties)),
                strategies: Some(PersonalNote::new(strategies)),
                training_needs: Some(PersonalNote::new(training)),
            };
            let command = Command::from(entry);
            let event_id = self.id(command.occurred_at());
            first_entry.get_or_insert((event_id, when));
            out.push(ImportLine {
                event_id,
                actor: mediator_actor(&writer),
                command,
            });
        }
        if let (Some((entry_id, written)), true) = (first_entry, self.rng.gen_bool(0.25)) {
            let when = written + TimeDelta::hours(2);
            push!(
                self,
                out,
                Actor::new("supervisore", Role::Supervisor),
                CommentLogbookEntry {
                    entry_id,
                    occurred_at: when,
                    comment: PersonalNote::new("Bene: riprendiamolo nella prossima supervisione."),
                },
            );
        }
    }
}

/// What a case conference decides.
const CONFERENCE_DECISIONS: &[&str] = &[
    "il servizio prende in carico, lo sportello accompagna",
    "visita di controllo entro il mese",
    "iscrizione al corso di italiano L2",
];

/// What the diaries say (observations, difficulties, strategies, training needs), in turn.
const DIARY: &[(&str, &str, &str, &str)] = &[
    (
        "giornata regolare",
        "attese lunghe allo sportello",
        "appuntamenti scaglionati",
        "gestione dei conflitti",
    ),
    (
        "molte richieste sul rinnovo del permesso",
        "informazioni discordanti dalla Questura",
        "scheda riassuntiva dei documenti",
        "aggiornamento normativo sui permessi",
    ),
    (
        "accesso di una famiglia con bambini",
        "nessun interprete per il tigrino",
        "mediazione telefonica con un collega",
        "lavoro con i minori",
    ),
];

/// The weekdays a site opens: Tuesday and Thursday, or Monday, Wednesday and Friday.
fn opening_days(site: usize) -> &'static [crate::vocab::Weekday] {
    use crate::vocab::Weekday as W;
    if site.is_multiple_of(2) {
        &[W::Tuesday, W::Thursday]
    } else {
        &[W::Monday, W::Wednesday, W::Friday]
    }
}

/// Whether a site opens its desk on `day` (its weekdays; the desk works on public holidays too
/// in the generated years, but books no appointment on them).
fn opens_on(site: usize, day: NaiveDate) -> bool {
    opening_days(site)
        .iter()
        .any(|d| d.to_chrono() == day.weekday())
}

/// Advances the day's clock by a few minutes and returns it.
fn step(rng: &mut ChaCha8Rng, at: &mut DateTime<Utc>) -> DateTime<Utc> {
    *at += TimeDelta::minutes(rng.gen_range(3..15));
    *at
}

fn admin() -> Actor {
    Actor::new("admin", Role::Admin)
}

fn mediator_actor(id: &str) -> Actor {
    Actor::new(id, Role::Mediator)
}

fn session(
    mediation_id: MediationId,
    started_at: DateTime<Utc>,
    ended_at: DateTime<Utc>,
    mediator: &str,
    language: &str,
    kind: MediationKind,
) -> RecordMediationSession {
    let from = if language == "it" { "en" } else { language };
    RecordMediationSession {
        mediation_id,
        started_at,
        ended_at,
        mediator: mediator.into(),
        languages: LanguagePair {
            from: from.into(),
            to: "it".into(),
        },
        parties: vec![PartyRole::Beneficiary, PartyRole::ServiceOperator],
        kind,
        outcome: SessionOutcome::Completed,
        follow_up_needed: false,
        note: None,
        place: Some(SessionPlace::Desk),
        follow_up_by: None,
    }
}

impl Iterator for Generator {
    type Item = ImportLine;

    fn next(&mut self) -> Option<ImportLine> {
        if self.config.max_lines.is_some_and(|max| self.emitted >= max) {
            return None;
        }
        while self.buffer.is_empty() {
            if self.day_index >= self.config.days {
                return None;
            }
            let lines = self.fill_day();
            self.buffer.extend(lines);
            self.day_index += 1;
        }
        self.emitted += 1;
        self.buffer.pop_front()
    }
}
