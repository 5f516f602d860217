import { expect } from 'chai';
import { checkDeployment, MAX_DEPLOYMENT_DEPTH } from '../../src/domain/deployment-check.js';
import { expectBadRequest } from '../helpers/assertions.js';

const check = (text: string) => () => checkDeployment(Buffer.from(text), 'import');
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('checkDeployment', () => {
  it('accepts every schema version the CLI reads, with resources an array, null or absent', () => {
    for (const v of [1, 2, 3, 4]) check(`{"version":${v},"deployment":{"resources":[]}}`)();
    check('{"version":3,"deployment":{"resources":null}}')();
    check('{"version":3,"deployment":{}}')();
    check(' {"features":["x"], "deployment" : {"manifest":{},"resources":[{"urn":"u"}]}, "version" : 3 } ')();
  });

  it('rejects a version that is missing, out of range or not an integer literal', () => {
    for (const v of ['', '"version":0,', '"version":5,', '"version":3.0,', '"version":"3",', '"version":null,', '"version":-1,']) {
      expectBadRequest(check(`{${v}"deployment":{"resources":[]}}`), /invalid import: "version" must be an integer from 1 to 4/);
    }
  });

  it('rejects a deployment that is missing, null, a string, a number or an array', () => {
    for (const d of ['', ',"deployment":null', ',"deployment":"garbage"', ',"deployment":42', ',"deployment":[]']) {
      expectBadRequest(check(`{"version":3${d}}`), /"deployment" must be a JSON object/);
    }
  });

  it('rejects resources that are neither an array nor null', () => {
    for (const r of ['"x"', '{}', '1', 'true']) {
      expectBadRequest(check(`{"version":3,"deployment":{"resources":${r}}}`), /"deployment.resources" must be an array or null/);
    }
  });

  it('rejects what is not a JSON object, or not JSON at all', () => {
    for (const text of ['42', '"s"', 'null', '[]', '', '{"version":3,', '{"version":3,"deployment":{}} x']) {
      expectBadRequest(check(text), /malformed JSON/);
    }
  });

  it('bounds the nesting depth without recursing (5,000 and 1,000,000 levels are a 400, not a crash)', () => {
    const at = (depth: number) => `{"version":3,"deployment":{"resources":[],"x":${nested(depth)}}}`;
    // The top-level object and `deployment` are two levels.
    check(at(MAX_DEPLOYMENT_DEPTH - 2))();
    expectBadRequest(check(at(MAX_DEPLOYMENT_DEPTH - 1)), /nesting no deeper than 1000/);
    expectBadRequest(check(at(5_000)), /nesting no deeper than/);
    expectBadRequest(check(at(1_000_000)), /nesting no deeper than/);
  });

  it('never changes the bytes it checks', () => {
    const raw = Buffer.from('{"version":3,"deployment":{"resources":[{"n":1.50,"s":"\\u00e9"}]}}');
    const copy = Buffer.from(raw);
    checkDeployment(raw);
    expect(raw.equals(copy)).to.equal(true);
  });
});
