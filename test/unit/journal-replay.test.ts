import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { isFulmarError } from '../../src/domain/errors.js';
import { JournalReplayer } from '../../src/domain/journal-replay.js';
import { parseJournalEntries, parseJournalEntry, type JournalEntry } from '../../src/wire/journal-entry.js';

const P = 'urn:pulumi:dev::shop::';
const urn = (name: string, type = 'shop:app:Thing') => `${P}${type}::${name}`;
const res = (name: string, extra: Record<string, unknown> = {}) => ({
  urn: urn(name),
  custom: true,
  id: `id-${name}`,
  type: 'shop:app:Thing',
  ...extra,
});
const NOW = new Date('2025-06-01T12:00:00.000Z');
const VERSION = 'v3.259.0';

/** Entries with the fields the CLI always sends filled in; sequence ids count up from 1. */
function journal(...partials: Record<string, unknown>[]): JournalEntry[] {
  return partials.map((p, i) =>
    parseJournalEntry({ version: 1, sequenceID: i + 1, operationID: 0, removeOld: null, removeNew: null, ...p }),
  );
}
const begin = (op: number, extra: Record<string, unknown> = {}) => ({ kind: 0, operationID: op, ...extra });
const success = (op: number, extra: Record<string, unknown> = {}) => ({ kind: 1, operationID: op, ...extra });

function replay(base: Record<string, unknown> | undefined, ...partials: Record<string, unknown>[]) {
  const r = new JournalReplayer(base);
  r.add(journal(...partials));
  return r.generate({ now: NOW, version: VERSION });
}
const urnsOf = (d: { deployment: Record<string, unknown> }) =>
  ((d.deployment.resources as { urn: string }[] | undefined) ?? []).map((r) => r.urn);

function expectBadRequest(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(isFulmarError(err, 'bad-request'), String(err)).to.equal(true);
    expect((err as Error).message).to.match(pattern);
    return;
  }
  expect.fail('expected a bad request');
}

const base3 = () => ({
  manifest: { time: '2025-01-01T00:00:00Z', magic: 'x', version: 'v3.200.0' },
  secrets_providers: { type: 'service', state: { url: 'http://x', owner: 'o', project: 'shop', stack: 'dev' } },
  resources: [res('a'), res('b', { dependencies: [urn('a')] }), res('c', { parent: urn('b') })],
  metadata: {},
});

describe('journal replay: the deployment it generates', () => {
  it('an empty journal on a never-updated stack gives an empty version-3 deployment with a fresh manifest', () => {
    const d = replay({});
    expect(d).to.deep.equal({
      version: 3,
      deployment: {
        manifest: {
          time: '2025-06-01T12:00:00.000Z',
          // hex SHA-256 of the version, which the CLI's integrity check recomputes
          magic: createHash('sha256').update(VERSION).digest('hex'),
          version: VERSION,
        },
        metadata: {},
      },
    });
  });

  it('an empty journal keeps the base resources, secrets provider and metadata as they were', () => {
    const base = base3();
    const d = replay(base);
    expect(d.deployment.resources).to.deep.equal(base.resources);
    expect(d.deployment.secrets_providers).to.deep.equal(base.secrets_providers);
    expect(d.deployment.metadata).to.deep.equal({});
  });

  it('does not mutate the base it was given', () => {
    const base = base3();
    const copy = structuredClone(base);
    replay(base, success(1, { deleteOld: 0, pendingReplacementOld: 1 }), { kind: 6, secretsProvider: { type: 'passphrase' } });
    expect(base).to.deep.equal(copy);
  });
});

