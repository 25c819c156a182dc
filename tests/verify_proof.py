#!/usr/bin/env python3
"""Check an inclusion or consistency proof (`impact proof`, or GraphQL's `inclusionProof` /
`consistencyProof`) against signed checkpoint notes, without the IMPACT code
(docs/VERIFYING.md, "Proofs" and "Proof encodings").

    python3 tests/verify_proof.py PROOF.json --public-key HEX --checkpoint NOTE [--checkpoint NOTE2]

Exit 0 verified; 1 not, with the reason; 2 usage error. Needs blake3 and cryptography.
"""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from verify_bundle import leaf_hash, node_hash, read_checkpoint, root_from_inclusion  # noqa: E402


def root_pair_from_consistency(first, second, first_root, path):
    """RFC 9162 section 2.1.4.2: the (old, new) roots the path leads to; raises ValueError."""
    if first == 0 or first > second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first == second:
        if path:
            raise ValueError("a proof between equal sizes has an empty path")
        return first_root, first_root
    if first & (first - 1) == 0:
        path = [first_root] + path
    if not path:
        raise ValueError("the proof is too short")
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ValueError("the proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the proof is too short")
    return fr, sr


def verify(proof, notes):
    """Returns the summary; raises ValueError with the reason."""
    roots = {size: root for size, root, _ in notes}
    if "data" in proof and isinstance(proof["data"], dict):
        proof = next(iter(proof["data"].values()))
    if "fromSize" in proof:
        first, second = proof["fromSize"], proof["toSize"]
        if first not in roots or second not in roots:
            raise ValueError(f"give the notes of sizes {first} and {second}")
        for name, size in (("fromRoot", first), ("toRoot", second)):
            if proof.get(name) is not None and bytes.fromhex(proof[name]) != roots[size]:
                raise ValueError(f"{name}: the proof's root of tree size {size} is not the signed one")
        path = [bytes.fromhex(h) for h in proof["path"]]
        old, new = root_pair_from_consistency(first, second, roots[first], path)
        if old != roots[first] or new != roots[second]:
            raise ValueError("the proof does not link the signed roots")
        return f"the tree of size {second} extends the tree of size {first}"
    position, size = proof["position"], proof["treeSize"]
    if proof.get("leafIndex", position - 1) != position - 1:
        raise ValueError("leafIndex is not position - 1")
    if size not in roots:
        raise ValueError(f"give the note of size {size}")
    if proof.get("root") is not None and bytes.fromhex(proof["root"]) != roots[size]:
        raise ValueError("root: the proof's root is not the signed root of its tree size")
    leaf = leaf_hash(bytes.fromhex(proof["eventHash"]))
    path = [bytes.fromhex(h) for h in proof["path"]]
    if root_from_inclusion(position - 1, size, leaf, path) != roots[size]:
        raise ValueError(f"position {position}: the proof does not lead to the signed root")
    return (f"the event at position {position} (hash {proof['eventHash']}) is in the tree of "
            f"size {size}; its eventId is not proven by the hash alone")


def main(argv):
    args, key, notes = argv[1:], None, []
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    proof_file, rest = args[0], args[1:]
    while rest:
        if len(rest) < 2:
            print(__doc__, file=sys.stderr)
            return 2
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag == "--public-key":
            key = bytes.fromhex(value.strip())
        elif flag == "--checkpoint":
            notes.append(value)
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if key is None or len(key) != 32 or not notes:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        signed = [read_checkpoint(pathlib.Path(n).read_text(encoding="utf-8"), key) for n in notes]
        summary = verify(json.loads(pathlib.Path(proof_file).read_text(encoding="utf-8")), signed)
    except (ValueError, KeyError) as error:
        print(f"FAILED: {error}")
        return 1
    print(f"verified: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
