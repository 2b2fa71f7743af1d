// Browser tests of the case report on the committed fixtures (rendered by report/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openReport, waitForGraph, inkedPixels, visibleRowIds } from './helpers.mjs';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name) => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
const CASE = fixture('case');

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

function assertClean(log) {
  assert.deepEqual(log.errors, [], 'no uncaught page errors');
  assert.deepEqual(log.console, [], 'no console messages');
  assert.deepEqual(log.dialogs, [], 'no dialogs (no injected script ran)');
  assert.deepEqual(log.failed, [], 'no failed requests');
  const remote = log.requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'));
  assert.deepEqual(remote, [], 'no request other than file:// and data:');
}

for (const name of ['minimal', 'case', 'empty', 'hostile']) {
  test(`${name}: loads offline with no console output, errors or network requests`, async () => {
    const { context, page, log } = await openReport(browser, name);
    try {
      await waitForGraph(page);
      await page.waitForTimeout(300);
      assert.equal(await page.title(), 'lockstep case report');
      for (const id of ['summary', 'clusters', 'network', 'provenance']) {
        assert.ok(await page.isVisible(`section#${id}`), `section ${id}`);
      }
      assertClean(log);
    } finally {
      await context.close();
    }
  });
}

test('case: the graph draws every node, coloured pixels on the WebGL canvas', async () => {
  const { context, page, log } = await openReport(browser, 'case');
  try {
    await waitForGraph(page);
    const { order, size, hasSigma } = await page.evaluate(() => ({
      order: window.__lockstep.graph.order,
      size: window.__lockstep.graph.size,
      hasSigma: !!window.__lockstep.sigma,
    }));
    assert.equal(order, CASE.graph.nodes.length);
    assert.ok(size > 0 && size <= CASE.graph.edges.length);
    assert.ok(hasSigma);
    const png = await page.locator('#net-stage canvas.sigma-nodes').screenshot();
    const inked = await inkedPixels(browser, png);
    assert.ok(inked > 500, `graph canvas has drawn pixels (${inked})`);
    assertClean(log);
  } finally {
    await context.close();
  }
});

test('case: summary and provenance show the inputs, counts and hashes', async () => {
  const { context, page } = await openReport(browser, 'case');
  try {
    const summary = await page.textContent('#summary');
    for (const f of CASE.summary.inputs) assert.ok(summary.includes(f.path), f.path);
    assert.ok(summary.includes('222,211'), 'records accepted');
    assert.ok(summary.includes('tiktok-research'));
    assert.ok(summary.includes('min_cluster_size'));
    const prov = await page.textContent('#provenance');
    for (const f of CASE.summary.inputs) assert.ok(prov.includes(f.sha256));
    for (const [k, v] of Object.entries(CASE.outputs)) assert.ok(prov.includes(k) && prov.includes(v), k);
    assert.ok(prov.includes('lockstep verify'));
    assert.ok(prov.includes('0.1.0'));
  } finally {
    await context.close();
  }
});

test('case: clicking a cluster row opens its card with members, signals, traces, timeline, evidence', async () => {
  const { context, page } = await openReport(browser, 'case');
  try {
    const c = CASE.clusters.find((x) => x.id === 2);
    await page.click('#clusters-table tbody tr[data-id="2"]');
    await page.waitForSelector('#cluster-card');
    const members = await page.$$eval('#card-members li', (li) => li.map((x) => x.textContent));
    assert.deepEqual(members, c.members);
    const signals = await page.$$eval('#card-signals li', (li) => li.map((x) => x.textContent));
    assert.deepEqual(signals, c.signals.map((s) => s.text), 'each signal shows its text');
    const card = await page.textContent('#cluster-card');
    assert.ok(card.includes('Cluster 2'));
    assert.ok(card.includes(c.top_traces[0].trace));
    assert.equal(await page.$$eval('#cluster-card svg.timeline .tl-bars rect', (r) => r.length), c.timeline.length);
    assert.equal(await page.$$eval('#card-evidence tbody tr', (r) => r.length), c.evidence.length);
    assert.equal(await page.getAttribute('#clusters-table tbody tr[data-id="2"]', 'aria-selected'), 'true');
    // The time-range toggle redraws the chart.
    await page.click('#cluster-card .segmented button[data-range="active"]');
    assert.equal(await page.getAttribute('#cluster-card .segmented button[data-range="active"]', 'aria-pressed'), 'true');
  } finally {
    await context.close();
  }
});

