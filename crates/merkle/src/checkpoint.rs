//! The signed checkpoint: a short text an outsider can print, mail and check years later.
//!
//! In the shape of a transparency-log checkpoint (C2SP `tlog-checkpoint`, a signed note):
//!
//! ```text
//! impact-journal/<fingerprint>\n       origin: the installation's key fingerprint (16 hex digits)
//! <tree size>\n                        decimal, no leading zeros
//! <root>\n                             base64 (standard, padded) of the 32-byte root
//! <time>\n                             RFC 3339 UTC to the second: 2024-05-31T18:00:00Z
//! \n
//! — <origin> <signature>\n             em dash, space, origin, space, base64 of the 64-byte
//!                                      Ed25519 signature over exactly the four body lines
//! ```
//!
//! The fingerprint is the first 8 bytes of blake3(public key), in hex. The public key is printed
//! as 64 hex digits (`impact key show`). Verification is strict Ed25519 (`verify_strict`).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ed25519_dalek::Signer;

use crate::{hex_encode, Hash, Root, TreeSize};

const ORIGIN_PREFIX: &str = "impact-journal/";
const SIGNATURE_DASH: &str = "\u{2014} ";

/// Why a checkpoint or key cannot be read or does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The text is not a checkpoint note; `line` counts from 1.
    #[error("checkpoint line {line}: {reason}")]
    Malformed { line: usize, reason: String },
    /// The key text is not an Ed25519 public key.
    #[error("not a public key: {0}")]
    BadKey(String),
    /// The checkpoint names another installation's key.
    #[error("the checkpoint is from {found}, but the public key given is {expected}'s")]
    OtherKey { expected: String, found: String },
    /// The signature does not match: the checkpoint was altered or not signed with this key.
    #[error("the checkpoint's signature does not verify with the public key: altered, or signed by another key")]
    BadSignature,
}

/// An installation's Ed25519 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(pub(crate) ed25519_dalek::VerifyingKey);

impl PublicKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, CheckpointError> {
        ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map(PublicKey)
            .map_err(|_| CheckpointError::BadKey("not a point of Ed25519".into()))
    }

    /// Reads 64 hex digits (what `impact key show` prints) or 44 characters of base64.
    pub fn parse(text: &str) -> Result<PublicKey, CheckpointError> {
        let text = text.trim();
        let bytes: [u8; 32] = if let Some(hash) = Hash::from_hex(text) {
            hash.0
        } else {
            let decoded = BASE64.decode(text).map_err(|_| {
                CheckpointError::BadKey("expected 64 hex digits or base64 of 32 bytes".into())
            })?;
            decoded
                .try_into()
                .map_err(|_| CheckpointError::BadKey("a public key has 32 bytes".into()))?
        };
        PublicKey::from_bytes(&bytes)
    }

    /// Checks that this key signed exactly `text` (a statement, `SigningKey::sign_statement`).
    pub fn verify_statement(&self, text: &str, signature: &[u8]) -> Result<(), CheckpointError> {
        let signature: [u8; 64] = signature
            .try_into()
            .map_err(|_| CheckpointError::BadSignature)?;
        if text.starts_with(ORIGIN_PREFIX) {
            return Err(CheckpointError::BadSignature);
        }
        self.0
            .verify_strict(
                text.as_bytes(),
                &ed25519_dalek::Signature::from_bytes(&signature),
            )
            .map_err(|_| CheckpointError::BadSignature)
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn to_hex(&self) -> String {
        hex_encode(self.0.as_bytes())
    }

    /// The first 8 bytes of blake3(public key), in hex.
    pub fn fingerprint(&self) -> String {
        hex_encode(&blake3::hash(self.0.as_bytes()).as_bytes()[..8])
    }

    /// The origin line of this key's checkpoints.
    pub fn origin(&self) -> String {
        format!("{ORIGIN_PREFIX}{}", self.fingerprint())
    }
}

/// An installation's Ed25519 signing key. `Debug` prints only the public half.
pub struct SigningKey(pub(crate) ed25519_dalek::SigningKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey(public {})", self.public().to_hex())
    }
}

impl SigningKey {
    /// From a 32-byte secret (fresh randomness, or the key file's content).
    pub fn from_secret(secret: &[u8; 32]) -> SigningKey {
        SigningKey(ed25519_dalek::SigningKey::from_bytes(secret))
    }

