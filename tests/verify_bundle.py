#!/usr/bin/env python3
"""Check an `impact bundle create` file without the IMPACT code: the Ed25519 signature of its
checkpoint and of its manifest, that the manifest says what the bundle's fields say, the RFC 9162
inclusion proof (blake3) of every event and of the two neighbours outside the period, that every
event was recorded in the period and the neighbours outside it, that no position is missing, and
the hash of every full record it carries (docs/VERIFYING.md, ARCHITECTURE.md).

    python3 tests/verify_bundle.py BUNDLE.json --public-key HEX [--witness HEX ...] [--report]

--report recomputes every figure the signed manifest states (counts, breakdowns, sums and the
monitoring template's tables) from what the bundle proves, names those that differ, checks the
small-cell suppression under the manifest's threshold, and lists those the bundle cannot prove.

Exit 0 when everything verifies; 1 naming every problem; 2 on a usage error.
Needs the `blake3` and `cryptography` packages (pip install blake3 cryptography).
"""
import base64
import datetime
import hashlib
import json
import re
import struct
import sys

import blake3
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "impact-evaluator-bundle/2"
MANIFEST_FORMAT = "impact-evaluator-bundle-manifest/1"
# Types whose bundle entry carries the full stored record (format 1) or every field disclosed
# (format 2): domain::TYPES_WITHOUT_PERSONAL_DATA.
FULL_RECORD_TYPES = {
    "ServiceMapped",
    "ServiceUpdated",
    "ServiceRetired",
    "InformationMaterialDistributed",
    "CheckpointSigned",
    "SiteScheduled",
}


def leaf_hash(data):
    return blake3.blake3(b"\x00" + data).digest()


def node_hash(left, right):
    return blake3.blake3(b"\x01" + left + right).digest()


def root_from_inclusion(index, size, leaf, path):
    """RFC 9162 section 2.1.3.2; returns the root, or raises ValueError."""
    if index >= size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ValueError("the proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the proof is too short")
    return r


TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def manifest_lines(bundle, origin, size, root):
    """The manifest's lines as the bundle's own fields make them (header, then one per event)."""
    def neighbour(word, n):
        if n is None:
            return f"{word} none"
        return f"{word} {n['position']} {n['eventHash']} {n['recordedAt']}"
    boundary = bundle["boundary"]
    header = [
        MANIFEST_FORMAT,
        f"origin {origin}",
        f"checkpoint {size} {base64.b64encode(root).decode()}",
        f"period {bundle['period']['from']} {bundle['period']['to']}",
        f"range {bundle['firstPosition']} {bundle['lastPosition']} {len(bundle['events'])}",
        neighbour("before", boundary.get("before")),
        neighbour("after", boundary.get("after")),
    ]
    k = bundle.get("kAnonymity")
    if k is not None:
        header.append(f"k-anonymity {k['minCell']} {k['personsWithheld']}")
    events = {
        e["position"]: f"event {e['position']} {e['eventHash']} {e['type']} {e['schemaVersion']} "
        f"{e['occurredAt']} {e['recordedAt']} {e['actorRole']}"
        for e in bundle["events"]
    }
    return header, events


EVENT_FIELDS = ["", "", "eventHash", "type", "schemaVersion", "occurredAt", "recordedAt",
                "actorRole"]


