#!/usr/bin/env python3
"""Makes the test vectors of docs/VERIFYING.md from the first lines of the fixture month, with
the `impact` binary (a fresh installation: a new key each time), and the tampered copies.

    python3 tests/vectors/make.py target/debug/impact [--format-2-only]

Run from the repository's root; it rewrites the files of tests/vectors/ listed in expected.txt,
and those of tests/vectors/format-2/. The files of tests/vectors/ itself were made by a build
that recorded format 1 (before docs/adr/0015): they stay as they are, and a verifier must still
accept them; `--format-2-only` makes the files of tests/vectors/format-2/ alone.
"""
import base64
import json
import pathlib
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

OUT = pathlib.Path("tests/vectors")


def run(*args):
    done = subprocess.run([IMPACT, *args], capture_output=True, text=True, env={"IMPACT_LOG": "warn"})
    if done.returncode != 0:
        sys.exit(f"impact {' '.join(args)}: {done.stdout}{done.stderr}")
    return done.stdout


def write(name, text):
    (OUT / name).write_text(text, encoding="utf-8", newline="")


def format_2():
    """A small journal in record format 2: its export, a bundle with disclosures, and tampered
    copies of a disclosed field."""
    out = OUT / "format-2"
    out.mkdir(exist_ok=True)
    fixture = pathlib.Path("fixtures/montelucci-2024-05.jsonl").read_text().splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        data = f"{tmp}/data"
        pathlib.Path(f"{tmp}/first.jsonl").write_text("\n".join(fixture[:12]) + "\n")
        run("import", "--data", data, f"{tmp}/first.jsonl")
        (out / "public-key.txt").write_text(run("key", "show", "--data", data))
        (out / "checkpoint.txt").write_text(run("checkpoint", "--data", data))
        run("export", "--data", data, "--out", str(out / "export.jsonl"))
        head = run("head", "--data", data).split()
        (out / "export.head").write_text(f"{head[0]}:{head[1]}\n")
        lines = [json.loads(l) for l in (out / "export.jsonl").read_text().splitlines()]
        # A field's value changed among the stored openings: its digest no longer holds.
        target = next(l for l in lines if l["type"] == "PersonRegistered")
        record = bytes.fromhex(target["record"])
        # The opening of the field `sex`: its name (u16 length 3), its value's u32 length, then
        # the JSON text `"..."`: one bit of its first letter flipped.
        value_at = record.index(b"\x00\x03sex") + 2 + 3 + 4
        altered_record = bytearray(record)
        altered_record[value_at + 1] ^= 0x01
        target_copy = dict(target, record=bytes(altered_record).hex())
        altered = [target_copy if l is target else l for l in lines]
        (out / "export-field-altered.jsonl").write_text(
            "".join(json.dumps(l) + "\n" for l in altered))
        days = sorted({l["recordedAt"][:10] for l in lines})
        run("bundle", "create", "--data", data, "--from", days[0], "--to", days[-1],
            "--out", str(out / "bundle.json"))
        bundle = json.loads((out / "bundle.json").read_text())
        tampered = json.loads(json.dumps(bundle))
        # The journal's one person is withheld for k-anonymity (fewer than k alike): the
        # disclosure altered is a service's `kind`.
        event = next(e for e in tampered["events"]
                     if any(d["name"] == "kind" for d in e.get("disclosures", [])))
        disclosure = next(d for d in event["disclosures"] if d["name"] == "kind")
        disclosure["value"] = '"altered"'
        (out / "bundle-disclosure-altered.json").write_text(json.dumps(tampered, indent=2) + "\n")
        # Figures changed and the manifest signed again with the installation's own key: the
        # signatures hold, only `--report` can tell.
        secret = (pathlib.Path(data) / "checkpoint-signing.key").read_text().split("\n")[0]
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret.strip()))

        def resigned(change):
            copy = json.loads(json.dumps(bundle))
            lines = copy["manifest"][:-1].split("\n")
            figures = dict(l.split(" ")[1:] for l in lines if l.startswith("figure "))
            change(figures)
            lines = [l for l in lines if not l.startswith("figure ")]
            lines += [f"figure {name} {value}" for name, value in sorted(figures.items())]
            copy["manifest"] = "\n".join(lines) + "\n"
            copy["figures"] = {name: value if value == "*" else int(value)
                               for name, value in figures.items()}
            copy["manifestSignature"] = base64.b64encode(
                key.sign(copy["manifest"].encode("utf-8"))).decode()
            return json.dumps(copy, indent=2) + "\n"

        def one_more(figures):
            figures["events:PersonRegistered"] = str(int(figures["events:PersonRegistered"]) + 1)

        def small_cell_shown(figures):
            name = next(n for n, v in sorted(figures.items())
                        if v == "*" and n.startswith("contatti_per_attivita_e_sede.contacts:")
                        and ":mediation:" not in n)
            figures[name] = "3"

        (out / "bundle-figure-altered.json").write_text(resigned(one_more))
        (out / "bundle-small-cell-shown.json").write_text(resigned(small_cell_shown))


