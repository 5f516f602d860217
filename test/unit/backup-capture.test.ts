/**
 * What a backup holds for a register it read (src/operations/backup-capture.ts), and which names
 * it reads again when a move landed between two register reads.
 */
import { expect } from 'chai';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { layout, type StackRef } from '../../src/storage/layout.js';
import type { Lease, StackMeta } from '../../src/domain/stack-meta.js';
import { captureRegister, labelOf, registerBytes, unsettledNames, type Captured } from '../../src/operations/backup-capture.js';

const ref = (stack: string): StackRef => ({ org: 'acme', project: 'p', stack });
const meta = (stack: string, extra: Partial<StackMeta> = {}): StackMeta => ({
  schema: 2,
  stackId: `id-${stack}`,
  incarnation: `inc-${stack}`,
  ...ref(stack),
  createdAt: '2026-01-01T00:00:00.000Z',
  version: 3,
  tags: {},
  secrets: { keyId: 'k1', wrapped: 'x' },
  lease: null,
  leaseEpoch: 4,
  lastUpdate: 0,
  resourceCount: 0,
  nonce: 'n',
  ...extra,
});
const lease: Lease = {
  updateId: 'u-running',
  kind: 'update',
  version: 4,
  tokenHash: 'h',
  epoch: 4,
  renewedAt: '2026-01-01T00:00:00.000Z',
  durationSeconds: 300,
  author: 'admin',
  startedAt: 1,
};
const at = new Date('2026-01-02T00:00:00.000Z');

async function captured(registers: StackMeta[], name: string): Promise<Captured> {
  const store = new MemoryStore();
  for (const m of registers) await store.put(layout.metaKey(m), Buffer.from(JSON.stringify(m)));
  return captureRegister(store, ref(name), at);
}

describe('backup capture', () => {
  it('keeps a live register without a lease byte for byte', async () => {
    const c = await captured([meta('a')], 'a');
    expect(c.kind).to.equal('live');
    expect(JSON.parse(registerBytes(c, 'u3').toString())).to.deep.equal(meta('a'));
  });

  it('drops a live or sealed lease, and names the update that committed the captured version', async () => {
    for (const l of [lease, { ...lease, sealed: { status: 'succeeded' as const } }]) {
      const c = await captured([meta('a', { lease: l, lastUpdateId: 'u-running' })], 'a');
      expect(c.leftOutUpdate).to.deep.equal({ updateId: 'u-running', kind: 'update', sealed: Boolean(l.sealed) });
      const written = JSON.parse(registerBytes(c, 'u3').toString());
      expect(written).to.include({ lease: null, version: 3, lastUpdateId: 'u3', leaseEpoch: 4 });
      expect(written.nonce).not.to.equal('n');
    }
    const never = await captured([meta('a', { version: 0, lease, lastUpdateId: 'u-running' })], 'a');
    expect(JSON.parse(registerBytes(never, undefined).toString())).not.to.have.property('lastUpdateId');
  });

  it('keeps a tombstone as it is, and a missing register as nothing', async () => {
    const dead = meta('a', { deleted: { at: 'now' } });
    expect((await captured([dead], 'a')).kind).to.equal('tombstone');
    expect((await captured([], 'a')).kind).to.equal('none');
  });

  it('sees a move from one side: the frozen source as before the move, the claim only once the source flipped', async () => {
    const moving = meta('a', { moving: { to: ref('b'), incarnation: 'J' } });
    const claim = meta('b', { incarnation: 'J', stackId: 'id-a', movingIn: { from: ref('a') } });
    const source = await captured([moving, claim], 'a');
    expect(source.kind).to.equal('live');
    expect(source.meta).not.to.have.property('moving');
    expect((await captured([moving, claim], 'b')).kind).to.equal('none');
    const flipped = meta('a', { deleted: { at: 'now', movedTo: { ...ref('b'), incarnation: 'J' } } });
    const landed = await captured([flipped, claim], 'b');
    expect(landed.kind).to.equal('live');
    expect(landed.meta).not.to.have.property('movingIn');
    // A claim of an undone move (the source names another incarnation) is not a stack.
    expect((await captured([meta('a', { moving: { to: ref('b'), incarnation: 'K' } }), claim], 'b')).kind).to.equal('none');
  });

  it('reads again both names of a stack captured live twice, and the target of a move captured at neither end', () => {
    const c = (stack: string, kind: Captured['kind'], m?: StackMeta): [string, Captured] => [labelOf(ref(stack)), { ref: ref(stack), kind, meta: m, capturedAt: at }];
    const twice = new Map([c('a', 'live', meta('a')), c('b', 'live', meta('b', { stackId: 'id-a', incarnation: 'J' }))]);
    expect(unsettledNames(twice).map(labelOf).sort()).to.deep.equal(['acme/p/a', 'acme/p/b']);
    const gone = meta('a', { deleted: { at: 'now', movedTo: { ...ref('b'), incarnation: 'J' } } });
    expect(unsettledNames(new Map([c('a', 'tombstone', gone)])).map(labelOf)).to.deep.equal(['acme/p/b']);
    expect(unsettledNames(new Map([c('a', 'tombstone', gone), c('b', 'none', meta('b', { stackId: 'id-a' }))])).map(labelOf)).to.deep.equal(['acme/p/b']);
    // Settled: the stack is live at the target, or moved on from there (the target's own tombstone says where).
    expect(unsettledNames(new Map([c('a', 'tombstone', gone), c('b', 'live', meta('b', { stackId: 'id-a' }))]))).to.deep.equal([]);
    expect(unsettledNames(new Map([c('a', 'tombstone', gone), c('b', 'tombstone', meta('b', { stackId: 'id-a', deleted: { at: 'later' } }))]))).to.deep.equal([]);
    // A plain delete needs nothing.
    expect(unsettledNames(new Map([c('a', 'tombstone', meta('a', { deleted: { at: 'now' } }))]))).to.deep.equal([]);
  });
});
