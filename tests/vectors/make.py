#!/usr/bin/env python3
"""Makes the test vectors of docs/VERIFYING.md from the first lines of the fixture month, with
the `impact` binary (a fresh installation: a new key each time), and the tampered copies.

    python3 tests/vectors/make.py target/debug/impact

Run from the repository's root; it rewrites the files of tests/vectors/ listed in expected.txt.
"""
import json
import pathlib
import subprocess
import sys
import tempfile

OUT = pathlib.Path("tests/vectors")


def run(*args):
    done = subprocess.run([IMPACT, *args], capture_output=True, text=True, env={"IMPACT_LOG": "warn"})
    if done.returncode != 0:
        sys.exit(f"impact {' '.join(args)}: {done.stdout}{done.stderr}")
    return done.stdout


def write(name, text):
    (OUT / name).write_text(text, encoding="utf-8", newline="")


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
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    IMPACT = sys.argv[1]
    main()
