//! Many desks, one region (`docs/adr/0013`, "Many desks"; `docs/VERIFYING.md`, "Signed
//! reports"): a desk signs its report of a template for a period with the installation key,
//! bound to its latest signed checkpoint; the region verifies each desk's file against that
//! desk's public key and sums the figures of the desks it accepts, with the same small-cell
//! protection. Every desk keeps its own data: the region only sees protected, signed figures.
//!
//! A signed report is a signed note, as a checkpoint is: the body (the format line, then the
//! report as JSON), an empty line, and `— <origin> <signature>`, the Ed25519 signature of the
//! body's exact bytes with the installation key.

use chrono::NaiveDate;
use journal::merkle::checkpoint::{base64_decode, base64_encode, PublicKey, SignedCheckpoint};
use journal::Position;
use projections::{Lang, Period, RenderOptions, RenderedTable, TableFigures, Template};
use serde::{Deserialize, Serialize};

use crate::{AsOf, Desk, DeskError};

/// The first line of a signed report.
pub const REPORT_FORMAT: &str = "impact-signed-report/1";

const SIGNATURE_DASH: &str = "\u{2014} ";

/// What a desk signs: who, which template, which period, under which threshold, against which
/// checkpoint, and the figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportBody {
    /// The desk: its installation key's fingerprint.
    pub desk: String,
    /// The installation's public key (hex).
    pub public_key: String,
    pub template: String,
    pub template_version: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// One site's slug, or none for the whole desk.
    pub site: Option<String>,
    /// The small-cell threshold the figures are protected under (a signed report is never
    /// exact).
    pub min_cell: u32,
    /// The signed checkpoint note whose tree the figures are folded from.
    pub checkpoint: String,
    /// The template's tables, suppressed rows without figures.
    pub tables: Vec<TableFigures>,
}

/// Why a desk's file is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "camelCase")]
pub enum Refusal {
    /// Not a signed report: not text, no signature line, or a body that does not read.
    #[error("unreadable: {reason}")]
    Unreadable { reason: String },
    /// Signed by another installation than the key given for this desk.
    #[error("wrong key: signed by the installation {found}, the key given is {expected}'s")]
    WrongKey { expected: String, found: String },
    /// The signature does not verify: the file was changed after it was signed.
    #[error("bad signature: the report was altered after it was signed, or signed by another key")]
    BadSignature,
    /// The checkpoint it is bound to does not verify with the desk's key.
    #[error("bad checkpoint: {reason}")]
    BadCheckpoint { reason: String },
    /// A report of another template, version, period, threshold or site.
    #[error("other report: {found}, expected {expected}")]
    OtherReport { expected: String, found: String },
}

/// What a desk sent, as the region judged it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum DeskStatus {
    /// Verified: its figures are in the sum.
    Accepted {
        /// The tree size of the checkpoint the figures are bound to.
        checkpoint_size: u64,
        tables: Vec<TableFigures>,
    },
    /// Not summed, and why.
    Refused { reason: Refusal },
    /// Nothing was sent for the period.
    Missing,
}

/// One desk in the region's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeskSection {
    /// The installation key's fingerprint.
    pub desk: String,
    pub public_key: String,
    #[serde(flatten)]
    pub status: DeskStatus,
}

/// What the region asks of every desk's file.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
    pub template: &'a Template,
    pub period: Period,
    pub min_cell: u32,
}

/// The region's report: every desk's section, and the sum over the accepted ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionReport {
    pub template: String,
    pub template_version: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub min_cell: u32,
    pub desks: Vec<DeskSection>,
    /// The sum over the accepted desks, protected (`projections::sum_tables`).
    pub total: Vec<TableFigures>,
}

/// Verifies each desk's file (`None`: the desk sent nothing) against that desk's key and sums
/// the accepted desks' figures.
pub fn sum(desks: &[(PublicKey, Option<Vec<u8>>)], expected: Expected<'_>) -> RegionReport {
    let mut sections = Vec::with_capacity(desks.len());
    for (key, file) in desks {
        let status = match file {
            None => DeskStatus::Missing,
            Some(bytes) => match verify(bytes, key, expected) {
                Ok(body) => DeskStatus::Accepted {
                    checkpoint_size: SignedCheckpoint::parse(&body.checkpoint)
                        .map_or(0, |c| c.checkpoint.tree_size.0),
                    tables: body.tables,
                },
                Err(reason) => DeskStatus::Refused { reason },
            },
        };
        sections.push(DeskSection {
            desk: key.fingerprint(),
            public_key: key.to_hex(),
            status,
        });
    }
    let accepted: Vec<&[TableFigures]> = sections
        .iter()
        .filter_map(|s| match &s.status {
            DeskStatus::Accepted { tables, .. } => Some(tables.as_slice()),
            _ => None,
        })
        .collect();
    let total = projections::sum_tables(expected.template, &accepted, expected.min_cell);
    RegionReport {
        template: expected.template.name.clone(),
        template_version: expected.template.version.clone(),
        from: expected.period.from,
        to: expected.period.to,
        min_cell: expected.min_cell,
        desks: sections,
        total,
    }
}

