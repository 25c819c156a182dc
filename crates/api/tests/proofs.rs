//! Checkpoints and proofs over GraphQL, checked the way an outsider would: with the `merkle`
//! crate's verifiers, the public key and the signed note only.

use std::io::BufReader;

use api::{ApiConfig, AppState, Principal};
use async_graphql::{Request, Variables};
use desk::journal::merkle::checkpoint::{PublicKey, SignedCheckpoint};
use desk::journal::merkle::{
    leaf_hash, ConsistencyProof, Hash, InclusionProof, LeafIndex, TreeSize,
};
use domain::{Actor, Role};
use serde_json::{json, Value};

#[path = "../../../fixtures/fixture.rs"]
mod fixture;
use fixture::{FIXTURE, FIXTURE_EVENTS};

async fn state() -> (tempfile::TempDir, AppState) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let desk = desk::Desk::open(&data, desk::DeskOptions::default()).unwrap();
    desk.import(BufReader::new(FIXTURE.as_bytes()))
        .await
        .unwrap();
    let security = api::Security::open(&data).unwrap();
    (dir, AppState::new(desk, ApiConfig::default(), security))
}

async fn run(state: &AppState, actor: Option<Actor>, query: &str, vars: Value) -> Value {
    let mut request = Request::new(query).variables(Variables::from_json(vars));
    if let Some(actor) = actor {
        let site = (actor.role == Role::Mediator).then(|| domain::SiteId::new("montelucci-4"));
        request = request.data(Principal::new(actor, site));
    }
    serde_json::to_value(state.schema.execute(request).await).unwrap()
}

/// Evaluators check proofs: the tree and its proofs are open to every role.
fn evaluator() -> Actor {
    Actor::new("e.verdi", Role::Evaluator)
}

fn hashes(value: &Value) -> Vec<Hash> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Hash::from_hex(h.as_str().unwrap()).unwrap())
        .collect()
}

const SIGN: &str = "mutation { signCheckpoint { position treeSize root signedAt note eventId } }";

#[tokio::test]
async fn checkpoints_and_proofs_verify_with_the_public_key_alone() {
    let (_dir, state) = state().await;
    let supervisor = Actor::new("s.ferri", Role::Supervisor);
    let key = run(
        &state,
        Some(evaluator()),
        "{ publicKey { hex fingerprint origin } }",
        json!({}),
    )
    .await;
    let key = PublicKey::parse(key["data"]["publicKey"]["hex"].as_str().unwrap()).unwrap();

    let first = run(&state, Some(supervisor.clone()), SIGN, json!({})).await;
    let first = &first["data"]["signCheckpoint"];
    assert_eq!(first["treeSize"], FIXTURE_EVENTS);
    assert_eq!(first["position"], FIXTURE_EVENTS + 1);
    let first_note = SignedCheckpoint::parse(first["note"].as_str().unwrap()).unwrap();
    first_note.verify(&key).unwrap();

    // An inclusion proof of an event, against the signed tree.
    // (The audit trail is a supervisor's; its ids and hashes are what an evaluator is given.)
    let event_id = run(
        &state,
        Some(supervisor.clone()),
        "{ auditTrail(first: 5) { edges { node { id hash } } } }",
        json!({}),
    )
    .await;
    let node = &event_id["data"]["auditTrail"]["edges"][4]["node"];
    let proof = run(
        &state,
        Some(evaluator()),
        "query($id: ID!, $size: Int!) { inclusionProof(eventId: $id, treeSize: $size) { position leafIndex treeSize eventHash path root } }",
        json!({"id": node["id"], "size": FIXTURE_EVENTS}),
    )
    .await;
    let proof = &proof["data"]["inclusionProof"];
    assert_eq!(proof["position"], 5);
    assert_eq!(proof["eventHash"], node["hash"]);
    let inclusion = InclusionProof {
        leaf_index: LeafIndex(4),
        tree_size: TreeSize(FIXTURE_EVENTS),
        path: hashes(&proof["path"]),
    };
    let leaf = leaf_hash(&Hash::from_hex(node["hash"].as_str().unwrap()).unwrap().0);
    inclusion
        .verify(&leaf, &first_note.checkpoint.root)
        .unwrap();

    // A second checkpoint, and the consistency proof between the two.
    let second = run(&state, Some(supervisor.clone()), SIGN, json!({})).await;
    let second =
        SignedCheckpoint::parse(second["data"]["signCheckpoint"]["note"].as_str().unwrap())
            .unwrap();
    assert_eq!(second.checkpoint.tree_size, TreeSize(FIXTURE_EVENTS + 1));
    let consistency = run(
        &state,
        Some(evaluator()),
        "query($from: Int!, $to: Int!) { consistencyProof(fromSize: $from, toSize: $to) { fromSize toSize path fromRoot toRoot } }",
        json!({"from": FIXTURE_EVENTS, "to": FIXTURE_EVENTS + 1}),
    )
    .await;
    let consistency = &consistency["data"]["consistencyProof"];
    ConsistencyProof {
        from: TreeSize(FIXTURE_EVENTS),
        to: TreeSize(FIXTURE_EVENTS + 1),
        path: hashes(&consistency["path"]),
    }
    .verify(&first_note.checkpoint.root, &second.checkpoint.root)
    .unwrap();

    let listed = run(
        &state,
        Some(evaluator()),
        "{ checkpoints { treeSize position note recordedBy } tree { size root } }",
        json!({}),
    )
    .await;
    let listed = &listed["data"];
    assert_eq!(listed["checkpoints"].as_array().unwrap().len(), 2);
    assert_eq!(listed["checkpoints"][1]["treeSize"], FIXTURE_EVENTS + 1);
    assert_eq!(listed["checkpoints"][0]["recordedBy"], "s.ferri");
    assert_eq!(listed["tree"]["size"], FIXTURE_EVENTS + 2);
}

#[tokio::test]
async fn bad_requests_and_roles_get_their_codes() {
    let (_dir, state) = state().await;
    let code = |response: &Value| {
        response["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let mediator = Actor::new("m.rossi", Role::Mediator);
    assert_eq!(
        code(&run(&state, Some(mediator), SIGN, json!({})).await),
        "FORBIDDEN"
    );
    assert_eq!(
        code(&run(&state, None, SIGN, json!({})).await),
        "UNAUTHENTICATED"
    );
    let beyond = run(
        &state,
        Some(evaluator()),
        "{ consistencyProof(fromSize: 5, toSize: 500) { path } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&beyond), "BAD_INPUT");
    let backwards = run(
        &state,
        Some(evaluator()),
        "{ consistencyProof(fromSize: 50, toSize: 5) { path } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&backwards), "BAD_INPUT");
    let unknown = run(
        &state,
        Some(evaluator()),
        "{ inclusionProof(eventId: \"01J00000000000000000000000\") { path } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&unknown), "NOT_FOUND");
    let malformed = run(
        &state,
        Some(evaluator()),
        "{ inclusionProof(eventId: \"nope\") { path } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&malformed), "BAD_INPUT");
}
