//! A full disk through the API: a mutation that finds the disk full answers `DISK_FULL` with a
//! message a person can act on, nothing is recorded, the desk keeps every acknowledged event
//! readable, and once space is freed the same mutation is recorded. The data directory lives on
//! a small tmpfs mounted for the test (the suite runs as root in CI; elsewhere without the right
//! to mount, the test says so and stops, except under `CI=true`, where it fails).

use std::path::Path;
use std::process::Command;

use api::{ApiConfig, AppState, Principal};
use async_graphql::{Request, Variables};
use chrono::{Duration, Utc};
use domain::{Actor, Role};
use serde_json::json;
use ulid::Ulid;

/// Free space the journal keeps, here.
const RESERVE: u64 = 8 * 1024 * 1024;

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn mount_tmpfs(at: &Path, size: &str) -> Option<Mount> {
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(at)
        .stderr(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => Some(Mount(at.to_owned())),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI runs as root and must be able to mount a tmpfs for the full-disk test"
            );
            eprintln!("cannot mount a tmpfs here (not root?): the full-disk test did not run");
            None
        }
    }
}

fn free_bytes(path: &Path) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn admin(request: Request) -> Request {
    request
        .data(Principal::new(Actor::new("a.conti", Role::Admin), None))
        .data(api::access::ReadLog::default())
}

fn map_service(id: Ulid) -> Request {
    let when = Utc::now() - Duration::days(3);
    let input = json!({
        "serviceId": id.to_string(),
        "occurredAt": when.to_rfc3339(),
        "name": "Consultorio familiare, sportello di orientamento e mediazione",
        "kind": "HEALTH",
        "address": "Via Nomentana 1, Roma",
        "openingHours": "lun-ven 9:00-13:00",
        "languages": ["it", "en"],
        "accessRules": "su appuntamento, con codice STP",
        "ukraineCapacity": {"receptionPlaces": 0, "health": true, "schoolAccess": false},
        "verifiedOn": when.date_naive().to_string(),
    });
    admin(
        Request::new(
            "mutation($input: MapServiceInput!) { mapService(input: $input) { events { position } } }",
        )
        .variables(Variables::from_json(json!({ "input": input }))),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_disk_full_and_records_nothing() {
    // The operators' log says what failed; shown when the test fails.
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let root = tempfile::tempdir().unwrap();
    let Some(_mount) = mount_tmpfs(root.path(), "200m") else {
        return;
    };
    let data = root.path().join("data");
    let options = desk::DeskOptions {
        journal: desk::journal::Options {
            log_segment_bytes: 256 * 1024,
            disk_reserve_bytes: RESERVE,
            ..desk::journal::Options::default()
        },
        ..desk::DeskOptions::default()
    };
    let desk = desk::Desk::open(&data, options).unwrap();
    let security = api::Security::open(&data).unwrap();
    let state = AppState::new(desk, ApiConfig::default(), security);
    // Room for a few hundred events above the reserve.
    let filler = root.path().join("filler");
    let free = free_bytes(root.path());
    std::fs::write(
        &filler,
        vec![1u8; usize::try_from(free - RESERVE - 512 * 1024).unwrap()],
    )
    .unwrap();

    let mut recorded = 0u64;
    let mut refused = None;
    for _ in 0..20_000 {
        let id = Ulid::new();
        let response = state.schema.execute(map_service(id)).await;
        if response.errors.is_empty() {
            recorded += 1;
            continue;
        }
        refused = Some((id, response.errors[0].clone()));
        break;
    }
    let (refused_id, error) = refused.expect("the disk never filled up");
    let code = error
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .cloned();
    assert_eq!(
        code,
        Some(async_graphql::Value::from("DISK_FULL")),
        "{error:?}"
    );
    assert!(
        error.message.contains("disk is full") && error.message.contains("nothing was recorded"),
        "{}",
        error.message
    );
    assert!(recorded > 0, "some appends fit before the disk filled");
    assert_eq!(
        state.desk.journal().head().position.0,
        recorded,
        "only the acknowledged appends are in the journal"
    );
    // The read models still follow the journal: every acknowledged service is served.
    let listed = state
        .schema
        .execute(admin(Request::new("{ services { id } }")))
        .await;
    assert!(listed.errors.is_empty(), "{:?}", listed.errors);
    let listed = listed.data.into_json().unwrap();
    assert_eq!(
        listed["services"].as_array().unwrap().len(),
        usize::try_from(recorded).unwrap()
    );
    // Space freed: the same request is recorded.
    std::fs::remove_file(&filler).unwrap();
    let again = state.schema.execute(map_service(refused_id)).await;
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    assert_eq!(state.desk.journal().head().position.0, recorded + 1);
}