def check_manifest(bundle, public_key, origin, size, root):
    """The manifest's signature, then each of its lines against the bundle's fields."""
    problems = []
    text = bundle["manifest"]
    try:
        signature = base64.b64decode(bundle["manifestSignature"], validate=True)
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, text.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return ["manifest: the signature does not verify with the public key"]
    if not text.endswith("\n"):
        return ["manifest: it must end with a line end"]
    signed = text[:-1].split("\n")
    header, events = manifest_lines(bundle, origin, size, root)
    for index, line in enumerate(header):
        theirs = signed[index] if index < len(signed) else ""
        if theirs != line:
            problems.append(f"manifest: the bundle's {line.split(' ')[0]} differs from the signed "
                            f"manifest ({theirs!r})")
    signed_events = {}
    for line in signed[len(header):]:
        words = line.split(" ")
        if words[0] not in ("event", "figure"):
            problems.append(f"manifest: the signed manifest says {line!r}, the bundle's fields make "
                            f"no {words[0]} line")
        if words[0] == "event" and len(words) > 1 and words[1].isdigit():
            signed_events[int(words[1])] = line
    for position, line in events.items():
        theirs = signed_events.get(position)
        if theirs is None:
            problems.append(f"position {position}: not in the signed manifest")
        elif theirs != line:
            ours, signed_words = line.split(" "), theirs.split(" ")
            names = [name for i, name in enumerate(EVENT_FIELDS)
                     if i >= len(signed_words) or ours[i] != signed_words[i]]
            problems.append(f"position {position}: {', '.join(names)} differs from the signed "
                            "manifest")
    for position in sorted(set(signed_events) - set(events)):
        problems.append(f"position {position}: missing (the signed manifest lists it)")
    return problems


def check_boundary(bundle, size, root, signed_at):
    """Every event recorded in the period; the neighbours just outside it. Returns (problems,
    the time the bundle is complete up to when that is before the period's end, or None)."""
    problems = []
    start = bundle["period"]["from"] + "T00:00:00.000000Z"
    end_day = datetime.date.fromisoformat(bundle["period"]["to"]) + datetime.timedelta(days=1)
    end = end_day.isoformat() + "T00:00:00.000000Z"
    # The times have one fixed width, so comparing the texts compares the instants.
    for event in bundle["events"]:
        for name in ("occurredAt", "recordedAt"):
            if not TIME.match(event[name]):
                problems.append(f"position {event['position']}: {name} {event[name]!r} is not "
                                "RFC 3339 with six fractional digits and Z")
        if TIME.match(event["recordedAt"]) and not start <= event["recordedAt"] < end:
            problems.append(f"position {event['position']}: recordedAt {event['recordedAt']} is "
                            "outside the period")
    first, last = bundle["firstPosition"], bundle["lastPosition"]

    def neighbour(word, n, position, outside):
        if n["position"] != position:
            problems.append(f"boundary.{word}: position {n['position']} is not {position}")
        if not (TIME.match(n["recordedAt"]) and outside(n["recordedAt"])):
            problems.append(f"boundary.{word}: position {n['position']} was recorded at "
                            f"{n['recordedAt']}, not {word} the period")
        try:
            leaf = leaf_hash(bytes.fromhex(n["eventHash"]))
            path = [bytes.fromhex(h) for h in n["proof"]]
            if root_from_inclusion(n["position"] - 1, size, leaf, path) != root:
                problems.append(f"boundary.{word}: position {n['position']}: the proof does not "
                                "lead to the signed root")
        except ValueError as error:
            problems.append(f"boundary.{word}: position {n['position']}: {error}")

    before, after = bundle["boundary"].get("before"), bundle["boundary"].get("after")
    if first > 1 and before is None:
        problems.append(f"boundary.before: missing; position {first - 1} must be shown")
    elif first == 1 and before is not None:
        problems.append("boundary.before: there is no event before position 1")
    elif before is not None:
        neighbour("before", before, first - 1, lambda t: t < start)
    complete_until = None
    if last < size and after is None:
        problems.append(f"boundary.after: missing; position {last + 1} must be shown")
    elif last >= size and after is not None:
        problems.append(f"boundary.after: the checkpoint's tree ends at lastPosition {last}")
    elif after is not None:
        neighbour("after", after, last + 1, lambda t: t >= end)
    elif signed_at < end[:19] + "Z":
        complete_until = signed_at
    return problems, complete_until