    /// The secret, to store in the key file.
    pub fn secret(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs another statement of this installation (a bundle's manifest), exactly its bytes.
    /// A statement names what it is on its first line; one that could read as a checkpoint
    /// (its first line begins `impact-journal/`) is never signed: `None`.
    pub fn sign_statement(&self, text: &str) -> Option<[u8; 64]> {
        (!text.starts_with(ORIGIN_PREFIX)).then(|| self.0.sign(text.as_bytes()).to_bytes())
    }

    /// Signs a checkpoint of this installation's tree.
    pub fn sign(&self, tree_size: TreeSize, root: Root, time: Time) -> SignedCheckpoint {
        let checkpoint = Checkpoint {
            origin: self.public().origin(),
            tree_size,
            root,
            time,
        };
        let signature = self.0.sign(checkpoint.body().as_bytes()).to_bytes();
        SignedCheckpoint {
            checkpoint,
            signature,
        }
    }
}

/// A checkpoint's time: seconds since 1970-01-01T00:00:00Z, printed as RFC 3339 UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time(pub i64);

impl Time {
    /// `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, years 0000-9999).
    pub fn to_rfc3339(self) -> String {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }

    /// Reads exactly the form [`Time::to_rfc3339`] writes.
    pub fn parse(text: &str) -> Option<Time> {
        let b = text.as_bytes();
        if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |from: usize, to: usize| -> Option<i64> {
            let part = text.get(from..to)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        let (h, mi, s) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
            return None;
        }
        let days = days_from_civil(y, mo, d);
        let time = Time(days * 86_400 + h * 3600 + mi * 60 + s);
        // Rejects dates such as 2023-02-30, which would not print back the same.
        (time.to_rfc3339() == text).then_some(time)
    }
}

// Howard Hinnant's civil calendar algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// What a checkpoint states: this installation's tree had this size and root at this time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub tree_size: TreeSize,
    pub root: Root,
    pub time: Time,
}

impl Checkpoint {
    /// The signed bytes: four lines, each ending in `\n`.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n",
            self.origin,
            self.tree_size.0,
            BASE64.encode(self.root.0 .0),
            self.time.to_rfc3339()
        )
    }
}

/// A checkpoint with its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub signature: [u8; 64],
}

impl SignedCheckpoint {
    /// The note: the body, an empty line, and the signature line.
    pub fn to_note(&self) -> String {
        format!(
            "{}\n{SIGNATURE_DASH}{} {}\n",
            self.checkpoint.body(),
            self.checkpoint.origin,
            BASE64.encode(self.signature)
        )
    }

    /// Reads a note as [`SignedCheckpoint::to_note`] writes it (a missing final newline, `\r\n`
    /// line ends and surrounding blank lines are tolerated: notes travel by mail).
    pub fn parse(text: &str) -> Result<SignedCheckpoint, CheckpointError> {
        let lines: Vec<&str> = text
            .trim_matches(|c| c == '\n' || c == '\r' || c == ' ')
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        let bad = |line: usize, reason: &str| CheckpointError::Malformed {
            line,
            reason: reason.to_string(),
        };
        if lines.len() != 6 {
            return Err(bad(
                lines.len().min(6),
                "a checkpoint has 4 lines, an empty line and a signature line",
            ));
        }
        let origin = lines[0];
        if !origin.starts_with(ORIGIN_PREFIX) {
            return Err(bad(1, "the origin must start with impact-journal/"));
        }
        let tree_size: u64 = lines[1]
            .parse()
            .ok()
            .filter(|n: &u64| n.to_string() == lines[1])
            .ok_or_else(|| bad(2, "the tree size must be a decimal number"))?;
        let root: [u8; 32] = BASE64
            .decode(lines[2])
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad(3, "the root must be base64 of 32 bytes"))?;
        let time = Time::parse(lines[3])
            .ok_or_else(|| bad(4, "the time must read like 2024-05-31T18:00:00Z"))?;
        if !lines[4].is_empty() {
            return Err(bad(5, "an empty line must follow the four lines"));
        }
        let signature_line = lines[5]
            .strip_prefix(SIGNATURE_DASH)
            .ok_or_else(|| bad(6, "the signature line starts with an em dash and a space"))?;
        let (name, signature) = signature_line
            .split_once(' ')
            .ok_or_else(|| bad(6, "the signature line is: — origin signature"))?;
        if name != origin {
            return Err(bad(6, "the signature line names another origin"));
        }
        let signature: [u8; 64] = BASE64
            .decode(signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad(6, "the signature must be base64 of 64 bytes"))?;
        Ok(SignedCheckpoint {
            checkpoint: Checkpoint {
                origin: origin.to_string(),
                tree_size: TreeSize(tree_size),
                root: Root(Hash(root)),
                time,
            },
            signature,
        })
    }

    /// Checks that `key` signed exactly this checkpoint.
    pub fn verify(&self, key: &PublicKey) -> Result<(), CheckpointError> {
        let expected = key.origin();
        if self.checkpoint.origin != expected {
            return Err(CheckpointError::OtherKey {
                expected,
                found: self.checkpoint.origin.clone(),
            });
        }
        let signature = ed25519_dalek::Signature::from_bytes(&self.signature);
        key.0
            .verify_strict(self.checkpoint.body().as_bytes(), &signature)
            .map_err(|_| CheckpointError::BadSignature)?;
        Ok(())
    }

    /// The signature in base64, as on the note's last line.
    pub fn signature_base64(&self) -> String {
        BASE64.encode(self.signature)
    }
}

/// Base64 (standard, padded), as the note writes the root and the signature.
pub fn base64_encode(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// Reads base64 (standard, padded).
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text).ok()
}
