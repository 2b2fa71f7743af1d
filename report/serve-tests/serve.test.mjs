// Browser tests of `lockstep serve`: a real server (SQLite, a temporary folder, loopback) and
// Debian's Chromium through playwright-core. Run by scripts/test-serve.sh with LOCKSTEP_BIN.
//
// Covered: login; upload a simulated case and watch its run's progress; open a cluster;
// record a verdict and a note and see both in the cluster's audit trail and the admin's
// audit log; a viewer who sees the case but cannot change anything; the pages load nothing
// from elsewhere and break no Content-Security-Policy rule.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { launch } from '../tests/helpers.mjs';

const BIN = process.env.LOCKSTEP_BIN;
if (!BIN) throw new Error('set LOCKSTEP_BIN to the lockstep binary (scripts/test-serve.sh does)');
const PASSWORD = 'a long test password';
const BROWSER_NOISE = /GL Driver Message \(OpenGL, Performance, [^)]*\): GPU stall due to ReadPixels/;

let dir, server, base, browser, adminToken;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function lockstep(args, input) {
  return execFileSync(BIN, args, { input, encoding: 'utf8' }).trim();
}

async function apiAs(token, method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-serve-'));
  const db = `sqlite:${join(dir, 'serve.db')}`;
  lockstep(['simulate', '--accounts', '4000', '--seed', '3', '-q', '--out', join(dir, 'sim')]);
  lockstep(['user', 'add', 'lead', '--role', 'admin', '--password-stdin', '--db', db], PASSWORD);
  lockstep(['user', 'add', 'ana', '--role', 'analyst', '--password-stdin', '--db', db], PASSWORD);
  lockstep(['user', 'add', 'vic', '--role', 'viewer', '--password-stdin', '--db', db], PASSWORD);
  adminToken = lockstep(['token', 'create', '--user', 'lead', '--db', db]);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--data', join(dir, 'data')], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/api/openapi.json`)).ok) break;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A page that records what a reviewer cares about: console, errors, dialogs, requests. */
async function open(path) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  const log = { console: [], errors: [], foreign: [] };
  page.on('console', (m) => { if (!BROWSER_NOISE.test(m.text()) && m.type() !== 'log' && m.type() !== 'verbose' && m.type() !== 'debug') log.console.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => log.errors.push(String(e && e.message)));
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) log.foreign.push(r.url()); });
  await page.goto(base + path);
  return { context, page, log };
}

async function login(page, name) {
  await page.waitForSelector('#login-form');
  await page.fill('#login-name', name);
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#cases-table');
}

function clean(log, what) {
  // A 401/403/409 answer the page handled is logged by Chromium as a failed resource load.
  const console = log.console.filter((l) => !/Failed to load resource: the server responded with a status of (401|403|409)/.test(l));
  assert.deepEqual(log.errors, [], `${what}: page errors`);
  assert.deepEqual(console, [], `${what}: console (CSP violations show here)`);
  assert.deepEqual(log.foreign, [], `${what}: requests that left the server`);
}

let caseId;