def main():
    fixture = pathlib.Path("fixtures/montelucci-2024-05.jsonl").read_text().splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        data = f"{tmp}/data"
        pathlib.Path(f"{tmp}/first.jsonl").write_text("\n".join(fixture[:8]) + "\n")
        pathlib.Path(f"{tmp}/then.jsonl").write_text("\n".join(fixture[8:12]) + "\n")
        run("import", "--data", data, f"{tmp}/first.jsonl")
        write("public-key.txt", run("key", "show", "--data", data))
        early = run("checkpoint", "--data", data)
        write("checkpoint-early.txt", early)
        run("import", "--data", data, f"{tmp}/then.jsonl")
        note = run("checkpoint", "--data", data)
        write("checkpoint.txt", note)
        write("checkpoint-crlf.txt", note.replace("\n", "\r\n"))
        early_size, size = early.split("\n")[1], note.split("\n")[1]
        run("export", "--data", data, "--out", str(OUT / "export.jsonl"))
        head = run("head", "--data", data).split()
        write("export.head", f"{head[0]}:{head[1]}\n")
        lines = [json.loads(l) for l in (OUT / "export.jsonl").read_text().splitlines()]
        lines[4]["payload"] = {"altered": True}
        write("export-payload-altered.jsonl", "".join(json.dumps(l) + "\n" for l in lines))
        write("inclusion.json",
              run("proof", "inclusion", "--data", data, "--position", "3", "--tree-size", size))
        consistency = run("proof", "consistency", "--data", data, "--from", early_size, "--to", size)
        write("consistency.json", consistency)
        altered = json.loads(consistency)
        altered["fromRoot"] = "ab" * 32
        write("consistency-fromroot-altered.json", json.dumps(altered, indent=2) + "\n")
        days = sorted({l["recordedAt"][:10] for l in lines})
        run("bundle", "create", "--data", data, "--from", days[0], "--to", days[-1],
            "--out", str(OUT / "bundle.json"))
        run("bundle", "create", "--data", data, "--from", "2024-05-01", "--to", "2024-05-31",
            "--allow-empty", "--out", str(OUT / "bundle-empty.json"))
        bundle = json.loads((OUT / "bundle.json").read_text())
        relabelled = json.loads(json.dumps(bundle))
        personal = next(e for e in relabelled["events"] if "record" not in e)
        personal["type"] = "ServiceRetired"
        write("bundle-type-relabelled.json", json.dumps(relabelled, indent=2) + "\n")
        dropped = json.loads(json.dumps(bundle))
        dropped["events"].pop()
        dropped["lastPosition"] -= 1
        write("bundle-last-dropped.json", json.dumps(dropped, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[2:] not in ([], ["--format-2-only"]):
        sys.exit(__doc__)
    IMPACT = sys.argv[1]
    if sys.argv[2:] != ["--format-2-only"]:
        main()
    format_2()
