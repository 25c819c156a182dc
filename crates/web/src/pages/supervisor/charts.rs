//! The month's charts: each an SVG bar chart ([`crate::charts`]) and the table of the same
//! figures, with labels from the catalogues.

use serde::Serialize;
use serde_json::Value;

use crate::charts::{bars, Bar};
use crate::i18n::Lang;
use crate::Web;

/// One chart as `month.html` draws it: the SVG, and its table beside.
#[derive(Serialize)]
pub struct Chart {
    pub id: &'static str,
    pub title: String,
    /// The SVG markup (built here, every text escaped), marked safe for the template.
    pub svg: minijinja::Value,
    /// The heading of the table's value column.
    pub unit: String,
    pub rows: Vec<(String, String)>,
}

fn count(value: &Value) -> u64 {
    value.as_u64().unwrap_or(0)
}

/// The catalogue's word for `prefix-key`, else the key as the API wrote it.
fn word(web: &Web, lang: Lang, prefix: &str, key: &str) -> String {
    let id = format!("{prefix}-{key}");
    if web.catalogues.has(lang, &id) {
        web.catalogues.text(lang, &id, &[])
    } else {
        key.replace('_', " ")
    }
}

fn chart(
    web: &Web,
    lang: Lang,
    id: &'static str,
    title: &str,
    unit: &str,
    data: Vec<Bar>,
) -> Chart {
    let title = web.catalogues.text(lang, title, &[]);
    let empty = web.catalogues.text(lang, "chart-empty", &[]);
    Chart {
        id,
        svg: minijinja::Value::from_safe_string(bars(id, &title, &empty, &data)),
        title,
        unit: web.catalogues.text(lang, unit, &[]),
        rows: data.into_iter().map(|b| (b.label, b.text)).collect(),
    }
}

fn keyed(web: &Web, lang: Lang, list: &Value, prefix: &str, value: &str) -> Vec<Bar> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    let key = item["key"].as_str().unwrap_or("");
                    Bar::count(word(web, lang, prefix, key), count(&item[value]))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The month's six charts from the `monitoring` answer.
pub fn of_month(web: &Web, lang: Lang, report: &Value) -> Vec<Chart> {
    let activity: Vec<Bar> = report["contacts"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter(|c| c["site"].is_null())
                .map(|c| {
                    let key = c["activity"].as_str().unwrap_or("");
                    Bar::count(word(web, lang, "activity", key), count(&c["contacts"]))
                })
                .collect()
        })
        .unwrap_or_default();
    let beneficiaries = &report["beneficiaries"];
    let mut people = keyed(web, lang, &beneficiaries["bySex"], "sex", "count");
    people.extend(keyed(
        web,
        lang,
        &beneficiaries["byAgeBand"],
        "age",
        "count",
    ));
    let funnel_sum = |field: &str| -> u64 {
        report["referralFunnel"]
            .as_array()
            .map(|rows| rows.iter().map(|r| count(&r[field])).sum())
            .unwrap_or(0)
    };
    let funnel = ["issued", "accepted", "concluded", "serviceReceived"]
        .iter()
        .map(|stage| {
            Bar::count(
                web.catalogues.text(lang, &format!("funnel-{stage}"), &[]),
                funnel_sum(stage),
            )
        })
        .collect();
    let satisfaction = report["satisfaction"]["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let mean = item["mean"].as_f64()?;
                    let key = item["item"].as_str().unwrap_or("");
                    Some(Bar {
                        label: word(web, lang, "survey", key),
                        value: mean,
                        text: format!("{mean:.1}")
                            .replace('.', if lang == Lang::It { "," } else { "." }),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    vec![
        chart(
            web,
            lang,
            "chart-activity",
            "month-by-activity",
            "month-contacts",
            activity,
        ),
        chart(
            web,
            lang,
            "chart-citizenship",
            "month-by-citizenship",
            "col-persons",
            keyed(
                web,
                lang,
                &beneficiaries["byCitizenship"],
                "country",
                "count",
            ),
        ),
        chart(
            web,
            lang,
            "chart-people",
            "month-by-sex-age",
            "col-persons",
            people,
        ),
        chart(
            web,
            lang,
            "chart-funnel",
            "month-funnel",
            "col-referrals",
            funnel,
        ),
        chart(
            web,
            lang,
            "chart-languages",
            "month-by-language",
            "col-requests",
            keyed(
                web,
                lang,
                &report["mediation"]["byLanguage"],
                "language",
                "requests",
            ),
        ),
        chart(
            web,
            lang,
            "chart-satisfaction",
            "month-satisfaction",
            "col-mean",
            satisfaction,
        ),
    ]
}
