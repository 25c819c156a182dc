//! Facts that change over time: a person's permit, citizenships, languages, household and
//! contacts change (`UpdatePerson`, news, not a mistake), and a minor comes of age, from which
//! day they consent for themselves.

use chrono::Months;

use super::*;

/// A permit as it stands: no expiry and no renewal without a permit. `prefix` names the fields
/// of a registration (`""`: `permitExpiresOn`) or of an update (`"permit."`: `permit.expiresOn`).
pub(super) fn permit(p: &Permit, prefix: &str) -> Result<(), Rejection> {
    let (expires, renewal) = if prefix.is_empty() {
        ("permitExpiresOn", "permitRenewalPending")
    } else {
        ("permit.expiresOn", "permit.renewalPending")
    };
    ensure!(
        !(p.permit_type.is_no_permit() && p.expires_on.is_some()),
        expires,
        K::Invalid,
        "without a known permit there is no permit expiry"
    );
    ensure!(
        !(p.permit_type == PermitType::None && p.renewal_pending),
        renewal,
        K::Invalid,
        "a person without a permit has no renewal pending: say the type of the permit renewed"
    );
    Ok(())
}

/// The day a person born on `birth_date` turns 18.
fn eighteenth_birthday(birth_date: NaiveDate) -> Option<NaiveDate> {
    birth_date.checked_add_months(Months::new(18 * 12))
}

/// Whether the person is of age on `day`: from the exact birth date when known; from the birth
/// year otherwise, and then `None` in the year they turn 18 (the desk cannot tell which day).
fn of_age_on(p: &PersonState, day: NaiveDate) -> Option<bool> {
    match p.birth_date.and_then(eighteenth_birthday) {
        Some(eighteenth) => Some(day >= eighteenth),
        None => match (day.year() - p.birth_year).cmp(&18) {
            std::cmp::Ordering::Less => Some(false),
            std::cmp::Ordering::Equal => None,
            std::cmp::Ordering::Greater => Some(true),
        },
    }
}

/// Who may give a consent: a minor's is given by a named guardian, an adult's by the person,
/// from the day of their 18th birthday (`docs/DOMAIN-MODEL.md`, "Consent and coming of age").
pub(super) fn giver(p: &PersonState, c: &GiveConsent) -> Result<(), Rejection> {
    let day = desk_day(c.occurred_at);
    let since = p
        .birth_date
        .and_then(eighteenth_birthday)
        .map(|d| format!(" (18 on {})", d.format("%d/%m/%Y")))
        .unwrap_or_default();
    match (of_age_on(p, day), c.given_by) {
        (Some(false), ConsentGiver::Person) => {
            return reject(
                "givenBy",
                K::GuardianRequired,
                format!(
                    "the person is a minor{since}: consent is given by a parent or guardian, \
                     named"
                ),
            )
        }
        (Some(true), ConsentGiver::Guardian) => {
            return reject(
                "givenBy",
                K::Mismatch,
                format!("the person is of age{since}: they consent for themselves"),
            )
        }
        _ => {}
    }
    match c.given_by {
        ConsentGiver::Person => {
            ensure!(
                c.guardian_kind.is_none() && c.guardian_name.is_none(),
                "guardianKind",
                K::Invalid,
                "the person consents for themselves: no guardian is named"
            );
        }
        ConsentGiver::Guardian => {
            let Some(kind) = c.guardian_kind else {
                return reject(
                    "guardianKind",
                    K::Required,
                    "say who the guardian is: a parent, the tutore volontario, or the head of \
                     the facility while none is appointed",
                );
            };
            ensure!(
                c.guardian_name
                    .as_ref()
                    .is_some_and(|n| !n.as_str().trim().is_empty()),
                "guardianName",
                K::Required,
                "name the guardian who gives the consent"
            );
            ensure!(
                !(p.unaccompanied_minor && kind == GuardianKind::Parent),
                "guardianKind",
                K::Mismatch,
                "an unaccompanied minor has no parent here: the tutore volontario consents, or \
                 the head of the facility while none is appointed"
            );
        }
    }
    Ok(())
}

