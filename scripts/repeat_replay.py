#!/usr/bin/env python3
"""Writes a simulated election's data folder N times over into one folder, each pass shifted
later by the span of the data (whole days), with its own post ids: a stream N times as long
whose horizon holds the same content at the same point of every pass. `lockstep watch`'s
peak memory on 1, 2, ... passes then says whether memory is bounded by the horizon's content
or grows with the stream's length (scripts/bench-watch.sh memory).

usage: repeat_replay.py SIM_DATA_DIR OUT_DIR PASSES
"""
import datetime as dt
import json
import os
import sys

DAY = 86400


def span_days(videos):
    lo, hi = None, None
    with open(videos) as f:
        for line in f:
            for v in json.loads(line)["data"]["videos"]:
                t = v["create_time"]
                lo = t if lo is None else min(lo, t)
                hi = t if hi is None else max(hi, t)
    # Past the data and past a 72-hour horizon: each pass starts on an empty horizon.
    return (hi - lo) // DAY + 5


def main():
    src, out, passes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    videos = os.path.join(src, "videos.jsonl")
    comments = os.path.join(src, "comments.ndjson")
    days = span_days(videos)
    os.makedirs(out, exist_ok=True)
    for p in range(passes):
        shift = p * days * DAY
        # Video ids are 64-bit numbers around 7.4e18: a later pass counts down from them, so
        # its ids stay positive, distinct and within i64.
        idshift = p * 10**18
        with open(videos) as f, open(os.path.join(out, f"videos-{p}.jsonl"), "w") as o:
            for line in f:
                page = json.loads(line)
                for v in page["data"]["videos"]:
                    v["create_time"] += shift
                    v["id"] -= idshift
                o.write(json.dumps(page, ensure_ascii=False) + "\n")
        with open(comments) as f, open(os.path.join(out, f"comments-{p}.ndjson"), "w") as o:
            for line in f:
                c = json.loads(line)
                c["id"] = f"p{p}{c['id']}"
                if p:
                    t = c["time"]
                    ts = dt.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(
                        tzinfo=dt.timezone.utc
                    )
                    c["time"] = (ts + dt.timedelta(seconds=shift)).strftime("%Y-%m-%dT%H:%M:%SZ")
                    if c.get("parent", "").isdigit():
                        c["parent"] = str(int(c["parent"]) - idshift)
                o.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(f"{passes} passes of {days} days each in {out}")


if __name__ == "__main__":
    main()