describe('journal replay: begin, success and failure', () => {
  it('a success with state appends the new resource before the base resources', () => {
    const d = replay(base3(), begin(1), success(1, { state: res('new') }));
    expect(urnsOf(d)).to.deep.equal([urn('new'), urn('a'), urn('b'), urn('c')]);
  });

  it('a success with state and removeOld replaces a base resource by moving it to the front', () => {
    const d = replay(base3(), begin(1), success(1, { state: res('a', { outputs: { v: 2 } }), removeOld: 0 }));
    expect(urnsOf(d)).to.deep.equal([urn('a'), urn('b'), urn('c')]);
    expect((d.deployment.resources as Record<string, unknown>[])[0]?.outputs).to.deep.equal({ v: 2 });
  });

  it('a success without state and with removeOld drops the base resource (a delete)', () => {
    const d = replay(base3(), begin(1), success(1, { removeOld: 2 }));
    expect(urnsOf(d)).to.deep.equal([urn('a'), urn('b')]);
  });

  it('a success with removeNew drops a resource created earlier in the same update', () => {
    const d = replay(base3(), begin(1), success(1, { state: res('tmp') }), begin(2), success(2, { removeNew: 1 }));
    expect(urnsOf(d)).to.deep.equal([urn('a'), urn('b'), urn('c')]);
  });

  it('deleteOld flags a base resource for deletion (a create-replacement ran)', () => {
    const d = replay(base3(), begin(1), success(1, { state: res('b', { id: 'id-b2' }), deleteOld: 1 }));
    const resources = d.deployment.resources as Record<string, unknown>[];
    expect(resources.map((r) => [r.id, r.delete])).to.deep.equal([
      ['id-b2', undefined],
      ['id-a', undefined],
      ['id-b', true],
      ['id-c', undefined],
    ]);
    // The flag sits where encoding/json writes it: right after `custom`.
    expect(Object.keys(resources[2] as object).slice(0, 3)).to.deep.equal(['urn', 'custom', 'delete']);
  });

  it('deleteNew flags a resource created in this update for deletion', () => {
    const d = replay(undefined, success(1, { state: res('x') }), success(2, { state: res('x', { id: 'id-x2' }), deleteNew: 1 }));
    const resources = d.deployment.resources as Record<string, unknown>[];
    expect(resources.map((r) => [r.id, r.delete])).to.deep.equal([
      ['id-x', true],
      ['id-x2', undefined],
    ]);
  });

  it('pendingReplacementOld and pendingReplacementNew flag resources deleted before their replacement', () => {
    const d = replay(base3(), success(1, { state: res('n') }), success(2, { pendingReplacementOld: 0 }), success(3, { pendingReplacementNew: 1 }));
    const flags = (d.deployment.resources as Record<string, unknown>[]).map((r) => r.pendingReplacement);
    expect(flags).to.deep.equal([true, true, undefined, undefined]);
  });

  it('a failure closes the operation and keeps the state as it was, ignoring the state it carries', () => {
    const d = replay(base3(), begin(1, { operation: { resource: res('x'), type: 'creating' } }), { kind: 2, operationID: 1, state: res('x') });
    expect(urnsOf(d)).to.deep.equal([urn('a'), urn('b'), urn('c')]);
    expect(d.deployment).not.to.have.property('pending_operations');
  });

  it('an open begin with an operation becomes a pending operation', () => {
    const op = { resource: res('x'), type: 'creating' };
    const d = replay(base3(), begin(1, { operation: op }), begin(2), begin(3, { operation: { resource: res('a'), type: 'deleting' } }));
    expect(d.deployment.pending_operations).to.deep.equal([op, { resource: res('a'), type: 'deleting' }]);
  });

  it('a begin without an operation (a same or refresh step) adds no pending operation', () => {
    expect(replay(base3(), begin(1)).deployment).not.to.have.property('pending_operations');
  });

  it("the base's pending creates survive; its other pending operations were resolved", () => {
    const base = {
      ...base3(),
      pending_operations: [
        { resource: res('half'), type: 'creating' },
        { resource: res('a'), type: 'updating' },
        { resource: res('b'), type: 'deleting' },
      ],
    };
    const open = { resource: res('y'), type: 'updating' };
    const d = replay(base, begin(1, { operation: open }));
    expect(d.deployment.pending_operations).to.deep.equal([open, { resource: res('half'), type: 'creating' }]);
  });
});

