/**
 * Reconstruction of `PATCH …/checkpointdelta` bodies (docs/protocol.md#delta-checkpoints).
 *
 * The CLI diffs the previous deployment text against the new one and sends text edits whose
 * `Span.start.offset` / `Span.end.offset` are UTF-8 *byte* offsets into the previous text
 * (pkg/backend/httpstate/diffs.go); `line`, `column` and `uri` carry nothing. Working on JS
 * strings would turn those into UTF-16 indices and corrupt any document with non-ASCII text, so
 * the base stays a Buffer and the output is assembled from slices of it.
 */
import { createHash } from 'node:crypto';
import { badRequest } from './errors.js';

/** One edit as the CLI sends it; fields other than the offsets and NewText are ignored. */
export interface TextEdit {
  Span: { start: { offset: number }; end: { offset: number } };
  NewText: string;
}

/** Lowercase hex SHA-256 of the bytes, the form of the CLI's `checkpointHash`. */
export function sha256Hex(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Reads and checks one edit's offsets and text, whatever JSON value it came from. */
function readEdit(value: unknown, index: number): { start: number; end: number; text: string } {
  const fail = (why: string): never => {
    throw badRequest(`invalid checkpoint delta: edit ${index} ${why}`);
  };
  if (typeof value !== 'object' || value === null) return fail('is not an object');
  const { Span: span, NewText: text } = value as { Span?: unknown; NewText?: unknown };
  if (typeof span !== 'object' || span === null) return fail('has no Span');
  const offsetOf = (side: 'start' | 'end'): number => {
    const pos = (span as Record<string, unknown>)[side];
    const offset = typeof pos === 'object' && pos !== null ? (pos as { offset?: unknown }).offset : undefined;
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      return fail(`has no valid Span.${side}.offset`);
    }
    return offset;
  };
  const start = offsetOf('start');
  const end = offsetOf('end');
  // Go omits nothing here, but an absent NewText can only mean "delete".
  if (text !== undefined && typeof text !== 'string') return fail('has a NewText that is not a string');
  return { start, end, text: text ?? '' };
}

/**
 * Applies byte-offset edits to `base`: each replaces the half-open range `[start, end)` (an
 * insertion when start == end). Edits must be sorted by start and must not overlap; an edit may
 * start exactly where the previous one ended. Anything else throws badRequest.
 */
export function applyDelta(base: Buffer, edits: readonly TextEdit[] | unknown): Buffer {
  if (!Array.isArray(edits)) throw badRequest('invalid checkpoint delta: deploymentDelta must be a JSON array');
  const pieces: Buffer[] = [];
  let cursor = 0;
  edits.forEach((value: unknown, index) => {
    const { start, end, text } = readEdit(value, index);
    if (end < start) {
      throw badRequest(`invalid checkpoint delta: edit ${index} ends (${end}) before it starts (${start})`);
    }
    if (end > base.length) {
      throw badRequest(
        `invalid checkpoint delta: edit ${index} span [${start}, ${end}) is outside the ${base.length}-byte baseline`,
      );
    }
    if (start < cursor) {
      throw badRequest(
        `invalid checkpoint delta: edit ${index} at byte ${start} overlaps or precedes the previous edit (ending at ${cursor})`,
      );
    }
    if (start > cursor) pieces.push(base.subarray(cursor, start));
    if (text.length > 0) pieces.push(Buffer.from(text, 'utf8'));
    cursor = end;
  });
  if (cursor < base.length) pieces.push(base.subarray(cursor));
  return Buffer.concat(pieces);
}

/**
 * Applies `delta` (the request's `deploymentDelta`, already JSON-parsed) to the stored text of
 * the previous save and checks the result against the CLI's `checkpointHash`. Every failure is a
 * 400: the CLI then resends the whole document verbatim with the same sequence number
 * (pkg/backend/httpstate/snapshot.go).
 */
export function reconstructCheckpoint(base: Buffer, delta: readonly TextEdit[] | unknown, expectedHash: string): Buffer {
  if (typeof expectedHash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(expectedHash)) {
    throw badRequest('invalid checkpoint delta: checkpointHash must be a hex SHA-256 digest');
  }
  const output = applyDelta(base, delta);
  const actual = sha256Hex(output);
  if (actual !== expectedHash.toLowerCase()) {
    throw badRequest(`checkpoint hash mismatch: expected ${expectedHash.toLowerCase()}, reconstructed ${actual}`);
  }
  return output;
}