def read_checkpoint(note, public_key):
    """Returns (tree size, root, time) of a note signed by public_key, or raises ValueError."""
    lines = note.strip("\r\n ").replace("\r\n", "\n").split("\n")
    if len(lines) != 6 or lines[4] != "":
        raise ValueError("a checkpoint has 4 lines, an empty line and a signature line")
    origin = "impact-journal/" + blake3.blake3(public_key).digest()[:8].hex()
    if lines[0] != origin:
        raise ValueError(f"the checkpoint is from {lines[0]}, the key given is {origin}'s")
    prefix = "\u2014 " + origin + " "
    if not lines[5].startswith(prefix):
        raise ValueError("the signature line must be: \u2014 origin signature")
    signature = base64.b64decode(lines[5][len(prefix):], validate=True)
    body = "\n".join(lines[:4]) + "\n"
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, body.encode("utf-8"))
    except InvalidSignature:
        raise ValueError("the signature does not verify with the public key")
    root = base64.b64decode(lines[2], validate=True)
    if len(root) != 32:
        raise ValueError("the root is not 32 bytes")
    return int(lines[1]), root, lines[3]


def rfc3339(micros):
    """A stored time (microseconds since 1970, UTC) as bundles and exports write it."""
    seconds, fraction = divmod(micros, 1_000_000)
    at = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)
    return at.strftime("%Y-%m-%dT%H:%M:%S") + f".{fraction:06d}Z"


def parse_record(record):
    """The fields of a stored record (ARCHITECTURE.md, "The bytes that are hashed")."""
    at = 0

    def take(n):
        nonlocal at
        if at + n > len(record):
            raise ValueError("the record ends early")
        out = record[at:at + n]
        at += n
        return out

    fields = {}
    if take(1) != b"\x01":
        raise ValueError("unknown record format")
    (fields["position"],) = struct.unpack(">Q", take(8))
    take(16 + 8)  # id, stream version
    (fields["occurred_us"],) = struct.unpack(">q", take(8))
    (fields["recorded_us"],) = struct.unpack(">q", take(8))
    (fields["schema_version"],) = struct.unpack(">H", take(2))
    take(4)  # append index and length
    for name in ("stream", "type", "actor_id", "actor_role"):
        (length,) = struct.unpack(">H", take(2))
        fields[name] = take(length).decode("utf-8")
    (length,) = struct.unpack(">I", take(4))
    fields["payload"] = take(length)
    prev = take(32)
    body = record[:at]
    fields["hash"] = take(32)
    if at != len(record):
        raise ValueError("bytes after the hash")
    if blake3.blake3(body, key=prev).digest() != fields["hash"]:
        raise ValueError("hash mismatch: the record's bytes were altered")
    return fields


def digest(salt, name, value):
    """A committed value's digest (docs/VERIFYING.md, "Record format 2")."""
    name = name.encode("utf-8")
    return blake3.blake3(
        salt + struct.pack(">H", len(name)) + name + struct.pack(">I", len(value)) + value
    ).digest()


def parse_body(body):
    """The envelope a format-2 body holds: its fixed fields, type, role, the three digests and
    the previous hash, nothing after."""
    at = 0

    def take(n):
        nonlocal at
        if at + n > len(body):
            raise ValueError("the body ends early")
        out = body[at:at + n]
        at += n
        return out

    if take(1) != b"\x02":
        raise ValueError("a body is of record format 2")
    fields = {}
    (fields["position"],) = struct.unpack(">Q", take(8))
    take(16 + 8)  # id, stream version
    (fields["occurred_us"],) = struct.unpack(">q", take(8))
    (fields["recorded_us"],) = struct.unpack(">q", take(8))
    (fields["schema_version"],) = struct.unpack(">H", take(2))
    take(4)  # append index and length
    for name in ("type", "actor_role"):
        (length,) = struct.unpack(">H", take(2))
        fields[name] = take(length).decode("utf-8")
    take(64)  # the stream's and the actor id's digests
    fields["commitment"] = take(32)
    fields["prev_hash"] = take(32)
    if at != len(body):
        raise ValueError("bytes after the previous hash")
    return fields


# Fields a bundle shows as pseudonyms, never as the value proven (person ids, account names).
PSEUDONYMISED = {"personId", "intoPersonId", "mediator", "caseWorker", "staff", "facilitators",
                 "supervisor", "attendees", "owner", "user"}


