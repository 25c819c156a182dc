//! The Merkle tree, signed checkpoints and proofs: what an outsider checks the journal with
//! (docs/VERIFYING.md). Proof objects have the field names `impact proof verify` reads.

use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use desk::journal::Position;
use desk::{ConsistencyProofView, Desk, InclusionProofView, RecordedCheckpoint};

use crate::access::{self, Allow};
use crate::error;
use crate::mutations::parse_ulid;

/// The installation's Ed25519 key, whose private half signs checkpoints.
#[derive(SimpleObject)]
pub struct PublicKeyNode {
    /// The public key, 64 hex digits (what `impact key show` prints).
    pub hex: String,
    /// The first 8 bytes of blake3(public key), hex.
    pub fingerprint: String,
    /// The origin line of this installation's checkpoints: `impact-journal/<fingerprint>`.
    pub origin: String,
}

/// A signed checkpoint recorded in the journal.
#[derive(SimpleObject)]
#[graphql(name = "Checkpoint")]
pub struct CheckpointNode {
    /// Where the CheckpointSigned event is (after the tree size it signs).
    pub position: u64,
    pub event_id: ID,
    /// The number of events the signed tree holds (positions 1 to treeSize).
    pub tree_size: u64,
    /// The root, hex.
    pub root: String,
    pub signed_at: DateTime<Utc>,
    /// The Ed25519 signature, base64.
    pub signature: String,
    /// The note to print or mail: the exact signed text and the signature line.
    pub note: String,
    pub recorded_by: String,
}

impl TryFrom<RecordedCheckpoint> for CheckpointNode {
    type Error = async_graphql::Error;

    /// A signed time outside the calendar is an error naming the position, never 1970.
    fn try_from(c: RecordedCheckpoint) -> Result<Self> {
        let checkpoint = &c.signed.checkpoint;
        let signed_at = DateTime::from_timestamp(checkpoint.time.0, 0).ok_or_else(|| {
            crate::error::internal(format!(
                "the checkpoint at position {} has a signed time outside the calendar",
                c.position.0
            ))
        })?;
        Ok(CheckpointNode {
            position: c.position.0,
            event_id: ID(c.event_id.to_string()),
            tree_size: checkpoint.tree_size.0,
            root: checkpoint.root.to_hex(),
            signed_at,
            signature: c.signed.signature_base64(),
            note: c.note(),
            recorded_by: c.recorded_by,
        })
    }
}

/// The Merkle tree as of the head.
#[derive(SimpleObject)]
pub struct TreeHeadNode {
    pub size: u64,
    /// The root, hex.
    pub root: String,
}

/// The proof that an event is in the tree of a size (RFC 9162 §2.1.3, blake3).
#[derive(SimpleObject)]
#[graphql(name = "InclusionProof")]
pub struct InclusionProofNode {
    pub event_id: Option<ID>,
    pub position: u64,
    /// position - 1.
    pub leaf_index: u64,
    pub tree_size: u64,
    /// The event's hash (hex): the leaf data.
    pub event_hash: String,
    /// Hex hashes from the leaf's sibling up to the root's other child.
    pub path: Vec<String>,
    /// The root of treeSize as the server computes it: compare with a signed checkpoint.
    pub root: Option<String>,
}

impl From<InclusionProofView> for InclusionProofNode {
    fn from(v: InclusionProofView) -> Self {
        InclusionProofNode {
            event_id: v.event_id.map(ID),
            position: v.position,
            leaf_index: v.leaf_index.unwrap_or(v.position.saturating_sub(1)),
            tree_size: v.tree_size,
            event_hash: v.event_hash,
            path: v.path,
            root: v.root,
        }
    }
}

/// The proof that the tree of toSize extends the tree of fromSize (RFC 9162 §2.1.4).
#[derive(SimpleObject)]
#[graphql(name = "ConsistencyProof")]
pub struct ConsistencyProofNode {
    pub from_size: u64,
    pub to_size: u64,
    pub path: Vec<String>,
    /// The roots as the server computes them: compare with signed checkpoints.
    pub from_root: Option<String>,
    pub to_root: Option<String>,
}

