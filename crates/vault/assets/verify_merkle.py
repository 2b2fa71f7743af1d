#!/usr/bin/env python3
"""Checks a lockstep evidence export with the Python standard library only.

Run it in the unzipped export folder. It checks, without lockstep:
  * the case log (case/vault/log.ndjson): its hash chain, and that each signed checkpoint's
    tree size and root hash are those of the log's first entries (RFC 9162 Merkle tree);
  * the consistency proof between each pair of successive checkpoints (RFC 9162 2.1.4.2);
  * the latest seal entry's case tree root, from its list of files;
  * that SHA256SUMS lists exactly the sealed files (so `sha256sum -c SHA256SUMS` checks them);
  * every evidence record's proofs: its lines into its file's record tree, the file into the
    case tree, and that it is this seal's case tree.
The checkpoints' signatures are checked with openssl (see VERIFY.md), not here.
Exit status 0 when everything holds, 1 otherwise.
"""
import base64
import glob
import hashlib
import json
import os
import sys

FAILED = []


def fail(msg):
    FAILED.append(msg)
    print("FAIL: " + msg)


def leaf(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    """RFC 9162 Merkle tree hash over leaf hashes."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def root_from_inclusion(leaf_hash, index, size, proof):
    """RFC 9162 2.1.3.2; None when the proof cannot hold."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def consistent(size1, size2, root1, root2, proof):
    """RFC 9162 2.1.4.2."""
    if size2 < size1:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if size1 == 0:
        return not proof
    path = ([root1] if size1 & (size1 - 1) == 0 else []) + list(proof)
    if not path:
        return False
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


def file_leaf(f):
    if f.get("records") is not None:
        fields = [f["role"], f["path"], str(f["bytes"]), f["sha256"], str(f["records"]), f["record_root"]]
    else:
        fields = [f["role"], f["path"], str(f["bytes"]), f["sha256"]]
    return ("\t".join(fields) + "\n").encode()


def export_name(path):
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return "/".join("__" if p == ".." else p for p in parts)


def read_checkpoint(path):
    text = open(path, "rb").read().decode()
    body = text[: text.rindex("\n\n") + 1]
    lines = body.split("\n")[:-1]
    ext = {}
    for line in lines[3:]:
        k, _, v = line.partition(" ")
        ext[k] = v
    return lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True), ext


