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

// ---- invisible and bidi characters --------------------------------------------------------
// A name (account, trace, member, evidence text…) is attacker-chosen. A right-to-left override
// makes "rtl\u202Eexe.txt" read "rtltxt.exe"; a zero-width space makes two names look the
// same. Every such character is shown as a visible, bordered escape ⟨U+202E⟩ instead; the
// value itself (copy, search, sort) is never changed. Shown escaped: controls (C0, DEL, C1),
// format characters (bidi embeddings/overrides/isolates/marks, U+061C, zero-width space,
// joiners, U+2060, U+FEFF, soft hyphen, tags…), lone surrogates, line/paragraph separators,
// and the other default-ignorable code points except variation selectors (which emoji need).
const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]|(?![\u180B-\u180D\u180F\uFE00-\uFE0F\u{E0100}-\u{E01EF}])\p{Default_Ignorable_Code_Point}/gu;
const HAS_INVISIBLE = new RegExp(INVISIBLE.source, 'u');
const CP_NAMES = {
  0x061c: 'ARABIC LETTER MARK', 0x00ad: 'SOFT HYPHEN', 0x200b: 'ZERO WIDTH SPACE', 0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER', 0x200e: 'LEFT-TO-RIGHT MARK', 0x200f: 'RIGHT-TO-LEFT MARK', 0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING', 0x202c: 'POP DIRECTIONAL FORMATTING', 0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE', 0x2060: 'WORD JOINER', 0x2066: 'LEFT-TO-RIGHT ISOLATE', 0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE', 0x2069: 'POP DIRECTIONAL ISOLATE', 0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
};
const cpLabel = (ch) => `U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * A name as it is shown: text pieces and escaped characters, in logical order. Strings use
 * `visibleText`; the DOM uses `nameNode`, which styles each escape (class `cp`).
 */
function pieces(value) {
  const str = value === undefined || value === null ? '' : String(value);
  const out = [];
  let last = 0;
  INVISIBLE.lastIndex = 0;
  for (let m; (m = INVISIBLE.exec(str)); ) {
    if (m.index > last) out.push(str.slice(last, m.index));
    out.push({ ch: m[0] });
    last = m.index + m[0].length;
  }
  if (last < str.length || !out.length) out.push(str.slice(last));
  return out;
}

/** The name as plain text, every invisible character written ⟨U+XXXX⟩ (canvas labels, tooltips, messages). */
export function visibleText(value) {
  const str = value === undefined || value === null ? '' : String(value);
  if (!HAS_INVISIBLE.test(str)) return str;
  return pieces(value).map((p) => (typeof p === 'string' ? p : `⟨${cpLabel(p.ch)}⟩`)).join('');
}

/**
 * The name as a bidi-isolated <span class="nm">: its text, with each invisible character as a
 * bordered <span class="cp">⟨U+XXXX⟩</span> that keeps the real character for copying.
 */
export function nameNode(value) {
  const e = document.createElement('span');
  e.className = 'nm';
  for (const p of pieces(value)) {
    if (typeof p === 'string') e.appendChild(document.createTextNode(p));
    else {
      const cp = cpLabel(p.ch);
      const x = e.appendChild(document.createElement('span'));
      x.className = 'cp';
      x.dataset.raw = p.ch;
      x.title = `${cp} ${CP_NAMES[p.ch.codePointAt(0)] || 'invisible or control character'} (shown visibly; the name contains it)`;
      x.textContent = `⟨${cp}⟩`;
    }
  }
  return e;
}

/** Copying a selection that holds escapes copies the real characters, not ⟨U+XXXX⟩. */
export function exactCopy(root) {
  root.addEventListener('copy', (ev) => {
    const sel = window.getSelection();
    if (!sel || !sel.rangeCount || !ev.clipboardData) return;
    const frag = sel.getRangeAt(0).cloneContents();
    const esc = frag.querySelectorAll('.cp');
    if (!esc.length) return;
    for (const x of esc) x.replaceWith(document.createTextNode(x.dataset.raw || ''));
    ev.clipboardData.setData('text/plain', frag.textContent);
    ev.preventDefault();
  });
}

/** 0.42701… -> "0.4270"; '–' for anything that is not a finite number. */
export function fmtFixed(v, digits) {
  const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}
