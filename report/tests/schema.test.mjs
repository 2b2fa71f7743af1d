// The data the page reads follows its published contract, schemas/report-data.schema.json:
// every committed fixture, the generated large case, and the data of the report lockstep itself
// wrote in report/test.sh (tests/out/simulated.html). A fixture that breaks the contract fails
// here with the validator's message, and data that breaks it on purpose is rejected.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OUT, embeddedData } from './helpers.mjs';
import { schemaErrors, SCHEMA_PATH } from './schema.mjs';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const read = (path) => JSON.parse(readFileSync(path, 'utf8'));

function assertValid(data, what) {
  const errors = schemaErrors(data);
  assert.equal(errors, null, `${what} does not follow ${SCHEMA_PATH}:\n${errors}`);
}

test('schema: the schema is draft 2020-12 and compiles in strict mode', () => {
  assert.equal(read(SCHEMA_PATH).$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(schemaErrors(read(join(FIXTURES, 'empty.json'))), null);
});

// Detection reports only: an infrastructure report (`kind: "infra"`, lockstep infra) has a
// shape of its own (crates/infra/README.md).
for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith('.json')).sort()) {
  if (read(join(FIXTURES, f)).kind === 'infra') continue;
  test(`schema: fixture ${f} follows the schema`, () => assertValid(read(join(FIXTURES, f)), `fixtures/${f}`));
}

test('schema: the generated large fixture follows the schema', () => assertValid(read(join(OUT, 'large.json')), 'tests/out/large.json'));

test('schema: the data lockstep embedded in simulated.html follows the schema', () => {
  const data = embeddedData('simulated');
  assertValid(data, 'simulated.html');
  assert.ok(data.clusters.length > 0);
});

// Each mutation breaks the contract in one way the old page shape (or a typo) would.
const MUTATIONS = [
  ['score as a string', (d) => { d.clusters[0].score = '0.9412'; }, '/clusters/0/score must be number'],
  ['density as a string', (d) => { d.clusters[0].density = '1.0000'; }, '/clusters/0/density must be number'],
  ['median gap as a string', (d) => { d.clusters[0].median_gap_s = '8.0'; }, '/clusters/0/median_gap_s must be number'],
  ['a signal as a bare string', (d) => { d.clusters[0].signals[0] = 'co-acted'; }, '/clusters/0/signals/0 must be object'],
  ['a signal without its text', (d) => { delete d.clusters[0].signals[0].text; }, "must have required property 'text'"],
  ['activation without its share', (d) => { delete d.clusters[0].activation.share; }, "/clusters/0/activation must have required property 'share'"],
  ['a negative count', (d) => { d.summary.counts.accounts = -1; }, '/summary/counts/accounts must be >= 0'],
  ['a fractional post count', (d) => { d.clusters[0].timeline[0][1] = 1.5; }, '/clusters/0/timeline/0/1 must be integer'],
  ['a graph edge of two items', (d) => { d.graph.edges[0] = [0, 1]; }, '/graph/edges/0 must NOT have fewer than 3 items'],
  ['no members', (d) => { delete d.clusters[0].members; }, "/clusters/0 must have required property 'members'"],
  ['targets that are not a list', (d) => { d.clusters[0].targets = {}; }, '/clusters/0/targets must be array'],
];
for (const [what, mutate, message] of MUTATIONS) {
  test(`schema: a case fixture with ${what} is rejected`, () => {
    const data = read(join(FIXTURES, 'case.json'));
    assertValid(data, 'fixtures/case.json');
    mutate(data);
    const errors = schemaErrors(data);
    assert.notEqual(errors, null, `${what} was accepted`);
    assert.ok(errors.includes(message), `expected "${message}" in:\n${errors}`);
  });
}
