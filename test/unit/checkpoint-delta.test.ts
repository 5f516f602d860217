import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { applyDelta, reconstructCheckpoint, sha256Hex, type TextEdit } from '../../src/domain/checkpoint-delta.js';
import { expectBadRequest, prng } from '../helpers/assertions.js';

const b = (text: string) => Buffer.from(text, 'utf8');

/** An edit as the CLI would send it, with line/column/uri noise that must be ignored. */
function edit(start: number, end: number, NewText: string): TextEdit {
  return {
    Span: { uri: 'ignored', start: { line: 99, column: 7, offset: start }, end: { line: 1, column: 1, offset: end } },
    NewText,
  } as TextEdit;
}

/** Byte offset of `needle` in `hay`, located on the bytes (never via string indices). */
function at(hay: Buffer, needle: string, from = 0): number {
  const i = hay.indexOf(b(needle), from);
  if (i < 0) throw new Error(`test setup: ${needle} not found`);
  return i;
}


// A deployment whose stack, project and outputs are full of multi-byte characters, so any
// confusion between UTF-16 string indices and UTF-8 byte offsets lands the edit elsewhere.
const BASE_TEXT =
  '{"version":3,"deployment":{"manifest":{"time":"2024-05-01T10:00:00Z","magic":"m","version":"v3.100.0"},' +
  '"resources":[{"urn":"urn:pulumi:dév::prøjekt::pulumi:pulumi:Stack::prøjekt-dév","custom":false,' +
  '"type":"pulumi:pulumi:Stack","outputs":{"greeting":"こんにちは 🦭","note":"naïve café"}}]}}';
const BASE = b(BASE_TEXT);

