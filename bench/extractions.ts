/**
 * The two ways of getting a verbatim checkpoint's `untypedDeployment` bytes that benchmark 2
 * compares: the naive parse round trip (baseline) and Fulmar's byte scanner.
 */
import { rawTopLevelValue } from '../src/domain/raw-json.js';

/** Baseline: parse the whole body, re-serialize the member (bytes may differ from those sent). */
export function extractNaive(body: Buffer): Buffer {
  const parsed = JSON.parse(body.toString('utf8')) as { untypedDeployment: unknown };
  return Buffer.from(JSON.stringify(parsed.untypedDeployment));
}

/** Candidate: validate and locate the member in place; the result is a view into `body`. */
export function extractScan(body: Buffer): Buffer {
  const raw = rawTopLevelValue(body, 'untypedDeployment');
  if (!raw) throw new Error('no untypedDeployment in the body');
  return raw;
}