impl DeskState {
    pub(super) fn update_person(&self, c: &UpdatePerson) -> Decided {
        site(&c.site_id, "siteId")?;
        let p = self.person(c.person_id, "personId")?;
        let personal = c.personal.as_ref().filter(|v| !v.is_empty());
        ensure!(
            c.permit.is_some()
                || c.citizenships.is_some()
                || c.languages.is_some()
                || c.household_size.is_some()
                || personal.is_some(),
            "personId",
            K::Required,
            "say what changed: the permit, citizenships, languages, household size or contacts"
        );
        if let Some(permit_now) = &c.permit {
            permit(permit_now, "permit.")?;
        }
        if let Some(list) = &c.citizenships {
            countries(list, "citizenships")?;
        }
        if let Some(list) = &c.languages {
            languages(list, "languages")?;
        }
        if let Some(size) = c.household_size {
            ensure!(
                size >= 1,
                "householdSize",
                K::OutOfRange,
                "a household has at least one person"
            );
        }
        if let Some(v) = personal {
            if let Some(name) = &v.full_name {
                ensure!(
                    !name.trim().is_empty(),
                    "personal.fullName",
                    K::Required,
                    "the name is missing"
                );
                ensure!(
                    name.trim() != crate::personal::ERASED,
                    "personal.fullName",
                    K::Invalid,
                    "{} marks erased data; it is not a name",
                    crate::personal::ERASED
                );
            }
            if let Some(code) = &v.fiscal_code {
                ensure!(
                    crate::personal::is_fiscal_code(code),
                    "personal.fiscalCode",
                    K::Invalid,
                    "a codice fiscale is 16 uppercase letters and digits (like RSSMRA85T10A562S) \
                     ending in its check letter"
                );
            }
        }
        ensure!(
            c.occurred_at >= p.registered_at,
            "occurredAt",
            K::OutOfRange,
            "this cannot happen before the person was registered"
        );
        self.decision(
            StreamId::person(c.person_id),
            PersonUpdated {
                person_id: c.person_id,
                site_id: c.site_id.clone(),
                occurred_at: c.occurred_at,
                permit: c.permit,
                citizenships: c.citizenships.clone(),
                languages: c.languages.clone(),
                household_size: c.household_size,
                personal: personal.cloned(),
            },
        )
    }
}

impl Decide for UpdatePerson {
    fn placement(&self, _: &DeskState) -> Placement {
        Placement::own(&self.site_id)
    }

    fn decide(&self, state: &DeskState, _: &Context) -> Decided {
        state.update_person(self)
    }
}

// The write model's part of each event of this stream: no rule, whatever is in the journal
// happened.

impl Evolve for PersonUpdated {
    /// Decides nothing later.
    fn evolve(&self, _: &mut DeskState, _: Applied) {}
}

/// The sample of each command of this stream ([`crate::samples`]).
mod samples {
    use crate::samples::*;
    use crate::*;

    impl Sample for UpdatePerson {
        fn sample() -> Self {
            UpdatePerson {
                person_id: person(),
                site_id: site(),
                occurred_at: t("2024-05-16T11:59:50Z"),
                permit: Some(Permit {
                    permit_type: PermitType::TemporaryProtection,
                    expires_on: Some(d("2025-12-31")),
                    renewal_pending: false,
                }),
                citizenships: None,
                languages: Some(vec!["uk".into(), "ru".into(), "it".into()]),
                household_size: Some(4),
                personal: Some(PersonalChanges {
                    full_name: None,
                    contacts: Some(vec![Contact {
                        kind: ContactKind::Phone,
                        value: "+39 0774 000 111".into(),
                    }]),
                    fiscal_code: None,
                }),
            }
        }
    }
}
