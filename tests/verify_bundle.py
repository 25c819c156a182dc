#!/usr/bin/env python3
"""Check an `impact bundle create` file without the IMPACT code: the Ed25519 signature of its
checkpoint, the RFC 9162 inclusion proof (blake3) of every event, that no position is missing,
and the hash of every full record it carries (docs/VERIFYING.md, ARCHITECTURE.md).

    python3 tests/verify_bundle.py BUNDLE.json --public-key HEX

Exit 0 when everything verifies; 1 naming every problem; 2 on a usage error.
Needs the `blake3` and `cryptography` packages (pip install blake3 cryptography).
"""
import base64
import json
import struct
import sys

import blake3
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "impact-evaluator-bundle/1"
# Types whose bundle entry carries the full stored record (domain::TYPES_WITHOUT_PERSONAL_DATA).
FULL_RECORD_TYPES = {
    "ServiceMapped",
    "ServiceUpdated",
    "ServiceRetired",
    "InformationMaterialDistributed",
    "CheckpointSigned",
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
    take(16 + 8 + 8 + 8)  # id, stream version, occurred_at, recorded_at
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


def verify(bundle, public_key):
    """Returns (summary, problems)."""
    problems = []
    if bundle.get("format") != FORMAT:
        problems.append(f"format: {bundle.get('format')!r} is not {FORMAT}")
    try:
        size, root, signed_at = read_checkpoint(bundle["checkpoint"], public_key)
    except (ValueError, KeyError) as error:
        return None, problems + [f"checkpoint: {error}"]
    first, last = bundle["firstPosition"], bundle["lastPosition"]
    if last > size:
        problems.append(f"lastPosition: {last} is beyond the checkpoint's tree size {size}")
    expected = first
    rehashed = 0
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
        record = event.get("record")
        if record is None:
            if event["type"] in FULL_RECORD_TYPES:
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
            "actorRole": fields["actor_role"] == event["actorRole"],
            "payload": json.loads(fields["payload"]) == event["payload"],
        }
        for name, ok in readable.items():
            if not ok:
                problems.append(f"position {at}: record: {name} differs from the hashed record")
        rehashed += 1
    if first <= last and expected != last + 1:
        problems.append(f"position {expected}: missing (the bundle ends before position {last})")
    summary = (f"{len(bundle['events'])} events (positions {first} to {last}) in the tree of "
               f"size {size} signed at {signed_at}; {rehashed} full records re-hashed")
    return summary, problems


def main(argv):
    if len(argv) != 4 or argv[2] != "--public-key":
        print(__doc__, file=sys.stderr)
        return 2
    key_text = argv[3].strip()
    try:
        public_key = bytes.fromhex(key_text) if len(key_text) == 64 else base64.b64decode(key_text)
    except ValueError:
        public_key = b""
    if len(public_key) != 32:
        print("the public key is 64 hex digits or base64 of 32 bytes", file=sys.stderr)
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
    except (KeyError, TypeError) as error:
        print(f"FAILED: a field is missing or malformed: {error}")
        return 1
    if problems:
        print(f"FAILED: {len(problems)} problem(s):")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(f"verified: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
