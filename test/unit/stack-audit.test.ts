/** What verify judges about one stack (src/domain/stack-audit.ts), and what it must not cry wolf about while pods serve. */
import { expect } from 'chai';
import {
  auditListing,
  checkpointProblem,
  dataKeyProblem,
  historyProblem,
  parseRegister,
  type ListingInput,
} from '../../src/domain/stack-audit.js';
import { generateDataKey, wrapDataKey } from '../../src/domain/secrets-crypto.js';
import { parseStackKey, type StackRef } from '../../src/storage/layout.js';
import type { Lease, StackMeta } from '../../src/domain/stack-meta.js';
import type { ListedObject } from '../../src/domain/stack-leftovers.js';

const ref: StackRef = { org: 'o', project: 'p', stack: 's' };
const now = new Date('2026-06-30T12:00:00Z');
const HOUR = 3_600_000;
const keyring = [{ id: 'k1', key: Buffer.alloc(32, 1) }];
const listed = (rel: string, ageMs = 2 * HOUR): ListedObject => {
  const key = `o/p/s/${rel}`;
  return { info: { key, etag: '"x"', size: 5, lastModified: new Date(now.getTime() - ageMs) }, what: parseStackKey(ref, key) };
};
const v = (n: number) => String(n).padStart(10, '0');
const committed = (inc: string, ...versions: number[]) =>
  versions.flatMap((n) => [listed(`i/${inc}/checkpoints/${v(n)}.json`), listed(`i/${inc}/history/${v(n)}.json`)]);
const meta = (over: Partial<StackMeta> = {}): StackMeta =>
  ({ schema: 2, stackId: 'id1', incarnation: 'i1', org: 'o', project: 'p', stack: 's', version: 3, lease: null, secrets: wrapDataKey(keyring, generateDataKey(), 'id1'), ...over }) as StackMeta;
const audit = (over: Partial<ListingInput<ListedObject>>) =>
  auditListing({ ref, meta: meta(), objects: [listed('meta.json'), ...committed('i1', 1, 2, 3)], storeTime: now, marginMs: HOUR, ...over });
const kinds = (a: { problems: { kind: string; key: string }[] }) => a.problems.map((p) => `${p.kind} ${p.key}`);
const lease = (over: Partial<Lease>): Lease =>
  ({ updateId: 'u9', kind: 'update', version: 4, tokenHash: '', epoch: 1, renewedAt: now.toISOString(), durationSeconds: 300, author: 'a', startedAt: 0, ...over }) as Lease;

