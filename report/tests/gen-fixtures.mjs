// Deterministic report-data fixtures, in the shape lockstep embeds in report.html
// (schemas/report-data.schema.json; keys in name order, as lockstep writes them).
//
//   node gen-fixtures.mjs case  <out.json>   small realistic case (committed as fixtures/case.json)
//   node gen-fixtures.mjs large <out.json>   100,000 nodes / 200,000 edges / 2,000 clusters
//
// Same arguments, same bytes: everything comes from a seeded PRNG.

import { writeFileSync } from 'node:fs';

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOUR = 3600000;
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
const hex64 = (rnd) => Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');
const T0 = Date.parse('2024-10-28T00:00:00Z');
const T1 = Date.parse('2024-11-24T00:00:00Z');

function background(rnd, scale) {
  const out = [];
  for (let t = T0; t < T1; t += HOUR) {
    const hr = new Date(t).getUTCHours();
    const diurnal = 0.25 + 0.75 * Math.max(0, Math.sin(((hr - 6) / 24) * 2 * Math.PI));
    const ramp = 1 + (t > Date.parse('2024-11-15T00:00:00Z') ? 0.8 : 0);
    out.push([iso(t), Math.round(scale * diurnal * ramp * (0.8 + 0.4 * rnd()))]);
  }
  return out;
}

// Signals as lockstep writes them: kind, figures, and the sentence (crates/explain/src/signals.rs).
const pct0 = (x) => (x * 100).toFixed(0);
const sig = {
  coAction: (members, co_actions, pairs, median_gap_s) => ({
    kind: 'co_action', members, co_actions, pairs, median_gap_s,
    text: `${members} members co-acted ${co_actions} times across ${pairs} pairs; median gap ${median_gap_s.toFixed(1)} s`,
  }),
  strongestPair: (q_value) => ({
    kind: 'strongest_pair', q_value,
    text: `strongest pair q = ${q_value.toExponential(1).replace('e+', 'e')} against chance co-action given crowd sizes and activity`,
  }),
  activation: (date, share) => ({
    kind: 'activation_cohort', date, share,
    text: `activation cohort: ${pct0(share)}% of members switched on (active on 3 of 4 days from then) on ${date}`,
  }),
  marker: (tag, members_with_marker, members) => ({
    kind: 'marker_hashtag', tag, members_with_marker, members,
    text: `marker hashtag #${tag}: in ≥90% of the posts of ${members_with_marker} of ${members} members`,
  }),
  nameTemplate: (shape, members_matching, members, background_share) => ({
    kind: 'name_template', shape, members_matching, members, member_share: members_matching / members, background_share,
    text: `name template ${shape}: ${members_matching} of ${members} members (${pct0(members_matching / members)}% vs ${(background_share * 100).toFixed(1)}% of all accounts)`,
  }),
  creation: (week_of, members_in_week, members_with_date) => ({
    kind: 'creation_cohort', week_of, members_in_week, members_with_date,
    text: `creation cohort: ${members_in_week} of ${members_with_date} members created in the week of ${week_of}`,
  }),
  night: (share, background_share) => ({
    kind: 'night_hours', share, background_share,
    text: `non-human hours: ${pct0(share)}% of posts 01:00–05:00 UTC vs ${pct0(background_share)}% overall`,
  }),
  target: (entity, promotes, attacks) => {
    const stance = attacks > promotes ? 'attacks' : 'promotes';
    const posts = promotes + attacks;
    return { kind: 'watchlist_target', entity, stance, posts, promotes, attacks, text: `${stance} ${entity}: ${posts} posts (${promotes} promoting, ${attacks} attacking)` };
  },
};

/** The same value with every object's keys in name order, as lockstep writes its JSON. */
function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

