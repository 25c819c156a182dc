//! `impact replay --as-of` prints the figures exactly as `impact report` printed them at that
//! moment, after later events; by position, by instant and by date. Its help and the others'
//! say which time each option selects by, and `import` keeps to the configured project start.

mod common;
use common::{fixture, impact};

fn stdout(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn replay_as_of_equals_the_report_seen_then() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let fixture = std::fs::read_to_string(fixture()).unwrap();
    let lines: Vec<&str> = fixture.lines().collect();
    let first = dir.path().join("first.jsonl");
    let rest = dir.path().join("rest.jsonl");
    std::fs::write(&first, lines[..70].join("\n")).unwrap();
    std::fs::write(&rest, lines[70..].join("\n")).unwrap();

    stdout(&impact(&[
        "import",
        "--data",
        data,
        first.to_str().unwrap(),
    ]));
    let json_then = stdout(&impact(&[
        "report", "--data", data, "--period", "2024-05", "--format", "json",
    ]));
    let csv_then = stdout(&impact(&["report", "--data", data, "--period", "2024-05"]));
    let head = stdout(&impact(&["head", "--data", data]));
    let position = head.split_whitespace().next().unwrap().to_owned();
    assert_eq!(position, "70");
    let t1 = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    std::thread::sleep(std::time::Duration::from_millis(20));

    stdout(&impact(&["import", "--data", data, rest.to_str().unwrap()]));
    let json_now = stdout(&impact(&[
        "report", "--data", data, "--period", "2024-05", "--format", "json",
    ]));
    assert_ne!(
        json_now, json_then,
        "the later lines change today's figures"
    );

    for as_of in [position.as_str(), t1.as_str()] {
        let replayed = stdout(&impact(&[
            "replay", "--data", data, "--as-of", as_of, "--period", "2024-05", "--json",
        ]));
        assert_eq!(replayed, json_then, "replay --as-of {as_of}");
        let replayed_csv = stdout(&impact(&[
            "replay", "--data", data, "--as-of", as_of, "--period", "2024-05",
        ]));
        assert_eq!(replayed_csv, csv_then, "replay --as-of {as_of} (CSV)");
        let report_as_of = stdout(&impact(&[
            "report", "--data", data, "--period", "2024-05", "--format", "json", "--as-of", as_of,
        ]));
        assert_eq!(report_as_of, json_then, "report --as-of {as_of}");
    }
    // A date names the end of that day: everything recorded today.
    let today = chrono::Utc::now().date_naive().to_string();
    let replayed = stdout(&impact(&[
        "replay", "--data", data, "--as-of", &today, "--period", "2024-05", "--json",
    ]));
    assert_eq!(replayed, json_now);
    // Before anything was recorded: no contacts.
    let empty = stdout(&impact(&[
        "replay",
        "--data",
        data,
        "--as-of",
        "2001-01-01",
        "--period",
        "2024-05",
        "--json",
    ]));
    let empty: serde_json::Value = serde_json::from_str(&empty).unwrap();
    assert_eq!(empty["asOf"], 0, "{empty}");

    let bad = impact(&["replay", "--data", data, "--as-of", "last tuesday"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a moment"));
}

/// Each option that selects by time says which time: when events were recorded (what was
/// known at a moment) or when they happened.
#[test]
fn the_help_says_which_time_each_option_selects_by() {
    let help = |args: &[&str]| {
        let text = stdout(&impact(args));
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let replay = help(&["replay", "--help"]);
    assert!(
        replay.contains(
            "--as-of <WHEN> What was known then: only the events the journal had \
             recorded by this moment count (by the time they were recorded, `recordedAt`"
        ),
        "{replay}"
    );
    assert!(
        replay.contains(
            "--period <YYYY-MM> The month of what happened (events by the time \
             they happened, `occurredAt`)"
        ),
        "{replay}"
    );
    let report = help(&["report", "--help"]);
    assert!(
        report.contains("--as-of <WHEN> What was known then"),
        "{report}"
    );
    assert!(
        report.contains("--period <YYYY-MM> The month of what happened"),
        "{report}"
    );
    assert!(report.contains("--quarter <YYYY-QN> The calendar quarter of what happened"));
    let bundle = help(&["bundle", "create", "--help"]);
    assert!(
        bundle.contains(
            "--from <FROM> First day (YYYY-MM-DD, UTC) on which the journal \
             recorded the events (`recordedAt`; not the day they happened)"
        ),
        "{bundle}"
    );
    assert!(bundle.contains("--to <TO> Last day (YYYY-MM-DD, UTC) of recording"));
}

/// `import --project-start`: a desk that knows its start refuses what says an earlier time,
/// naming the bound, and records nothing.
#[test]
fn import_refuses_a_line_before_the_configured_project_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let fixture = fixture();
    let refused = impact(&[
        "import",
        "--data",
        data,
        "--project-start",
        "2024-06-01T00:00:00+02:00",
        fixture.to_str().unwrap(),
    ]);
    assert!(!refused.status.success(), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("is before the project started (2024-05-31T22:00:00Z)"),
        "{stderr}"
    );
    let head = stdout(&impact(&["head", "--data", data]));
    assert!(head.starts_with("0 "), "{head}");

    // Its default start is the FAMI programme's first day: the demo month is after it.
    stdout(&impact(&[
        "import",
        "--data",
        data,
        fixture.to_str().unwrap(),
    ]));
}
