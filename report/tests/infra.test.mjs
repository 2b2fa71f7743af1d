// Browser tests of the infrastructure view (lockstep infra): the committed fixture and a
// report lockstep infra wrote itself from simulated logs (both rendered by report/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openReport, OUT } from './helpers.mjs';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const INFRA = JSON.parse(readFileSync(join(FIXTURES, 'infra.json'), 'utf8'));

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
  const remote = log.requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'));
  assert.deepEqual(remote, [], 'no request other than file:// and data:');
}

const names = ['infra'].concat(existsSync(join(OUT, 'infra-simulated.html')) ? ['infra-simulated'] : []);
for (const name of names) {
  test(`${name}: the infrastructure view shows classes, targets, origins and campaigns`, async () => {
    const { context, page, log } = await openReport(browser, name);
    try {
      assert.equal(await page.title(), 'lockstep infrastructure report');
      for (const id of ['summary', 'timeline', 'targets', 'origins', 'campaigns', 'provenance']) {
        assert.ok(await page.isVisible(`section#${id}`), `section ${id}`);
      }
      const headline = await page.textContent('#headline');
      assert.match(headline, /attempts from \d+ sources/);
      const bars = await page.$$eval('svg.infra-timeline rect[data-class]', (r) => r.length);
      assert.ok(bars > 0, 'timeline bars');
      const cards = await page.$$eval('article.campaign', (a) => a.length);
      const hook = await page.evaluate(() => window.__lockstep.infra);
      assert.equal(cards, hook.campaigns);
      assert.ok(cards > 0, 'campaign cards');
      const first = await page.textContent('article.campaign h2');
      assert.match(first, /^Campaign \d+$/);
      assertClean(log);
    } finally {
      await context.close();
    }
  });
}

test('infra: hostile values in the data stay text', async () => {
  const { context, page, log } = await openReport(browser, 'infra');
  try {
    const evil = INFRA.clusters[0].targets[0][0];
    assert.match(evil, /onerror/);
    const text = await page.textContent('#campaigns');
    assert.ok(text.includes(evil), 'the payload is shown as text');
    assert.equal(await page.$$eval('#campaigns img', (i) => i.length), 0, 'no element was created from data');
    assertClean(log);
  } finally {
    await context.close();
  }
});
