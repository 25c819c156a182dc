//! A person's own data (GDPR art. 15 and 20): every fact about them, opened, and every recorded
//! read of their data, as JSON and as a readable HTML page in Italian. The access itself is a
//! read of their data: callers record it in the read audit before they hand the answer out.

use chrono::{DateTime, Utc};
use domain::PersonId;
use serde::Serialize;
use ulid::Ulid;

use crate::read_audit::{ReadAudit, ReadChannel};
use crate::{Desk, DeskError};

/// A person's own data, as handed to them.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectAccess {
    pub person: PersonId,
    pub produced_at: DateTime<Utc>,
    /// The person's data was erased: the facts remain, their personal values read `[erased]`.
    pub erased: bool,
    /// Every fact about them, in journal order, with its personal values opened.
    pub facts: Vec<SubjectFact>,
    /// Every recorded read of their data (who, when, which fields, how), in order.
    pub reads: Vec<SubjectRead>,
}

/// One fact about the person.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectFact {
    pub position: u64,
    pub id: Ulid,
    #[serde(rename = "type")]
    pub event_type: String,
    pub stream: String,
    pub occurred_at: String,
    pub recorded_at: String,
    pub actor: String,
    pub role: String,
    /// The fact's fields, personal values opened.
    pub payload: serde_json::Value,
}

/// One read of the person's data.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectRead {
    pub position: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub role: String,
    pub fields: Vec<String>,
    pub channel: ReadChannel,
}

impl Desk {
    /// The person's own data, or `None` for an id the desk never registered. Reads only: the
    /// caller records the access in the read audit (`ReadChannel::SubjectAccess`).
    pub fn subject_access(
        &self,
        person: PersonId,
        reads: &ReadAudit,
    ) -> Result<Option<SubjectAccess>, DeskError> {
        let Some(view) = self.read(|m| m.person(person)) else {
            return Ok(None);
        };
        let filter = projections::AuditFilter {
            person: Some(person),
            ..Default::default()
        };
        let positions = self.read(|m| {
            m.audit_positions(&filter, &projections::PageRequest::default())
                .items
        });
        let mut facts = Vec::with_capacity(positions.len());
        for position in positions {
            let Some(record) = self.journal().get(position)? else {
                continue;
            };
            let payload = match self.opened_payload_value(&record)? {
                Some(opened) => opened,
                None => serde_json::from_slice(&record.payload).unwrap_or_default(),
            };
            facts.push(SubjectFact {
                position: record.position.0,
                id: record.id,
                event_type: record.event_type.clone(),
                stream: record.stream.clone(),
                occurred_at: record.occurred_at.to_string(),
                recorded_at: record.recorded_at.to_string(),
                actor: record.actor.id.clone(),
                role: record.actor.role.clone(),
                payload,
            });
        }
        let reads = reads
            .of_person(person)
            .into_iter()
            .map(|r| SubjectRead {
                position: r.position.0,
                at: r.at,
                actor: r.actor.id,
                role: r.actor.role,
                fields: r.read.fields,
                channel: r.read.channel,
            })
            .collect();
        Ok(Some(SubjectAccess {
            person,
            produced_at: self.now(),
            erased: view.personal.is_erased(),
            facts,
            reads,
        }))
    }
}

impl SubjectAccess {
    /// A page a person can read (Italian headings), with no script and no outside resource.
    pub fn html(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "<!DOCTYPE html>\n<html lang=\"it\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>I tuoi dati - Segretariato Sociale IMPACT</title>\n</head>\n<body>\n",
        );
        out.push_str("<h1>I tuoi dati personali</h1>\n");
        out.push_str(&format!(
            "<p>Persona <code>{}</code>. Documento prodotto il {} (art. 15 e 20 GDPR).</p>\n",
            escape(&self.person.to_string()),
            self.produced_at.format("%d/%m/%Y %H:%M UTC")
        ));
        if self.erased {
            out.push_str(
                "<p><strong>I tuoi dati personali sono stati cancellati</strong>: restano i fatti \
                 registrati, con i dati personali sostituiti da [erased].</p>\n",
            );
        }
        out.push_str(&format!(
            "<h2>Fatti registrati ({})</h2>\n<table>\n<thead><tr><th>Posizione</th>\
             <th>Quando</th><th>Fatto</th><th>Registrato da</th><th>Contenuto</th></tr></thead>\n\
             <tbody>\n",
            self.facts.len()
        ));
        for f in &self.facts {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} ({})</td><td><pre>{}</pre></td></tr>\n",
                f.position,
                escape(&f.occurred_at),
                escape(&f.event_type),
                escape(&f.actor),
                escape(&f.role),
                escape(&serde_json::to_string_pretty(&f.payload).unwrap_or_default())
            ));
        }
        out.push_str("</tbody>\n</table>\n");
        out.push_str(&format!(
            "<h2>Chi ha letto i tuoi dati ({})</h2>\n<table>\n<thead><tr><th>Quando</th>\
             <th>Chi</th><th>Quali dati</th><th>Come</th></tr></thead>\n<tbody>\n",
            self.reads.len()
        ));
        for r in &self.reads {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td></tr>\n",
                r.at.format("%d/%m/%Y %H:%M"),
                escape(&r.actor),
                escape(&r.role),
                escape(&r.fields.join(", ")),
                escape(channel_it(r.channel))
            ));
        }
        out.push_str("</tbody>\n</table>\n</body>\n</html>\n");
        out
    }
}

fn channel_it(channel: ReadChannel) -> &'static str {
    match channel {
        ReadChannel::Query => "consultazione",
        ReadChannel::Subscription => "aggiornamenti in tempo reale",
        ReadChannel::Export => "esportazione",
        ReadChannel::SubjectAccess => "accesso dell'interessato",
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The read-audit entry of a subject access: the whole of the person's data, through the
/// subject-access channel.
pub fn subject_access_read(person: PersonId) -> crate::read_audit::PersonalDataRead {
    crate::read_audit::PersonalDataRead {
        person,
        fields: vec!["subjectAccess".to_string()],
        channel: ReadChannel::SubjectAccess,
        request: Ulid::new(),
    }
}
