#!/usr/bin/env python3
"""Re-verify an `impact export` file without the IMPACT code: the byte layout of
ARCHITECTURE.md ("The bytes that are hashed"), blake3 keyed with the previous hash.

    python3 tests/verify_export.py EXPORT.jsonl [--head POSITION:HASH]

Exit 0 and print the head when every record is intact (and, with --head, the export ends at the
head an auditor wrote down); exit 1 naming the first bad position.
Needs the `blake3` package (pip install blake3).
"""
import datetime
import json
import struct
import sys

import blake3

GENESIS = blake3.blake3(b"impact-journal genesis v1").digest()


class Bad(Exception):
    def __init__(self, position, what):
        super().__init__(f"position {position}: {what}")
        self.position = position


def parse(record):
    """Splits a stored record into its fields, in the documented order."""
    at = 0

    def take(n):
        nonlocal at
        if at + n > len(record):
            raise ValueError("record ends early")
        out = record[at:at + n]
        at += n
        return out

    fields = {}
    (fields["format"],) = struct.unpack(">B", take(1))
    if fields["format"] not in (1, 2):
        raise ValueError(f"unknown format {fields['format']}")
    (fields["position"],) = struct.unpack(">Q", take(8))
    fields["id"] = int.from_bytes(take(16), "big")
    (fields["version"],) = struct.unpack(">Q", take(8))
    (fields["occurred_us"],) = struct.unpack(">q", take(8))
    (fields["recorded_us"],) = struct.unpack(">q", take(8))
    (fields["schema_version"],) = struct.unpack(">H", take(2))
    (fields["append_index"],) = struct.unpack(">H", take(2))
    (fields["append_len"],) = struct.unpack(">H", take(2))

    def text():
        (length,) = struct.unpack(">H", take(2))
        return take(length).decode("utf-8")

    if fields["format"] == 1:
        for name in ("stream", "type", "actor_id", "actor_role"):
            fields[name] = text()
        (length,) = struct.unpack(">I", take(4))
        fields["payload"] = take(length)
        fields["prev_hash"] = take(32)
        body_end = at
    else:
        # docs/VERIFYING.md, "Record format 2": the body, then the openings, then the hash.
        fields["type"] = text()
        fields["actor_role"] = text()
        stream_digest, actor_digest, commitment = take(32), take(32), take(32)
        fields["prev_hash"] = take(32)
        body_end = at
        fields["stream"] = text()
        if digest(take(16), "stream", fields["stream"].encode()) != stream_digest:
            raise ValueError("the stream does not match its digest")
        fields["actor_id"] = text()
        if digest(take(16), "actorId", fields["actor_id"].encode()) != actor_digest:
            raise ValueError("the actor id does not match its digest")
        (count,) = struct.unpack(">H", take(2))
        digests, parts = [], []
        for _ in range(count):
            salt = take(16)
            name = text()
            if any(c in name for c in '"\\') or any(ord(c) < 0x20 for c in name):
                raise ValueError("a field name holds a quote, a backslash or a control character")
            (length,) = struct.unpack(">I", take(4))
            value = take(length)
            digests.append(digest(salt, name, value))
            parts.append(b'"' + name.encode() + b'":' + value)
        if blake3.blake3(b"".join(digests)).digest() != commitment:
            raise ValueError("the payload does not match its commitment")
        fields["payload"] = b"{" + b",".join(parts) + b"}"
    fields["hash"] = take(32)
    if at != len(record):
        raise ValueError(f"{len(record) - at} bytes after the hash")
    return fields, record[:body_end]


def digest(salt, name, value):
    """A committed value's digest: blake3(salt, u16 len(name), name, u32 len(value), value)."""
    name = name.encode("utf-8")
    return blake3.blake3(
        salt + struct.pack(">H", len(name)) + name + struct.pack(">I", len(value)) + value
    ).digest()


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid_text(value):
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def rfc3339(micros):
    """A stored time (microseconds since 1970, UTC) as the export writes it: RFC 3339 with six
    fractional digits and `Z`, e.g. 2024-05-02T09:15:00.000000Z."""
    seconds, fraction = divmod(micros, 1_000_000)
    at = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)
    return at.strftime("%Y-%m-%dT%H:%M:%S") + f".{fraction:06d}Z"


def verify(lines):
    prev = None
    expected_position = None
    head = None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        event = json.loads(line)
        position = event.get("position", f"line {number}")
        record = bytes.fromhex(event["record"])
        try:
            fields, body = parse(record)
        except ValueError as error:
            raise Bad(position, f"undecodable record: {error}")
        # From here on the record's own position names the line.
        position = fields["position"]
        if expected_position is not None and fields["position"] != expected_position:
            raise Bad(expected_position, "missing position")
        if prev is None:
            # The first line links to genesis at position 1; a range export trusts its prevHash.
            prev = GENESIS if fields["position"] == 1 else bytes.fromhex(event["prevHash"])
        if fields["prev_hash"] != prev:
            raise Bad(position, "broken link: previous hash differs")
        if blake3.blake3(body, key=prev).digest() != fields["hash"]:
            raise Bad(position, "hash mismatch: the stored bytes were altered")
        if fields["hash"].hex() != event["hash"] or fields["prev_hash"].hex() != event["prevHash"]:
            raise Bad(position, "the JSON hashes differ from the record's")
        # The readable envelope must say what the hashed bytes say.
        checks = {
            "id": ulid_text(fields["id"]) == event["id"],
            "stream": fields["stream"] == event["stream"],
            "position": fields["position"] == event.get("position"),
            "version": fields["version"] == event["version"],
            "type": fields["type"] == event["type"],
            "schemaVersion": fields["schema_version"] == event["schemaVersion"],
            "occurredAt": rfc3339(fields["occurred_us"]) == event["occurredAt"],
            "recordedAt": rfc3339(fields["recorded_us"]) == event["recordedAt"],
            "actor": {"id": fields["actor_id"], "role": fields["actor_role"]} == event["actor"],
            "payload": json.loads(fields["payload"]) == event["payload"],
        }
        for name, ok in checks.items():
            if not ok:
                raise Bad(position, f"the JSON {name} differs from the hashed record")
        prev = fields["hash"]
        expected_position = fields["position"] + 1
        head = (fields["position"], fields["hash"].hex())
    return head


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        lines = handle.readlines()
    try:
        head = verify(lines)
    except Bad as error:
        print(f"DAMAGED {error}")
        return 1
    if head is None:
        print("empty export")
        return 0
    if len(argv) >= 4 and argv[2] == "--head":
        position, digest = argv[3].split(":")
        if (int(position), digest) != head:
            print(f"DAMAGED head is {head[0]}:{head[1]}, expected {argv[3]}")
            return 1
    print(f"intact: head {head[0]} {head[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
