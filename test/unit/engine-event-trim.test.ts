/** What the event log keeps of a step's property bags (src/domain/engine-event-trim.ts). */
import { expect } from 'chai';
import { elidedNote, MAX_EVENT_STRING, trimEngineEvent } from '../../src/domain/engine-event-trim.js';

const long = 'x'.repeat(MAX_EVENT_STRING + 1);
const edge = 'y'.repeat(MAX_EVENT_STRING);

const step = (kind: string, inputs: unknown, outputs: unknown) => ({
  sequence: 3,
  timestamp: 1,
  [kind]: {
    planning: false,
    metadata: {
      op: 'create',
      urn: 'urn:pulumi:s::p::t::r',
      type: 't',
      old: null,
      new: { urn: 'urn:pulumi:s::p::t::r', inputs, outputs, id: long },
      keys: ['payload'],
      detailedDiff: null,
    },
  },
});

describe('engine event trimming', () => {
  for (const kind of ['resourcePreEvent', 'resOutputsEvent', 'resOpFailedEvent']) {
    it(`${kind}: long strings in inputs and outputs become a note; short ones, keys and everything else stay`, () => {
      const event = step(kind, { payload: long, nested: { list: [long, 'short'], n: 7, b: true, z: null }, edge }, { chars: 1025, copy: long });
      const before = JSON.stringify(event);
      const trimmed = trimEngineEvent(event) as typeof event;
      expect(JSON.stringify(event)).to.equal(before, 'the event it was given is not changed');
      const meta = (trimmed[kind] as { metadata: { new: Record<string, unknown>; old: unknown; keys: string[]; op: string } }).metadata;
      expect(meta.new.inputs).to.deep.equal({
        payload: elidedNote(long.length),
        nested: { list: [elidedNote(long.length), 'short'], n: 7, b: true, z: null },
        edge,
      });
      expect(meta.new.outputs).to.deep.equal({ chars: 1025, copy: elidedNote(long.length) });
      // Only the bags are trimmed: the state's other fields (here a long id) are kept as sent.
      expect(meta.new.id).to.equal(long);
      expect(meta.old).to.equal(null);
      expect(meta.keys).to.deep.equal(['payload']);
      expect(meta.op).to.equal('create');
      expect(trimmed.sequence).to.equal(3);
      expect(JSON.stringify(trimmed).length).to.be.lessThan(before.length - 2 * MAX_EVENT_STRING);
    });
  }

  it('returns the very same object when nothing is long, and leaves other kinds alone', () => {
    const small = step('resourcePreEvent', { a: 'b' }, { c: ['d'] });
    expect(trimEngineEvent(small)).to.equal(small);
    const diag = { sequence: 1, timestamp: 1, diagnosticEvent: { message: long, severity: 'info' } };
    expect(trimEngineEvent(diag)).to.equal(diag);
    const odd = { sequence: 2, timestamp: 1, resourcePreEvent: { metadata: 'not an object' } };
    expect(trimEngineEvent(odd)).to.equal(odd);
  });
});