def check_body(event, event_hash):
    """A format-2 event: its body hashes to eventHash and holds the readable envelope; its field
    digests make the body's commitment; each disclosure is one of them and says what the readable
    payload says. Returns the problems, and the disclosed values by name."""
    at = event["position"]
    try:
        body = bytes.fromhex(event["body"])
        fields = parse_body(body)
    except ValueError as error:
        return [f"position {at}: body: {error}"], {}
    if blake3.blake3(body, key=fields["prev_hash"]).digest() != event_hash:
        return [f"position {at}: body: its hash is not eventHash: the body was altered"], {}
    problems = []
    readable = {
        "position": fields["position"] == at,
        "type": fields["type"] == event["type"],
        "schemaVersion": fields["schema_version"] == event["schemaVersion"],
        "occurredAt": rfc3339(fields["occurred_us"]) == event["occurredAt"],
        "recordedAt": rfc3339(fields["recorded_us"]) == event["recordedAt"],
        "actorRole": fields["actor_role"] == event["actorRole"],
    }
    for name, ok in readable.items():
        if not ok:
            problems.append(f"position {at}: body: {name} differs from the proven envelope")
    try:
        digests = [bytes.fromhex(d) for d in event.get("fieldDigests", [])]
    except ValueError:
        return problems + [f"position {at}: fieldDigests: not hex"], {}
    if blake3.blake3(b"".join(digests)).digest() != fields["commitment"]:
        return problems + [f"position {at}: fieldDigests: they do not make the body's payload "
                           "commitment"], {}
    proven = {}
    for d in event.get("disclosures", []):
        name = d["name"]
        if name in proven:
            problems.append(f"position {at}: disclosure {name}: shown twice")
            continue
        try:
            salt = bytes.fromhex(d["salt"])
        except ValueError:
            salt = b""
        if len(salt) != 16 or digest(salt, name, d["value"].encode("utf-8")) not in digests:
            problems.append(f"position {at}: disclosure {name}: not proven")
            continue
        value = json.loads(d["value"])
        proven[name] = value
        payload = event.get("payload")
        if isinstance(payload, dict) and name in payload and name not in PSEUDONYMISED:
            if payload[name] != value:
                problems.append(f"position {at}: payload.{name}: not the proven value")
    return problems, proven


def verify(bundle, public_key):
    """Returns (summary, problems)."""
    problems = []
    if bundle.get("format") != FORMAT:
        return None, [f"format: {bundle.get('format')!r} is not {FORMAT}"]
    try:
        size, root, signed_at = read_checkpoint(bundle["checkpoint"], public_key)
    except (ValueError, KeyError) as error:
        return None, problems + [f"checkpoint: {error}"]
    origin = bundle["checkpoint"].strip("\r\n ").split("\n")[0].strip("\r")
    problems += check_manifest(bundle, public_key, origin, size, root)
    boundary_problems, complete_until = check_boundary(bundle, size, root, signed_at)
    problems += boundary_problems
    first, last = bundle["firstPosition"], bundle["lastPosition"]
    if first < 1:
        problems.append("firstPosition: positions start at 1")
    if last + 1 < first:
        problems.append(f"lastPosition: {last} is before firstPosition {first}")
    if last > size:
        problems.append(f"lastPosition: {last} is beyond the checkpoint's tree size {size}")
    expected = first
    rehashed = 0
    bodies = 0
    disclosed = 0
    for i, event in enumerate(bundle["events"]):
        at = event["position"]
        if at != expected:
            problems.append(f"position {expected}: missing or out of order (events[{i}] is {at})")
            expected = at
        expected += 1
        try:
            event_hash = bytes.fromhex(event["eventHash"])
            path = [bytes.fromhex(h) for h in event["proof"]]
            computed = root_from_inclusion(at - 1, size, leaf_hash(event_hash), path)
            if computed != root:
                problems.append(f"position {at}: the proof does not lead to the signed root")
        except ValueError as error:
            problems.append(f"position {at}: {error}")
            continue
        if "body" in event:
            body_problems, _ = check_body(event, event_hash)
            problems.extend(body_problems)
            bodies += 1 if not body_problems else 0
            disclosed += len(event.get("disclosures", []))
        record = event.get("record")
        whole = "body" in event and len(event.get("disclosures", [])) == len(
            event.get("fieldDigests", []))
        if record is None:
            if event["type"] in FULL_RECORD_TYPES and not whole:
                problems.append(f"position {at}: the full record of a {event['type']} is missing")
            continue
        try:
            fields = parse_record(bytes.fromhex(record))
        except ValueError as error:
            problems.append(f"position {at}: record: {error}")
            continue
        if fields["hash"] != event_hash:
            problems.append(f"position {at}: record: its hash is not eventHash")
        readable = {
            "position": fields["position"] == at,
            "type": fields["type"] == event["type"],
            "schemaVersion": fields["schema_version"] == event["schemaVersion"],
            "occurredAt": rfc3339(fields["occurred_us"]) == event["occurredAt"],
            "recordedAt": rfc3339(fields["recorded_us"]) == event["recordedAt"],
            "actorRole": fields["actor_role"] == event["actorRole"],
            "payload": json.loads(fields["payload"]) == event["payload"],
        }
        for name, ok in readable.items():
            if not ok:
                problems.append(f"position {at}: record: {name} differs from the hashed record")
        rehashed += 1
    if first <= last and not bundle["events"]:
        problems.append(f"events: positions {first} to {last} are all missing")
    elif first <= last and expected != last + 1:
        problems.append(f"position {expected}: missing (the bundle ends before position {last})")
    summary = (f"{len(bundle['events'])} events (positions {first} to {last}), the whole period "
               f"{bundle['period']['from']} to {bundle['period']['to']}, in the tree of "
               f"size {size} signed at {signed_at}; {rehashed} full records re-hashed; "
               f"{bodies} envelopes proven from their hash, {disclosed} fields disclosed and "
               "proven")
    if complete_until:
        summary += (f"; the checkpoint was signed at {complete_until}, before the period ended: "
                    "complete up to that time only")
    return summary, problems