test('case: the filter hides rows that do not match (id, trace, member, signal, layer)', async () => {
  const { context, page } = await openReport(browser, 'case');
  try {
    const filter = async (q) => {
      await page.fill('#cluster-filter', q);
      await page.waitForTimeout(150);
      return visibleRowIds(page);
    };
    assert.deepEqual(await filter('stiri-reale.example/video'), [2], 'top trace');
    assert.deepEqual(await filter('ana_m0114'), [3], 'member name');
    assert.deepEqual(await filter('name template'), [1], 'signal');
    assert.deepEqual(await filter('url'), [2], 'layer');
    assert.deepEqual(await filter('onerror'), [4], 'hostile member name is plain text');
    assert.deepEqual(await filter('no-such-thing'), []);
    assert.ok((await page.textContent('#cluster-count')).includes('0 of 4'));
    assert.deepEqual(await filter(''), [1, 2, 3, 4]);
  } finally {
    await context.close();
  }
});

test('case: clicking a header sorts rows; clicking again reverses', async () => {
  const { context, page } = await openReport(browser, 'case');
  try {
    const sizes = () => page.$$eval('#clusters-table tbody tr[data-id]', (rows) => rows.map((r) => Number(r.children[1].textContent.replace(/,/g, ''))));
    await page.click('#clusters-table th[data-key="size"] button');
    const desc = await sizes();
    assert.deepEqual(desc, [...desc].sort((a, b) => b - a));
    assert.equal(await page.getAttribute('#clusters-table th[data-key="size"]', 'aria-sort'), 'descending');
    await page.click('#clusters-table th[data-key="size"] button');
    const asc = await sizes();
    assert.deepEqual(asc, [...desc].reverse());
    assert.deepEqual(asc, [3, 5, 9, 24]);
    assert.equal(await page.getAttribute('#clusters-table th[data-key="size"]', 'aria-sort'), 'ascending');
    await page.click('#clusters-table th[data-key="trace"] button');
    const traces = await page.$$eval('#clusters-table tbody tr[data-id]', (rows) => rows.map((r) => r.children[5].textContent));
    assert.deepEqual(traces, [...traces].sort());
    // Score (the cluster's evidence) is a number in the data: sorted as one, shown with 1 decimal.
    await page.click('#clusters-table th[data-key="score"] button');
    const scores = await page.$$eval('#clusters-table tbody tr[data-id]', (rows) => rows.map((r) => r.children[2].textContent));
    assert.deepEqual(scores, ['412.4', '77.0', '25.1', '9.4']);
  } finally {
    await context.close();
  }
});

