// lockstep case report: the page, built from the report data (the JSON `report.html` embeds,
// or what the team server's API returns). Self-contained: no network loads.
// Every data value reaches the DOM as text (textContent / attributes), never as HTML.
// main.js is the entry of report.html; the team server's case page (serve/) calls
// renderReport with hooks that add its triage controls.

import { h, append, clear, fmtInt, fmtBytes, fmtMinute, fmtSecond, fmtDate, fmtFixed, safeHttpUrl, num, nameNode, visibleText, exactCopy } from './dom.js';
import { parseSeries, timelineSvg, HOUR } from './timeline.js';
import { initNetwork, clusterColor, GREY, PALETTE, EDGE_CAP } from './network.js';
import { renderInfra } from './infra.js';

// The entities a cluster's posts reference most (with --watchlist): "attacks X; promotes Y".
function targetText(c) {
  return c.targets.slice(0, 2).map((x) => `${num(x.attacks) > num(x.promotes) ? 'attacks' : 'promotes'} ${String(x.entity)}`).join('; ');
}

// What a person reads of a signal: its `text`, whatever its kind (kinds the page does not know
// yet included); a bare string is its own text.
function signalText(sg) {
  if (typeof sg === 'string') return sg;
  if (!sg || typeof sg !== 'object') return '';
  if (typeof sg.text === 'string') return sg.text;
  return sg.kind !== undefined ? String(sg.kind) : '';
}

// The activation day and share, or null when no member switched on (no `activation`).
function activation(c) {
  const a = c.activation;
  return a && typeof a === 'object' && typeof a.date === 'string' && a.date ? { date: fmtDate(a.date), share: a.share, censored: a.censored === true } : null;
}
const shareText = (a, what = '') => (typeof a.share === 'number' && Number.isFinite(a.share) ? ` (${Math.round(a.share * 100)}%${what})` : '');

// Where an evidence post's raw record is: "file:line" (title: the lines it spans).
function sourceOf(e) {
  const src = e.source;
  if (!src || typeof src !== 'object' || src.file === undefined || src.file === null) return null;
  const line = Number.isInteger(src.line) ? src.line : null;
  const lines = Number.isInteger(src.lines) ? src.lines : 1;
  const text = line === null ? String(src.file) : `${src.file}:${line}`;
  const title = line !== null && lines > 1 ? `${visibleText(src.file)}, lines ${line}–${line + lines - 1}` : visibleText(text);
  return { text, title };
}

/**
 * Renders the report into `app`. `hooks` (all optional): `row(cluster, tr)` after each
 * cluster row is made, `card(cluster, cardElement)` after a cluster card is shown,
 * `ready({ open })` once the page is built, `footer` (text) in place of the file's footer.
 */
export function renderReport(app, data, hooks = {}) {
  const marks = ((window.__lockstep = window.__lockstep || {}).marks = window.__lockstep.marks || { start: performance.now() });
  if (data.kind === 'infra') renderInfra(app, data);
  else main(app, data, hooks, marks);
}

