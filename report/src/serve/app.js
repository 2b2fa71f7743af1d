// The team server's pages: login, dashboard (cases, watches, alerts, users, audit) and the
// case page (the case report with triage: verdicts, notes, assignment, the audit trail).
// Plain DOM through dom.js's h(): data reaches the page as text only. Loaded by the pages'
// shells as /assets/serve.js; the shells carry no data, everything comes from /api.

import { h, append, clear, fmtInt, nameNode } from '../dom.js';
import { renderReport } from '../page.js';
import { api, whoami, follow, ApiError } from './api.js';

const app = document.getElementById('app');
const page = document.body.dataset.page;
const VERDICTS = [
  ['confirmed_coordinated', 'Confirmed coordinated'],
  ['needs_review', 'Needs review'],
  ['dismissed', 'Dismissed'],
];
const verdictLabel = (v) => (VERDICTS.find((x) => x[0] === v) || [v, v || '–'])[1];
const RANK = { viewer: 0, analyst: 1, admin: 2 };
const can = (user, role) => RANK[user.role] >= RANK[role];
const fmtTime = (t) => (t ? String(t).replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '–');

function errorText(e) {
  return e instanceof ApiError ? `${e.message} (${e.code})` : String(e && e.message ? e.message : e);
}

function msg(el, text, kind = 'error') {
  clear(el);
  if (text) el.appendChild(h('p', { class: `msg ${kind}`, role: kind === 'error' ? 'alert' : 'status', text }));
}

