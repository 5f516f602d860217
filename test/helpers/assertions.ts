/** Small helpers shared by the unit and API tests. */
import { expect } from 'chai';
import { isFulmarError } from '../../src/domain/errors.js';

/** Asserts that `fn` throws a bad-request FulmarError whose message matches `pattern`. */
export function expectBadRequest(fn: () => unknown, pattern: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isFulmarError(thrown, 'bad-request'), `expected bad-request, got ${String(thrown)}`).to.equal(true);
  expect((thrown as Error).message).to.match(pattern);
}

/** Small deterministic PRNG (mulberry32), so failures of randomized tests are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An HTTP answer as the API clients of test/helpers/api.ts return it. */
export type ApiAnswer = { status: number; body: { code?: number; message?: string }; text: string };

/** The answer is exactly Pulumi's error shape, `{code, message}`, with this status and message. */
export function expectError(res: ApiAnswer, status: number, message: string): void {
  expect(res.status, res.text).to.equal(status);
  expect(res.body).to.deep.equal({ code: status, message });
}
