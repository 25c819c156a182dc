//! Finding a person: `searchPersons`, and the registrations a new one may duplicate,
//! `possibleDuplicates`.
//!
//! What is searched for is personal data: it travels in the request body (POST), is never
//! logged, and the persons found are noted in the request's read log like `person(id)`.

use desk::projections::{PersonSearch, SearchError};

use super::*;

/// Most persons one search answers; a search that finds more is to be narrowed.
const MAX_FOUND: usize = 50;

/// What to look for: every part given must match, at least one must be given.
#[derive(InputObject, Default)]
pub struct PersonSearchInput {
    /// Any part of the name, its words in any order, case and accents aside (at least 2
    /// letters): "nguyen thi" finds "Thị Nguyễn".
    pub name: Option<String>,
    pub birth_year: Option<i32>,
    /// A phone number as written, with or without the country prefix (at least 6 digits).
    pub phone: Option<String>,
    /// The *codice fiscale*, exactly.
    pub fiscal_code: Option<String>,
    /// Only the persons of this site (for a mediator, their own site, the default).
    pub site: Option<String>,
}

/// Persons found, and whether there were more than shown.
#[derive(SimpleObject)]
pub struct PersonsFound {
    /// At most 50, in registration order.
    pub persons: Vec<Person>,
    /// More persons matched than shown: narrow the search.
    pub truncated: bool,
}

fn search_error(e: SearchError) -> async_graphql::Error {
    error::bad_input(e.to_string())
}

#[derive(Default)]
pub struct PersonSearchQuery;

#[Object]
impl PersonSearchQuery {
    /// Persons by name, birth year, phone or fiscal code, among those the principal may see: a
    /// mediator sees the persons of their own site. Erased persons are never found.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn search_persons(
        &self,
        ctx: &Context<'_>,
        search: PersonSearchInput,
    ) -> Result<PersonsFound> {
        let PersonSearchInput {
            name,
            birth_year,
            phone,
            fiscal_code,
            site,
        } = search;
        let site = opt(&site, |s| parse_site("search.site", s))?;
        let search = PersonSearch {
            name,
            birth_year,
            phone,
            fiscal_code,
            site: None,
        };
        let sites = access::scoped_sites(ctx, site)?;
        let mut found = ctx
            .data::<Desk>()?
            .read(|m| {
                let mut found = Vec::new();
                for site in &sites {
                    found.push(m.search_persons(&PersonSearch {
                        site: site.clone(),
                        ..search.clone()
                    })?);
                }
                Ok(access::per_site(
                    &sites,
                    |_| found.pop().unwrap_or_default(),
                    |p: &desk::projections::PersonView| p.position,
                ))
            })
            .map_err(search_error)?;
        let truncated = found.len() > MAX_FOUND;
        found.truncate(MAX_FOUND);
        let fields: Vec<String> = selected_fields(ctx)
            .into_iter()
            .filter_map(|f| f.strip_prefix("persons.").map(str::to_string))
            .collect();
        for person in &found {
            access::note_read(ctx, person.id, fields.clone())?;
        }
        Ok(PersonsFound {
            persons: found.into_iter().map(Person::from).collect(),
            truncated,
        })
    }
}

/// Why a registration may be the person about to be registered.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateMatch {
    /// The same *codice fiscale*.
    FiscalCode,
    /// The same name (its words, case and accents aside, in any order) and birth year.
    NameAndBirthYear,
}

/// A registration that may be the same person, at any site.
#[derive(SimpleObject)]
pub struct PossibleDuplicate {
    pub id: ID,
    /// The site that registered them.
    pub site: String,
    pub registered_at: DateTime<Utc>,
    pub birth_year: i32,
    pub matched_by: Vec<DuplicateMatch>,
}

#[derive(Default)]
pub struct DuplicateQuery;

#[Object]
impl DuplicateQuery {
    /// The registrations, at every site, with the same fiscal code or the same name and birth
    /// year as a person about to be registered: ask before `registerPerson`, and use the id
    /// found (or ask a supervisor to merge) rather than register the person twice. Erased
    /// persons are never found; a merged registration answers as the one kept.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn possible_duplicates(
        &self,
        ctx: &Context<'_>,
        full_name: String,
        birth_year: i32,
        fiscal_code: Option<String>,
    ) -> Result<Vec<PossibleDuplicate>> {
        let desk = ctx.data::<Desk>()?;
        let (by_name, by_code) = desk.read(|m| {
            (
                m.persons_with_identifier(Some(&full_name), Some(birth_year), None),
                m.persons_with_identifier(None, None, fiscal_code.as_deref()),
            )
        });
        let mut found: Vec<PossibleDuplicate> = Vec::new();
        for (views, matched) in [
            (by_code, DuplicateMatch::FiscalCode),
            (by_name, DuplicateMatch::NameAndBirthYear),
        ] {
            for v in views {
                let person_id = id(v.id);
                match found.iter_mut().find(|d| d.id == person_id) {
                    Some(d) => d.matched_by.push(matched),
                    None => found.push(PossibleDuplicate {
                        id: person_id,
                        site: v.site.0,
                        registered_at: v.registered_at,
                        birth_year: v.birth_year,
                        matched_by: vec![matched],
                    }),
                }
            }
        }
        let fields = selected_fields(ctx);
        for d in &found {
            let person = PersonId(parse_ulid("id", &d.id)?);
            access::note_read(ctx, person, fields.clone())?;
        }
        Ok(found)
    }
}