def read_key(text):
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text)
    except ValueError:
        return None
    return key if len(key) == 32 else None


def check_cosignature(line, witness_key, note):
    """True when `line` is a cosignature/v1 of the note's checkpoint by witness_key (ADR 0012)."""
    line = line.rstrip("\r\n")
    if not line.startswith("\u2014 ") or " " not in line[2:]:
        return False
    name, blob = line[2:].rsplit(" ", 1)
    try:
        blob = base64.b64decode(blob, validate=True)
    except ValueError:
        return False
    key_id = hashlib.sha256(name.encode() + b"\n\x04" + witness_key).digest()[:4]
    if len(blob) != 76 or blob[:4] != key_id:
        return False
    (time,) = struct.unpack(">Q", blob[4:12])
    body = "\n".join(note.strip("\r\n ").replace("\r\n", "\n").split("\n")[:4]) + "\n"
    message = f"cosignature/v1\ntime {time}\n{body}".encode("utf-8")
    try:
        Ed25519PublicKey.from_public_bytes(witness_key).verify(blob[12:], message)
    except InvalidSignature:
        return False
    return True


SUPPRESSED = "*"
# The counts by a field's value and the sums of a field (docs/VERIFYING.md, "Figures").
BY_FIELD = [
    ("registered-by-sex", "PersonRegistered", "sex"),
    ("interventions-by-activity", "InterventionDelivered", "activity"),
    ("referral-outcomes", "ReferralOutcomeRecorded", "outcome"),
    ("mediation-sessions-by-kind", "MediationSessionHeld", "kind"),
]
PERSONS_BY_FIELD = ["registered-by-sex"]
SUMS = [
    ("intervention-minutes", "InterventionDelivered", "durationMinutes"),
    ("group-activity-minutes", "GroupActivityHeld", "durationMinutes"),
    ("group-attendees-third-country", "GroupActivityHeld", "attendeesThirdCountry"),
]
# The monitoring template's tables: the measures stated, and the tables whose rows count persons.
TABLES = [
    ("contatti_per_attivita_e_sede", ["contacts", "minutes"]),
    ("attivita_di_gruppo", ["activities", "attendees_third_country", "attendees_other", "minutes"]),
    ("materiale_informativo", ["distributions", "quantity"]),
    ("gradimento", ["responses"]),
]
COUNTS_PERSONS = ["contatti_per_attivita_e_sede"]


