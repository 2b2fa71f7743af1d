#!/usr/bin/env python3
"""Figures of a `lockstep watch --replay` run of a simulated scenario (standard library only).

usage: watch_figures.py SIM_DIR ALERTS CASES_DIR

- detection latency per campaign: stream time of the first alert whose members are mostly
  that campaign's, minus the campaign's first coordinated action (the first time two of its
  members acted on one trace - same parent post, same hashtag set or same sound - within 60 s;
  for the network, at or after its switch-on: its sleepers' earlier posts are camouflage);
  also the first moment a pair of its members had co-acted twice (on two occasions), the
  earliest a pair-level detector needing two co-actions can see it;
- alerts on hard negatives: alerts whose members are mostly organic accounts (any role);
- agreement at the end: the final snapshot's flagged accounts (batch detect on the horizon)
  against watch's own clusters at that moment (precision and recall of one against the other).
"""
import collections
import csv
import datetime
import glob
import json
import os
import sys


def parse_time(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def main():
    sim, alerts_path, cases = sys.argv[1:4]
    truth = {}
    with open(os.path.join(sim, "truth.csv")) as f:
        for r in csv.DictReader(f):
            truth[r["account"]] = (r["campaign"], r["role"])
    first = {}  # campaign -> first coordinated action (unix s)
    second = {}  # campaign -> first time a pair of its members co-acted a second time
    pair_seen = {}  # (campaign, a, b) -> time of their first co-action
    last_on = {}  # (campaign, key) -> (time, account)
    activation = None
    try:
        for line in open(os.path.join(sim, "scenario.toml")):
            if line.startswith("activation"):
                activation = parse_time(line.split("=", 1)[1].strip().strip('"'))
    except OSError:
        pass

    def see(account, t, keys):
        c = truth.get(account, ("", ""))[0]
        if not c or (c == "network" and activation is not None and t < activation):
            return
        for k in keys:
            prev = last_on.get((c, k))
            if prev and prev[1] != account and t - prev[0] <= 60:
                if c not in first or t < first[c]:
                    first[c] = t
                pk = (c,) + tuple(sorted((prev[1], account)))
                # A second co-action of the pair, at another moment (not the same burst).
                if pk in pair_seen and t - pair_seen[pk] > 600:
                    second.setdefault(c, t)
                else:
                    pair_seen.setdefault(pk, t)
            last_on[(c, k)] = (t, account)

    events = []
    for path in sorted(glob.glob(os.path.join(sim, "data", "*"))):
        with open(path) as f:
            for line in f:
                o = json.loads(line)
                if "data" in o:
                    for v in o["data"]["videos"]:
                        tags = sorted(v.get("hashtag_names") or [])
                        keys = ["tags:" + " ".join(tags)] if tags else []
                        if v.get("music_id"):
                            keys.append("sound:%s" % v["music_id"])
                        events.append((v["create_time"], v["username"], keys))
                else:
                    t = parse_time(o["time"]) if isinstance(o["time"], str) else o["time"]
                    keys = ["parent:%s" % o["parent"]] if o.get("parent") else []
                    events.append((t, o["account"], keys))
    events.sort()
    for t, a, keys in events:
        see(a, t, keys)

    alerts = [json.loads(l) for l in open(alerts_path)]
    detected = {}
    fp = []
    kinds = collections.Counter(a["kind"] for a in alerts)
    for a in alerts:
        if a["kind"] == "quiet":
            continue
        votes = collections.Counter(truth.get(m, ("", "?"))[0] for m in a["members"])
        top, n = votes.most_common(1)[0]
        if not top:
            fp.append((a["cluster"], a["size"], dict(collections.Counter(truth.get(m, ("", "?"))[1] for m in a["members"]))))
            continue
        t = parse_time(a["stream_time"])
        if top not in detected or t < detected[top]:
            detected[top] = t
    print("alerts: %d (%s)" % (len(alerts), ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
    print("campaign       first coordinated action   pair's second co-action   first alert            latency")
    for c in sorted(set(first) | set(detected)):
        f = first.get(c)
        d = detected.get(c)
        fmt = lambda x: datetime.datetime.fromtimestamp(x, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if x else "-"
        lat = "%.1f min" % ((d - f) / 60) if f and d else "not alerted"
        print("%-14s %-26s %-25s %-22s %s" % (c, fmt(f), fmt(second.get(c)), fmt(d), lat))
    print("alerts on hard negatives / organic accounts: %d %s" % (len(fp), fp[:5]))

    snaps = sorted(glob.glob(os.path.join(cases, "snapshot-*.watch.json")))
    if snaps:
        side = snaps[-1]
        case = side[: -len(".watch.json")]
        batch = set()
        with open(os.path.join(case, "accounts.csv")) as f:
            for r in csv.DictReader(f):
                if r["cluster"]:
                    batch.add(r["account"])
        w = json.load(open(side))
        mine = set(m for c in w["clusters"] for m in c["members"])
        both = len(batch & mine)
        p = both / len(mine) if mine else 1.0
        r = both / len(batch) if batch else 1.0
        print("agreement with batch detect on the final horizon: watch %d flagged, batch %d, both %d: "
              "precision %.3f, recall %.3f" % (len(mine), len(batch), both, p, r))


if __name__ == "__main__":
    main()