def main():
    raw = open("case/vault/log.ndjson", "rb").read()
    if not raw.endswith(b"\n"):
        fail("case/vault/log.ndjson does not end with a line break")
    lines = raw.split(b"\n")[:-1]
    entries = [json.loads(l) for l in lines]
    leaves = [leaf(l) for l in lines]
    for i, e in enumerate(entries):
        if e.get("seq") != i:
            fail("log entry %d: seq is %r" % (i, e.get("seq")))
        want = None if i == 0 else leaves[i - 1].hex()
        if e.get("prev") != want:
            fail("log entry %d: does not chain to entry %d" % (i, i - 1))

    seals = [i for i, e in enumerate(entries) if e.get("kind") == "seal"]
    if not seals:
        fail("the log has no seal entry")
        return
    sizes = [i + 1 for i in seals]
    names = sorted(glob.glob("case/vault/checkpoints/*.ckpt"))
    if names != ["case/vault/checkpoints/%06d.ckpt" % s for s in sizes]:
        fail("checkpoints %s are not one per seal entry %s" % (names, sizes))
    roots = {}
    origin = entries[seals[-1]]["origin"]
    for s in sizes:
        o, size, root, ext = read_checkpoint("case/vault/checkpoints/%06d.ckpt" % s)
        if o != origin or size != s:
            fail("checkpoint %d: origin or size wrong" % s)
        if s > len(leaves) or mth(leaves[:s]) != root:
            fail("checkpoint %d: its root is not that of the log's first %d entries" % (s, s))
        if s <= len(leaves) and ext.get("lockstep-last-entry") != leaves[s - 1].hex():
            fail("checkpoint %d: its last entry is not log entry %d" % (s, s - 1))
        roots[s] = root
    for a, b in zip(sizes, sizes[1:]):
        c = json.load(open("case/vault/consistency/%06d-%06d.json" % (a, b)))
        proof = [bytes.fromhex(h) for h in c["proof"]]
        if not consistent(a, b, roots[a], roots[b], proof):
            fail("checkpoint %d does not extend checkpoint %d" % (b, a))
        else:
            print("ok: checkpoint %d extends checkpoint %d (consistency proof)" % (b, a))

    seal = entries[seals[-1]]
    files = seal["files"]
    case_root = mth([leaf(file_leaf(f)) for f in files])
    if case_root.hex() != seal["case_tree"]["root"] or len(files) != seal["case_tree"]["size"]:
        fail("the seal entry's case tree root is not that of its files")

    want = []
    for f in files:
        where = "inputs/" + export_name(f["path"]) if f["role"] == "input" else "case/" + f["path"]
        want.append("%s  %s" % (f["sha256"], where))
    for e in seal["evidence"] + seal.get("record_groups", []):
        want.append("%s  case/%s" % (e["sha256"], e["path"]))
    have = open("SHA256SUMS").read().splitlines()
    if sorted(have) != sorted(want):
        fail("SHA256SUMS does not list exactly the sealed files and hashes")

    for e in seal["evidence"]:
        if e["path"] == "evidence/index.json":
            continue
        ev = json.load(open("case/" + e["path"]))
        data = base64.b64decode(ev["record_base64"], validate=True)
        chunks = data.split(b"\n")
        parts = [c + b"\n" for c in chunks[:-1]] + ([chunks[-1]] if chunks[-1] else [])
        ok = len(parts) == ev["lines"] == len(ev["leaf_proofs"])
        rroot = bytes.fromhex(ev["record_tree"]["root"])
        for k, (part, p) in enumerate(zip(parts, ev["leaf_proofs"])):
            idx = ev["line"] - 1 + k
            r = root_from_inclusion(leaf(part), idx, ev["record_tree"]["size"], [bytes.fromhex(h) for h in p["path"]])
            ok = ok and p["index"] == idx and r == rroot
        fl = ev["file_leaf"].encode()
        fields = ev["file_leaf"].rstrip("\n").split("\t")
        ok = ok and fields[1] == ev["file"] and fields[4] == str(ev["record_tree"]["size"]) and fields[5] == ev["record_tree"]["root"]
        fp = ev["file_proof"]
        r = root_from_inclusion(leaf(fl), fp["index"], ev["case_tree"]["size"], [bytes.fromhex(h) for h in fp["path"]])
        ok = ok and r == case_root and ev["case_tree"]["root"] == case_root.hex()
        ok = ok and fp["index"] < len(files) and file_leaf(files[fp["index"]]) == fl
        if ok:
            print("ok: %s: line %d of %s is in the sealed record tree" % (e["path"], ev["line"], ev["file"]))
        else:
            fail("%s: record line %d of %s does not prove into the sealed case tree" % (e["path"], ev["line"], ev["file"]))

    # Checkpoints of this case held elsewhere (given as arguments): the log must still
    # hold what they signed, or the copy was rolled back or rewritten.
    for path in sys.argv[1:]:
        o, size, root, _ = read_checkpoint(path)
        if o != origin:
            fail("%s: a checkpoint of %s, not of this case" % (path, o))
        elif size > len(leaves) or mth(leaves[:size]) != root:
            fail("%s: the log no longer holds the %d entries it signed (rolled back or rewritten)" % (path, size))
        else:
            print("ok: the log extends %s (%d entries)" % (path, size))

    if not FAILED:
        print("ok: log of %d entries, %d checkpoints, case tree of %d files (root %s)"
              % (len(entries), len(sizes), len(files), case_root.hex()))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a malformed file is a failure, not a crash
        fail("%s: %s" % (type(e).__name__, e))
    sys.exit(1 if FAILED else 0)
