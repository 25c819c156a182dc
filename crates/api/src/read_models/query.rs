//! The read-model root fields (`ReadModelQuery`), each with `asOf`, and what they share: the
//! models as of a moment, the fields a request selected.

use super::*;

/// A past moment to answer as of: exactly one of `at` (what had been recorded by then) and
/// `position` (the journal up to that position). Later events, corrections included, do not
/// change such an answer.
#[derive(InputObject, Clone, Copy)]
pub struct AsOfInput {
    /// An instant of recording: the answer holds what had been recorded by then, whenever it
    /// happened (`period`, `from` and `to` select by when things happened).
    pub at: Option<DateTime<Utc>>,
    /// A journal position: the answer holds the events up to it.
    pub position: Option<u64>,
}

impl AsOfInput {
    pub(super) fn parse(self) -> Result<desk::AsOf> {
        match (self.at, self.position) {
            (Some(at), None) => Ok(desk::AsOf::Time(at)),
            (None, Some(position)) => Ok(desk::AsOf::Position(desk::journal::Position(position))),
            _ => Err(crate::error::bad_input(
                "asOf takes exactly one of `at` (a date-time) and `position`",
            )),
        }
    }
}

/// The names of the fields selected under the current field (`fullName`, `personal.contacts`).
pub(super) fn selected_fields(ctx: &Context<'_>) -> Vec<String> {
    fn walk(prefix: &str, set: async_graphql::SelectionField<'_>, out: &mut Vec<String>) {
        for field in set.selection_set() {
            let name = if prefix.is_empty() {
                field.name().to_string()
            } else {
                format!("{prefix}.{}", field.name())
            };
            let before = out.len();
            walk(&name, field, out);
            if out.len() == before && !name.ends_with("__typename") {
                out.push(name);
            }
        }
    }
    let mut out = Vec::new();
    walk("", ctx.field(), &mut out);
    out.sort();
    out.dedup();
    out
}

/// Runs `f` on the read models now, or as they stood at `as_of` (folded off the async threads and
/// cached by the desk).
pub(crate) async fn with_models<R>(
    ctx: &Context<'_>,
    as_of: Option<AsOfInput>,
    f: impl FnOnce(&desk::projections::ReadModels) -> R,
) -> Result<R> {
    let desk = ctx.data::<Desk>()?;
    match as_of {
        None => Ok(desk.read(f)),
        Some(as_of) => {
            let as_of = as_of.parse()?;
            let desk = desk.clone();
            let (_, models) = tokio::task::spawn_blocking(move || desk.read_models_as_of(as_of))
                .await
                .map_err(crate::error::internal)?
                .map_err(crate::error::from_desk)?;
            Ok(f(&models))
        }
    }
}

#[derive(Default)]
pub struct ReadModelQuery;

#[Object]
impl ReadModelQuery {
    /// One registered person, with their personal data; `null` if the desk does not know the id
    /// and, alike, for a mediator, if the person is not of their site (registered or taken on
    /// there).
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn person(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        id: ID,
    ) -> Result<Option<Person>> {
        let id = PersonId(parse_ulid("id", &id)?);
        // A person of another site answers a mediator as an unknown id does: no existence
        // oracle (docs/ACCESS.md, "Persons of another site").
        let scope = access::site_scope(ctx)?;
        let Some(person) = with_models(ctx, as_of, |m| m.person(id))
            .await?
            .filter(|p| person_in_scope(scope.as_ref(), p))
        else {
            return Ok(None);
        };
        // Every field of a person is about them: record the ones asked for.
        let fields = selected_fields(ctx);
        access::note_read(ctx, id, fields)?;
        Ok(Some(Person::from(person)))
    }

    /// One case with its full timeline; `null` if the desk does not know the id and, alike, for
    /// a mediator, if the case is of another site (no existence oracle).
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn case(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        id: ID,
    ) -> Result<Option<Case>> {
        let id = CaseId(parse_ulid("id", &id)?);
        let scope = access::site_scope(ctx)?;
        let case = with_models(ctx, as_of, |m| m.case(id)).await?;
        Ok(case
            .filter(|c| scope.as_ref().is_none_or(|own| own.contains(&c.site)))
            .map(Case::from))
    }

