// Names are chosen by whoever runs the accounts. Bidi controls, zero-width and other invisible
// characters in them are shown as visible ⟨U+XXXX⟩ escapes everywhere a name appears, while the
// value itself (search, filter, copy) stays exact. Fixture: fixtures/hostile.json.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openReport, waitForGraph, writeVariant } from './helpers.mjs';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const HOSTILE = JSON.parse(readFileSync(join(FIXTURES, 'hostile.json'), 'utf8'));
const RLO = 'rtl\u202eexe.txt';
const RLO_SHOWN = 'rtl⟨U+202E⟩exe.txt';
// Every character that must never reach the page's text unescaped.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

function assertClean(log) {
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.console, []);
  assert.deepEqual(log.dialogs, []);
  assert.deepEqual(log.requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')), []);
}

/** Text nodes of the page (not the data block or the bundle) holding an invisible character. */
const leakedText = (page) =>
  page.evaluate((src) => {
    const re = new RegExp(src);
    const out = [];
    const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n; (n = w.nextNode()); ) {
      if (n.parentElement === document.body || n.parentElement.closest('script, style')) continue; // the page's own markup
      if (re.test(n.data)) out.push(JSON.stringify(n.data));
    }
    for (const e of document.body.querySelectorAll('[title]')) if (re.test(e.title)) out.push(`title ${JSON.stringify(e.title)}`);
    return out;
  }, INVISIBLE.source);

test('hostile: member names show their invisible characters as ⟨U+XXXX⟩, in logical order', async () => {
  const { context, page, log } = await openReport(browser, 'hostile');
  try {
    await waitForGraph(page);
    await page.click('#clusters-table tbody tr[data-id="1"]');
    const shown = await page.$$eval('#card-members button', (b) => b.map((x) => ({ text: x.textContent, name: x.dataset.name })));
    assert.deepEqual(shown.map((x) => x.name), HOSTILE.clusters[0].members, 'the exact names are kept');
    assert.deepEqual(shown.map((x) => x.text), [
      'alm⟨U+061C⟩name',
      'bom⟨U+FEFF⟩name',
      'ctl⟨U+0000⟩nul⟨U+0007⟩bell⟨U+0085⟩nel',
      'lrm⟨U+200E⟩and⟨U+200F⟩rlm',
      RLO_SHOWN,
      'zero⟨U+200B⟩width',
    ]);
    // The escape is its own styled element, so it cannot be mistaken for text in a name.
    const esc = await page.$eval('#card-members button[data-name="rtl\u202eexe.txt"] .cp', (e) => ({
      text: e.textContent,
      raw: e.dataset.raw,
      border: getComputedStyle(e).borderTopStyle,
      title: e.title,
    }));
    assert.deepEqual({ ...esc, title: undefined }, { text: '⟨U+202E⟩', raw: '\u202e', border: 'solid', title: undefined });
    assert.match(esc.title, /RIGHT-TO-LEFT OVERRIDE/);

    // Not reversed on screen: "exe" is drawn left of "txt" (an active override would swap them).
    const order = await page.$eval('#card-members button[data-name="rtl\u202eexe.txt"]', (b) => {
      const range = (word) => {
        const w = document.createTreeWalker(b, NodeFilter.SHOW_TEXT);
        for (let n; (n = w.nextNode()); ) {
          const i = n.data.indexOf(word);
          if (i >= 0) {
            const r = document.createRange();
            r.setStart(n, i);
            r.setEnd(n, i + word.length);
            return r.getBoundingClientRect().left;
          }
        }
        return NaN;
      };
      return { rtl: range('rtl'), exe: range('exe'), txt: range('txt') };
    });
    assert.ok(order.rtl < order.exe && order.exe < order.txt, JSON.stringify(order));

    // The same name with the override left in does render reversed: the check above can fail.
    const control = await page.evaluate((name) => {
      const s = document.body.appendChild(document.createElement('span'));
      s.textContent = name;
      const r = document.createRange();
      const at = (word) => {
        r.setStart(s.firstChild, name.indexOf(word));
        r.setEnd(s.firstChild, name.indexOf(word) + word.length);
        return r.getBoundingClientRect().left;
      };
      const out = { exe: at('exe'), txt: at('txt') };
      s.remove();
      return out;
    }, RLO);
    assert.ok(control.txt < control.exe, `control: ${JSON.stringify(control)}`);

    // Genuine right-to-left names are left as they are.
    await page.click('#clusters-table tbody tr[data-id="2"]');
    const rtl = await page.$$eval('#card-members button', (b) => b.map((x) => [x.textContent, x.querySelectorAll('.cp').length]));
    assert.deepEqual(rtl, [['plain_twin', 0], ['مرحبا_123', 0], ['שלום', 0]]);
    assertClean(log);
  } finally {
    await context.close();
  }
});