/// Checks a desk's file: a signed report by `key`, of the expected template, period and
/// threshold, with the template's tables. The body when it verifies.
pub fn verify(
    bytes: &[u8],
    key: &PublicKey,
    expected: Expected<'_>,
) -> Result<ReportBody, Refusal> {
    let unreadable = |reason: &str| Refusal::Unreadable {
        reason: reason.to_string(),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| unreadable("not UTF-8 text"))?;
    let (body, signature_line) = split_note(text)
        .ok_or_else(|| unreadable("no signature line (— origin signature) after an empty line"))?;
    if body.lines().next() != Some(REPORT_FORMAT) {
        return Err(unreadable(&format!(
            "the first line is not {REPORT_FORMAT}"
        )));
    }
    let (origin, signature) = signature_line
        .split_once(' ')
        .ok_or_else(|| unreadable("the signature line is: — origin signature"))?;
    if origin != key.origin() {
        return Err(Refusal::WrongKey {
            expected: key.fingerprint(),
            found: origin.rsplit('/').next().unwrap_or(origin).to_string(),
        });
    }
    let signature =
        base64_decode(signature).ok_or_else(|| unreadable("the signature is not base64"))?;
    key.verify_statement(body, &signature)
        .map_err(|_| Refusal::BadSignature)?;
    let json = body.split_once('\n').map_or("", |(_, rest)| rest);
    let report: ReportBody = serde_json::from_str(json)
        .map_err(|e| unreadable(&format!("the report does not read: {e}")))?;
    if report.public_key != key.to_hex() || report.desk != key.fingerprint() {
        return Err(Refusal::WrongKey {
            expected: key.fingerprint(),
            found: report.desk,
        });
    }
    let checkpoint =
        SignedCheckpoint::parse(&report.checkpoint).map_err(|e| Refusal::BadCheckpoint {
            reason: e.to_string(),
        })?;
    checkpoint.verify(key).map_err(|e| Refusal::BadCheckpoint {
        reason: e.to_string(),
    })?;
    let t = expected.template;
    let wanted = describe(
        &t.name,
        &t.version,
        expected.period.from,
        expected.period.to,
        expected.min_cell,
    );
    let found = describe(
        &report.template,
        &report.template_version,
        report.from,
        report.to,
        report.min_cell,
    );
    if wanted != found || report.site.is_some() {
        return Err(Refusal::OtherReport {
            expected: wanted,
            found: match &report.site {
                Some(site) => format!("{found}, site {site} only"),
                None => found,
            },
        });
    }
    let shaped = report.tables.len() == t.tables.len()
        && report.tables.iter().zip(&t.tables).all(|(table, spec)| {
            table.name == spec.name
                && table.total.key.is_empty()
                && table
                    .rows
                    .iter()
                    .all(|r| r.key.len() == spec.group_by.len())
        });
    if !shaped {
        return Err(unreadable("its tables are not the template's"));
    }
    Ok(report)
}

fn describe(
    template: &str,
    version: &str,
    from: NaiveDate,
    to: NaiveDate,
    min_cell: u32,
) -> String {
    format!("template {template} {version}, {from} to {to}, threshold {min_cell}")
}

/// The body (through its last `\n`) and the signature line (without the dash) of a note.
fn split_note(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let at = text.rfind(&format!("\n\n{SIGNATURE_DASH}"))?;
    let body = &text[..=at];
    let line = &text[at + 2 + SIGNATURE_DASH.len()..];
    (!line.contains('\n')).then_some((body, line))
}

/// A signed report as the desk writes it, and what it is bound to.
#[derive(Clone, Debug)]
pub struct SignedReport {
    /// The note's text: what the desk sends.
    pub note: String,
    pub body: ReportBody,
    /// False when no recorded checkpoint of this installation verified and the head was signed
    /// for the report without being recorded.
    pub recorded_checkpoint: bool,
    /// The journal's size when the report was made (the figures stop at the checkpoint's).
    pub head: u64,
}