class Missing(Exception):
    """A field an event needs for a figure is not proven."""


def word(value):
    """A field's value as it stands in a figure's name, or None."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, str)):
        text = str(value)
    else:
        return None
    return text if text and not any(c.isspace() for c in text) else None


def encode(code):
    """A code in a figure's name: `%`, `:` and white space as `%XX` of their UTF-8 bytes."""
    return "".join("".join(f"%{b:02X}" for b in c.encode("utf-8"))
                   if c in "%:" or c.isspace() else c for c in code)


def table_fact(event_type, fields):
    """(table, codes, measures) of an event, None when it belongs to no table; raises Missing."""
    def text(name):
        value = fields.get(name)
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise Missing(name)
        return str(value)

    def number(name):
        value = fields.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Missing(name)
        return value

    if event_type == "IntakeRecorded":
        return ("contatti_per_attivita_e_sede", ["intake", text("siteId")],
                {"contacts": 1, "minutes": 0})
    if event_type == "InterventionDelivered":
        return ("contatti_per_attivita_e_sede", [text("activity"), text("siteId")],
                {"contacts": 1, "minutes": number("durationMinutes")})
    if event_type == "MediationSessionHeld":
        def at(name):
            try:
                return datetime.datetime.fromisoformat(text(name).replace("Z", "+00:00"))
            except ValueError:
                raise Missing(name)
        seconds = (at("endedAt") - at("startedAt")).total_seconds()
        # Whole minutes, towards zero; a negative span counts none.
        minutes = max(int(seconds / 60), 0)
        return ("contatti_per_attivita_e_sede", ["mediation", text("siteId")],
                {"contacts": 1, "minutes": minutes})
    if event_type == "GroupActivityHeld":
        text("siteId")
        return ("attivita_di_gruppo", [text("kind")],
                {"activities": 1, "attendees_third_country": number("attendeesThirdCountry"),
                 "attendees_other": number("attendeesOther"),
                 "minutes": number("durationMinutes")})
    if event_type == "InformationMaterialDistributed":
        text("siteId")
        return ("materiale_informativo", [text("item"), text("language"), text("channel")],
                {"distributions": 1, "quantity": number("quantity")})
    if event_type == "SatisfactionSurveyCompleted":
        text("siteId")
        if not isinstance(fields.get("helpfulForIntegration"), bool):
            raise Missing("helpfulForIntegration")
        return ("gradimento", [f"{text('definition')}/{text('version')}"], {"responses": 1})
    return None


def proven_fields(event):
    """The payload fields an event proves (a full record's payload, or a format-2 event's
    disclosures), or None."""
    if "record" in event:
        try:
            payload = json.loads(parse_record(bytes.fromhex(event["record"]))["payload"])
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None
    if "body" not in event:
        return None
    _, proven = check_body(event, bytes.fromhex(event["eventHash"]))
    return proven


