//! The admin's page: the accounts that sign in to the pages (create, disable, new password).
//! Accounts are not facts of the desk's work and not part of the GraphQL schema; this page and
//! `impact account` are their only writers (`docs/adr/0008-pages.md`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use domain::{Role, SiteId};

use super::{csrf_ok, page, refused, require, Ctx};
use crate::forms::{Fields, FormErrors};
use crate::Web;

fn show(web: &Web, ctx: &Ctx, status: StatusCode, extra: minijinja::Value) -> Response {
    let accounts = web.accounts.list().unwrap_or_default();
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    page(
        web,
        ctx,
        status,
        "accounts.html",
        minijinja::context! {
            accounts => minijinja::Value::from_serialize(&accounts),
            roles,
            ..extra
        },
    )
}

pub async fn accounts(State(web): State<Web>, headers: HeaderMap) -> Response {
    let ctx = Ctx::of(&web, &headers);
    if let Err(response) = require(&web, &ctx, &[Role::Admin]) {
        return *response;
    }
    show(&web, &ctx, StatusCode::OK, minijinja::context! {})
}

/// `POST /account`: `action` is `create`, `disable` or `reset`.
pub async fn change(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let ctx = Ctx::of(&web, &headers);
    if let Err(response) = require(&web, &ctx, &[Role::Admin]) {
        return *response;
    }
    let fields = Fields::parse(&body);
    if !csrf_ok(&ctx, fields.get("csrf")) {
        return refused(&web, &ctx, StatusCode::FORBIDDEN, "refused-csrf");
    }
    let now = Utc::now();
    let user = fields.get("user");
    let outcome = match fields.get("action") {
        "create" => {
            let role = Role::ALL
                .iter()
                .copied()
                .find(|r| r.as_str() == fields.get("role"));
            let site = Some(fields.get("site"))
                .filter(|s| !s.is_empty())
                .map(SiteId::new);
            match role {
                Some(role) => web
                    .accounts
                    .create(user, role, site, now)
                    .map(|(_, p)| Some(p)),
                None => Err(crate::AccountError::Invalid("role".into())),
            }
        }
        "disable" => web.accounts.disable(user, now).map(|_| None),
        "reset" => web.accounts.reset(user, now).map(Some),
        _ => return refused(&web, &ctx, StatusCode::BAD_REQUEST, "refused-not-found"),
    };
    match outcome {
        Ok(password) => {
            if fields.get("action") != "create" {
                web.sign_ins.end_all_of(user);
            }
            tracing::info!(
                action = fields.get("action"),
                "an account was changed from the admin page"
            );
            show(
                &web,
                &ctx,
                StatusCode::OK,
                minijinja::context! {
                    done_user => user,
                    password => password.map(|p| p.0),
                },
            )
        }
        Err(error) => {
            let mut errors = FormErrors::default();
            let key = match error {
                crate::AccountError::Invalid(_) => "account-invalid",
                crate::AccountError::Unknown(_) => "account-unknown",
                _ => "refusal-other",
            };
            errors.field("user", web.catalogues.text(ctx.lang, key, &[]));
            show(
                &web,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                minijinja::context! {
                    errors => minijinja::Value::from_serialize(&errors),
                    form => minijinja::Value::from_serialize(fields.to_value()),
                },
            )
        }
    }
}
