//! The desk's failures: [`DeskError`].

use journal::Position;

/// Failures: the command may or may not have been recorded only for `Journal` errors that
/// happened during the append (retry with the same event id to find out).
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The journal failed (IO, corruption, closed). Stop and check the data directory.
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
    /// An event in the journal cannot be read by this build. Upgrade, or verify the journal.
    #[error("event at position {position} cannot be read: {source}")]
    Undecodable {
        position: Position,
        #[source]
        source: domain::DecodeError,
    },
    /// The envelope of the event at this position names a role this build does not know: a
    /// newer writer, or a damaged record (verify the journal).
    #[error("event at position {position} names an unknown role {role:?}")]
    UnknownRole { position: Position, role: String },
    /// The `recorded_at` of the event at this position is outside the calendar (microseconds
    /// since the epoch as stored): a damaged record; verify the journal.
    #[error("event at position {position} has an unreadable recorded_at ({micros} µs)")]
    UnreadableRecordedAt { position: Position, micros: i64 },
    /// The read audit cannot record or index a read: the read must not be answered.
    #[error("read audit at position {position}: {reason}")]
    ReadAudit { position: Position, reason: String },
    /// The installation key file cannot be read or written. Check the data directory's
    /// permissions; never delete the file (checkpoints signed with it could no longer be
    /// told from forgeries by a new key's holder).
    #[error("cannot use the checkpoint key file {path}: {source}")]
    KeyFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The key file does not hold a key (64 hex digits). Restore it from the backup.
    #[error("the checkpoint key file {path} does not hold a key")]
    BadKeyFile { path: std::path::PathBuf },
    /// The key file's secret is not the key of the public key written beside it: the file was
    /// damaged. Restore it from the backup.
    #[error(
        "the checkpoint key file {path} is damaged: its secret is not the key of the public key \
         written beside it; restore it from the backup"
    )]
    KeyFileMismatch { path: std::path::PathBuf },
    /// The key file is not the key the journal's checkpoints were signed with. Restore it from
    /// the backup; never make a new one while those checkpoints exist.
    #[error(
        "the checkpoint key file {path} holds another key than {public_key}, which signed the \
         checkpoint at position {position}; put that key file here (from the backup, or from \
         the installation the journal was imported from)"
    )]
    KeyFileNotTheJournals {
        path: std::path::PathBuf,
        position: Position,
        public_key: String,
    },
    /// The key store does not account for a person the journal seals values of, or a key reads
    /// as destroyed without an erasure in the journal: damage, never an erasure.
    #[error(
        "the key store person-keys is damaged: {what}; restore it from the backup taken with \
         this journal (impact restore; see docs/VERIFYING.md)"
    )]
    KeyStoreDamaged {
        position: Option<Position>,
        what: String,
    },
    /// A snapshot of the models could not be written or deleted (`docs/adr/0014-snapshots.md`):
    /// nothing is lost (it is derived data); check the disk. While one that an erasure should
    /// have deleted is left, delete `models.snapshot` in the data directory by hand.
    #[error("the models' snapshot: {what}")]
    Snapshot { what: String },
    /// The projector stopped (the journal closed or failed).
    #[error("the read models stopped following the journal")]
    ProjectorStopped,
    /// A thread of the replay at open panicked (a bug): the models are not complete.
    #[error("the replay's {name} thread panicked")]
    ReplayThread { name: &'static str },
    /// The key store failed (master key missing or wrong, a damaged slot, IO). Nothing was
    /// recorded if this came from a command; check the master key file and the data directory.
    #[error(transparent)]
    Vault(#[from] vault::VaultError),
    /// A sealed value of the event at this position does not open with its person's key.
    #[error("event at position {position}: {source}")]
    Sealed {
        position: Position,
        #[source]
        source: vault::VaultError,
    },
}

impl DeskError {
    /// True when the disk is full (the journal's or the key store's): nothing was recorded, and
    /// the same request can be sent again once there is space.
    pub fn is_disk_full(&self) -> bool {
        match self {
            DeskError::Journal(error) => error.is_disk_full(),
            DeskError::Vault(vault::VaultError::Io { source, .. }) => {
                source.kind() == std::io::ErrorKind::StorageFull
                    || source.kind() == std::io::ErrorKind::QuotaExceeded
            }
            _ => false,
        }
    }
}
