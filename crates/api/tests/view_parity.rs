//! Each read-model view (`projections`: `CaseView`, `ReferralView`, the monitoring figures, ...)
//! and the GraphQL object that shows it have the same fields, nested shapes included, unless a
//! rule below says otherwise with a reason: a view field the object shows under another name
//! (`SHOWN_AS`), one it does not show (`HIDDEN`), an object field no view has (`DERIVED`).
//!
//! The view's fields are what its `Serialize` writes (camelCase, like GraphQL's names), traced
//! over real values: a desk in a temporary directory imports the fixture month and records a few
//! more facts, and every view is read from its models. The object's fields are those of the
//! schema the code builds (`api::sdl()`). Every `pub struct` of `projections` is either traced
//! here or listed in `NOT_VIEWS`, so a new view cannot be forgotten.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use desk::projections::{
    CaseFilter, DiaryFilter, DueFilter, LogbookFilter, MediationFilter, Period, PersonFilter,
    ReadModels, ReferralFilter, ServiceFilter,
};
use serde::ser::{self, Serialize};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/montelucci-2024-05.jsonl"
);

/// `(view, field, GraphQL object, shown as)`: the object shows the view's field under another
/// name, or inside a nested object (`carePlan.agreedAt`); `""` puts the fields of a nested view
/// struct on the object itself.
#[rustfmt::skip]
const SHOWN_AS: &[(&str, &str, &str, &str)] = &[
    ("PersonView", "takenOn", "Person", "takenOnAt"),
    ("PersonView", "id", "PseudonymousPerson", "pseudonym"),
    ("PersonView", "registeredAt", "PseudonymousPerson", "registeredMonth"),
    ("PersonView", "birthYear", "PseudonymousPerson", "ageBand"),
    ("PersonView", "citizenships", "PseudonymousPerson", "citizenship"),
    ("CaseView", "person", "Case", "personId"),
    ("CaseView", "partnerServices", "Case", "partnerServiceIds"),
    ("CaseView", "planAgreedAt", "Case", "carePlan.agreedAt"),
    ("CaseView", "planNeeds", "Case", "carePlan.needs"),
    ("CaseView", "planReviewOn", "Case", "carePlan.reviewOn"),
    ("CaseView", "closedAt", "Case", "lastClosure.closedAt"),
    ("CaseView", "closureReason", "Case", "lastClosure.reason"),
    ("CaseView", "closureOutcome", "Case", "lastClosure.outcome"),
    ("CaseConferenceView", "services", "CaseConference", "serviceIds"),
    ("TimelineEntry", "eventType", "TimelineEntry", "type"),
    ("ReferralView", "person", "Referral", "personId"),
    ("ReferralView", "case", "Referral", "caseId"),
    ("ReferralView", "service", "Referral", "serviceId"),
    ("MediationRequestView", "person", "MediationRequest", "personId"),
    ("MediationRequestView", "case", "MediationRequest", "caseId"),
    ("MediationRequestView", "requestingService", "MediationRequest", "requestingServiceId"),
    ("MediationSessionView", "mediation", "MediationSession", "mediationId"),
    ("MediationSessionView", "person", "MediationSession", "personId"),
    ("MediationSessionView", "case", "MediationSession", "caseId"),
    ("MediationSessionView", "requestingService", "MediationSession", "requestingServiceId"),
    ("MissingLogbookDays", "entries", "LogbookCoverage", "daysWithEntry"),
    ("MissingLogbookDays", "missing", "LogbookCoverage", "missingDays"),
    ("ServiceView", "description", "Service", ""),
    ("MonitoringReport", "period", "MonitoringReport", ""),
    ("MonitoringReport", "asOf", "MonitoringReport", "asOfPosition"),
    ("MediationFigure", "key", "MediationByRequestingService", "serviceId"),
    ("MediationFigure", "key", "SessionsByPlace", "place"),
    ("AppointmentView", "person", "Appointment", "personId"),
    ("AppointmentView", "referredBy", "Appointment", "referredById"),
    ("DueItem", "person", "DueItem", "personId"),
    ("DueItem", "case", "DueItem", "caseId"),
    ("DueItem", "referral", "DueItem", "referralId"),
    ("DueItem", "mediation", "DueItem", "mediationId"),
    ("DueItem", "appointment", "DueItem", "appointmentId"),
    ("DueItem", "meeting", "DueItem", "meetingId"),
    ("FunnelFigure", "service", "FunnelFigure", "serviceId"),
    ("AuditEntry", "eventType", "HistoryEntry", "type"),
    ("AuditEntry", "person", "HistoryEntry", "personId"),
    ("AuditEntry", "case", "HistoryEntry", "caseId"),
];