test('an analyst logs in, uploads a case, follows the run, records a verdict and a note', async () => {
  const { context, page, log } = await open('/');
  await page.waitForURL(/\/login$/);
  // A wrong password is refused with a message.
  await page.fill('#login-name', 'ana');
  await page.fill('#login-password', 'not the password');
  await page.click('#login-submit');
  await page.waitForSelector('#login-form .msg.error');
  assert.match(await page.textContent('#login-form .msg.error'), /wrong name or password/);
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#cases-table');
  assert.match(await page.textContent('#whoami'), /ana · analyst/);

  const data = join(dir, 'sim', 'data');
  await page.fill('#new-case-name', 'Simulated Romania 2024');
  await page.fill('#new-case-description', 'browser test upload');
  await page.setInputFiles('#new-case-files', readdirSync(data).map((f) => join(data, f)));
  await page.click('#upload-submit');
  await page.waitForURL(/\/cases\/[0-9a-f]{32}$/);
  caseId = page.url().split('/').pop();
  // The run's progress, live: stages appear and the run ends done.
  await page.waitForSelector('#run-stages li', { timeout: 120000 });
  await page.waitForFunction(() => /Done:/.test(document.querySelector('#run-line')?.textContent || ''), null, { timeout: 300000 });
  const stages = await page.$$eval('#run-stages li', (l) => l.map((x) => x.dataset.stage));
  assert.ok(stages.includes('read') && stages.includes('cluster'), `stages seen: ${stages}`);
  // The case page is the report with triage.
  await page.waitForSelector('#clusters-table tbody tr[data-id]', { timeout: 60000 });
  assert.equal(await page.textContent('#case-state'), 'done');
  const first = await page.$eval('#clusters-table tbody tr[data-id]', (tr) => tr.dataset.id);
  await page.click(`#clusters-table tbody tr[data-id="${first}"]`);
  await page.waitForSelector('#cluster-card #triage');
  await page.waitForFunction(() => /No verdict yet/.test(document.querySelector('#verdict-current')?.textContent || ''));
  await page.click('#triage button[data-verdict="confirmed_coordinated"]');
  await page.waitForFunction(() => /Confirmed coordinated — ana/.test(document.querySelector('#verdict-current')?.textContent || ''));
  assert.match(await page.textContent(`#clusters-table tr[data-id="${first}"] .verdict-badge`), /Confirmed coordinated/);
  await page.fill('#note-text', 'Same sound and caption within a minute; checked 12 posts by hand.');
  await page.click('#note-add');
  await page.waitForFunction(() => /checked 12 posts by hand/.test(document.querySelector('#notes')?.textContent || ''));
  // Both in the cluster's audit trail.
  await page.click('#cluster-audit-box summary');
  await page.waitForFunction(() => document.querySelectorAll('#cluster-audit tr[data-action="note"]').length === 1);
  const actions = await page.$$eval('#cluster-audit tbody tr', (rows) => rows.map((r) => r.dataset.action));
  assert.deepEqual(actions, ['note', 'verdict']);
  clean(log, 'analyst');
  await context.close();
});

test('the admin sees the verdict and the note in the audit log', async () => {
  const { context, page, log } = await open('/login');
  await login(page, 'lead');
  await page.waitForSelector('#audit-table tbody tr');
  const actions = await page.$$eval('#audit-table tbody tr', (rows) => rows.map((r) => r.dataset.action));
  for (const a of ['login', 'upload', 'run', 'verdict', 'note']) assert.ok(actions.includes(a), `${a} in ${actions}`);
  assert.ok(await page.$('#users-table'));
  clean(log, 'admin');
  await context.close();
});

test('a viewer sees the case but cannot change anything', async () => {
  assert.ok(caseId, 'the upload test ran first');
  const r = await apiAs(adminToken, 'PUT', `/api/cases/${caseId}/members/vic`);
  assert.equal(r.status, 204);
  const { context, page, log } = await open('/login');
  await login(page, 'vic');
  await page.waitForSelector(`#cases-table tr[data-id="${caseId}"]`);
  assert.equal(await page.$('#upload-form'), null, 'no upload form for a viewer');
  await page.click(`#cases-table tr[data-id="${caseId}"] a`);
  await page.waitForSelector('#clusters-table tbody tr[data-id]');
  assert.ok(await page.$eval('#case-status', (s) => s.disabled));
  await page.click('#clusters-table tbody tr[data-id]');
  await page.waitForSelector('#triage #read-only');
  await page.waitForFunction(() => /Confirmed coordinated — ana/.test(document.querySelector('#verdict-current')?.textContent || '') || !/Confirmed/.test(document.querySelector('#verdict-current')?.textContent || 'x'));
  const disabled = await page.$$eval('#triage button, #triage textarea, #triage select', (els) => els.every((e) => e.disabled));
  assert.ok(disabled, 'every triage control is disabled');
  // The server refuses what the page does not offer.
  const status = await page.evaluate(async (id) => {
    const me = await (await fetch('/api/me')).json();
    const r = await fetch(`/api/cases/${id}/notes`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf }, body: JSON.stringify({ cluster: 1, text: 'sneaky' }) });
    return r.status;
  }, caseId);
  assert.equal(status, 403);
  const notes = await apiAs(adminToken, 'GET', `/api/cases/${caseId}/triage`);
  assert.ok(!JSON.stringify(notes.json.notes).includes('sneaky'));
  clean(log, 'viewer');
  await context.close();
});