describe('journal replay: refresh', () => {
  it('refresh-success with state replaces the base resource in place', () => {
    const d = replay(base3(), begin(1), { kind: 3, operationID: 1, state: res('b', { outputs: { drift: 1 } }), removeOld: 1, isRefresh: true });
    expect(urnsOf(d)).to.deep.equal([urn('a'), urn('b'), urn('c')]);
    expect((d.deployment.resources as Record<string, unknown>[])[1]?.outputs).to.deep.equal({ drift: 1 });
  });

  it('refresh-success without state drops the base resource', () => {
    const d = replay(base3(), { kind: 3, operationID: 1, removeOld: 2 });
    expect(urnsOf(d)).to.deep.equal([urn('a'), urn('b')]);
  });

  it('refresh-success replaces or drops a resource created earlier in the update', () => {
    const d1 = replay(undefined, success(1, { state: res('x') }), { kind: 3, operationID: 2, removeNew: 1, state: res('x', { id: 'fresh' }) });
    expect((d1.deployment.resources as Record<string, unknown>[])[0]?.id).to.equal('fresh');
    const d2 = replay(undefined, success(1, { state: res('x') }), { kind: 3, operationID: 2, removeNew: 1 });
    expect(d2.deployment).not.to.have.property('resources');
  });

  it('after a refresh, dependencies on a resource that is gone are pruned (empty lists disappear)', () => {
    const base = {
      resources: [
        res('a'),
        res('b', {
          dependencies: [urn('a')],
          propertyDependencies: { x: [urn('a')], y: [] },
          deletedWith: urn('a'),
          replaceWith: [urn('a')],
        }),
        res('c', { dependencies: [urn('a'), urn('b')], propertyDependencies: { x: [urn('a'), urn('b')] } }),
      ],
    };
    const d = replay(base, { kind: 3, operationID: 1, removeOld: 0 });
    const [b, c] = d.deployment.resources as Record<string, unknown>[];
    expect(b).to.deep.equal(res('b'));
    expect(c).to.deep.equal(res('c', { dependencies: [urn('b')], propertyDependencies: { x: [urn('b')] } }));
    // replaceWith was in use before the pruning, so the feature stays (ApplyFeatures runs first).
    expect(d.features).to.deep.equal(['replaceWith']);
  });

  it('after a refresh, property-dependency keys listing nothing disappear even when nothing was pruned', () => {
    // rebuildDependencies (pkg/backend/journal.go) replaces every non-empty propertyDependencies
    // map by one holding only the keys with a surviving URN, so `{"x": []}` becomes `{}` and is
    // omitted. The CLI's own checkpoint after `pulumi refresh` has no such keys either (seen in
    // test/e2e/journaling.test.ts, phase "refresh": every dynamic resource's
    // `{"__provider":[],"key":[],…}` is absent from the checkpoint but kept by the replay).
    const base = { resources: [res('a', { propertyDependencies: { x: [], y: [] } }), res('b', { propertyDependencies: { x: [] } })] };
    const d = replay(base, { kind: 3, operationID: 1, removeOld: 0, state: res('a', { propertyDependencies: { x: [], y: [] }, outputs: { o: 1 } }) });
    const [a, b] = d.deployment.resources as Record<string, unknown>[];
    expect(a, 'the refreshed resource').not.to.have.property('propertyDependencies');
    expect(b, 'a resource the refresh left alone').not.to.have.property('propertyDependencies');
  });

  it('after a refresh, a resource whose parent is gone loses its parent', () => {
    const base = { resources: [res('p'), res('kid', { parent: urn('p') }), res('grandkid', { parent: urn('kid') })] };
    const d = replay(base, { kind: 3, operationID: 1, removeOld: 0 });
    const [kid, grandkid] = d.deployment.resources as Record<string, unknown>[];
    expect(kid).not.to.have.property('parent');
    expect(grandkid?.parent).to.equal(urn('kid'));
  });

  it('without a refresh, dangling dependencies are left alone', () => {
    const d = replay(base3(), success(1, { removeOld: 0 }));
    expect((d.deployment.resources as Record<string, unknown>[])[0]?.dependencies).to.deep.equal([urn('a')]);
  });

  it('a persisted refresh (a success marked isRefresh) also prunes', () => {
    const d = replay(base3(), success(1, { removeOld: 0, isRefresh: true }));
    expect((d.deployment.resources as Record<string, unknown>[])[0]).not.to.have.property('dependencies');
  });

  it('a replacement of a base resource wins over a later delete flag', () => {
    const d = replay(base3(), { kind: 3, operationID: 1, removeOld: 0, state: res('a', { outputs: { r: 1 } }) }, success(2, { deleteOld: 0, pendingReplacementOld: 0 }));
    expect((d.deployment.resources as Record<string, unknown>[])[0]).to.deep.equal(res('a', { outputs: { r: 1 } }));
  });
});

