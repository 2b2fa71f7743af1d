// The report data's contract: schemas/report-data.schema.json (draft 2020-12, written by
// schemars from lockstep's Rust types), checked with Ajv in strict mode.

import Ajv2020 from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCHEMA_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas', 'report-data.schema.json');

// schemars names the Rust numeric type in `format`; Ajv knows none of these, so each gets a
// check of what the type can hold (integers above 2^53 are not exact in JSON anyway).
const uint = (max) => ({ type: 'number', validate: (x) => Number.isInteger(x) && x >= 0 && x <= max });
const FORMATS = {
  double: { type: 'number', validate: (x) => Number.isFinite(x) },
  float: { type: 'number', validate: (x) => Number.isFinite(x) },
  uint8: uint(0xff),
  uint16: uint(0xffff),
  uint32: uint(0xffffffff),
  uint64: uint(Number.MAX_SAFE_INTEGER),
  uint: uint(Number.MAX_SAFE_INTEGER),
};

let validate;
/** The compiled validator (strict: an unknown keyword or format in the schema is an error). */
export function validator() {
  if (!validate) {
    const ajv = new Ajv2020({ strict: true, allErrors: true, formats: FORMATS });
    validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')));
  }
  return validate;
}

/** null when `data` follows the schema, else Ajv's messages, one per line. */
export function schemaErrors(data) {
  const v = validator();
  if (v(data)) return null;
  const lines = v.errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''}`);
  return [...new Set(lines)].join('\n');
}
