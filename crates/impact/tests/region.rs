//! `impact report --signed` and `impact region`: three desks generated with different seeds and
//! sites, each imported into its own data directory by the real binary, each signing its
//! report of the monthly monitoring; one file is tampered with (a figure changed) and refused
//! for its signature, a fourth desk that sent nothing is listed as missing, and the region's
//! total is checked against the two accepted desks' own signed figures, summed here again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use domain::generator::{Generator, GeneratorConfig};
use serde_json::Value;

mod common;
use common::impact;

const PERIOD: &str = "2024-05";

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: Output, what: &str) -> Output {
    assert!(out.status.success(), "{what}: {}", stderr(&out));
    out
}

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates/monitoraggio-mensile.toml")
}

/// A desk: a data directory filled from the generator, and its public key.
struct Desk {
    data: PathBuf,
    key: String,
}

fn desk(root: &Path, name: &str, seed: u64, sites: u32, checkpoint: bool) -> Desk {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let config = GeneratorConfig {
        start: chrono::NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
        days: 61,
        sites,
        new_persons_per_opening: 3,
        max_lines: None,
    };
    let mut text = String::new();
    for line in Generator::new(seed, config) {
        text.push_str(&serde_json::to_string(&line).unwrap());
        text.push('\n');
    }
    let lines = dir.join("lines.jsonl");
    std::fs::write(&lines, text).unwrap();
    let data = dir.join("data");
    ok(
        impact(&["import", "--data", path(&data), path(&lines)]),
        "import",
    );
    if checkpoint {
        ok(impact(&["checkpoint", "--data", path(&data)]), "checkpoint");
    }
    let out = ok(impact(&["key", "show", "--data", path(&data)]), "key show");
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    Desk { data, key }
}

fn sign(desk: &Desk, file: &Path) {
    ok(
        impact(&[
            "report",
            "--data",
            path(&desk.data),
            "--template",
            path(&template()),
            "--period",
            PERIOD,
            "--signed",
            path(file),
        ]),
        "report --signed",
    );
}

/// The JSON body of a signed report: after the format line, before the signature.
fn body(file: &Path) -> Value {
    let text = std::fs::read_to_string(file).unwrap();
    let (body, _) = text.rsplit_once("\n\n\u{2014} ").unwrap();
    let (format, json) = body.split_once('\n').unwrap();
    assert_eq!(format, "impact-signed-report/1");
    serde_json::from_str(json).unwrap()
}

fn region(args: &[&str]) -> Value {
    let template = template();
    let mut all = vec![
        "region",
        "--template",
        path(&template),
        "--period",
        PERIOD,
        "--json",
    ];
    all.extend_from_slice(args);
    let out = ok(impact(&all), "region");
    serde_json::from_slice(&out.stdout).unwrap()
}

type Rows = BTreeMap<Vec<String>, Option<BTreeMap<String, u64>>>;

/// A table's rows (the total under the empty key): key → figures, `None` when suppressed.
fn rows(table: &Value) -> Rows {
    let row = |r: &Value| {
        let key: Vec<String> = serde_json::from_value(r["key"].clone()).unwrap();
        let figures: Option<BTreeMap<String, u64>> =
            serde_json::from_value(r["figures"].clone()).unwrap();
        (key, figures)
    };
    let mut out: Rows = table["rows"].as_array().unwrap().iter().map(row).collect();
    let (key, figures) = row(&table["total"]);
    assert!(key.is_empty());
    out.insert(key, figures);
    out
}

fn section<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["desks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["publicKey"] == key)
        .unwrap_or_else(|| panic!("no section for {key}"))
}

/// Changes the first figure of a person count in a signed report's body, keeping the JSON
/// valid and the signature line as it was.
fn tamper(file: &Path) {
    let text = std::fs::read_to_string(file).unwrap();
    let at = text.find("\"persons\": ").unwrap() + "\"persons\": ".len();
    let end = at + text[at..].find(|c: char| !c.is_ascii_digit()).unwrap();
    let n: u64 = text[at..end].parse().unwrap();
    let changed = format!("{}{}{}", &text[..at], n + 1, &text[end..]);
    std::fs::write(file, changed).unwrap();
}

