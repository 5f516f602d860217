/**
 * Finds the exact bytes of a top-level value inside a JSON object without parsing it.
 *
 * `PATCH …/checkpointverbatim` carries the deployment as raw JSON that must be stored byte for
 * byte, because later deltas address it by UTF-8 byte offsets
 * (docs/protocol.md#verbatim-checkpoints). JSON.parse + stringify would change escaping and number
 * formatting, and costs a lot for bodies of tens of MB, so this module scans the bytes once,
 * validating the full JSON grammar (RFC 8259) as it goes, and allocates nothing per character.
 */
import { isUtf8 } from 'node:buffer';
import { badRequest } from './errors.js';

/** Half-open byte range `[start, end)`. */
export interface ByteSpan {
  start: number;
  end: number;
}

// Go's encoding/json refuses nesting deeper than 10000 (top-level object included); nothing
// legitimate comes close. Callers may ask for less (src/domain/deployment-check.ts).
export const MAX_DEPTH = 10_000;

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const ZERO = 0x30;
const ONE = 0x31;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LOWER_B = 0x62;
const LOWER_E = 0x65;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;
const LOWER_R = 0x72;
const LOWER_T = 0x74;
const LOWER_U = 0x75;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

const IN_OBJECT = 1;
const IN_ARRAY = 2;

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

// Reads use `buf[pos]!`: past the end a typed array yields undefined, which equals no byte
// and fails every range test, so the "unexpected byte" branch reports truncation naturally.

function fail(buf: Buffer, pos: number, expected: string): never {
  const where = pos >= buf.length ? 'end of input' : `byte ${pos}`;
  throw badRequest(`malformed JSON at ${where}: expected ${expected}`);
}

const isDigit = (c: number) => c >= ZERO && c <= NINE;

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

function skipWhitespace(buf: Buffer, pos: number): number {
  for (;;) {
    const c = buf[pos]!;
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) return pos;
    pos++;
  }
}

/** `pos` is at the opening quote; returns the index just past the closing quote. */
function skipString(buf: Buffer, pos: number): number {
  const n = buf.length;
  pos++;
  for (;;) {
    if (pos >= n) fail(buf, pos, 'closing \'"\' of a string');
    const c = buf[pos]!;
    if (c === QUOTE) return pos + 1;
    if (c === BACKSLASH) {
      const e = buf[pos + 1]!;
      if (e === LOWER_U) {
        for (let i = 2; i < 6; i++) if (!isHex(buf[pos + i]!)) fail(buf, pos + i, 'a hex digit in a \\u escape');
        pos += 6;
      } else if (
        e === QUOTE || e === BACKSLASH || e === SLASH || e === LOWER_B ||
        e === LOWER_F || e === LOWER_N || e === LOWER_R || e === LOWER_T
      ) {
        pos += 2;
      } else {
        fail(buf, pos + 1, 'a valid escape character');
      }
    } else if (c < SPACE) {
      fail(buf, pos, 'no raw control character inside a string');
    } else {
      // Multi-byte UTF-8 sequences only contain bytes >= 0x80, so they never look like `"` or `\`.
      pos++;
    }
  }
}

function skipDigits(buf: Buffer, pos: number): number {
  if (!isDigit(buf[pos]!)) fail(buf, pos, 'a digit');
  do pos++;
  while (isDigit(buf[pos]!));
  return pos;
}

function skipNumber(buf: Buffer, pos: number): number {
  if (buf[pos] === MINUS) pos++;
  const first = buf[pos]!;
  if (first === ZERO) pos++;
  else if (first >= ONE && first <= NINE) pos = skipDigits(buf, pos);
  else fail(buf, pos, 'a digit');
  if (buf[pos] === DOT) pos = skipDigits(buf, pos + 1);
  if (buf[pos] === LOWER_E || buf[pos] === UPPER_E) {
    pos++;
    if (buf[pos] === PLUS || buf[pos] === MINUS) pos++;
    pos = skipDigits(buf, pos);
  }
  return pos;
}

function skipLiteral(buf: Buffer, pos: number, literal: Buffer): number {
  for (let i = 0; i < literal.length; i++) {
    if (buf[pos + i] !== literal[i]) fail(buf, pos + i, `the literal "${literal.toString()}"`);
  }
  return pos + literal.length;
}

/** `pos` is at a member's key; returns the position of its value (whitespace skipped). */
function skipKeyAndColon(buf: Buffer, pos: number): number {
  if (buf[pos] !== QUOTE) fail(buf, pos, 'a string key');
  pos = skipWhitespace(buf, skipString(buf, pos));
  if (buf[pos] !== COLON) fail(buf, pos, "':'");
  return skipWhitespace(buf, pos + 1);
}

/**
 * `pos` is at the first byte of a value; returns the index just past it. Iterative, with the
 * caller's `stack` (one byte per allowed level) of open containers, so deep nesting cannot
 * overflow.
 */
