#!/usr/bin/env bash
# Instructions per GraphQL request, counted by valgrind's callgrind in a real `impact serve`:
# a measure of a request's CPU that does not depend on what else the machine is doing (the
# same binary and inputs give the same count), so the page cost's growth with the history and
# a page's cost against the framework's floor can be measured on a shared machine.
#
# For each journal size N given, the script generates a journal of N events (`bench api
# --only-cold --cold-dir`, kept in $WORK/seed-N and reused), copies it, starts `impact serve`
# under callgrind with instrumentation off (the open and the snapshot are not counted), warms
# every scenario up, then per scenario zeroes the counters, sends K requests one after the
# other from a Python client (a second process: its instructions are not counted), and dumps
# the counters. Every answer is checked (HTTP 200, `data`, no `errors`, 20 edges for a page).
#
# Scenarios, the same selections as `bench api`: `baseline` ({ __typename }), `audit_page` (20
# events with every field, every other page by site: each page is also a durable read-audit
# append), `audit_filtered`, `cases_page`, `referrals_page`, `mediations_page`. The cursor of
# request i is the position head × (i + 0.5) / K, so every size is read across its whole history.
# `baseline` runs first and last: the two counts agree unless something ran in the background.
#
# Usage (from the project root, after cargo build --release -p impact -p bench):
#   crates/bench/profile/instructions.sh [N...]          (default: 10000 1000000)
# Environment: WORK=$TMPDIR/impact-instructions, BIN=./target/release, K=200 (requests per
# scenario), WARM=20, SITES=40 and PER_OPENING=12 (the generator's sites and new persons a site
# sees a day: a million events since 2023 needs about 40 sites; the filtered pages ask for the
# first six, whose names the generator gives). Output: a table on stdout and $WORK/results.jsonl (one line per
# size and scenario); callgrind's dumps stay in $WORK/run-N/ for callgrind_annotate.
# Network: 127.0.0.1 only.
set -euo pipefail
sizes=("${@:-10000 1000000}")
read -r -a sizes <<<"${sizes[*]}"
WORK=${WORK:-${TMPDIR:-/tmp}/impact-instructions} BIN=${BIN:-$PWD/target/release}
K=${K:-200} WARM=${WARM:-20} SITES=${SITES:-40} PER_OPENING=${PER_OPENING:-12}
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
[ -x "$BIN/impact" ] && [ -x "$BIN/bench" ] || { echo "no $BIN/impact or $BIN/bench (build them first)" >&2; exit 2; }
mkdir -p "$WORK"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; }
trap cleanup EXIT
: >"$WORK/results.jsonl"

for n in "${sizes[@]}"; do
  seed="$WORK/seed-$n" run="$WORK/run-$n"
  if [ ! -d "$seed" ]; then
    log "generating a journal of $n events"
    "$BIN/bench" api --only-cold --cold-dir "$seed" --cold-events "$n" --cold-sites "$SITES" \
      --sites "$SITES" --persons-per-opening "$PER_OPENING" >"$WORK/seed-$n.log" 2>&1
  fi
  rm -rf "$run" "$run.master-key"
  mkdir -p "$run"
  cp -a "$seed" "$run/data"
  cp -a "$seed.master-key" "$run/data.master-key"
  head=$("$BIN/impact" head --data "$run/data" | cut -d' ' -f1)
  token=$("$BIN/impact" token issue --data "$run/data" --role supervisor --actor profile --ttl 1d)
  port=$(freeport)
  log "$n events (head $head): impact serve under callgrind on 127.0.0.1:$port"
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$run/callgrind.out" \
    "$BIN/impact" serve --data "$run/data" --listen "127.0.0.1:$port" >"$run/serve.log" 2>&1 &
  pid=$!
  RUN="$run" PORT="$port" TOKEN="$token" HEAD="$head" K="$K" WARM="$WARM" SITES="$SITES" \
    SERVER_PID="$pid" EVENTS="$n" python3 - >>"$WORK/results.jsonl" <<'PY'
import json, os, subprocess, sys, time, urllib.request, glob

run, port, token = os.environ["RUN"], os.environ["PORT"], os.environ["TOKEN"]
head, k, warm = int(os.environ["HEAD"]), int(os.environ["K"]), int(os.environ["WARM"])
sites = ["montelucci-4", "guidonia-centro", "villanova", "setteville", "tivoli-centro", "villalba"]
sites = sites[: max(1, min(6, int(os.environ["SITES"])))]
pid = os.environ["SERVER_PID"]
url = f"http://127.0.0.1:{port}/graphql"

