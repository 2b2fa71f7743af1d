// Small DOM helpers. Data only ever reaches the page through textContent or attributes set
// with setAttribute/properties; nothing here parses HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Creates an element. `props` keys: `class`, `text`, `on<event>` handlers, `dataset`
 * (object), or any attribute (set with setAttribute). Children: nodes or strings (text).
 */
export function h(tag, props, ...children) {
  const e = document.createElement(tag);
  applyProps(e, props);
  append(e, children);
  return e;
}

/** Same as h() for SVG elements. */
export function s(tag, props, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  applyProps(e, props);
  append(e, children);
  return e;
}

function applyProps(e, props) {
  if (!props) return;
  for (const k of Object.keys(props)) {
    const v = props[k];
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.setAttribute('class', v);
    else if (k === 'text') e.textContent = String(v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(parent, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else if (typeof c === 'string' || typeof c === 'number') parent.appendChild(document.createTextNode(String(c)));
    else parent.appendChild(c);
  }
  return parent;
}

export function clear(e) {
  while (e.firstChild) e.removeChild(e.firstChild);
  return e;
}

/** 12345 -> "12,345" (deterministic, locale-free). */
export function fmtInt(n) {
  if (n === undefined || n === null || n === '') return '–';
  const x = Number(n);
  if (!Number.isFinite(x)) return String(n);
  const neg = x < 0;
  const [int, frac] = String(Math.abs(x)).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + grouped + (frac ? '.' + frac : '');
}

export function fmtBytes(n) {
  const x = Number(n);
  if (!Number.isFinite(x)) return '–';
  if (x < 1024) return `${x} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = x;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

const ISO = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?/;

/** "2024-11-11T10:00:03Z" -> "2024-11-11 10:00" (UTC, as in the data). */
export function fmtMinute(iso) {
  if (!iso) return '–';
  const m = ISO.exec(String(iso));
  return m ? `${m[1]} ${m[2]}` : String(iso);
}

/** "2024-11-11T10:00:03Z" -> "2024-11-11 10:00:03". */
export function fmtSecond(iso) {
  if (!iso) return '–';
  const m = ISO.exec(String(iso));
  return m ? `${m[1]} ${m[2]}${m[3] || ':00'}` : String(iso);
}

export function fmtDate(iso) {
  if (!iso) return '–';
  const m = /^\d{4}-\d{2}-\d{2}/.exec(String(iso));
  return m ? m[0] : String(iso);
}

/** Only http(s) links become anchors; anything else (javascript:, data:, …) stays text. */
export function safeHttpUrl(u) {
  if (typeof u !== 'string') return null;
  try {
    const url = new URL(u);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

export function num(v) {
  const x = typeof v === 'number' ? v : parseFloat(v);
  return Number.isFinite(x) ? x : 0;
}