describe('journal replay: outputs, write, secrets manager, snippets, extensions', () => {
  it('an outputs entry replaces the resource it names, new or old', () => {
    const d = replay(
      base3(),
      success(1, { state: res('comp') }),
      { kind: 4, operationID: 2, removeNew: 1, state: res('comp', { outputs: { o: 1 } }) },
      { kind: 4, operationID: 3, removeOld: 0, state: res('a', { outputs: { o: 2 } }) },
    );
    const [comp, a] = d.deployment.resources as Record<string, unknown>[];
    expect(comp?.outputs).to.deep.equal({ o: 1 });
    expect(a?.outputs).to.deep.equal({ o: 2 });
  });

  it('an outputs entry without state changes nothing', () => {
    expect(replay(base3(), { kind: 4, operationID: 1, removeOld: 0 }).deployment.resources).to.deep.equal(base3().resources);
  });

  it('a write entry installs a new base that later indexes refer to', () => {
    const d = replay(base3(), { kind: 5, newSnapshot: { resources: [res('z')], metadata: {} } }, success(1, { deleteOld: 0 }));
    expect(d.deployment.resources).to.deep.equal([res('z', { delete: true })]);
    expect(d.deployment).not.to.have.property('secrets_providers');
  });

  it('a secrets-manager entry sets the secrets provider, keeping an identical one', () => {
    const next = { type: 'passphrase', state: { salt: 'v1:abc' } };
    expect(replay(base3(), { kind: 6, secretsProvider: next }).deployment.secrets_providers).to.deep.equal(next);
    const same = base3().secrets_providers;
    expect(replay(base3(), { kind: 6, secretsProvider: same }).deployment.secrets_providers).to.deep.equal(same);
  });

  it('a snippets entry sets the snippets, which need the snippets-prototype feature', () => {
    const snippets = [{ uuid: 'u1', name: 'n', type: 't', code: 'c', descriptor: { name: 'p' }, references: { r: urn('a') } }];
    const d = replay(base3(), { kind: 9, snippets });
    expect(d.deployment.snippets).to.deep.equal(snippets);
    expect(d).to.include({ version: 4 });
    expect(d.features).to.deep.equal(['snippets-prototype']);
    expect(replay({ ...base3(), snippets }, { kind: 9, snippets: null }).deployment).not.to.have.property('snippets');
  });

  it("extension-parameterize entries become extensions, merged under the base's", () => {
    const base = { extensions: { shared: { from: 'base' }, old: { v: 1 } } };
    const d = replay(base, { kind: 8, operationID: 1, extensionRef: 'shared', extension: { from: 'update' } }, { kind: 8, operationID: 2, extensionRef: 'new', extension: { v: 2 } });
    expect(d.deployment.extensions).to.deep.equal({ shared: { from: 'base' }, old: { v: 1 }, new: { v: 2 } });
  });

  it('a rebuilt-base-state entry materialises the state so later indexes refer to it', () => {
    // Refresh drops a (index 0); after the rebuild, b is index 0 of the new base.
    const d = replay(base3(), { kind: 3, operationID: 1, removeOld: 0 }, { kind: 7 }, success(2, { deleteOld: 0 }));
    expect(urnsOf(d)).to.deep.equal([urn('b'), urn('c')]);
    expect((d.deployment.resources as Record<string, unknown>[])[0]).to.deep.equal(res('b', { delete: true }));
  });

  it("after a refresh, the states the update's steps wrote keep their property-dependency keys (as the checkpoint does)", () => {
    // `up --refresh`: the refresh drops a, the base is rebuilt, then the update's steps write b
    // and c with keys that list nothing.
    const written = { propertyDependencies: { x: [], y: [urn('b')] }, dependencies: [urn('b')] };
    const d = replay(base3(), { kind: 3, operationID: 1, removeOld: 0 }, { kind: 7 }, success(2, { state: res('b'), removeOld: 0 }), success(3, { state: res('c', written), removeOld: 1 }));
    expect(urnsOf(d)).to.deep.equal([urn('b'), urn('c')]);
    expect((d.deployment.resources as Record<string, unknown>[])[1]).to.deep.equal(res('c', written));
    // `refresh --run-program`: a persisted refresh writes the state anew; a reference to a
    // resource that is gone still goes, the key that listed it stays.
    const persisted = replay(base3(), success(1, { state: res('c', written), removeOld: 2, isRefresh: true }), { kind: 3, operationID: 2, removeOld: 1 });
    expect((persisted.deployment.resources as Record<string, unknown>[])[0]).to.deep.equal(res('c', { propertyDependencies: { x: [], y: [] } }));
  });

  it('nothing may follow a rebuilt-base-state entry that came after new resources', () => {
    expectBadRequest(() => replay(base3(), success(1, { state: res('n') }), { kind: 7 }, begin(2)), /rebuilt-base-state/);
  });
});

