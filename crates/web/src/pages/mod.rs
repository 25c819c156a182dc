//! The routes of the pages, what every page shares (the signed-in account, the language, the
//! menu), and one file per role. A new page is a handler here, a template, its catalogue
//! messages, and its line in [`menu`].

mod admin;
mod evaluator;
mod mediator;
mod signin;
mod supervisor;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use domain::Role;
use minijinja::Value;
use serde::Serialize;

use crate::accounts::Account;
use crate::door::{self, Outcome};
use crate::i18n::Lang;
use crate::signin::{SignIn, COOKIE};
use crate::Web;

/// The language cookie the switch sets.
const LANG_COOKIE: &str = "impact_lang";

pub fn routes(web: Web) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/accedi", get(signin::form).post(signin::submit))
        .route("/esci", post(signin::sign_out))
        .route("/lingua", post(signin::language))
        .route("/risorse/{file}", get(crate::assets::asset))
        .route("/oggi", get(mediator::today))
        .route("/persone/cerca", post(mediator::search))
        .route(
            "/persone/nuova",
            get(mediator::new_person).post(mediator::register_person),
        )
        .route("/persone/{id}", get(mediator::person))
        .route(
            "/persone/{id}/colloquio",
            get(mediator::intake_form).post(mediator::record_intake),
        )
        .route(
            "/diario/nuovo",
            get(mediator::diary_form).post(mediator::write_diary),
        )
        // The mediator's forms of a person's services, the agenda and the site's diaries.
        .route(
            "/persone/{id}/intervento",
            get(mediator::intervention_form).post(mediator::record_intervention),
        )
        .route(
            "/persone/{id}/invio",
            get(mediator::referral_form).post(mediator::issue_referral),
        )
        .route(
            "/invii/{id}/esito",
            get(mediator::outcome_form).post(mediator::record_outcome),
        )
        .route(
            "/mediazioni/nuova",
            get(mediator::mediation_form).post(mediator::request_mediation),
        )
        .route(
            "/mediazioni/{id}/sessione",
            get(mediator::session_form).post(mediator::record_session),
        )
        .route(
            "/persone/{id}/appuntamento",
            get(mediator::appointment_form).post(mediator::book_appointment),
        )
        .route("/appuntamenti/{id}/esito", post(mediator::mark_appointment))
        .route(
            "/persone/{id}/gradimento",
            get(mediator::survey_form).post(mediator::record_survey),
        )
        .route("/sede/diari", get(mediator::diaries))
        .route("/mese", get(supervisor::month))
        .route("/registro", get(supervisor::trail))
        .route(
            "/letture",
            get(supervisor::reads_form).post(supervisor::reads),
        )
        .route("/verifica", get(evaluator::checkpoints))
        .route("/account", get(admin::accounts).post(admin::change))
        .merge(review_routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::map_response(
            |response: Response| async move { crate::render::secure_headers(response) },
        ))
        .with_state(web)
}

/// The supervisor's, the evaluator's and the admin's pages beyond the first ones: the diaries
/// and their comments, erasure, the period as known at a date and its bundle, sites and the
/// service directory.
fn review_routes() -> Router<Web> {
    Router::new()
        .route("/diari", get(supervisor::diaries::diaries))
        .route("/diari/commento", post(supervisor::diaries::comment))
        .route(
            "/cancella",
            get(supervisor::erase::form).post(supervisor::erase::submit),
        )
        .route("/periodo", get(evaluator::period::period))
        .route("/pacchetto", get(evaluator::period::bundle))
        .route(
            "/sedi",
            get(admin::directory::sites).post(admin::directory::change_site),
        )
        .route(
            "/servizi",
            get(admin::directory::services).post(admin::directory::map_service),
        )
}

/// The request as every page sees it.
pub struct Ctx {
    pub lang: Lang,
    /// The cookie's value, to end the sign-in.
    pub cookie: Option<String>,
    pub signed_in: Option<(SignIn, Account)>,
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then_some(value)
        })
}

impl Ctx {
    pub fn of(web: &Web, headers: &HeaderMap) -> Ctx {
        let lang = Lang::negotiate(
            cookie(headers, LANG_COOKIE),
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        );
        let cookie = cookie(headers, COOKIE).map(str::to_owned);
        let signed_in = cookie.as_deref().and_then(|cookie| {
            let sign_in = web.sign_ins.get(cookie, Utc::now())?;
            match web.accounts.get(&sign_in.user) {
                Some(account) if account.disabled_at.is_none() => Some((sign_in, account)),
                _ => {
                    web.sign_ins.end(cookie);
                    None
                }
            }
        });
        Ctx {
            lang,
            cookie,
            signed_in,
        }
    }

    pub fn account(&self) -> Option<&Account> {
        self.signed_in.as_ref().map(|(_, account)| account)
    }
}

