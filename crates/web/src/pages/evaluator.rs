//! The evaluator's pages: the signed checkpoints and the installation's public key, to check a
//! bundle offline (`impact bundle verify`); the period as known at a date and its bundle
//! (`period.rs`).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::Role;
use serde_json::json;

use super::{ask, failed, page, require, Ctx};
use crate::Web;

pub mod period;

pub async fn checkpoints(State(web): State<Web>, headers: HeaderMap) -> Response {
    let ctx = Ctx::of(&web, &headers);
    let account = match require(&web, &ctx, &[Role::Evaluator, Role::Supervisor]) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let outcome = ask(
        &web,
        &account,
        "{ publicKey { hex fingerprint origin }
           checkpoints { position treeSize root signedAt note recordedBy } }",
        json!({}),
    )
    .await;
    let data = match outcome {
        Ok(data) => data,
        Err(refusals) => return failed(&web, &ctx, &refusals),
    };
    let mut checkpoints = data["checkpoints"].as_array().cloned().unwrap_or_default();
    checkpoints.reverse();
    page(
        &web,
        &ctx,
        StatusCode::OK,
        "checkpoints.html",
        minijinja::context! {
            key => minijinja::Value::from_serialize(&data["publicKey"]),
            checkpoints => minijinja::Value::from_serialize(&checkpoints),
        },
    )
}
