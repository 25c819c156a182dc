//! The mediator's satisfaction survey form in a real browser, on the real `impact serve --demo`
//! (127.0.0.1, a free port) through headless Chromium: the form asks the items of the survey
//! definition in force on the response's day (the demo's `gradimento-impact` version 1; the
//! built-in version 1 on a day before any definition), in a language of the definition; an
//! answer out of its item's scale comes back beside the item, in Italian, with what was typed
//! kept; a recorded response names its definition and version (read back over GraphQL); a new
//! version recorded by the supervisor while the form is open sends the form back with the new
//! items; axe-core passes on each page shown.

#[path = "support/browser.rs"]
mod browser;
#[path = "support/demo.rs"]
mod demo;
#[path = "support/raw_http.rs"]
mod raw_http;

use browser::{Browser, Driver};
use demo::{check_page, Server};
use serde_json::{json, Value};

/// Olena Marchuk-Vey of the demo month: she gave the survey-contact consent.
const OLENA: &str = "01HX8YRV80B3SXYDR3FYBNC7DY";

async fn sign_in_mediator(browser: &Browser, server: &Server) {
    browser.goto(&server.url("/accedi")).await;
    browser.fill("f-user", "demo-mediatore").await;
    browser
        .fill("f-password", &server.passwords["demo-mediatore"])
        .await;
    browser.follow("#sign-in").await;
    assert!(browser.has("#signed-in-as").await, "signed in");
}

async fn script(browser: &Browser, code: &str) -> Value {
    browser
        .client
        .execute(code, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("{code}: {e}"))
}

/// The item codes the form asks, in order.
async fn items(browser: &Browser) -> Vec<String> {
    let codes = script(
        browser,
        "return Array.from(document.querySelectorAll('fieldset.survey-item')).map(f => f.dataset.item);",
    )
    .await;
    serde_json::from_value(codes).unwrap()
}