describe('journal replay: features and alias normalisation', () => {
  it('uses schema 4 and lists the features resources use, sorted', () => {
    const d = replay(undefined, success(1, { state: res('a', { taint: true, viewOf: urn('v'), refreshBeforeUpdate: true }) }), success(2, { state: res('h', { resourceHooks: { before_create: ['x'] }, extensionRef: 'e', snippetID: 's' }) }));
    expect(d.version).to.equal(4);
    expect(d.features).to.deep.equal(['extensionParameterization', 'hooks', 'refreshBeforeUpdate', 'snippets-prototype', 'taint', 'views']);
  });

  it('a pending operation counts for features, and requiresByteString adds byteString', () => {
    const d = replay(undefined, begin(1, { operation: { resource: res('x', { taint: true }), type: 'creating' }, requiresByteString: true }));
    expect(d.features).to.deep.equal(['byteString', 'taint']);
  });

  it('rewrites references to an aliased URN and drops the aliases', () => {
    const base = { resources: [res('old'), res('user', { dependencies: [urn('old')], propertyDependencies: { p: [urn('old')] }, deletedWith: urn('old') })] };
    const d = replay(base, success(1, { state: res('new', { aliases: [urn('old')] }), removeOld: 0 }));
    const [renamed, user] = d.deployment.resources as Record<string, unknown>[];
    expect(renamed).to.deep.equal(res('new'));
    expect(user).to.deep.include({ dependencies: [urn('new')], propertyDependencies: { p: [urn('new')] }, deletedWith: urn('new') });
  });

  it('a child of a renamed component gets a URN under the new parent type', () => {
    const comp = (name: string, type: string) => ({ urn: `${P}${type}::${name}`, custom: false, type });
    const oldKid = `${P}shop:Old$shop:app:Thing::kid`;
    const base = { resources: [comp('c', 'shop:Old'), { ...res('kid'), urn: oldKid, parent: `${P}shop:Old::c` }] };
    const d = replay(base, success(1, { state: { ...comp('c', 'shop:New'), aliases: [`${P}shop:Old::c`] }, removeOld: 0 }));
    const kid = (d.deployment.resources as Record<string, unknown>[])[1];
    expect(kid).to.deep.include({ urn: `${P}shop:New$shop:app:Thing::kid`, parent: `${P}shop:New::c` });
  });

  it('rewrites the URN half of a provider reference', () => {
    const prov = (name: string) => `${P}pulumi:providers:aws::${name}`;
    const base = { resources: [{ urn: prov('old'), custom: true, id: 'pid', type: 'pulumi:providers:aws' }, res('r', { provider: `${prov('old')}::pid` })] };
    const d = replay(base, success(1, { state: { urn: prov('new'), custom: true, id: 'pid', type: 'pulumi:providers:aws', aliases: [prov('old')] }, removeOld: 0 }));
    expect((d.deployment.resources as Record<string, unknown>[])[1]?.provider).to.equal(`${prov('new')}::pid`);
  });

  it('two resources claiming the same alias is a bad request', () => {
    expectBadRequest(() => replay(undefined, success(1, { state: res('x', { aliases: [urn('o')] }) }), success(2, { state: res('y', { aliases: [urn('o')] }) })), /same alias/);
  });
});

