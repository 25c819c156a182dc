//! `impact report` and `impact directory` on the demo month (`fixtures/montelucci-2024-05.jsonl`),
//! run as the real binary on a data directory filled by `impact import`.
//!
//! Every expected figure is counted by hand from the fixture; the comments say how (line numbers
//! are the fixture's). All its events happen at site `montelucci-4` in May 2024, between 07:00
//! and 16:00 UTC, so local and UTC dates agree. The exact figures come with `--exact` (inside
//! the desk only); by default small cells are suppressed (`*`, threshold 5; docs/adr/0013) and
//! the FAMI sheet is k-anonymous.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{fixture, impact, FIXTURE_EVENTS};

/// A temporary data directory with the fixture imported.
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

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("output is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A parsed CSV table: the header and the rows.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn parse(bytes: &[u8]) -> Table {
        let mut reader = csv::Reader::from_reader(bytes);
        let header = reader
            .headers()
            .expect("a header row")
            .iter()
            .map(String::from)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.expect("a CSV record").iter().map(String::from).collect())
            .collect();
        Table { header, rows }
    }

    /// The row whose first `key.len()` cells are `key`, as the remaining cells.
    fn get(&self, key: &[&str]) -> Vec<&str> {
        let row = self
            .rows
            .iter()
            .find(|r| r.iter().zip(key).all(|(a, b)| a == b))
            .unwrap_or_else(|| panic!("no row {key:?} in {:?}", self.rows));
        row[key.len()..].iter().map(String::as_str).collect()
    }

    /// First cell → second cell, for two-column tables.
    fn pairs(&self) -> BTreeMap<&str, &str> {
        self.rows
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str()))
            .collect()
    }
}

/// The FAMI sheet: its first line (`# ` and what was done to the rows), then the table.
fn sheet(bytes: &[u8]) -> (String, Table) {
    let text = std::str::from_utf8(bytes).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    let statement = first
        .strip_prefix("# ")
        .expect("a first line saying what was done");
    (statement.to_string(), Table::parse(rest.as_bytes()))
}

/// The tables printed on stdout, each after a `# name` line.
fn split_tables(text: &str) -> BTreeMap<String, Table> {
    let mut tables = BTreeMap::new();
    for chunk in text.split("# ").filter(|c| !c.is_empty()) {
        let (name, body) = chunk.split_once('\n').unwrap();
        tables.insert(name.to_string(), Table::parse(body.as_bytes()));
    }
    tables
}

const TABLES: [(&str, &[&str]); 20] = [
    ("summary", &["figure", "value"]),
    (
        "contacts",
        &["activity", "site", "contacts", "distinct_persons"],
    ),
    (
        "group_activities",
        &[
            "kind",
            "activities",
            "attendees_third_country",
            "attendees_other",
            "minutes",
        ],
    ),
    (
        "beneficiaries_by_citizenship",
        &["citizenship", "beneficiaries"],
    ),
    ("beneficiaries_by_sex", &["sex", "beneficiaries"]),
    ("beneficiaries_by_age_band", &["age_band", "beneficiaries"]),
    (
        "beneficiaries_by_permit_type",
        &["permit_type", "beneficiaries"],
    ),
    (
        "beneficiaries_by_vulnerability",
        &["vulnerability", "beneficiaries"],
    ),
    ("beneficiaries_new_returning", &["status", "beneficiaries"]),
    (
        "mediation_by_language",
        &["language", "requests", "sessions", "minutes", "hours"],
    ),
    (
        "mediation_by_mode",
        &["mode", "requests", "sessions", "minutes", "hours"],
    ),
    (
        "mediation_by_requesting_service",
        &[
            "service_id",
            "service_name",
            "requests",
            "sessions",
            "minutes",
            "hours",
        ],
    ),
    (
        "referral_funnel",
        &[
            "service_id",
            "service_name",
            "issued",
            "accepted",
            "concluded",
            "service_received",
            "median_days_to_first_outcome",
            "median_days_to_conclusion",
        ],
    ),
    (
        "access_times",
        &["measure", "requests", "served", "median_days"],
    ),
    ("open_caseload", &["operator", "open_cases"]),
    ("closure_reasons", &["reason", "cases"]),
    ("satisfaction", &["item", "answers", "mean", "share_4_or_5"]),
    ("supervision", &["month", "meetings", "has_meeting"]),
    (
        "logbook",
        &[
            "site",
            "opening_days",
            "entries",
            "missing_days",
            "missing_dates",
        ],
    ),
    (
        "temporary_protection",
        &[
            "beneficiaries",
            "registered",
            "services_with_capacity",
            "reception_places",
            "services_with_health",
            "services_with_school_access",
        ],
    ),
];

