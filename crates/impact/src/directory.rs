//! `impact directory`: the territorial service directory (activity 11, the map of services) in
//! the open Open Referral format, HSDS 3.0.
//!
//! The output is the HSDS 3.0 paginated list of services (`total_items`, `total_pages`,
//! `page_number`, `size`, `first_page`, `last_page`, `empty`, `contents`), all in one page, one
//! `service` object per service ever mapped, in the order they were mapped:
//!
//! | HSDS field | from the directory entry |
//! |---|---|
//! | `id` | the service's ULID |
//! | `name` | name |
//! | `description` | kind of service, in words (`health service`, ...) |
//! | `status` | `active`; `inactive` once retired (the reason goes in `alert`) |
//! | `application_process` | access rules |
//! | `assured_date` | verified on |
//! | `languages[]` | `{id, code, name}` per ISO 639-1 code (`name` repeats the code) |
//! | `schedules[]` | one `{id, service_id, description}` with the opening hours as written |
//! | `organization` | `{id, name, description}`: the directory names no provider apart from the service, so the service's name stands for it |
//! | `service_at_locations[].location` | a `physical` location with one address: `address_1` is the address as mapped; `city`, `state_province` and `postal_code` are empty (not recorded), `country` is `IT` |
//! | `attributes[]` | the Ukrainian-crisis capacity, when mapped (below) |
//!
//! **Extension: Ukrainian-crisis capacity.** HSDS has no field for it, so it travels as three
//! HSDS `attribute` objects with `link_type` `ukraine_crisis_capacity`, `link_entity`
//! `service`, the value as text, and a `taxonomy_term` of the vocabulary
//! `impact-ukraine-capacity` whose `code` says which figure it is: `reception_places` (a whole
//! number of places), `health` and `school_access` (`true`/`false`: the service takes
//! temporary-protection holders for health care / gives school access). A service without a
//! mapped capacity has no such attributes.
//!
//! Ids of nested objects are derived from the service's ULID (`<ulid>-location`, ...), so the
//! same directory always gives the same document.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use projections::{ServiceFilter, ServiceView};
use serde_json::{json, Value};

use crate::report::{with_models, write_out};

/// `impact directory`: the service directory in an open format.
#[derive(clap::Args, Debug)]
pub struct DirectoryArgs {
    #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
    pub data: PathBuf,
    /// The master key file (default: `<data>.master-key`, beside the data directory). Keep it
    /// outside the data directory and out of its backups.
    #[arg(long, env = "IMPACT_MASTER_KEY_FILE", value_name = "FILE")]
    pub master_key: Option<PathBuf>,
    /// hsds: Open Referral HSDS 3.0 JSON.
    #[arg(long, value_enum, default_value_t = DirectoryFormat::Hsds)]
    pub format: DirectoryFormat,
    /// The file to write; standard output by default.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectoryFormat {
    Hsds,
}

/// Runs `impact directory`: every service ever mapped, retired ones `inactive`.
pub fn run(args: &DirectoryArgs) -> Result<()> {
    let services = with_models(&args.data, args.master_key.as_deref(), |m| {
        m.services(&ServiceFilter::default())
    })?;
    let document = match args.format {
        DirectoryFormat::Hsds => hsds(&services),
    };
    let mut text = serde_json::to_string_pretty(&document).context("cannot write the JSON")?;
    text.push('\n');
    write_out(args.out.as_deref(), text.as_bytes())?;
    eprintln!("directory: {} services", services.len());
    Ok(())
}

/// The taxonomy vocabulary of the capacity attributes.
pub const CAPACITY_VOCABULARY: &str = "impact-ukraine-capacity";

/// The directory as an HSDS 3.0 service list (see the module docs).
pub fn hsds(services: &[ServiceView]) -> Value {
    let contents: Vec<Value> = services.iter().map(hsds_service).collect();
    json!({
        "total_items": contents.len(),
        "total_pages": 1,
        "page_number": 1,
        "size": contents.len(),
        "first_page": true,
        "last_page": true,
        "empty": contents.is_empty(),
        "contents": contents,
    })
}

