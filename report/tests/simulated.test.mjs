// Browser test on a report lockstep itself wrote: report/test.sh simulates a scenario, runs
// `lockstep detect` on it, and leaves the case's report.html at tests/out/simulated.html.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openReport, waitForGraph, embeddedData } from './helpers.mjs';

const embedded = () => embeddedData('simulated');

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('simulated case: loads clean, draws the network, opens a cluster, finds an account', async () => {
  const data = embedded();
  assert.ok(data.clusters.length >= 3, 'the simulated campaigns were found');
  const { context, page, log } = await openReport(browser, 'simulated');
  try {
    await waitForGraph(page);
    assert.deepEqual(log.errors, []);
    assert.deepEqual(log.console, []);
    assert.deepEqual(log.requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')), []);
    const order = await page.evaluate(() => window.__lockstep.graph.order);
    assert.equal(order, data.graph.nodes.length);

    const c = data.clusters[0];
    await page.click(`#clusters-table tbody tr[data-id="${c.id}"]`);
    await page.waitForSelector('#card-members li');
    const members = await page.$$eval('#card-members li', (li) => li.map((x) => x.textContent));
    assert.equal(members.length, c.members.length);
    assert.ok(members[0].includes(c.members[0]));

    // With --watchlist, the table says which entity each cluster promotes or attacks.
    const withTarget = data.clusters.find((x) => Array.isArray(x.targets) && x.targets.length > 0);
    assert.ok(withTarget, 'the watchlist matched the campaigns');
    const row = await page.textContent(`#clusters-table tbody tr[data-id="${withTarget.id}"]`);
    assert.ok(row.includes(withTarget.targets[0].entity), row);

    const who = data.clusters[1].members[0];
    await page.fill('#account-search', who);
    await page.press('#account-search', 'Enter');
    await page.waitForSelector('#net-cluster');
    assert.ok((await page.textContent('#net-info')).includes(who));
    assert.ok((await page.textContent('#net-cluster')).includes(`Cluster ${data.clusters[1].id}`));
  } finally {
    await context.close();
  }
});
