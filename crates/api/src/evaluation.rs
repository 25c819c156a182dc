//! What evaluators see of persons (pseudonyms, age bands, no names, contacts or notes), and what
//! supervisors see of the read audit.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Datelike, Utc};
use desk::projections::{
    citizenship_area, k_anonymise, AgeBand, PersonFilter, QuasiIdentifiers, Release,
    DEFAULT_MIN_CELL,
};
use desk::read_audit::{ReadAudit, ReadChannel, ReadEntry};
use domain::PersonId;
use ulid::Ulid;

use crate::access::{self, Allow};
use crate::error;
use crate::inputs::vocab::{PermitType, Sex, VulnerabilityCategory};
use crate::read_models::{page_args, with_models, AgeBand as AgeBandNode, AsOfInput, PageArgs};

/// A person as evaluators see them: a stable pseudonym instead of the id, an age band instead
/// of the birth year, no name, contacts or notes.
#[derive(SimpleObject, Clone)]
pub struct PseudonymousPerson {
    /// A keyed hash of the person's id: the same person always has the same pseudonym, and it
    /// cannot be turned back into the id without the server's key.
    pub pseudonym: String,
    pub site: String,
    /// `yyyy-mm` of the registration.
    pub registered_month: String,
    /// Age reached in the year of the answer (the `asOf` year, or this year).
    pub age_band: AgeBandNode,
    pub sex: Sex,
    /// The citizenship reports count by (ISO 3166-1 alpha-2); `null` in a generalised row.
    pub citizenship: Option<String>,
    /// The citizenship's area: africa, americas, asia, europe, oceania or other.
    pub citizenship_area: Option<String>,
    /// True when the row is shown generalised (its citizenship only as its area), so that its
    /// combination is shared by at least `minCell` rows.
    pub generalised: bool,
    pub permit_type: PermitType,
    pub minor: bool,
    pub unaccompanied_minor: bool,
    pub household_size: u8,
    pub vulnerabilities: Vec<VulnerabilityCategory>,
}

/// One recorded read of a person's personal data.
#[derive(SimpleObject)]
pub struct PersonalDataReadNode {
    /// Position in the read audit's own journal.
    pub position: u64,
    pub at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_role: String,
    pub person_id: ID,
    /// The fields shown (`personal.fullName`, `payload.note`, ...).
    pub fields: Vec<String>,
    /// query, subscription or export.
    pub channel: String,
    /// Reads made by one request share this id.
    pub request_id: ID,
}

impl From<ReadEntry> for PersonalDataReadNode {
    fn from(e: ReadEntry) -> Self {
        PersonalDataReadNode {
            position: e.position.0,
            at: e.at,
            actor_id: e.actor.id,
            actor_role: e.actor.role,
            person_id: ID(e.read.person.to_string()),
            fields: e.read.fields,
            channel: match e.read.channel {
                ReadChannel::Query => "query",
                ReadChannel::Subscription => "subscription",
                ReadChannel::Export => "export",
                ReadChannel::SubjectAccess => "subject_access",
            }
            .to_string(),
            request_id: ID(e.read.request.to_string()),
        }
    }
}

/// How the rows of `pseudonymisedPersons` were released (k-anonymity on age band, sex,
/// citizenship, permit type and household size; docs/adr/0013).
#[derive(SimpleObject)]
pub struct PersonsReleased {
    /// Every combination shown is shared by at least this many rows; `null`: exact rows, for
    /// supervisors inside the desk only.
    pub min_cell: Option<u32>,
    /// Rows shown generalised (citizenship as its area), over the whole view.
    pub generalised: u32,
    /// Rows held back (their combination rarer than `minCell` even generalised), over the
    /// whole view.
    pub held_back: u32,
}

#[derive(Default)]
pub struct EvaluationQuery;