impl Desk {
    /// The signed report of `template` for `period` (the whole desk), its small cells
    /// suppressed under `min_cell`: the figures as they stood at the latest recorded checkpoint
    /// of this installation (its tree, not the head: the region can ask for the proof of any
    /// event counted), or at the head signed for the report when no checkpoint is recorded.
    /// Writes nothing. `None` when the statement cannot be signed.
    pub fn signed_report(
        &self,
        template: &Template,
        period: &Period,
        min_cell: u32,
    ) -> Result<Option<SignedReport>, DeskError> {
        let own_key = self.public_key();
        let journal = self.journal();
        let recorded = self.checkpoints()?.into_iter().rev().find(|c| {
            c.signed.verify(&own_key).is_ok()
                && journal.root_at(c.signed.checkpoint.tree_size).ok()
                    == Some(c.signed.checkpoint.root)
        });
        let (signed, was_recorded) = match recorded {
            Some(c) => (c.signed, true),
            None => (self.sign_head_unrecorded(), false),
        };
        let size = signed.checkpoint.tree_size.0;
        let (_, models) = self.read_models_as_of(AsOf::Position(Position(size)))?;
        let options = RenderOptions {
            lang: Lang::It,
            min_cell: Some(min_cell),
        };
        let rendered = models.render_template(template, period, None, options);
        let body = ReportBody {
            desk: own_key.fingerprint(),
            public_key: own_key.to_hex(),
            template: template.name.clone(),
            template_version: template.version.clone(),
            from: period.from,
            to: period.to,
            site: None,
            min_cell,
            checkpoint: signed.to_note(),
            tables: rendered.figures,
        };
        let Ok(json) = serde_json::to_string_pretty(&body) else {
            return Ok(None);
        };
        let text = format!("{REPORT_FORMAT}\n{json}\n");
        let Some(signature) = self.sign_statement(&text) else {
            return Ok(None);
        };
        let note = format!(
            "{text}\n{SIGNATURE_DASH}{} {}\n",
            own_key.origin(),
            base64_encode(&signature)
        );
        Ok(Some(SignedReport {
            note,
            body,
            recorded_checkpoint: was_recorded,
            head: journal.tree_size().0,
        }))
    }
}

impl RegionReport {
    /// The report as tables: `informazioni`, `sedi` (each desk: accepted, refused and why,
    /// missing), the regional sum `totale-<table>` and each accepted desk's
    /// `sede-<fingerprint>-<table>`.
    pub fn render(&self, template: &Template, lang: Lang) -> Vec<RenderedTable> {
        let it = lang == Lang::It;
        let pick = |i: &str, e: &str| if it { i.to_string() } else { e.to_string() };
        let accepted = self
            .desks
            .iter()
            .filter(|d| matches!(d.status, DeskStatus::Accepted { .. }))
            .count();
        let mut tables = vec![RenderedTable {
            name: "informazioni".into(),
            title: pick("Informazioni sul prospetto regionale", "About the regional report"),
            header: vec![pick("Voce", "Item"), pick("Valore", "Value")],
            rows: vec![
                vec![pick("Modello", "Template"), format!("{} {}", self.template, self.template_version)],
                vec![pick("Periodo dal", "Period from"), self.from.to_string()],
                vec![pick("Periodo al", "Period to"), self.to.to_string()],
                vec![pick("Soglia celle piccole", "Small-cell threshold"), self.min_cell.to_string()],
                vec![pick("Sedi", "Desks"), self.desks.len().to_string()],
                vec![pick("Sedi sommate", "Desks summed"), accepted.to_string()],
                vec![
                    pick("Segno di soppressione", "Suppression mark"),
                    format!(
                        "{} = {}",
                        projections::SUPPRESSED,
                        pick(
                            "meno persone della soglia, soppresso da una sede, o perché non si ricavi per differenza",
                            "fewer people than the threshold, suppressed by a desk, or so that no difference gives one back",
                        )
                    ),
                ],
            ],
            suppressed: 0,
        }];
        let mut desks = RenderedTable {
            name: "sedi".into(),
            title: pick(
                "Sedi e verifica dei prospetti",
                "Desks and the check of their reports",
            ),
            header: vec![
                pick("Sede", "Desk"),
                pick("Chiave pubblica", "Public key"),
                pick("Esito", "Outcome"),
                pick("Esito (codice)", "Outcome (code)"),
                pick("Motivo", "Reason"),
                pick("Checkpoint (dimensione)", "Checkpoint (size)"),
            ],
            rows: Vec::new(),
            suppressed: 0,
        };
        for d in &self.desks {
            let (label, code, reason, size) = match &d.status {
                DeskStatus::Accepted {
                    checkpoint_size, ..
                } => (
                    pick("accettato", "accepted"),
                    "accepted",
                    String::new(),
                    checkpoint_size.to_string(),
                ),
                DeskStatus::Refused { reason } => (
                    pick("rifiutato", "refused"),
                    "refused",
                    reason.to_string(),
                    String::new(),
                ),
                DeskStatus::Missing => (
                    pick("mancante", "missing"),
                    "missing",
                    pick(
                        "nessun prospetto per il periodo",
                        "no report for the period",
                    ),
                    String::new(),
                ),
            };
            desks.rows.push(vec![
                d.desk.clone(),
                d.public_key.clone(),
                label,
                code.into(),
                reason,
                size,
            ]);
        }
        tables.push(desks);
        let mut push = |prefix: &str, figures: &[TableFigures]| {
            for (spec, f) in template.tables.iter().zip(figures) {
                let mut t = template.write_table(spec, f, lang);
                t.name = format!("{prefix}-{}", spec.name);
                tables.push(t);
            }
        };
        push("totale", &self.total);
        for d in &self.desks {
            if let DeskStatus::Accepted {
                tables: figures, ..
            } = &d.status
            {
                push(&format!("sede-{}", d.desk), figures);
            }
        }
        tables
    }
}
