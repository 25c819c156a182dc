//! Small cells in the monitoring figures that leave the desk (`monitoring` for evaluators, the
//! tables of `impact report --period/--quarter`; `docs/adr/0013`, "Monitoring figures"): the
//! rule of the templates' tables (`render.rs`) applied to [`MonitoringReport`].
//!
//! A row (a key's figures: a citizenship's beneficiaries, a service's referrals, ...) is
//! suppressed in every figure when one of its counts of people is more than none and fewer than
//! the threshold. Where a table has no distinct-person count (mediation requests and sessions,
//! referrals, cases), its counts of events stand for people: each names one person at most once
//! per event, so a count of events under the threshold is a count of people under it. Then the
//! secondary suppression of [`suppress`]: in every table whose rows add up to a published figure
//! (and, to be safe, in every table), a line with exactly one suppressed row gets its smallest
//! other row suppressed too. A total under the threshold is suppressed. Figures that count no
//! people are never suppressed: group activities' attendees, the anonymous survey responses and
//! their scores, supervision meetings, logbook coverage, the directory's capacity.

use domain::PermitType;
use serde::Serialize;

use super::render::suppress;
use crate::monitoring::MonitoringReport;

/// Which figures of a [`MonitoringReport`] are suppressed: one flag per row of each of its
/// lists (in the report's order), one per figure elsewhere. Built by [`protect_monitoring`];
/// with no threshold every flag is false.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringSuppression {
    /// The threshold; `None`: exact figures, for inside the desk only.
    pub min_cell: Option<u32>,
    /// Per row of `contacts` (per activity and site, and per activity over all sites).
    pub contacts: Vec<bool>,
    /// `total_contacts` and `beneficiaries.total`, the report's total row.
    pub total: bool,
    pub new: bool,
    pub returning: bool,
    pub by_citizenship: Vec<bool>,
    pub by_sex: Vec<bool>,
    pub by_age_band: Vec<bool>,
    pub by_permit_type: Vec<bool>,
    pub by_vulnerability: Vec<bool>,
    pub without_vulnerability: bool,
    pub mediation_requests: bool,
    pub mediation_cancelled: bool,
    /// The sessions, with their minutes and hours.
    pub mediation_sessions: bool,
    pub mediation_by_language: Vec<bool>,
    pub mediation_by_mode: Vec<bool>,
    pub mediation_by_requesting_service: Vec<bool>,
    pub mediation_by_place: Vec<bool>,
    pub referral_funnel: Vec<bool>,
    /// The access times' intake row: intakes, those with an intervention, the median.
    pub access_intakes: bool,
    /// The access times' mediation row: requests, those served, the median.
    pub access_mediation: bool,
    /// On-call requests served and their median response time.
    pub access_on_call: bool,
    pub open_caseload: Vec<bool>,
    pub open_cases: bool,
    pub closure_reasons: Vec<bool>,
    /// The survey's response rate (responses over beneficiaries: it would give back a
    /// suppressed total).
    pub response_rate: bool,
    pub temporary_protection_beneficiaries: bool,
    pub temporary_protection_registered: bool,
}