    /// Cases matching the filter, in the order they were opened.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn cases(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        filter: Option<CaseFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Case>> {
        let mut filter = filter.unwrap_or_default().parse()?;
        let sites = access::scoped_sites(ctx, filter.site.take())?;
        let cursor = page_args(first, after)?.cursor(ctx);
        let cases = with_models(ctx, as_of, |m| {
            per_site_page(
                &sites,
                &cursor,
                |site| {
                    m.cases_page(
                        &desk::projections::CaseFilter {
                            site,
                            ..filter.clone()
                        },
                        &cursor,
                    )
                },
                |c| c.position.0,
            )
        })
        .await?;
        Ok(connection(cases.map(Case::from), |c| c.position))
    }

    /// One referral; `null` if the desk does not know the id and, alike, for a mediator, if the
    /// referral is of another site (no existence oracle).
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        id: ID,
    ) -> Result<Option<Referral>> {
        let id = domain::ReferralId(parse_ulid("id", &id)?);
        let scope = access::site_scope(ctx)?;
        let referral =
            with_models(ctx, as_of, |m| m.referral(id).map(|r| Referral::new(r, m))).await?;
        Ok(referral.filter(|r| {
            scope
                .as_ref()
                .is_none_or(|own| own.iter().any(|s| s.as_str() == r.site))
        }))
    }

    /// Referrals matching the filter, in the order they were issued, with their outcomes and the
    /// days to them.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        filter: Option<ReferralFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Referral>> {
        let mut filter = filter.unwrap_or_default().parse()?;
        let sites = access::scoped_sites(ctx, filter.site.take())?;
        let cursor = page_args(first, after)?.cursor(ctx);
        let referrals = with_models(ctx, as_of, |m| {
            let page = per_site_page(
                &sites,
                &cursor,
                |site| {
                    m.referrals_page(
                        &desk::projections::ReferralFilter {
                            site,
                            ..filter.clone()
                        },
                        &cursor,
                    )
                },
                |r| r.position.0,
            );
            page.map(|r| Referral::new(r, m))
        })
        .await?;
        Ok(connection(referrals, |r| r.position))
    }

    /// Mediation requests and sessions matching the filter.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn mediations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        filter: Option<MediationFilter>,
    ) -> Result<Mediations> {
        let mut filter = filter.unwrap_or_default().parse()?;
        let sites = access::scoped_sites(ctx, filter.site.take())?;
        Ok(Mediations {
            filter,
            sites,
            as_of,
        })
    }

    /// The logbook from `from` to `to` (days included, at most 366): the entries, and the
    /// opening days that lack one.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn logbook(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        #[graphql(desc = "Site slug; all sites when omitted.")] site: Option<String>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(desc = "Only entries written by this mediator.")] mediator: Option<String>,
    ) -> Result<Logbook> {
        let sites = access::scoped_sites(ctx, opt(&site, |s| parse_site("site", s))?)?;
        let period = bounded_period(from, to)?;
        let (entries, coverage) = with_models(ctx, as_of, |m| {
            let entries = access::per_site(
                &sites,
                |site| {
                    m.logbook_entries(&desk::projections::LogbookFilter {
                        site,
                        period: Some(period),
                        mediator: mediator.clone(),
                    })
                },
                |e| (e.site.0.clone(), e.date, e.position),
            );
            let coverage: Vec<_> = sites
                .iter()
                .flat_map(|site| m.missing_logbook_days(&period, site.as_ref()))
                .collect();
            (entries, coverage)
        })
        .await?;
        Ok(Logbook {
            entries: entries
                .into_iter()
                .map(|e| LogbookEntry {
                    site: e.site.0,
                    date: e.date,
                    written_at: e.written_at,
                    position: e.position.0,
                    mediator: e.mediator,
                    slot: e.slot.into(),
                    contacts: e.contacts,
                    languages: e.languages,
                    emerging_needs: words(&e.emerging_needs),
                })
                .collect(),
            every_opening_day_has_entry: coverage.iter().all(|c| c.missing.is_empty()),
            coverage: coverage.into_iter().map(Into::into).collect(),
        })
    }

    /// One service of the directory (retired or not); `null` if the desk does not know the id.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn service(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        id: ID,
    ) -> Result<Option<Service>> {
        let id = ServiceId(parse_ulid("id", &id)?);
        Ok(with_models(ctx, as_of, |m| m.service(id))
            .await?
            .map(Service::from))
    }

    /// The desk's sites, by slug: the weekdays each opens, their hours, its phones and closures.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn sites(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
    ) -> Result<Vec<Site>> {
        let schedule = with_models(ctx, as_of, |m| m.schedule().clone()).await?;
        Ok(schedule
            .opening_days
            .iter()
            .map(|(site, days)| Site::new(site, days, &schedule))
            .collect())
    }

    /// Every version of every survey definition, the built-in one first, then as recorded.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn survey_definitions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
    ) -> Result<Vec<SurveyDefinition>> {
        Ok(with_models(ctx, as_of, |m| m.survey_definitions())
            .await?
            .into_iter()
            .map(SurveyDefinition::from)
            .collect())
    }

    /// The survey definition's version in force on `day` (today when omitted): what a survey
    /// form asks.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn survey_in_force(
        &self,
        ctx: &Context<'_>,
        day: Option<NaiveDate>,
    ) -> Result<SurveyDefinition> {
        let day = match day {
            Some(day) => day,
            None => domain::state::desk_day(ctx.data::<Desk>()?.now()),
        };
        Ok(with_models(ctx, None, |m| m.survey_in_force(day))
            .await?
            .into())
    }

    /// The territorial service directory, in the order services were mapped; services still in
    /// use unless `includeRetired`.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn services(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        filter: Option<ServiceFilter>,
    ) -> Result<Vec<Service>> {
        let filter = filter.unwrap_or_default().parse()?;
        Ok(with_models(ctx, as_of, |m| m.services(&filter))
            .await?
            .into_iter()
            .map(Service::from)
            .collect())
    }

    /// Supervision meetings from `from` to `to` (days included, at most 366), optionally those
    /// about one site, and for every month the period touches whether it had one.
    #[graphql(guard = "Allow(access::SUPERVISORS)")]
    async fn supervision_meetings(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(desc = "Site slug: only meetings that name it.")] site: Option<String>,
    ) -> Result<Supervision> {
        let site = opt(&site, |s| parse_site("site", s))?;
        let period = bounded_period(from, to)?;
        let (meetings, months) = with_models(ctx, as_of, |m| {
            (
                m.supervision_meetings(&period, site.as_ref()),
                m.supervision_months(&period, site.as_ref()),
            )
        })
        .await?;
        Ok(Supervision {
            meetings: meetings
                .into_iter()
                .map(|m| SupervisionMeeting {
                    id: id(m.id),
                    occurred_at: m.occurred_at,
                    position: m.position.0,
                    duration_minutes: m.duration_minutes,
                    supervisor: m.supervisor,
                    attendees: m.attendees,
                    sites: m.sites.into_iter().map(|s| s.0).collect(),
                    themes: m.themes,
                    cases_discussed: ids(&m.cases_discussed),
                    decisions: m.decisions.into_iter().map(|d| d.0).collect(),
                    actions: m.actions.into_iter().map(Into::into).collect(),
                })
                .collect(),
            every_month_has_meeting: months
                .iter()
                .all(desk::projections::MonthMeetings::has_meeting),
            months: months.into_iter().map(Into::into).collect(),
        })
    }

    /// Every figure supervisors and evaluators ask for, for a month (`period: "2024-05"`) or
    /// from `from` to `to` (days included), at one site or all. Evaluators always get small
    /// cells suppressed (threshold 5 unless `minCell` is larger; the answer's `minCell` and each
    /// row's `suppressed` say what was); supervisors, inside the desk, get exact figures unless
    /// they ask for `minCell`.
    #[graphql(guard = "Allow(access::EVALUATION)")]
    // The field's GraphQL arguments, one parameter each.
    #[allow(clippy::too_many_arguments)]
    async fn monitoring(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        #[graphql(desc = "A month written yyyy-mm; or give from and to.")] period: Option<String>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        #[graphql(desc = "Site slug; all sites when omitted.")] site: Option<String>,
        #[graphql(
            desc = "Small-cell threshold (at least 2). Evaluators: 5 unless larger; supervisors: exact figures when omitted."
        )]
        min_cell: Option<u32>,
    ) -> Result<MonitoringReport> {
        let period = report_period(period.as_deref(), from, to)?;
        let site = opt(&site, |s| parse_site("site", s))?;
        if min_cell.is_some_and(|k| k < 2) {
            return Err(error::bad_input("minCell must be at least 2"));
        }
        let min_cell = match access::principal(ctx)?.actor.role {
            domain::Role::Supervisor => min_cell,
            _ => Some(
                min_cell
                    .unwrap_or(desk::projections::DEFAULT_MIN_CELL)
                    .max(desk::projections::DEFAULT_MIN_CELL),
            ),
        };
        let (report, hide) = with_models(ctx, as_of, |m| {
            let report = m.monitoring(&period, site.as_ref());
            let hide = desk::projections::protect_monitoring(&report, min_cell);
            (report, hide)
        })
        .await?;
        Ok(MonitoringReport::protected(report, &hide))
    }
}
