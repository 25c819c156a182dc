//! Signing in and out, and the language switch.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;

use super::{page, set_cookie, Ctx, LANG_COOKIE};
use crate::forms::FormErrors;
use crate::signin::{Gate, COOKIE};
use crate::{time, Web};

pub async fn form(State(web): State<Web>, headers: HeaderMap) -> Response {
    let ctx = Ctx::of(&web, &headers);
    if ctx.account().is_some() {
        return Redirect::to("/").into_response();
    }
    show(&web, &ctx, StatusCode::OK, "", &FormErrors::default())
}

fn show(web: &Web, ctx: &Ctx, status: StatusCode, user: &str, errors: &FormErrors) -> Response {
    page(
        web,
        ctx,
        status,
        "signin.html",
        minijinja::context! { form_user => user, errors => minijinja::Value::from_serialize(errors) },
    )
}

#[derive(Deserialize)]
pub struct SignInForm {
    user: String,
    password: String,
}

pub async fn submit(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let user = form.user.trim().to_owned();
    let now = Utc::now();
    let mut errors = FormErrors::default();
    let text = |key: &str, args: &[(&str, String)]| web.catalogues.text(ctx.lang, key, args);
    if let Gate::LockedUntil(until) = web.sign_ins.gate(&user, now) {
        errors.general(text("signin-locked", &[("until", time::date_time(until))]));
        return show(&web, &ctx, StatusCode::TOO_MANY_REQUESTS, &user, &errors);
    }
    // Argon2 off the async threads, at most two at once: a flood of attempts queues here.
    let checked = {
        let Ok(_permit) = web.password_checks.acquire().await else {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        };
        let accounts = web.accounts.clone();
        let (user, password) = (user.clone(), form.password);
        tokio::task::spawn_blocking(move || accounts.check_password(&user, &password))
            .await
            .ok()
            .flatten()
    };
    let Some(account) = checked else {
        tracing::info!("a sign-in failed");
        match web.sign_ins.failed(&user, now) {
            Gate::LockedUntil(until) => {
                tracing::warn!("an account was locked after repeated failed sign-ins");
                errors.general(text("signin-locked", &[("until", time::date_time(until))]));
                return show(&web, &ctx, StatusCode::TOO_MANY_REQUESTS, &user, &errors);
            }
            Gate::Open => {
                errors.general(text("signin-wrong", &[]));
                return show(&web, &ctx, StatusCode::UNAUTHORIZED, &user, &errors);
            }
        }
    };
    let (cookie, _) = web.sign_ins.start(&account.user, now);
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&web, COOKIE, &cookie, None));
    response
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let ctx = Ctx::of(&web, &headers);
    if ctx.account().is_some() && !super::csrf_ok(&ctx, &form.csrf) {
        return super::refused(&web, &ctx, StatusCode::FORBIDDEN, "refused-csrf");
    }
    if let Some(cookie) = &ctx.cookie {
        web.sign_ins.end(cookie);
    }
    let mut response = Redirect::to("/accedi").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&web, COOKIE, "", Some(0)));
    response
}

#[derive(Deserialize)]
pub struct LanguageForm {
    lang: String,
}

/// The switch: remembers the language for a year (it is no personal data).
pub async fn language(State(web): State<Web>, Form(form): Form<LanguageForm>) -> Response {
    let lang = crate::i18n::Lang::from_code(&form.lang).unwrap_or(crate::i18n::Lang::It);
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&web, LANG_COOKIE, lang.code(), Some(365 * 24 * 3600)),
    );
    response
}
