// The network view: sigma.js (WebGL) over a graphology graph, with the deterministic layout
// from layout.js, account search and a details panel.

import Graph from 'graphology';
import Sigma from 'sigma';
import { NodePointProgram, EdgeLineProgram } from 'sigma/rendering';
import { computeLayout } from './layout.js';
import { h, clear, fmtInt, fmtFixed, num, nameNode, visibleText } from './dom.js';

export const PALETTE = [
  '#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf',
  '#bcbd22', '#393b79', '#ad494a', '#637939', '#8c6d31', '#0f766e', '#7b4173', '#3182bd',
  '#e6550d', '#31a354', '#756bb1', '#b5179e',
];
export const GREY = '#a3a9b1';
const DIM = '#e4e6ea';
export const EDGE_CAP = 50000;
const FAST_NODES = 20000;
const FAST_EDGES = 20000;

export function clusterColor(id) {
  const c = Number(id);
  return Number.isInteger(c) && c > 0 ? PALETTE[(c - 1) % PALETTE.length] : GREY;
}

/** `hex` mixed with white: what `hex` at opacity `a` looks like on the white stage. (Sigma's
 * WebGL blending expects premultiplied colours, so opaque pre-mixed colours are used.) */
function tint(hex, a) {
  const v = parseInt(hex.slice(1), 16);
  const mix = (c) => Math.round(c * a + 255 * (1 - a));
  return `rgb(${mix((v >> 16) & 255)},${mix((v >> 8) & 255)},${mix(v & 255)})`;
}

/** Builds the graphology graph (positions, colours, strongest EDGE_CAP edges). */
export function buildGraph(data) {
  const nodes = (data.graph && Array.isArray(data.graph.nodes) && data.graph.nodes) || [];
  const edgesIn = (data.graph && Array.isArray(data.graph.edges) && data.graph.edges) || [];
  const n = nodes.length;
  const layout = computeLayout(nodes);
  let maxScore = 0;
  for (const nd of nodes) maxScore = Math.max(maxScore, num(nd && nd.score));

  const graph = new Graph({ type: 'undirected', multi: false, allowSelfLoops: false });
  const clusterOf = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const nd = nodes[i] || {};
    const c = Number.isInteger(nd.cluster) && nd.cluster > 0 ? nd.cluster : 0;
    clusterOf[i] = c;
    // `name` is the account exactly (search); `label` is what sigma draws on the canvas and in
    // its hover tooltip, with invisible and bidi characters written visibly.
    const name = nd.id === undefined || nd.id === null ? `#${i}` : String(nd.id);
    graph.addNode(String(i), {
      x: layout.x[i],
      y: layout.y[i],
      name,
      label: visibleText(name),
      cluster: c,
      color: clusterColor(c),
      rank: maxScore > 0 ? Math.min(1, Math.max(0, num(nd.score) / maxScore)) : 0,
      size: 2,
    });
  }

  // Strongest edges first (ties by input order), skipping malformed ones.
  const valid = [];
  const weight = [];
  for (let k = 0; k < edgesIn.length; k++) {
    const e = edgesIn[k];
    if (!Array.isArray(e)) continue;
    const [a, b] = e;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a >= n || b >= n || a === b) continue;
    valid.push(k);
    weight[k] = num(e[2]);
  }
  valid.sort((p, q) => weight[q] - weight[p] || p - q);
  // Fainter lines when there are many of them.
  const many = Math.min(valid.length, EDGE_CAP) > 5000;
  const aIn = many ? 0.3 : 0.45;
  const out = tint('#6e7681', many ? 0.2 : 0.45);
  let drawn = 0;
  let capped = false;
  let maxW = 0;
  for (const k of valid) {
    if (drawn >= EDGE_CAP) {
      capped = true;
      break;
    }
    const [a, b] = edgesIn[k];
    const sa = String(a);
    const sb = String(b);
    if (graph.hasEdge(sa, sb)) continue;
    const ca = clusterOf[a];
    const cb = clusterOf[b];
    maxW = Math.max(maxW, weight[k]);
    graph.addEdge(sa, sb, {
      cs: ca,
      ct: cb,
      w: weight[k],
      color: ca > 0 && ca === cb ? tint(clusterColor(ca), aIn) : out,
      size: 0.5,
    });
    drawn++;
  }
  graph.forEachEdge((key, attr) => {
    graph.setEdgeAttribute(key, 'size', maxW > 0 ? 0.8 + 1.4 * (attr.w / maxW) : 1);
  });
  return { graph, layout, nodes, drawn, valid: valid.length, total: edgesIn.length, capped };
}