function topBar(user, title) {
  const bar = h('header', { class: 'top' },
    h('div', { class: 'wrap top-inner' },
      h('a', { class: 'brand', href: '/' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'lockstep'),
      h('span', { class: 'muted', text: title }),
      h('span', { class: 'spacer' }),
      user ? h('span', { id: 'whoami', class: 'muted' }, nameNode(user.name), ` · ${user.role}`) : null,
      user ? h('button', { type: 'button', id: 'logout', text: 'Log out', onclick: async () => {
        try { await api('/api/logout', { method: 'POST' }); } finally { location.href = '/login'; }
      } }) : null));
  return bar;
}

function table(labels, id) {
  const body = h('tbody');
  const t = h('table', { id }, h('thead', null, h('tr', null, labels.map((l) => h('th', { scope: 'col', text: l })))), body);
  return { wrap: h('div', { class: 'table-wrap' }, t), body };
}

function field(label, input) {
  return h('label', { class: 'field' }, h('span', { text: label }), input);
}

// ---- login --------------------------------------------------------------------------------

async function loginPage() {
  app.appendChild(topBar(null, 'Log in'));
  const out = h('div');
  const name = h('input', { id: 'login-name', name: 'name', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { id: 'login-form', class: 'panel narrow' },
    h('h1', { text: 'Log in' }),
    field('Name', name),
    field('Password', password),
    h('button', { type: 'submit', id: 'login-submit', text: 'Log in' }),
    out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg(out, '');
    try {
      await api('/api/login', { method: 'POST', json: { name: name.value, password: password.value } });
      location.href = '/';
    } catch (e) {
      msg(out, errorText(e));
    }
  });
  app.appendChild(h('main', { class: 'wrap' }, form));
}

// ---- dashboard ----------------------------------------------------------------------------

async function dashboard(user) {
  app.appendChild(topBar(user, 'Dashboard'));
  const main = app.appendChild(h('main', { class: 'wrap' }));

  // Cases
  const cases = main.appendChild(h('section', { id: 'cases' }, h('h1', { text: 'Cases' })));
  const search = h('input', { type: 'search', id: 'case-search', placeholder: 'Search cases', 'aria-label': 'Search cases', autocomplete: 'off' });
  cases.appendChild(h('div', { class: 'toolbar' }, search));
  const ct = table(['Case', 'Run', 'Status', 'Clusters', 'Flagged', 'Created by', 'Created'], 'cases-table');
  cases.appendChild(ct.wrap);
  const caseMsg = cases.appendChild(h('div'));
  const loadCases = async () => {
    try {
      const r = await api(`/api/cases?per_page=100&q=${encodeURIComponent(search.value)}`);
      clear(ct.body);
      for (const c of r.cases) {
        ct.body.appendChild(h('tr', { dataset: { id: c.id } },
          h('td', null, h('a', { href: `/cases/${c.id}` }, nameNode(c.name))),
          h('td', null, h('span', { class: `state ${c.state}`, dataset: { state: c.state }, text: c.state })),
          h('td', { text: c.status }),
          h('td', { class: 'num', text: fmtInt(c.clusters) }),
          h('td', { class: 'num', text: fmtInt(c.flagged) }),
          h('td', null, nameNode(c.created_by)),
          h('td', { class: 'nowrap', text: fmtTime(c.created_at) })));
      }
      if (!r.cases.length) ct.body.appendChild(h('tr', null, h('td', { colspan: '7', class: 'empty', text: 'No cases.' })));
    } catch (e) {
      msg(caseMsg, errorText(e));
    }
  };
  let st = 0;
  search.addEventListener('input', () => { clearTimeout(st); st = setTimeout(loadCases, 200); });
  await loadCases();

  if (can(user, 'analyst')) cases.appendChild(uploadForm());

  // Watches and alerts
  const ws = main.appendChild(h('section', { id: 'watches' }, h('h1', { text: 'Watches and alerts' })));
  const wt = table(['Watch', 'State', 'Inputs', 'Started', ''], 'watches-table');
  ws.appendChild(wt.wrap);
  const wMsg = ws.appendChild(h('div'));
  const loadWatches = async () => {
    const list = await api('/api/watches');
    clear(wt.body);
    for (const w of list) {
      const stop = can(user, 'analyst') && w.state === 'running'
        ? h('button', { type: 'button', text: 'Stop', onclick: async () => {
          try { await api(`/api/watches/${w.id}/stop`, { method: 'POST' }); await loadWatches(); } catch (e) { msg(wMsg, errorText(e)); }
        } })
        : null;
      wt.body.appendChild(h('tr', { dataset: { id: w.id } },
        h('td', null, nameNode(w.name)),
        h('td', { text: w.failure ? `${w.state}: ${w.failure}` : w.state }),
        h('td', null, nameNode((w.spec && w.spec.inputs ? w.spec.inputs : []).join(', '))),
        h('td', { class: 'nowrap', text: fmtTime(w.created_at) }),
        h('td', null, stop)));
    }
    if (!list.length) wt.body.appendChild(h('tr', null, h('td', { colspan: '5', class: 'empty', text: 'No watches.' })));
  };
  await loadWatches().catch((e) => msg(wMsg, errorText(e)));
  if (can(user, 'analyst')) ws.appendChild(watchForm(loadWatches));
  ws.appendChild(h('h2', { text: 'Alerts' }));
  const alerts = ws.appendChild(h('ul', { id: 'alerts', class: 'alerts' }));
  const addAlert = (a, top) => {
    const li = h('li', { dataset: { id: a.id } },
      h('span', { class: 'nowrap muted', text: fmtTime(a.at) }), ' ',
      nameNode(a.title), ' ',
      a.case_id ? h('a', { href: `/cases/${a.case_id}`, text: 'open snapshot' }) : null);
    if (top) alerts.insertBefore(li, alerts.firstChild);
    else alerts.appendChild(li);
  };
  try {
    for (const a of await api('/api/alerts?per_page=50')) addAlert(a, false);
  } catch (e) {
    msg(wMsg, errorText(e));
  }

  // Live: case states, watch states, alerts.
  follow('/api/events', ['case', 'watch', 'alert'], (type, d) => {
    if (type === 'alert') addAlert(d, true);
    if (type === 'watch') loadWatches().catch(() => {});
    if (type === 'case') loadCases();
  });

  if (can(user, 'admin')) {
    main.appendChild(await usersSection());
    main.appendChild(await auditSection());
  }
}

function uploadForm() {
  const out = h('div');
  const name = h('input', { id: 'new-case-name', required: true, maxlength: '200', autocomplete: 'off' });
  const desc = h('textarea', { id: 'new-case-description', rows: '2', maxlength: '4000' });
  const files = h('input', { id: 'new-case-files', type: 'file', multiple: true, required: true });
  const params = h('input', { id: 'new-case-params', placeholder: '{"window": 60}', autocomplete: 'off' });
  const form = h('form', { id: 'upload-form', class: 'panel' },
    h('h2', { text: 'New case from files' }),
    field('Name', name), field('Description', desc), field('Files', files),
    field('Parameters (JSON, optional)', params),
    h('button', { type: 'submit', id: 'upload-submit', text: 'Upload and run' }), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData();
    fd.append('name', name.value);
    fd.append('description', desc.value);
    if (params.value.trim()) fd.append('params', params.value);
    for (const f of files.files) fd.append('file', f, f.name);
    msg(out, 'Uploading…', 'info');
    try {
      const c = await api('/api/cases', { method: 'POST', form: fd });
      location.href = `/cases/${c.id}`;
    } catch (e) {
      msg(out, errorText(e));
    }
  });
  return form;
}