function main(app, data, hooks, marks) {
  const summary = data.summary || {};
  const counts = summary.counts || {};
  const clusters = Array.isArray(data.clusters) ? data.clusters.filter((c) => c && typeof c === 'object') : [];
  // A clean-room case (--aggregates-only): no account names, post ids or texts, no network.
  const aggregatesOnly = data.aggregates_only === true;
  for (const c of clusters) {
    c.members = Array.isArray(c.members) ? c.members.map(String) : [];
    c.signals = Array.isArray(c.signals) ? c.signals : [];
    c.signalTexts = c.signals.map(signalText).filter((t) => t !== '');
    c.targets = Array.isArray(c.targets) ? c.targets.filter((t) => t && typeof t === 'object') : [];
    c.top_traces = Array.isArray(c.top_traces) ? c.top_traces : [];
    c.evidence = Array.isArray(c.evidence) ? c.evidence : [];
    c.layers = c.layers && typeof c.layers === 'object' ? c.layers : {};
    c.amplifiers = Array.isArray(c.amplifiers) ? c.amplifiers.filter((a) => a && typeof a === 'object') : [];
    c.campaign_traces = Array.isArray(c.campaign_traces) ? c.campaign_traces.filter((t) => t && typeof t === 'object') : [];
    if (typeof c.amplifier_count !== 'number') c.amplifier_count = c.amplifiers.length;
    if (c.size === undefined) c.size = c.members.length;
  }
  const byId = new Map(clusters.map((c) => [Number(c.id), c]));
  const background = parseSeries(data.background);

  document.title = 'lockstep case report';
  exactCopy(document);
  let network = null;
  const cardApi = {};

  // ---- header and navigation --------------------------------------------------------------
  const period = summary.first || summary.last ? `${fmtMinute(summary.first)} – ${fmtMinute(summary.last)} UTC` : '';
  append(app, [
    h('header', { class: 'top' },
      h('div', { class: 'wrap top-inner' },
        h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'lockstep case report'),
        h('nav', { 'aria-label': 'Sections' },
          h('a', { href: '#summary', text: 'Summary' }),
          h('a', { href: '#clusters', text: 'Clusters' }),
          h('a', { href: '#network', text: 'Network' }),
          h('a', { href: '#provenance', text: 'Provenance' })))),
  ]);
  const mainEl = app.appendChild(h('main', { class: 'wrap' }));

  // ---- summary ----------------------------------------------------------------------------
  const sum = mainEl.appendChild(h('section', { id: 'summary' }));
  const nClusters = counts.clusters !== undefined ? counts.clusters : clusters.length;
  const nFlagged = counts.flagged_accounts !== undefined ? counts.flagged_accounts : clusters.reduce((a, c) => a + c.members.length, 0);
  const platforms = Array.isArray(summary.platforms) ? summary.platforms.map(String) : [];
  const inputs = Array.isArray(summary.inputs) ? summary.inputs : [];
  append(sum, [
    h('h1', { text: 'Summary' }),
    h('p', { class: 'lede', text:
      `lockstep analysed ${fmtInt(counts.accepted)} records from ${fmtInt(counts.files !== undefined ? counts.files : inputs.length)} ` +
      `input file${(counts.files !== undefined ? counts.files : inputs.length) === 1 ? '' : 's'}` +
      (platforms.length ? ` (${platforms.join(', ')})` : '') +
      (period ? `, posted ${period},` : '') +
      ` by ${fmtInt(counts.accounts)} accounts, and ` +
      (num(nClusters) > 0
        ? `found ${fmtInt(nClusters)} cluster${nClusters === 1 ? '' : 's'} of accounts acting in concert more often than chance explains: ` +
          `${fmtInt(nFlagged)} account${nFlagged === 1 ? '' : 's'} in all.`
        : 'found no cluster of accounts acting in concert more often than chance explains.') }),
    h('div', { class: 'stats' },
      stat(fmtInt(nClusters), 'clusters'),
      stat(fmtInt(nFlagged), 'flagged accounts'),
      stat(fmtInt(counts.accounts), 'accounts analysed'),
      stat(fmtInt(counts.accepted), 'records accepted'),
      stat(fmtInt(counts.edges_kept), 'significant pairs')),
  ]);
  if (aggregatesOnly) {
    sum.appendChild(h('p', { class: 'notice', id: 'aggregates-only', text:
      'Aggregates only: this case was made with --aggregates-only. It holds cluster-level counts, signals and timelines; ' +
      'no account names, post ids, texts, links or network were written, so it can leave a clean room.' }));
  }

  const top = clusters.slice().sort((a, b) => num(b.score) - num(a.score) || num(a.id) - num(b.id)).slice(0, 3);
  if (top.length) {
    sum.appendChild(h('h2', { text: 'Strongest clusters' }));
    const grid = sum.appendChild(h('div', { class: 'top-clusters' }));
    for (const c of top) {
      const card = h('div', { class: 'top-cluster' });
      card.style.borderTopColor = clusterColor(c.id);
      append(card, [
        h('div', { class: 'tc-head' },
          h('button', { type: 'button', class: 'link-btn', text: `Cluster ${c.id}`, onclick: () => cardApi.open(c.id, true) }),
          h('span', { class: 'muted', text: `${fmtInt(c.size)} accounts · score ${fmtFixed(c.score, 1)}` })),
        h('ul', { class: 'signals' }, c.signalTexts.slice(0, 3).map((t) => h('li', null, nameNode(t)))),
      ]);
      grid.appendChild(card);
    }
  } else {
    sum.appendChild(h('p', { class: 'notice', text: 'No cluster met the thresholds: no coordinated group was found in these data with these parameters.' }));
  }

  sum.appendChild(h('h2', { text: 'What was analysed' }));
  const inTable = table(['File', 'Format', 'Size', 'Read', 'Accepted', 'Quarantined'], ['', '', 'num', 'num', 'num', 'num']);
  for (const f of inputs) {
    inTable.body.appendChild(h('tr', null,
      h('td', null, h('code', null, nameNode(f.path))),
      h('td', { text: f.format || '–' }),
      h('td', { class: 'num', text: fmtBytes(f.bytes) }),
      h('td', { class: 'num', text: fmtInt(f.read) }),
      h('td', { class: 'num', text: fmtInt(f.accepted) }),
      h('td', { class: 'num' + (num(f.quarantined) > 0 ? ' warn' : ''), text: fmtInt(f.quarantined) })));
  }
  if (inputs.length > 1) {
    inTable.body.appendChild(h('tr', { class: 'total' },
      h('td', { text: 'All files' }), h('td'),
      h('td', { class: 'num', text: fmtBytes(inputs.reduce((a, f) => a + num(f.bytes), 0)) }),
      h('td', { class: 'num', text: fmtInt(counts.read) }),
      h('td', { class: 'num', text: fmtInt(counts.accepted) }),
      h('td', { class: 'num', text: fmtInt(counts.quarantined) })));
  }
  sum.appendChild(inTable.wrap);
  sum.appendChild(h('dl', { class: 'facts' },
    fact('Platforms', platforms.length ? platforms.join(', ') : '–'),
    fact('Period', period || '–'),
    fact('Quarantined records', `${fmtInt(counts.quarantined)} (reasons in quarantine.ndjson)`)));

  const two = sum.appendChild(h('div', { class: 'two-col' }));
  const pipe = h('div');
  pipe.appendChild(h('h2', { text: 'Pipeline' }));
  const COUNT_LABELS = [
    ['accounts', 'Accounts'], ['hits', 'Trace hits'], ['traces', 'Distinct traces'],
    ['crowded_hits', 'Crowded hits (too many co-actors, not paired)'], ['co_action_records', 'Co-action records'],
    ['pair_traces', '(Pair, trace) records tested'], ['pairs_tested', 'Account pairs tested'], ['edges_kept', 'Significant pairs (edges kept)'],
    ['clusters', 'Clusters'], ['flagged_accounts', 'Flagged accounts'],
  ];
  const known = new Set(['files', 'read', 'accepted', 'quarantined', ...COUNT_LABELS.map((x) => x[0])]);
  const ct = table(['Step', 'Count'], ['', 'num']);
  for (const [k, label] of COUNT_LABELS) if (counts[k] !== undefined) ct.body.appendChild(kvRow(label, fmtInt(counts[k]), true));
  for (const k of Object.keys(counts).sort()) if (!known.has(k)) ct.body.appendChild(kvRow(k, fmtInt(counts[k]), true));
  pipe.appendChild(ct.wrap);
  two.appendChild(pipe);

  const par = h('div');
  par.appendChild(h('h2', { text: 'Parameters' }));
  const pt = table(['Parameter', 'Value'], ['', '']);
  const params = summary.parameters || {};
  for (const k of Object.keys(params)) {
    const v = params[k];
    pt.body.appendChild(kvRow(k, Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v), false, true));
  }
  par.appendChild(pt.wrap);
  two.appendChild(par);

  // ---- clusters ---------------------------------------------------------------------------
  const sec = mainEl.appendChild(h('section', { id: 'clusters' }));
  append(sec, [
    h('h1', { text: 'Clusters' }),
    h('p', { class: 'muted', text:
      'Each cluster is a group of accounts whose pairs co-acted (same hashtag, link, repost or near-identical text within the time window) ' +
      'significantly more often than their activity explains. Signals describe a cluster; they are never by themselves evidence against an account. ' +
      'Click a row to open the cluster’s card; click a column header to sort.' }),
  ]);
  const tools = sec.appendChild(h('div', { class: 'toolbar' }));
  const filter = tools.appendChild(h('input', {
    type: 'search', id: 'cluster-filter', placeholder: 'Filter: id, layer, trace, account, signal…', 'aria-label': 'Filter clusters', autocomplete: 'off',
  }));
  const shown = tools.appendChild(h('span', { id: 'cluster-count', class: 'muted' }));

  const COLS = [
    { key: 'id', label: 'Cluster', type: 'num', get: (c) => num(c.id) },
    { key: 'size', label: 'Size', type: 'num', get: (c) => num(c.size) },
    { key: 'score', label: 'Score', type: 'num', get: (c) => num(c.score) },
    { key: 'layers', label: 'Layers', type: 'text', get: (c) => layerText(c) },
    { key: 'targets', label: 'Targets', type: 'text', get: (c) => targetText(c) },
    { key: 'trace', label: 'Top trace', type: 'text', get: (c) => (c.top_traces[0] && String(c.top_traces[0].label || c.top_traces[0].trace)) || '' },
    { key: 'activation', label: 'Activation date', type: 'text', get: (c) => (activation(c) || { date: '' }).date },
    { key: 'period', label: 'First – last', type: 'text', get: (c) => String(c.first || '') },
  ];
  const ctab = table(COLS.map((c) => c.label), COLS.map((c) => (c.type === 'num' ? 'num' : '')), 'clusters-table');
  ctab.wrap.classList.add('scroll');
  sec.appendChild(ctab.wrap);
  const rows = [];
  const frag = document.createDocumentFragment();
  clusters.forEach((c, i) => {
    const sw = h('span', { class: 'swatch' });
    sw.style.background = clusterColor(c.id);
    const a = activation(c);
    const trace = COLS[5].get(c);
    const tr = h('tr', { tabindex: '0', dataset: { id: String(c.id) } },
      h('td', { class: 'num' }, sw, String(c.id)),
      h('td', { class: 'num', text: fmtInt(c.size) }),
      h('td', { class: 'num', text: fmtFixed(c.score, 1) }),
      h('td', { text: layerText(c) || '–' }),
      h('td', null, targetText(c) ? nameNode(targetText(c)) : '–'),
      h('td', { class: 'trace', title: trace ? visibleText(trace) : null }, trace ? nameNode(trace) : '–'),
      h('td', { text: a ? `${a.date}${shareText(a)}` : '–' }),
      h('td', { class: 'nowrap', text: `${fmtMinute(c.first)} – ${fmtMinute(c.last)}` }));
    tr.addEventListener('click', () => cardApi.open(c.id, false));
    tr.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        cardApi.open(c.id, false);
      }
    });
    const words = [layerText(c), targetText(c), ...c.top_traces.map((t) => String(t && t.trace)), ...c.top_traces.map((t) => String((t && t.label) || '')), ...c.members, ...c.amplifiers.map((a) => String(a.account)), ...c.signalTexts];
    // The exact values, and their shown form where it differs (so "U+202E" finds the names with one).
    for (let k = 0, n = words.length; k < n; k++) {
      const v = visibleText(words[k]);
      if (v !== words[k]) words.push(v);
    }
    const hay = [`#${c.id}`, String(c.id), ...words].join('\n').toLowerCase();
    rows.push({ c, tr, hay, order: i });
    if (hooks.row) hooks.row(c, tr);
    frag.appendChild(tr);
  });
  ctab.body.appendChild(frag);
  if (!clusters.length) ctab.body.appendChild(h('tr', null, h('td', { colspan: String(COLS.length), class: 'empty', text: 'No clusters.' })));

  let sortKey = null;
  let sortDir = 1;
  ctab.heads.forEach((th, k) => {
    const col = COLS[k];
    const btn = h('button', { type: 'button', class: 'sort', text: col.label });
    clear(th);
    th.appendChild(btn);
    th.setAttribute('aria-sort', 'none');
    th.dataset.key = col.key;
    btn.addEventListener('click', () => {
      if (sortKey === col.key) sortDir = -sortDir;
      else {
        sortKey = col.key;
        sortDir = col.type === 'num' ? -1 : 1;
      }
      ctab.heads.forEach((o) => o.setAttribute('aria-sort', 'none'));
      th.setAttribute('aria-sort', sortDir === 1 ? 'ascending' : 'descending');
      const keyed = rows.map((r) => ({ r, v: col.get(r.c) }));
      keyed.sort((a, b) => {
        const d = col.type === 'num' ? a.v - b.v : a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
        return d * sortDir || a.r.order - b.r.order;
      });
      const f = document.createDocumentFragment();
      for (const { r } of keyed) f.appendChild(r.tr);
      ctab.body.appendChild(f);
    });
  });

  const updateCount = (n) => {
    shown.textContent = n === rows.length ? `${fmtInt(rows.length)} cluster${rows.length === 1 ? '' : 's'}` : `${fmtInt(n)} of ${fmtInt(rows.length)} clusters match`;
  };
  updateCount(rows.length);
  let ft = 0;
  const applyFilter = () => {
    const terms = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let n = 0;
    for (const r of rows) {
      const ok = terms.every((t) => r.hay.includes(t));
      r.tr.hidden = !ok;
      if (ok) n++;
    }
    updateCount(n);
  };
  filter.addEventListener('input', () => {
    clearTimeout(ft);
    ft = setTimeout(applyFilter, rows.length > 500 ? 120 : 0);
  });

  const cardHost = sec.appendChild(h('div', { id: 'cluster-card-host' }));
  cardHost.appendChild(h('p', { class: 'placeholder', text: 'Select a cluster above to see its signals, members, shared traces, timeline and evidence.' }));
  let selectedRow = null;
  cardApi.open = (id, scroll) => {
    const c = byId.get(Number(id));
    if (!c) return;
    if (selectedRow) selectedRow.removeAttribute('aria-selected');
    const r = rows.find((x) => x.c === c);
    if (r) {
      selectedRow = r.tr;
      r.tr.setAttribute('aria-selected', 'true');
    }
    clear(cardHost);
    const card = cardHost.appendChild(renderCard(c, background, () => network && network.focusCluster(Number(c.id)), (name) => network && network.focusAccount(name), aggregatesOnly));
    if (hooks.card) hooks.card(c, card);
    if (scroll) cardHost.scrollIntoView({ block: 'start' });
    else if (r) r.tr.scrollIntoView({ block: 'nearest' });
  };

  // ---- network ----------------------------------------------------------------------------
  const net = mainEl.appendChild(h('section', { id: 'network' }));
  if (aggregatesOnly) {
    append(net, [
      h('h1', { text: 'Network' }),
      h('p', { class: 'notice', text: 'Withheld: an aggregates-only case holds no accounts, so no network of them.' }),
    ]);
  } else append(net, [
    h('h1', { text: 'Network' }),
    h('p', { class: 'muted', text:
      'Each dot is an account; a line joins two accounts whose co-actions were significant. Colour shows the cluster (grey: in no cluster), ' +
      'size the account score. Clusters are drawn as discs, largest in the middle; accounts in no cluster form the outer ring. ' +
      'Positions carry no meaning beyond that grouping. Scroll to zoom, drag to pan.' }),
    h('div', { class: 'toolbar net-tools' },
      h('div', { class: 'search' },
        h('input', { type: 'search', id: 'account-search', placeholder: 'Find an account (exact name or prefix)', 'aria-label': 'Find an account', autocomplete: 'off' }),
        h('ul', { id: 'search-suggest', class: 'suggest', hidden: true })),
      h('button', { type: 'button', id: 'search-go', text: 'Find' }),
      h('button', { type: 'button', id: 'net-reset', text: 'Reset view' }),
      h('span', { class: 'spacer' }),
      h('button', { type: 'button', id: 'net-zoom-in', 'aria-label': 'Zoom in', text: '+' }),
      h('button', { type: 'button', id: 'net-zoom-out', 'aria-label': 'Zoom out', text: '−' })),
    h('p', { id: 'search-msg', class: 'muted', role: 'status' }),
    h('div', { class: 'net-body' },
      h('div', { id: 'net-stage', class: 'net-stage' }),
      h('aside', { class: 'net-side' },
        h('div', { id: 'net-info', class: 'net-info' }),
        h('div', { class: 'legend' }, h('h3', { text: 'Legend' }), legend(top, clusters.length)))),
    h('p', { id: 'net-status', class: 'muted small' }),
  ]);

  // ---- provenance -------------------------------------------------------------------------
  const prov = mainEl.appendChild(h('section', { id: 'provenance' }));
  append(prov, [
    h('h1', { text: 'Provenance' }),
    h('dl', { class: 'facts' },
      fact('lockstep version', data.version || '–'),
      fact('Generated from', data.generated_from || 'manifest.json')),
    h('p', { class: 'notice' },
      'Run ', h('code', { text: 'lockstep verify <case folder>' }),
      ' to re-check every hash below against the files: it recomputes the sha256 of each input and output listed in manifest.json and reports any difference.'),
    h('h2', { text: 'Inputs' }),
  ]);
  const pin = table(['File', 'sha256'], ['', '']);
  for (const f of inputs) pin.body.appendChild(h('tr', null, h('td', null, h('code', null, nameNode(f.path))), h('td', null, h('code', { class: 'hash', text: f.sha256 || '–' }))));
  prov.appendChild(pin.wrap);
  prov.appendChild(h('h2', { text: 'Outputs' }));
  const pout = table(['File', 'sha256'], ['', '']);
  const outputs = data.outputs && typeof data.outputs === 'object' ? data.outputs : {};
  for (const k of Object.keys(outputs).sort()) pout.body.appendChild(h('tr', null, h('td', null, h('code', { text: k })), h('td', null, h('code', { class: 'hash', text: String(outputs[k]) }))));
  prov.appendChild(pout.wrap);

  app.appendChild(h('footer', { class: 'wrap' },
    hooks.footer || `lockstep ${data.version || ''} · This file is self-contained: it loads nothing from the network. All times are UTC.`));

  // The graph is built after the text of the page is on screen.
  if (!aggregatesOnly) {
    setTimeout(() => {
      network = initNetwork(net, data, byId, (id, scroll) => cardApi.open(id, scroll));
    }, 0);
  }

  // A link such as report.html#cluster-3 opens that card.
  const m = /^#cluster-(\d+)$/.exec(location.hash);
  if (m && byId.has(Number(m[1]))) cardApi.open(Number(m[1]), true);
  if (hooks.ready) hooks.ready({ open: (id, scroll) => cardApi.open(id, scroll) });
  marks.page = performance.now();
}

