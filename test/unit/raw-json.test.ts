import { expect } from 'chai';
import { isFulmarError } from '../../src/domain/errors.js';
import { rawTopLevelValue, topLevelValueSpan } from '../../src/domain/raw-json.js';
import { prng } from '../helpers/assertions.js';

const b = (text: string) => Buffer.from(text, 'utf8');
const raw = (text: string, key: string) => rawTopLevelValue(b(text), key)?.toString('utf8');

function expectMalformed(input: Buffer | string, key = 'k'): string {
  let thrown: unknown;
  try {
    topLevelValueSpan(typeof input === 'string' ? b(input) : input, key);
  } catch (err) {
    thrown = err;
  }
  expect(isFulmarError(thrown, 'bad-request'), `expected bad-request for ${JSON.stringify(String(input).slice(0, 200))}`).to.equal(true);
  expect((thrown as Error).message).to.match(/^malformed JSON/);
  return (thrown as Error).message;
}


describe('raw-json', () => {
  const verbatim =
    '{"version":3,"untypedDeployment":{"version":3,"deployment":{"manifest":{"time":"2024-01-01T00:00:00Z"},' +
    '"resources":[{"urn":"urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev","custom":false}]}},"sequenceNumber":1}';

  describe('finding a top-level value', () => {
    it('returns the exact bytes of the checkpointverbatim deployment', () => {
      expect(raw(verbatim, 'untypedDeployment')).to.equal(
        '{"version":3,"deployment":{"manifest":{"time":"2024-01-01T00:00:00Z"},' +
          '"resources":[{"urn":"urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev","custom":false}]}}',
      );
      expect(raw(verbatim, 'version')).to.equal('3');
      expect(raw(verbatim, 'sequenceNumber')).to.equal('1');
    });

    it('reports the span as half-open byte offsets', () => {
      const span = topLevelValueSpan(b('{"a": [1, 2]}'), 'a');
      expect(span).to.deep.equal({ start: 6, end: 12 });
    });

    it('returns undefined for a missing key, and never matches nested keys', () => {
      expect(raw(verbatim, 'deployment')).to.equal(undefined);
      expect(raw(verbatim, 'resources')).to.equal(undefined);
      expect(raw('{}', 'a')).to.equal(undefined);
      expect(raw(' { } ', 'a')).to.equal(undefined);
    });

    it('works with keys in any order and whitespace anywhere', () => {
      const text = ' \n{ "sequenceNumber" :\t7 ,\r\n "untypedDeployment" : { "x" : [ 1 , { } , [ ] ] } , "version":3 }\n ';
      expect(raw(text, 'untypedDeployment')).to.equal('{ "x" : [ 1 , { } , [ ] ] }');
      expect(raw(text, 'sequenceNumber')).to.equal('7');
      expect(raw(text, 'version')).to.equal('3');
    });

    it('keeps escapes, number formats and HTML escapes exactly as sent', () => {
      const inner = '{"s":"a\\"b\\\\c\\/d\\u003c\\u00e9\\n","n":1.50e+10,"m":-0.0,"t":true,"f":false,"z":null}';
      expect(raw(`{"d":${inner}}`, 'd')).to.equal(inner);
    });

    it('is not fooled by braces, quotes and key names inside strings', () => {
      const text = '{"a":"}\\"k\\":{[","k":"the \\"real\\" one","b":"\\\\"}';
      expect(raw(text, 'k')).to.equal('"the \\"real\\" one"');
      expect(raw(text, 'b')).to.equal('"\\\\"');
    });

    it('handles non-ASCII UTF-8 before, inside and as the key', () => {
      const text = '{"ünï":"🦭 ∑ ß","k":{"name":"日本語"},"clé":1}';
      const buf = b(text);
      const span = topLevelValueSpan(buf, 'k')!;
      // Byte offsets, not string indices: the multi-byte characters shift them.
      expect(span.start).to.equal(Buffer.byteLength('{"ünï":"🦭 ∑ ß","k":'));
      expect(span.start).not.to.equal(text.indexOf('{"name"'));
      expect(buf.subarray(span.start, span.end).toString()).to.equal('{"name":"日本語"}');
      expect(raw(text, 'clé')).to.equal('1');
      expect(raw(text, 'ünï')).to.equal('"🦭 ∑ ß"');
    });

    it('matches keys written with escapes', () => {
      expect(raw('{"versi\\u006fn":3}', 'version')).to.equal('3');
      expect(raw('{"a\\"b":1}', 'a"b')).to.equal('1');
      expect(raw('{"a\\\\b":1}', 'a\\b')).to.equal('1');
      expect(raw('{"versi\\u006fn":3}', 'versi\\u006fn')).to.equal(undefined);
    });

    it('takes the last of duplicate keys, like JSON.parse', () => {
      expect(raw('{"k":1,"k":{"x":2}}', 'k')).to.equal('{"x":2}');
    });

    it('returns a view into the input, not a copy', () => {
      const buf = b('{"k":"abc"}');
      const value = rawTopLevelValue(buf, 'k')!;
      expect(value.buffer).to.equal(buf.buffer);
    });

    it('handles scalar top-level values of every kind', () => {
      const text = '{"s":"","n":0,"neg":-12.5E-3,"t":true,"f":false,"z":null,"a":[],"o":{}}';
      expect(['s', 'n', 'neg', 't', 'f', 'z', 'a', 'o'].map((k) => raw(text, k))).to.deep.equal([
        '""', '0', '-12.5E-3', 'true', 'false', 'null', '[]', '{}',
      ]);
    });
  });

  describe('rejecting malformed input', () => {
    const cases: Record<string, string> = {
      empty: '',
      'only whitespace': '   ',
      'an array at top level': '[1]',
      'a string at top level': '"k"',
      'a number at top level': '1',
      'unterminated object': '{"k":1',
      'unterminated string': '{"k":"abc}',
      'missing colon': '{"k" 1}',
      'missing value': '{"k":}',
      'trailing comma in object': '{"k":1,}',
      'trailing comma in array': '{"k":[1,]}',
      'leading comma': '{,"k":1}',
      'unquoted key': '{k:1}',
      'single quotes': "{'k':1}",
      'number key': '{1:1}',
      'data after the object': '{"k":1} x',
      'two objects': '{"k":1}{"k":2}',
      'bad literal': '{"k":tru}',
      'capitalised literal': '{"k":True}',
      'leading zero': '{"k":01}',
      'leading plus': '{"k":+1}',
      'bare minus': '{"k":-}',
      'dot without digits': '{"k":1.}',
      'leading dot': '{"k":.5}',
      'exponent without digits': '{"k":1e}',
      'hex number': '{"k":0x10}',
      NaN: '{"k":NaN}',
      'bad escape': '{"k":"\\x"}',
      'short unicode escape': '{"k":"\\u12"}',
      'non-hex unicode escape': '{"k":"\\u12g4"}',
      'raw newline in string': '{"k":"a\nb"}',
      'raw tab in string': '{"k":"a\tb"}',
      'mismatched brackets': '{"k":[1}',
      'mismatched braces': '{"k":{"a":1]}',
      'missing comma in array': '{"k":[1 2]}',
      'missing comma in object': '{"a":1 "k":2}',
      'comment': '{"k":1 /* c */}',
      'byte order mark': '\uFEFF{"k":1}',
      'nested malformed after the key': '{"k":1,"z":{"a":[}}',
    };
    for (const [label, text] of Object.entries(cases)) {
      it(`rejects ${label}`, () => {
        expectMalformed(text);
      });
    }

    it('rejects invalid UTF-8', () => {
      const bad = Buffer.concat([b('{"k":"'), Buffer.from([0xc3, 0x28]), b('"}')]);
      expect(expectMalformed(bad)).to.match(/UTF-8/);
      expectMalformed(Buffer.concat([b('{"k":"'), Buffer.from([0xff]), b('"}')]));
    });

    it('says where the problem is', () => {
      expect(expectMalformed('{"k":[1 2]}')).to.equal("malformed JSON at byte 8: expected ',' or ']'");
      expect(expectMalformed('{"k":"abc')).to.match(/at end of input/);
    });

    it('refuses nesting deeper than 10000 levels without overflowing the stack', () => {
      const deep = (n: number) => `{"k":${'['.repeat(n)}${']'.repeat(n)}}`;
      // 9999 arrays inside the top-level object make 10000 levels: the most Go's decoder accepts.
      expect(raw(deep(9_999), 'k')!.length).to.equal(19_998);
      expect(expectMalformed(deep(10_000))).to.match(/nesting/);
      expect(expectMalformed(`{"k":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`)).to.match(/nesting/);
      expectMalformed(`{"k":${'['.repeat(200_000)}}`);
    });

    it('rejects every proper prefix of a valid document', () => {
      const buf = b(verbatim);
      for (let i = 0; i < buf.length; i++) expectMalformed(buf.subarray(0, i), 'untypedDeployment');
    });
  });

  describe('agreement with JSON.parse on generated documents', () => {
    const rand = prng(20240611);
    const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)]!;
    const strings = ['', 'a', 'é"\\/', '🦭\n\t\u0001', '</script>', '{"x":[1]}', '\u2028'];

    function value(depth: number): unknown {
      const kind = depth > 4 ? Math.floor(rand() * 4) : Math.floor(rand() * 6);
      switch (kind) {
        case 0: return pick(strings);
        case 1: return pick([0, -1, 1.5, 1e21, -2.5e-7, 123456789012]);
        case 2: return pick([true, false]);
        case 3: return null;
        case 4: return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
        default:
          return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [`${pick(strings)}${i}`, value(depth + 1)]));
      }
    }

    /** JSON.stringify with random whitespace sprinkled between tokens. */
    function spaced(text: string): string {
      let out = '';
      let inString = false;
      for (let i = 0; i < text.length; i++) {
        const ch = text[i]!;
        out += ch;
        if (inString) {
          if (ch === '\\') out += text[++i]!;
          else if (ch === '"') inString = false;
        } else if (ch === '"') {
          inString = true;
        } else if ('{[,:'.includes(ch) && rand() < 0.3) {
          out += pick([' ', '\n', '\t', '\r\n ']);
        }
      }
      return out;
    }

    it('extracts values that parse to what JSON.parse sees (300 documents)', () => {
      for (let n = 0; n < 300; n++) {
        const doc = { version: 3, untypedDeployment: value(0), sequenceNumber: n };
        const text = spaced(JSON.stringify(doc));
        const found = raw(text, 'untypedDeployment');
        expect(found, text).not.to.equal(undefined);
        expect(JSON.parse(found!)).to.deep.equal(doc.untypedDeployment);
        expect(raw(text, 'sequenceNumber')).to.equal(String(n));
      }
    });

    it('accepts exactly what JSON.parse accepts as an object, under ASCII mutations (2000 cases)', () => {
      const base = JSON.stringify({ version: 3, untypedDeployment: value(0), tail: [1, 'x', { y: null }] });
      const alphabet = '{}[]":,\\ 0123456789.-eEtrufalsn';
      const outcomes = { accepted: 0, rejected: 0 };
      for (let n = 0; n < 2000; n++) {
        const chars = [...base];
        const at = Math.floor(rand() * chars.length);
        if (chars[at]!.charCodeAt(0) > 0x7f) continue;
        const op = Math.floor(rand() * 3);
        if (op === 0) chars[at] = pick([...alphabet]);
        else if (op === 1) chars.splice(at, 1);
        else chars.splice(at, 0, pick([...alphabet]));
        const text = chars.join('');
        let parsed: unknown;
        let parseOk = true;
        try {
          parsed = JSON.parse(text);
        } catch {
          parseOk = false;
        }
        const expectAccept = parseOk && typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
        let accepted = true;
        try {
          topLevelValueSpan(b(text), 'untypedDeployment');
        } catch (err) {
          expect(isFulmarError(err, 'bad-request'), String(err)).to.equal(true);
          accepted = false;
        }
        expect(accepted, `disagreement on ${JSON.stringify(text)}`).to.equal(expectAccept);
        outcomes[accepted ? 'accepted' : 'rejected']++;
      }
      // Both outcomes must be well represented, or the comparison proves little.
      expect(outcomes.accepted).to.be.greaterThan(200);
      expect(outcomes.rejected).to.be.greaterThan(200);
    });
  });

  describe('large bodies', () => {
    it('finds the value in a ~24 MB body without copying', () => {
      const resource = (i: number) =>
        `{"urn":"urn:pulumi:dev::p::aws:s3/bucket:Bucket::b${i}","custom":true,"id":"b-${i}",` +
        `"inputs":{"tags":{"Name":"ünïcödé \\"quoted\\" \\u003cb\\u003e"},"acl":"private"},"outputs":{"arn":"arn:aws:s3:::b-${i}","n":${i}.5}}`;
      const parts: string[] = [];
      for (let i = 0; i < 120_000; i++) parts.push(resource(i));
      const deployment = `{"version":3,"deployment":{"manifest":{},"resources":[${parts.join(',')}]}}`;
      const body = b(`{"version":3,"untypedDeployment":${deployment},"sequenceNumber":42}`);
      expect(body.length).to.be.greaterThan(20_000_000);
      const value = rawTopLevelValue(body, 'untypedDeployment')!;
      expect(value.length).to.equal(Buffer.byteLength(deployment));
      expect(value.equals(b(deployment))).to.equal(true);
      expect(rawTopLevelValue(body, 'sequenceNumber')!.toString()).to.equal('42');
    });
  });
});
