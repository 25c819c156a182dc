//! The admin's page: the accounts that sign in to the pages (create, disable, new password).
//! This page and `impact account` are the accounts file's only writers; each change is then
//! recorded in the journal through the GraphQL door as the admin who made it (`crate::staff`),
//! so the audit trail shows who was given which role and site (`docs/adr/0008-pages.md`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use domain::{Role, SiteId};

use super::{csrf_ok, page, refused, require, Ctx};
use crate::forms::{Fields, FormErrors};
use crate::Web;

pub mod directory;

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
    let admin = match require(&web, &ctx, &[Role::Admin]) {
        Ok(admin) => admin,
        Err(response) => return *response,
    };
    let by = Some(admin.user.as_str());
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
                    .create(user, role, site, now, by)
                    .map(|(_, p)| Some(p)),
                None => Err(crate::AccountError::Invalid("role".into())),
            }
        }
        "disable" => web.accounts.disable(user, now, by).map(|_| None),
        "reset" => web.accounts.reset(user, now, by).map(Some),
        _ => return refused(&web, &ctx, StatusCode::BAD_REQUEST, "refused-not-found"),
    };
    match outcome {
        Ok(password) => {
            if fields.get("action") != "create" {
                web.sign_ins.end_all_of(user);
            }
            // The change is a fact of the journal before the page says it is done.
            web.record_account_changes().await;
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