function watchForm(reload) {
  const out = h('div');
  const name = h('input', { id: 'new-watch-name', required: true, autocomplete: 'off' });
  const paths = h('input', { id: 'new-watch-paths', required: true, placeholder: 'folder inside an input root' });
  const form = h('form', { id: 'watch-form', class: 'panel' },
    h('h2', { text: 'Start a watch' }), field('Name', name), field('Inputs (comma-separated server paths)', paths),
    h('button', { type: 'submit', text: 'Start' }), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('/api/watches', { method: 'POST', json: { name: name.value, paths: paths.value.split(',').map((s) => s.trim()).filter(Boolean) } });
      msg(out, 'Started.', 'info');
      await reload();
    } catch (e) {
      msg(out, errorText(e));
    }
  });
  return form;
}

async function usersSection() {
  const sec = h('section', { id: 'users' }, h('h1', { text: 'Users' }));
  const ut = table(['Name', 'Role', 'State', 'Created', ''], 'users-table');
  sec.appendChild(ut.wrap);
  const out = h('div');
  const load = async () => {
    clear(ut.body);
    for (const u of await api('/api/users')) {
      const toggle = h('button', { type: 'button', text: u.disabled ? 'Enable' : 'Disable', onclick: async () => {
        try { await api(`/api/users/${encodeURIComponent(u.name)}`, { method: 'PATCH', json: { disabled: !u.disabled } }); await load(); } catch (e) { msg(out, errorText(e)); }
      } });
      ut.body.appendChild(h('tr', null, h('td', null, nameNode(u.name)), h('td', { text: u.role }),
        h('td', { text: u.disabled ? 'disabled' : 'active' }), h('td', { class: 'nowrap', text: fmtTime(u.created_at) }), h('td', null, toggle)));
    }
  };
  await load();
  const name = h('input', { id: 'new-user-name', required: true, autocomplete: 'off' });
  const role = h('select', { id: 'new-user-role' }, ['viewer', 'analyst', 'admin'].map((r) => h('option', { value: r, text: r })));
  const pw = h('input', { id: 'new-user-password', type: 'password', required: true, autocomplete: 'new-password' });
  const form = h('form', { id: 'user-form', class: 'panel' }, h('h2', { text: 'Add a user' }),
    field('Name', name), field('Role', role), field('Password (10+ characters)', pw), h('button', { type: 'submit', text: 'Add' }), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('/api/users', { method: 'POST', json: { name: name.value, role: role.value, password: pw.value } });
      msg(out, `Added ${name.value}.`, 'info');
      await load();
    } catch (e) {
      msg(out, errorText(e));
    }
  });
  sec.appendChild(form);
  return sec;
}

function auditRows(body, entries) {
  for (const e of entries) {
    body.appendChild(h('tr', { dataset: { action: e.action } },
      h('td', { class: 'nowrap', text: fmtTime(e.at) }),
      h('td', null, e.actor ? nameNode(e.actor) : '–'),
      h('td', { text: e.address }),
      h('td', { text: e.action }),
      h('td', { text: e.outcome }),
      h('td', null, e.target ? nameNode(e.target) : '–'),
      h('td', { class: 'detail' }, nameNode(JSON.stringify(e.detail)))));
  }
}

