#!/usr/bin/env python3
"""Wall-clock latency of `lockstep watch` live (not replay), through its HTTP endpoint.

usage: live_latency.py LOCKSTEP_BIN [TICK in seconds, e.g. 60s]

Starts `lockstep watch --listen` on a loopback port, posts an hour of organic background and
a coordinated group's first co-action (12 accounts, one tag set and link within seconds)
stamped an hour ago, then the group's second order stamped now, and measures the time from
that POST to the line of the group's `new` alert in the alerts file: the wait for the tick
boundary (live ticks fall on multiples of the tick) plus the processing.
"""
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time


def post(port, token, lines):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/ingest", body="\n".join(lines) + "\n",
              headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    body = r.read()
    assert r.status == 202, (r.status, body)


def main():
    binary = sys.argv[1]
    tick = sys.argv[2] if len(sys.argv) > 2 else "60s"
    tick_s = float(tick.rstrip("s"))
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    token = "t%08x" % random.getrandbits(32)
    d = tempfile.mkdtemp()
    alerts = os.path.join(d, "alerts.ndjson")
    p = subprocess.Popen([binary, "watch", "--listen", "127.0.0.1:%d" % port, "--token", token,
                          "--alerts", alerts, "--tick", tick, "--retest", "0", "--quiet",
                          "--cases", os.path.join(d, "cases")], stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        now = int(time.time())
        rnd = random.Random(7)
        bg = []
        for i in range(4000):
            t = now - 3900 + rnd.randrange(3900 - 120)
            bg.append(json.dumps({"id": "o%d" % i, "account": "user%d" % rnd.randrange(800), "time": t,
                                  "platform": "tiktok", "hashtags": [rnd.choice(["fyp", "viral", "romania", "foryou"])]}))
        group = ["g%02d" % k for k in range(12)]
        now = int(time.time())
        # The group's first co-action, in the previous clock hour (the burst rule counts one
        # co-action per pair per trace and hour): alone it is not evidence.
        bg += [json.dumps({"id": "h%d" % k, "account": a, "time": now - 3700 + k,
                           "platform": "tiktok", "hashtags": ["cg11", "h"],
                           "urls": ["https://example.ro/h"]}) for k, a in enumerate(group)]
        # In time order: live, a record more than --lateness behind the stream is late.
        bg.sort(key=lambda l: json.loads(l)["time"])
        post(port, token, bg)
        time.sleep(3)
        seen = sum(1 for _ in open(alerts)) if os.path.exists(alerts) else 0
        now = int(time.time())
        order = [json.dumps({"id": "n%d" % k, "account": a, "time": now, "platform": "tiktok",
                             "hashtags": ["cg11", "n"], "urls": ["https://example.ro/n"]})
                 for k, a in enumerate(group)]
        t0 = time.time()
        post(port, token, order)
        got = None
        while time.time() < t0 + 180 and got is None:
            if os.path.exists(alerts):
                for l in open(alerts).read().splitlines()[seen:]:
                    a = json.loads(l)
                    if a["kind"] == "new" and set(group) <= set(a["members"]):
                        got = time.time()
            time.sleep(0.05)
        boundary_wait = tick_s - (t0 % tick_s)
        if got is None:
            print("no alert within 180 s")
        else:
            print("tick %s: alert %.2f s after the order's POST (of which %.2f s waiting for the "
                  "tick boundary, %.2f s processing)" % (tick, got - t0, boundary_wait, got - t0 - boundary_wait))
    finally:
        p.terminate()
        p.wait(timeout=30)


if __name__ == "__main__":
    main()