/**
 * Mounts the network section. `clusters` maps id -> cluster object; `openCard(id)` opens a
 * cluster's card. Returns the API used by the rest of the page (focusAccount, focusCluster).
 */
export function initNetwork(root, data, clusters, openCard) {
  const t0 = performance.now();
  const built = buildGraph(data);
  const { graph, layout, nodes } = built;
  const debug = (window.__lockstep = window.__lockstep || {});
  debug.graph = graph;
  debug.buildMs = performance.now() - t0;

  const status = root.querySelector('#net-status');
  const stage = root.querySelector('#net-stage');
  const info = root.querySelector('#net-info');

  const nEdges = built.total;
  status.textContent =
    `${fmtInt(graph.order)} accounts, ${fmtInt(graph.size)} edges drawn` +
    (built.capped
      ? ` — only the strongest ${fmtInt(EDGE_CAP)} of ${fmtInt(nEdges)} edges are drawn, to keep the view responsive; every edge is in edges.csv.`
      : '.');
  if (built.capped) status.classList.add('capped');

  if (graph.order === 0) {
    stage.classList.add('is-empty');
    stage.appendChild(h('p', { class: 'empty', text: 'No significant pairs, so there is no network to draw.' }));
    info.hidden = true;
    for (const el of root.querySelectorAll('.net-tools input, .net-tools button')) el.disabled = true;
    return { focusAccount() {}, focusCluster() {} };
  }

  // Node sizes in pixels: from the layout density, so a 10-node and a 100,000-node graph both
  // look right at first sight; zooming in enlarges them (sigma's sqrt zoom-to-size ratio).
  const w = stage.clientWidth || 900;
  const hgt = stage.clientHeight || 600;
  const pxPerUnit = (Math.min(w, hgt) - 40) / (2 * layout.radius);
  graph.updateEachNodeAttributes((key, a) => {
    const unit = (0.38 + 0.37 * a.rank) * pxPerUnit;
    a.size = Math.min(14, Math.max(1.3 + 2 * a.rank, unit));
    return a;
  });

  const focus = { node: null, cluster: 0 };
  const smallCluster = (c) => clusters.has(c) && clusters.get(c).members.length <= 15;

  let renderer;
  try {
    // Large graphs use the cheapest programs (one vertex per node, thin lines): a frame stays
    // fast even without a GPU. Small graphs get anti-aliased discs and weighted edges.
    const big = graph.order > FAST_NODES || graph.size > FAST_EDGES;
    renderer = new Sigma(graph, stage, {
      defaultNodeType: big ? 'point' : 'circle',
      defaultEdgeType: big ? 'thin' : 'line',
      nodeProgramClasses: { point: NodePointProgram },
      edgeProgramClasses: { thin: EdgeLineProgram },
      allowInvalidContainer: true,
      renderEdgeLabels: false,
      hideEdgesOnMove: graph.size > 20000,
      hideLabelsOnMove: graph.order > 20000,
      labelFont: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
      labelSize: 12,
      labelColor: { color: '#1f2328' },
      labelRenderedSizeThreshold: 10,
      labelDensity: 0.35,
      labelGridCellSize: 160,
      minEdgeThickness: 0.8,
      stagePadding: 20,
      minCameraRatio: 0.001,
      maxCameraRatio: 4,
      nodeReducer: (key, a) => {
        if (focus.node === null && !focus.cluster) return a;
        const r = { ...a };
        if (key === focus.node) {
          r.highlighted = true;
          r.forceLabel = true;
          r.size = a.size * 1.6 + 4;
        } else if (focus.cluster && a.cluster !== focus.cluster) {
          r.color = DIM;
          r.label = null;
        } else if (focus.cluster) {
          if (smallCluster(focus.cluster)) r.forceLabel = true;
        }
        return r;
      },
      edgeReducer: (key, a) => {
        if (!focus.cluster) return a;
        if (a.cs === focus.cluster || a.ct === focus.cluster) return a;
        return { ...a, hidden: true };
      },
    });
  } catch (err) {
    clear(stage);
    stage.appendChild(
      h('p', {
        class: 'empty',
        text: 'This browser could not start WebGL, so the network view is unavailable. Every table on this page is complete without it.',
      }),
    );
    return { focusAccount() {}, focusCluster() {} };
  }
  debug.sigma = renderer;
  // Sigma draws synchronously in its constructor; the frame after it is on screen.
  debug.renderedMs = performance.now();
  requestAnimationFrame(() => {
    debug.firstRenderMs = performance.now();
  });

  const camera = renderer.getCamera();
  const fullExtent = 2 * layout.radius;
  const ratioFor = (units) => Math.min(1, Math.max(0.002, units / fullExtent));

  function moveTo(key, ratio) {
    const d = renderer.getNodeDisplayData(key);
    if (d) camera.animate({ x: d.x, y: d.y, ratio }, { duration: 450 });
  }

  function showInfo(idx) {
    clear(info);
    if (idx === null) {
      info.appendChild(h('p', { class: 'muted', text: 'Click a node or search for an account to see its cluster.' }));
      return;
    }
    const nd = nodes[idx] || {};
    const c = graph.getNodeAttribute(String(idx), 'cluster');
    const name = graph.getNodeAttribute(String(idx), 'name');
    info.appendChild(h('div', { class: 'net-account' }, h('span', { class: 'k', text: 'Account' }), h('strong', null, nameNode(name))));
    if (c > 0) {
      const cl = clusters.get(c);
      const sw = h('span', { class: 'swatch' });
      sw.style.background = clusterColor(c);
      info.appendChild(
        h(
          'div',
          { class: 'net-cluster', id: 'net-cluster' },
          sw,
          h('strong', { text: `Cluster ${c}` }),
          cl ? ` — ${fmtInt(cl.size)} accounts, score ${fmtFixed(cl.score, 4)}` : ' (not among the reported clusters)',
        ),
      );
      if (cl) {
        info.appendChild(
          h('button', { type: 'button', class: 'link-btn', text: `Open the card of cluster ${c}`, onclick: () => openCard(c, true) }),
        );
      }
    } else {
      info.appendChild(h('div', { class: 'net-cluster', id: 'net-cluster', text: 'Not in any cluster.' }));
    }
    if (nd.score !== undefined) info.appendChild(h('div', { class: 'muted', text: `Account score ${fmtFixed(nd.score, 4)}` }));
  }

  function select(idx, moveCamera) {
    focus.node = String(idx);
    focus.cluster = graph.getNodeAttribute(focus.node, 'cluster');
    renderer.refresh();
    showInfo(idx);
    if (moveCamera) {
      const disc = focus.cluster ? layout.discs.get(focus.cluster) : null;
      moveTo(focus.node, ratioFor(disc ? disc.r * 3.2 : 24));
    }
  }

  function reset() {
    focus.node = null;
    focus.cluster = 0;
    renderer.refresh();
    showInfo(null);
    camera.animate({ x: 0.5, y: 0.5, ratio: 1, angle: 0 }, { duration: 400 });
  }

  renderer.on('clickNode', ({ node }) => select(Number(node), false));

  // Search: exact (case-sensitive, then case-insensitive), else prefix, alphabetical.
  const names = [];
  const lower = [];
  graph.forEachNode((key, a) => {
    names[Number(key)] = a.name;
    lower[Number(key)] = a.name.toLowerCase();
  });
  const exact = new Map();
  for (let i = names.length - 1; i >= 0; i--) exact.set(names[i], i);
  function find(q, limit) {
    const ql = q.toLowerCase();
    const hits = [];
    const e = exact.get(q);
    if (e !== undefined) hits.push(e);
    for (let i = 0; i < lower.length; i++) {
      if (i !== e && lower[i].startsWith(ql)) hits.push(i);
    }
    const rest = hits.slice(e !== undefined ? 1 : 0);
    rest.sort((a, b) => {
      const ea = lower[a] === ql ? 0 : 1;
      const eb = lower[b] === ql ? 0 : 1;
      return ea - eb || (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : a - b);
    });
    const all = e !== undefined ? [e, ...rest] : rest;
    return { total: all.length, top: all.slice(0, limit) };
  }

  const input = root.querySelector('#account-search');
  const suggest = root.querySelector('#search-suggest');
  const msg = root.querySelector('#search-msg');
  function renderSuggestions() {
    clear(suggest);
    const q = input.value.trim();
    if (!q) {
      suggest.hidden = true;
      return;
    }
    const { total, top } = find(q, 8);
    for (const i of top) {
      suggest.appendChild(
        h('li', null, h('button', { type: 'button', onclick: () => choose(i) }, nameNode(names[i]))),
      );
    }
    if (total > top.length) suggest.appendChild(h('li', { class: 'more', text: `…and ${fmtInt(total - top.length)} more` }));
    suggest.hidden = top.length === 0;
  }
  function choose(i) {
    clearTimeout(timer);
    input.value = names[i];
    suggest.hidden = true;
    msg.textContent = '';
    select(i, true);
  }
  function submit() {
    const q = input.value.trim();
    if (!q) return;
    const { total, top } = find(q, 1);
    if (!total) {
      suggest.hidden = true;
      msg.textContent = `No account named or starting with “${visibleText(q)}”.`;
      return;
    }
    choose(top[0]);
    if (total > 1 && names[top[0]] !== q) msg.textContent = `${fmtInt(total)} accounts start with “${visibleText(q)}”; showing ${visibleText(names[top[0]])}.`;
  }
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(renderSuggestions, graph.order > 20000 ? 150 : 0);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      submit();
    } else if (ev.key === 'Escape') {
      suggest.hidden = true;
    }
  });
  root.querySelector('#search-go').addEventListener('click', submit);
  root.querySelector('#net-reset').addEventListener('click', () => {
    input.value = '';
    msg.textContent = '';
    suggest.hidden = true;
    reset();
  });
  root.querySelector('#net-zoom-in').addEventListener('click', () => camera.animatedZoom({ duration: 250 }));
  root.querySelector('#net-zoom-out').addEventListener('click', () => camera.animatedUnzoom({ duration: 250 }));
  showInfo(null);

  const api = {
    focusAccount(name) {
      const i = exact.get(name);
      if (i === undefined) return false;
      input.value = name;
      choose(i);
      return true;
    },
    focusCluster(id) {
      const disc = layout.discs.get(id);
      if (!disc) return false;
      focus.node = null;
      focus.cluster = id;
      renderer.refresh();
      clear(info);
      const cl = clusters.get(id);
      const sw = h('span', { class: 'swatch' });
      sw.style.background = clusterColor(id);
      info.appendChild(
        h('div', { class: 'net-cluster', id: 'net-cluster' }, sw, h('strong', { text: `Cluster ${id}` }),
          cl ? ` — ${fmtInt(cl.size)} accounts, score ${fmtFixed(cl.score, 4)}` : ''),
      );
      info.appendChild(h('p', { class: 'muted', text: 'Other clusters are greyed out. Click a node to see the account; “Reset view” shows everything.' }));
      const pt = renderer.graphToViewport({ x: disc.x, y: disc.y });
      const fg = renderer.viewportToFramedGraph(pt);
      camera.animate({ x: fg.x, y: fg.y, ratio: ratioFor(disc.r * 3.2) }, { duration: 450 });
      return true;
    },
  };
  debug.focusAccount = api.focusAccount;
  return api;
}
