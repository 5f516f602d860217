/** The checker's bucket adapter: which committed checkpoints belong to a live incarnation, per layout. */
import { expect } from 'chai';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { prepare, scanBucket } from '../checker/bucket-layout.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('checker bucket layout adapter', () => {
  it('v1: a live register owns its checkpoints; a tombstone or a missing register leaves them stray', async () => {
    const store = new MemoryStore();
    await store.put('fulmar.json', json({ layout: 1 }));
    await store.put('_system/users/admin.json', json({}));
    await store.put('o/p/live/meta.json', json({ stackId: 'A', version: 2, lease: null }));
    await store.put('o/p/live/checkpoints/0000000001.json', json({}));
    await store.put('o/p/live/checkpoints/0000000003.json', json({}));
    await store.put('o/p/live/updates/u1/checkpoints/0000000001.json', json({}));
    await store.put('o/p/dead/meta.json', json({ stackId: 'B', version: 1, deleted: true }));
    await store.put('o/p/dead/checkpoints/0000000001.json', json({}));
    await store.put('o/p/orphan/checkpoints/0000000001.json', json({}));
    const scan = new Map((await scanBucket(store)).map((s) => [s.name.stack, s]));
    expect([...scan.keys()].sort()).to.deep.equal(['dead', 'live', 'orphan']);
    expect(scan.get('live')).to.deep.include({ live: true, committedVersions: [1, 3], strayCommitted: [] });
    expect(scan.get('live')?.register).to.deep.include({ stackId: 'A', version: 2, hasLease: false });
    expect(scan.get('dead')).to.deep.include({ live: false, strayCommitted: ['o/p/dead/checkpoints/0000000001.json'] });
    expect(scan.get('orphan')).to.deep.include({ live: false, register: undefined, strayCommitted: ['o/p/orphan/checkpoints/0000000001.json'] });
  });

  it('v2: only the live incarnation’s checkpoints count, and prepare sweeps the dead ones', async () => {
    const store = new MemoryStore();
    await store.put('fulmar.json', json({ layout: 2 }));
    await store.put('o/p/s/meta.json', json({ stackId: 'A', version: 1, incarnation: 'i2' }));
    await store.put('o/p/s/i/i2/checkpoints/0000000001.json', json({}));
    await store.put('o/p/s/i/i1/checkpoints/0000000001.json', json({}));
    await store.put('o/p/gone/meta.json', json({ stackId: 'B', version: 1, incarnation: 'i3', deleted: { at: 'x' } }));
    await store.put('o/p/gone/i/i3/checkpoints/0000000001.json', json({}));
    const before = new Map((await scanBucket(store)).map((s) => [s.name.stack, s]));
    expect(before.get('s')).to.deep.include({ live: true, committedVersions: [1], strayCommitted: ['o/p/s/i/i1/checkpoints/0000000001.json'] });
    expect(before.get('gone')).to.deep.include({ live: false, strayCommitted: ['o/p/gone/i/i3/checkpoints/0000000001.json'] });
    await prepare(store, [
      { org: 'o', project: 'p', stack: 's' },
      { org: 'o', project: 'p', stack: 'gone' },
    ]);
    const after = new Map((await scanBucket(store)).map((s) => [s.name.stack, s]));
    expect(after.get('s')).to.deep.include({ live: true, committedVersions: [1], strayCommitted: [] });
    expect(after.get('gone')).to.deep.include({ live: false, strayCommitted: [] });
  });
});
