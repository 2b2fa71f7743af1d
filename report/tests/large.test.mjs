// The generated 100,000-node / 200,000-edge / 2,000-cluster case must open quickly.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openReport, waitForGraph, inkedPixels, visibleRowIds } from './helpers.mjs';

const LIMIT_MS = 10000;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('large: 100k nodes load and render in under 10 s', async (t) => {
  const { context, page, log, wallLoadMs } = await openReport(browser, 'large');
  try {
    await waitForGraph(page, 60000);
    const m = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const d = window.__lockstep;
      return {
        load: nav.loadEventStart,
        domInteractive: nav.domInteractive,
        pageBuilt: d.marks.page,
        graphBuild: d.buildMs,
        firstRender: d.firstRenderMs,
        nodes: d.graph.order,
        edges: d.graph.size,
      };
    });
    const line =
      `large fixture: load event ${Math.round(m.load)} ms, first graph render ${Math.round(m.firstRender)} ms ` +
      `(page text ${Math.round(m.pageBuilt)} ms, graph build ${Math.round(m.graphBuild)} ms; goto→load wall ${wallLoadMs} ms); ` +
      `${m.nodes} nodes, ${m.edges} edges drawn`;
    t.diagnostic(line);
    assert.equal(m.nodes, 100000);
    assert.equal(m.edges, 50000, 'edges capped to the strongest 50,000');
    assert.ok(m.load < LIMIT_MS, `load event at ${m.load} ms`);
    assert.ok(m.firstRender < LIMIT_MS, `first render at ${m.firstRender} ms`);
    assert.match(await page.textContent('#net-status'), /strongest 50,000 of 200,000 edges/);
    assert.equal(await page.$$eval('#clusters-table tbody tr[data-id]', (r) => r.length), 2000);

    const png = await page.locator('#net-stage canvas.sigma-nodes').screenshot();
    assert.ok((await inkedPixels(browser, png)) > 20000, 'graph drawn');

    await page.fill('#cluster-filter', 'campaign1999');
    await page.waitForTimeout(300);
    assert.deepEqual(await visibleRowIds(page), [1999]);

    await page.fill('#account-search', 'acct099999');
    await page.press('#account-search', 'Enter');
    await page.waitForFunction(() => document.querySelector('#net-info').textContent.includes('acct099999'));
    assert.ok((await page.textContent('#net-cluster')).includes('Not in any cluster'));
    await page.fill('#account-search', 'acct000042');
    await page.press('#account-search', 'Enter');
    await page.waitForFunction(() => document.querySelector('#net-info').textContent.includes('acct000042'));
    assert.ok((await page.textContent('#net-cluster')).includes('Cluster 1'));

    assert.deepEqual(log.errors, []);
    assert.deepEqual(log.console, []);
    assert.deepEqual(log.requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')), []);
  } finally {
    await context.close();
  }
});
