// The cluster timeline: the cluster's posts per hour (bars, left axis) against all posts per
// hour in the data (grey area, right axis). Plain SVG, no chart library.

import { s } from './dom.js';

const HOUR = 3600000;
const DAY = 24 * HOUR;
const W = 960;
const H = 230;
const PAD = { l: 48, r: 56, t: 14, b: 34 };

/** [[iso, count], …] -> sorted [[ms, count], …] (unparseable rows skipped). */
export function parseSeries(rows) {
  const out = [];
  if (!Array.isArray(rows)) return out;
  for (const r of rows) {
    if (!Array.isArray(r)) continue;
    const t = Date.parse(r[0]);
    const c = Number(r[1]);
    if (Number.isFinite(t) && Number.isFinite(c)) out.push([Math.floor(t / HOUR) * HOUR, c]);
  }
  out.sort((a, b) => a[0] - b[0]);
  return out;
}

/** Axis maximum: 4 × a "nice" step (1, 2, 2.5, 5 × 10^k; whole numbers for counts). */
function niceMax(v) {
  if (v <= 0) return 4;
  const raw = v / 4;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  let step = 10 * p;
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * p >= raw) {
      step = m * p;
      break;
    }
  }
  return 4 * Math.max(1, step);
}

const STEPS = [HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 91 * DAY, 364 * DAY];

function pad2(n) {
  return String(n).padStart(2, '0');
}

function tickLabel(t, step, first) {
  const d = new Date(t);
  const date = `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  const full = first ? `${d.getUTCFullYear()}-${date}` : date;
  if (step < DAY) return `${full} ${pad2(d.getUTCHours())}:00`;
  return full;
}

function shortNum(v) {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${+(v / 1e3).toFixed(0)}k`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return String(+v.toFixed(2));
}

/**
 * Builds the chart for the range [t0, t1] (ms, inclusive hours).
 * @param {[number, number][]} cluster  posts per hour of the cluster
 * @param {[number, number][]} background  all posts per hour
 */
export function timelineSvg(cluster, background, t0, t1, color) {
  const t1x = t1 + HOUR;
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const span = Math.max(t1x - t0, HOUR);
  const X = (t) => PAD.l + ((t - t0) / span) * iw;
  const barW = Math.max((HOUR / span) * iw, 1.2);
  const inRange = (r) => r[0] >= t0 && r[0] <= t1;
  const cl = cluster.filter(inRange);
  const bg = background.filter(inRange);
  const maxC = niceMax(cl.reduce((m, r) => Math.max(m, r[1]), 0));
  const maxB = niceMax(bg.reduce((m, r) => Math.max(m, r[1]), 0));
  const YC = (v) => PAD.t + ih - (v / maxC) * ih;
  const YB = (v) => PAD.t + ih - (v / maxB) * ih;
  const base = PAD.t + ih;

  const svg = s('svg', {
    class: 'timeline',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': 'Posts per hour: cluster (bars, left axis) against all posts (grey, right axis)',
  });

  // Horizontal grid and both y axes.
  const grid = s('g', { class: 'tl-grid' });
  for (let i = 0; i <= 4; i++) {
    const y = PAD.t + ih - (i / 4) * ih;
    grid.appendChild(s('line', { x1: PAD.l, x2: W - PAD.r, y1: y, y2: y }));
    grid.appendChild(
      s('text', { x: PAD.l - 6, y: y + 4, 'text-anchor': 'end', class: 'tl-left', fill: color }, shortNum((maxC * i) / 4)),
    );
    grid.appendChild(s('text', { x: W - PAD.r + 6, y: y + 4, class: 'tl-right' }, shortNum((maxB * i) / 4)));
  }
  svg.appendChild(grid);

  // Background: one step-area path.
  if (bg.length) {
    let d = '';
    for (const [t, c] of bg) {
      const x0 = X(t);
      const w = Math.max((HOUR / span) * iw, 0.6);
      d += `M${x0.toFixed(2)} ${base}V${YB(c).toFixed(2)}h${w.toFixed(2)}V${base}z`;
    }
    svg.appendChild(s('path', { d, class: 'tl-bg' }));
  }

  // Cluster bars, each with a tooltip.
  const bars = s('g', { fill: color, class: 'tl-bars' });
  const bgAt = new Map(bg);
  for (const [t, c] of cl) {
    const y = YC(c);
    const r = s('rect', {
      x: X(t).toFixed(2),
      y: y.toFixed(2),
      width: barW.toFixed(2),
      height: Math.max(base - y, 0.5).toFixed(2),
    });
    const bgc = bgAt.get(t);
    r.appendChild(
      s(
        'title',
        null,
        `${tickLabel(t, HOUR, true)} UTC: ${c} cluster posts` + (bgc !== undefined ? ` (${bgc} posts in all data)` : ''),
      ),
    );
    bars.appendChild(r);
  }
  svg.appendChild(bars);

  // X axis ticks on UTC boundaries.
  const axis = s('g', { class: 'tl-axis' });
  axis.appendChild(s('line', { x1: PAD.l, x2: W - PAD.r, y1: base, y2: base }));
  const step = STEPS.find((st) => span / st <= 8) || STEPS[STEPS.length - 1];
  const align = step >= DAY ? DAY : step;
  let first = true;
  for (let t = Math.ceil(t0 / align) * align; t <= t1x; t += step) {
    const x = X(t);
    axis.appendChild(s('line', { x1: x, x2: x, y1: base, y2: base + 4 }));
    axis.appendChild(s('text', { x, y: base + 17, 'text-anchor': 'middle' }, tickLabel(t, step, first)));
    first = false;
  }
  axis.appendChild(s('text', { x: W - PAD.r, y: H - 2, 'text-anchor': 'end', class: 'tl-note' }, 'UTC, 1-hour bins'));
  svg.appendChild(axis);
  return svg;
}

export { HOUR };