async function auditSection() {
  const sec = h('section', { id: 'audit' }, h('h1', { text: 'Audit log' }),
    h('p', null, h('a', { href: '/api/audit/export', id: 'audit-export', text: 'Export (NDJSON)' }), ' · append-only: every login, upload, run, verdict, note, export and user change.'));
  const at = table(['When', 'Who', 'From', 'Action', 'Outcome', 'Target', 'Detail'], 'audit-table');
  sec.appendChild(at.wrap);
  const r = await api('/api/audit?per_page=100');
  auditRows(at.body, r.entries);
  return sec;
}

// ---- case page ----------------------------------------------------------------------------

async function casePage(user) {
  const id = document.body.dataset.case;
  app.appendChild(topBar(user, 'Case'));
  const head = app.appendChild(h('div', { class: 'wrap case-head' }));
  const reportHost = app.appendChild(h('div', { id: 'report' }));
  let c;
  try {
    c = await api(`/api/cases/${id}`);
  } catch (e) {
    msg(head, errorText(e));
    return;
  }
  document.title = `lockstep · ${c.name}`;
  const status = h('select', { id: 'case-status', disabled: !can(user, 'analyst') },
    ['open', 'in_review', 'closed'].map((s) => h('option', { value: s, text: s.replace('_', ' '), selected: s === c.status })));
  const statusMsg = h('span');
  status.addEventListener('change', async () => {
    try { await api(`/api/cases/${id}`, { method: 'PATCH', json: { status: status.value } }); msg(statusMsg, 'Saved.', 'info'); } catch (e) { msg(statusMsg, errorText(e)); }
  });
  append(head, [
    h('h1', { id: 'case-name' }, nameNode(c.name)),
    c.description ? h('p', { class: 'lede' }, nameNode(c.description)) : null,
    h('dl', { class: 'facts grid' },
      h('div', null, h('dt', { text: 'Run' }), h('dd', null, h('span', { id: 'case-state', class: `state ${c.state}`, text: c.state }))),
      h('div', null, h('dt', { text: 'Status' }), h('dd', null, status, statusMsg)),
      h('div', null, h('dt', { text: 'Source' }), h('dd', { text: c.source })),
      h('div', null, h('dt', { text: 'Created' }), h('dd', null, nameNode(c.created_by), ` · ${fmtTime(c.created_at)}`)),
      h('div', null, h('dt', { text: 'Inputs' }), h('dd', null, nameNode((c.inputs || []).join(', ')))),
      h('div', null, h('dt', { text: 'Parameters' }), h('dd', null, h('code', { text: JSON.stringify(c.params) }))),
      h('div', null, h('dt', { text: 'Evidence vault' }), h('dd', { text: c.sealed ? 'sealed: verdicts and notes are appended to the case log' : 'not sealed' }))),
    h('p', { class: 'small' },
      h('a', { href: `/api/cases/${id}/files/manifest.json`, text: 'manifest.json' }), ' · ',
      h('a', { href: `/api/cases/${id}/files/report.html`, text: 'report.html' }), ' · ',
      h('a', { href: `/api/cases/${id}/triage`, id: 'triage-export', text: 'verdicts and notes (JSON)' })),
  ]);
  const progress = head.appendChild(h('div', { id: 'run-progress', class: 'panel' }));
  if (c.state === 'failed') {
    progress.appendChild(h('p', { class: 'msg error', id: 'run-failure', text: `The run failed: ${c.failure || 'no reason recorded'}` }));
    return;
  }
  if (c.state !== 'done') {
    await followRun(id, progress);
    c = await api(`/api/cases/${id}`);
    document.getElementById('case-state').textContent = c.state;
    if (c.state !== 'done') {
      progress.appendChild(h('p', { class: 'msg error', id: 'run-failure', text: `The run failed: ${c.failure || ''}` }));
      return;
    }
  } else progress.remove();
  await showReport(user, id, reportHost);
}

