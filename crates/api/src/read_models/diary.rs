//! Each mediator's diary (*diario di bordo*) with the supervisors' comments, and what
//! supervision reads in it over months (*crescita della professione*).

use super::*;

/// One mediator's entry of a day at a site, with the comments under it.
#[derive(SimpleObject)]
pub struct DiaryEntry {
    /// The event id of the entry: what `commentLogbookEntry` and `redactText` name.
    pub id: ID,
    pub site: String,
    pub date: NaiveDate,
    pub written_at: DateTime<Utc>,
    pub position: u64,
    pub mediator: String,
    pub slot: RotationSlot,
    pub contacts: u32,
    pub languages: Vec<String>,
    pub emerging_needs: Vec<NeedArea>,
    pub observations: Option<String>,
    pub incidents: Option<String>,
    pub difficulties: Option<String>,
    pub strategies: Option<String>,
    pub training_needs: Option<String>,
    /// The supervisors' comments, in order.
    pub comments: Vec<DiaryComment>,
    /// The day is not an opening day of the site's schedule: the entry is kept, and flagged.
    pub on_closed_day: bool,
    /// The text (and its comments') was redacted: it reads `[erased]`.
    pub redacted: bool,
}

/// A supervisor's comment under an entry.
#[derive(SimpleObject)]
pub struct DiaryComment {
    pub occurred_at: DateTime<Utc>,
    pub position: u64,
    pub supervisor: String,
    pub comment: String,
}

/// One mediator's month, as their entries tell it: the difficulties met, the strategies used and
/// the training needs, in the order of the days.
#[derive(SimpleObject)]
pub struct ProfessionalGrowth {
    pub mediator: String,
    /// `yyyy-mm`.
    pub month: String,
    pub entries: u32,
    pub difficulties: Vec<String>,
    pub strategies: Vec<String>,
    pub training_needs: Vec<String>,
}

fn note(n: Option<domain::PersonalNote>) -> Option<String> {
    n.map(|n| n.0)
}

impl From<desk::projections::DiaryEntryView> for DiaryEntry {
    fn from(e: desk::projections::DiaryEntryView) -> Self {
        DiaryEntry {
            id: id(e.id),
            site: e.site.0,
            date: e.date,
            written_at: e.written_at,
            position: e.position.0,
            mediator: e.mediator,
            slot: e.slot.into(),
            contacts: e.contacts,
            languages: e.languages,
            emerging_needs: words(&e.emerging_needs),
            observations: note(e.observations),
            incidents: note(e.incidents),
            difficulties: note(e.difficulties),
            strategies: note(e.strategies),
            training_needs: note(e.training_needs),
            comments: e
                .comments
                .into_iter()
                .map(|c| DiaryComment {
                    occurred_at: c.occurred_at,
                    position: c.position.0,
                    supervisor: c.supervisor,
                    comment: c.comment.0,
                })
                .collect(),
            on_closed_day: e.on_closed_day,
            redacted: e.redacted,
        }
    }
}

#[derive(Default)]
pub struct DiaryQuery;

/// The filter of both queries: the sites the principal may read (a mediator's own), the days.
fn diary_filter(
    ctx: &Context<'_>,
    site: Option<String>,
    from: NaiveDate,
    to: NaiveDate,
    mediator: Option<String>,
) -> Result<desk::projections::DiaryFilter> {
    let asked = opt(&site, |s| parse_site("site", s))?;
    let sites: Vec<Option<SiteId>> = access::scoped_sites(ctx, asked)?;
    Ok(desk::projections::DiaryFilter {
        // `[None]` (a supervisor's every site) collects to `None`; a list of sites to them.
        sites: sites.into_iter().collect(),
        period: bounded_period(from, to)?,
        mediator,
    })
}

#[Object]
impl DiaryQuery {
    /// The diaries (*diario di bordo*) from `from` to `to` (days included, at most 366): every
    /// mediator's entries with their text and the comments under them, by date, site and time
    /// of writing. Mediators read the diaries of their own sites.
    #[graphql(guard = "Allow(access::CASE_READERS)")]
    async fn diaries(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        #[graphql(desc = "Site slug; every site one may read when omitted.")] site: Option<String>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(desc = "Only the entries of this mediator.")] mediator: Option<String>,
    ) -> Result<Vec<DiaryEntry>> {
        let filter = diary_filter(ctx, site, from, to, mediator)?;
        Ok(with_models(ctx, as_of, |m| m.diaries(&filter))
            .await?
            .into_iter()
            .map(DiaryEntry::from)
            .collect())
    }

    /// *Crescita della professione*: per mediator and month from `from` to `to`, the
    /// difficulties, strategies and training needs their entries name (supervisors).
    #[graphql(guard = "Allow(access::SUPERVISORS)")]
    async fn professional_growth(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the desk stood at this moment (a date-time, or a journal position); now when omitted."
        )]
        as_of: Option<AsOfInput>,
        #[graphql(desc = "Site slug; every site when omitted.")] site: Option<String>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(desc = "Only this mediator.")] mediator: Option<String>,
    ) -> Result<Vec<ProfessionalGrowth>> {
        let filter = diary_filter(ctx, site, from, to, mediator)?;
        let notes = |v: Vec<domain::PersonalNote>| v.into_iter().map(|n| n.0).collect();
        Ok(with_models(ctx, as_of, |m| m.professional_growth(&filter))
            .await?
            .into_iter()
            .map(|g| ProfessionalGrowth {
                mediator: g.mediator,
                month: g.month.to_string(),
                entries: g.entries,
                difficulties: notes(g.difficulties),
                strategies: notes(g.strategies),
                training_needs: notes(g.training_needs),
            })
            .collect())
    }
}