/// The signed-in account of a page for `roles`, or the answer to send instead: the sign-in
/// page for nobody, a refusal for another role (boxed: a response is large).
pub fn require(web: &Web, ctx: &Ctx, roles: &[Role]) -> Result<Account, Box<Response>> {
    match ctx.account() {
        None => Err(Box::new(Redirect::to("/accedi").into_response())),
        Some(account) if roles.contains(&account.role) => Ok(account.clone()),
        Some(_) => Err(Box::new(refused(
            web,
            ctx,
            StatusCode::FORBIDDEN,
            "refused-role",
        ))),
    }
}

/// Checks a form's CSRF token against the sign-in's.
pub fn csrf_ok(ctx: &Ctx, sent: &str) -> bool {
    ctx.signed_in
        .as_ref()
        .is_some_and(|(sign_in, _)| crate::signin::same_secret(&sign_in.csrf, sent))
}

#[derive(Serialize)]
struct MenuItem {
    href: &'static str,
    key: &'static str,
}

/// The menu of a role: the pages that exist for it.
fn menu(role: Role) -> Vec<MenuItem> {
    let item = |href, key| MenuItem { href, key };
    match role {
        Role::Mediator => vec![
            item("/oggi", "menu-today"),
            item("/persone/nuova", "menu-person-new"),
            item("/diario/nuovo", "menu-diary"),
            item("/sede/diari", "menu-site-diaries"),
        ],
        Role::Supervisor => vec![
            item("/mese", "menu-month"),
            item("/diari", "menu-diaries"),
            item("/registro", "menu-trail"),
            item("/letture", "menu-reads"),
            item("/cancella", "menu-erase"),
        ],
        Role::Evaluator => vec![
            item("/verifica", "menu-checkpoints"),
            item("/periodo", "menu-period"),
        ],
        Role::Admin => vec![
            item("/account", "menu-accounts"),
            item("/sedi", "menu-sites"),
            item("/servizi", "menu-services"),
        ],
    }
}

/// A page with the header, the menu and the sign-in's CSRF token.
pub fn page(web: &Web, ctx: &Ctx, status: StatusCode, name: &str, context: Value) -> Response {
    let (user, csrf, menu) = match &ctx.signed_in {
        Some((sign_in, account)) => (
            Some(minijinja::context! {
                name => account.user,
                role => account.role.as_str(),
                site => account.site.as_ref().map(|s| s.as_str().to_owned()),
            }),
            Some(sign_in.csrf.clone()),
            menu(account.role),
        ),
        None => (None, None, Vec::new()),
    };
    let context = minijinja::context! { user, csrf, menu, ..context };
    match web.templates.render(ctx.lang, name, context) {
        Ok(body) => crate::render::html(status, body),
        Err(error) => {
            // The template's name and minijinja's reason, never the data.
            tracing::error!(template = name, kind = ?error.kind(), "a page did not render");
            let title = web.catalogues.text(ctx.lang, "refused-failed-title", &[]);
            let text = web.catalogues.text(ctx.lang, "refused-failed", &[]);
            crate::render::html(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
                     <body><main><h1>{title}</h1><p>{text}</p><p><a href=\"/\">/</a></p></main></body></html>",
                    ctx.lang.code()
                ),
            )
        }
    }
}

/// A refusal page (no such page, not for this role, a person of another site).
pub fn refused(web: &Web, ctx: &Ctx, status: StatusCode, key: &str) -> Response {
    page(
        web,
        ctx,
        status,
        "refused.html",
        minijinja::context! { reason => key },
    )
}

/// Runs an operation as the signed-in account.
pub async fn ask(
    web: &Web,
    account: &Account,
    query: &str,
    variables: serde_json::Value,
) -> Outcome {
    door::run(&web.api, &account.principal(), query, variables).await
}

/// A page that shows what an operation could not read: the API's refusal, in the language.
pub fn failed(web: &Web, ctx: &Ctx, refusals: &[door::Refusal]) -> Response {
    let forbidden = refusals.iter().any(|r| r.code == "FORBIDDEN");
    if forbidden {
        refused(web, ctx, StatusCode::FORBIDDEN, "refused-role")
    } else {
        refused(
            web,
            ctx,
            StatusCode::INTERNAL_SERVER_ERROR,
            "refused-failed",
        )
    }
}

/// `/`: the sign-in page, or the home page of the account's role.
async fn home(
    axum::extract::State(web): axum::extract::State<Web>,
    headers: HeaderMap,
) -> Response {
    let ctx = Ctx::of(&web, &headers);
    match ctx.account().map(|a| a.role) {
        None => Redirect::to("/accedi").into_response(),
        Some(role) => Redirect::to(menu(role)[0].href).into_response(),
    }
}

async fn not_found(
    axum::extract::State(web): axum::extract::State<Web>,
    headers: HeaderMap,
) -> Response {
    let ctx = Ctx::of(&web, &headers);
    refused(&web, &ctx, StatusCode::NOT_FOUND, "refused-not-found")
}

/// A `Set-Cookie` value of the pages: `HttpOnly`, `SameSite=Strict`, `Secure` behind TLS.
pub fn set_cookie(web: &Web, name: &str, value: &str, max_age_seconds: Option<i64>) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age_seconds {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if web.secure_cookies {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("impact_invalid=1"))
}