AUDIT = """query Page($after: String, $filter: EventFilter) {
  auditTrail(first: 20, after: $after, filter: $filter) {
    edges { cursor node { id position stream version type schemaVersion occurredAt recordedAt
      actor { id role } payload prevHash hash } }
    pageInfo { hasNextPage endCursor } } }"""
PAGES = {
    "audit_filtered": """query Page($after: String, $site: String) {
  auditTrail(first: 20, after: $after, filter: { types: ["ReferralIssued", "CaseOpened"], site: $site }) {
    edges { cursor node { position type payload } } pageInfo { hasNextPage endCursor } } }""",
    "cases_page": """query Page($after: String) { cases(first: 20, after: $after) {
    edges { cursor node { id position status caseWorker } } pageInfo { hasNextPage endCursor } } }""",
    "referrals_page": """query Page($after: String) { referrals(first: 20, after: $after) {
    edges { cursor node { id position status } } pageInfo { hasNextPage endCursor } } }""",
    "mediations_page": """query Page($after: String) { mediations { requests(first: 20, after: $after) {
    edges { cursor node { id position language } } pageInfo { hasNextPage endCursor } } } }""",
}

def after(i, n):
    return str(int(max(head - 20, 1) * (i + 0.5) / n))

def body(scenario, i, n):
    if scenario == "baseline":
        return {"query": "{ __typename }"}
    if scenario == "audit_page":
        site = {"site": sites[i % len(sites)]} if i % 2 else None
        return {"query": AUDIT, "variables": {"after": after(i, n), "filter": site}}
    variables = {"after": after(i, n)}
    if scenario == "audit_filtered":
        variables["site"] = sites[i % len(sites)]
    return {"query": PAGES[scenario], "variables": variables}

def ask(payload):
    req = urllib.request.Request(url, json.dumps(payload).encode(), {
        "content-type": "application/json", "authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=600) as r:
        assert r.status == 200, r.status
        answer = json.load(r)
    assert "errors" not in answer and answer.get("data"), answer
    return answer["data"]

def edges(data):
    for value in data.values():
        if isinstance(value, dict):
            if "edges" in value:
                return len(value["edges"])
            inner = edges(value)
            if inner is not None:
                return inner
    return None

deadline = time.time() + 3600
while True:
    try:
        ask({"query": "{ __typename }"})
        break
    except Exception:
        if time.time() > deadline:
            sys.exit("the server did not answer within an hour")
        time.sleep(2)

scenarios = ["baseline", "audit_page", "audit_filtered", "cases_page", "referrals_page",
             "mediations_page", "baseline"]
for s in set(scenarios):
    for i in range(warm):
        ask(body(s, i, warm))
def control(*args):
    # callgrind takes a command when a thread of the server runs: wake it with trivial requests
    # until the command has been taken (at most one of them is counted with what follows).
    before = set(glob.glob(f"{run}/callgrind.out*"))
    command = subprocess.Popen(["callgrind_control", *args, pid], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    while command.poll() is None:
        ask({"query": "{ __typename }"})
        time.sleep(0.2)
    assert command.returncode == 0, args
    return before

control("--instr=on")
for index, s in enumerate(scenarios):
    control("--zero")
    short = 0
    for i in range(k):
        data = ask(body(s, i, k))
        if s != "baseline" and edges(data) != 20:
            short += 1
    before = control(f"--dump={index}-{s}")
    for _ in range(600):
        new = set(glob.glob(f"{run}/callgrind.out*")) - before
        if new:
            break
        time.sleep(0.5)
    (dump,) = new
    time.sleep(1)
    total = None
    for line in open(dump):
        if line.startswith(("totals:", "summary:")):
            total = int(line.split()[1])
    assert total is not None, dump
    print(json.dumps({"events": int(os.environ["EVENTS"]), "head": head, "scenario": s,
                      "run": index, "requests": k, "short_pages": short,
                      "instructions_per_request": total // k}), flush=True)
PY
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=
done

python3 - "$WORK/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
sizes = sorted({r["events"] for r in rows})
by = {}
for r in rows:
    by.setdefault((r["events"], r["scenario"]), []).append(r["instructions_per_request"])
print("| scenario | " + " | ".join(f"instructions at {n:,}" for n in sizes) + " | growth | × floor |")
print("|---|" + "---:|" * (len(sizes) + 2))
for s in ["baseline", "audit_page", "audit_filtered", "cases_page", "referrals_page", "mediations_page"]:
    cells = [by.get((n, s), [0]) for n in sizes]
    first = [min(c) for c in cells]
    growth = first[-1] / first[0] if first[0] else float("nan")
    floor = first[-1] / min(by[(sizes[-1], "baseline")])
    print(f"| {s} | " + " | ".join(", ".join(f"{v:,}" for v in c) for c in cells)
          + f" | {growth:.2f} | {floor:.1f} |")
PY
