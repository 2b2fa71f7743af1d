#!/usr/bin/env python3
"""Compare CNT's directed edge list with lockstep's edges.csv as undirected pair sets.

    compare_edges.py CNT_EDGES.csv LOCKSTEP_EDGES.csv [--input DATA.csv --layer repost|url
                     --window W]

Prints the counts, the differences (up to 5 examples per side) and, with --input, the
input rows behind each example (the two accounts' shares of every trace they share), so
a difference can be explained. Last line: `RESULT cnt=N lockstep=M common=K match=yes|no`.
Exit status 0 either way (the caller reads RESULT).
"""
import argparse
import csv
import sys

csv.field_size_limit(1 << 30)


def pairs(path):
    ids, out = {}, set()
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        h = next(r)
        s, t = h.index("source"), h.index("target")
        for row in r:
            a, b = row[s], row[t]
            if a == b:
                continue
            ia = ids.setdefault(a, len(ids))
            ib = ids.setdefault(b, len(ids))
            out.add((min(ia, ib) << 32) | max(ia, ib))
    return out, {v: k for k, v in ids.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cnt")
    ap.add_argument("lockstep")
    ap.add_argument("--input")
    ap.add_argument("--layer", default="repost")
    ap.add_argument("--window", type=int, default=60)
    a = ap.parse_args()

    cnt, cnt_names = pairs(a.cnt)
    # Re-key lockstep pairs by account name so both sides compare names, not local ids.
    ls_raw, ls_names = pairs(a.lockstep)
    name = lambda names, p: (names[p >> 32], names[p & 0xFFFFFFFF])
    cnt_set = {tuple(sorted(name(cnt_names, p))) for p in cnt}
    del cnt
    ls_set = {tuple(sorted(name(ls_names, p))) for p in ls_raw}
    del ls_raw
    only_cnt = cnt_set - ls_set
    only_ls = ls_set - cnt_set
    common = len(cnt_set) - len(only_cnt)
    print(f"undirected pairs: cnt={len(cnt_set)} lockstep={len(ls_set)} common={common} "
          f"only_cnt={len(only_cnt)} only_lockstep={len(only_ls)}")
    examples = [("only in CNT", p) for p in sorted(only_cnt)[:5]] + \
               [("only in lockstep", p) for p in sorted(only_ls)[:5]]
    for side, p in examples:
        print(f"  {side}: {p[0]} -- {p[1]}")
    if examples and a.input:
        explain(a.input, a.layer, a.window, [p for _, p in examples])
    ok = not only_cnt and not only_ls
    print(f"RESULT cnt={len(cnt_set)} lockstep={len(ls_set)} common={common} "
          f"match={'yes' if ok else 'no'}")


def explain(path, layer, window, examples):
    want = {u for p in examples for u in p}
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        for row in r:
            if row["user_id"] in want:
                rows.append(row)
    keys = lambda row: ([row["repost_id"]] if row["repost_id"] else []) if layer == "repost" \
        else ([] if row["repost_id"] else row["urls"].split(" "))
    for u, v in examples:
        tu = {k: [] for row in rows if row["user_id"] == u for k in keys(row)}
        print(f"  rows of {u} / {v} on shared traces (window {window}s):")
        n = 0
        for row in sorted(rows, key=lambda x: int(float(x["timestamp"]))):
            if row["user_id"] in (u, v) and any(k in tu for k in keys(row)):
                shared = [k for k in keys(row) if k in tu]
                other = [x for x in rows if x["user_id"] in (u, v) and x is not row
                         and x["user_id"] != row["user_id"]
                         and any(k in shared for k in keys(x))]
                if other:
                    print("    " + ",".join(row[c] for c in
                          ("message_id", "user_id", "repost_id", "timestamp", "urls")))
                    n += 1
                    if n >= 12:
                        break


if __name__ == "__main__":
    main()
