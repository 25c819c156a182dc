//! `impact report --template`: the region's sheets from the shipped templates
//! (`templates/*.toml`) on the demo month (`fixtures/montelucci-2024-05.jsonl`), run as the real
//! binary on a data directory filled by `impact import`.
//!
//! The rendered CSVs equal the golden files in `tests/golden/<template>/` byte for byte; a
//! missing golden file is written with `UPDATE_GOLDEN=1`, an existing one is never rewritten
//! (a report whose bytes change is a change to review). The figures the goldens hold are
//! checked again below against counts made by hand from the fixture.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{fixture, impact};

fn imported() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = impact(&["import", "--data", path(&data), path(&fixture())]);
    assert!(out.status.success(), "import: {}", stderr(&out));
    (tmp, data)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn template(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../templates")
        .join(format!("{name}.toml"))
}

fn golden_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Renders a template into a fresh directory and reads back every file: name → text.
fn render(data: &Path, out: &Path, args: &[&str]) -> BTreeMap<String, String> {
    let mut all = vec!["report", "--data", path(data), "--out", path(out)];
    all.extend_from_slice(args);
    let run = impact(&all);
    assert!(run.status.success(), "report: {}", stderr(&run));
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(out).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        files.insert(name, std::fs::read_to_string(entry.path()).unwrap());
    }
    files
}

/// Compares with the golden files (writing the missing ones under `UPDATE_GOLDEN=1`).
fn check_golden(template: &str, files: &BTreeMap<String, String>) {
    let dir = golden_dir(template);
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (name, text) in files {
        let golden = dir.join(name);
        match std::fs::read_to_string(&golden) {
            Ok(expected) => assert_eq!(
                text, &expected,
                "{template}/{name} differs from its golden file (golden files are never rewritten: \
                 a changed report is a new template version or a reviewed change)"
            ),
            Err(_) if update => {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&golden, text).unwrap();
            }
            Err(_) => panic!(
                "no golden file {}; rerun with UPDATE_GOLDEN=1",
                golden.display()
            ),
        }
    }
    // Every golden file is still produced.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            files.contains_key(&name),
            "{template} no longer writes {name}"
        );
    }
}

fn rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// The row whose first cells are `key`.
fn row<'a>(table: &'a [Vec<String>], key: &[&str]) -> &'a [String] {
    table
        .iter()
        .find(|r| r.iter().zip(key).all(|(a, b)| a == b))
        .unwrap_or_else(|| panic!("no row {key:?} in {table:?}"))
}

#[test]
fn fami_quarterly_sheet_renders_its_golden_csvs_in_italian() {
    let (tmp, data) = imported();
    let out = tmp.path().join("fami");
    let t = template("fami-trimestrale");
    let files = render(
        &data,
        &out,
        &["--template", path(&t), "--quarter", "2024-Q2"],
    );
    check_golden("fami-trimestrale", &files);

    // Lines 63 and 76: 30 copies of a guide in Chinese at the desk, 40 leaflets in Ukrainian at
    // a group activity.
    let m = rows(&files["materiale_informativo.csv"]);
    assert_eq!(
        m[0],
        [
            "Materiale",
            "Materiale (codice)",
            "Lingua",
            "Lingua (codice)",
            "Canale",
            "Canale (codice)",
            "Distribuzioni",
            "Copie"
        ]
    );
    assert_eq!(
        row(&m, &["Guida all'iscrizione anagrafica"])[4..],
        ["Sportello", "desk", "1", "30"]
    );
    assert_eq!(
        row(&m, &["Opuscolo protezione temporanea"])[4..],
        ["Attività di gruppo", "group_activity", "1", "40"]
    );
    assert_eq!(row(&m, &["Totale"])[6..], ["2", "70"]);

    // Lines 75 and 111: an information session (90 minutes, 16 + 3 attendees) and a community
    // activation (120 minutes, 9 + 11). Group activities count no person: never suppressed.
    let g = rows(&files["attivita_di_gruppo.csv"]);
    assert_eq!(
        row(&g, &["Incontro informativo"])[1..],
        ["information_session", "1", "16", "3", "1.5"]
    );
    assert_eq!(
        row(&g, &["Attivazione della comunità"])[1..],
        ["community_activation", "1", "9", "11", "2"]
    );
    assert_eq!(row(&g, &["Totale"])[2..], ["2", "25", "14", "3.5"]);

    // Every person of the fixture holds one third-country citizenship: all eligible.
    let e = rows(&files["ammissibilita.csv"]);
    assert_eq!(e.len(), 3, "{e:?}");
    assert_eq!(row(&e, &["Cittadino di paese terzo"])[1], "third_country");

    // Four RecordSurveyResponse lines (69, 70, 101, 103) name no definition: they answer the
    // built-in one, against the 14 persons served; responses name no person and are not
    // suppressed.
    let s = rows(&files["gradimento.csv"]);
    assert_eq!(row(&s, &["Totale"])[1..], ["total", "4", "14", "0.2857"]);
    assert_eq!(s[1][1], "gradimento-sportello/1");

    // The threshold is stated.
    let info = rows(&files["informazioni.csv"]);
    assert_eq!(row(&info, &["Soglia celle piccole"])[1], "5");
    assert!(row(&info, &["Raggruppamento (eta_fondo)"])[1]
        .starts_with("0-17 = 0-17; 18-34 = 18-24 + 25-34"));
}

#[test]
fn monthly_monitoring_renders_its_golden_csvs() {
    let (tmp, data) = imported();
    let out = tmp.path().join("mensile");
    let t = template("monitoraggio-mensile");
    let files = render(
        &data,
        &out,
        &["--template", path(&t), "--period", "2024-05"],
    );
    check_golden("monitoraggio-mensile", &files);
}

#[test]
fn english_labels_and_exact_figures_on_request() {
    let (tmp, data) = imported();
    let t = template("fami-trimestrale");
    let exact = render(
        &data,
        &tmp.path().join("exact"),
        &[
            "--template",
            path(&t),
            "--quarter",
            "2024-Q2",
            "--lang",
            "en",
            "--exact",
        ],
    );
    let info = rows(&exact["informazioni.csv"]);
    assert_eq!(
        row(&info, &["Small-cell threshold"])[1],
        "none: exact figures, for use inside the desk only"
    );
    assert_eq!(row(&info, &["Rows suppressed"])[1], "0");
    let e = rows(&exact["ammissibilita.csv"]);
    assert_eq!(e[0], ["Eligibility", "Eligibility (code)", "Persons"]);
    assert!(
        !exact.values().any(|t| t.contains(",*")),
        "exact figures hide nothing"
    );
}

#[test]
fn a_template_of_the_wrong_span_or_shape_is_refused() {
    let (tmp, data) = imported();
    let t = template("fami-trimestrale");
    let out = impact(&[
        "report",
        "--data",
        path(&data),
        "--template",
        path(&t),
        "--period",
        "2024-05",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("quarterly: give --quarter"),
        "{}",
        stderr(&out)
    );

    let bad = tmp.path().join("bad.toml");
    let text = std::fs::read_to_string(&t)
        .unwrap()
        .replace("field = \"persons\"", "field = \"names\"");
    std::fs::write(&bad, text).unwrap();
    let out = impact(&[
        "report",
        "--data",
        path(&data),
        "--template",
        path(&bad),
        "--quarter",
        "2024-Q2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("column \"names\""),
        "{}",
        stderr(&out)
    );
}
