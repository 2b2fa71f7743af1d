// The infrastructure view of the case report (`lockstep infra`, data.kind === "infra"):
// what is being tried (timeline by class), against what (targets), from where (sources by
// country and ASN), one actor or many (campaign cards), and provenance. Plain DOM; every
// value is inserted as text.

import { h, s, append, fmtInt, fmtBytes, fmtMinute, num } from './dom.js';

const CLASS_COLORS = {
  java: '#7b2d8e', rce: '#c0392b', php: '#8e44ad', sqli: '#d35400', xss: '#e67e22', rfi: '#b7950b',
  lfi: '#a04000', credential: '#1f618d', scanner: '#5d6d7e', protocol: '#95a5a6', flood: '#17a589',
};
const CLASS_NAMES = {
  java: 'Java injection', rce: 'Command execution', php: 'PHP injection', sqli: 'SQL injection', xss: 'Cross-site scripting',
  rfi: 'Remote file inclusion', lfi: 'Path traversal / LFI', credential: 'Credential attacks', scanner: 'Scanners and tools',
  protocol: 'Protocol anomalies', flood: 'Floods',
};
const color = (c) => CLASS_COLORS[c] || '#888';
const arr = (v) => (Array.isArray(v) ? v : []);
const pairs = (v) => arr(v).filter((p) => Array.isArray(p) && p.length >= 2).map((p) => [String(p[0]), num(p[1])]);

function table(head, rows, numeric = []) {
  const thead = h('thead', null, h('tr', null, head.map((x, i) => h('th', { class: numeric.includes(i) ? 'num' : '', text: x }))));
  const tbody = h('tbody');
  for (const r of rows) tbody.appendChild(h('tr', null, r.map((x, i) => h('td', { class: numeric.includes(i) ? 'num' : '', text: x }))));
  return h('div', { class: 'table-wrap' }, h('table', null, thead, tbody));
}

function stat(value, label) {
  return h('div', { class: 'stat' }, h('div', { class: 'stat-v', text: value }), h('div', { class: 'stat-l', text: label }));
}

// Stacked bars of attempts per hour and class.
function classTimeline(timeline) {
  const hours = Object.keys(timeline || {}).sort();
  const W = 1160, H = 220, pad = 30;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H + 40}`, class: 'chart infra-timeline', role: 'img', 'aria-label': 'Attempts per hour by class' });
  if (!hours.length) return svg;
  const t0 = Date.parse(hours[0]);
  const t1 = Date.parse(hours[hours.length - 1]) + 3600e3;
  const span = Math.max(3600e3, t1 - t0);
  let max = 1;
  for (const k of hours) max = Math.max(max, Object.values(timeline[k] || {}).reduce((a, b) => a + num(b), 0));
  const bw = Math.max(1, ((W - pad) * 3600e3) / span - 1);
  for (const k of hours) {
    const x = pad + ((Date.parse(k) - t0) / span) * (W - pad);
    let y = H;
    const row = timeline[k] || {};
    for (const c of Object.keys(CLASS_COLORS)) {
      const v = num(row[c]);
      if (!v) continue;
      const bh = (v / max) * (H - 10);
      y -= bh;
      svg.appendChild(s('rect', { x: x.toFixed(1), y: y.toFixed(1), width: bw.toFixed(1), height: bh.toFixed(1), fill: color(c), 'data-class': c },
        s('title', { text: `${k} ${CLASS_NAMES[c] || c}: ${v}` })));
    }
  }
  svg.appendChild(s('text', { x: 0, y: 12, class: 'tl-axis', text: fmtInt(max) }));
  svg.appendChild(s('text', { x: pad, y: H + 18, class: 'tl-axis', text: fmtMinute(hours[0]) }));
  svg.appendChild(s('text', { x: W, y: H + 18, class: 'tl-axis', 'text-anchor': 'end', text: fmtMinute(new Date(t1).toISOString()) }));
  return svg;
}

function legend(classes) {
  return h('div', { class: 'chart-legend' }, classes.map((c) =>
    h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${color(c)}` }), CLASS_NAMES[c] || c)));
}

function card(c) {
  const el = h('article', { class: 'card campaign', id: `campaign-${num(c.id)}`, 'data-cluster': String(num(c.id)) });
  const classes = Object.keys(c.classes || {});
  el.style.borderTopColor = color(classes[0]);
  append(el, [
    h('div', { class: 'card-head' },
      h('h2', { text: `Campaign ${num(c.id)}` }),
      h('span', { class: 'muted', text: `${fmtInt(c.sources)} sources · ${fmtInt(c.attempts)} attempts · score ${c.score || '–'} · ${c.basis === 'burst' ? 'flood burst' : 'significant co-actions'}` })),
    h('p', { text: `${fmtMinute(c.first)} – ${fmtMinute(c.last)} UTC · ${fmtInt(c.prefix_count)} prefixes, ${fmtInt(c.asn_count)} ASNs, ${fmtInt(c.country_count)} countries · ${fmtInt(c.edges)} significant pairs (density ${c.density || '–'})` }),
    legend(classes),
    h('div', { class: 'two-col' },
      h('div', null, h('h3', { text: 'Targets' }), table(['Target', 'Attempts'], pairs(c.targets).map(([a, b]) => [a, fmtInt(b)]), [1])),
      h('div', null, h('h3', { text: 'Payload families' }), table(['Rule', 'Attempts'], pairs(c.payload_families).map(([a, b]) => [a, fmtInt(b)]), [1]))),
    h('div', { class: 'two-col' },
      h('div', null, h('h3', { text: 'Where from' }), table(['Prefix', 'Sources'], pairs(c.prefixes).map(([a, b]) => [a, fmtInt(b)]), [1])),
      h('div', null, h('h3', { text: 'Networks' }), table(['ASN / country', 'Sources'],
        pairs(c.asns).concat(pairs(c.countries)).map(([a, b]) => [a, fmtInt(b)]), [1]))),
    h('h3', { text: 'Tool fingerprints' }),
    table(['User agent | header order | TLS', 'Attempts'], pairs(c.tools).map(([a, b]) => [a, fmtInt(b)]), [1]),
    h('h3', { text: 'Evidence (sample)' }),
    table(['Time', 'Source', 'Class', 'Request', 'Rule', 'Evidence'],
      arr(c.evidence).map((e) => [fmtMinute(e.time), String(e.source || ''), String(e.class || ''), `${e.method || ''} ${e.target || ''}`, String(e.rule || ''), String(e.evidence || '')])),
    h('details', null, h('summary', { text: `All ${fmtInt(arr(c.members).length)} sources` }),
      h('div', { class: 'members' }, arr(c.members).map((m) => h('code', { text: String(m) + ' ' })))),
  ]);
  return el;
}

