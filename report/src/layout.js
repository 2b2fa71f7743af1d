// Deterministic, simulation-free layout: instant for 100,000 nodes.
//
// Clusters are discs (area proportional to size) packed in concentric rings, largest in the
// centre; members sit on a sunflower (phyllotaxis) spiral inside their disc, highest score in
// the middle; accounts outside any cluster fill an outer annulus the same way. Positions are
// in "units": neighbouring nodes are about 1.8 units apart.

const GOLDEN = Math.PI * (3 - Math.sqrt(5));
const GAP = 3; // between cluster discs
const LOOSE_AREA = 1.6; // area per unclustered node, relative to a clustered one

/**
 * @param {{cluster?: number, score?: number}[]} nodes
 * @returns {{x: Float64Array, y: Float64Array, discs: Map<number, {x:number,y:number,r:number}>, radius: number}}
 */
export function computeLayout(nodes) {
  const n = nodes.length;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const score = new Float64Array(n);
  const groups = new Map();
  const loose = [];
  for (let i = 0; i < n; i++) {
    const nd = nodes[i] || {};
    const sc = Number(nd.score);
    score[i] = Number.isFinite(sc) ? sc : 0;
    const c = Number(nd.cluster);
    if (Number.isInteger(c) && c > 0) {
      let g = groups.get(c);
      if (!g) groups.set(c, (g = []));
      g.push(i);
    } else {
      loose.push(i);
    }
  }
  const byScore = (a, b) => score[b] - score[a] || a - b;

  const clusters = [];
  for (const [id, members] of groups) clusters.push({ id, members, r: Math.sqrt(members.length) + 0.6 });
  clusters.sort((a, b) => b.members.length - a.members.length || a.id - b.id);

  // Ring packing. Every disc of a ring is no larger than the first one, so a ring at radius R
  // whose first disc has radius r0 ends at R + r0; the next ring starts beyond that.
  let outer = 0; // outer radius of everything placed in closed rings
  let ring = null;
  const closeRing = () => {
    if (!ring) return;
    const slack = Math.max(0, 2 * Math.PI - ring.used) / ring.items.length;
    let t = ring.start;
    for (const it of ring.items) {
      const a = t + it.half + slack / 2;
      it.c.x = ring.R * Math.cos(a);
      it.c.y = ring.R * Math.sin(a);
      t += 2 * it.half + slack;
    }
    outer = ring.R + ring.items[0].c.r;
    ring = null;
  };
  let ringNo = 0;
  clusters.forEach((c, k) => {
    if (k === 0) {
      c.x = 0;
      c.y = 0;
      outer = c.r;
      return;
    }
    for (;;) {
      if (!ring) {
        ringNo++;
        ring = { R: outer + GAP + c.r, used: 0, items: [], start: -Math.PI / 2 + ringNo * 0.7 };
      }
      const half = Math.asin(Math.min(1, (c.r + GAP / 2) / ring.R));
      if (ring.items.length > 0 && ring.used + 2 * half > 2 * Math.PI + 1e-9) {
        closeRing();
        continue;
      }
      ring.items.push({ c, half });
      ring.used += 2 * half;
      return;
    }
  });
  closeRing();

  const discs = new Map();
  let radius = 0;
  for (const c of clusters) {
    c.members.sort(byScore);
    const m = c.members;
    for (let j = 0; j < m.length; j++) {
      const rr = Math.sqrt(j + 0.5);
      const a = j * GOLDEN;
      x[m[j]] = c.x + rr * Math.cos(a);
      y[m[j]] = c.y + rr * Math.sin(a);
    }
    discs.set(c.id, { x: c.x, y: c.y, r: c.r });
    radius = Math.max(radius, Math.hypot(c.x, c.y) + c.r);
  }

  // Unclustered accounts: an annulus around everything else.
  if (loose.length) {
    loose.sort(byScore);
    const rin = clusters.length ? radius + 2 * GAP : 0;
    for (let j = 0; j < loose.length; j++) {
      const rr = Math.sqrt(rin * rin + (j + 0.5) * LOOSE_AREA);
      const a = j * GOLDEN;
      x[loose[j]] = rr * Math.cos(a);
      y[loose[j]] = rr * Math.sin(a);
    }
    radius = Math.sqrt(rin * rin + loose.length * LOOSE_AREA);
  }
  return { x, y, discs, radius: Math.max(radius, 1) };
}