def recompute(bundle):
    """Every figure the proven events make: {name: value}, and {figure or table: (events
    missing a field, the field)} for those that are not provable."""
    values, missing = {}, {}

    def add(name, n):
        values[name] = values.get(name, 0) + n

    def miss(figure, field):
        count, first = missing.get(figure, (0, field))
        missing[figure] = (count + 1, first)

    tables = {}
    for event in bundle["events"]:
        kind = event["type"]
        fields = proven_fields(event) or {}
        add(f"events:{kind}", 1)
        if kind == "PersonRegistered":
            add("persons-registered", 1)
        if kind == "MediationSessionHeld":
            add("mediation-sessions", 1)
        for figure, event_type, field in BY_FIELD:
            if kind == event_type:
                value = word(fields.get(field))
                if value is None:
                    miss(figure, field)
                else:
                    add(f"{figure}:{value}", 1)
        for figure, event_type, field in SUMS:
            if kind == event_type:
                value = fields.get(field)
                if value is None:
                    miss(figure, field)
                else:
                    add(figure, value if isinstance(value, int) and value >= 0 else 0)
        try:
            fact = table_fact(kind, fields)
        except Missing as field:
            table = {"IntakeRecorded": "contatti_per_attivita_e_sede",
                     "InterventionDelivered": "contatti_per_attivita_e_sede",
                     "MediationSessionHeld": "contatti_per_attivita_e_sede",
                     "GroupActivityHeld": "attivita_di_gruppo",
                     "InformationMaterialDistributed": "materiale_informativo",
                     "SatisfactionSurveyCompleted": "gradimento"}[kind]
            miss(table, str(field))
            continue
        if fact is not None:
            table, codes, measures = fact
            rows = tables.setdefault(table, {})
            row = rows.setdefault(tuple(codes), {})
            for measure, n in measures.items():
                row[measure] = row.get(measure, 0) + n
    for table, measures in TABLES:
        rows = tables.get(table, {})
        for codes, row in rows.items():
            for measure in measures:
                suffix = "".join(":" + encode(c) for c in codes)
                add(f"{table}.{measure}{suffix}", row.get(measure, 0))
                add(f"{table}.{measure}", row.get(measure, 0))
    return values, missing


def table_of(name):
    return name.split(":")[0].split(".")[0]


def suppress_from(keys, people, hidden, k):
    """The small-cell rule (docs/VERIFYING.md, "Small cells"): primary, then secondary along
    every line and the whole table until no line has exactly one suppressed row."""
    hidden = [h or 0 < n < k for n, h in zip(people, hidden)]
    dims = len(keys[0]) if keys else 0

    def take_second(line):
        candidates = [j for j in line if not hidden[j] and people[j] > 0]
        if not candidates:
            return False
        hidden[min(candidates, key=lambda j: people[j])] = True
        return True

    while True:
        changed = False
        for d in range(dims):
            seen = [False] * len(keys)
            for i in range(len(keys)):
                if seen[i]:
                    continue
                line = [j for j in range(i, len(keys))
                        if all(e == d or keys[j][e] == keys[i][e] for e in range(dims))]
                for j in line:
                    seen[j] = True
                if sum(hidden[j] for j in line) == 1:
                    changed = take_second(line) or changed
        if dims > 1 and sum(hidden) == 1:
            changed = take_second(range(len(keys))) or changed
        if not changed:
            return hidden


def check_protection(stated, values, missing, k):
    """The small-cell rule checked on the stated figures (docs/VERIFYING.md, "Small cells")."""
    problems = []
    for table in PERSONS_BY_FIELD + COUNTS_PERSONS:
        rows = {}
        for name, value in stated.items():
            codes = name.split(":")[1:]
            if table_of(name) == table and codes:
                rows.setdefault(tuple(codes), []).append((name, value))
        keys = sorted(rows)
        hidden, counted = [], []
        for codes in keys:
            cells = sorted(rows[codes])
            suppressed = sum(1 for _, v in cells if v == SUPPRESSED)
            if suppressed not in (0, len(cells)):
                problems.append(f"figure {cells[0][0]}: its row is suppressed in some measures "
                                "and shown in others")
            hidden.append(suppressed != 0)
            if table in PERSONS_BY_FIELD:
                persons = cells[0][1] if cells[0][1] != SUPPRESSED else None
                certain = persons is None or persons > 0
            else:
                persons = next((v for n, v in cells if n.split(":")[0].endswith(".contacts")
                                and v != SUPPRESSED), None)
                certain = codes[0] != "mediation"
            counted.append(certain)
            if persons is not None and certain and persons < k:
                problems.append(f"figure {cells[0][0]}: shows a cell of {persons}, which counts "
                                f"from 1 to {persons} persons, fewer than the threshold {k}: the "
                                "rule suppresses it")
        people = [k if c else 0 for c in counted]
        if suppress_from(keys, people, hidden, k) != hidden:
            problems.append(f"figures of {table}: a line (or the whole table) has one suppressed "
                            "cell only, which the total minus the other cells gives back: the "
                            "rule suppresses a second one")
        if table in PERSONS_BY_FIELD and table not in missing:
            proven = sorted((n, v) for n, v in values.items() if n.startswith(table + ":"))
            rule = suppress_from([n.split(":")[1:] for n, _ in proven], [v for _, v in proven],
                                 [False] * len(proven), k)
            for (name, _), hide in zip(proven, rule):
                said = stated.get(name)
                if hide and said not in (None, SUPPRESSED) and not any(
                        p.startswith(f"figure {name}:") for p in problems):
                    problems.append(f"figure {name}: shown, but the rule suppresses it "
                                    f"(threshold {k})")
                if not hide and said == SUPPRESSED:
                    problems.append(f"figure {name}: suppressed, but the rule shows it "
                                    f"(threshold {k})")
    return problems


