//! The desk's pages in a real browser: the real `impact serve --demo` on a free port of
//! 127.0.0.1, headless Chromium driven over WebDriver. Each scenario a person would walk through:
//! signing in as each role, a mediator's day from search to diary, a person's services (an
//! intervention, a referral and its outcome, a mediation and its session, an appointment) and
//! the agenda with what is due, a form's error beside its field in Italian, another site's person refused, five wrong passwords locking the account,
//! sign-out ending the sign-in; axe-core on every page; a screenshot of every page in
//! `target/test-artefacts/`.

#[path = "support/browser.rs"]
mod browser;
#[path = "support/demo.rs"]
mod demo;
#[path = "support/raw_http.rs"]
mod raw_http;

use std::path::Path;
use std::process::Command;

use browser::{Browser, Driver};
use demo::{check_page, Server};

const BIN: &str = env!("CARGO_BIN_EXE_impact");

async fn sign_in(browser: &Browser, server: &Server, user: &str, password: &str) {
    browser.goto(&server.url("/accedi")).await;
    browser.fill("f-user", user).await;
    browser.fill("f-password", password).await;
    browser.follow("#sign-in").await;
}

async fn sign_in_demo(browser: &Browser, server: &Server, user: &str) {
    let password = server.passwords[user].clone();
    sign_in(browser, server, user, &password).await;
    assert!(
        browser.has("#signed-in-as").await,
        "{user} is signed in: {}",
        browser.page_text().await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desks_pages_in_a_real_browser() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(&data.path().join("data"));
    let driver = Driver::start();

    every_role_signs_in_and_sees_its_pages(&server, &driver).await;
    a_mediators_day_from_search_to_diary(&server, &driver).await;
    a_persons_services_and_the_agenda(&server, &driver).await;
    the_agenda_marks_what_is_due(&server, &driver).await;
    another_sites_person_gets_a_refusal_page(&server, &driver, data.path()).await;
    five_wrong_passwords_lock_the_account(&server, &driver, data.path()).await;
    sign_out_ends_the_sign_in(&server, &driver).await;
}

/// Each demo account's pages (path, screenshot name); the first is its home.
const PAGES: [(&str, &[(&str, &str)]); 4] = [
    (
        "demo-mediatore",
        &[
            ("/oggi", "oggi"),
            ("/persone/nuova", "registra-persona"),
            ("/diario/nuovo", "diario"),
            ("/sede/diari", "diari-sede"),
            ("/mediazioni/nuova", "mediazione"),
        ],
    ),
    (
        "demo-supervisore",
        &[
            ("/mese?mese=2024-05", "mese"),
            ("/registro", "registro"),
            ("/letture", "letture"),
            ("/diari", "diari-mese"),
            ("/cancella", "cancella-modulo"),
        ],
    ),
    (
        "demo-valutatore",
        &[("/verifica", "verifica"), ("/periodo", "periodo-modulo")],
    ),
    (
        "demo-amministratore",
        &[
            ("/account", "account"),
            ("/sedi", "sedi-elenco"),
            ("/servizi", "servizi-elenco"),
        ],
    ),
];

/// Pages two roles share: supervisors also see the checkpoints and the period.
fn allowed_to_both(user: &str, _other: &str, path: &str) -> bool {
    user == "demo-supervisore" && (path == "/verifica" || path == "/periodo")
}

async fn every_role_signs_in_and_sees_its_pages(server: &Server, driver: &Driver) {
    let browser = driver.browser().await;
    browser.goto(&server.url("/")).await;
    assert_eq!(
        browser.path().await,
        "/accedi",
        "nobody signed in: the sign-in page"
    );
    assert!(
        browser.page_text().await.contains("Nome utente"),
        "in Italian"
    );
    check_page(&browser, "accedi").await;
    browser.close().await;

    let pages = PAGES;
    for (user, paths) in pages {
        let browser = driver.browser().await;
        sign_in_demo(&browser, server, user).await;
        assert_eq!(
            browser.path().await,
            paths[0].0.split('?').next().unwrap(),
            "{user}'s home"
        );
        for (path, name) in paths {
            browser.goto(&server.url(path)).await;
            assert!(!browser.has("#refused").await, "{user} may see {path}");
            check_page(&browser, name).await;
        }
        // Every other role's pages are refused (deny by default, as the API's matrix).
        for (other, other_paths) in pages {
            if other == user {
                continue;
            }
            for (path, _) in other_paths {
                if allowed_to_both(user, other, path) {
                    continue;
                }
                browser.goto(&server.url(path)).await;
                assert!(browser.has("#refused").await, "{user} is refused {path}");
            }
        }
        browser.close().await;
    }

    // The switch: the same page in English.
    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-supervisore").await;
    browser.follow("button[name=lang][value=en]").await;
    browser.goto(&server.url("/mese?mese=2024-05")).await;
    let text = browser.page_text().await;
    assert!(
        text.contains("The month") && text.contains("Persons served"),
        "{text}"
    );
    browser.follow("button[name=lang][value=it]").await;
    browser.goto(&server.url("/registro")).await;
    assert!(browser.text("#chain").await.contains("Catena verificata"));
    browser.close().await;
}

async fn a_mediators_day_from_search_to_diary(server: &Server, driver: &Driver) {
    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-mediatore").await;

    // A returning person, found by part of her name.
    browser.fill("f-q", "olena").await;
    browser.follow("#search").await;
    assert!(browser.text("#found").await.contains("Olena Marchuk-Vey"));
    check_page(&browser, "persone-trovate").await;
    browser.follow("#found a").await;
    assert_eq!(browser.text("#person-name").await, "Olena Marchuk-Vey");
    check_page(&browser, "persona").await;

    // An intake for her.
    browser.follow("#go-intake").await;
    check_page(&browser, "colloquio").await;
    browser.click("label[for=f-needs-DOCUMENTS]").await;
    browser.fill("f-note", "Rinnovo del permesso.").await;
    browser.follow("#record-intake").await;
    assert!(
        browser.has("#history").await,
        "the person's page after the intake: {}",
        browser.page_text().await
    );
    assert!(
        browser.text("#history").await.contains("Colloquio"),
        "the intake is in her history"
    );

    // A new person, whose form first comes back with an error beside its field, in Italian.
    browser.goto(&server.url("/persone/nuova")).await;
    browser
        .fill("f-personal-fullName", "Amal Haddad-Test")
        .await;
    browser.fill("f-birthYear", "novanta").await;
    browser.fill("f-citizenships", "SY").await;
    browser.fill("f-countryOfBirth", "SY").await;
    browser.fill("f-languages", "ar").await;
    browser.follow("#register").await;
    assert_eq!(
        browser.text("#e-birthYear").await,
        "Scrivi un numero intero."
    );
    assert!(browser
        .text("#error-summary")
        .await
        .contains("Scrivi un numero intero."));
    check_page(&browser, "registra-persona-errore").await;
    browser.fill("f-birthYear", "1990").await;
    browser.follow("#register").await;
    assert_eq!(browser.text("#person-name").await, "Amal Haddad-Test");

    // The diary of the day: the domain's refusal (no language) beside its field, in Italian.
    browser.goto(&server.url("/diario/nuovo")).await;
    browser.fill("f-contacts", "7").await;
    browser.fill("f-observations", "Giornata intensa.").await;
    browser.follow("#write-diary").await;
    let error = browser.text("#e-languages").await;
    assert!(
        error.contains("Lingue"),
        "the domain's rejection beside «Lingue»: {error}"
    );
    check_page(&browser, "diario-errore").await;
    browser.fill("f-languages", "ar, uk").await;
    // What the browser sends, kept to send it again as a retry after a lost answer would.
    let sent = browser
        .client
        .execute(
            "return new URLSearchParams(new FormData(document.querySelector('form[action=\"/diario/nuovo\"]'))).toString();",
            Vec::new(),
        )
        .await
        .unwrap();
    let sent = sent.as_str().unwrap().to_owned();
    browser.follow("#write-diary").await;
    assert_eq!(browser.path().await, "/oggi");
    assert!(browser.text("#done").await.contains("diario"));
    let diaries = browser.text("#diaries").await;
    assert!(
        diaries.contains("demo-mediatore") && diaries.contains("ar, uk"),
        "{diaries}"
    );
    check_page(&browser, "oggi-con-diario").await;

    // The same form sent again (its event id with it) records nothing twice: the answer is the
    // one recorded, not "this day's diary exists".
    let cookie = format!(
        "impact_signin={}",
        browser.cookie("impact_signin").await.unwrap()
    );
    let retry = raw_http::http(
        server.addr,
        "POST",
        "/diario/nuovo",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &sent,
    )
    .await;
    assert_eq!(retry.status, 303, "{}", retry.body);
    browser.goto(&server.url("/oggi")).await;
    assert_eq!(
        browser
            .text("#diaries")
            .await
            .matches("demo-mediatore")
            .count(),
        1,
        "one diary"
    );
    browser.close().await;
}

/// Olena's page, found by the search box.
async fn olenas_page(browser: &Browser) -> String {
    browser.fill("f-q", "olena").await;
    browser.follow("#search").await;
    browser.follow("#found a").await;
    browser.path().await
}

/// A day in Italy `days` from today, as a form takes it.
fn day_from_today(days: i64) -> chrono::NaiveDate {
    // Italy is at most two hours ahead of UTC: far enough from midnight for the tests' days.
    (chrono::Utc::now() + chrono::Duration::hours(2)).date_naive() + chrono::Duration::days(days)
}

fn gg_mm_aaaa(day: chrono::NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// The demo site's next opening day (Tuesday or Thursday) two days ahead or more, not a
/// public holiday (the fixed ones; Easter Monday is a Monday).
fn next_opening_day() -> chrono::NaiveDate {
    use chrono::Datelike;
    const HOLIDAYS: [(u32, u32); 10] = [
        (1, 1),
        (1, 6),
        (4, 25),
        (5, 1),
        (6, 2),
        (8, 15),
        (11, 1),
        (12, 8),
        (12, 25),
        (12, 26),
    ];
    (2..)
        .map(day_from_today)
        .find(|d| {
            matches!(d.weekday(), chrono::Weekday::Tue | chrono::Weekday::Thu)
                && !HOLIDAYS.contains(&(d.month(), d.day()))
        })
        .unwrap()
}

async fn a_persons_services_and_the_agenda(server: &Server, driver: &Driver) {
    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-mediatore").await;
    let person = olenas_page(&browser).await;

    // An intervention: legal advice without its topic comes back with the domain's rejection
    // beside the field it names, in Italian.
    browser.follow("#go-intervention").await;
    check_page(&browser, "intervento").await;
    browser.choose("f-activity", "LEGAL_ADVICE").await;
    browser.fill("f-language", "uk").await;
    browser.follow("#record-intervention").await;
    let error = browser.text("#e-legalTopic").await;
    assert_eq!(
        error, "Compila il campo «Argomento della consulenza legale».",
        "the domain's rejection beside its field"
    );
    assert!(browser.text("#error-summary").await.contains(&error));
    check_page(&browser, "intervento-errore").await;
    browser.choose("f-legalTopic", "PERMIT").await;
    browser.follow("#record-intervention").await;
    assert_eq!(
        browser.path().await,
        person,
        "{}",
        browser.page_text().await
    );
    assert!(browser.text("#history").await.contains("Intervento"));

    // A referral to a service of the directory, then its outcome.
    browser.follow("#go-referral").await;
    check_page(&browser, "invio").await;
    browser.choose_nth("f-serviceId", 1).await;
    browser.follow("#issue-referral").await;
    assert_eq!(
        browser.path().await,
        person,
        "{}",
        browser.page_text().await
    );
    let referral = "#referrals li:last-child";
    assert!(browser
        .text(referral)
        .await
        .contains("Inviato, senza esito"));
    browser.follow(&format!("{referral} .go-outcome")).await;
    check_page(&browser, "esito-invio").await;
    browser.choose("f-outcome", "APPOINTMENT_SET").await;
    browser.follow("#record-outcome").await;
    let error = browser.text("#e-appointmentOn").await;
    assert!(
        error.contains("Giorno dell'appuntamento fissato"),
        "the domain's rejection beside its field: {error}"
    );
    browser
        .fill("f-appointmentOn", &gg_mm_aaaa(day_from_today(0)))
        .await;
    browser.follow("#record-outcome").await;
    assert_eq!(
        browser.path().await,
        person,
        "{}",
        browser.page_text().await
    );
    assert!(browser
        .text(referral)
        .await
        .contains("Appuntamento fissato"));

    // A mediation asked for two days ago, and its session.
    let then = gg_mm_aaaa(day_from_today(-2));
    browser.follow("#go-mediation").await;
    browser.fill("f-date", &then).await;
    browser.fill("f-time", "10:00").await;
    browser.fill("f-language", "uk").await;
    browser.follow("#request-mediation").await;
    assert!(
        browser.path().await.ends_with("/sessione"),
        "{}",
        browser.page_text().await
    );
    check_page(&browser, "sessione").await;
    browser.fill("f-date", &then).await;
    browser.fill("f-start", "10:05").await;
    browser.fill("f-end", "10:50").await;
    browser.fill("f-languages-from", "uk").await;
    browser.click("label[for=f-parties-BENEFICIARY]").await;
    browser.choose("f-place", "HOSPITAL").await;
    browser.follow("#record-session").await;
    assert!(
        browser.text("#done").await.contains("sessione"),
        "{}",
        browser.page_text().await
    );
    browser.goto(&server.url(&person)).await;
    assert!(browser
        .text("#history")
        .await
        .contains("Sessione di mediazione"));

    // An appointment on the next opening day: in the agenda of that day, not yet to mark.
    browser.follow("#go-appointment").await;
    check_page(&browser, "appuntamento").await;
    let day = next_opening_day();
    browser.fill("f-date", &gg_mm_aaaa(day)).await;
    browser.fill("f-language", "uk").await;
    browser.fill("f-start", "09:00").await;
    browser.fill("f-end", "09:30").await;
    browser.follow("#book-appointment").await;
    assert_eq!(
        browser.path().await,
        "/oggi",
        "{}",
        browser.page_text().await
    );
    assert!(browser.text("#done").await.contains("prenotato"));
    let agenda = browser.text("#agenda").await;
    assert!(
        agenda.contains("09:00")
            && agenda.contains("demo-mediatore")
            && agenda.contains("Prenotato"),
        "{agenda}"
    );
    check_page(&browser, "agenda").await;
    browser.follow("#agenda .attended").await;
    assert!(
        browser.has("#error-summary").await,
        "an appointment not begun is not attended: {}",
        browser.page_text().await
    );
    assert!(browser.text("#agenda").await.contains("Prenotato"));
    browser.close().await;
}

async fn the_agenda_marks_what_is_due(server: &Server, driver: &Driver) {
    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-mediatore").await;
    // The demo month left appointments booked and never marked: due, and overdue.
    let due = browser.text("#due").await;
    assert!(due.contains("Appuntamento da tenere"), "{due}");
    browser.follow("#due a[href^='/oggi']").await;
    let row = browser
        .client
        .current_url()
        .await
        .unwrap()
        .fragment()
        .map(|f| format!("#{f}"))
        .expect("the link names the appointment");
    assert!(browser.text(&row).await.contains("Prenotato"));
    browser.follow(&format!("{row} .attended")).await;
    assert!(
        browser.text("#done").await.contains("presenza"),
        "{}",
        browser.page_text().await
    );
    assert!(browser.text(&row).await.contains("Presente"));

    // The site's diaries, with the supervisor's comment of the demo month.
    browser
        .goto(&server.url("/sede/diari?dal=01/05/2024&al=31/05/2024"))
        .await;
    let diaries = browser.text("#diary-entries").await;
    assert!(diaries.contains("Commenti della supervisione"), "{diaries}");
    check_page(&browser, "diari-maggio").await;
    browser.close().await;
}

async fn another_sites_person_gets_a_refusal_page(server: &Server, driver: &Driver, dir: &Path) {
    // A person of montelucci-4, as its mediator sees her.
    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-mediatore").await;
    browser.fill("f-q", "olena").await;
    browser.follow("#search").await;
    browser.follow("#found a").await;
    let person_path = browser.path().await;
    browser.close().await;

    // A mediator of another site, created while the server runs.
    let password = account_create(dir, "mediatore-altrove", "mediator", Some("altra-sede"));
    let browser = driver.browser().await;
    sign_in(&browser, server, "mediatore-altrove", &password).await;
    browser.goto(&server.url(&person_path)).await;
    assert!(
        browser.has("#refused").await,
        "another site's person is refused"
    );
    assert!(
        !browser.page_text().await.contains("Olena"),
        "nothing of her is shown"
    );
    check_page(&browser, "persona-rifiutata").await;
    browser.close().await;
}

async fn five_wrong_passwords_lock_the_account(server: &Server, driver: &Driver, dir: &Path) {
    let password = account_create(dir, "da-bloccare", "supervisor", None);
    let browser = driver.browser().await;
    for attempt in 1..=5 {
        sign_in(&browser, server, "da-bloccare", "sbagliata").await;
        let summary = browser.text("#error-summary").await;
        if attempt < 5 {
            assert!(
                summary.contains("non corretti"),
                "attempt {attempt}: {summary}"
            );
        } else {
            assert!(summary.contains("bloccato"), "the fifth locks: {summary}");
        }
    }
    // Locked: even the right password is refused for a while.
    sign_in(&browser, server, "da-bloccare", &password).await;
    assert!(browser.text("#error-summary").await.contains("bloccato"));
    assert!(!browser.has("#signed-in-as").await);
    browser.close().await;
}

async fn sign_out_ends_the_sign_in(server: &Server, driver: &Driver) {
    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-supervisore").await;
    let cookie = browser
        .cookie("impact_signin")
        .await
        .expect("the sign-in cookie");
    let header = format!("impact_signin={cookie}");
    let before = raw_http::http(server.addr, "GET", "/registro", &[("Cookie", &header)], "").await;
    assert_eq!(before.status, 200, "the cookie works before sign-out");
    browser.follow("#sign-out").await;
    assert_eq!(browser.path().await, "/accedi");
    let after = raw_http::http(server.addr, "GET", "/registro", &[("Cookie", &header)], "").await;
    assert_eq!(after.status, 303, "the old cookie no longer signs in");
    assert!(after
        .head
        .to_ascii_lowercase()
        .contains("location: /accedi"));
    browser.close().await;
}

/// `impact account create` while the server runs: the password it prints.
fn account_create(dir: &Path, user: &str, role: &str, site: Option<&str>) -> String {
    let mut command = Command::new(BIN);
    command
        .args([
            "account", "create", "--user", user, "--role", role, "--data",
        ])
        .arg(dir.join("data"));
    if let Some(site) = site {
        command.args(["--site", site]);
    }
    let output = command.output().expect("impact account create runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

// ---- The supervisor's, evaluator's and admin's further pages ------------------------------------
// A server of their own (their scenarios erase a person and open accounts).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_pages_in_a_real_browser() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(&data.path().join("data"));
    let driver = Driver::start();

    the_supervisor_reviews_and_comments_a_diary(&server, &driver).await;
    a_person_is_erased_after_a_confirmation(&server, &driver).await;
    an_account_opened_by_the_admin_is_in_the_audit_trail(&server, &driver).await;
    the_evaluator_downloads_a_bundle_that_verifies_offline(&server, &driver, data.path()).await;
    the_admin_keeps_the_sites_and_the_service_directory(&server, &driver).await;
}

/// The id of the element the CSS selector finds first.
async fn id_of(browser: &Browser, css: &str) -> String {
    let id = browser
        .client
        .execute(
            "return document.querySelector(arguments[0]).id;",
            vec![serde_json::json!(css)],
        )
        .await
        .unwrap();
    id.as_str().unwrap().to_owned()
}

async fn the_supervisor_reviews_and_comments_a_diary(server: &Server, driver: &Driver) {
    // A mediator writes the diary of the day.
    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-mediatore").await;
    browser.goto(&server.url("/diario/nuovo")).await;
    browser.fill("f-contacts", "5").await;
    browser.fill("f-languages", "uk").await;
    browser
        .fill("f-observations", "Giornata con molte richieste di rinnovo.")
        .await;
    browser.follow("#write-diary").await;
    assert_eq!(
        browser.path().await,
        "/oggi",
        "{}",
        browser.page_text().await
    );
    browser.close().await;

    // The supervisor: the month (charts beside their tables), its compliance, the diary.
    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-supervisore").await;
    browser.goto(&server.url("/mese?mese=2024-05")).await;
    for chart in [
        "chart-activity",
        "chart-citizenship",
        "chart-people",
        "chart-funnel",
        "chart-languages",
        "chart-satisfaction",
    ] {
        assert!(
            browser
                .has(&format!("#{chart}-section svg[role=img]"))
                .await,
            "{chart} is drawn"
        );
        assert!(
            browser.has(&format!("#{chart}-table")).await,
            "{chart}'s table"
        );
    }
    assert!(
        browser
            .text("#chart-activity-table")
            .await
            .contains("Colloquio"),
        "the contacts by activity, in Italian"
    );
    assert!(browser.text("#compliance").await.contains("montelucci-4"));
    check_page(&browser, "mese-grafici").await;

    // This month's dashboard leads to the diaries; the mediator's entry is there.
    browser.goto(&server.url("/mese")).await;
    browser.follow("a[href^='/diari']").await;
    let entry = browser.text(".diary-entry").await;
    assert!(
        entry.contains("demo-mediatore") && entry.contains("molte richieste di rinnovo"),
        "{entry}"
    );
    check_page(&browser, "diari").await;

    // An empty comment is refused beside its field, in Italian; then the comment is recorded.
    browser.follow(".comment-form button").await;
    assert!(
        browser.has("#e-comment").await,
        "the refusal beside the comment: {}",
        browser.page_text().await
    );
    check_page(&browser, "diari-errore").await;
    let field = id_of(&browser, ".comment-form textarea").await;
    browser
        .fill(&field, "Bene: segnaliamo i rinnovi alla Questura.")
        .await;
    browser.follow(".comment-form button").await;
    assert!(
        browser
            .text(".diary-comments")
            .await
            .contains("segnaliamo i rinnovi"),
        "the comment under the entry"
    );

    // The audit trail shows the diary and the comment, as the last events.
    browser.goto(&server.url("/registro")).await;
    browser.follow("#latest").await;
    let trail = browser.text("#trail").await;
    assert!(
        trail.contains("Diario di bordo") && trail.contains("Commento al diario"),
        "{trail}"
    );
    assert!(trail.contains("demo-mediatore") && trail.contains("demo-supervisore"));
    check_page(&browser, "registro-ultimi").await;

    // Filtered by the event's type and the actor's role: only the mediators' diaries, the
    // filter kept in the form (and in the next page's link), nothing personal in the address.
    browser.goto(&server.url("/registro")).await;
    browser.choose("f-tipo", "LogbookEntryWritten").await;
    browser.choose("f-ruolo", "mediator").await;
    browser.follow("#filter").await;
    let rows = browser.text("#trail tbody").await;
    let lines: Vec<&str> = rows.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "no diary in the filtered trail");
    assert!(
        lines
            .iter()
            .all(|l| l.contains("Diario di bordo") && l.contains("(mediatore)")),
        "{rows}"
    );
    assert!(rows.contains("demo-mediatore"), "{rows}");
    assert!(!rows.contains("Commento al diario"), "{rows}");
    check_page(&browser, "registro-filtrato").await;
    browser.close().await;
}

async fn a_person_is_erased_after_a_confirmation(server: &Server, driver: &Driver) {
    // Her id, as her site's mediator finds her.
    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-mediatore").await;
    browser.fill("f-q", "olena").await;
    browser.follow("#search").await;
    browser.follow("#found a").await;
    let person = browser
        .path()
        .await
        .trim_start_matches("/persone/")
        .to_owned();
    browser.close().await;

    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-supervisore").await;
    browser.goto(&server.url("/cancella")).await;
    check_page(&browser, "cancella").await;
    browser.fill("f-personId", &person).await;
    browser.follow("#erase-check").await;
    // Nothing is erased yet: the page names her and asks.
    let confirm = browser.text("#erase-confirm").await;
    assert!(confirm.contains("Olena Marchuk-Vey"), "{confirm}");
    check_page(&browser, "cancella-conferma").await;
    // Cancelling erases nothing.
    browser.follow("a[href='/cancella'].btn").await;
    browser.fill("f-personId", &person).await;
    browser.follow("#erase-check").await;
    assert!(browser
        .text("#erase-confirm")
        .await
        .contains("Olena Marchuk-Vey"));
    browser.follow("#erase-now").await;
    assert!(
        browser.has("#erased").await,
        "{}",
        browser.page_text().await
    );
    check_page(&browser, "cancella-fatto").await;

    // Erased: asked again, the page says so beside the field.
    browser.goto(&server.url("/cancella")).await;
    browser.fill("f-personId", &person).await;
    browser.follow("#erase-check").await;
    assert!(browser.text("#e-personId").await.contains("già"));
    browser.close().await;
}

async fn an_account_opened_by_the_admin_is_in_the_audit_trail(server: &Server, driver: &Driver) {
    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-amministratore").await;
    browser.fill("f-user", "nuova.supervisora").await;
    browser
        .client
        .execute(
            "document.getElementById('f-role').value = 'supervisor';",
            Vec::new(),
        )
        .await
        .unwrap();
    browser
        .follow("form[action='/account'] button[type=submit]")
        .await;
    assert!(
        browser.has("#new-password").await,
        "{}",
        browser.page_text().await
    );
    browser.close().await;

    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-supervisore").await;
    browser.goto(&server.url("/registro?ultimi=1")).await;
    let trail = browser.text("#trail").await;
    assert!(
        trail.contains("Account aperto (account nuova.supervisora)")
            && trail.contains("demo-amministratore"),
        "the admin's change is a fact of the journal: {trail}"
    );
    // The demo accounts `serve --demo` made at the console are facts too.
    browser.goto(&server.url("/registro?ultimi=1")).await;
    assert!(
        browser.text("#trail").await.contains("impact-account"),
        "the console's changes are recorded as impact-account"
    );
    browser.close().await;
}

async fn the_evaluator_downloads_a_bundle_that_verifies_offline(
    server: &Server,
    driver: &Driver,
    dir: &Path,
) {
    // `serve --demo` recorded the demo month today: this month's bundle holds it.
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-valutatore").await;
    browser.follow("a[href='/periodo']").await;
    check_page(&browser, "periodo").await;
    // The demo month, as known today: its figures and its persons, pseudonymised.
    browser.goto(&server.url("/periodo?mese=2024-05")).await;
    let figures = browser.text("#period-figures").await;
    assert!(figures.contains("Contatti"));
    // Small cells: the month's 3 mediation sessions are fewer than 5, so shown as suppressed
    // (never as 0), and the page states the threshold.
    assert!(
        figures
            .lines()
            .any(|l| l.contains("Sessioni di mediazione") && l.contains("soppresso")),
        "{figures}"
    );
    let small_cells = browser.text("#small-cells").await;
    assert!(
        small_cells.contains("Soglia delle celle piccole: 5."),
        "{small_cells}"
    );
    let persons = browser.text("#pseudonymised").await;
    assert!(
        !persons.contains("Olena"),
        "pseudonyms, never names: {persons}"
    );
    // k-anonymity: a person alone in their combination is held back, and the page says so.
    assert!(
        persons.contains("montelucci-4") || browser.text("#held-back").await.contains("19"),
        "rows, or the persons held back: {persons}"
    );
    // As known on a day before anything was recorded: nothing.
    browser
        .goto(&server.url("/periodo?mese=2024-05&al=01/01/2020"))
        .await;
    assert!(
        browser.text("#as-of").await.contains("evento 0"),
        "{}",
        browser.text("#as-of").await
    );
    check_page(&browser, "periodo-al").await;

    browser
        .goto(&server.url(&format!("/periodo?mese={month}")))
        .await;
    let command = browser.text("#verify-command").await;
    let key = command
        .split_whitespace()
        .nth(4)
        .expect("the public key in the command")
        .to_owned();
    assert!(browser.has("#download-bundle").await);
    // What the button downloads, fetched with the sign-in's cookie.
    let cookie = format!(
        "impact_signin={}",
        browser.cookie("impact_signin").await.unwrap()
    );
    let href = browser
        .client
        .execute(
            "return document.getElementById('download-bundle').getAttribute('href');",
            Vec::new(),
        )
        .await
        .unwrap();
    let reply = raw_http::http(
        server.addr,
        "GET",
        href.as_str().unwrap(),
        &[("Cookie", &cookie)],
        "",
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply
        .head
        .to_ascii_lowercase()
        .contains("content-disposition: attachment"));
    assert!(!reply.body.contains("Olena"), "no name in the bundle");
    let file = dir.join(format!("impact-bundle-{month}.json"));
    std::fs::write(&file, &reply.body).unwrap();
    let verified = Command::new(BIN)
        .args(["bundle", "verify", "--public-key", &key])
        .arg(&file)
        .output()
        .expect("impact bundle verify runs");
    assert!(
        verified.status.success(),
        "the downloaded bundle verifies offline: {}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    browser.close().await;
}

async fn the_admin_keeps_the_sites_and_the_service_directory(server: &Server, driver: &Driver) {
    let browser = driver.browser().await;
    sign_in_demo(&browser, server, "demo-amministratore").await;
    browser.follow("a[href='/sedi']").await;
    check_page(&browser, "sedi").await;
    browser.fill("f-siteId", "tivoli-1").await;
    browser
        .fill("f-name", "Sportello di Tivoli, piazza Garibaldi")
        .await;
    browser.fill("f-hours-MONDAY", "09:00-12:00").await;
    browser.fill("f-hours-WEDNESDAY", "nove").await;
    browser.fill("f-phones", "0774 301234").await;
    browser.follow("#schedule-site").await;
    // Hours not written as hours: the refusal beside the day, in Italian.
    assert!(browser
        .text("#e-hours-WEDNESDAY")
        .await
        .contains("09:00-12:00"));
    check_page(&browser, "sedi-errore").await;
    browser.fill("f-hours-WEDNESDAY", "15:00-17:00").await;
    browser.follow("#schedule-site").await;
    assert_eq!(
        browser.path().await,
        "/sedi",
        "{}",
        browser.page_text().await
    );
    let sites = browser.text("#sites").await;
    assert!(
        sites.contains("tivoli-1")
            && sites.contains("lunedì 09:00–12:00")
            && sites.contains("0774 301234"),
        "{sites}"
    );

    browser.follow("a[href='/servizi']").await;
    check_page(&browser, "servizi").await;
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%d/%m/%Y")
        .to_string();
    browser.fill("f-name", "Centro di accoglienza Tivoli").await;
    browser.fill("f-address", "via Roma 3, Tivoli").await;
    browser.fill("f-openingHours", "lun-ven 9-17").await;
    browser.fill("f-languages", "uk, ru").await;
    browser
        .fill("f-accessRules", "su invio dello sportello")
        .await;
    browser.fill("f-receptionPlaces", "4").await;
    browser.click("label[for=f-health]").await;
    browser.fill("f-verifiedOn", &yesterday).await;
    browser.follow("#map-service").await;
    assert_eq!(
        browser.path().await,
        "/servizi",
        "{}",
        browser.page_text().await
    );
    let services = browser.text("#services").await;
    assert!(
        services.contains("Centro di accoglienza Tivoli")
            && services.contains("4 posti di accoglienza")
            && services.contains("Cure sanitarie"),
        "{services}"
    );
    browser.close().await;
}