function followRun(id, host) {
  host.appendChild(h('h2', { text: 'Run' }));
  const stages = host.appendChild(h('ol', { id: 'run-stages', class: 'stages' }));
  const line = host.appendChild(h('p', { id: 'run-line', class: 'muted', role: 'status', text: 'Queued…' }));
  const items = new Map();
  const stageItem = (s) => {
    if (!items.has(s)) items.set(s, stages.appendChild(h('li', { dataset: { stage: s }, text: s })));
    return items.get(s);
  };
  return new Promise((resolve) => {
    const es = follow(`/api/cases/${id}/events`, ['queued', 'started', 'progress', 'finished', 'warning', 'done', 'failed'], (type, d) => {
      if (type === 'queued') line.textContent = 'Queued: waiting for the run before it.';
      if (type === 'started') { stageItem(d.stage).className = 'running'; line.textContent = `${d.stage}: ${d.detail}`; }
      if (type === 'progress') line.textContent = `${d.stage}: ${fmtInt(d.done)}${d.total ? ' of ' + fmtInt(d.total) : ''} ${d.unit} ${d.detail || ''}`;
      if (type === 'finished') { const li = stageItem(d.stage); li.className = 'done'; li.textContent = `${d.stage} · ${d.seconds.toFixed(2)} s`; }
      if (type === 'warning') host.appendChild(h('p', { class: 'msg warn', text: d.message }));
      if (type === 'done' || type === 'failed') {
        line.textContent = type === 'done' ? `Done: ${fmtInt(d.clusters)} clusters, ${fmtInt(d.flagged)} flagged accounts.` : `Failed: ${d.reason}`;
        es.close();
        resolve();
      }
    });
    es.onerror = () => { if (es.readyState === EventSource.CLOSED) resolve(); };
  });
}

async function showReport(user, id, host) {
  const data = await api(`/api/cases/${id}/report`);
  const verdicts = new Map();
  try {
    for (let p = 1; p <= 50; p++) {
      const r = await api(`/api/cases/${id}/clusters?per_page=200&page=${p}`);
      for (const l of r.clusters) verdicts.set(Number(l.id), l);
      if (p * 200 >= r.total) break;
    }
  } catch { /* the report still shows */ }
  const badges = new Map();
  const setBadge = (cid, v) => {
    const b = badges.get(Number(cid));
    if (!b) return;
    b.textContent = v ? verdictLabel(v) : '';
    b.className = `verdict-badge ${v || ''}`;
  };
  renderReport(host, data, {
    footer: `lockstep ${data.version || ''} · served by lockstep serve: verdicts and notes are stored apart from the evidence. All times are UTC.`,
    row(c, tr) {
      const b = h('span', { class: 'verdict-badge' });
      badges.set(Number(c.id), b);
      tr.firstChild.appendChild(b);
      const l = verdicts.get(Number(c.id));
      setBadge(c.id, l && l.verdict);
    },
    card(c, card) {
      card.insertBefore(triagePanel(user, id, c, (v) => setBadge(c.id, v)), card.children[1] || null);
    },
  });
}