/// The definition and version the form carries.
async fn carried(browser: &Browser) -> (String, String) {
    let value = |name: &str| {
        format!("return document.querySelector('form input[type=hidden][name={name}]').value;")
    };
    (
        script(browser, &value("definition"))
            .await
            .as_str()
            .unwrap()
            .to_owned(),
        script(browser, &value("version"))
            .await
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

async fn checked(browser: &Browser, id: &str) -> bool {
    script(
        browser,
        &format!("return document.getElementById('{id}').checked;"),
    )
    .await
        == Value::Bool(true)
}

/// Answers an item: clicks the label of its point.
async fn answer(browser: &Browser, item: &str, point: &str) {
    browser
        .click(&format!("label[for=f-voce-{item}-{point}]"))
        .await;
}

/// The survey form of Olena, opened from her page.
async fn open_form(browser: &Browser, server: &Server) {
    browser
        .goto(&server.url(&format!("/persone/{OLENA}")))
        .await;
    browser.follow("#go-survey").await;
    assert_eq!(
        browser.path().await,
        format!("/persone/{OLENA}/gradimento"),
        "ids only in the address"
    );
}

/// The last survey response recorded about Olena, as the audit trail gives it to a supervisor.
async fn last_response(server: &Server) -> Value {
    let data = server
        .graphql(
            "supervisor",
            "query Last($person: ID!) {
               auditTrail(filter: { types: [\"SatisfactionSurveyCompleted\"], person: $person }, last: 1) {
                 nodes { payload }
               }
             }",
            json!({ "person": OLENA }),
        )
        .await;
    data["auditTrail"]["nodes"][0]["payload"].clone()
}

fn scores(payload: &Value) -> Vec<(String, u64)> {
    payload["scores"]
        .as_array()
        .expect("scores")
        .iter()
        .map(|s| {
            (
                s["item"].as_str().unwrap().to_owned(),
                s["score"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Records the response shown, and checks the person's page confirms it.
async fn record(browser: &Browser) {
    browser.follow("#record-survey").await;
    assert_eq!(
        browser.path().await,
        format!("/persone/{OLENA}"),
        "back to her page: {}",
        browser.page_text().await
    );
    assert_eq!(
        browser.text("#done").await,
        "Il questionario di gradimento è stato registrato."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survey_form_asks_the_definition_in_force() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(&data.path().join("data"));
    let driver = Driver::start();
    let browser = driver.browser().await;
    sign_in_mediator(&browser, &server).await;

    the_demo_definition_is_asked_and_recorded(&browser, &server).await;
    the_built_in_version_on_a_day_before_any_definition(&browser, &server).await;
    a_new_version_sends_the_open_form_back(&browser, &server).await;
    browser.close().await;
}

async fn the_demo_definition_is_asked_and_recorded(browser: &Browser, server: &Server) {
    open_form(browser, server).await;
    check_page(browser, "gradimento").await;
    assert_eq!(
        items(browser).await,
        ["accoglienza", "informazioni", "raccomandazione"]
    );
    assert_eq!(
        carried(browser).await,
        ("gradimento-impact".into(), "1".into())
    );
    assert_eq!(
        browser.text("#f-voce-accoglienza legend").await,
        "Mi sono sentito/a accolto/a"
    );
    // Each point of the item's own scale: 1 to 4 here, 0 to 10 for the recommendation.
    assert!(browser.has("#f-voce-accoglienza-4").await);
    assert!(!browser.has("#f-voce-accoglienza-5").await);
    assert!(browser.has("#f-voce-raccomandazione-0").await);
    assert!(browser.has("#f-voce-raccomandazione-10").await);

    // In English, a language of the definition; in Arabic, which it names without a text.
    browser.choose("f-lingua", "en").await;
    browser.follow("#show-survey").await;
    assert_eq!(
        browser.text("#f-voce-accoglienza legend").await,
        "I felt welcome"
    );
    browser.choose("f-lingua", "ar").await;
    browser.follow("#show-survey").await;
    assert!(browser.has("#untranslated").await);
    browser.choose("f-lingua", "it").await;
    browser.follow("#show-survey").await;
    assert_eq!(
        browser.text("#f-voce-accoglienza legend").await,
        "Mi sono sentito/a accolto/a"
    );

    // An answer out of the item's scale (a point no button offers, as an altered form would
    // send it): the domain's refusal beside the item, in Italian, the rest kept.
    answer(browser, "accoglienza", "3").await;
    answer(browser, "informazioni", "4").await;
    script(
        browser,
        "document.getElementById('f-voce-raccomandazione-10').value = '11';",
    )
    .await;
    answer(browser, "raccomandazione", "10").await;
    browser.click("label[for=f-helpfulForIntegration-si]").await;
    browser.fill("f-comment", "Molto gentili.").await;
    browser.follow("#record-survey").await;
    let error = "«Consiglierei lo sportello a un amico o a una amica»: la risposta deve essere \
                 tra 0 e 10.";
    assert_eq!(browser.text("#e-voce-raccomandazione").await, error);
    assert!(browser.text("#error-summary").await.contains(error));
    assert!(checked(browser, "f-voce-accoglienza-3").await, "kept");
    assert!(checked(browser, "f-voce-informazioni-4").await, "kept");
    assert!(checked(browser, "f-helpfulForIntegration-si").await, "kept");
    assert_eq!(
        script(
            browser,
            "return document.getElementById('f-comment').value;"
        )
        .await,
        "Molto gentili."
    );
    check_page(browser, "gradimento-errore").await;

    answer(browser, "raccomandazione", "9").await;
    record(browser).await;
    check_page(browser, "persona-gradimento-registrato").await;
    let payload = last_response(server).await;
    assert_eq!(payload["definition"], "gradimento-impact");
    assert_eq!(payload["version"], 1);
    assert_eq!(payload["personId"], OLENA);
    assert_eq!(payload["helpfulForIntegration"], true);
    assert_eq!(payload["comment"], "Molto gentili.");
    assert_eq!(
        scores(&payload),
        [
            ("accoglienza".into(), 3),
            ("informazioni".into(), 4),
            ("raccomandazione".into(), 9)
        ]
    );
}

async fn the_built_in_version_on_a_day_before_any_definition(browser: &Browser, server: &Server) {
    // The demo's definition is in force from 31/05/2024: on the 20th no definition was, and the
    // form asks the built-in version 1.
    open_form(browser, server).await;
    browser.fill("f-date", "20/05/2024").await;
    browser.follow("#show-survey").await;
    assert_eq!(
        items(browser).await,
        [
            "welcome",
            "clarity",
            "usefulness",
            "waiting_time",
            "language",
            "overall"
        ]
    );
    assert_eq!(
        carried(browser).await,
        ("gradimento-sportello".into(), "1".into())
    );
    assert_eq!(
        browser.text("#survey-heading").await,
        "Questionario di gradimento dello sportello"
    );
    check_page(browser, "gradimento-predefinito").await;
    answer(browser, "welcome", "5").await;
    answer(browser, "overall", "4").await;
    browser.click("label[for=f-helpfulForIntegration-no]").await;
    record(browser).await;
    let payload = last_response(server).await;
    assert_eq!(payload["definition"], "gradimento-sportello");
    assert_eq!(payload["version"], 1);
    assert_eq!(payload["helpfulForIntegration"], false);
    assert_eq!(
        scores(&payload),
        [("welcome".into(), 5), ("overall".into(), 4)]
    );
}

async fn a_new_version_sends_the_open_form_back(browser: &Browser, server: &Server) {
    open_form(browser, server).await;
    assert_eq!(carried(browser).await.1, "1");
    answer(browser, "accoglienza", "4").await;
    browser.click("label[for=f-helpfulForIntegration-si]").await;

    // Meanwhile the supervisor records version 2, in force from today.
    let today = chrono::Utc::now().date_naive();
    let agree = json!({ "min": 1, "max": 4, "labels": [
        { "it": "Per niente" }, { "it": "Poco" }, { "it": "Abbastanza" }, { "it": "Molto" }
    ]});
    server
        .graphql(
            "supervisor",
            "mutation Define($input: DefineSurveyInput!) { defineSurvey(input: $input) { alreadyRecorded } }",
            json!({ "input": {
                "definition": "gradimento-impact",
                "version": 2,
                "occurredAt": chrono::Utc::now().to_rfc3339(),
                "heading": { "it": "IMPACT LAZIO - Questionario di gradimento, seconda versione" },
                "languages": ["it"],
                "items": [
                    { "code": "accoglienza", "label": { "it": "Mi sono sentito/a accolto/a" }, "scale": agree },
                    { "code": "orari", "label": { "it": "Gli orari dello sportello mi sono comodi" },
                      "scale": { "min": 1, "max": 5 } }
                ],
                "validFrom": today,
            }}),
        )
        .await;

    // The open form, sent: not recorded; back with the new version's items, the answer to the
    // item it keeps still given, and the reason beside the questionnaire's heading.
    browser.follow("#record-survey").await;
    let reason = browser.text("#e-definition").await;
    assert!(
        reason.contains("è cambiato") && reason.contains("versione 2"),
        "{reason}"
    );
    assert_eq!(items(browser).await, ["accoglienza", "orari"]);
    assert_eq!(
        carried(browser).await,
        ("gradimento-impact".into(), "2".into())
    );
    assert!(checked(browser, "f-voce-accoglienza-4").await, "kept");
    assert_eq!(
        last_response(server).await["version"],
        1,
        "nothing recorded"
    );
    check_page(browser, "gradimento-nuova-versione").await;

    answer(browser, "orari", "5").await;
    record(browser).await;
    let payload = last_response(server).await;
    assert_eq!(payload["definition"], "gradimento-impact");
    assert_eq!(payload["version"], 2);
    assert_eq!(
        scores(&payload),
        [("accoglienza".into(), 4), ("orari".into(), 5)]
    );

    // A form opened now asks the new items.
    open_form(browser, server).await;
    assert_eq!(items(browser).await, ["accoglienza", "orari"]);
    assert_eq!(
        browser.text("#f-voce-orari legend").await,
        "Gli orari dello sportello mi sono comodi"
    );
}