#[test]
fn three_desks_are_summed_with_one_tampered_refused_and_one_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let desks = [
        desk(root, "a", 101, 1, true),
        desk(root, "b", 202, 2, false),
        desk(root, "c", 303, 3, true),
    ];
    let silent = desk(root, "d", 404, 1, false);
    let files: Vec<PathBuf> = (0..3)
        .map(|i| root.join(format!("desk-{i}.report")))
        .collect();
    for (d, f) in desks.iter().zip(&files) {
        sign(d, f);
    }
    let own: Vec<Value> = files.iter().map(|f| body(f)).collect();
    tamper(&files[2]);

    let arg = |d: &Desk, f: &Path| format!("{}={}", d.key, path(f));
    let missing = format!("{}=-", silent.key);
    let args = [
        arg(&desks[0], &files[0]),
        arg(&desks[1], &files[1]),
        arg(&desks[2], &files[2]),
        missing,
    ];
    let mut flags = Vec::new();
    for a in &args {
        flags.push("--desk");
        flags.push(a.as_str());
    }
    let report = region(&flags);

    assert_eq!(section(&report, &desks[0].key)["status"], "accepted");
    assert_eq!(section(&report, &desks[1].key)["status"], "accepted");
    let refused = section(&report, &desks[2].key);
    assert_eq!(refused["status"], "refused");
    assert_eq!(refused["reason"]["code"], "badSignature");
    assert_eq!(section(&report, &silent.key)["status"], "missing");

    // Each accepted desk's section is its own signed figures; the total is their sum, row by
    // row, and a row either desk suppressed is suppressed in the total.
    let mut summed_rows = 0;
    let mut hidden_by_a_desk = 0;
    let totals = report["total"].as_array().unwrap();
    for (t, total) in totals.iter().enumerate() {
        let mine: Vec<Rows> = (0..2).map(|i| rows(&own[i]["tables"][t])).collect();
        for (i, d) in desks.iter().take(2).enumerate() {
            assert_eq!(rows(&section(&report, &d.key)["tables"][t]), mine[i]);
        }
        let total = rows(total);
        let keys: std::collections::BTreeSet<&Vec<String>> =
            mine.iter().flat_map(|m| m.keys()).collect();
        assert_eq!(keys.len(), total.len(), "table {t}: the total's rows");
        for key in keys {
            let mut sum: Option<BTreeMap<String, u64>> = Some(BTreeMap::new());
            for m in &mine {
                match (m.get(key), sum.as_mut()) {
                    (None, _) => {}
                    (Some(Some(f)), Some(s)) => {
                        for (name, v) in f {
                            *s.entry(name.clone()).or_default() += v;
                        }
                    }
                    _ => sum = None,
                }
            }
            match (&total[key], sum) {
                (Some(shown), Some(sum)) => {
                    assert_eq!(*shown, sum, "table {t}, row {key:?}");
                    summed_rows += 1;
                }
                (Some(shown), None) => {
                    panic!("table {t}, row {key:?}: {shown:?} shown, though a desk suppressed it")
                }
                (None, None) => hidden_by_a_desk += 1,
                (None, Some(_)) => {} // secondary suppression in the sum, checked below
            }
        }
        no_line_gives_one_back(&total, t);
    }
    assert!(summed_rows > 20, "only {summed_rows} rows summed");
    assert!(
        hidden_by_a_desk > 0,
        "no desk suppressed a row: the test proves nothing"
    );

    // The CSV says the same in words: the tampered desk refused with its reason.
    let template = template();
    let mut all = vec!["region", "--template", path(&template), "--period", PERIOD];
    all.extend_from_slice(&flags);
    let out = ok(impact(&all), "region (CSV)");
    let text = String::from_utf8(out.stdout).unwrap();
    let line = |key: &str| text.lines().find(|l| l.contains(key)).unwrap().to_string();
    assert!(line(&desks[0].key).contains("accettato,accepted"));
    let refused = line(&desks[2].key);
    assert!(
        refused.contains("rifiutato,refused,") && refused.contains("bad signature"),
        "{refused}"
    );
    assert!(line(&silent.key).contains("mancante,missing"));
    assert!(text.contains("# totale-destinatari_per_sesso_e_eta"));
}

/// In every line of a regional table with more than one row (rows agreeing on all codes but
/// one), and in the whole table, never exactly one row suppressed: the line's sum, published
/// elsewhere, or the total, minus the others would give it back.
fn no_line_gives_one_back(table: &Rows, t: usize) {
    let rows: Vec<(&Vec<String>, bool)> = table
        .iter()
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, f)| (k, f.is_none()))
        .collect();
    let dims = rows.first().map_or(0, |(k, _)| k.len());
    for d in 0..dims {
        for (key, _) in &rows {
            let line: Vec<bool> = rows
                .iter()
                .filter(|(k, _)| (0..dims).all(|e| e == d || k[e] == key[e]))
                .map(|(_, h)| *h)
                .collect();
            let hidden = line.iter().filter(|h| **h).count();
            assert!(
                line.len() == 1 || hidden != 1,
                "table {t}: one suppressed row on the line of {key:?} along {d}"
            );
        }
    }
    let hidden = rows.iter().filter(|(_, h)| *h).count();
    assert!(
        rows.len() == 1 || hidden != 1,
        "table {t}: one suppressed row in the table"
    );
}

#[test]
fn a_report_under_another_key_period_or_threshold_is_refused_with_its_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let a = desk(tmp.path(), "a", 7, 1, true);
    let b = desk(tmp.path(), "b", 8, 1, true);
    let file = tmp.path().join("a.report");
    sign(&a, &file);

    let under_b = format!("{}={}", b.key, path(&file));
    let report = region(&["--desk", &under_b]);
    let reason = &section(&report, &b.key)["reason"];
    assert_eq!(reason["code"], "wrongKey", "{reason}");

    let own = format!("{}={}", a.key, path(&file));
    let report = region(&["--desk", &own, "--min-cell", "10"]);
    let reason = &section(&report, &a.key)["reason"];
    assert_eq!(reason["code"], "otherReport", "{reason}");

    let out = ok(
        impact(&[
            "region",
            "--template",
            path(&template()),
            "--period",
            "2024-04",
            "--json",
            "--desk",
            &own,
        ]),
        "region",
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(section(&report, &a.key)["reason"]["code"], "otherReport");

    let garbage = tmp.path().join("garbage");
    std::fs::write(&garbage, "not a report").unwrap();
    let report = region(&["--desk", &format!("{}={}", a.key, path(&garbage))]);
    assert_eq!(section(&report, &a.key)["reason"]["code"], "unreadable");

    // Alone and accepted, a desk's total is its own figures.
    let report = region(&["--desk", &own]);
    assert_eq!(section(&report, &a.key)["status"], "accepted");
    assert_eq!(report["total"], body(&file)["tables"]);
}