test('case: account search (exact and prefix) highlights, centres and shows the cluster', async () => {
  const { context, page } = await openReport(browser, 'case');
  try {
    await waitForGraph(page);
    const ratio0 = await page.evaluate(() => window.__lockstep.sigma.getCamera().ratio);
    await page.fill('#account-search', 'ana_m0114');
    await page.press('#account-search', 'Enter');
    await page.waitForSelector('#net-cluster');
    assert.ok((await page.textContent('#net-info')).includes('ana_m0114'));
    assert.ok((await page.textContent('#net-cluster')).includes('Cluster 3'));
    await page.waitForTimeout(700); // camera animation
    const cam = await page.evaluate(() => {
      const s = window.__lockstep.sigma;
      const key = window.__lockstep.graph.findNode((k, a) => a.label === 'ana_m0114');
      const p = s.getNodeDisplayData(key);
      const c = s.getCamera();
      return { ratio: c.ratio, dx: Math.abs(c.x - p.x), dy: Math.abs(c.y - p.y), highlighted: s.getNodeDisplayData(key).highlighted };
    });
    assert.ok(cam.ratio < ratio0, 'zoomed in');
    assert.ok(cam.dx < 1e-6 && cam.dy < 1e-6, 'centred on the account');
    assert.equal(cam.highlighted, true);

    // Prefix, case-insensitive: first match alphabetically.
    await page.fill('#account-search', 'STIRI.reale.01');
    await page.press('#account-search', 'Enter');
    await page.waitForFunction(() => document.querySelector('#net-info').textContent.includes('stiri.reale.0100'));
    assert.ok((await page.textContent('#net-cluster')).includes('Cluster 2'));

    // An account in no cluster says so; an unknown one says nothing matched.
    await page.fill('#account-search', 'user4013');
    await page.press('#account-search', 'Enter');
    await page.waitForFunction(() => document.querySelector('#net-cluster').textContent.includes('Not in any cluster'));
    await page.fill('#account-search', 'zzz-nobody');
    await page.press('#account-search', 'Enter');
    assert.ok((await page.textContent('#search-msg')).includes('No account'));

    // "Open the card" jumps to the cluster.
    await page.fill('#account-search', 'vocea_romaniei_0100');
    await page.press('#account-search', 'Enter');
    await page.click('#net-info button.link-btn');
    assert.ok((await page.textContent('#cluster-card h2')).includes('Cluster 1'));
  } finally {
    await context.close();
  }
});

test('case: clicking a node shows its account and cluster', async () => {
  const { context, page } = await openReport(browser, 'case');
  try {
    await waitForGraph(page);
    await page.locator('#net-stage').scrollIntoViewIfNeeded();
    await page.waitForTimeout(200);
    const target = await page.evaluate(() => {
      const s = window.__lockstep.sigma;
      const g = window.__lockstep.graph;
      const key = g.findNode((k, a) => a.label === 'stiri.reale.0107');
      const a = g.getNodeAttributes(key);
      const vp = s.graphToViewport({ x: a.x, y: a.y });
      const r = document.getElementById('net-stage').getBoundingClientRect();
      return { x: r.left + vp.x, y: r.top + vp.y };
    });
    await page.mouse.click(target.x, target.y);
    await page.waitForFunction(() => document.querySelector('#net-info').textContent.includes('stiri.reale.0107'));
    assert.ok((await page.textContent('#net-cluster')).includes('Cluster 2'));
  } finally {
    await context.close();
  }
});

