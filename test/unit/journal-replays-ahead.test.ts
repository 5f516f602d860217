/**
 * The replay a pod runs ahead of reads (src/services/journal-replays.ts: stored): a shortcut the
 * acknowledgement of a batch must never wait for. A pod's first batch of an update parses the
 * version the update started from there, and the writer calls stored() right before its caller
 * writes the 200, so stored() may do nothing until the event loop turns.
 */
import { setImmediate } from 'node:timers/promises';
import { expect } from 'chai';
import { JournalReplays } from '../../src/services/journal-replays.js';
import type { Checkpoints } from '../../src/services/checkpoints.js';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { ImmutableCache } from '../../src/storage/immutable-cache.js';
import { systemClock } from '../../src/domain/clock.js';
import { createLogger } from '../../src/observability/logger.js';
import { parseJournalEntries } from '../../src/wire/journal-entry.js';
import type { Lease, StackMeta } from '../../src/domain/stack-meta.js';

const meta = { schema: 2, stackId: 's1', incarnation: 'i1', org: 'acme', project: 'p', stack: 'dev', createdAt: '2026-01-01T00:00:00Z', version: 1 } as StackMeta;
const lease = { updateId: 'u1', kind: 'update', version: 2, journal: { cliVersion: 'v3.259.0' } } as Lease;

const entries = parseJournalEntries({
  entries: [{ version: 1, kind: 1, sequenceID: 1, operationID: 1, state: { urn: 'urn:pulumi:dev::p::my:index:Thing::a', custom: true, type: 'my:index:Thing', id: 'a' } }],
});

describe('JournalReplays ahead of reads', () => {
  it('starts nothing before the event loop turns, then applies the stored batch onto the base', async () => {
    let baseReads = 0;
    const checkpoints = {
      committed: async () => {
        baseReads += 1;
        return Buffer.from(JSON.stringify({ version: 3, deployment: { resources: [] } }));
      },
    } as unknown as Checkpoints;
    const replays = new JournalReplays(new MemoryStore(), checkpoints, new ImmutableCache(1 << 20), systemClock, createLogger('silent'));

    replays.stored(meta, lease, 'acme/p/dev/i/i1/updates/u1/journal/1-1.json.gz', entries);
    // Everything a handler does between the writer's return and its response is microtasks.
    for (let i = 0; i < 100; i++) await Promise.resolve();
    expect(baseReads, 'the base was not read before the acknowledgement could go out').to.equal(0);

    for (let i = 0; i < 200 && replays.stats().ahead < 1; i++) await setImmediate();
    expect(baseReads).to.equal(1);
    expect(replays.stats(), 'the batch was applied ahead of any read').to.deep.equal({ ahead: 1, onRead: 0 });
  });
});
