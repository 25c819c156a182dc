//! The benchmark runs end to end on a small journal and prints one parseable JSON object per
//! scenario with a positive rate.

use std::process::Command;

/// Runs `bench ARGS --dir <scratch>`, checks that it succeeds and prints one JSON object per line
/// for exactly `scenarios`, in order, and returns those objects.
fn run(args: &[&str], scenarios: &[&str]) -> Vec<serde_json::Value> {
    let scratch = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(args)
        .arg("--dir")
        .arg(scratch.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "bench {} failed: {}",
        args[0],
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let printed: Vec<&str> = lines
        .iter()
        .map(|l| l["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(printed, scenarios);
    lines
}

#[test]
fn every_scenario_prints_a_json_line_with_a_positive_rate() {
    let lines = run(
        &["journal", "--events", "2000", "--payload-bytes", "64"],
        &[
            "baseline",
            "baseline_3_inserts",
            "bulk_append",
            "open",
            "verify",
            "iter_forward",
            "durable_append_1",
            "durable_append_16",
            "durable_append_64",
        ],
    );
    for line in &lines {
        assert!(line["events_per_s"].as_f64().unwrap() > 0.0, "{line}");
        assert!(line["ratio"].as_f64().unwrap() > 0.0, "{line}");
    }
    let open = &lines[3];
    assert!(open["peak_memory_mib"].as_f64().unwrap() > 0.0, "{open}");
    assert!(
        open["disk_bytes_per_event"].as_f64().unwrap() > 0.0,
        "{open}"
    );
    assert!(lines[8]["p99_us"].as_u64().unwrap() >= lines[8]["p50_us"].as_u64().unwrap());
}

#[test]
fn every_api_scenario_prints_a_json_line_with_a_positive_rate() {
    let lines = run(
        &[
            "api",
            "--events",
            "3000",
            "--seconds",
            "0.5",
            "--connections",
            "4",
            "--cold-events",
            "3000",
            "--cold-sites",
            "6",
        ],
        &[
            "build",
            "baseline",
            "audit_page",
            "audit_filtered",
            "cases_page",
            "referrals_page",
            "mediations_page",
            "mutation",
            "monitoring_year",
            "as_of_head",
            "as_of_past_cold",
            "as_of_past_near",
            "cold_build",
            "cold_scan",
            "cold_journal_open",
            "cold_rebuild",
            "cold_start",
            "cold_start_snapshot",
        ],
    );
    for line in &lines[1..9] {
        assert!(line["requests_per_s"].as_f64().unwrap() > 0.0, "{line}");
        assert!(line["ratio"].as_f64().unwrap() > 0.0, "{line}");
        assert!(line["p99_us"].as_u64().unwrap() >= line["p50_us"].as_u64().unwrap());
    }
    for line in &lines[9..12] {
        assert_eq!(line["position"], line["folded_to"], "{line}");
        assert!(line["ms"].as_f64().unwrap() >= 0.0, "{line}");
    }
    for line in &lines[13..] {
        assert_eq!(
            line["events"].as_u64().unwrap(),
            lines[12]["events"].as_u64().unwrap()
        );
        assert!(line["events_per_s"].as_f64().unwrap() > 0.0, "{line}");
        assert!(line["peak_memory_mib"].as_f64().unwrap() > 0.0, "{line}");
    }
}

#[test]
fn every_proofs_scenario_prints_a_json_line_with_a_positive_rate() {
    let lines = run(
        &[
            "proofs",
            "--events",
            "3000",
            "--proofs",
            "50",
            "--bundle-events",
            "300",
            "--durable-events",
            "200",
            "--payload-bytes",
            "64",
        ],
        &[
            "bulk_append",
            "tree_update",
            "durable_append_64",
            "random_read",
            "inclusion_generate",
            "inclusion_verify",
            "consistency_generate",
            "consistency_verify",
            "bundle_verify_hash_only",
            "bundle_verify_full_records",
        ],
    );
    for line in &lines {
        let rate = line
            .get("events_per_s")
            .or_else(|| line.get("per_s"))
            .and_then(serde_json::Value::as_f64)
            .unwrap();
        assert!(rate > 0.0, "{line}");
    }
    // `append_slowdown` is tree time / (append time - tree time), from the same timings the
    // `bulk_append` and `tree_update` lines print per event (each rounded to 3 figures).
    let figure = |line: &serde_json::Value, name: &str| line[name].as_f64().unwrap();
    let (append_us, tree_us) = (
        figure(&lines[0], "us_per_event"),
        figure(&lines[1], "us_per_event"),
    );
    assert!(
        0.0 < tree_us && tree_us < append_us,
        "{} {}",
        lines[0],
        lines[1]
    );
    let expected = tree_us / (append_us - tree_us);
    let slowdown = figure(&lines[0], "append_slowdown");
    assert!(
        (slowdown - expected).abs() <= 0.02 * expected + 0.001,
        "append_slowdown {slowdown}, but the timings give {expected}"
    );
    assert!(figure(&lines[2], "append_slowdown") > 0.0, "{}", lines[2]);
    assert_eq!(lines[8]["rehashed"], 0);
    assert_eq!(lines[9]["rehashed"], 300);
}
