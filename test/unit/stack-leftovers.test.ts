/** Which objects of a name nobody needs (src/domain/stack-leftovers.ts): dead incarnations, finished updates' parts and logs. */
import { expect } from 'chai';
import { deadObjects, byIncarnation, updateLeftovers, type ListedObject } from '../../src/domain/stack-leftovers.js';
import { parseStackKey, type StackRef } from '../../src/storage/layout.js';
import type { StackMeta } from '../../src/domain/stack-meta.js';
import type { UpdateRecord } from '../../src/domain/update-record.js';

const ref: StackRef = { org: 'o', project: 'p', stack: 's' };
const now = new Date('2026-06-30T12:00:00Z');
const HOUR = 3_600_000;
const listed = (rel: string, ageMs = 2 * HOUR, size = 10): ListedObject => {
  const key = `o/p/s/${rel}`;
  return { info: { key, etag: '"x"', size, lastModified: new Date(now.getTime() - ageMs) }, what: parseStackKey(ref, key) };
};
const meta = (over: Partial<StackMeta> = {}) => ({ incarnation: 'i2', version: 3, lease: null, ...over }) as StackMeta;
const keys = (objs: ListedObject[]) => objs.map((o) => o.info.key.slice('o/p/s/'.length));

describe('stack leftovers', () => {
  const objects = [
    listed('meta.json'),
    listed('i/i1/checkpoints/0000000001.json'),
    listed('i/i1/updates/u0.json'),
    listed('i/i2/checkpoints/0000000001.json'),
    listed('checkpoints/0000000001.json'), // layout 1
  ];

  it('a live register keeps its own incarnation only; layout-1 objects count as incarnation ""', () => {
    expect(keys(deadObjects(objects, meta()))).to.deep.equal(['i/i1/checkpoints/0000000001.json', 'i/i1/updates/u0.json', 'checkpoints/0000000001.json']);
  });

  it('a layout-1 register (no incarnation) keeps the objects beside it', () => {
    expect(keys(deadObjects(objects, meta({ incarnation: undefined })))).to.deep.equal([
      'i/i1/checkpoints/0000000001.json',
      'i/i1/updates/u0.json',
      'i/i2/checkpoints/0000000001.json',
    ]);
  });

  it('moving registers keep the incarnation they name; tombstones and absent registers keep nothing', () => {
    expect(keys(deadObjects(objects, meta({ movingIn: { from: ref } })))).to.have.length(3);
    expect(keys(deadObjects(objects, meta({ moving: { to: ref, incarnation: 'i9' } })))).to.have.length(3);
    expect(keys(deadObjects(objects, meta({ deleted: { at: 'x' } })))).to.have.length(4);
    expect(keys(deadObjects(objects, undefined))).to.have.length(4);
  });

  it('groups dead objects by the prefix of their incarnation', () => {
    const groups = byIncarnation(ref, deadObjects(objects, meta()));
    expect(groups.map((g) => [g.prefix, g.objects.length])).to.deep.equal([
      ['o/p/s/i/i1/', 2],
      ['o/p/s/', 1],
    ]);
  });

  describe('parts of updates', () => {
    const record = (status: UpdateRecord['status'], version?: number) => ({ status, version }) as UpdateRecord;
    const parts = [
      listed('i/i2/updates/done/checkpoints/0000000001.json'),
      listed('i/i2/updates/done/journal/0000000001-0000000002.json.gz'),
      listed('i/i2/updates/done/events/0000000001-0000000005.json'),
      listed('i/i2/updates/old/events/0000000001-0000000005.json'),
      listed('i/i2/updates/old/checkpoints/0000000001.json'),
      listed('i/i2/updates/running/checkpoints/0000000001.json'),
      listed('i/i2/updates/leased/checkpoints/0000000001.json'),
      listed('i/i2/updates/fresh/checkpoints/0000000001.json', 10 * 60_000),
      listed('i/i2/updates/norecord/checkpoints/0000000001.json'),
      listed('i/i2/updates/preview/events/0000000001-0000000002.json'),
    ];
    const records = new Map<string, UpdateRecord | undefined>([
      ['done', record('succeeded', 3)],
      ['old', record('failed', 1)],
      ['running', record('running', 4)],
      ['leased', record('cancelled', 4)], // cancelled in the start race, yet it holds the lease
      ['fresh', record('succeeded', 2)],
      ['norecord', undefined],
      ['preview', record('succeeded', 1)],
    ]);

    it('removes intermediate state of finished updates not holding the lease, older than the margin', () => {
      const out = updateLeftovers(parts, records, 'leased', 2, now, HOUR);
      expect(keys(out.intermediate)).to.deep.equal([
        'i/i2/updates/done/checkpoints/0000000001.json',
        'i/i2/updates/done/journal/0000000001-0000000002.json.gz',
        'i/i2/updates/old/checkpoints/0000000001.json',
      ]);
    });

    it('keeps event logs while the version they made or saw is kept', () => {
      expect(keys(updateLeftovers(parts, records, 'leased', 1, now, HOUR).logs)).to.deep.equal([]);
      expect(keys(updateLeftovers(parts, records, 'leased', 2, now, HOUR).logs)).to.deep.equal([
        'i/i2/updates/old/events/0000000001-0000000005.json',
        'i/i2/updates/preview/events/0000000001-0000000002.json',
      ]);
    });
  });
});