describe('checkpoint-delta', () => {
  it('the fixture really has multi-byte characters before the edit points', () => {
    const greeting = at(BASE, '"greeting"');
    expect(greeting).to.be.greaterThan(BASE_TEXT.indexOf('"greeting"'));
  });

  describe('sha256Hex', () => {
    it('is the lowercase hex SHA-256 of the bytes', () => {
      expect(sha256Hex(b(''))).to.equal('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      expect(sha256Hex(b('abc'))).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      expect(sha256Hex(BASE)).to.equal(createHash('sha256').update(BASE_TEXT, 'utf8').digest('hex'));
    });
  });

  describe('applyDelta', () => {
    it('replaces a value that follows multi-byte text, using byte offsets', () => {
      const start = at(BASE, '"こんにちは 🦭"');
      const end = start + Buffer.byteLength('"こんにちは 🦭"');
      const out = applyDelta(BASE, [edit(start, end, '"hej 👋"')]);
      expect(out.toString('utf8')).to.equal(BASE_TEXT.replace('"こんにちは 🦭"', '"hej 👋"'));
    });

    it('inserts when start equals end', () => {
      const pos = at(BASE, ']}}');
      const resource = ',{"urn":"urn:pulumi:dév::prøjekt::random:index/randomPet:RandomPet::pét","custom":true}';
      const out = applyDelta(BASE, [edit(pos, pos, resource)]);
      expect(out.toString('utf8')).to.equal(BASE_TEXT.replace(']}}', `${resource}]}}`));
    });

    it('deletes with an empty NewText', () => {
      const start = at(BASE, ',"note"');
      const end = at(BASE, '}}]}}');
      const out = applyDelta(BASE, [edit(start, end, '')]);
      expect(out.toString('utf8')).to.equal(BASE_TEXT.replace(',"note":"naïve café"', ''));
    });

    it('replaces at the very start and at the very end', () => {
      const head = Buffer.byteLength('{"version":3');
      const tail = BASE.length - 2;
      const out = applyDelta(BASE, [edit(0, head, '{"version":4,"features":["refreshBeforeUpdate"]'), edit(tail, BASE.length, '}}\n')]);
      const expected = `{"version":4,"features":["refreshBeforeUpdate"]${BASE_TEXT.slice('{"version":3'.length, -2)}}}\n`;
      expect(out.toString('utf8')).to.equal(expected);
    });

    it('applies several edits, including adjacent ones and an insertion where the previous edit ended', () => {
      const t = at(BASE, '2024-05-01T10:00:00Z');
      const tEnd = t + '2024-05-01T10:00:00Z'.length;
      const cafe = at(BASE, 'café');
      const edits = [
        edit(t, t + 4, '2025'),
        edit(t + 4, tEnd, '-06-02T11:11:11Z'), // starts exactly where the previous one ended
        edit(tEnd, tEnd, ''), // an empty insertion is a no-op
        edit(cafe, cafe + Buffer.byteLength('café'), 'théâtre'),
        edit(cafe + Buffer.byteLength('café'), cafe + Buffer.byteLength('café'), ' ✓'),
      ];
      const out = applyDelta(BASE, edits);
      expect(out.toString('utf8')).to.equal(
        BASE_TEXT.replace('2024-05-01T10:00:00Z', '2025-06-02T11:11:11Z').replace('naïve café', 'naïve théâtre ✓'),
      );
    });

    it('returns an identical copy for an empty delta, and builds from an empty baseline', () => {
      const same = applyDelta(BASE, []);
      expect(same.equals(BASE)).to.equal(true);
      expect(applyDelta(b(''), [edit(0, 0, '{"ünï":1}')]).toString()).to.equal('{"ünï":1}');
      expect(applyDelta(BASE, [edit(0, BASE.length, '')]).length).to.equal(0);
    });

    it('does not modify the baseline', () => {
      const copy = Buffer.from(BASE);
      applyDelta(BASE, [edit(0, 10, 'xx'), edit(20, 30, '')]);
      expect(BASE.equals(copy)).to.equal(true);
    });

    it('treats a missing NewText as a deletion', () => {
      const out = applyDelta(b('abcdef'), [{ Span: { start: { offset: 1 }, end: { offset: 3 } } } as unknown as TextEdit]);
      expect(out.toString()).to.equal('adef');
    });

    describe('rejects', () => {
      const cases: [string, unknown, RegExp][] = [
        ['a span past the end', [edit(5, BASE.length + 1, '')], /outside the \d+-byte baseline/],
        ['an insertion past the end', [edit(BASE.length + 1, BASE.length + 1, 'x')], /outside/],
        ['a span that ends before it starts', [edit(10, 5, '')], /ends \(5\) before it starts \(10\)/],
        ['overlapping edits', [edit(0, 10, 'a'), edit(9, 12, 'b')], /edit 1 at byte 9 overlaps or precedes/],
        ['decreasing edits', [edit(20, 25, 'a'), edit(0, 5, 'b')], /edit 1 at byte 0 overlaps or precedes/],
        ['a negative offset', [edit(-1, 2, '')], /Span\.start\.offset/],
        ['a fractional offset', [edit(1, 2.5, '')], /Span\.end\.offset/],
        ['an offset given as a string', [{ Span: { start: { offset: '1' }, end: { offset: 2 } }, NewText: '' }], /Span\.start\.offset/],
        ['a missing Span', [{ NewText: 'x' }], /edit 0 has no Span/],
        ['a missing end', [{ Span: { start: { offset: 1 } }, NewText: 'x' }], /Span\.end\.offset/],
        ['a non-string NewText', [{ Span: { start: { offset: 1 }, end: { offset: 1 } }, NewText: 5 }], /NewText/],
        ['an edit that is not an object', [null], /edit 0 is not an object/],
        ['a delta that is not an array', { Span: {} }, /must be a JSON array/],
        ['a null delta', null, /must be a JSON array/],
      ];
      for (const [label, delta, pattern] of cases) {
        it(label, () => {
          expectBadRequest(() => applyDelta(BASE, delta), pattern);
        });
      }
    });
  });

  describe('reconstructCheckpoint', () => {
    it('follows a verbatim save with deltas, each checked against its hash', () => {
      // Save 1 (verbatim) stores BASE. Save 2 adds a resource; save 3 removes it again.
      const insertAt = at(BASE, ']}}');
      const resource = ',{"urn":"urn:pulumi:dév::prøjekt::random:index/randomPet:RandomPet::pét","custom":true,"id":"ñ"}';
      const second = BASE_TEXT.replace(']}}', `${resource}]}}`);
      const saved2 = reconstructCheckpoint(BASE, [edit(insertAt, insertAt, resource)], sha256Hex(b(second)));
      expect(saved2.toString('utf8')).to.equal(second);

      const removeFrom = at(saved2, ',{"urn":"urn:pulumi:dév::prøjekt::random');
      const removeTo = removeFrom + Buffer.byteLength(resource);
      const saved3 = reconstructCheckpoint(saved2, [edit(removeFrom, removeTo, '')], sha256Hex(BASE));
      expect(saved3.equals(BASE)).to.equal(true);
    });

    it('accepts an uppercase hash', () => {
      const out = reconstructCheckpoint(BASE, [], sha256Hex(BASE).toUpperCase());
      expect(out.equals(BASE)).to.equal(true);
    });

    it('reports a hash mismatch as a bad request', () => {
      const wrong = sha256Hex(b('something else'));
      expectBadRequest(() => reconstructCheckpoint(BASE, [edit(0, 1, '[')], wrong), /^checkpoint hash mismatch: expected [0-9a-f]{64}, reconstructed [0-9a-f]{64}$/);
    });

    it('catches an edit computed with string indices instead of byte offsets', () => {
      // What a buggy client or server would get by using UTF-16 indices: a different text.
      const wanted = BASE_TEXT.replace('naïve café', 'plain');
      const stringIndex = BASE_TEXT.indexOf('naïve café');
      expect(stringIndex).not.to.equal(at(BASE, 'naïve café'));
      const wrongEdit = edit(stringIndex, stringIndex + 'naïve café'.length, 'plain');
      expectBadRequest(() => reconstructCheckpoint(BASE, [wrongEdit], sha256Hex(b(wanted))), /checkpoint hash mismatch/);
    });

    it('rejects a malformed hash and a bad edit before hashing', () => {
      expectBadRequest(() => reconstructCheckpoint(BASE, [], 'abc'), /checkpointHash must be a hex SHA-256/);
      expectBadRequest(() => reconstructCheckpoint(BASE, [], undefined as unknown as string), /checkpointHash/);
      expectBadRequest(() => reconstructCheckpoint(BASE, [edit(0, BASE.length + 5, '')], sha256Hex(BASE)), /outside/);
    });
  });

  describe('against an independent code-point oracle', () => {

    it('matches splicing arrays of code points (200 random deltas)', () => {
      const rand = prng(7);
      const alphabet = [...'ab{}":,0é߷中🦭\\\n'];
      const pickText = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]!).join('');
      for (let round = 0; round < 200; round++) {
        const chars = [...pickText(Math.floor(rand() * 60))];
        const byteOffset = (cp: number) => Buffer.byteLength(chars.slice(0, cp).join(''));
        // Random sorted, non-overlapping code-point ranges.
        const cuts = Array.from({ length: Math.floor(rand() * 6) * 2 }, () => Math.floor(rand() * (chars.length + 1))).sort((x, y) => x - y);
        const edits: TextEdit[] = [];
        let expected = '';
        let prev = 0;
        for (let i = 0; i < cuts.length; i += 2) {
          const [s, e] = [cuts[i]!, cuts[i + 1]!];
          const text = pickText(Math.floor(rand() * 5));
          edits.push(edit(byteOffset(s), byteOffset(e), text));
          expected += chars.slice(prev, s).join('') + text;
          prev = e;
        }
        expected += chars.slice(prev).join('');
        const base = b(chars.join(''));
        const out = reconstructCheckpoint(base, edits, sha256Hex(b(expected)));
        expect(out.toString('utf8')).to.equal(expected);
      }
    });
  });

  describe('large baselines', () => {
    it('applies 2000 edits to an 18 MB baseline by byte offset', () => {
      const unit = '{"urn":"urn:pulumi:dév::p::t::ñame","outputs":{"v":"こんにちは"}},';
      const base = Buffer.alloc(Buffer.byteLength(unit) * 250_000);
      for (let off = 0; off < base.length; off += base.write(unit, off, 'utf8'));
      expect(base.length).to.be.greaterThan(18_000_000);
      const step = Math.floor(base.length / 2000);
      const edits = Array.from({ length: 2000 }, (_, i) => edit(i * step, i * step + 10, `«${i}»`));
      const out = applyDelta(base, edits);
      expect(out.length).to.equal(base.length - 2000 * 10 + edits.reduce((n, e) => n + Buffer.byteLength(e.NewText), 0));
      const second = step - 10 + Buffer.byteLength('«0»');
      expect(out.subarray(second, second + Buffer.byteLength('«1»')).toString()).to.equal('«1»');
      expect(out.subarray(second + Buffer.byteLength('«1»')).subarray(0, 8).equals(base.subarray(step + 10, step + 18))).to.equal(true);
    });
  });
});
