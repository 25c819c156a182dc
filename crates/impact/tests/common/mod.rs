//! What the CLI's test files share: running the real `impact` binary, and the fixture month.
#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `impact` binary with `args`, quiet, and without the settings a developer's
/// environment may hold (`IMPACT_DATA`, `IMPACT_MASTER_KEY_FILE`).
pub fn impact(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_impact"))
        .args(args)
        .env("IMPACT_LOG", "warn")
        .env_remove("IMPACT_DATA")
        .env_remove("IMPACT_MASTER_KEY_FILE")
        .output()
        .expect("the impact binary runs")
}

#[path = "../../../../fixtures/fixture.rs"]
mod month;
/// How many lines the fixture has and how many events importing it records, counted from the
/// file.
#[allow(unused_imports)] // each test file uses its own part
pub use month::{FIXTURE_EVENTS, FIXTURE_LINES};

/// The hand-written month of the via Montelucci desk.
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/montelucci-2024-05.jsonl")
}