/// What evaluators are never shown (docs/ACCESS.md, "What evaluators see").
const NOT_FOR_EVALUATORS: &str =
    "not among the pseudonymised fields evaluators see (docs/ACCESS.md, What evaluators see)";

/// `(view, field, GraphQL object, why)`: the object does not show the view's field; `"*"`: the
/// object shows a chosen few of the view's fields and none of the others.
#[rustfmt::skip]
const HIDDEN: &[(&str, &str, &str, &str)] = &[
    ("PersonView", "position", "PseudonymousPerson", NOT_FOR_EVALUATORS),
    ("PersonView", "countryOfBirth", "PseudonymousPerson", NOT_FOR_EVALUATORS),
    ("PersonView", "arrivalYear", "PseudonymousPerson", NOT_FOR_EVALUATORS),
    ("PersonView", "permitExpiresOn", "PseudonymousPerson", NOT_FOR_EVALUATORS),
    ("PersonView", "languages", "PseudonymousPerson", NOT_FOR_EVALUATORS),
    ("PersonView", "consents", "PseudonymousPerson", NOT_FOR_EVALUATORS),
    ("PersonView", "personal", "PseudonymousPerson", "evaluators never see a name, a birth date or a contact"),
    ("PersonView", "mergedInto", "PseudonymousPerson", "a person id: evaluators see pseudonyms only"),
    ("PersonView", "takenOn", "PseudonymousPerson", NOT_FOR_EVALUATORS),
    ("PersonView", "permitRenewalPending", "PseudonymousPerson", NOT_FOR_EVALUATORS),
    ("PersonView", "updatedAt", "PseudonymousPerson", "a day that could single a person out: evaluators see months"),
    ("MediationFigure", "requests", "SessionsByPlace", "a place is a session's: requests have none"),
    ("PersonView", "*", "PossibleDuplicate", "answers across sites before a registration: only what tells registrations apart; the rest is person(id)'s"),
    ("AuditEntry", "stream", "HistoryEntry", "with the event in the audit trail (event(id)), for supervisors"),
    ("AuditEntry", "actorRole", "HistoryEntry", "with the event in the audit trail (event(id)), for supervisors"),
    ("AuditEntry", "recordedAt", "HistoryEntry", "with the event in the audit trail (event(id)), for supervisors"),
];

/// Why a monitoring row says whether it is suppressed.
const SUPPRESSED_ROW: &str =
    "small cells suppressed for evaluators (projections::protect_monitoring, docs/adr/0013)";