test('case: evidence links open in a new tab with rel=noopener; non-http links stay text', async () => {
  const { context, page, log } = await openReport(browser, 'case');
  try {
    for (const id of [1, 4]) {
      await page.click(`#clusters-table tbody tr[data-id="${id}"]`);
      const links = await page.$$eval('#card-evidence a', (as) => as.map((a) => ({ href: a.href, rel: a.rel, target: a.target })));
      assert.ok(links.length > 0);
      for (const l of links) {
        assert.ok(l.rel.split(/\s+/).includes('noopener'), l.href);
        assert.equal(l.target, '_blank');
        assert.match(l.href, /^https:\/\//);
      }
    }
    // Cluster 4 carries hostile strings: they show as text, run nothing, and create no elements.
    const text = await page.textContent('#cluster-card');
    assert.ok(text.includes('<img src=x onerror=alert(1)>'));
    assert.ok(text.includes('</script><script>alert("evidence")</script>'));
    assert.ok(text.includes('javascript:alert(3)'));
    assert.equal(await page.$$eval('img, iframe, object, embed', (e) => e.length), 0);
    assert.equal(await page.$$eval('#cluster-card a[href^="javascript:"]', (e) => e.length), 0);
    assert.equal(await page.$$eval('script', (s) => s.length), 2, 'only the data block and the bundle');
    assertClean(log);
  } finally {
    await context.close();
  }
});

test('case: a #cluster-N link opens that card', async () => {
  const { context, page } = await openReport(browser, 'case');
  try {
    await page.goto(`${page.url()}#cluster-3`);
    await page.reload({ waitUntil: 'load' });
    assert.ok((await page.textContent('#cluster-card h2')).includes('Cluster 3'));
  } finally {
    await context.close();
  }
});

test('case: "Show in network" focuses the cluster and greys out the others', async () => {
  const { context, page } = await openReport(browser, 'case');
  try {
    await waitForGraph(page);
    await page.click('#clusters-table tbody tr[data-id="2"]');
    await page.click('#cluster-card .card-head button');
    await page.waitForFunction(() => (document.querySelector('#net-cluster') || {}).textContent?.includes('Cluster 2'));
    const colours = await page.evaluate(() => {
      const s = window.__lockstep.sigma;
      const g = window.__lockstep.graph;
      const inC = g.findNode((k, a) => a.cluster === 2);
      const outC = g.findNode((k, a) => a.cluster === 1);
      return { inC: s.getNodeDisplayData(inC).color, own: g.getNodeAttribute(inC, 'color'), outC: s.getNodeDisplayData(outC).color, outOwn: g.getNodeAttribute(outC, 'color') };
    });
    assert.equal(colours.inC, colours.own);
    assert.notEqual(colours.outC, colours.outOwn);
    // Clicking a member in the card finds that account.
    await page.click('#card-members li:nth-child(3) button');
    await page.waitForFunction(() => document.querySelector('#net-info').textContent.includes('stiri.reale.0114'));
  } finally {
    await context.close();
  }
});

test('case: numbers are formatted for reading; a cluster with no activation shows –', async () => {
  const { context, page } = await openReport(browser, 'case');
  try {
    const c1 = CASE.clusters.find((x) => x.id === 1);
    const c2 = CASE.clusters.find((x) => x.id === 2);
    assert.equal(typeof c1.score, 'number');
    assert.equal(c2.activation, undefined, 'fixture: cluster 2 has no activation');
    const row = (id) => page.$$eval(`#clusters-table tbody tr[data-id="${id}"] td`, (td) => td.map((x) => x.textContent));
    const r1 = await row(1);
    assert.equal(r1[2], '412.4');
    assert.equal(r1[6], '2024-11-11 (83%)');
    const r2 = await row(2);
    assert.equal(r2[6], '–');
    assert.ok(r2[4].includes('attacks Marcel Ciolacu'), r2[4]);

    const fact = (label) =>
      page.$$eval('#cluster-card dl.facts > div', (ds, l) => (ds.find((d) => d.querySelector('dt').textContent === l) || {}).textContent, label);
    await page.click('#clusters-table tbody tr[data-id="1"]');
    assert.ok((await fact('Score')).startsWith('Score412.4 (evidence'));
    assert.equal(await fact('Density'), `Density${c1.density.toFixed(4)}`);
    assert.equal(await fact('Median gap'), 'Median gap8.0 s');
    assert.equal(await fact('Activation'), 'Activation2024-11-11 (83% of members switched on)');
    await page.click('#clusters-table tbody tr[data-id="2"]');
    assert.equal(await fact('Activation'), 'Activation–');
    assert.equal(await fact('Median gap'), 'Median gap41.0 s');
    const targets = await page.$$eval('#card-targets tbody tr', (r) => r.map((x) => [...x.children].map((td) => td.textContent)));
    assert.deepEqual(targets, [['Marcel Ciolacu', '60', '3', '57']]);
    const card = await page.textContent('#cluster-card');
    assert.ok(!card.includes('1970'), 'no epoch date for a missing activation');
  } finally {
    await context.close();
  }
});

test('case: evidence shows where each post was read (file:line)', async () => {
  const { context, page } = await openReport(browser, 'case');
  try {
    await page.click('#clusters-table tbody tr[data-id="3"]');
    const heads = await page.$$eval('#card-evidence th', (th) => th.map((x) => x.textContent));
    assert.equal(heads[heads.length - 1], 'Source');
    const cells = await page.$$eval('#card-evidence td.source', (td) => td.map((x) => ({ text: x.textContent })));
    const ev = CASE.clusters.find((x) => x.id === 3).evidence;
    assert.deepEqual(cells.map((c) => c.text), ev.map((e) => `${e.source.file}:${e.source.line}`));
  } finally {
    await context.close();
  }
});

test('case: a cluster card lists its amplifiers apart from its members, with their reasons', async () => {
  const { context, page, log } = await openReport(browser, 'case');
  try {
    const c = CASE.clusters.find((x) => x.id === 1);
    await page.click('#clusters-table tbody tr[data-id="1"]');
    await page.waitForSelector('#card-amplifiers tbody tr');
    const rows = await page.$$eval('#card-amplifiers tbody tr', (r) => r.map((x) => [...x.children].map((td) => td.textContent)));
    assert.equal(rows.length, c.amplifiers.length);
    assert.deepEqual(rows[0], ['creator_ana_', 'adopter', 'hashtag:echilibrusiverticalitate', '2024-11-13, 2024-11-18', '3 of 41 h in windows', '0.21', '3.40e-3']);
    // An executor is labelled as one, its figures as orders among its posts.
    assert.deepEqual(rows[1].slice(1), ['executor', 'sound:7301000000000000001, url:youtube.com/watch?v=abc', '2024-11-18', '2 orders in 12 posts', '0.05', '9.00e-3']);
    const titles = await page.$$eval('#card-amplifiers tbody td.num[title]', (td) => td.map((x) => x.title));
    assert.ok(titles.some((t) => t === '2 orders executed of 12 posts with a sound, link or media'), titles.join('|'));
    // A right-to-left override in a name is shown, not obeyed.
    assert.ok(!rows[1][0].includes('\u202e'), rows[1][0]);
    assert.ok(rows[1][0].includes('U+202E'), rows[1][0]);
    // Amplifiers are not members.
    const members = await page.$$eval('#card-members li', (li) => li.map((x) => x.textContent));
    assert.equal(members.length, c.members.length);
    assert.ok(!members.includes('creator_ana_'));
    const traces = await page.textContent('#card-campaign-traces');
    assert.ok(traces.includes('hashtag:echilibrusiverticalitate') && traces.includes('(carried by others)'), traces);
    const fact = await page.$$eval('dl.facts div', (d) => d.map((x) => x.textContent).find((t) => t.startsWith('Amplifiers')));
    assert.equal(fact, 'Amplifiers2 accounts outside the cluster (below)');
    // The filter finds a cluster by an amplifier's name.
    await page.fill('#cluster-filter', 'creator_ana_');
    await page.waitForFunction(() => [...document.querySelectorAll('#clusters-table tbody tr')].filter((r) => !r.hidden).length === 1);
    // A cluster without amplifiers has no such section.
    await page.fill('#cluster-filter', '');
    await page.click('#clusters-table tbody tr[data-id="3"]');
    assert.equal(await page.$('#card-amplifiers'), null);
    assert.deepEqual(log.errors, []);
  } finally {
    await context.close();
  }
});

test('aggregates: a clean-room case says so, withholds members, evidence and the network, and stays clean', async () => {
  const { context, page, log } = await openReport(browser, 'aggregates');
  try {
    const notice = await page.textContent('#aggregates-only');
    assert.ok(notice.includes('Aggregates only') && notice.includes('no account names'), notice);
    assert.ok((await page.textContent('section#network')).includes('Withheld'));
    assert.equal(await page.$$eval('section#network canvas', (c) => c.length), 0, 'no network drawn');
    await page.click('#clusters-table tbody tr[data-id="1"]');
    await page.waitForSelector('#cluster-card');
    assert.equal(await page.textContent('#card-members'), 'Withheld (aggregates only).');
    const card = await page.textContent('#cluster-card');
    assert.ok(card.includes('Members (6)'), 'the count stays');
    assert.ok(card.includes('Withheld (aggregates only).'));
    assert.ok(card.includes('zqtag'), 'hashtags stay');
    assert.equal(await page.$$eval('#cluster-card button', (b) => b.filter((x) => x.textContent === 'Show in network').length), 0);
    await page.waitForTimeout(300);
    assertClean(log);
  } finally {
    await context.close();
  }
});