impl MonitoringSuppression {
    /// How many rows and figures are suppressed.
    pub fn count(&self) -> u32 {
        let lists = [
            &self.contacts,
            &self.by_citizenship,
            &self.by_sex,
            &self.by_age_band,
            &self.by_permit_type,
            &self.by_vulnerability,
            &self.mediation_by_language,
            &self.mediation_by_mode,
            &self.mediation_by_requesting_service,
            &self.mediation_by_place,
            &self.referral_funnel,
            &self.open_caseload,
            &self.closure_reasons,
        ];
        let flags = [
            self.total,
            self.new,
            self.returning,
            self.without_vulnerability,
            self.mediation_requests,
            self.mediation_cancelled,
            self.mediation_sessions,
            self.access_intakes,
            self.access_mediation,
            self.access_on_call,
            self.open_cases,
            self.response_rate,
            self.temporary_protection_beneficiaries,
            self.temporary_protection_registered,
        ];
        let n = lists.iter().flat_map(|l| l.iter()).filter(|h| **h).count()
            + flags.iter().filter(|h| **h).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

/// More than none and fewer than `k`.
fn small(n: u64, k: u64) -> bool {
    n > 0 && n < k
}

/// The smallest count of a row that is not zero (0 when all are): the row's people.
fn least(counts: &[u64]) -> u64 {
    counts.iter().copied().filter(|n| *n > 0).min().unwrap_or(0)
}

/// The rows of a one-way table, suppressed with their line (the whole table).
fn line(people: impl IntoIterator<Item = u64>, k: u64) -> Vec<bool> {
    let people: Vec<u64> = people.into_iter().collect();
    let keys: Vec<Vec<usize>> = (0..people.len()).map(|i| vec![i]).collect();
    suppress(&keys, &people, k)
}

/// Which figures of `r` to suppress under `min_cell` (`None`: none, exact figures).
pub fn protect_monitoring(r: &MonitoringReport, min_cell: Option<u32>) -> MonitoringSuppression {
    let Some(threshold) = min_cell else {
        return exact(r);
    };
    let k = u64::from(threshold);
    let b = &r.beneficiaries;
    let m = &r.mediation;
    let a = &r.access;
    let tp = &r.temporary_protection;
    // Contacts: per activity and site, with each activity's row over all sites in the same
    // line as its sites' rows (it is their sum); the rows over all sites make one line too.
    let keys: Vec<Vec<&str>> = r
        .contacts
        .iter()
        .map(|f| {
            vec![
                f.activity.as_str(),
                f.site.as_ref().map_or("", |s| s.as_str()),
            ]
        })
        .collect();
    let people: Vec<u64> = r
        .contacts
        .iter()
        .map(|f| u64::from(f.distinct_persons))
        .collect();
    let contacts = suppress(&keys, &people, k);
    let by_permit_type = line(b.by_permit_type.iter().map(|c| u64::from(c.count)), k);
    // The same figure as the permit type's row: suppressed with it.
    let temporary_protection_beneficiaries = small(u64::from(tp.beneficiaries), k)
        || b.by_permit_type
            .iter()
            .zip(&by_permit_type)
            .any(|(c, hidden)| c.key == PermitType::TemporaryProtection && *hidden);
    let mut vulnerability: Vec<u64> = b.by_vulnerability.iter().map(|c| c.count.into()).collect();
    vulnerability.push(b.without_vulnerability.into());
    let mut by_vulnerability = line(vulnerability, k);
    let without_vulnerability = by_vulnerability.pop().unwrap_or(false);
    let new_returning = line([u64::from(b.new), u64::from(b.returning)], k);
    let total = small(u64::from(b.total), k);
    let mediation_requests = small(m.requests.into(), k);
    let mediation_row = |requests: u32, sessions: u32| least(&[requests.into(), sessions.into()]);
    MonitoringSuppression {
        min_cell,
        contacts,
        total,
        new: new_returning[0],
        returning: new_returning[1],
        by_citizenship: line(b.by_citizenship.iter().map(|c| u64::from(c.count)), k),
        by_sex: line(b.by_sex.iter().map(|c| u64::from(c.count)), k),
        by_age_band: line(b.by_age_band.iter().map(|c| u64::from(c.count)), k),
        by_permit_type,
        by_vulnerability,
        without_vulnerability,
        mediation_requests,
        mediation_cancelled: small(m.cancelled.into(), k),
        mediation_sessions: small(m.sessions.into(), k),
        mediation_by_language: line(
            m.by_language
                .iter()
                .map(|f| mediation_row(f.requests, f.sessions)),
            k,
        ),
        mediation_by_mode: line(
            m.by_mode
                .iter()
                .map(|f| mediation_row(f.requests, f.sessions)),
            k,
        ),
        mediation_by_requesting_service: line(
            m.by_requesting_service
                .iter()
                .map(|f| mediation_row(f.requests, f.sessions)),
            k,
        ),
        mediation_by_place: line(m.by_place.iter().map(|f| u64::from(f.sessions)), k),
        referral_funnel: line(
            r.referral_funnel.iter().map(|f| {
                least(&[
                    f.issued.into(),
                    f.accepted.into(),
                    f.concluded.into(),
                    f.service_received.into(),
                ])
            }),
            k,
        ),
        access_intakes: small(
            least(&[a.intakes.into(), a.intakes_with_intervention.into()]),
            k,
        ),
        access_mediation: mediation_requests || small(a.mediation_requests_served.into(), k),
        access_on_call: small(a.on_call_requests_served.into(), k),
        open_caseload: line(r.open_caseload.iter().map(|c| u64::from(c.open_cases)), k),
        open_cases: small(r.open_cases.into(), k),
        closure_reasons: line(r.closure_reasons.iter().map(|c| u64::from(c.count)), k),
        response_rate: total,
        temporary_protection_beneficiaries,
        temporary_protection_registered: small(tp.registered.into(), k),
    }
}

/// Nothing suppressed: every list's flags false, as long as the report's lists.
fn exact(r: &MonitoringReport) -> MonitoringSuppression {
    let none = |n: usize| vec![false; n];
    let b = &r.beneficiaries;
    let m = &r.mediation;
    MonitoringSuppression {
        contacts: none(r.contacts.len()),
        by_citizenship: none(b.by_citizenship.len()),
        by_sex: none(b.by_sex.len()),
        by_age_band: none(b.by_age_band.len()),
        by_permit_type: none(b.by_permit_type.len()),
        by_vulnerability: none(b.by_vulnerability.len()),
        mediation_by_language: none(m.by_language.len()),
        mediation_by_mode: none(m.by_mode.len()),
        mediation_by_requesting_service: none(m.by_requesting_service.len()),
        mediation_by_place: none(m.by_place.len()),
        referral_funnel: none(r.referral_funnel.len()),
        open_caseload: none(r.open_caseload.len()),
        closure_reasons: none(r.closure_reasons.len()),
        ..MonitoringSuppression::default()
    }
}

/// Whether row `i` of a list is suppressed; a row the flags do not reach is (deny by default).
pub fn suppressed_row(flags: &[bool], i: usize) -> bool {
    flags.get(i).copied().unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_way_tables_keep_no_row_alone_under_the_threshold() {
        assert_eq!(line([2, 9, 7], 5), vec![true, false, true]);
        assert_eq!(line([6, 9, 7], 5), vec![false; 3]);
        assert_eq!(line([0, 3, 4], 5), vec![false, true, true]);
    }
}