/// `(GraphQL object, field, why)`: the object shows a field no view has.
#[rustfmt::skip]
const DERIVED: &[(&str, &str, &str)] = &[
    ("Person", "erased", "read from personal (PersonalData::is_erased)"),
    ("PossibleDuplicate", "matchedBy", "which of the two searches found the registration"),
    ("TimelineEntry", "event", "the event itself, read from the journal at the entry's position"),
    ("Referral", "serviceName", "the target service's name, looked up in the directory"),
    ("MonthMeetings", "hasMeeting", "meetings > 0 (MonthMeetings::has_meeting)"),
    (
        "PseudonymousPerson",
        "citizenshipArea",
        "the citizenship's area (projections::citizenship_area)",
    ),
    (
        "PseudonymousPerson",
        "generalised",
        "k-anonymity over the whole view (projections::k_anonymise)",
    ),    ("MonitoringReport", "minCell", "the small-cell threshold applied (projections::protect_monitoring)"),
    ("MonitoringReport", "suppressed", "how many rows and figures are suppressed (MonitoringSuppression::count)"),
    ("CountByText", "suppressed", SUPPRESSED_ROW),
    ("CountBySex", "suppressed", SUPPRESSED_ROW),
    ("CountByAgeBand", "suppressed", SUPPRESSED_ROW),
    ("CountByPermitType", "suppressed", SUPPRESSED_ROW),
    ("CountByVulnerability", "suppressed", SUPPRESSED_ROW),
    ("CountByClosureReason", "suppressed", SUPPRESSED_ROW),
    ("ContactFigure", "suppressed", SUPPRESSED_ROW),
    ("MediationByLanguage", "suppressed", SUPPRESSED_ROW),
    ("MediationByMode", "suppressed", SUPPRESSED_ROW),
    ("MediationByRequestingService", "suppressed", SUPPRESSED_ROW),
    ("SessionsByPlace", "suppressed", SUPPRESSED_ROW),
    ("FunnelFigure", "suppressed", SUPPRESSED_ROW),
    ("CaseloadFigure", "suppressed", SUPPRESSED_ROW),
    ("AccessTimes", "intakesSuppressed", SUPPRESSED_ROW),
    ("AccessTimes", "mediationRequestsSuppressed", SUPPRESSED_ROW),
    ("AccessTimes", "onCallSuppressed", SUPPRESSED_ROW),
];

/// `pub struct`s of `projections` that no GraphQL object shows field by field, each with why.
#[rustfmt::skip]
const NOT_VIEWS: &[(&str, &str)] = &[
    ("Cursor", "a list query's arguments (`after`, `first`), not a view"),
    ("Template", "a report template, read from its TOML file: a query's argument"),
    ("TableSpec", "part of a report template"),
    (
        "QuasiIdentifiers",
        "the combination k-anonymity groups by (`pseudonymisedPersons`, bundles), never shown",
    ),
    ("ColumnSpec", "part of a report template"),
    ("Grouping", "part of a report template"),
    ("Group", "part of a report template"),
    ("Text", "a template's label in Italian and English"),
    ("RenderOptions", "a report query's arguments (threshold, language), not a view"),
    ("Fact", "the rows a report template groups, never shown one by one"),
    ("Named", "the label a fact brings for its own code (a survey item's), written into a report's cells"),
    (
        "RenderedReport",
        "its cells are strings in the template's order: `RegionReport` shows the same rows \
         (crates/api/tests/region_report.rs)",
    ),
    ("RenderedTable", "shown as `ReportTable` (crates/api/tests/region_report.rs)"),
    (
        "TableFigures",
        "a table's raw figures, signed for the region (desk::region), written as `ReportTable`",
    ),
    ("RowFigures", "a row of `TableFigures`"),
    (
        "CodeLabel",
        "a label a survey definition gives its items, carried by `TableFigures`: written as a \
         `ReportTable` row's label",
    ),
    ("ReadModels", "the models themselves: the views are read from them"),
    ("PersonFilter", "a query's arguments, not a view"),
    ("CaseFilter", "a query's arguments, not a view"),
    ("ReferralFilter", "a query's arguments, not a view"),
    ("MediationFilter", "a query's arguments, not a view"),
    ("LogbookFilter", "a query's arguments, not a view"),
    ("ServiceFilter", "a query's arguments, not a view"),
    ("AuditFilter", "a query's arguments, not a view"),
    ("PersonSearch", "a query's arguments, not a view"),
    ("PageRequest", "a query's arguments, not a view"),
    ("TimeRange", "a query's arguments, not a view"),
    ("PositionRange", "a query's arguments, not a view"),
    ("Page", "a page of the audit trail: its GraphQL connection is async-graphql's own"),
    ("Month", "a value (`2024-05`), serialised as text"),
    ("SiteSchedule", "a map by site, not a row: `sites` lists its keys with their days"),
    ("BeneficiaryRow", "a row of `impact report`'s beneficiaries CSV, not shown over GraphQL"),
    ("DiaryFilter", "a query's arguments, not a view"),
    ("DueFilter", "a query's arguments, not a view"),
    (
        "MonitoringSuppression",
        "which figures of a `MonitoringReport` are suppressed: shown as its `null` figures, \
         `minCell` and the rows' `suppressed` (crates/api/tests/monitoring_small_cells.rs)",
    ),
];