function skipValue(buf: Buffer, pos: number, stack: Uint8Array): number {
  const maxDepth = stack.length;
  let depth = 0;
  for (;;) {
    // Expecting a value at `pos`.
    const c = buf[pos]!;
    if (c === LBRACE || c === LBRACKET) {
      // +1 for this container, +1 for the enclosing top-level object.
      if (depth + 2 > maxDepth) fail(buf, pos, `nesting no deeper than ${maxDepth}`);
      const close = c === LBRACE ? RBRACE : RBRACKET;
      pos = skipWhitespace(buf, pos + 1);
      if (buf[pos] === close) {
        pos++;
      } else {
        stack[depth++] = c === LBRACE ? IN_OBJECT : IN_ARRAY;
        if (c === LBRACE) pos = skipKeyAndColon(buf, pos);
        continue;
      }
    } else if (c === QUOTE) {
      pos = skipString(buf, pos);
    } else if (c === MINUS || isDigit(c)) {
      pos = skipNumber(buf, pos);
    } else if (c === LOWER_T) {
      pos = skipLiteral(buf, pos, TRUE);
    } else if (c === LOWER_F) {
      pos = skipLiteral(buf, pos, FALSE);
    } else if (c === LOWER_N) {
      pos = skipLiteral(buf, pos, NULL);
    } else {
      fail(buf, pos, 'a JSON value');
    }
    // A value just ended: close finished containers, or step to the next element.
    for (;;) {
      if (depth === 0) return pos;
      pos = skipWhitespace(buf, pos);
      const inObject = stack[depth - 1] === IN_OBJECT;
      const d = buf[pos];
      if (d === COMMA) {
        pos = skipWhitespace(buf, pos + 1);
        if (inObject) pos = skipKeyAndColon(buf, pos);
        break;
      }
      if (d === (inObject ? RBRACE : RBRACKET)) {
        depth--;
        pos++;
        continue;
      }
      fail(buf, pos, inObject ? "',' or '}'" : "',' or ']'");
    }
  }
}

/** Compares a raw key token `"…"` at [start, end) with `key`, decoding escapes only if present. */
function keyEquals(buf: Buffer, start: number, end: number, key: string, keyBytes: Buffer): boolean {
  const inner = buf.subarray(start + 1, end - 1);
  if (inner.indexOf(BACKSLASH) < 0) return inner.equals(keyBytes);
  // Rare: an escaped key such as "versi\u006fn". The token is already validated, so this parses.
  return JSON.parse(buf.toString('utf8', start, end)) === key;
}

/**
 * The byte span of the value of top-level member `key` of the JSON object in `buf`, or undefined
 * if the object has no such member. The whole document is validated; malformed JSON, invalid
 * UTF-8, nesting deeper than `maxDepth` or a top-level value that is not an object throw
 * badRequest. With duplicate keys the last one wins, as with JSON.parse.
 */
export function topLevelValueSpan(buf: Buffer, key: string, maxDepth = MAX_DEPTH): ByteSpan | undefined {
  return topLevelValueSpans(buf, [key], maxDepth).get(key);
}

/** topLevelValueSpan for several keys in one pass over the document. */
export function topLevelValueSpans(buf: Buffer, keys: readonly string[], maxDepth = MAX_DEPTH): Map<string, ByteSpan> {
  if (!isUtf8(buf)) throw badRequest('malformed JSON: the body is not valid UTF-8');
  const wanted = keys.map((key) => ({ key, bytes: Buffer.from(key, 'utf8') }));
  const stack = new Uint8Array(Math.min(maxDepth, MAX_DEPTH));
  const found = new Map<string, ByteSpan>();
  let pos = skipWhitespace(buf, 0);
  if (buf[pos] !== LBRACE) fail(buf, pos, "a JSON object ('{')");
  pos = skipWhitespace(buf, pos + 1);
  if (buf[pos] === RBRACE) {
    pos++;
  } else {
    for (;;) {
      if (buf[pos] !== QUOTE) fail(buf, pos, 'a string key');
      const keyStart = pos;
      const keyEnd = skipString(buf, pos);
      pos = skipWhitespace(buf, keyEnd);
      if (buf[pos] !== COLON) fail(buf, pos, "':'");
      const valueStart = skipWhitespace(buf, pos + 1);
      pos = skipValue(buf, valueStart, stack);
      for (const w of wanted) {
        if (keyEquals(buf, keyStart, keyEnd, w.key, w.bytes)) found.set(w.key, { start: valueStart, end: pos });
      }
      pos = skipWhitespace(buf, pos);
      if (buf[pos] === COMMA) {
        pos = skipWhitespace(buf, pos + 1);
        continue;
      }
      if (buf[pos] === RBRACE) {
        pos++;
        break;
      }
      fail(buf, pos, "',' or '}'");
    }
  }
  pos = skipWhitespace(buf, pos);
  if (pos !== buf.length) fail(buf, pos, 'end of input after the object');
  return found;
}

/**
 * The raw bytes of top-level member `key` (see topLevelValueSpan). Returns a view into `buf`,
 * not a copy: retaining it retains the whole body, which is what storing it verbatim needs.
 */
export function rawTopLevelValue(buf: Buffer, key: string): Buffer | undefined {
  const span = topLevelValueSpan(buf, key);
  return span === undefined ? undefined : buf.subarray(span.start, span.end);
}