// ---- pieces -------------------------------------------------------------------------------

function stat(value, label) {
  return h('div', { class: 'stat' }, h('div', { class: 'v', text: value }), h('div', { class: 'l', text: label }));
}

function fact(k, v) {
  return h('div', null, h('dt', { text: k }), h('dd', null, v));
}

function kvRow(k, v, numeric, code) {
  return h('tr', null, h('td', null, code ? h('code', { text: k }) : k), h('td', { class: numeric ? 'num' : '', text: v }));
}

function table(labels, classes, id) {
  const heads = labels.map((l, i) => h('th', { scope: 'col', class: classes[i] || null, text: l }));
  const body = h('tbody');
  const t = h('table', { id }, h('thead', null, h('tr', null, heads)), body);
  return { wrap: h('div', { class: 'table-wrap' }, t), table: t, body, heads };
}

function layerText(c) {
  return Object.keys(c.layers)
    .sort((a, b) => num(c.layers[b]) - num(c.layers[a]) || (a < b ? -1 : 1))
    .map((k) => `${k} ${c.layers[k]}`)
    .join(' · ');
}

function legend(top, n) {
  const ul = h('ul');
  for (const c of top) {
    const sw = h('span', { class: 'swatch' });
    sw.style.background = clusterColor(c.id);
    ul.appendChild(h('li', null, sw, `Cluster ${c.id} (${fmtInt(c.size)})`));
  }
  if (n > top.length) {
    const strip = h('span', { class: 'strip' });
    for (const col of PALETTE.slice(0, 8)) {
      const sw = h('span', { class: 'swatch' });
      sw.style.background = col;
      strip.appendChild(sw);
    }
    ul.appendChild(h('li', null, strip, `other clusters (${PALETTE.length} colours, repeating)`));
  }
  const g = h('span', { class: 'swatch' });
  g.style.background = GREY;
  ul.appendChild(h('li', null, g, 'in no cluster'));
  return ul;
}