// ---- the shapes of views, traced through `Serialize` -------------------------------------------

/// What a view's serialization shows of its shape: the fields of each struct, by name, merged
/// over every value traced (list elements included).
#[derive(Clone, Debug, Default)]
enum Shape {
    /// No value seen: only `None`s and empty lists.
    #[default]
    Unseen,
    /// One value for GraphQL: a number, a string, an enum, a map.
    Leaf,
    Struct(&'static str, BTreeMap<&'static str, Shape>),
}

impl Shape {
    fn of<T: Serialize>(value: &T) -> Shape {
        value.serialize(Tracer).unwrap()
    }

    fn merge(self, other: Shape) -> Shape {
        match (self, other) {
            (Shape::Unseen, s) | (s, Shape::Unseen) => s,
            (Shape::Struct(name, mut mine), Shape::Struct(_, theirs)) => {
                for (field, shape) in theirs {
                    let merged = mine.remove(field).unwrap_or_default().merge(shape);
                    mine.insert(field, merged);
                }
                Shape::Struct(name, mine)
            }
            (s @ Shape::Struct(..), Shape::Leaf) | (Shape::Leaf, s @ Shape::Struct(..)) => s,
            (Shape::Leaf, Shape::Leaf) => Shape::Leaf,
        }
    }

    /// Every struct name in the shape.
    fn names(&self, out: &mut BTreeSet<&'static str>) {
        if let Shape::Struct(name, fields) = self {
            out.insert(*name);
            fields.values().for_each(|s| s.names(out));
        }
    }
}

#[derive(Debug)]
struct Failed(String);

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failed {}

impl ser::Error for Failed {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Failed(msg.to_string())
    }
}

/// A `Serializer` that keeps the shape of what it is given, not the values.
struct Tracer;

/// The elements of a list (merged), or of a map or tuple (then one leaf).
struct Elements {
    shape: Shape,
    leaf: bool,
}

impl Elements {
    fn add<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Failed> {
        let shape = value.serialize(Tracer)?;
        self.shape = std::mem::take(&mut self.shape).merge(shape);
        Ok(())
    }

    fn done(self) -> Result<Shape, Failed> {
        Ok(if self.leaf { Shape::Leaf } else { self.shape })
    }
}

struct Fields {
    name: &'static str,
    fields: BTreeMap<&'static str, Shape>,
    leaf: bool,
}

impl Fields {
    fn add<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Failed> {
        self.fields.insert(key, value.serialize(Tracer)?);
        Ok(())
    }

    fn done(self) -> Result<Shape, Failed> {
        Ok(if self.leaf {
            Shape::Leaf
        } else {
            Shape::Struct(self.name, self.fields)
        })
    }
}

macro_rules! leaves {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, _: $ty) -> Result<Shape, Failed> { Ok(Shape::Leaf) })*
    };
}

impl ser::Serializer for Tracer {
    type Ok = Shape;
    type Error = Failed;
    type SerializeSeq = Elements;
    type SerializeTuple = Elements;
    type SerializeTupleStruct = Elements;
    type SerializeTupleVariant = Elements;
    type SerializeMap = Elements;
    type SerializeStruct = Fields;
    type SerializeStructVariant = Fields;

