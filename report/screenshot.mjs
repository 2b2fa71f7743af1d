// Full-page screenshot of a report:  node report/screenshot.mjs <report.html> <out.png> [width]
// Uses Debian's Chromium (/usr/bin/chromium) through playwright-core; waits for the graph.
import { chromium } from 'playwright-core';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const [html, out, width = '1360'] = process.argv.slice(2);
if (!html || !out) {
  console.error('usage: node screenshot.mjs <report.html> <out.png> [width]');
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: Number(width), height: 900 } });
  page.on('console', (m) => console.error(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => console.error(`[pageerror] ${e.message}`));
  await page.goto(pathToFileURL(resolve(html)).href, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__lockstep && (window.__lockstep.firstRenderMs || !window.__lockstep.graph || window.__lockstep.graph.order === 0), null, { timeout: 60000 }).catch(() => {});
  const open = process.env.OPEN_CLUSTER;
  if (open) {
    await page.click(`#clusters-table tbody tr[data-id="${open}"]`);
  }
  const find = process.env.FIND_ACCOUNT;
  if (find) {
    await page.fill('#account-search', find);
    await page.press('#account-search', 'Enter');
    await page.waitForTimeout(900);
  }
  await page.waitForTimeout(300);
  await page.screenshot({ path: out, fullPage: true });
} finally {
  await browser.close();
}
