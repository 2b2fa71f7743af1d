#!/usr/bin/env python3
"""Deterministic synthetic data in coordination-network-toolkit's CSV format.

    gen_coretweet.py N_MESSAGES SEED OUT.csv [--urls]

Columns: message_id,user_id,username,repost_id,reply_id,message,timestamp,urls
(timestamp = integer unix seconds, urls space-separated). Same N and SEED give a
byte-identical file (stdlib `random` only).

Structure (what makes co-action sweeps hard):
  * ~N/10 organic users with heavy-tailed (Pareto) activity;
  * ~N/8 items -- original tweets (default) or URLs (--urls) -- created uniformly over
    30 days, with Zipf(1.0) popularity (capped): the top items are shared a few thousand
    times, most a handful of times; the distribution is the same at every N;
  * share delays are log-normal (median 1 h, sigma 2), so popular items burst: hundreds
    of shares per minute right after creation (the "trending hashtag" case);
  * a few planted groups (5-40 accounts) that share the same 10-50 items within 20 s
    of each other; their accounts also act organically.
Default mode: ~5% of rows are the original tweets themselves (no repost_id, empty urls),
the rest retweets. --urls: every row is an original post carrying 1 URL (5% also the
site's home page), URLs already in lockstep's normalized form (https, lower-case host,
no www., no trailing slash, no tracking parameters) so exact-string matching (CNT)
and normalized matching (lockstep) agree.
"""
import bisect
import csv
import itertools
import math
import random
import sys

T0 = 1_730_419_200  # 2024-11-01T00:00:00Z
DAYS = 30
WORDS = ("vot", "românia", "alegeri", "candidat", "știri", "urgent", "adevărul", "tara",
         "libertate", "dezbatere", "campanie", "sondaj", "video", "astăzi", "distribuiți")
SECTIONS = ("stiri", "politica", "opinii", "economie", "externe", "video")


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    urls_mode = "--urls" in argv
    if len(args) != 3:
        sys.exit(__doc__)
    n, seed, out = int(args[0]), int(args[1]), args[2]
    rng = random.Random(seed)

    n_users = max(100, n // 10)
    n_items = max(50, n // 8)
    span = DAYS * 86_400

    # Heavy-tailed activity (Pareto alpha 1.3, capped so no account is > ~0.5% of rows).
    act = [min(rng.paretovariate(1.3), 500.0) for _ in range(n_users)]
    # Planted groups: accounts drawn from the organic pool (they also act organically).
    n_groups = max(3, n // 40_000)
    groups = []
    for _ in range(n_groups):
        size = rng.randint(5, 40)
        groups.append(rng.sample(range(n_users), size))

    pick_user = _picker(rng, act)
    # Zipf(1.0) popularity: i.i.d. Pareto(1) weights (rank-frequency exponent 1), capped at
    # 5000 x the minimum so the share-count distribution does not depend on N: the top
    # items get a few thousand shares at every size and the work grows linearly with N.
    pop = [min(rng.paretovariate(1.0), 5000.0) for _ in range(n_items)]
    pick_item = _picker(rng, pop)
    created = [T0 + rng.randrange(span) for _ in range(n_items)]
    author = [pick_user() for _ in range(n_items)]
    domains = [f"{rng.choice(('stiri', 'jurnal', 'gazeta', 'info', 'ziar', 'news'))}{d}.ro"
               for d in range(max(20, n_items // 500))]

    def url_of(item):
        d = domains[item % len(domains)]
        return f"https://{d}/{SECTIONS[item % len(SECTIONS)]}/articol-{item}"

    rows = []  # (timestamp, user, item, kind) kind: 0 share, 1 original
    # Planted co-actions.
    for g in groups:
        for _ in range(rng.randint(10, 50)):
            item = pick_item() if rng.random() < 0.5 else rng.randrange(n_items)
            trigger = created[item] + 1 + int(rng.lognormvariate(math.log(600), 1.5))
            for u in g:
                if rng.random() < 0.8:
                    rows.append((trigger + rng.randint(0, 20), u, item, 0))
    n_orig = 0 if urls_mode else n // 20
    by_pop = sorted(range(n_items), key=lambda i: (-pop[i], i))
    for item in by_pop[:n_orig]:  # the dataset holds the most-shared originals
        rows.append((created[item], author[item], item, 1))
    while len(rows) < n:
        item = pick_item()
        delay = 1 + int(rng.lognormvariate(math.log(3600), 2.0))
        rows.append((created[item] + min(delay, 3 * span), pick_user(), item, 0))
    rows = rows[:n]
    rows.sort()

    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["message_id", "user_id", "username", "repost_id", "reply_id",
                    "message", "timestamp", "urls"])
        for i, (t, u, item, kind) in enumerate(rows):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
            uid, uname = str(1_000_000_000 + u), f"user{u}"
            if urls_mode:
                urls = url_of(item)
                if rng.random() < 0.05:
                    urls += " https://" + domains[item % len(domains)]
                w.writerow([str(1_860_000_000_000_000_000 + i), uid, uname, "", "",
                            text, t, urls])
            elif kind == 1:
                w.writerow([str(1_850_000_000_000_000_000 + item), uid, uname, "", "",
                            text, t, ""])
            else:
                w.writerow([str(1_860_000_000_000_000_000 + i), uid, uname,
                            str(1_850_000_000_000_000_000 + item), "",
                            f"RT @user{author[item]}: {text}", t, ""])


def _picker(rng, weights):
    cum = list(itertools.accumulate(weights))
    total = cum[-1]
    return lambda: bisect.bisect_right(cum, rng.random() * total)


if __name__ == "__main__":
    main(sys.argv[1:])