test('hostile: no invisible character reaches any text or tooltip of the page', async () => {
  const { context, page, log } = await openReport(browser, 'hostile');
  try {
    await waitForGraph(page);
    assert.deepEqual(await leakedText(page), []);
    await page.click('#clusters-table tbody tr[data-id="1"]');
    assert.deepEqual(await leakedText(page), [], 'card: members, signals, traces, targets, evidence');
    const card = await page.textContent('#cluster-card');
    for (const s of ['hashtags:⟨U+202E⟩gnp.exe', 'text:iso⟨U+2067⟩late⟨U+2069⟩d', 'marker hashtag #⟨U+202E⟩gnp.exe', 'Ent⟨U+202E⟩ity']) {
      assert.ok(card.includes(s), s);
    }
    const ev = await page.$$eval('#card-evidence tbody tr', (rows) => rows.map((r) => [...r.children].map((td) => td.textContent)));
    assert.equal(ev[0][1], RLO_SHOWN, 'evidence account');
    assert.equal(ev[0][4], 'caption ⟨U+202E⟩reversed⟨U+202C⟩ and⟨U+200B⟩joined', 'evidence text');
    assert.equal(ev[0][6], 'data/posts⟨U+202E⟩.jsonl:17', 'evidence source');
    assert.ok((await page.textContent('#clusters-table')).includes('hashtags:⟨U+202E⟩gnp.exe'), 'top trace column');
    assert.ok((await page.textContent('#summary')).includes('data/posts⟨U+202E⟩.jsonl'), 'input files');
    assertClean(log);
  } finally {
    await context.close();
  }
});

test('hostile: search, filter and copy use the exact names; the graph labels are escaped', async () => {
  const { context, page, log } = await openReport(browser, 'hostile');
  try {
    await waitForGraph(page);
    const node = await page.evaluate(() => {
      const g = window.__lockstep.graph;
      const k = g.findNode((key, a) => a.name === 'rtl\u202eexe.txt');
      return k === undefined ? null : g.getNodeAttributes(k);
    });
    assert.ok(node, 'node keeps the exact name');
    assert.equal(node.label, RLO_SHOWN, 'the canvas label and its hover are escaped');

    // Exact search with the real character finds the account; the panel shows the escape.
    await page.fill('#account-search', RLO);
    await page.press('#account-search', 'Enter');
    await page.waitForSelector('#net-cluster');
    assert.ok((await page.textContent('#net-info')).includes(RLO_SHOWN));
    assert.ok((await page.textContent('#net-cluster')).includes('Cluster 1'));
    // "zerowidth" (no invisible character) is another account than "zero\u200bwidth".
    await page.fill('#account-search', 'zerowidth');
    await page.press('#account-search', 'Enter');
    await page.waitForFunction(() => document.querySelector('#net-cluster').textContent.includes('Not in any cluster'));
    // Suggestions show the escape; choosing one selects that exact account.
    await page.fill('#account-search', 'rtl');
    await page.waitForSelector('#search-suggest:not([hidden]) button');
    const sugg = await page.$$eval('#search-suggest button', (b) => b.map((x) => x.textContent));
    assert.deepEqual(sugg, ['rtl', RLO_SHOWN]);
    await page.click('#search-suggest li:nth-child(2) button');
    await page.waitForFunction((s) => document.querySelector('#net-info').textContent.includes(s), RLO_SHOWN);
    assert.equal(await page.inputValue('#account-search'), RLO, 'the search box holds the exact name');
    // A query that matches nothing is echoed escaped.
    await page.fill('#account-search', 'no\u202ebody');
    await page.press('#account-search', 'Enter');
    assert.ok((await page.textContent('#search-msg')).includes('no⟨U+202E⟩body'));

    // The cluster filter matches the exact value, and the shown form too.
    const ids = async (q) => {
      await page.fill('#cluster-filter', q);
      await page.waitForTimeout(50);
      return page.$$eval('#clusters-table tbody tr[data-id]', (r) => r.filter((x) => !x.hidden).map((x) => Number(x.dataset.id)));
    };
    assert.deepEqual(await ids(RLO), [1]);
    assert.deepEqual(await ids('U+202E'), [1]);
    assert.deepEqual(await ids('exe.txt'), [1]);
    assert.deepEqual(await ids('rtltxt.exe'), [], 'the spoofed reading matches nothing');
    await page.fill('#cluster-filter', '');

    // Copying a shown name copies the real characters, not the escape.
    await page.click('#clusters-table tbody tr[data-id="1"]');
    const copied = await page.evaluate(() => {
      const b = document.querySelector('#card-members button[data-name="rtl\u202eexe.txt"]');
      const sel = window.getSelection();
      sel.removeAllRanges();
      const r = document.createRange();
      r.selectNodeContents(b);
      sel.addRange(r);
      const ev = new ClipboardEvent('copy', { clipboardData: new DataTransfer(), bubbles: true, cancelable: true });
      b.dispatchEvent(ev);
      return { text: ev.clipboardData.getData('text/plain'), handled: ev.defaultPrevented };
    });
    assert.deepEqual(copied, { text: RLO, handled: true });
    assertClean(log);
  } finally {
    await context.close();
  }
});

test('hostile: a signal kind the page does not know shows its text; no kind, no text: its kind', async () => {
  const data = structuredClone(HOSTILE);
  data.clusters[1].signals.push(
    { kind: 'future_signal', text: 'a future signal \u202eeman', weight: 3, figures: { a: 1 } },
    { kind: 'kind_without_text' },
  );
  const { context, page, log } = await openReport(browser, writeVariant('hostile-future', 'hostile', data));
  try {
    await page.click('#clusters-table tbody tr[data-id="2"]');
    const signals = await page.$$eval('#card-signals li', (li) => li.map((x) => x.textContent));
    assert.deepEqual(signals.slice(1), ['a future signal ⟨U+202E⟩eman', 'kind_without_text']);
    assertClean(log);
  } finally {
    await context.close();
  }
});
