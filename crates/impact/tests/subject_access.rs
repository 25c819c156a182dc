//! `impact subject-access` on a real data directory: a person's own facts, opened, with who read
//! their data, as JSON and a page in Italian; the access recorded; an erased person answered
//! clearly; an unknown id refused.

use std::path::Path;

mod common;
use common::{fixture, impact};

/// Olena, registered on 7 May in the fixture.
const OLENA: &str = "01HX8YRV80B3SXYDR3FYBNC7DY";

fn access(data: &str, out: &Path) -> (serde_json::Value, String, String) {
    let run = impact(&[
        "subject-access",
        "--data",
        data,
        "--person",
        OLENA,
        "--out",
        out.to_str().unwrap(),
        "--actor",
        "s.ferri",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{stderr}");
    let json = std::fs::read_to_string(out.join(format!("subject-access-{OLENA}.json"))).unwrap();
    let html = std::fs::read_to_string(out.join(format!("subject-access-{OLENA}.html"))).unwrap();
    (serde_json::from_str(&json).unwrap(), html, stderr)
}

#[test]
fn a_person_gets_their_facts_opened_and_who_read_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let out = dir.path().join("out");
    let imported = impact(&["import", "--data", data, fixture().to_str().unwrap()]);
    assert!(imported.status.success(), "{imported:?}");

    // The facts about Olena, with her personal values opened (the journal holds them sealed).
    let (json, html, _) = access(data, &out);
    assert_eq!(json["person"], OLENA);
    assert_eq!(json["erased"], false);
    let facts = json["facts"].as_array().unwrap();
    assert!(facts.len() >= 3, "{json}");
    assert!(facts.iter().all(|f| f["payload"]["personId"] == OLENA));
    let registration = facts
        .iter()
        .find(|f| f["type"] == "PersonRegistered")
        .unwrap();
    let name = registration["payload"]["personal"]["fullName"]
        .as_str()
        .expect("the name is opened, not a sealed value");
    assert!(!name.is_empty() && name != "[erased]");
    assert!(html.contains("<h1>I tuoi dati personali</h1>"), "{html}");
    assert!(html.contains("Chi ha letto i tuoi dati"));
    assert!(html.contains(&name.replace('\'', "&#39;")) || html.contains(name));

    // The access was recorded in the read audit: the next one lists it among the reads.
    let (json, _, _) = access(data, &out);
    let reads = json["reads"].as_array().unwrap();
    assert_eq!(reads.len(), 1, "{json}");
    assert_eq!(reads[0]["actor"], "s.ferri");
    assert_eq!(reads[0]["channel"], "subject_access");

    // After her erasure: a clear answer, the facts remain, her values read [erased].
    let erase = dir.path().join("erase.jsonl");
    std::fs::write(
        &erase,
        format!(
            "{{\"eventId\":\"{}\",\"actor\":{{\"id\":\"s.ferri\",\"role\":\"supervisor\"}},\
             \"command\":{{\"command\":\"ErasePerson\",\"personId\":\"{OLENA}\",\
             \"occurredAt\":\"2024-05-31T10:00:00+02:00\",\"reason\":\"person_request\"}}}}\n",
            ulid::Ulid::new()
        ),
    )
    .unwrap();
    let erased = impact(&["import", "--data", data, erase.to_str().unwrap()]);
    assert!(erased.status.success(), "{erased:?}");
    let (json, html, stderr) = access(data, &out);
    assert_eq!(json["erased"], true);
    assert!(stderr.contains("was erased"), "{stderr}");
    assert!(html.contains("sono stati cancellati"));
    let registration = json["facts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["type"] == "PersonRegistered")
        .unwrap()
        .clone();
    assert_eq!(registration["payload"]["personal"]["fullName"], "[erased]");
    assert!(!html.contains(name));

    // An id nobody registered: refused in words, nothing written.
    let unknown = impact(&[
        "subject-access",
        "--data",
        data,
        "--person",
        "01HX8YRV80B3SXYDR3FYBNC7DZ",
    ]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("never registered"));
}
