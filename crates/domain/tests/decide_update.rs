//! Given events, when `UpdatePerson`, then `PersonUpdated` on the person's stream or a rejection:
//! facts about a person change over time (a renewed permit, a new phone), and that is news, not a
//! correction.

mod support;

use domain::RejectionKind as K;
use domain::*;
use support::*;

fn only_permit(permit: Permit) -> UpdatePerson {
    UpdatePerson {
        permit: Some(permit),
        citizenships: None,
        languages: None,
        household_size: None,
        personal: None,
        ..update_person()
    }
}

#[test]
fn a_renewed_permit_and_a_new_phone_are_a_fact_on_the_persons_stream() {
    let then = given(base())
        .when(update_person())
        .then_decision(StreamId::person(person()), Expected::Exactly(3));
    let Event::PersonUpdated(e) = &then.events[0] else {
        panic!("not a PersonUpdated: {:?}", then.events);
    };
    assert_eq!(e.person_id, person());
    assert_eq!(e.permit.map(|p| p.expires_on), Some(Some(d("2025-12-31"))));
    assert_eq!(e.household_size, Some(4));
    let contacts = e
        .personal
        .as_ref()
        .and_then(|p| p.contacts.clone())
        .unwrap();
    assert_eq!(contacts[0].value, "+39 0774 000 111");
}

#[test]
fn a_renewal_applied_for_is_a_status_beside_the_type() {
    given(base())
        .when(only_permit(Permit {
            permit_type: PermitType::TemporaryProtection,
            expires_on: Some(d("2024-04-30")),
            renewal_pending: true,
        }))
        .then_accepted();
    given(base())
        .when(only_permit(Permit {
            permit_type: PermitType::None,
            expires_on: None,
            renewal_pending: true,
        }))
        .then_rejected("permit.renewalPending", K::Invalid);
    for no_permit in [PermitType::None, PermitType::Unknown] {
        given(base())
            .when(only_permit(Permit {
                permit_type: no_permit,
                expires_on: Some(d("2025-01-01")),
                renewal_pending: false,
            }))
            .then_rejected("permit.expiresOn", K::Invalid);
    }
}

#[test]
fn an_update_says_what_changed_and_each_value_is_checked() {
    given(base())
        .when(UpdatePerson {
            permit: None,
            citizenships: None,
            languages: None,
            household_size: None,
            personal: Some(PersonalChanges::default()),
            ..update_person()
        })
        .then_rejected("personId", K::Required);
    given(base())
        .when(UpdatePerson {
            citizenships: Some(vec!["UA".into(), "italia".into()]),
            ..update_person()
        })
        .then_rejected("citizenships[1]", K::Invalid);
    given(base())
        .when(UpdatePerson {
            languages: Some(vec![]),
            ..update_person()
        })
        .then_rejected("languages", K::Required);
    given(base())
        .when(UpdatePerson {
            household_size: Some(0),
            ..update_person()
        })
        .then_rejected("householdSize", K::OutOfRange);
    given(base())
        .when(UpdatePerson {
            personal: Some(PersonalChanges {
                fiscal_code: Some("RSSMRA85T10A562X".into()),
                ..PersonalChanges::default()
            }),
            ..update_person()
        })
        .then_rejected("personal.fiscalCode", K::Invalid);
    given(base())
        .when(UpdatePerson {
            personal: Some(PersonalChanges {
                full_name: Some(ERASED.into()),
                ..PersonalChanges::default()
            }),
            ..update_person()
        })
        .then_rejected("personal.fullName", K::Invalid);
}

#[test]
fn an_acquired_citizenship_is_an_update() {
    given(base())
        .when(UpdatePerson {
            citizenships: Some(vec!["UA".into(), "IT".into()]),
            permit: None,
            ..update_person()
        })
        .then_accepted();
}

#[test]
fn only_a_registered_person_of_the_site_not_erased_nor_merged_is_updated() {
    given(vec![])
        .when(update_person())
        .then_rejected("personId", K::NotFound);
    given(base())
        .when(UpdatePerson {
            site_id: other_site(),
            ..update_person()
        })
        .then_rejected("personId", K::NotFound);
    let mut erased = base();
    erased.extend(
        given(base())
            .when_by(
                supervisor(),
                ErasePerson {
                    person_id: person(),
                    occurred_at: t("2024-05-16T11:00:00Z"),
                    reason: ErasureReason::PersonRequest,
                },
            )
            .then_accepted()
            .events,
    );
    given(erased)
        .when(update_person())
        .then_rejected("personId", K::Erased);
    given(base())
        .when(UpdatePerson {
            occurred_at: t("2024-05-07T09:00:00Z"),
            ..update_person()
        })
        .then_rejected("occurredAt", K::OutOfRange);
    given(base())
        .when_by(Actor::new("valutatore", Role::Evaluator), update_person())
        .then_rejected("actor", K::NotPermitted);
}