    leaves! {
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f32: f32, serialize_f64: f64, serialize_char: char,
        serialize_str: &str, serialize_bytes: &[u8], serialize_unit_struct: &'static str,
    }

    fn serialize_none(self) -> Result<Shape, Failed> {
        Ok(Shape::Unseen)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Shape, Failed> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Shape, Failed> {
        Ok(Shape::Leaf)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<Shape, Failed> {
        Ok(Shape::Leaf)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Shape, Failed> {
        value.serialize(self)
    }

    /// An enum variant with a value (`ReferralStatus::Outcome(..)`) is one GraphQL enum value.
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Shape, Failed> {
        Ok(Shape::Leaf)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Elements, Failed> {
        Ok(Elements {
            shape: Shape::Unseen,
            leaf: false,
        })
    }

    fn serialize_tuple(self, _: usize) -> Result<Elements, Failed> {
        Ok(Elements {
            shape: Shape::Unseen,
            leaf: true,
        })
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Elements, Failed> {
        Ok(Elements {
            shape: Shape::Unseen,
            leaf: true,
        })
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Elements, Failed> {
        Ok(Elements {
            shape: Shape::Unseen,
            leaf: true,
        })
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Elements, Failed> {
        Ok(Elements {
            shape: Shape::Unseen,
            leaf: true,
        })
    }

    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Fields, Failed> {
        Ok(Fields {
            name,
            fields: BTreeMap::new(),
            leaf: false,
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Fields, Failed> {
        Ok(Fields {
            name,
            fields: BTreeMap::new(),
            leaf: true,
        })
    }
}

impl ser::SerializeSeq for Elements {
    type Ok = Shape;
    type Error = Failed;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Failed> {
        self.add(value)
    }
    fn end(self) -> Result<Shape, Failed> {
        self.done()
    }
}

impl ser::SerializeTuple for Elements {
    type Ok = Shape;
    type Error = Failed;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Failed> {
        self.add(value)
    }
    fn end(self) -> Result<Shape, Failed> {
        self.done()
    }
}

impl ser::SerializeTupleStruct for Elements {
    type Ok = Shape;
    type Error = Failed;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Failed> {
        self.add(value)
    }
    fn end(self) -> Result<Shape, Failed> {
        self.done()
    }
}

impl ser::SerializeTupleVariant for Elements {
    type Ok = Shape;
    type Error = Failed;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Failed> {
        self.add(value)
    }
    fn end(self) -> Result<Shape, Failed> {
        self.done()
    }
}

impl ser::SerializeMap for Elements {
    type Ok = Shape;
    type Error = Failed;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, _: &T) -> Result<(), Failed> {
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, _: &T) -> Result<(), Failed> {
        Ok(())
    }
    fn end(self) -> Result<Shape, Failed> {
        self.done()
    }
}

impl ser::SerializeStruct for Fields {
    type Ok = Shape;
    type Error = Failed;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        self.add(key, value)
    }
    fn end(self) -> Result<Shape, Failed> {
        self.done()
    }
}

impl ser::SerializeStructVariant for Fields {
    type Ok = Shape;
    type Error = Failed;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        self.add(key, value)
    }
    fn end(self) -> Result<Shape, Failed> {
        self.done()
    }
}

// ---- the GraphQL objects ------------------------------------------------------------------------

/// Every object type of the schema: its fields and the named type of each (lists and `!` off).
fn object_types(sdl: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    fn named(ty: &Type) -> String {
        match &ty.base {
            BaseType::Named(name) => name.to_string(),
            BaseType::List(inner) => named(inner),
        }
    }
    let document = async_graphql::parser::parse_schema(sdl).unwrap();
    let mut types = BTreeMap::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        if let TypeKind::Object(object) = &ty.node.kind {
            let fields = object
                .fields
                .iter()
                .map(|f| (f.node.name.node.to_string(), named(&f.node.ty.node)))
                .collect();
            types.insert(ty.node.name.node.to_string(), fields);
        }
    }
    types
}

// ---- the comparison -----------------------------------------------------------------------------

/// What the walk found wrong, and which rules and object fields it used.
struct Walk<'a> {
    objects: &'a BTreeMap<String, BTreeMap<String, String>>,
    problems: Vec<String>,
    /// `(object, field)` reached from a view field.
    shown: BTreeSet<(String, String)>,
    /// Object types a view reached.
    reached: BTreeSet<String>,
    /// Rules used, by their place in their list.
    used_shown_as: BTreeSet<usize>,
    used_hidden: BTreeSet<usize>,
}

impl Walk<'_> {
    /// Compares the view struct `shape` (reached as `path`) with the object type `object`.
    fn compare(&mut self, shape: &Shape, object: &str, path: &str) {
        let Shape::Struct(view, fields) = shape else {
            return;
        };
        let objects = self.objects;
        if !objects.contains_key(object) {
            self.problems
                .push(format!("{path}: the schema has no object type {object}"));
            return;
        }
        self.reached.insert(object.to_string());
        let star = HIDDEN
            .iter()
            .position(|(v, f, o, _)| v == view && *f == "*" && *o == object);
        for (field, sub) in fields {
            let here = format!("{path}.{field}");
            if let Some(i) = HIDDEN
                .iter()
                .position(|(v, f, o, _)| v == view && f == field && *o == object)
            {
                self.used_hidden.insert(i);
                continue;
            }
            let rule = SHOWN_AS
                .iter()
                .position(|(v, f, o, _)| v == view && f == field && *o == object);
            let target = match rule {
                Some(i) => {
                    self.used_shown_as.insert(i);
                    SHOWN_AS[i].3
                }
                None => *field,
            };
            if target.is_empty() {
                self.compare(sub, object, &here);
                continue;
            }
            // Follow the target path through the object types.
            let mut ty = object.to_string();
            let mut found = true;
            for segment in target.split('.') {
                let Some(next) = objects.get(&ty).and_then(|f| f.get(segment)) else {
                    found = false;
                    break;
                };
                self.reached.insert(ty.clone());
                self.shown.insert((ty.clone(), segment.to_string()));
                ty = next.clone();
            }
            if !found {
                if let Some(i) = star {
                    self.used_hidden.insert(i);
                    continue;
                }
                self.problems.push(format!(
                    "view {view} field `{field}` (at {here}) is not shown by the GraphQL object \
                     {object}: {object} has no field `{target}`. Show it (add `{target}` to \
                     {object} in crates/api/src/...), or list it in HIDDEN of \
                     crates/api/tests/view_parity.rs as (\"{view}\", \"{field}\", \"{object}\", \
                     \"<why>\"), or, when {object} shows it under another name, in SHOWN_AS"
                ));
                continue;
            }
            if objects.contains_key(&ty) {
                match sub {
                    Shape::Struct(..) => self.compare(sub, &ty, &here),
                    Shape::Unseen => self.problems.push(format!(
                        "view {view} field `{field}` (at {here}) has no value in any sample, so \
                         the fields of GraphQL {ty} cannot be compared: give it one in `samples` \
                         of crates/api/tests/view_parity.rs"
                    )),
                    Shape::Leaf => self.problems.push(format!(
                        "view {view} field `{field}` (at {here}) is one value, but GraphQL \
                         {object}.{target} is the object {ty}"
                    )),
                }
            }
        }
    }

    /// Fields of reached objects that no view field reached and no rule derives.
    fn unshown(&self) -> Vec<String> {
        let mut out = Vec::new();
        for object in &self.reached {
            for field in self.objects[object].keys() {
                let shown = self.shown.contains(&(object.clone(), field.clone()));
                let derived = DERIVED.iter().any(|(o, f, _)| o == object && f == field);
                if !shown && !derived {
                    out.push(format!(
                        "GraphQL {object}.{field} has no field in the view it shows: give the \
                         view the field (serde's camelCase name `{field}`), or map a view field \
                         to it in SHOWN_AS, or, when the API computes it, list it in DERIVED of \
                         crates/api/tests/view_parity.rs as (\"{object}\", \"{field}\", \"<why>\")"
                    ));
                }
            }
        }
        out
    }
}

// ---- the samples --------------------------------------------------------------------------------

const CASE_ID: &str = "01HX90FS20CBN90BACRDM3N2QV";
const ASL_ID: &str = "01HWVYS2P08YEB52DDD3BHMNM3";

/// A desk that imported the fixture month, then reopened its one case and gave it to a partner
/// service (so that `holdingService` has a value and the case is open at the month's end).
async fn desk_with_samples(dir: &Path) -> desk::Desk {
    let desk = desk::Desk::open(dir.join("data"), desk::DeskOptions::default()).unwrap();
    desk.import(BufReader::new(File::open(FIXTURE).unwrap()))
        .await
        .unwrap();
    let supervisor = domain::Actor::new("s.bianchi", domain::Role::Supervisor);
    for command in [
        serde_json::json!({ "command": "ReopenCase", "caseId": CASE_ID,
            "occurredAt": "2024-05-30T10:00:00Z", "note": "torna per il lavoro" }),
        serde_json::json!({ "command": "TransferCase", "caseId": CASE_ID,
            "occurredAt": "2024-05-30T11:00:00Z", "caseWorker": "l.bianchi",
            "holdingService": { "serviceId": ASL_ID, "reference": "CF-2024/0173" } }),
    ] {
        let command: domain::Command = serde_json::from_value(command).unwrap();
        let recorded = desk
            .execute(&supervisor, &command, None, None)
            .await
            .unwrap();
        assert!(recorded.is_ok(), "{command:?} was refused");
    }
    desk
}

fn traced<T: Serialize>(values: impl IntoIterator<Item = T>) -> Shape {
    values
        .into_iter()
        .fold(Shape::Unseen, |shape, v| shape.merge(Shape::of(&v)))
}

/// Each GraphQL object that shows a view, and the view's values, traced.
fn samples(m: &ReadModels) -> Vec<(&'static str, Shape)> {
    let month = Period::parse_month("2024-05").unwrap();
    let persons = m.persons(&PersonFilter::default());
    let history = persons
        .iter()
        .filter_map(|p| m.person_history(p.id))
        .flatten();
    let mediations = MediationFilter::default();
    let all_services = ServiceFilter {
        retired: None,
        ..ServiceFilter::default()
    };
    // Every day of May and June 2024: the demo's appointments, one of them moved to June.
    let first = chrono::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
    let agenda: Vec<_> = (0..61)
        .flat_map(|d| m.agenda(None, first + chrono::Days::new(d), None))
        .collect();
    let due = DueFilter {
        on: first,
        within_days: 366,
        site: None,
        owner: None,
    };
    let diaries = DiaryFilter {
        sites: None,
        period: month,
        mediator: None,
    };
    vec![
        ("Person", traced(&persons)),
        ("PseudonymousPerson", traced(&persons)),
        ("PossibleDuplicate", traced(&persons)),
        ("Case", traced(m.cases(&CaseFilter::default()))),
        ("Referral", traced(m.referrals(&ReferralFilter::default()))),
        (
            "MediationRequest",
            traced(m.mediation_requests(&mediations)),
        ),
        (
            "MediationSession",
            traced(m.mediation_sessions(&mediations)),
        ),
        (
            "LogbookEntry",
            traced(m.logbook_entries(&LogbookFilter::default())),
        ),
        (
            "LogbookCoverage",
            traced(m.missing_logbook_days(&month, None)),
        ),
        ("Service", traced(m.services(&all_services))),
        (
            "SupervisionMeeting",
            traced(m.supervision_meetings(&month, None)),
        ),
        ("MonthMeetings", traced(m.supervision_months(&month, None))),
        ("MonitoringReport", traced([m.monitoring(&month, None)])),
        ("HistoryEntry", traced(history)),
        ("Appointment", traced(agenda)),
        ("DueItem", traced(m.due(&due))),
        ("DiaryEntry", traced(m.diaries(&diaries))),
        (
            "ProfessionalGrowth",
            traced(m.professional_growth(&diaries)),
        ),
    ]
}

/// The `pub struct`s declared in the `.rs` files under `dir`, with the file of each.
fn pub_structs(dir: &Path, out: &mut BTreeMap<String, PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            pub_structs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                if let Some(rest) = line.strip_prefix("pub struct ") {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.insert(name, path.clone());
                }
            }
        }
    }
}

#[tokio::test]
async fn every_view_field_is_shown_by_its_graphql_object_or_listed() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk_with_samples(dir.path()).await;
    let samples = desk.read(samples);
    let objects = object_types(&api::sdl());
    assert!(objects.contains_key("Case"), "the SDL was read");