function burstTimeline(rnd, startMs, hours, peak) {
  const out = [];
  for (let k = 0; k < hours; k++) {
    const t = startMs + k * HOUR;
    if (rnd() < 0.35 && k > 0) continue;
    out.push([iso(t), Math.max(1, Math.round(peak * (0.3 + 0.7 * rnd())))]);
  }
  return out;
}

function caseFixture() {
  const rnd = mulberry32(2024);
  const nodes = [];
  const edges = [];
  const clusters = [];
  const add = (id, cluster, score) => {
    nodes.push({ id, cluster, score: +score.toFixed(4) });
    return nodes.length - 1;
  };
  const specs = [
    {
      id: 1, size: 24, prefix: 'vocea_romaniei_', score: 0.9412, evidence: 412.37,
      layers: { hashtag: 187, text: 64, repost: 12 },
      traces: [['hashtag:echilibru2024', 24, 412], ['hashtag:romaniaunita', 22, 301], ['text:family-0017', 19, 88], ['hashtag:fyp', 24, 640], ['repost:7436112289917]', 11, 40]],
      start: '2024-11-11T16:00:00Z', hours: 60, peak: 34,
      act: { date: '2024-11-11', share: 0.8333333333333334, censored: false }, gap: 8,
      signals: [
        sig.coAction(24, 1204, 263, 8),
        sig.strongestPair(3.2e-41),
        sig.activation('2024-11-11', 0.8333333333333334),
        sig.marker('echilibru2024', 24, 24),
        sig.marker('romaniaunita', 22, 24),
        sig.nameTemplate('a_a_9', 21, 24, 0.004),
        sig.night(0.41, 0.08),
        sig.target('Călin Georgescu', 1210, 0),
      ],
      targets: [{ entity: 'Călin Georgescu', posts: 1210, promotes: 1210, attacks: 0 }, { entity: 'Marcel Ciolacu', posts: 40, promotes: 2, attacks: 38 }],
      platform: 'tiktok',
    },
    {
      id: 2, size: 9, prefix: 'stiri.reale.', score: 0.7730, evidence: 77.04,
      layers: { url: 31, repost: 5 },
      traces: [['url:https://stiri-reale.example/articol-1', 9, 57], ['url:https://stiri-reale.example/video-3', 8, 41], ['repost:7437001', 6, 12]],
      start: '2024-11-18T07:00:00Z', hours: 30, peak: 12,
      act: null, gap: 41,
      signals: [sig.coAction(9, 212, 36, 41), sig.strongestPair(7.7e-12), sig.target('Marcel Ciolacu', 3, 57)],
      targets: [{ entity: 'Marcel Ciolacu', posts: 60, promotes: 3, attacks: 57 }],
      platform: 'tiktok',
    },
    {
      id: 3, size: 5, prefix: 'ana_m', score: 0.5105, evidence: 25.1,
      layers: { text: 9 },
      traces: [['text:family-0231', 5, 14]],
      start: '2024-11-20T18:00:00Z', hours: 8, peak: 4,
      act: { date: '2024-11-20', share: 1, censored: false }, gap: 95,
      signals: [sig.coAction(5, 31, 9, 95), sig.activation('2024-11-20', 1), sig.creation('2024-11-18', 5, 5)],
      targets: [],
      platform: 'x',
    },
    {
      id: 4, size: 3, prefix: '', score: 0.4020, evidence: 9.38,
      layers: { hashtag: 3 },
      traces: [['hashtag:</script><script>alert("trace")</script>', 3, 9]],
      start: '2024-11-22T09:00:00Z', hours: 4, peak: 3,
      act: { date: '2024-11-22', share: 0.6666666666666666, censored: true }, gap: 20,
      signals: [sig.coAction(3, 9, 3, 20), sig.marker('<b>not bold</b><img src=x onerror=alert(1)>', 3, 3)],
      targets: [],
      platform: 'x',
      names: ['<img src=x onerror=alert(1)>', 'name"with\'quotes&amp;', '</script><script>alert(2)</script>'],
    },
  ];
  for (const sp of specs) {
    const idx = [];
    for (let j = 0; j < sp.size; j++) {
      const name = sp.names ? sp.names[j] : `${sp.prefix}${String(100 + j * 7).padStart(4, '0')}`;
      idx.push(add(name, sp.id, sp.score * (0.75 + 0.25 * rnd())));
    }
    for (let a = 0; a < idx.length; a++) {
      for (let b = a + 1; b < idx.length; b++) {
        if (rnd() < (sp.size > 10 ? 0.45 : 0.9)) edges.push([idx[a], idx[b], +(1 + rnd() * 9).toFixed(3)]);
      }
    }
    const members = idx.map((i) => nodes[i].id);
    const start = Date.parse(sp.start);
    const timeline = burstTimeline(rnd, start, sp.hours, sp.peak);
    const evidence = [];
    for (let k = 0; k < 6; k++) {
      const acct = members[k % members.length];
      const t = start + k * 517000 + Math.floor(rnd() * 60000);
      const id = String(7436000000000 + sp.id * 100000 + k * 37);
      const ev = { id, account: acct, time: iso(t), platform: sp.platform, kind: k % 3 === 2 ? 'repost' : 'post' };
      if (sp.id === 1) ev.text = `Romania merită mai mult! Votează cu inima, nu cu frica. #echilibru2024 #romaniaunita #fyp (${k + 1})`;
      if (sp.id === 2) ev.text = `Ce nu vă spun televiziunile: https://stiri-reale.example/articol-1 — distribuiți înainte să fie șters!`;
      if (sp.id === 3 && k !== 4) ev.text = 'Am votat azi pentru prima dată și sunt mândră de alegerea mea. Voi ce ați ales?';
      if (sp.id === 4) ev.text = k === 0 ? '</script><script>alert("evidence")</script> <!-- comment --> & done' : `plain text ${k}`;
      ev.source = sp.id === 3
        ? { file: 'data/x_archive.csv', line: 300 + k * 17 }
        : { file: 'data/tiktok_videos.jsonl.gz', line: 1000 + sp.id * 5000 + k * 211 };
      if (sp.platform === 'tiktok') ev.link = `https://www.tiktok.com/@${encodeURIComponent(acct)}/video/${id}`;
      else if (sp.id === 4 && k === 1) ev.link = 'javascript:alert(3)';
      else if (k !== 3) ev.link = `https://x.com/${encodeURIComponent(acct)}/status/${id}`;
      evidence.push(ev);
    }
    const nEdges = edges.filter(([a, b]) => nodes[a].cluster === sp.id && nodes[b].cluster === sp.id).length;
    clusters.push({
      id: sp.id, size: sp.size, score: sp.evidence, members, layers: sp.layers, edges: nEdges,
      density: (2 * nEdges) / (sp.size * (sp.size - 1)), co_actions: Math.round(nEdges * 4.6),
      first: sp.start, last: iso(start + (sp.hours - 1) * HOUR + 1800000), median_gap_s: sp.gap,
      top_traces: sp.traces.map(([trace, accounts, events]) => ({ trace, label: trace, accounts, events })),
      lag_s: [2, sp.gap, sp.gap * 4], leaders: sp.id === 1 ? [{ account: members[0], led: 40, followed: 3 }] : [],
      fast: { window_s: 10, edges: sp.id === 1 ? 30 : 0, members: sp.id === 1 ? 12 : 0, co_actions: sp.id === 1 ? 90 : 0 },
      ...(sp.act ? { activation: sp.act } : {}), signals: sp.signals, targets: sp.targets, timeline, evidence,
    });
  }
  // Accounts with significant edges but in no reported cluster.
  const loose = [];
  for (let j = 0; j < 60; j++) loose.push(add(`user${String(4000 + j * 13)}`, 0, 0.05 + 0.3 * rnd()));
  for (let j = 0; j < 40; j++) {
    const a = loose[Math.floor(rnd() * loose.length)];
    const b = loose[Math.floor(rnd() * loose.length)];
    if (a !== b) edges.push([a, b, +(1 + rnd() * 2).toFixed(3)]);
  }
  edges.push([loose[0], 0, 1.2]);
  const flagged = clusters.reduce((a, c) => a + c.size, 0);
  return {
    version: '0.1.0',
    generated_from: 'manifest.json',
    summary: {
      inputs: [
        { path: 'data/tiktok_videos.jsonl.gz', format: 'tiktok-research', sha256: hex64(rnd), bytes: 48213377, read: 182344, accepted: 182001, quarantined: 343 },
        { path: 'data/x_archive.csv', format: 'x-archive-csv', sha256: hex64(rnd), bytes: 9123004, read: 40210, accepted: 40210, quarantined: 0 },
      ],
      platforms: ['tiktok', 'x'],
      first: '2024-10-28T00:00:00Z',
      last: '2024-11-24T00:00:00Z',
      counts: {
        files: 2, read: 222554, accepted: 222211, quarantined: 343, accounts: 51877, hits: 611032, traces: 90211,
        crowded_hits: 20877, co_action_records: 412900, pair_traces: 150233, pairs_tested: 90312, edges_kept: edges.length,
        clusters: clusters.length, flagged_accounts: flagged,
      },
      parameters: {
        window_s: 60.0, layers: ['hashtag', 'repost', 'text', 'url'], max_crowd: 100, fdr: 0.01, min_co_actions: 2,
        min_participation: 0, min_cluster_size: 3, resolution: 1.0, seed: 42, text_similarity: 0.6, text_min_tokens: 4,
      },
    },
    clusters,
    background: background(rnd, 420),
    graph: { nodes, edges },
    outputs: Object.fromEntries(
      ['accounts.csv', 'clusters.json', 'edges.csv', 'graph.gexf', 'graph.graphml', 'quarantine.ndjson'].map((k) => [k, hex64(rnd)]),
    ),
  };
}