const ASL: &str = "01HWVYS2P08YEB52DDD3BHMNM3";
const CPIA: &str = "01HWVZ27N0XZH97TDVBXAM0YN4";
const CPI: &str = "01HWVZBCM0HV1B3ZG8XAZS3VZZ";
const ANAGRAFE: &str = "01HWVZMHK0GWRQ1K5ZB8AVCDT6";
const QUESTURA: &str = "01HWVZXPJ0KPYKBBC6768JAYG9";
const CAS: &str = "01HWW06VH0W5C0KDFJGZPDTAH4";

#[test]
fn monthly_csv_tables_match_the_fixture_counted_by_hand() {
    let (tmp, data) = imported();
    let out = impact(&[
        "report",
        "--data",
        path(&data),
        "--period",
        "2024-05",
        "--exact",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = split_tables(&stdout(&out));

    // With --out DIR: one file per table, the same tables.
    let dir = tmp.path().join("tables");
    let out = impact(&[
        "report",
        "--data",
        path(&data),
        "--period",
        "2024-05",
        "--format",
        "csv",
        "--out",
        path(&dir),
        "--exact",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut expected: Vec<String> = TABLES.iter().map(|(n, _)| format!("{n}.csv")).collect();
    expected.sort();
    assert_eq!(files, expected);
    let mut t: BTreeMap<&str, Table> = BTreeMap::new();
    for (name, header) in TABLES {
        let table = Table::parse(&std::fs::read(dir.join(format!("{name}.csv"))).unwrap());
        assert_eq!(table.header, header, "header of {name}");
        let same = &printed[name];
        assert_eq!((&same.header, &same.rows), (&table.header, &table.rows));
        t.insert(name, table);
    }
    assert_eq!(printed.len(), TABLES.len());

    // Contacts. 16 RecordIntake lines, one per registered person (14) and a second call of two
    // returning persons (78, 111). 10 RecordIntervention lines: orientation_accompaniment at 10,
    // 64, 115 (three persons); legal_advice at 15, 48, 71 (three persons); parental_support at
    // 30 and 77 (the same person) and 109; integrated_case_support at 40. 3
    // RecordMediationSession lines (52, 55, 113); the session at 55 is for a request naming no
    // person, so 2 persons. 16 + 10 + 3 = 29 contacts by 14 persons; and the 5 intakes of the
    // evening of 31 May (lines 137, 140, 143, 146, 149), each of a new person: 34 by 19.
    let c = &t["contacts"];
    assert_eq!(c.get(&["intake", "montelucci-4"]), ["21", "19"]);
    assert_eq!(
        c.get(&["orientation_accompaniment", "montelucci-4"]),
        ["3", "3"]
    );
    assert_eq!(c.get(&["legal_advice", "montelucci-4"]), ["3", "3"]);
    assert_eq!(c.get(&["parental_support", "montelucci-4"]), ["3", "2"]);
    assert_eq!(c.get(&["integrated_case_support", "all"]), ["1", "1"]);
    assert_eq!(c.get(&["mediation", "montelucci-4"]), ["3", "2"]);
    assert_eq!(c.get(&["all", "all"]), ["34", "19"]);
    // Two RecordGroupActivity lines: 72 (information session, 16 + 3, 90 min), 96 (community
    // activation, 9 + 11, 120 min).
    let g = &t["group_activities"];
    assert_eq!(g.get(&["information_session"]), ["1", "16", "3", "90"]);
    assert_eq!(g.get(&["community_activation"]), ["1", "9", "11", "120"]);

    // Beneficiaries: the 19 RegisterPerson lines, all of them registered in May (so all new);
    // this report counts every person served, the Italian (147) and the dual EU citizen (144)
    // among them. Sex: female at 7, 22, 27, 41, 45, 56, 68, 80, 103, 135, 144; male at 12, 16,
    // 32, 88, 105, 138, 141, 147.
    assert_eq!(
        t["beneficiaries_by_sex"].pairs(),
        BTreeMap::from([("female", "11"), ("male", "8")])
    );
    assert_eq!(
        t["beneficiaries_by_citizenship"].pairs(),
        BTreeMap::from([
            ("AF", "3"),
            ("BD", "2"),
            ("CN", "1"),
            ("EG", "2"),
            ("ER", "1"),
            ("IT", "1"),
            ("MA", "1"),
            ("MD", "1"),
            ("PE", "1"),
            ("PK", "1"),
            ("SN", "1"),
            ("TN", "2"),
            ("UA", "2"),
        ])
    );
    // Age in 2024 from the birth years 1988, 1994, 1985, 1979, 1992, 2008, 1990, 1983, 1997,
    // 1987, 1999, 1949, 1986, 2012: 36, 30, 39, 45, 32, 16, 34, 41, 27, 37, 25, 75, 38, 12;
    // then 1990, 1986, 2011, 1982, 1984: 34, 38, 13, 42, 40.
    assert_eq!(
        t["beneficiaries_by_age_band"].pairs(),
        BTreeMap::from([
            ("0-17", "3"),
            ("25-34", "6"),
            ("35-44", "8"),
            ("45-54", "1"),
            ("65+", "1")
        ])
    );
    assert_eq!(
        t["beneficiaries_by_permit_type"].pairs(),
        BTreeMap::from([
            // Nadia's family permit, renewed on 30 May (it was pending at registration).
            ("family", "6"),
            ("long_term_eu", "1"),
            ("minor_age", "1"),
            ("none", "2"),
            ("refugee", "4"),
            ("study", "1"),
            ("temporary_protection", "2"),
            ("work", "2"),
        ])
    );
    // Three AssessVulnerability lines: 25 (serious_or_mental_illness), 35 (minor and
    // unaccompanied_minor), 91 (elderly); the other 16 never assessed.
    assert_eq!(
        t["beneficiaries_by_vulnerability"].pairs(),
        BTreeMap::from([
            ("elderly", "1"),
            ("minor", "1"),
            ("none", "16"),
            ("serious_or_mental_illness", "1"),
            ("unaccompanied_minor", "1"),
        ])
    );
    assert_eq!(
        t["beneficiaries_new_returning"].pairs(),
        BTreeMap::from([("new", "19"), ("returning", "0")])
    );

    // Mediation. RequestMediation lines: 31 (scheduled, ASL, uk), 50 (scheduled, CPIA, ar;
    // cancelled at 63), 54 (on call, Questura, ti), 98 (on call, the desk, ar). Sessions: 52
    // (uk, 09:05-09:55, 50 min), 55 (ti, 11:00-11:40, 40 min), 99 (ar, 09:20-10:05, 45 min).
    let m = &t["mediation_by_language"];
    assert_eq!(m.get(&["ar"]), ["2", "1", "45", "0.75"]);
    assert_eq!(m.get(&["ti"]), ["1", "1", "40", "0.6667"]);
    assert_eq!(m.get(&["uk"]), ["1", "1", "50", "0.8333"]);
    let m = &t["mediation_by_mode"];
    assert_eq!(m.get(&["on_call"]), ["2", "2", "85", "1.4167"]);
    assert_eq!(m.get(&["scheduled"]), ["2", "1", "50", "0.8333"]);
    let m = &t["mediation_by_requesting_service"];
    assert_eq!(m.get(&["", "desk"]), ["1", "1", "45", "0.75"]);
    assert_eq!(
        m.get(&[CPIA]),
        [
            "CPIA - punto di erogazione di Guidonia, corsi di italiano L2",
            "1",
            "0",
            "0",
            "0"
        ]
    );
    assert_eq!(m.get(&[QUESTURA])[1..], ["1", "1", "40", "0.6667"]);
    assert_eq!(m.get(&[ASL])[1..], ["1", "1", "50", "0.8333"]);

    // Referral funnel: IssueReferral lines per service: ASL 11, 93; CPI 19, 39, 65; CPIA 36, 83;
    // Anagrafe 44; Commissariato 59 (9 in all). Outcomes (RecordReferralOutcome), days from issue:
    // - ASL (issued 2 May): appointment 7 May (5), service received 14 May (12).
    // - CPI: 19 (2 May) accepted 9 May (7); 39 (9 May) appointment 21 May (12), received 28 May
    //   (19); 65 (16 May) no-show 23 May (7), neither accepted nor final. First outcomes 7, 12,
    //   7: median 7.
    // - CPIA: 36 (7 May) accepted 21 May (14); 83 (21 May) accepted 28 May (7): median 10.5.
    // - Anagrafe (9 May): appointment 14 May (5), received 21 May (12).
    // - Questura (14 May): appointment 23 May (9).
    let f = &t["referral_funnel"];
    // ASL again: Amadou's referral (93, 23 May), issued with no outcome yet.
    assert_eq!(f.get(&[ASL])[1..], ["2", "1", "1", "1", "5", "12"]);
    assert_eq!(
        f.get(&[CPI]),
        [
            "Centro per l'impiego di Tivoli",
            "3",
            "2",
            "1",
            "1",
            "7",
            "19"
        ]
    );
    assert_eq!(f.get(&[CPIA])[1..], ["2", "2", "0", "0", "10.5", ""]);
    assert_eq!(f.get(&[ANAGRAFE])[1..], ["1", "1", "1", "1", "5", "12"]);
    assert_eq!(f.get(&[QUESTURA])[1..], ["1", "1", "0", "0", "9", ""]);
    assert_eq!(f.rows.len(), 5);

    // Request to first contact: of the 11 intakes, 7 persons had an intervention after it
    // (lines 10, 15, 30, 40, 48, 71, 100), after 0, 0, 0, 2, 0, 0, 16 days: median 0. Of the 4
    // mediation requests, 3 had a session, after 7 (uk), 0 (ti) and 0 (ar) days: median 0.
    let a = &t["access_times"];
    // Of the 21 intakes, 8 were followed by an intervention (Fatma's at 109 the same day).
    assert_eq!(a.get(&["intake_to_intervention"]), ["21", "8", "0"]);
    assert_eq!(a.get(&["mediation_request_to_session"]), ["4", "3", "0"]);

    // One OpenCase (26), closed at 93 (goals_achieved): nothing open at the end of May.
    assert!(t["open_caseload"].rows.is_empty());
    assert_eq!(
        t["closure_reasons"].pairs(),
        BTreeMap::from([("goals_achieved", "1")])
    );

    // Four RecordSurveyResponse lines (66, 67, 89, 90) answer the built-in questionnaire, all
    // helpful. welcome 5, 5, 4, 5; clarity 4, 5, 3, 5; usefulness 5, 4, 4, 5; waiting_time 3;
    // language 5; overall 4, 5. (Lines 150-152 answer another definition, on its own scales:
    // the templates' gradimento_per_voce.)
    let s = &t["satisfaction"];
    assert_eq!(s.get(&["welcome"]), ["4", "4.75", "1"]);
    assert_eq!(s.get(&["clarity"]), ["4", "4.25", "0.75"]);
    assert_eq!(s.get(&["usefulness"]), ["4", "4.5", "1"]);
    assert_eq!(s.get(&["waiting_time"]), ["1", "3", "0"]);
    assert_eq!(s.get(&["language"]), ["1", "5", "1"]);
    assert_eq!(s.get(&["overall"]), ["2", "4.5", "1"]);

    // Compliance: one RecordSupervisionMeeting (85, 22 May). May 2024's Tuesdays (7, 14, 21,
    // 28) and Thursdays (2, 9, 16, 23, 30) are the 9 opening days; the 9 WriteLogbookEntry
    // lines are dated exactly those days.
    assert_eq!(t["supervision"].get(&["2024-05"]), ["1", "true"]);
    assert_eq!(t["logbook"].get(&["montelucci-4"]), ["9", "9", "0", ""]);

    // Temporary protection: persons 7 and 22 hold it, both came in May. Capacity: ASL (0
    // places, health), CPIA (school access, retired by the RetireService line), CAS (18 places, updated to 12 at
    // 86): 2 services in use, 12 places, 1 with health, none with school access.
    assert_eq!(
        t["temporary_protection"].rows,
        [["2", "2", "2", "12", "1", "0"]]
    );

    // The first field says the figures are exact, for inside the desk only.
    assert_eq!(
        t["summary"].rows[0],
        [
            "small_cell_threshold",
            "none: exact figures, for use inside the desk only"
        ]
    );
    let summary = t["summary"].pairs();
    assert_eq!(summary["suppressed"], "0");
    assert_eq!(summary["contacts"], "34");
    assert_eq!(summary["beneficiaries"], "19");
    assert_eq!(summary["mediation_hours"], "2.25"); // 50 + 40 + 45 = 135 minutes
    assert_eq!(summary["survey_response_rate"], "0.3684"); // 7 surveys / 19 beneficiaries
    assert_eq!(summary["as_of_position"], FIXTURE_EVENTS.to_string()); // one event a line
    assert_eq!(summary["every_opening_day_has_logbook_entry"], "true");
}

/// The rows of a two-column table whose figure is the mark.
fn suppressed_keys(t: &Table) -> Vec<&str> {
    t.rows
        .iter()
        .filter(|r| r[1] == "*")
        .map(|r| r[0].as_str())
        .collect()
}

#[test]
fn monthly_tables_suppress_small_cells_by_default() {
    // The figures of the test above (counted there from the fixture's lines), under the
    // default threshold of 5: a row of 1 to 4 people is written `*` in every figure, and a
    // line with exactly one such row loses its smallest other row too.
    let (_tmp, data) = imported();
    let out = impact(&["report", "--data", path(&data), "--period", "2024-05"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("threshold 5"), "{}", stderr(&out));
    let text = stdout(&out);
    let t = split_tables(&text);

    // The output says first how small cells were treated, and how many rows and figures.
    assert!(text.starts_with("# summary\nfigure,value\nsmall_cell_threshold,5\n"));
    let summary = t["summary"].pairs();
    assert!(summary["small_cells"].starts_with("threshold 5: * = fewer than 5 persons"));
    // 10 contact rows, 13 + 3 + 7 + 4 beneficiary rows, 3 mediation totals and 3 + 2 + 4 + 3
    // mediation rows, 5 referral rows, 2 access rows, 1 closure reason, 2 temporary protection
    // figures: 62.
    assert_eq!(summary["suppressed"], "62");
    // 19 beneficiaries and their 34 contacts are published; mediation (4 requests of lines 31,
    // 50, 54, 98; 1 cancelled at 63; 3 sessions at 52, 55, 99) is under the threshold.
    assert_eq!(summary["contacts"], "34");
    assert_eq!(summary["beneficiaries"], "19");
    for figure in [
        "mediation_requests",
        "mediation_requests_cancelled",
        "mediation_sessions",
        "mediation_minutes",
        "mediation_hours",
    ] {
        assert_eq!(summary[figure], "*", "{figure}");
    }
    // Nothing open at the end of May: 0 is no small cell. The rate (7 anonymous surveys / 19)
    // stays, the total being published.
    assert_eq!(summary["open_cases"], "0");
    assert_eq!(summary["survey_response_rate"], "0.3684");

    // Contacts: only the intakes (21 by 19 persons) reach 5 persons; orientation (3), legal
    // advice (3), parental support (2), integrated case support (1) and mediation (2) are
    // suppressed at the site and over all sites. Five suppressed in each line: no secondary.
    let c = &t["contacts"];
    assert_eq!(c.get(&["intake", "montelucci-4"]), ["21", "19"]);
    assert_eq!(c.get(&["intake", "all"]), ["21", "19"]);
    for activity in [
        "orientation_accompaniment",
        "legal_advice",
        "parental_support",
        "integrated_case_support",
        "mediation",
    ] {
        assert_eq!(c.get(&[activity, "montelucci-4"]), ["*", "*"], "{activity}");
        assert_eq!(c.get(&[activity, "all"]), ["*", "*"], "{activity}");
    }
    assert_eq!(c.get(&["all", "all"]), ["34", "19"]);
    // Group activities count attendees, never persons: as they are.
    assert_eq!(
        t["group_activities"].get(&["information_session"]),
        ["1", "16", "3", "90"]
    );

    // Citizenship: no country has 5 persons (AF 3 at 135, 138, 141; the others 1 or 2).
    let by_citizenship = &t["beneficiaries_by_citizenship"];
    assert_eq!(suppressed_keys(by_citizenship).len(), 13);
    assert_eq!(by_citizenship.rows.len(), 13);
    // Sex: 11 women and 8 men, both published.
    assert_eq!(
        t["beneficiaries_by_sex"].pairs(),
        BTreeMap::from([("female", "11"), ("male", "8")])
    );
    // Age: 0-17 (3: lines 33, 115, 141), 45-54 (1: 23) and 65+ (1: 94) suppressed; three in
    // the line, so 25-34 (6) and 35-44 (8) stay.
    assert_eq!(
        t["beneficiaries_by_age_band"].pairs(),
        BTreeMap::from([
            ("0-17", "*"),
            ("25-34", "6"),
            ("35-44", "8"),
            ("45-54", "*"),
            ("65+", "*")
        ])
    );
    // Permit: only family (6) reaches 5.
    let permit = t["beneficiaries_by_permit_type"].pairs();
    assert_eq!(permit["family"], "6");
    assert_eq!(permit.values().filter(|v| **v == "*").count(), 7);
    // Vulnerability: the four categories of one person each (25, 35 twice, 91) suppressed;
    // `none` (16) stays.
    let vulnerability = &t["beneficiaries_by_vulnerability"];
    assert_eq!(vulnerability.pairs()["none"], "16");
    assert_eq!(suppressed_keys(vulnerability).len(), 4);
    assert_eq!(
        t["beneficiaries_new_returning"].pairs(),
        BTreeMap::from([("new", "19"), ("returning", "0")])
    );

    // Mediation: every row under 5 requests or sessions, in every breakdown.
    for name in [
        "mediation_by_language",
        "mediation_by_mode",
        "mediation_by_requesting_service",
    ] {
        assert!(
            t[name].rows.iter().all(|r| r[r.len() - 4..] == ["*"; 4]),
            "{name}: {:?}",
            t[name].rows
        );
    }
    // Referrals: 9 to five services, none with 5 (ASL 2, CPI 3, CPIA 2, Anagrafe 1, Questura 1).
    let f = &t["referral_funnel"];
    assert_eq!(f.rows.len(), 5);
    assert!(f.rows.iter().all(|r| r[2..] == ["*"; 6]), "{:?}", f.rows);
    assert_eq!(f.get(&[CPI])[0], "Centro per l'impiego di Tivoli");
    // Access: 21 intakes, 8 followed by an intervention: published; 4 mediation requests, not.
    let a = &t["access_times"];
    assert_eq!(a.get(&["intake_to_intervention"]), ["21", "8", "0"]);
    assert_eq!(a.get(&["mediation_request_to_session"]), ["*", "*", "*"]);
    // One case closed (93): suppressed.
    assert_eq!(
        t["closure_reasons"].pairs(),
        BTreeMap::from([("goals_achieved", "*")])
    );
    // Anonymous surveys, supervision and the logbook count no person: as they are.
    assert_eq!(t["satisfaction"].get(&["welcome"]), ["4", "4.75", "1"]);
    assert_eq!(t["logbook"].get(&["montelucci-4"]), ["9", "9", "0", ""]);
    // Temporary protection: 2 persons (8, 23); the directory's capacity is no person.
    assert_eq!(
        t["temporary_protection"].rows,
        [["*", "*", "2", "12", "1", "0"]]
    );

    // JSON: the first field says the same; a suppressed figure is null, never 0.
    let out = impact(&[
        "report",
        "--data",
        path(&data),
        "--period",
        "2024-05",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("{\n  \"smallCells\": \"threshold 5:"),
        "{}",
        &text[..80]
    );
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["minCell"], 5);
    assert_eq!(r["suppressed"], 62);
    assert_eq!(r["beneficiaries"]["total"], 19);
    assert_eq!(r["mediation"]["sessions"], serde_json::Value::Null);
    let key = |list: &str, key: &str| -> serde_json::Value {
        r["beneficiaries"][list]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .unwrap()
            .clone()
    };
    let male = key("bySex", "male");
    assert_eq!(
        (&male["count"], &male["suppressed"]),
        (&8.into(), &false.into())
    );
    let elderly = key("byVulnerability", "elderly");
    assert_eq!(
        (&elderly["count"], &elderly["suppressed"]),
        (&serde_json::Value::Null, &true.into())
    );
}

#[test]
fn monthly_json_is_one_object_with_every_figure() {
    let (tmp, data) = imported();
    let file = tmp.path().join("may.json");
    let out = impact(&[
        "report",
        "--data",
        path(&data),
        "--period",
        "2024-05",
        "--format",
        "json",
        "--site",
        "montelucci-4",
        "--out",
        path(&file),
        "--exact",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(r["period"]["from"], "2024-05-01");
    assert_eq!(r["site"], "montelucci-4");
    assert_eq!(r["totalContacts"], 34);
    assert_eq!(r["beneficiaries"]["total"], 19);
    assert_eq!(r["mediation"]["minutes"], 135);
    assert_eq!(r["referralFunnel"].as_array().unwrap().len(), 5);
    assert_eq!(r["compliance"]["logbook"][0]["openingDays"], 9);
    assert_eq!(r["temporaryProtection"]["receptionPlaces"], 12);

    // A site with nothing recorded: zeros, not an error.
    let out = impact(&[
        "report",
        "--data",
        path(&data),
        "--period",
        "2024-05",
        "--format",
        "json",
        "--site",
        "centro-2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(r["totalContacts"], 0);
}

#[test]
fn fami_sheet_has_one_pseudonymous_row_per_beneficiary() {
    let (tmp, data) = imported();
    let file = tmp.path().join("fami.csv");
    let out = impact(&[
        "report",
        "--data",
        path(&data),
        "--quarter",
        "2024-Q2",
        "--fami",
        "--out",
        path(&file),
        "--exact",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(&file).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let (statement, sheet) = self::sheet(&bytes);
    assert_eq!(
        statement,
        "exact rows, no k-anonymity: for use inside the desk only; never send them out"
    );
    assert_eq!(
        sheet.header,
        [
            "pseudonym",
            "citizenship",
            "sex",
            "age_band",
            "permit_type",
            "vulnerability",
            "services_received",
            "first_contact_date",
        ]
    );
    // The 19 persons of the fixture each had an intake in May, so 19 rows in Q2, each under a
    // distinct 12-hex-digit pseudonym.
    let registered = std::fs::read_to_string(fixture())
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"command\":\"RegisterPerson\""))
        .count();
    assert_eq!(registered, 19);
    assert_eq!(sheet.rows.len(), registered);
    let pseudonyms: std::collections::BTreeSet<&str> =
        sheet.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(pseudonyms.len(), registered);
    assert!(pseudonyms
        .iter()
        .all(|p| p.len() == 12 && p.bytes().all(|b| b.is_ascii_hexdigit())));

    // The canary (line 7) and every other name, phone and id of the fixture stay out.
    let fixture = std::fs::read_to_string(fixture()).unwrap();
    for canary in ["Zorbeta", "Quillfeather", "+39 300 000 0101", "300 000"] {
        assert!(!text.contains(canary), "{canary} leaked");
    }
    for line in fixture.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let cmd = &v["command"];
        if let Some(name) = cmd["personal"]["fullName"].as_str() {
            assert!(!text.contains(name), "{name} leaked");
            // (Pseudonyms are hex and may hold any digits: look at the other cells.)
            let birth_year = cmd["birthYear"].as_i64().unwrap().to_string();
            assert!(
                sheet
                    .rows
                    .iter()
                    .all(|r| r[1..].iter().all(|c| !c.contains(&birth_year))),
                "a birth year leaked"
            );
            let id = cmd["personId"].as_str().unwrap();
            assert!(!text.contains(id), "a person id leaked");
        }
    }

    // Her row: UA, female, born 1988 (36: 35-44), temporary protection, not assessed; intake
    // (9), orientation (10) and the mediation session (52) of the request naming her (31);
    // first contact 2 May.
    let zorbeta = sheet
        .rows
        .iter()
        .find(|r| r[1] == "UA" && r[7] == "2024-05-02")
        .expect("her row");
    assert_eq!(
        zorbeta[2..7],
        [
            "female",
            "35-44",
            "temporary_protection",
            "",
            "intake;orientation_accompaniment;mediation"
        ]
    );
    // The minor of line 32: minor and unaccompanied minor (35), intake only.
    let minor = sheet.rows.iter().find(|r| r[3] == "0-17").unwrap();
    assert_eq!(minor[5], "minor;unaccompanied_minor");
    assert_eq!(minor[6], "intake");

    // The first quarter has nobody.
    let out = impact(&[
        "report",
        "--data",
        path(&data),
        "--quarter",
        "2024-Q1",
        "--fami",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(self::sheet(&out.stdout).1.rows.len(), 0);
}

#[test]
fn fami_sheet_is_k_anonymous_outside_the_desk() {
    // The 19 beneficiaries of Q2 (registered at lines 8 to 147), by citizenship, sex, age band
    // (2024) and permit type: no two share all four. Read with the citizenship as its area,
    // only the Moroccan woman of 37 (71, family since the update at 125) and the Tunisian of
    // 38 (113, family) share one: africa, female, 35-44, family. The Afghan family of three
    // (135, 138, 141: a woman of 34, a man of 38, a boy of 13, refugees) are each alone even
    // as asia.
    let (tmp, data) = imported();
    let file = tmp.path().join("fami.csv");
    let fami = |extra: &[&str]| {
        let mut args = vec![
            "report",
            "--data",
            path(&data),
            "--quarter",
            "2024-Q2",
            "--fami",
            "--out",
            path(&file),
        ];
        args.extend_from_slice(extra);
        let out = impact(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let bytes = std::fs::read(&file).unwrap();
        (stderr(&out), sheet(&bytes))
    };

    // k = 5 by default: no combination has five rows, even generalised: every row held back,
    // and the sheet says so first.
    let (said, (statement, rows)) = fami(&[]);
    assert_eq!(
        statement,
        "k-anonymous with k = 5 on citizenship, sex, age band and permit type: 0 rows generalised (citizenship as its area), 19 rows held back"
    );
    assert!(said.contains("19 rows held back"), "{said}");
    assert_eq!(rows.header.len(), 8);
    assert!(rows.rows.is_empty());

    // k = 2: the two women of Africa shown, their citizenship as its area; the rest held back,
    // the Afghan family among them.
    let (_, (statement, rows)) = fami(&["--min-cell", "2"]);
    assert_eq!(
        statement,
        "k-anonymous with k = 2 on citizenship, sex, age band and permit type: 2 rows generalised (citizenship as its area), 17 rows held back"
    );
    assert_eq!(rows.rows.len(), 2);
    for row in &rows.rows {
        assert_eq!(row[1..5], ["africa", "female", "35-44", "family"]);
    }
    assert!(rows.rows.iter().all(|r| r[1] != "AF" && r[1] != "asia"));
}

#[test]
fn hsds_directory_has_every_mapped_service() {
    let (tmp, data) = imported();
    let file = tmp.path().join("directory.json");
    let out = impact(&[
        "directory",
        "--data",
        path(&data),
        "--format",
        "hsds",
        "--out",
        path(&file),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    // Six MapService lines (1 to 6); the RetireService line retires the CPIA.
    let services = doc["contents"].as_array().unwrap();
    assert_eq!(services.len(), 6);
    assert_eq!(doc["total_items"], 6);
    let by_id: BTreeMap<&str, &serde_json::Value> = services
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s))
        .collect();
    for id in [ASL, CPIA, CPI, ANAGRAFE, QUESTURA, CAS] {
        let s = by_id[id];
        let status = if id == CPIA { "inactive" } else { "active" };
        assert_eq!(s["status"], status, "{id}");
        assert!(s["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(s["schedules"][0]["description"].is_string());
        assert!(s["languages"].as_array().is_some_and(|l| !l.is_empty()));
    }
    let cas = by_id[CAS];
    assert_eq!(cas["schedules"][0]["description"], "h24");
    assert_eq!(
        cas["service_at_locations"][0]["location"]["addresses"][0]["address_1"],
        "via delle Robinie 8, Villalba di Guidonia"
    );
    // Capacity updated at 86: 12 places.
    let places = cas["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["taxonomy_term"]["code"] == "reception_places")
        .unwrap();
    assert_eq!(places["value"], "12");
    assert_eq!(places["link_type"], "ukraine_crisis_capacity");
    // The CPI was mapped with "ukraineCapacity": null.
    assert_eq!(by_id[CPI]["attributes"], serde_json::json!([]));
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message() {
    let (_tmp, data) = imported();
    let d = path(&data);
    for (args, says) in [
        (
            vec!["report", "--data", d, "--period", "2024-13"],
            "\"2024-13\" is not a month written yyyy-mm",
        ),
        (
            vec!["report", "--data", d, "--quarter", "2024-Q5"],
            "\"2024-Q5\" is not a quarter",
        ),
        (
            vec!["report", "--data", d, "--period", "2024-05", "--fami"],
            "--quarter",
        ),
        (
            vec![
                "report",
                "--data",
                d,
                "--quarter",
                "2024-Q2",
                "--fami",
                "--format",
                "json",
            ],
            "--format",
        ),
        (vec!["report", "--data", d], "--period"),
        (
            vec![
                "report", "--data", d, "--period", "2024-05", "--format", "xml",
            ],
            "xml",
        ),
        (
            vec![
                "report", "--data", d, "--period", "2024-05", "--site", "Via Roma",
            ],
            "is not a site slug",
        ),
        (
            vec![
                "report",
                "--data",
                "/nonexistent/impact",
                "--period",
                "2024-05",
            ],
            "no data directory",
        ),
        (vec!["directory", "--data", d, "--format", "csv"], "csv"),
    ] {
        let out = impact(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(says),
            "{args:?} should say {says:?}: {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