describe('stack audit', () => {
  describe('the register', () => {
    const parse = (text: string) => parseRegister(ref, Buffer.from(text));
    it('reads schema 1 and 2 registers', () => {
      expect(parse(JSON.stringify(meta()))).to.have.property('meta');
      expect(parse(JSON.stringify(meta({ schema: 1, incarnation: undefined })))).to.have.property('meta');
    });
    it('names what is wrong with one it cannot read', () => {
      const problemOf = (text: string) => (parse(text) as { problem: { kind: string; key: string; message: string } }).problem;
      expect(problemOf('{"schema": 2,')).to.include({ kind: 'register-unreadable', key: 'o/p/s/meta.json' });
      expect(problemOf('[1]').kind).to.equal('register-unreadable');
      expect(problemOf(JSON.stringify(meta({ schema: 3 })))).to.include({ kind: 'register-schema' });
      expect(problemOf(JSON.stringify({ ...meta(), schema: 'two' })).kind).to.equal('register-schema');
      expect(problemOf(JSON.stringify({ ...meta(), version: -1 })).message).to.contain('version');
    });
  });

  it('is clean for a stack whose versions are all there', () => {
    const a = audit({});
    expect(a.problems).to.deep.equal([]);
    expect(a.checkpoints.map((c) => c.version)).to.deep.equal([1, 2, 3]);
    expect(a.history.map((h) => h.key)).to.deep.equal([1, 2, 3].map((n) => `o/p/s/i/i1/history/${v(n)}.json`));
  });

  it('names each missing checkpoint and history entry', () => {
    const objects = [listed('meta.json'), ...committed('i1', 1, 3), listed(`i/i1/checkpoints/${v(2)}.json`)];
    expect(kinds(audit({ objects }))).to.deep.equal([`history-missing o/p/s/i/i1/history/${v(2)}.json`]);
    const noCheckpoint = [listed('meta.json'), ...committed('i1', 1, 3), listed(`i/i1/history/${v(2)}.json`)];
    expect(kinds(audit({ objects: noCheckpoint }))).to.deep.equal([`checkpoint-missing o/p/s/i/i1/checkpoints/${v(2)}.json`]);
  });

  it('does not expect checkpoints below the retention floor, but still their history', () => {
    const objects = [listed('meta.json'), listed(`i/i1/history/${v(1)}.json`), listed(`i/i1/history/${v(2)}.json`), ...committed('i1', 3)];
    const a = audit({ meta: meta({ retainedFrom: 3 }), objects });
    expect(a.problems).to.deep.equal([]);
    expect(a.checkpoints.map((c) => c.version)).to.deep.equal([3]);
    expect(kinds(audit({ meta: meta({ retainedFrom: 3 }), objects: [listed('meta.json'), ...committed('i1', 3)] }))).to.have.length(2);
  });

  it('lets a version being committed exist beyond the register, and only then', () => {
    const objects = [listed('meta.json'), ...committed('i1', 1, 2, 3, 4)];
    expect(audit({ objects, meta: meta({ lease: lease({ version: 4, sealed: { status: 'succeeded' } }) }) }).problems).to.deep.equal([]);
    expect(kinds(audit({ objects }))).to.deep.equal([`stray-version o/p/s/i/i1/checkpoints/${v(4)}.json`, `stray-version o/p/s/i/i1/history/${v(4)}.json`]);
  });

  it('does not judge a running update’s objects', () => {
    const objects = [listed('meta.json'), ...committed('i1', 1, 2, 3), listed('i/i1/updates/u9.json'), listed('i/i1/updates/u9/checkpoints/0000000001.json'), listed('i/i1/updates/u9/events/0000000001-0000000002.json')];
    expect(audit({ objects, meta: meta({ lease: lease({}) }) }).problems).to.deep.equal([]);
  });

  it('calls a lease dead (or a commit unfinished) only well past its expiry', () => {
    const at = (ms: number) => new Date(now.getTime() - ms).toISOString();
    expect(audit({ meta: meta({ lease: lease({ renewedAt: at(30 * 60_000) }) }) }).problems, 'expired, not long').to.deep.equal([]);
    const dead = audit({ meta: meta({ lease: lease({ renewedAt: at(2 * HOUR) }) }) }).problems;
    expect(dead.map((p) => p.kind)).to.deep.equal(['lease-dead']);
    expect(dead[0]?.message).to.contain('fulmar leases break o/p/s');
    const sealed = audit({ meta: meta({ lease: lease({ renewedAt: at(2 * HOUR), sealed: { status: 'failed' } }) }) }).problems;
    expect(sealed.map((p) => `${p.kind} ${p.key}`)).to.deep.equal(['commit-unfinished o/p/s/meta.json']);
  });

  it('reports leftovers of other incarnations once older than the margin, grouped by prefix', () => {
    const objects = [listed('meta.json'), ...committed('i1', 1, 2, 3), ...committed('i0', 1), listed('i/i7/checkpoints/0000000001.json', 10 * 60_000)];
    const a = audit({ objects });
    expect(kinds(a)).to.deep.equal(['orphan o/p/s/i/i0/']);
    expect(a.problems[0]?.message).to.contain('2 objects').and.contain('fulmar gc');
  });

  it('reports objects under a name with no register, and keys outside the layout', () => {
    expect(kinds(auditListing({ ref, meta: undefined, objects: committed('i1', 1), storeTime: now, marginMs: HOUR }))).to.deep.equal(['unregistered o/p/s/']);
    const objects = [listed('meta.json'), ...committed('i1', 1, 2, 3), listed('i/i1/notes.txt', 0)];
    expect(kinds(audit({ objects }))).to.deep.equal(['unknown-key o/p/s/i/i1/notes.txt']);
  });

  it('checks nothing of a tombstone but its leftovers, and waits for a move into a name to land', () => {
    expect(audit({ meta: meta({ deleted: { at: 'x' } }), objects: [listed('meta.json'), ...committed('i1', 1)] }).problems.map((p) => p.kind)).to.deep.equal(['orphan']);
    expect(audit({ meta: meta({ movingIn: { from: ref } }), objects: [listed('meta.json')] }).problems).to.deep.equal([]);
  });

  it('checks bodies: a deployment the CLI reads back, a history entry naming its version, a data key that unwraps', () => {
    const key = 'o/p/s/i/i1/checkpoints/x';
    expect(checkpointProblem(ref, key, Buffer.from('{"version":3,"deployment":{"resources":[]}}'))).to.equal(undefined);
    expect(checkpointProblem(ref, key, Buffer.from('{"version":3,"deployment":{"resour'))).to.include({ kind: 'checkpoint-invalid', key, stack: 'o/p/s' });
    expect(checkpointProblem(ref, key, Buffer.from('{"version":9,"deployment":{}}'))?.message).to.contain('"version"');
    expect(historyProblem(ref, key, 2, Buffer.from('{"version":2}'))).to.equal(undefined);
    expect(historyProblem(ref, key, 2, Buffer.from('{"version":3}'))).to.include({ kind: 'history-invalid' });
    expect(historyProblem(ref, key, 2, Buffer.from('nope'))).to.include({ kind: 'history-invalid' });
    expect(dataKeyProblem(ref, meta(), keyring)).to.equal(undefined);
    const other = [{ id: 'k1', key: Buffer.alloc(32, 2) }];
    expect(dataKeyProblem(ref, meta(), other)).to.include({ kind: 'data-key', key: 'o/p/s/meta.json' });
    expect(dataKeyProblem(ref, meta({ secrets: wrapDataKey([{ id: 'k0', key: Buffer.alloc(32, 2) }], generateDataKey(), 'id1') }), keyring)?.message).to.contain('k0');
  });
});
