//! The checks decisions share: times, sites, durations, languages, countries, repeats, service
//! descriptions.

use super::*;

pub(super) fn not_in_future(
    at: DateTime<Utc>,
    ctx: &Context,
    field: &str,
) -> Result<(), Rejection> {
    ensure!(
        at <= ctx.now,
        field,
        K::InFuture,
        "this time is in the future"
    );
    Ok(())
}

pub(super) fn after_opening(case: &CaseState, at: DateTime<Utc>) -> Result<(), Rejection> {
    ensure!(
        at >= case.opened_at,
        "occurredAt",
        K::OutOfRange,
        "this cannot happen before the case was opened"
    );
    Ok(())
}

pub(super) fn site(id: &SiteId, field: &str) -> Result<(), Rejection> {
    ensure!(
        id.is_valid(),
        field,
        K::Invalid,
        "a site is named by a short lowercase name such as montelucci-4"
    );
    Ok(())
}

pub(super) fn duration(minutes: u32, field: &str) -> Result<(), Rejection> {
    ensure!(
        minutes >= 1,
        field,
        K::OutOfRange,
        "the duration is at least one minute"
    );
    ensure!(
        minutes < MINUTES_IN_A_DAY,
        field,
        K::TooLong,
        "it lasts less than a day"
    );
    Ok(())
}

pub(super) fn language(code: &str, field: &str) -> Result<(), Rejection> {
    ensure!(
        is_language_code(code),
        field,
        K::Invalid,
        "use a language code such as ar, uk or ti"
    );
    Ok(())
}

pub(super) fn languages(codes: &[String], field: &str) -> Result<(), Rejection> {
    ensure!(
        !codes.is_empty(),
        field,
        K::Required,
        "say at least one language"
    );
    for (i, code) in codes.iter().enumerate() {
        language(code, &format!("{field}[{i}]"))?;
    }
    no_duplicates(codes, field)
}

pub(super) fn countries(codes: &[String], field: &str) -> Result<(), Rejection> {
    ensure!(
        !codes.is_empty(),
        field,
        K::Required,
        "say at least one citizenship"
    );
    for (i, code) in codes.iter().enumerate() {
        ensure!(
            is_country_code(code),
            format!("{field}[{i}]"),
            K::Invalid,
            "use a two-letter country code such as UA or BD"
        );
    }
    no_duplicates(codes, field)
}

pub(super) fn no_duplicates<T: Ord>(items: &[T], field: &str) -> Result<(), Rejection> {
    let mut seen = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        ensure!(
            seen.insert(item),
            format!("{field}[{i}]"),
            K::Duplicate,
            "this value is given twice"
        );
    }
    Ok(())
}

pub(super) fn description(d: &ServiceDescription, ctx: &Context) -> Result<(), Rejection> {
    ensure!(
        !d.name.trim().is_empty(),
        "name",
        K::Required,
        "give the service a name"
    );
    ensure!(
        !d.address.trim().is_empty(),
        "address",
        K::Required,
        "give the service's address"
    );
    ensure!(
        d.verified_on <= desk_day(ctx.now),
        "verifiedOn",
        K::InFuture,
        "a service cannot be verified in the future"
    );
    for (i, code) in d.languages.iter().enumerate() {
        language(code, &format!("languages[{i}]"))?;
    }
    Ok(())
}

impl DeskState {
    /// Refuses a time before the project started (its configured start, and the first site's
    /// first schedule once there is one), before the
    /// registration of the person the command is about, or before the opening of its case,
    /// naming the bound: a mistyped year (`0099`) is not recorded.
    pub(super) fn not_before_its_bounds(
        &self,
        cmd: &Command,
        field: &str,
    ) -> Result<(), Rejection> {
        let at = cmd.occurred_at();
        let mut bounds = Vec::new();
        bounds.push((self.project_start.0, "the project started"));
        if let Some(first) = self.first_schedule {
            bounds.push((first, "the project started (its first site schedule)"));
        }
        if let Some(person) = cmd.person_id().and_then(|p| self.persons.get(&p)) {
            bounds.push((person.registered_at, "the person was registered"));
        }
        if let Some(case) = cmd.case_id().and_then(|c| self.cases.get(&c)) {
            bounds.push((case.opened_at, "the case was opened"));
        }
        // The latest bound it misses is the one to name: a mistyped year is before the project
        // started too, but the person's registration says more.
        let missed = bounds
            .into_iter()
            .filter(|(bound, _)| at < *bound)
            .max_by_key(|(bound, _)| *bound);
        if let Some((bound, what)) = missed {
            return reject(
                field,
                K::OutOfRange,
                format!(
                    "this time ({}) is before {what} ({}); check the date",
                    at.format("%Y-%m-%dT%H:%M:%SZ"),
                    bound.format("%Y-%m-%dT%H:%M:%SZ")
                ),
            );
        }
        Ok(())
    }
}

/// A mediator records in their own name: a field that repeats the actor (`mediator`,
/// `caseWorker`) names the mediator who sends the command. A supervisor may record for someone
/// else (a session held by a mediator, written up from paper). An empty field is left to the
/// decision, which requires it.
pub(super) fn in_own_name(cmd: &Command, ctx: &Context) -> Result<(), Rejection> {
    let Some((field, named)) = cmd.actor_field() else {
        return Ok(());
    };
    ensure!(
        ctx.actor.role != Role::Mediator || named.trim().is_empty() || named == ctx.actor.id,
        field,
        K::NotPermitted,
        "a mediator records in their own name: {field} must be {} (you) or left out; only a \
         supervisor may record for someone else",
        ctx.actor.id
    );
    Ok(())
}