describe('journal replay: validation and incremental feeding', () => {
  it('rejects a malformed entry with the field at fault', () => {
    expectBadRequest(() => parseJournalEntries({ entries: [{ version: 1, kind: 12, sequenceID: 1 }] }), /entry 0: kind/);
    expectBadRequest(() => parseJournalEntries({ entries: [{ version: 2, kind: 0, sequenceID: 1 }] }), /version/);
    expectBadRequest(() => parseJournalEntries({ entries: [{ version: 1, kind: 1, sequenceID: 1, state: { id: 'no-urn' } }] }), /state/);
    expectBadRequest(() => parseJournalEntries({ entries: [{ version: 1, kind: 5, sequenceID: 1 }] }), /newSnapshot/);
    expectBadRequest(() => parseJournalEntries({ entries: 'nope' }), /array/);
  });

  it('rejects an index outside the base deployment', () => {
    expectBadRequest(() => replay(base3(), success(1, { removeOld: 3 })), /index 3 is outside .* 3 resources/);
  });

  it('rejects an operation id that produced no resource', () => {
    expectBadRequest(() => replay(base3(), success(1, { removeNew: 7 })), /operation 7 produced no resource/);
  });

  it('rejects a sequenceID that does not increase, and refuses further use afterwards', () => {
    const r = new JournalReplayer(base3());
    r.add(journal(begin(1), success(1)));
    const [again] = journal(begin(2));
    expectBadRequest(() => r.add([again as JournalEntry]), /sequenceID must increase/);
    expectBadRequest(() => r.generate({ now: NOW, version: VERSION }), /stopped at an invalid entry/);
  });

  it('unseen() drops the entries of a retried batch that were applied already', () => {
    const r = new JournalReplayer(base3());
    const entries = journal(begin(1), success(1, { state: res('n') }), begin(2));
    r.add(entries.slice(0, 2));
    expect(r.unseen(entries).map((e) => e.sequenceID)).to.deep.equal([3]);
    expect(r.lastSequence).to.equal(2);
  });

  it('feeding batch by batch, or through a saved state, equals replaying everything at once', () => {
    const entries = journal(
      { kind: 6, secretsProvider: { type: 'passphrase' } },
      begin(1, { operation: { resource: res('n'), type: 'creating' } }),
      success(1, { state: res('n') }),
      begin(2),
      { kind: 3, operationID: 2, removeOld: 0 },
      success(3, { state: res('b', { id: 'b2' }), deleteOld: 1 }),
      begin(4, { operation: { resource: res('c'), type: 'deleting' } }),
    );
    const once = new JournalReplayer(base3());
    once.add(entries);
    let step = new JournalReplayer(base3());
    for (let i = 0; i < entries.length; i += 2) {
      step.add(entries.slice(i, i + 2));
      // A pod may persist the state between batches and another pod continue from it.
      step = JournalReplayer.restore(JSON.parse(JSON.stringify(step.state())));
    }
    const info = { now: NOW, version: VERSION };
    expect(step.generate(info)).to.deep.equal(once.generate(info));
  });

  it('generating in the middle does not disturb later entries', () => {
    const r = new JournalReplayer(base3());
    const entries = journal(success(1, { state: res('n', { aliases: [urn('a')] }), removeOld: 0 }), success(2, { deleteNew: 1 }));
    r.add(entries.slice(0, 1));
    r.generate({ now: NOW, version: VERSION });
    r.add(entries.slice(1));
    expect((r.generate({ now: NOW, version: VERSION }).deployment.resources as Record<string, unknown>[])[0]).to.deep.equal(res('n', { delete: true }));
  });
});

describe('journal replay: scale', () => {
  it('replays an update of 5000 resources, with a refresh, without per-entry scans', () => {
    const n = 5000;
    const base = { resources: Array.from({ length: n }, (_, i) => res(`r${i}`, i ? { dependencies: [urn(`r${i - 1}`)], parent: urn(`r${i - 1}`) } : {})) };
    const partials: Record<string, unknown>[] = [];
    for (let i = 0; i < n; i++) {
      partials.push(begin(i + 1), success(i + 1, { state: (base.resources[i] as ReturnType<typeof res>), removeOld: i, isRefresh: i === 0 }));
    }
    const entries = journal(...partials);
    const started = performance.now();
    const r = new JournalReplayer(base);
    for (let i = 0; i < entries.length; i += 100) r.add(entries.slice(i, i + 100));
    const d = r.generate({ now: NOW, version: VERSION });
    expect(urnsOf(d)).to.have.length(n);
    // Generous bound: linear work takes tens of milliseconds; a quadratic scan would take seconds.
    expect(performance.now() - started).to.be.lessThan(2000);
  });
});