function triagePanel(user, caseId, c, onVerdict) {
  const analyst = can(user, 'analyst');
  const panel = h('div', { class: 'triage', id: 'triage' }, h('h3', { text: 'Triage' }));
  const out = h('div');
  const current = h('p', { id: 'verdict-current' });
  const buttons = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Verdict' },
    VERDICTS.map(([v, label]) => h('button', { type: 'button', dataset: { verdict: v }, text: label, disabled: !analyst,
      onclick: async () => {
        try {
          await api(`/api/cases/${caseId}/verdicts`, { method: 'POST', json: { cluster: Number(c.id), verdict: v } });
          onVerdict(v);
          await load();
        } catch (e) { msg(out, errorText(e)); }
      } })));
  const assignee = h('select', { id: 'assignee', disabled: !analyst });
  assignee.addEventListener('change', async () => {
    try {
      await api(`/api/cases/${caseId}/clusters/${c.id}/assignee`, { method: 'PUT', json: { assignee: assignee.value || null } });
      await load();
    } catch (e) { msg(out, errorText(e)); }
  });
  const notes = h('ul', { id: 'notes', class: 'notes' });
  const noteText = h('textarea', { id: 'note-text', rows: '3', maxlength: '10000', placeholder: 'Add a note (notes are never edited or deleted)', disabled: !analyst });
  const addNote = h('button', { type: 'button', id: 'note-add', text: 'Add note', disabled: !analyst, onclick: async () => {
    try {
      await api(`/api/cases/${caseId}/notes`, { method: 'POST', json: { cluster: Number(c.id), text: noteText.value } });
      noteText.value = '';
      await load();
    } catch (e) { msg(out, errorText(e)); }
  } });
  const accounts = table(['Account', 'Verdict'], 'account-verdicts');
  const trail = table(['When', 'Who', 'Action', 'Target', 'Detail'], 'cluster-audit');
  append(panel, [
    h('div', { class: 'triage-row' }, h('strong', { text: 'Verdict' }), current, buttons),
    h('div', { class: 'triage-row' }, field('Assigned to', assignee)),
    analyst ? null : h('p', { class: 'muted small', id: 'read-only', text: 'You can read this case; only analysts record verdicts and notes.' }),
    out,
    h('h4', { text: 'Notes' }), notes,
    h('div', { class: 'note-form' }, noteText, addNote),
    h('details', null, h('summary', { text: 'Accounts' }), accounts.wrap),
    h('details', { id: 'cluster-audit-box' }, h('summary', { text: 'Audit trail of this cluster' }), trail.wrap),
  ]);
  let members = null;
  const load = async () => {
    msg(out, '');
    const card = await api(`/api/cases/${caseId}/clusters/${c.id}`);
    current.textContent = card.verdict ? `${verdictLabel(card.verdict.verdict)} — ${card.verdict.analyst}, ${fmtTime(card.verdict.at)}` : 'No verdict yet.';
    for (const b of buttons.children) b.setAttribute('aria-pressed', card.verdict && card.verdict.verdict === b.dataset.verdict ? 'true' : 'false');
    if (members === null) members = await api(`/api/cases/${caseId}/members`).catch(() => []);
    clear(assignee);
    assignee.appendChild(h('option', { value: '', text: '– nobody –' }));
    for (const m of members.filter((m) => m.role !== 'viewer')) assignee.appendChild(h('option', { value: m.name, text: m.name, selected: m.name === card.assignee }));
    clear(notes);
    for (const n of card.notes) notes.appendChild(h('li', null, h('span', { class: 'muted small' }, nameNode(n.analyst), ` · ${fmtTime(n.at)}`), h('div', { class: 'note' }, nameNode(n.text))));
    if (!card.notes.length) notes.appendChild(h('li', { class: 'muted', text: 'No notes.' }));
    clear(accounts.body);
    const av = new Map(card.account_verdicts.map((v) => [v.target, v.verdict]));
    for (const m of (card.cluster.members || []).slice(0, 500)) {
      const sel = h('select', { disabled: !analyst, 'aria-label': `Verdict on ${m}` },
        h('option', { value: '', text: '–' }), VERDICTS.map(([v, label]) => h('option', { value: v, text: label, selected: av.get(m) === v })));
      sel.addEventListener('change', async () => {
        if (!sel.value) return;
        try { await api(`/api/cases/${caseId}/verdicts`, { method: 'POST', json: { cluster: Number(c.id), account: m, verdict: sel.value } }); await loadTrail(); } catch (e) { msg(out, errorText(e)); }
      });
      accounts.body.appendChild(h('tr', null, h('td', null, nameNode(m)), h('td', null, sel)));
    }
    await loadTrail();
  };
  const loadTrail = async () => {
    const r = await api(`/api/cases/${caseId}/audit?cluster=${c.id}&per_page=100`);
    clear(trail.body);
    for (const e of r.entries) {
      trail.body.appendChild(h('tr', { dataset: { action: e.action } },
        h('td', { class: 'nowrap', text: fmtTime(e.at) }), h('td', null, e.actor ? nameNode(e.actor) : '–'),
        h('td', { text: e.action }), h('td', null, e.target ? nameNode(e.target) : '–'), h('td', null, nameNode(JSON.stringify(e.detail)))));
    }
    if (!r.entries.length) trail.body.appendChild(h('tr', null, h('td', { colspan: '5', class: 'empty', text: 'Nothing recorded yet.' })));
  };
  load().catch((e) => msg(out, errorText(e)));
  return panel;
}

// ---- boot ---------------------------------------------------------------------------------

(async () => {
  try {
    if (page === 'login') return await loginPage();
    const user = await whoami();
    if (!user) {
      location.href = '/login';
      return;
    }
    if (page === 'case') await casePage(user);
    else await dashboard(user);
  } catch (e) {
    app.appendChild(h('p', { class: 'msg error', role: 'alert', text: errorText(e) }));
  }
})();
