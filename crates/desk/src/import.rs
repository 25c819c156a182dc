//! Imports: commands, one [`domain::ImportLine`] a line, through the same rules as the API
//! ([`Desk::import`]), and exports, record by record, continuing the chain exactly
//! ([`Desk::import_export`]).

use std::io::BufRead;

use journal::RecordedEvent;
use serde::Serialize;

use crate::execute::describe_refusal;
use crate::sealing::{decode, is_sealed, sealed_persons};
use crate::{Desk, DeskError};

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub lines: usize,
    pub recorded: usize,
    pub already_recorded: usize,
}

/// Why an import stopped: the line (1-based) and the reason. Lines before it stay imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("line {line}: {reason}")]
    Line {
        line: usize,
        reason: String,
        report: ImportReport,
    },
    #[error("cannot read the import file: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Desk(#[from] DeskError),
}

impl Desk {
    /// Imports commands, one JSON [`domain::ImportLine`] a line, through the same rules as the
    /// API. Stops at the first bad line, naming it; lines before it stay recorded, and importing
    /// the mended file again records nothing twice (event ids make it idempotent).
    pub async fn import(&self, reader: impl BufRead) -> Result<ImportReport, ImportError> {
        let mut report = ImportReport::default();
        for (index, line) in reader.lines().enumerate() {
            let number = index + 1;
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let stop = |reason: String, report: &ImportReport| ImportError::Line {
                line: number,
                reason,
                report: report.clone(),
            };
            let parsed: domain::ImportLine = serde_json::from_str(&line)
                .map_err(|e| stop(format!("not a command: {e}"), &report))?;
            report.lines += 1;
            match self
                .execute_outer(&parsed.actor, &parsed.command, Some(parsed.event_id), None)
                .await?
            {
                Ok(recorded) if recorded.already_recorded => report.already_recorded += 1,
                Ok(_) => report.recorded += 1,
                Err(refused) => {
                    report.lines -= 1;
                    return Err(stop(describe_refusal(&refused), &report));
                }
            }
        }
        Ok(report)
    }
}

/// How many exported records are written at a time.
const IMPORT_CHUNK: usize = 4096;

impl Desk {
    /// Imports an export (`impact export`: one JSON object a line, with the stored bytes in
    /// `record`) so that the same chain is reproduced: every record must decode and hash to its
    /// `hash`, its readable fields must say what its bytes say, its payload must be an event this
    /// build reads, and it must continue the chain exactly (position, previous hash). Records the
    /// journal already holds identically are skipped, so importing the same export again records
    /// nothing twice. Appends are written whole. A bad line stops the import naming that line;
    /// every whole append before it stays recorded (an append the bad line is part of is not).
    pub async fn import_export(&self, reader: impl BufRead) -> Result<ImportReport, ImportError> {
        let mut report = ImportReport::default();
        let mut pending: Vec<RecordedEvent> = Vec::new();
        let mut last_line = 0;
        for (index, line) in reader.lines().enumerate() {
            let number = index + 1;
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            last_line = number;
            let record = match self.export_record(&line, pending.last()) {
                Ok(Some(record)) => record,
                Ok(None) => {
                    report.lines += 1;
                    report.already_recorded += 1;
                    continue;
                }
                Err(reason) => {
                    // The whole appends before the bad line stay recorded, as the README says.
                    let whole = pending
                        .iter()
                        .rposition(|r| u32::from(r.append_index) + 1 >= u32::from(r.append_len))
                        .map_or(0, |i| i + 1);
                    pending.truncate(whole);
                    if !pending.is_empty() {
                        let count = pending.len();
                        let head = self
                            .journal
                            .import_recorded(std::mem::take(&mut pending))
                            .await
                            .map_err(DeskError::from)?;
                        report.recorded += count;
                        self.wait_for(head.position).await?;
                    }
                    return Err(ImportError::Line {
                        line: number,
                        reason,
                        report,
                    });
                }
            };
            report.lines += 1;
            let ends_append = u32::from(record.append_index) + 1 >= u32::from(record.append_len);
            pending.push(record);
            if pending.len() >= IMPORT_CHUNK && ends_append {
                let count = pending.len();
                self.journal
                    .import_recorded(std::mem::take(&mut pending))
                    .await
                    .map_err(|e| ImportError::Line {
                        line: number,
                        reason: e.to_string(),
                        report: report.clone(),
                    })?;
                report.recorded += count;
            }
        }
        if let Some(last) = pending.last() {
            if u32::from(last.append_index) + 1 < u32::from(last.append_len) {
                return Err(ImportError::Line {
                    line: last_line,
                    reason: format!(
                        "the export ends inside an append of {} events (position {}); export up to the end of that append",
                        last.append_len, last.position
                    ),
                    report,
                });
            }
            let count = pending.len();
            let head =
                self.journal
                    .import_recorded(pending)
                    .await
                    .map_err(|e| ImportError::Line {
                        line: last_line,
                        reason: e.to_string(),
                        report: report.clone(),
                    })?;
            report.recorded += count;
            self.wait_for(head.position).await?;
        }
        Ok(report)
    }

    /// The record of one export line, checked against the line's readable fields and against
    /// the chain it must continue (the last pending record, or the journal's head); `None` when
    /// the journal already holds it identically.
    fn export_record(
        &self,
        line: &str,
        before: Option<&RecordedEvent>,
    ) -> Result<Option<RecordedEvent>, String> {
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("not an export line: {e}"))?;
        let record = crate::export::line_record(&value)?;
        if let Some(reason) = crate::export::readable_fields_differ(&value, &record) {
            return Err(reason);
        }
        decode(&self.vault, &record).map_err(|e| format!("position {}: {e}", record.position))?;
        // Values sealed by another installation: the key store says so, so that a person
        // without a slot stays damage (see `check`).
        if is_sealed(&record.payload) {
            for person in sealed_persons(&record.payload) {
                if self.vault.key_state(person) == vault::KeyState::Unknown {
                    self.vault
                        .mark_foreign(person)
                        .map_err(|e| format!("the key store: {e}"))?;
                }
            }
        }
        if before.is_none() {
            if let Some(stored) = self
                .journal
                .get(record.position)
                .map_err(|e| e.to_string())?
            {
                if stored == record {
                    return Ok(None);
                }
                return Err(format!(
                    "position {} holds another event in this journal; an export is imported into an empty journal or one it continues",
                    record.position
                ));
            }
        }
        let (position, hash) = match before {
            Some(r) => (r.position.0, r.hash),
            None => {
                let head = self.journal.head();
                (head.position.0, head.hash)
            }
        };
        if record.position.0 != position + 1 {
            return Err(format!(
                "position {}: the journal continues at {}",
                record.position,
                position + 1
            ));
        }
        if record.prev_hash != hash {
            return Err(format!(
                "position {}: broken link: its previous hash is not the hash of position {position}",
                record.position
            ));
        }
        Ok(Some(record))
    }
}

/// True when a JSON line is an export line (it carries stored bytes) rather than a command.
pub fn is_export_line(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .is_some_and(|v| v.get("record").is_some() && v.get("command").is_none())
}