#[Object]
impl EvaluationQuery {
    /// Registered persons, pseudonymised, in registration order (the cursor is the order of
    /// registration). Evaluators and supervisors. A person without a `REPORTING` consent (never
    /// given, or withdrawn) is not a row here; the aggregate figures (`monitoring`) count them.
    /// For evaluators the rows are k-anonymous: a row whose age band, sex, citizenship, permit
    /// type and household size are shared by fewer than `minCell` rows is generalised
    /// (citizenship as its area) or held back; the connection says how many.
    #[graphql(guard = "Allow(access::EVALUATION)")]
    async fn pseudonymised_persons(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        #[graphql(desc = "Site slug; all sites when omitted.")] site: Option<String>,
        #[graphql(
            desc = "k-anonymity threshold (at least 2). Evaluators: 5 unless larger; supervisors: exact rows when omitted."
        )]
        min_cell: Option<u32>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<u64, PseudonymousPerson, PersonsReleased, EmptyFields>> {
        let PageArgs { first, after } = page_args(first, after)?;
        if min_cell.is_some_and(|k| k < 2) {
            return Err(error::bad_input("minCell must be at least 2"));
        }
        let min_cell = match access::principal(ctx)?.actor.role {
            domain::Role::Supervisor => min_cell,
            _ => Some(min_cell.unwrap_or(DEFAULT_MIN_CELL).max(DEFAULT_MIN_CELL)),
        };
        let site = site.map(domain::SiteId::new);
        let year = as_of.and_then(|a| a.at).unwrap_or_else(Utc::now).year();
        let desk = ctx.data::<desk::Desk>()?;
        let filter = PersonFilter {
            site,
            ..PersonFilter::default()
        };
        let persons: Vec<_> = with_models(ctx, as_of, |m| m.persons(&filter))
            .await?
            .into_iter()
            .filter(|p| p.consents.contains(&domain::ConsentScope::Reporting))
            .collect();
        let quasi: Vec<QuasiIdentifiers> = persons
            .iter()
            .map(|p| QuasiIdentifiers::of(p, year))
            .collect();
        let release = match min_cell {
            Some(k) => k_anonymise(
                &quasi,
                QuasiIdentifiers::generalised,
                usize::try_from(k).unwrap_or(usize::MAX),
            ),
            None => vec![Release::Exact; persons.len()],
        };
        let count = |which: Release| {
            u32::try_from(release.iter().filter(|r| **r == which).count()).unwrap_or(u32::MAX)
        };
        let released = PersonsReleased {
            min_cell,
            generalised: count(Release::Generalised),
            held_back: count(Release::HeldBack),
        };
        let persons: Vec<_> = persons
            .into_iter()
            .zip(release)
            .filter(|(_, r)| *r != Release::HeldBack)
            .collect();
        let skip = usize::try_from(after.unwrap_or(0)).unwrap_or(usize::MAX);
        let total = persons.len();
        let mut connection = Connection::with_additional_fields(
            skip > 0,
            total.saturating_sub(skip) > first,
            released,
        );
        for (index, (p, release)) in persons.into_iter().enumerate().skip(skip).take(first) {
            let cursor = u64::try_from(index + 1).unwrap_or(u64::MAX);
            let citizenship = p.citizenships.first().cloned();
            let generalised = release == Release::Generalised;
            connection.edges.push(Edge::new(
                cursor,
                PseudonymousPerson {
                    pseudonym: desk.vault().pseudonym(p.id.0),
                    site: p.site.0,
                    registered_month: p.registered_at.format("%Y-%m").to_string(),
                    age_band: AgeBand::of_age(year - p.birth_year).into(),
                    sex: p.sex.into(),
                    citizenship_area: citizenship
                        .as_deref()
                        .map(|c| citizenship_area(c).to_string()),
                    citizenship: citizenship.filter(|_| !generalised),
                    generalised,
                    permit_type: p.permit_type.into(),
                    minor: p.minor,
                    unaccompanied_minor: p.unaccompanied_minor,
                    household_size: p.household_size,
                    vulnerabilities: p.vulnerabilities.iter().map(|v| (*v).into()).collect(),
                },
            ));
        }
        Ok(connection)
    }

    /// The evaluator bundle of the events recorded from `from` to `to` (UTC days, inclusive,
    /// by `recordedAt`): pseudonymised, each with its inclusion proof against a signed
    /// checkpoint, as `impact bundle create` writes it (docs/VERIFYING.md); check it offline
    /// with `impact bundle verify --public-key KEY FILE`. Evaluators and supervisors. Writes
    /// nothing; `NOT_FOUND` when nothing was recorded on those days.
    #[graphql(guard = "Allow(access::EVALUATION)")]
    async fn evaluator_bundle(
        &self,
        ctx: &Context<'_>,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<async_graphql::Json<serde_json::Value>> {
        let desk = ctx.data::<desk::Desk>()?.clone();
        let made = tokio::task::spawn_blocking(move || desk.evaluator_bundle(from, to, false))
            .await
            .map_err(|_| error::coded(error::INTERNAL, "the bundle could not be made"))?
            .map_err(error::from_desk)?;
        match made {
            Ok((bundle, _)) => serde_json::to_value(&bundle)
                .map(async_graphql::Json)
                .map_err(|_| error::coded(error::INTERNAL, "the bundle could not be made")),
            Err(desk::bundle::NoBundle::ToBeforeFrom) => {
                Err(error::bad_input("`to` is before `from`"))
            }
            Err(desk::bundle::NoBundle::NothingRecorded) => Err(error::coded(
                error::NOT_FOUND,
                "no event was recorded on those days (days of recording, not of what happened)",
            )),
            Err(desk::bundle::NoBundle::Unsignable) => Err(error::coded(
                error::INTERNAL,
                "the bundle's manifest cannot be signed",
            )),
        }
    }

    /// Every recorded read of one person's personal data, oldest first: what a data-subject
    /// access request needs. Supervisors only.
    #[graphql(guard = "Allow(access::SUPERVISORS)")]
    async fn reads_of_person(
        &self,
        ctx: &Context<'_>,
        person_id: ID,
    ) -> Result<Vec<PersonalDataReadNode>> {
        let person = PersonId(Ulid::from_string(person_id.as_str()).map_err(|_| {
            error::bad_input(format!(
                "personId must be a ULID, got {:?}",
                person_id.as_str()
            ))
        })?);
        let audit = ctx.data::<ReadAudit>()?;
        Ok(audit
            .of_person(person)
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Every recorded read by one actor, oldest first. Supervisors only.
    #[graphql(guard = "Allow(access::SUPERVISORS)")]
    async fn reads_by_actor(
        &self,
        ctx: &Context<'_>,
        actor_id: String,
    ) -> Result<Vec<PersonalDataReadNode>> {
        let audit = ctx.data::<ReadAudit>()?;
        Ok(audit
            .by_actor(&actor_id)
            .into_iter()
            .map(Into::into)
            .collect())
    }
}