function renderCard(c, background, showInNetwork, findAccount, aggregatesOnly) {
  const color = clusterColor(c.id);
  const act = activation(c);
  const card = h('article', { class: 'card', id: 'cluster-card', 'aria-label': `Cluster ${c.id}` });
  card.style.borderTopColor = color;
  const sw = h('span', { class: 'swatch big' });
  sw.style.background = color;
  append(card, [
    h('div', { class: 'card-head' },
      h('h2', null, sw, `Cluster ${c.id}`),
      h('span', { class: 'muted', text: `${fmtInt(c.size)} accounts · score ${fmtFixed(c.score, 1)}` }),
      h('span', { class: 'spacer' }),
      aggregatesOnly ? null : h('button', { type: 'button', text: 'Show in network', onclick: () => { showInNetwork(); document.getElementById('network').scrollIntoView({ block: 'start' }); } })),
    h('dl', { class: 'facts grid' },
      fact('Accounts', fmtInt(c.size)),
      fact('Score', `${fmtFixed(c.score, 1)} (evidence: −log10 of the chance the co-actions arise from activity and crowds alone)`),
      fact('Internal edges', fmtInt(c.edges)),
      fact('Density', fmtFixed(c.density, 4)),
      fact('Co-actions', fmtInt(c.co_actions)),
      fact('Median gap', fmtFixed(c.median_gap_s, 1) === '–' ? '–' : `${fmtFixed(c.median_gap_s, 1)} s`),
      fact('Lag (10/50/90%)', Array.isArray(c.lag_s) && c.lag_s.length === 3 ? c.lag_s.map((x) => `${fmtFixed(x, 1)} s`).join(' / ') : '–'),
      fact('Fast core', c.fast && typeof c.fast === 'object' ? `${fmtInt(c.fast.members)} members, ${fmtInt(c.fast.edges)} edges within ${c.fast.window_s} s` : '–'),
      fact('Leaders', Array.isArray(c.leaders) && c.leaders.length ? c.leaders.slice(0, 3).map((l) => `${visibleText(l.account)} (${l.led}/${l.led + l.followed})`).join(', ') : '–'),
      fact('Active', `${fmtMinute(c.first)} – ${fmtMinute(c.last)}`),
      fact('Activation', act ? `${act.date}${shareText(act, ' of members switched on')}${act.censored ? ' — at the start of the data: no history before it was seen, so no cohort is claimed' : ''}` : '–'),
      fact('Layers', layerText(c) || '–'),
      fact('Amplifiers', c.amplifier_count ? `${fmtInt(c.amplifier_count)} accounts outside the cluster (below)` : '–')),
  ]);

  const cols = card.appendChild(h('div', { class: 'two-col' }));
  cols.appendChild(h('div', null,
    h('h3', { text: 'Signals' }),
    c.signalTexts.length
      ? h('ul', { class: 'signals', id: 'card-signals' }, c.signalTexts.map((t) => h('li', null, nameNode(t))))
      : h('p', { class: 'muted', text: 'No signals.' })));
  const members = h('ul', { class: 'members', id: 'card-members' },
    c.members.map((m) => h('li', null, h('button', { type: 'button', class: 'link-btn', title: 'Show in network', dataset: { name: m } }, nameNode(m)))));
  members.addEventListener('click', (ev) => {
    const b = ev.target.closest('button');
    if (!b) return;
    if (findAccount(b.dataset.name)) document.getElementById('network').scrollIntoView({ block: 'start' });
  });
  cols.appendChild(aggregatesOnly
    ? h('div', null, h('h3', { text: `Members (${fmtInt(c.size)})` }), h('p', { class: 'muted', id: 'card-members', text: 'Withheld (aggregates only).' }))
    : h('div', null, h('h3', { text: `Members (${fmtInt(c.members.length)})` }), members));

  card.appendChild(h('h3', { text: 'Top shared traces' }));
  if (c.top_traces.length) {
    const tt = table(['Trace', 'Members', 'Events'], ['', 'num', 'num']);
    for (const t of c.top_traces) {
      tt.body.appendChild(h('tr', null,
        h('td', { class: 'trace', title: t && t.label && t.label !== t.trace ? visibleText(t.trace) : null }, h('code', null, nameNode(t && (t.label || t.trace)))),
        h('td', { class: 'num', text: fmtInt(t && t.accounts) }),
        h('td', { class: 'num', text: fmtInt(t && t.events) })));
    }
    card.appendChild(tt.wrap);
  } else card.appendChild(h('p', { class: 'muted', text: 'None recorded.' }));

  // Amplifiers: accounts with histories of their own that either post the cluster's campaign
  // traces inside its campaign windows far more often than their own clock predicts
  // (adopters), or post the cluster's orders (sounds, links, media only its members use)
  // while the members do (executors). A separate role: they are not members, and each row
  // says what it was measured on.
  if (c.amplifier_count || c.campaign_traces.length) {
    card.appendChild(h('h3', { text: `Amplifiers (${fmtInt(c.amplifier_count)})` }));
    if (c.campaign_traces.length) {
      const windows = (t) => (Array.isArray(t.windows) ? t.windows : []).filter((w) => Array.isArray(w) && w.length === 2);
      card.appendChild(h('p', { class: 'muted', id: 'card-campaign-traces' },
        'Campaign traces and their windows: ',
        ...c.campaign_traces.slice(0, 8).flatMap((t, k) => [
          k ? '; ' : '',
          h('code', null, nameNode(t.trace)),
          ` ${windows(t).map((w) => `${fmtMinute(w[0])} – ${fmtMinute(w[1])}`).join(', ') || '–'}${t.own ? '' : ' (carried by others)'}`,
        ])));
    }
    if (c.amplifiers.length) {
      const at = table(['Account', 'Role', 'Traces', 'Days', 'Measured', 'Expected', 'q-value'], ['', '', '', 'nowrap', 'num', 'num', 'num']);
      for (const a of c.amplifiers) {
        const traces = Array.isArray(a.traces) ? a.traces : [];
        const days = Array.isArray(a.days) ? a.days : [];
        // An executor's figures count orders among its posts with a sound, link or media; an
        // adopter's, clock hours with campaign traces that fall in the campaign windows.
        const executor = a.kind === 'executor';
        const measure = executor
          ? `${fmtInt(a.in_windows)} orders executed of ${fmtInt(a.hours)} posts with a sound, link or media`
          : `${fmtInt(a.in_windows)} of ${fmtInt(a.hours)} hours with campaign traces in the campaign windows`;
        at.body.appendChild(h('tr', null,
          h('td', null, h('button', { type: 'button', class: 'link-btn', title: 'Show in network', dataset: { name: String(a.account) } }, nameNode(a.account))),
          h('td', { text: executor ? 'executor' : 'adopter', title: executor ? "posted the cluster's orders while its members did" : "posted the cluster's campaign traces in its campaign windows" }),
          h('td', { class: 'trace' }, ...traces.slice(0, 4).flatMap((t, k) => [k ? ', ' : '', h('code', null, nameNode(t))]), traces.length > 4 ? ` +${traces.length - 4}` : ''),
          h('td', { class: 'nowrap', text: days.slice(0, 6).map(String).join(', ') + (days.length > 6 ? ` +${days.length - 6}` : '') }),
          h('td', { class: 'num', title: measure, text: executor ? `${fmtInt(a.in_windows)} orders in ${fmtInt(a.hours)} posts` : `${fmtInt(a.in_windows)} of ${fmtInt(a.hours)} h in windows` }),
          h('td', { class: 'num', text: fmtFixed(a.expected, 2) }),
          h('td', { class: 'num', text: typeof a.q_value === 'number' && Number.isFinite(a.q_value) ? a.q_value.toExponential(2) : '–' })));
      }
      at.body.addEventListener('click', (ev) => {
        const b = ev.target.closest('button');
        if (b && findAccount(b.dataset.name)) document.getElementById('network').scrollIntoView({ block: 'start' });
      });
      at.wrap.id = 'card-amplifiers';
      card.appendChild(at.wrap);
    } else {
      card.appendChild(h('p', { class: 'muted', id: 'card-amplifiers', text: aggregatesOnly ? 'Withheld (aggregates only).' : 'None found.' }));
    }
  }

  // With --watchlist: the entities the members' posts reference, most referenced first.
  if (c.targets.length) {
    card.appendChild(h('h3', { text: 'Watchlist targets' }));
    const tg = table(['Entity', 'Posts', 'Promoting', 'Attacking'], ['', 'num', 'num', 'num']);
    for (const t of c.targets) {
      tg.body.appendChild(h('tr', null,
        h('td', null, nameNode(t.entity)),
        h('td', { class: 'num', text: fmtInt(t.posts) }),
        h('td', { class: 'num', text: fmtInt(t.promotes) }),
        h('td', { class: 'num', text: fmtInt(t.attacks) })));
    }
    tg.wrap.id = 'card-targets';
    card.appendChild(tg.wrap);
  }

  // Timeline: whole period or the cluster's active span.
  card.appendChild(h('h3', { text: 'Posts per hour' }));
  const series = parseSeries(c.timeline);
  const chartHost = h('div', { class: 'chart' });
  const all = series.concat(background);
  if (all.length) {
    const fullT0 = Math.min(...[series[0], background[0]].filter(Boolean).map((r) => r[0]));
    const fullT1 = Math.max(...[series[series.length - 1], background[background.length - 1]].filter(Boolean).map((r) => r[0]));
    const cT0 = series.length ? series[0][0] : fullT0;
    const cT1 = series.length ? series[series.length - 1][0] : fullT1;
    const padH = Math.max(6 * HOUR, Math.round((cT1 - cT0) * 0.1 / HOUR) * HOUR);
    const ranges = {
      full: [fullT0, fullT1],
      active: [Math.max(fullT0, cT0 - padH), Math.min(fullT1, cT1 + padH)],
    };
    const seg = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Time range' });
    const draw = (which) => {
      for (const b of seg.children) b.setAttribute('aria-pressed', b.dataset.range === which ? 'true' : 'false');
      clear(chartHost).appendChild(timelineSvg(series, background, ranges[which][0], ranges[which][1], color));
    };
    seg.appendChild(h('button', { type: 'button', dataset: { range: 'full' }, text: 'Whole period', onclick: () => draw('full') }));
    seg.appendChild(h('button', { type: 'button', dataset: { range: 'active' }, text: 'Cluster’s active period', onclick: () => draw('active') }));
    const lg = h('span', { class: 'chart-legend' });
    const s1 = h('span', { class: 'swatch' });
    s1.style.background = color;
    const s2 = h('span', { class: 'swatch bg' });
    append(lg, [s1, 'cluster posts (left axis)', s2, 'all posts in the data (right axis)']);
    card.appendChild(h('div', { class: 'chart-tools' }, seg, lg));
    card.appendChild(chartHost);
    draw('full');
  } else card.appendChild(h('p', { class: 'muted', text: 'No timeline recorded.' }));

  card.appendChild(h('h3', { text: 'Sample evidence' }));
  if (c.evidence.length) {
    const posts = c.evidence.filter((e) => e && typeof e === 'object');
    const withSource = posts.some((e) => sourceOf(e));
    const labels = ['Time (UTC)', 'Account', 'Platform', 'Kind', 'Text', 'Link'];
    const classes = ['nowrap', '', '', '', '', ''];
    if (withSource) {
      labels.push('Source');
      classes.push('');
    }
    const et = table(labels, classes);
    for (const e of posts) {
      const url = safeHttpUrl(e.link);
      let link = '–';
      if (url) link = h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: 'open ↗', title: url });
      else if (e.link) link = h('span', { class: 'muted' }, nameNode(e.link));
      const src = withSource ? sourceOf(e) : null;
      et.body.appendChild(h('tr', null,
        h('td', { class: 'nowrap', text: fmtSecond(e.time) }),
        h('td', null, e.account !== undefined && e.account !== null ? nameNode(e.account) : '–'),
        h('td', { text: e.platform ?? '–' }),
        h('td', { text: e.kind ?? '–' }),
        h('td', { class: 'text' }, e.text !== undefined && e.text !== null ? nameNode(e.text) : ''),
        h('td', null, link),
        withSource ? h('td', { class: 'source' }, src ? h('code', { title: src.title }, nameNode(src.text)) : '–') : null));
    }
    et.wrap.id = 'card-evidence';
    card.appendChild(et.wrap);
  } else card.appendChild(h('p', { class: 'muted', text: aggregatesOnly ? 'Withheld (aggregates only).' : 'No sample posts.' }));
  return card;
}

export { EDGE_CAP };