function largeFixture() {
  const rnd = mulberry32(7);
  const N = 100000;
  const E = 200000;
  const C = 2000;
  // Cluster sizes: heavy-tailed, at least 3.
  const sizes = [];
  for (let k = 0; k < C; k++) sizes.push(Math.max(3, Math.round(5000 / Math.pow(k + 1, 0.9))));
  const nodes = [];
  const clusterMembers = [];
  let next = 0;
  for (let k = 0; k < C; k++) {
    const m = [];
    for (let j = 0; j < sizes[k]; j++) {
      const id = next++;
      nodes.push({ id: `acct${String(id).padStart(6, '0')}`, cluster: k + 1, score: +(0.3 + 0.7 * rnd()).toFixed(4) });
      m.push(id);
    }
    clusterMembers.push(m);
  }
  while (nodes.length < N) {
    const id = next++;
    nodes.push({ id: `acct${String(id).padStart(6, '0')}`, cluster: 0, score: +(0.2 * rnd()).toFixed(4) });
  }
  const clustered = nodes.length - nodes.filter((n) => n.cluster === 0).length;
  const edges = [];
  const intra = Math.round(E * 0.8);
  for (let k = 0; k < C; k++) {
    const m = clusterMembers[k];
    const share = k === C - 1 ? intra - edges.length : Math.round((intra * m.length) / clustered);
    for (let e = 0; e < share; e++) {
      const a = m[Math.floor(rnd() * m.length)];
      let b = m[Math.floor(rnd() * m.length)];
      if (a === b) b = m[(m.indexOf(a) + 1) % m.length];
      edges.push([a, b, +(1 + rnd() * 20).toFixed(3)]);
    }
  }
  while (edges.length < E) {
    const a = Math.floor(rnd() * N);
    const b = Math.floor(rnd() * N);
    if (a !== b) edges.push([a, b, +(1 + rnd() * 3).toFixed(3)]);
  }
  const clusters = [];
  for (let k = 0; k < C; k++) {
    const m = clusterMembers[k];
    const start = T0 + Math.floor(rnd() * 600) * HOUR;
    const members = m.map((i) => nodes[i].id);
    clusters.push({
      id: k + 1, size: m.length, score: 0.99 - (0.8 * k) / C, members,
      layers: { hashtag: m.length * 2, ...(k % 3 === 0 ? { url: m.length } : {}), ...(k % 5 === 0 ? { text: k + 1 } : {}) },
      edges: Math.round((intra * m.length) / clustered), density: 0.05, co_actions: m.length * 11,
      first: iso(start), last: iso(start + 40 * HOUR), median_gap_s: 5 + (k % 50),
      top_traces: [
        { trace: `hashtag:campaign${k + 1}`, label: `hashtag:campaign${k + 1}`, accounts: m.length, events: m.length * 6 },
        { trace: `url:https://site${k % 97}.example/p/${k}`, label: `url:https://site${k % 97}.example/p/${k}`, accounts: Math.ceil(m.length / 2), events: m.length * 2 },
      ],
      lag_s: [1, 5, 30], leaders: [], fast: { window_s: 10, edges: 0, members: 0, co_actions: 0 },
      ...(k % 4 === 3 ? {} : { activation: { date: iso(start).slice(0, 10), share: 0.3 + 0.7 * rnd(), censored: k % 7 === 0 } }),
      signals: [sig.coAction(m.length, m.length * 11, Math.round((intra * m.length) / clustered), 5 + (k % 50)), sig.marker(`campaign${k + 1}`, m.length, m.length)],
      targets: [],
      timeline: burstTimeline(rnd, start, 40, Math.max(2, Math.round(m.length / 10))),
      evidence: [0, 1, 2].map((j) => ({
        id: String(9000000 + k * 10 + j), account: members[j % members.length], time: iso(start + j * 60000),
        platform: 'tiktok', kind: 'post', text: `post ${j} of cluster ${k + 1} #campaign${k + 1}`,
        link: `https://www.tiktok.com/@${members[j % members.length]}/video/${9000000 + k * 10 + j}`,
        source: { file: 'data/videos.jsonl', line: 1 + k * 10 + j },
      })),
    });
  }
  return {
    version: '0.1.0',
    generated_from: 'manifest.json',
    summary: {
      inputs: [{ path: 'data/big.jsonl.zst', format: 'tiktok-research', sha256: hex64(rnd), bytes: 3_900_000_000, read: 25_000_000, accepted: 24_990_000, quarantined: 10_000 }],
      platforms: ['tiktok'],
      first: iso(T0),
      last: iso(T1),
      counts: {
        files: 1, read: 25_000_000, accepted: 24_990_000, quarantined: 10_000, accounts: 1_800_000, hits: 60_000_000,
        traces: 9_000_000, crowded_hits: 3_000_000, co_action_records: 40_000_000, pair_traces: 6_000_000, pairs_tested: 4_000_000,
        edges_kept: E, clusters: C, flagged_accounts: clustered,
      },
      parameters: { window_s: 60.0, layers: ['hashtag', 'url', 'text'], max_crowd: 100, fdr: 0.01, min_co_actions: 2, min_cluster_size: 3, seed: 42 },
    },
    clusters,
    background: background(rnd, 90000),
    graph: { nodes, edges },
    outputs: { 'accounts.csv': hex64(rnd), 'clusters.json': hex64(rnd), 'edges.csv': hex64(rnd) },
  };
}

const [kind, out] = process.argv.slice(2);
const make = { case: caseFixture, large: largeFixture }[kind];
if (!make || !out) {
  console.error('usage: node gen-fixtures.mjs case|large <out.json>');
  process.exit(2);
}
writeFileSync(out, JSON.stringify(sortKeys(make()), null, kind === 'case' ? 1 : 0) + '\n');
