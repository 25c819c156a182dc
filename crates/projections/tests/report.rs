//! Report templates' small-cell protection (`src/report/render.rs`): primary suppression of a
//! cell of fewer people than the threshold, and secondary suppression so that neither the total
//! nor a difference along a line gives it back.

use projections::{Fact, Lang, RenderOptions, Template, SUPPRESSED};

const TEMPLATE: &str = r#"
format = 1
name = "prova"
version = "1"
title = { it = "Prova" }
span = "month"
project_start = "2024-01-01"

[[tables]]
name = "per_sesso"
title = { it = "Per sesso" }
source = "beneficiaries"
group_by = ["sex"]
total = true
columns = [
  { field = "sex", label = { it = "Sesso" } },
  { field = "persons", label = { it = "Persone" } },
]

[[tables]]
name = "per_sesso_e_eta"
title = { it = "Per sesso e fascia" }
source = "beneficiaries"
group_by = ["sex", "age_band"]
total = true
columns = [
  { field = "sex", label = { it = "Sesso" } },
  { field = "age_band", label = { it = "Fascia" } },
  { field = "persons", label = { it = "Persone" } },
]
"#;

/// `n` distinct persons of that sex and age band.
fn persons(facts: &mut Vec<Fact>, sex: &str, age_band: &str, n: u32) {
    for _ in 0..n {
        facts.push(Fact {
            dims: vec![
                ("sex", sex.to_string()),
                ("age_band", age_band.to_string()),
                ("eligibility", "third_country".to_string()),
            ],
            person: Some(domain::PersonId(ulid::Ulid::from_parts(
                u64::try_from(facts.len()).unwrap(),
                1,
            ))),
            values: Vec::new(),
            labels: Vec::new(),
        });
    }
}

fn options(min_cell: Option<u32>) -> RenderOptions {
    RenderOptions {
        lang: Lang::It,
        min_cell,
    }
}

/// Sex → persons cell, as written.
fn by_first(rows: &[Vec<String>]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| (r[1].clone(), r.last().unwrap().clone()))
        .collect()
}

#[test]
fn one_person_is_not_given_back_by_the_total() {
    let t = Template::parse(TEMPLATE).unwrap();
    let mut facts = Vec::new();
    persons(&mut facts, "female", "25-34", 7);
    persons(&mut facts, "male", "25-34", 6);
    persons(&mut facts, "other", "25-34", 1);
    let spec = &t.tables[0];

    let exact = t.render_table(spec, &facts, options(None));
    assert_eq!(
        by_first(&exact.rows),
        [
            ("female", "7"),
            ("male", "6"),
            ("other", "1"),
            ("total", "14")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(exact.suppressed, 0);

    // The one person is suppressed, and so is the next smallest cell: 14 - 7 leaves 7 for two
    // cells, not the one person.
    let out = t.render_table(spec, &facts, options(Some(5)));
    assert_eq!(
        by_first(&out.rows),
        [
            ("female", "7"),
            ("male", SUPPRESSED),
            ("other", SUPPRESSED),
            ("total", "14")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(out.suppressed, 2);
    assert_eq!(
        out.rows[2][0], "Altro",
        "the region's name, with the code beside"
    );
}

#[test]
fn the_threshold_is_configurable() {
    let t = Template::parse(TEMPLATE).unwrap();
    let mut facts = Vec::new();
    persons(&mut facts, "female", "25-34", 7);
    persons(&mut facts, "male", "25-34", 3);
    persons(&mut facts, "other", "25-34", 3);
    let spec = &t.tables[0];
    // Two cells of 3 under 5: they protect each other; no third cell is needed.
    let five = t.render_table(spec, &facts, options(Some(5)));
    assert_eq!(five.suppressed, 2);
    assert_eq!(five.rows[0].last().unwrap(), "7");
    // Under 3 nothing is small.
    let three = t.render_table(spec, &facts, options(Some(3)));
    assert_eq!(three.suppressed, 0);
}

#[test]
fn every_line_of_a_cross_tab_keeps_two_suppressed_cells_or_none() {
    let t = Template::parse(TEMPLATE).unwrap();
    let mut facts = Vec::new();
    persons(&mut facts, "female", "18-24", 8);
    persons(&mut facts, "female", "25-34", 2);
    persons(&mut facts, "female", "35-44", 9);
    persons(&mut facts, "male", "18-24", 6);
    persons(&mut facts, "male", "25-34", 7);
    persons(&mut facts, "male", "35-44", 12);
    let spec = &t.tables[1];
    let out = t.render_table(spec, &facts, options(Some(5)));
    let hidden: Vec<(String, String)> = out
        .rows
        .iter()
        .filter(|r| r.last().unwrap() == SUPPRESSED)
        .map(|r| (r[1].clone(), r[3].clone()))
        .collect();
    // female 25-34 (2) is primary; its row line (female) loses its smallest other cell
    // (female 18-24, 8), its column line (25-34) loses male 25-34 (7); then the male line
    // has one and loses male 18-24 (6), which closes the 18-24 column too.
    assert_eq!(
        hidden,
        [
            ("female", "18-24"),
            ("female", "25-34"),
            ("male", "18-24"),
            ("male", "25-34")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // Every line has none or at least two suppressed cells.
    for line in ["female", "male"] {
        let n = out
            .rows
            .iter()
            .filter(|r| r[1] == line && r.last().unwrap() == SUPPRESSED)
            .count();
        assert!(n != 1, "{line}: {n}");
    }
    assert_eq!(out.rows.last().unwrap().last().unwrap(), "44");
}

#[test]
fn only_third_country_nationals_are_eligible() {
    use projections::eligibility;
    assert_eq!(eligibility(&["MA"]), "third_country");
    assert_eq!(eligibility(&["UA", "MD"]), "third_country");
    // An Italian spouse, an EU citizen, a dual EU citizen: counted apart, never beneficiaries.
    assert_eq!(eligibility(&["IT"]), "italian");
    assert_eq!(eligibility(&["RO"]), "eu");
    assert_eq!(eligibility(&["FR", "RO"]), "eu");
    assert_eq!(eligibility(&["MA", "IT"]), "dual_eu");
    assert_eq!(eligibility(&["AL", "RO"]), "dual_eu");
    assert_eq!(eligibility(&[]), "unknown");
}

#[test]
fn a_filter_keeps_the_ineligible_out_of_the_beneficiaries() {
    let t = Template::parse(&TEMPLATE.replace(
        "group_by = [\"sex\"]\n",
        "group_by = [\"sex\"]\nfilter = { eligibility = [\"third_country\"] }\n",
    ))
    .unwrap();
    let mut facts = Vec::new();
    persons(&mut facts, "female", "25-34", 6);
    persons(&mut facts, "male", "25-34", 2);
    for f in facts.iter_mut().skip(6) {
        f.dims[2].1 = "dual_eu".to_string();
    }
    let out = t.render_table(&t.tables[0], &facts, options(None));
    assert_eq!(
        by_first(&out.rows),
        [("female", "6"), ("total", "6")].map(|(a, b)| (a.to_string(), b.to_string()))
    );
}
