//! Witness cosignatures, in the shape of C2SP `tlog-cosignature` (`cosignature/v1`): a witness
//! (another body, with its own Ed25519 key) states that it saw this checkpoint and that it
//! extends every earlier checkpoint of the same origin it saw (ADR 0012).
//!
//! ```text
//! — <witness name> base64(key id (4 bytes) ‖ time (8 bytes, big-endian seconds) ‖ signature (64 bytes))
//! ```
//!
//! The signed message is `cosignature/v1\ntime <seconds>\n` followed by the checkpoint's four
//! body lines (its origin, size, root and time, each ending in `\n`). The key id is the first 4
//! bytes of SHA-256(name ‖ `\n` ‖ 0x04 ‖ the 32-byte public key), as C2SP's signed note defines
//! it for cosignatures.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ed25519_dalek::Signer;
use sha2::{Digest, Sha256};

use crate::checkpoint::{Checkpoint, PublicKey, SigningKey};

const DASH: &str = "\u{2014} ";

/// The key id of a witness's name and key.
pub fn key_id(name: &str, key: &PublicKey) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n\x04");
    hasher.update(key.to_bytes());
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

fn message(checkpoint: &Checkpoint, time: u64) -> String {
    format!("cosignature/v1\ntime {time}\n{}", checkpoint.body())
}

/// The cosignature line of `checkpoint` by the witness `name` with `key`, at `time` (seconds
/// since 1970).
pub fn cosign(key: &SigningKey, name: &str, checkpoint: &Checkpoint, time: u64) -> String {
    let signature = key.sign_bytes(message(checkpoint, time).as_bytes());
    let mut blob = Vec::with_capacity(76);
    blob.extend_from_slice(&key_id(name, &key.public()));
    blob.extend_from_slice(&time.to_be_bytes());
    blob.extend_from_slice(&signature);
    format!("{DASH}{name} {}", BASE64.encode(blob))
}

/// Checks that `line` is a cosignature of `checkpoint` by the witness key `key`: its name and
/// key id, then the signature. The time it states, or why not.
pub fn verify_cosignature(
    line: &str,
    key: &PublicKey,
    checkpoint: &Checkpoint,
) -> Result<u64, String> {
    let rest = line
        .trim_end_matches(['\r', '\n'])
        .strip_prefix(DASH)
        .ok_or("a cosignature line begins with an em dash and a space")?;
    let (name, blob) = rest
        .rsplit_once(' ')
        .ok_or("a cosignature line is: \u{2014} name signature")?;
    let blob = BASE64
        .decode(blob)
        .map_err(|_| "the cosignature is not base64".to_string())?;
    if blob.len() != 76 {
        return Err(format!("the cosignature is {} bytes, not 76", blob.len()));
    }
    if blob[..4] != key_id(name, key) {
        return Err(format!(
            "the cosignature of {name} is not by the witness key given"
        ));
    }
    let mut time = [0u8; 8];
    time.copy_from_slice(&blob[4..12]);
    let time = u64::from_be_bytes(time);
    let mut signature = [0u8; 64];
    signature.copy_from_slice(&blob[12..]);
    if !key.verifies(message(checkpoint, time).as_bytes(), &signature) {
        return Err(format!(
            "the cosignature of {name} does not verify: altered, or of another checkpoint"
        ));
    }
    Ok(time)
}

impl SigningKey {
    /// Signs bytes as they are (only for the messages of this crate, whose first line says what
    /// they are).
    pub(crate) fn sign_bytes(&self, bytes: &[u8]) -> [u8; 64] {
        self.0.sign(bytes).to_bytes()
    }
}

impl PublicKey {
    pub(crate) fn verifies(&self, bytes: &[u8], signature: &[u8; 64]) -> bool {
        self.0
            .verify_strict(bytes, &ed25519_dalek::Signature::from_bytes(signature))
            .is_ok()
    }
}