/// One service as an HSDS 3.0 `service` object.
pub fn hsds_service(s: &ServiceView) -> Value {
    let id = s.id.to_string();
    let d = &s.description;
    let kind = d.kind.as_str();
    let languages: Vec<Value> = d
        .languages
        .iter()
        .map(|code| {
            json!({
                "id": format!("{id}-language-{code}"),
                "service_id": id,
                "code": code,
                "name": code,
            })
        })
        .collect();
    let mut attributes = Vec::new();
    if let Some(cap) = &d.ukraine_capacity {
        for (code, name, value) in [
            (
                "reception_places",
                "Reception places for temporary-protection holders",
                cap.reception_places.to_string(),
            ),
            (
                "health",
                "Health care for temporary-protection holders",
                cap.health.to_string(),
            ),
            (
                "school_access",
                "School access for temporary-protection holders",
                cap.school_access.to_string(),
            ),
        ] {
            attributes.push(json!({
                "id": format!("{id}-ukraine-{code}"),
                "link_id": id,
                "link_type": "ukraine_crisis_capacity",
                "link_entity": "service",
                "value": value,
                "taxonomy_term": {
                    "id": format!("{CAPACITY_VOCABULARY}-{code}"),
                    "code": code,
                    "name": name,
                    "description": name,
                    "vocabulary": CAPACITY_VOCABULARY,
                },
            }));
        }
    }
    let location_id = format!("{id}-location");
    let mut service = json!({
        "id": id,
        "name": d.name,
        "description": format!("{kind} service"),
        "status": if s.retired_at.is_some() { "inactive" } else { "active" },
        "application_process": d.access_rules,
        "assured_date": d.verified_on.to_string(),
        "languages": languages,
        "schedules": [{
            "id": format!("{id}-schedule"),
            "service_id": id,
            "description": d.opening_hours,
        }],
        "organization": {
            "id": format!("{id}-organization"),
            "name": d.name,
            "description": format!("Provider of the {kind} service \"{}\"", d.name),
        },
        "service_at_locations": [{
            "id": format!("{id}-at-location"),
            "service_id": id,
            "location_id": location_id,
            "location": {
                "id": location_id,
                "location_type": "physical",
                "name": d.name,
                "addresses": [{
                    "id": format!("{id}-address"),
                    "location_id": location_id,
                    "address_1": d.address,
                    "city": "",
                    "state_province": "",
                    "postal_code": "",
                    "country": "IT",
                    "address_type": "physical",
                }],
            },
        }],
        "attributes": attributes,
    });
    if let Some(reason) = &s.retired_reason {
        service["alert"] = json!(format!("retired: {reason}"));
    }
    service
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use domain::{ServiceDescription, ServiceId, ServiceKind, UkraineCapacity};

    fn view(retired: bool, cap: Option<UkraineCapacity>) -> ServiceView {
        ServiceView {
            id: ServiceId("01HWW06VH0W5C0KDFJGZPDTAH4".parse().unwrap()),
            description: ServiceDescription {
                name: "CAS Casa Ginestra".into(),
                kind: ServiceKind::Reception,
                address: "via delle Robinie 8".into(),
                opening_hours: "h24".into(),
                languages: vec!["it".into(), "uk".into()],
                access_rules: "invio dalla Prefettura".into(),
                ukraine_capacity: cap,
                verified_on: NaiveDate::from_ymd_opt(2024, 5, 2).unwrap(),
            },
            mapped_at: Utc.with_ymd_and_hms(2024, 5, 2, 6, 35, 0).unwrap(),
            updated_at: None,
            retired_at: retired.then(|| Utc.with_ymd_and_hms(2024, 5, 30, 14, 0, 0).unwrap()),
            retired_reason: retired.then(|| "chiude".to_string()),
        }
    }

    #[test]
    fn a_service_in_hsds_shape() {
        let cap = UkraineCapacity {
            reception_places: 18,
            health: false,
            school_access: true,
        };
        let s = hsds_service(&view(false, Some(cap)));
        assert_eq!(s["id"], "01HWW06VH0W5C0KDFJGZPDTAH4");
        assert_eq!(s["status"], "active");
        assert_eq!(s["description"], "reception service");
        assert_eq!(s["languages"][1]["code"], "uk");
        assert_eq!(s["schedules"][0]["description"], "h24");
        assert_eq!(
            s["service_at_locations"][0]["location"]["addresses"][0]["address_1"],
            "via delle Robinie 8"
        );
        let attrs = s["attributes"].as_array().unwrap();
        assert_eq!(attrs.len(), 3);
        assert_eq!(attrs[0]["taxonomy_term"]["code"], "reception_places");
        assert_eq!(attrs[0]["value"], "18");
        assert_eq!(attrs[2]["value"], "true");
        assert!(s.get("alert").is_none());
    }

    #[test]
    fn retired_is_inactive_and_no_capacity_no_attributes() {
        let s = hsds_service(&view(true, None));
        assert_eq!(s["status"], "inactive");
        assert_eq!(s["alert"], "retired: chiude");
        assert_eq!(s["attributes"], json!([]));
        let list = hsds(&[view(true, None), view(false, None)]);
        assert_eq!(list["total_items"], 2);
        assert_eq!(list["contents"].as_array().unwrap().len(), 2);
    }
}
