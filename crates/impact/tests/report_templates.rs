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

    // Lines 144 and 147 (a dual EU citizen, an Italian spouse) are counted apart, and as cells
    // of one they are suppressed outside the desk; the beneficiaries are the 17 others.
    let e = rows(&files["ammissibilita.csv"]);
    assert_eq!(
        coded(&e)[1..],
        [
            ["third_country", "17"],
            ["italian", "*"],
            ["dual_eu", "*"],
            ["total", "19"]
        ]
    );

    // Four RecordSurveyResponse lines (69, 70, 101, 103) name no definition: they answer the
    // built-in one, against the 19 persons served; responses name no person and are not
    // suppressed.
    let s = rows(&files["gradimento.csv"]);
    assert_eq!(
        coded(&s)[1],
        ["gradimento-sportello/1", "4", "19", "0.2105"]
    );

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

/// A table's codes and figures, without the label columns (each label is followed by its code,
/// headed "<label> (codice)" or "(code)").
fn coded(table: &[Vec<String>]) -> Vec<Vec<String>> {
    let header = &table[0];
    let labels: Vec<bool> = (0..header.len())
        .map(|i| {
            header.get(i + 1).is_some_and(|next| {
                *next == format!("{} (codice)", header[i])
                    || *next == format!("{} (code)", header[i])
            })
        })
        .collect();
    table
        .iter()
        .map(|r| {
            r.iter()
                .zip(&labels)
                .filter(|(_, label)| !**label)
                .map(|(c, _)| c.clone())
                .collect()
        })
        .collect()
}

/// The data rows of a table, codes and figures only.
fn exact(files: &BTreeMap<String, String>, table: &str) -> Vec<Vec<String>> {
    coded(&rows(&files[&format!("{table}.csv")]))[1..].to_vec()
}

fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// Every figure of both templates, exact (as supervisors see them inside the desk), against
/// counts made by hand from the fixture's lines. The persons served are those with an intake,
/// an intervention or a mediation session in May: the 14 registered on lines 8, 13, 17, 23, 28,
/// 33, 42, 46, 57, 71, 85, 94, 113 and 115, and the 5 of the evening of 31 May (lines 135, 138,
/// 141: a family of Afghanistan; 144: a Moldovan and Romanian citizen; 147: the Italian husband
/// of the woman of line 71). Every one was registered in May: new.
#[test]
fn every_figure_of_both_templates_is_counted_by_hand_from_the_fixture() {
    let (tmp, data) = imported();
    let fami_t = template("fami-trimestrale");
    let month_t = template("monitoraggio-mensile");
    let fami = render(
        &data,
        &tmp.path().join("fami"),
        &[
            "--template",
            path(&fami_t),
            "--quarter",
            "2024-Q2",
            "--exact",
        ],
    );
    let month = render(
        &data,
        &tmp.path().join("mese"),
        &[
            "--template",
            path(&month_t),
            "--period",
            "2024-05",
            "--exact",
        ],
    );
    for files in [&fami, &month] {
        // 19 served: 17 third-country nationals, the Italian of line 147, the dual EU citizen
        // of line 144 (no citizen of another EU state only).
        assert_eq!(
            exact(files, "ammissibilita"),
            table(&[
                &["third_country", "17"],
                &["italian", "1"],
                &["dual_eu", "1"],
                &["total", "19"],
            ])
        );
        // New and returning: all 17 beneficiaries registered in May.
        assert_eq!(
            exact(files, "destinatari_nuovi_gia_in_carico"),
            table(&[&["new", "17"], &["total", "17"]])
        );
        // Group activities: line 75 (information session, 90 min, 16 + 3), line 112 (community
        // activation, 120 min, 9 + 11).
        assert_eq!(
            exact(files, "attivita_di_gruppo"),
            table(&[
                &["community_activation", "1", "9", "11", "2"],
                &["information_session", "1", "16", "3", "1.5"],
                &["total", "2", "25", "14", "3.5"],
            ])
        );
        // Information material: line 63 (30 guides in Chinese, desk), line 76 (40 leaflets in
        // Ukrainian at a group activity).
        assert_eq!(
            exact(files, "materiale_informativo"),
            table(&[
                &["Guida all'iscrizione anagrafica", "zh", "desk", "1", "30"],
                &[
                    "Opuscolo protezione temporanea",
                    "uk",
                    "group_activity",
                    "1",
                    "40"
                ],
                &["total", "", "", "2", "70"],
            ])
        );
        // Responses: lines 69, 70, 101, 103 name no definition and came before the one of line
        // 134 was in force (31 May): they answer the built-in one; lines 150, 151 (naming none,
        // on 31 May) and 152 answer gradimento-impact version 1. Each against the 19 served.
        assert_eq!(
            exact(files, "gradimento"),
            table(&[
                &["gradimento-sportello/1", "4", "19", "0.2105"],
                &["gradimento-impact/1", "3", "19", "0.1579"],
                &["total", "7", "19", "0.3684"],
            ])
        );
        // Items: welcome 5, 5, 4, 5 (lines 69, 70, 101, 103); clarity 4, 5, 3, 5; usefulness
        // 5, 4, 4, 5; waiting time 3 (70); language 5 (69); overall 4, 5 (101, 103). On the
        // commissioner's scales: accoglienza 4, 4, 3 and informazioni 3, 4, 2 (lines 150 to
        // 152, 1 to 4), raccomandazione 9, 10 (lines 150, 151; 0 to 10).
        assert_eq!(
            exact(files, "gradimento_per_voce"),
            table(&[
                &["gradimento-sportello/1", "welcome", "1-5", "4", "4.75"],
                &["gradimento-sportello/1", "clarity", "1-5", "4", "4.25"],
                &["gradimento-sportello/1", "usefulness", "1-5", "4", "4.5"],
                &["gradimento-sportello/1", "waiting_time", "1-5", "1", "3"],
                &["gradimento-sportello/1", "language", "1-5", "1", "5"],
                &["gradimento-sportello/1", "overall", "1-5", "2", "4.5"],
                &["gradimento-impact/1", "accoglienza", "1-4", "3", "3.6667"],
                &["gradimento-impact/1", "informazioni", "1-4", "3", "3"],
                &["gradimento-impact/1", "raccomandazione", "0-10", "2", "9.5"],
            ])
        );
    }

    // Contacts: 21 intakes (lines 10, 15, 19, 25, 30, 35, 44, 48, 59, 73, 82, 87, 96, 117, 118,
    // 121, 137, 140, 143, 146, 149) of 19 persons (82 is line 8's person again, 121 line 71's),
    // no hours; orientation: lines 11 (35 min), 67 (30), 126 (120) = 185 min; integrated case
    // support: line 41 (45); parental support: lines 31 (50) and 81 (60) of line 28's person,
    // 119 (40) = 150 min, 2 persons; legal advice: lines 16 (40), 49 (55), 74 (45) = 140 min;
    // mediation: sessions 53 (50 min, line 8's person), 56 (40, nobody named), 124 (45, line
    // 71's person) = 135 min, 2 persons. In all 34 contacts, 19 persons, 655 minutes.
    assert_eq!(
        exact(&fami, "ore_per_attivita"),
        table(&[
            &["intake", "21", "19", "0"],
            &["orientation_accompaniment", "3", "3", "3.0833"],
            &["integrated_case_support", "1", "1", "0.75"],
            &["parental_support", "3", "2", "2.5"],
            &["legal_advice", "3", "3", "2.3333"],
            &["mediation", "3", "2", "2.25"],
            &["total", "34", "19", "10.9167"],
        ])
    );
    // The same at the one site.
    assert_eq!(
        exact(&month, "contatti_per_attivita_e_sede"),
        table(&[
            &["intake", "montelucci-4", "21", "19", "0"],
            &[
                "orientation_accompaniment",
                "montelucci-4",
                "3",
                "3",
                "3.0833"
            ],
            &["integrated_case_support", "montelucci-4", "1", "1", "0.75"],
            &["parental_support", "montelucci-4", "3", "2", "2.5"],
            &["legal_advice", "montelucci-4", "3", "3", "2.3333"],
            &["mediation", "montelucci-4", "3", "2", "2.25"],
            &["total", "", "34", "19", "10.9167"],
        ])
    );
    // Sex, the fund's age band (age in 2024), first citizenship: women 18-34 of AF (line 135,
    // born 1990), BD (85, 1999), CN (42, 1990), ER (57, 1997), PK (28, 1992); women 35-54 of MA
    // (71, 1987), PE (46, 1983), TN (113, 1986), UA (8, 1988; 23, 1979); boys of AF (141, 2011),
    // EG (33, 2008), TN (115, 2012); men 18-34 of EG (13, 1994); 35-54 of AF (138, 1986), BD
    // (17, 1985); 55+ of SN (94, 1949).
    assert_eq!(
        exact(&fami, "destinatari_sesso_eta_cittadinanza"),
        table(&[
            &["female", "18-34", "AF", "1"],
            &["female", "18-34", "BD", "1"],
            &["female", "18-34", "CN", "1"],
            &["female", "18-34", "ER", "1"],
            &["female", "18-34", "PK", "1"],
            &["female", "35-54", "MA", "1"],
            &["female", "35-54", "PE", "1"],
            &["female", "35-54", "TN", "1"],
            &["female", "35-54", "UA", "2"],
            &["male", "0-17", "AF", "1"],
            &["male", "0-17", "EG", "1"],
            &["male", "0-17", "TN", "1"],
            &["male", "18-34", "EG", "1"],
            &["male", "35-54", "AF", "1"],
            &["male", "35-54", "BD", "1"],
            &["male", "55+", "SN", "1"],
            &["total", "", "", "17"],
        ])
    );
    // Permit and vulnerability (assessed on lines 26, 36, 97; none for everyone else): work
    // 13, 42; family 17, 28, 71, 113, 115, and 94 elderly; study 85; refugee 57 and the family
    // of Afghanistan (135, 138, 141); minor age 33, minor and unaccompanied (one person in two
    // categories); temporary protection 8, and 23 with a serious illness; long-term EU 46.
    assert_eq!(
        exact(&fami, "destinatari_permesso_vulnerabilita"),
        table(&[
            &["work", "none", "2"],
            &["family", "elderly", "1"],
            &["family", "none", "5"],
            &["study", "none", "1"],
            &["refugee", "none", "4"],
            &["minor_age", "minor", "1"],
            &["minor_age", "unaccompanied_minor", "1"],
            &["temporary_protection", "serious_or_mental_illness", "1"],
            &["temporary_protection", "none", "1"],
            &["long_term_eu", "none", "1"],
            &["total", "", "17"],
        ])
    );
    // From the project's start (2024-01-01): the same 17, 10 women and 7 men.
    assert_eq!(
        exact(&fami, "destinatari_cumulati"),
        table(&[&["female", "10"], &["male", "7"], &["total", "17"]])
    );
    assert_eq!(exact(&month, "destinatari_cumulati"), table(&[&["17"]]));
    // The scheda's own bands: women 25-34 are lines 28, 42, 57, 85, 135; 35-44 lines 8, 46,
    // 71, 113; 45-54 line 23; boys 33, 115, 141; men 25-34 line 13; 35-44 lines 17, 138; 65+
    // line 94.
    assert_eq!(
        exact(&month, "destinatari_per_sesso_e_eta"),
        table(&[
            &["female", "25-34", "5"],
            &["female", "35-44", "4"],
            &["female", "45-54", "1"],
            &["male", "0-17", "3"],
            &["male", "25-34", "1"],
            &["male", "35-44", "2"],
            &["male", "65+", "1"],
            &["total", "", "17"],
        ])
    );
    // Citizenship (the first one given): the cell of three of Afghanistan (135, 138, 141);
    // BD 17, 85; CN 42; EG 13, 33; ER 57; MA 71; PE 46; PK 28; SN 94; TN 113, 115; UA 8, 23.
    assert_eq!(
        exact(&month, "destinatari_per_cittadinanza"),
        table(&[
            &["AF", "3"],
            &["BD", "2"],
            &["CN", "1"],
            &["EG", "2"],
            &["ER", "1"],
            &["MA", "1"],
            &["PE", "1"],
            &["PK", "1"],
            &["SN", "1"],
            &["TN", "2"],
            &["UA", "2"],
            &["total", "17"],
        ])
    );
}

/// Outside the desk the cell of three (lines 135, 138, 141) and the persons counted apart
/// (lines 144, 147) are suppressed; the totals stay.
#[test]
fn the_cell_of_three_and_the_persons_counted_apart_are_suppressed_outside_the_desk() {
    let (tmp, data) = imported();
    let t = template("monitoraggio-mensile");
    let month = render(
        &data,
        &tmp.path().join("mese"),
        &["--template", path(&t), "--period", "2024-05"],
    );
    let c = coded(&rows(&month["destinatari_per_cittadinanza.csv"]));
    assert_eq!(c[1], ["AF", "*"]);
    assert_eq!(c[c.len() - 1], ["total", "17"]);
    let e = coded(&rows(&month["ammissibilita.csv"]));
    assert_eq!(e[2..4], [["italian", "*"], ["dual_eu", "*"]]);
}