def report(bundle):
    """Every figure the signed manifest states against what the bundle proves, and the
    small-cell rule: (problems, not provable)."""
    stated = {}
    for line in bundle["manifest"].split("\n"):
        words = line.split(" ")
        if words[0] == "figure" and len(words) == 3:
            if words[2] == SUPPRESSED:
                stated[words[1]] = SUPPRESSED
            elif words[2].isdigit():
                stated[words[1]] = int(words[2])
    values, missing = recompute(bundle)
    problems, not_provable = [], []
    for name, value in sorted(stated.items()):
        gap = missing.get(table_of(name)) or missing.get(name.split(":")[0])
        if gap is not None:
            not_provable.append(f"figure {name}: not provable from the bundle ({gap[0]} events "
                                f"without a proven {gap[1]})")
        elif name not in values:
            if value == SUPPRESSED:
                problems.append(f"figure {name}: suppressed, but the proven events make no such "
                                "cell")
            else:
                problems.append(f"figure {name}: the manifest says {value}, the proven events "
                                "give 0")
        elif value != SUPPRESSED and values[name] != value:
            problems.append(f"figure {name}: the manifest says {value}, the proven events give "
                            f"{values[name]}")
    for name, value in sorted(values.items()):
        provable = table_of(name) not in missing and name.split(":")[0] not in missing
        if provable and name not in stated:
            problems.append(f"figure {name}: the proven events give {value}, the manifest "
                            "states none")
    k = bundle.get("kAnonymity")
    if k is not None:
        problems += check_protection(stated, values, missing, k["minCell"])
    return problems, not_provable


def main(argv):
    args, public_key, witnesses = argv[2:], None, []
    with_report = "--report" in args
    args = [a for a in args if a != "--report"]
    while len(args) >= 2 and args[0] in ("--public-key", "--witness"):
        key = read_key(args[1])
        if key is None:
            print("a key is 64 hex digits or base64 of 32 bytes", file=sys.stderr)
            return 2
        if args[0] == "--public-key":
            public_key = key
        else:
            witnesses.append(key)
        args = args[2:]
    if len(argv) < 2 or args or public_key is None:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        print(f"cannot read {argv[1]}: {error}", file=sys.stderr)
        return 2
    try:
        bundle = json.loads(text)
    except ValueError as error:
        print(f"FAILED: not a complete bundle (truncated or damaged?): {error}")
        return 1
    try:
        summary, problems = verify(bundle, public_key)
        for witness in witnesses:
            if not any(check_cosignature(line, witness, bundle["checkpoint"])
                       for line in bundle.get("cosignatures", [])):
                problems.append(f"cosignatures: none by the witness key {witness.hex()}")
    except (KeyError, TypeError) as error:
        print(f"FAILED: a field is missing or malformed: {error}")
        return 1
    if problems:
        print(f"FAILED: {len(problems)} problem(s):")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(f"verified: {summary}")
    if with_report:
        problems, not_provable = report(bundle)
        for figure in not_provable:
            print(f"  {figure}")
        if problems:
            print(f"FIGURES: {len(problems)} problem(s) with the figures the manifest states:")
            for problem in problems:
                print(f"  {problem}")
            return 1
        print(f"figures: every figure the bundle proves follows from the proven events, and the "
              f"small cells are suppressed as the rule does ({len(not_provable)} not provable, "
              "listed above)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