    let mut walk = Walk {
        objects: &objects,
        problems: Vec::new(),
        shown: BTreeSet::new(),
        reached: BTreeSet::new(),
        used_shown_as: BTreeSet::new(),
        used_hidden: BTreeSet::new(),
    };
    let mut traced_structs = BTreeSet::new();
    for (object, shape) in &samples {
        match shape {
            Shape::Struct(view, _) => {
                shape.names(&mut traced_structs);
                walk.compare(shape, object, view);
            }
            _ => walk.problems.push(format!(
                "no value of the view that GraphQL {object} shows: the samples must hold one"
            )),
        }
    }
    let mut problems = std::mem::take(&mut walk.problems);
    problems.extend(walk.unshown());

    // Rules that no longer name anything.
    for (i, rule) in SHOWN_AS.iter().enumerate() {
        if !walk.used_shown_as.contains(&i) {
            problems.push(format!("SHOWN_AS {rule:?} names no view field: remove it"));
        }
    }
    for (i, rule) in HIDDEN.iter().enumerate() {
        if !walk.used_hidden.contains(&i) {
            problems.push(format!("HIDDEN {rule:?} names no view field: remove it"));
        }
    }
    for rule in DERIVED {
        let (object, field, _) = rule;
        let exists = walk.reached.contains(*object)
            && objects[*object].contains_key(*field)
            && !walk
                .shown
                .contains(&(object.to_string(), field.to_string()));
        if !exists {
            problems.push(format!(
                "DERIVED {rule:?} names no field of an object that shows a view, or one a view \
                 field reaches: remove it"
            ));
        }
    }

    // Every `pub struct` of `projections` is a traced view or says why it is none.
    let mut structs = BTreeMap::new();
    pub_structs(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../projections/src"),
        &mut structs,
    );
    for (name, file) in &structs {
        let listed = NOT_VIEWS.iter().any(|(n, _)| n == name);
        if !traced_structs.contains(name.as_str()) && !listed {
            problems.push(format!(
                "pub struct {name} ({}) is no view any sample traced: if a GraphQL object shows \
                 it, derive `Serialize` (camelCase) on it and add its values to `samples` of \
                 crates/api/tests/view_parity.rs; if none does, list it in NOT_VIEWS with why",
                file.display()
            ));
        }
        if traced_structs.contains(name.as_str()) && listed {
            problems.push(format!(
                "{name} is traced as a view: remove it from NOT_VIEWS"
            ));
        }
    }
    for (name, _) in NOT_VIEWS {
        if !structs.contains_key(*name) {
            problems.push(format!(
                "NOT_VIEWS names {name}, which projections no longer declares"
            ));
        }
    }

    assert!(
        problems.is_empty(),
        "views and GraphQL objects differ:\n- {}",
        problems.join("\n- ")
    );
}
