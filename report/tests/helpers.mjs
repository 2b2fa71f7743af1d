// Shared browser-test helpers: Debian's Chromium through playwright-core, file:// pages only.

import { chromium } from 'playwright-core';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const OUT = join(dirname(fileURLToPath(import.meta.url)), 'out');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// Chromium's software WebGL (no GPU, --disable-gpu) logs this performance note for every WebGL
// canvas it composites, on any page, even one that only clears a canvas. It is the browser's,
// not the report's; every other console message counts.
const BROWSER_NOISE = /^\[\.WebGL-0x[0-9a-f]+\]GL Driver Message \(OpenGL, Performance, [^)]*\): GPU stall due to ReadPixels/;

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export function reportPath(name) {
  const p = join(OUT, `${name}.html`);
  if (!existsSync(p)) throw new Error(`${p} is missing: run report/test.sh (it renders the fixtures)`);
  return p;
}

/**
 * Opens a rendered report and records what a reviewer cares about: console messages, page
 * errors, dialogs (alert = injected script ran) and every request the page made.
 */
export async function openReport(browser, name, { width = 1360, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const log = { console: [], errors: [], dialogs: [], requests: [], failed: [] };
  page.on('console', (m) => {
    if (!BROWSER_NOISE.test(m.text())) log.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => log.errors.push(String(e && e.message)));
  page.on('dialog', (d) => {
    log.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on('request', (r) => log.requests.push(r.url()));
  page.on('requestfailed', (r) => log.failed.push(`${r.url()} ${r.failure() && r.failure().errorText}`));
  const url = pathToFileURL(reportPath(name)).href;
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'load', timeout: 60000 });
  const wallLoadMs = Date.now() - t0;
  return { context, page, log, url, wallLoadMs };
}

/** Waits until the network view has drawn (or decided there is nothing to draw). */
export async function waitForGraph(page, timeout = 30000) {
  await page.waitForFunction(
    () => {
      const d = window.__lockstep;
      return d && d.graph && (d.firstRenderMs || d.graph.order === 0);
    },
    null,
    { timeout },
  );
}

/** Pixels in a PNG that are not (near) white, decoded by the browser itself. */
export async function inkedPixels(browser, png) {
  const page = await browser.newPage();
  try {
    return await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 230 || d[i + 1] < 230 || d[i + 2] < 230) n++;
      return n;
    }, png.toString('base64'));
  } finally {
    await page.close();
  }
}

/** Visible cluster rows' ids, in table order. */
export function visibleRowIds(page) {
  return page.$$eval('#clusters-table tbody tr[data-id]', (rows) => rows.filter((r) => !r.hidden).map((r) => Number(r.dataset.id)));
}

/** The JSON a rendered report embeds in <script id="lockstep-data">, parsed. */
export function embeddedData(name) {
  const html = readFileSync(reportPath(name), 'utf8');
  const m = html.match(/<script id="lockstep-data" type="application\/json">([\s\S]*?)<\/script>/);
  if (!m) throw new Error(`${name}.html embeds no data block`);
  return JSON.parse(m[1].replace(/<\\\//g, '</'));
}

/**
 * Writes tests/out/<name>.html: the page of `from` with other data in its block (escaped as
 * lockstep-report does: `</` as `<\/`, `<!--` as `\u003c!--`). For data the fixtures cannot
 * hold, e.g. a signal kind the schema does not list yet.
 */
export function writeVariant(name, from, data) {
  const html = readFileSync(reportPath(from), 'utf8');
  const json = JSON.stringify(data).replace(/<\//g, '<\\/').replace(/<!--/g, '\\u003c!--');
  const open = '<script id="lockstep-data" type="application/json">';
  const i = html.indexOf(open);
  const j = html.indexOf('</script>', i);
  if (i < 0 || j < 0) throw new Error(`${from}.html embeds no data block`);
  writeFileSync(join(OUT, `${name}.html`), html.slice(0, i + open.length) + json + html.slice(j));
  return name;
}