impl From<ConsistencyProofView> for ConsistencyProofNode {
    fn from(v: ConsistencyProofView) -> Self {
        ConsistencyProofNode {
            from_size: v.from_size,
            to_size: v.to_size,
            path: v.path,
            from_root: v.from_root,
            to_root: v.to_root,
        }
    }
}

#[derive(Default)]
pub struct ProofQuery;

#[Object]
impl ProofQuery {
    /// The installation's public key: what checkpoints are checked with.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn public_key(&self, ctx: &Context<'_>) -> Result<PublicKeyNode> {
        let key = ctx.data::<Desk>()?.public_key();
        Ok(PublicKeyNode {
            hex: key.to_hex(),
            fingerprint: key.fingerprint(),
            origin: key.origin(),
        })
    }

    /// The Merkle tree's size and root as of the head.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn tree(&self, ctx: &Context<'_>) -> Result<TreeHeadNode> {
        let (size, root) = ctx.data::<Desk>()?.journal().tree_head();
        Ok(TreeHeadNode {
            size: size.0,
            root: root.to_hex(),
        })
    }

    /// Every signed checkpoint, oldest first.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn checkpoints(&self, ctx: &Context<'_>) -> Result<Vec<CheckpointNode>> {
        let desk = ctx.data::<Desk>()?.clone();
        let list = tokio::task::spawn_blocking(move || desk.checkpoints())
            .await
            .map_err(error::internal)?
            .map_err(error::from_desk)?;
        list.into_iter().map(CheckpointNode::try_from).collect()
    }

    /// The proof that the event is in the tree of `treeSize` (default: the head).
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn inclusion_proof(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        tree_size: Option<u64>,
    ) -> Result<InclusionProofNode> {
        let id = parse_ulid("eventId", &event_id)?;
        let desk = ctx.data::<Desk>()?.clone();
        let position: Position = desk
            .journal()
            .position_of(id)
            .ok_or_else(|| error::not_found(format!("event {id}")))?;
        let view = tokio::task::spawn_blocking(move || desk.inclusion_proof(position, tree_size))
            .await
            .map_err(error::internal)?
            .map_err(error::from_desk)?;
        Ok(view.into())
    }

    /// The proof that the tree of `toSize` (default: the head) extends the tree of `fromSize`.
    #[graphql(guard = "Allow(access::EVERYONE)")]
    async fn consistency_proof(
        &self,
        ctx: &Context<'_>,
        from_size: u64,
        to_size: Option<u64>,
    ) -> Result<ConsistencyProofNode> {
        let desk = ctx.data::<Desk>()?.clone();
        let view = tokio::task::spawn_blocking(move || desk.consistency_proof(from_size, to_size))
            .await
            .map_err(error::internal)?
            .map_err(error::from_desk)?;
        Ok(view.into())
    }
}

#[cfg(test)]
mod tests {
    use desk::journal::merkle::checkpoint::{Checkpoint, SignedCheckpoint, Time};
    use desk::journal::merkle::{Hash, Root, TreeSize};

    use super::*;

    fn recorded(time: Time) -> RecordedCheckpoint {
        RecordedCheckpoint {
            position: Position(4),
            event_id: ulid::Ulid::from_parts(1, 4),
            recorded_by: "s.ferri".into(),
            signed: SignedCheckpoint {
                checkpoint: Checkpoint {
                    origin: "impact-journal/0011223344556677".into(),
                    tree_size: TreeSize(3),
                    root: Root(Hash([7; 32])),
                    time,
                },
                signature: [0; 64],
            },
        }
    }

    #[test]
    fn a_signed_time_outside_the_calendar_is_an_error_not_1970() {
        let node = CheckpointNode::try_from(recorded(Time(1_717_000_000))).unwrap();
        assert_eq!(node.signed_at.timestamp(), 1_717_000_000);
        assert_eq!((node.position, node.tree_size), (4, 3));
        let error = CheckpointNode::try_from(recorded(Time(i64::MAX)))
            .err()
            .expect("an error");
        assert_eq!(
            error.extensions.as_ref().and_then(|e| e.get("code")),
            Some(&async_graphql::Value::from(crate::error::INTERNAL))
        );
    }
}
