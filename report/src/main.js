// lockstep case report (report.html): reads the JSON embedded in
// <script id="lockstep-data" type="application/json"> and renders the page (page.js).
// Self-contained: no network loads.

import { h, append } from './dom.js';
import { renderReport } from './page.js';

export { EDGE_CAP } from './network.js';

const app = document.getElementById('app') || document.body.appendChild(h('div', { id: 'app' }));

const marks = ((window.__lockstep = window.__lockstep || {}).marks = { start: performance.now() });

function readData() {
  const tag = document.getElementById('lockstep-data');
  if (!tag) throw new Error('the report has no data block');
  const d = JSON.parse(tag.textContent);
  if (!d || typeof d !== 'object') throw new Error('the data block is not a JSON object');
  return d;
}

let data;
try {
  data = readData();
} catch (err) {
  append(app, [
    h('div', { class: 'fatal' },
      h('h1', { text: 'This report could not be read' }),
      h('p', { text: `The embedded data is damaged (${err.message}). Re-run lockstep detect, or open the CSV/JSON files in the case folder.` })),
  ]);
}
marks.parsed = performance.now();
if (data) renderReport(app, data);
marks.page = performance.now();