export function renderInfra(app, data) {
  const summary = data.summary || {};
  const counts = data.counts || {};
  const clusters = arr(data.clusters).filter((c) => c && typeof c === 'object');
  document.title = 'lockstep infrastructure report';
  append(app, [
    h('header', { class: 'top' },
      h('div', { class: 'wrap top-inner' },
        h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'lockstep infrastructure report'),
        h('nav', { 'aria-label': 'Sections' },
          h('a', { href: '#summary', text: 'Summary' }),
          h('a', { href: '#timeline', text: 'Timeline' }),
          h('a', { href: '#targets', text: 'Targets' }),
          h('a', { href: '#origins', text: 'Origins' }),
          h('a', { href: '#campaigns', text: 'Campaigns' }),
          h('a', { href: '#provenance', text: 'Provenance' })))),
  ]);
  const main = app.appendChild(h('main', { class: 'wrap' }));
  const byClass = summary.by_class && typeof summary.by_class === 'object' ? summary.by_class : {};
  const classes = Object.keys(CLASS_COLORS).filter((c) => num(byClass[c]) > 0);
  append(main, [
    h('section', { id: 'summary' },
      h('h1', { text: 'Summary' }),
      h('p', { class: 'lede', id: 'headline', text: String(summary.headline || '') }),
      h('div', { class: 'stats' },
        stat(fmtInt(summary.attempts), 'attempts'),
        stat(fmtInt(summary.attack_sources), 'attacking sources'),
        stat(fmtInt(summary.countries), 'countries'),
        stat(fmtInt(summary.clusters), 'coordinated campaigns'),
        stat(fmtInt(summary.coordinated_sources), 'sources in campaigns'),
        stat(fmtInt(counts.blocklisted), 'on the blocklist')),
      h('h2', { text: 'What is being tried' }),
      table(['Class', 'Attempts'], classes.map((c) => [CLASS_NAMES[c] || c, fmtInt(byClass[c])]), [1])),
    h('section', { id: 'timeline' }, h('h1', { text: 'Attempts per hour, by class' }), legend(classes), classTimeline(data.timeline)),
    h('section', { id: 'targets' }, h('h1', { text: 'Targets' }),
      table(['Target', 'Attempts'], pairs(summary.by_target).slice(0, 25).map(([a, b]) => [a, fmtInt(b)]), [1])),
    h('section', { id: 'origins' }, h('h1', { text: 'Sources by country and ASN' }),
      h('div', { class: 'two-col' },
        h('div', null, h('h3', { text: 'Attempts by country' }), table(['Country', 'Attempts'], pairs(summary.by_country).slice(0, 40).map(([a, b]) => [a, fmtInt(b)]), [1])),
        h('div', null, h('h3', { text: 'Attempts by ASN' }), table(['ASN', 'Attempts'], pairs(summary.by_asn).slice(0, 40).map(([a, b]) => [a, fmtInt(b)]), [1])))),
  ]);
  const camp = main.appendChild(h('section', { id: 'campaigns' }, h('h1', { text: 'Campaigns: sources acting in concert' })));
  if (!clusters.length) camp.appendChild(h('p', { class: 'notice', text: 'No group of sources acted in concert more than chance explains.' }));
  for (const c of clusters) camp.appendChild(card(c));
  const inputs = arr(data.inputs);
  const outputs = data.outputs && typeof data.outputs === 'object' ? data.outputs : {};
  append(main, [
    h('section', { id: 'provenance' }, h('h1', { text: 'Provenance' }),
      table(['Input (sha256)', 'Format', 'Size', 'Read', 'Accepted', 'Quarantined'],
        inputs.map((f) => [String(f.sha256 || ''), String(f.format || ''), fmtBytes(f.bytes), fmtInt(f.read), fmtInt(f.accepted), fmtInt(f.quarantined)]), [2, 3, 4, 5]),
      h('h3', { text: 'Outputs' }),
      table(['File', 'sha256'], Object.keys(outputs).sort().map((k) => [k, String(outputs[k])]))),
  ]);
  const d = (window.__lockstep = window.__lockstep || {});
  d.infra = { campaigns: clusters.length, classes };
}
