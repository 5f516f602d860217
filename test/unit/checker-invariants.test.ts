/**
 * The checker's invariants on small hand-written histories: what must be flagged, and what an
 * unknown outcome or a concurrent request must excuse.
 */
import { expect } from 'chai';
import { checkInvariants } from '../checker/invariants.js';
import { exportView, type FinalSnapshot, type FinalStack } from '../checker/final-phase.js';
import type { BatchFacts, Op, StackName } from '../checker/history.js';

const S: StackName = { org: 'org-a', project: 'proj', stack: 's0' };

let nextId = 1;
function op(partial: Partial<Op> & Pick<Op, 'kind' | 'start' | 'end' | 'status'>): Op {
  return { id: nextId++, phase: 'workload', client: 'c1', pod: 'pod1.1', method: 'GET', path: '/x', ref: S, ...partial };
}

const exportOp = (markers: string[], pending: string[] = []) =>
  op({
    kind: 'export',
    start: 1000,
    end: 1001,
    status: 200,
    body: {
      version: 3,
      deployment: {
        resources: markers.map((m) => ({ urn: `urn:${m}`, outputs: { marker: m } })),
        ...(pending.length > 0 && { pending_operations: pending.map((m) => ({ type: 'creating', resource: { urn: `urn:${m}`, inputs: { marker: m } } })) }),
      },
    },
    text: JSON.stringify([markers, pending]),
  });

/**
 * A final stack at `S` whose versions were committed by `updates`, each exporting its markers
 * (and `pending` as pending operations).
 */
function stack(id: string, updates: { updateID: string; markers: string[]; pending?: string[] }[]): FinalStack {
  const versions = new Map(updates.map((u, i) => [i + 1, exportView(exportOp(u.markers, u.pending))]));
  const latest = versions.get(updates.length) ?? exportView(exportOp([]));
  return {
    name: S,
    id,
    version: updates.length,
    getOp: op({ kind: 'get', start: 900, end: 901, status: 200, body: { id, activeUpdate: '', version: updates.length } }),
    historyOp: op({ kind: 'history', start: 902, end: 903, status: 200 }),
    history: updates.map((u, i) => ({ updateID: u.updateID, version: i + 1, kind: 'update', result: 'succeeded' })),
    latest,
    versions,
  };
}

function snapshot(stacks: FinalStack[]): FinalSnapshot {
  return {
    names: [S],
    takeovers: [],
    gets: new Map(stacks.map((s) => [`${s.name.org}/${s.name.project}/${s.name.stack}`, s.getOp])),
    stacks,
    listing: stacks.map((s) => ({ name: s.name, id: s.id })),
    listingOps: [],
    bucket: [],
    removals: [],
    bucketAfterRemoval: [],
  };
}

/** An update `u` started on incarnation `id` (pinned by a read) with checkpoints m1, m2…. */
function updateOps(u: string, id: string, checkpoints: { marker: string; status: number; start: number; end: number }[]) {
  return [
    op({ kind: 'update-start', updateId: u, start: 0, end: 10, status: 200 }),
    op({ kind: 'get', start: 11, end: 12, status: 200, body: { id, activeUpdate: u, currentOperation: { kind: 'update', author: 'admin', started: 1 } } }),
    ...checkpoints.map((c) => op({ kind: 'checkpoint', updateId: u, marker: c.marker, start: c.start, end: c.end, status: c.status })),
  ];
}

/** A journal batch of update `u`: entries first–last, writing and beginning the markers given. */
function batch(u: string, facts: Partial<BatchFacts> & Pick<BatchFacts, 'first' | 'last'>, status: number, start: number) {
  const full: BatchFacts = { markers: [], replaces: [], begins: [], ends: [], ...facts };
  return op({ kind: 'journal', method: 'PATCH', updateId: u, batch: full, start, end: start + 10, status });
}

const invariantsOf = (ops: Op[], final: FinalSnapshot) => checkInvariants({ ops, final, faultsInjected: 0 }).map((v) => v.invariant);

describe('checker invariants', () => {
  it('accepts a history whose acknowledged checkpoints are all committed', () => {
    const ops = updateOps('u1', 'X', [
      { marker: 'm1', status: 200, start: 20, end: 30 },
      { marker: 'm2', status: 200, start: 40, end: 50 },
    ]);
    expect(invariantsOf(ops, snapshot([stack('X', [{ updateID: 'u1', markers: ['m2'] }])]))).to.deep.equal([]);
  });

  it('flags an acknowledged checkpoint missing from the version its update committed', () => {
    const ops = updateOps('u1', 'X', [
      { marker: 'm1', status: 200, start: 20, end: 30 },
      { marker: 'm2', status: 200, start: 40, end: 50 },
    ]);
    expect(invariantsOf(ops, snapshot([stack('X', [{ updateID: 'u1', markers: ['m1'] }])]))).to.deep.equal(['acked-checkpoint-committed']);
  });

  it('lets a later checkpoint with an unknown outcome stand in for an acknowledged one', () => {
    const ops = updateOps('u1', 'X', [
      { marker: 'm1', status: 200, start: 20, end: 30 },
      { marker: 'm2', status: 0, start: 40, end: 50 },
    ]);
    expect(invariantsOf(ops, snapshot([stack('X', [{ updateID: 'u1', markers: ['m2'] }])]))).to.deep.equal([]);
  });

  it('flags a started update missing from the history of its incarnation, but not once that incarnation is gone', () => {
    const ops = updateOps('u1', 'X', []);
    expect(invariantsOf(ops, snapshot([stack('X', [])]))).to.deep.equal(['acked-update-committed']);
    expect(invariantsOf(ops, snapshot([stack('Y', [])]))).to.deep.equal([]);
  });

  it('flags an incarnation that holds another incarnation’s update and markers', () => {
    const ops = updateOps('u1', 'OLD', [{ marker: 'm1', status: 200, start: 20, end: 30 }]);
    const found = invariantsOf(ops, snapshot([stack('NEW', [{ updateID: 'u1', markers: ['m1'] }])]));
    expect(found).to.include('no-cross-incarnation');
  });

  it('flags markers written to another org unless a transfer from there was attempted', () => {
    const other: StackName = { org: 'org-b', project: 'proj', stack: 's0' };
    const imp = op({ kind: 'import', ref: other, marker: 'mb', start: 0, end: 5, status: 0 });
    const final = snapshot([stack('X', [{ updateID: 'u9', markers: ['mb'] }])]);
    expect(invariantsOf([imp], final)).to.include('no-cross-org');
    const transfer = op({ kind: 'transfer', ref: other, to: S, start: 10, end: 20, status: 409 });
    expect(invariantsOf([imp, transfer], final)).not.to.include('no-cross-org');
  });

  it('flags an acknowledged create that reads back 404 unless a delete, rename or transfer was attempted', () => {
    const create = op({ kind: 'create', start: 0, end: 10, status: 200 });
    const get = op({ kind: 'get', start: 20, end: 25, status: 404 });
    expect(invariantsOf([create, get], snapshot([]))).to.deep.equal(['acked-create-visible']);
    const concurrentDelete = op({ kind: 'delete', start: 5, end: 15, status: 204 });
    expect(invariantsOf([create, concurrentDelete, get], snapshot([]))).to.deep.equal([]);
    const refusedDelete = op({ kind: 'delete', start: 5, end: 5, status: 0, refused: true });
    expect(invariantsOf([create, refusedDelete, get], snapshot([]))).to.deep.equal(['acked-create-visible']);
  });

  it('flags gaps in versions and 500s, and accepts 503s only when faults were injected', () => {
    const gap = stack('X', [{ updateID: 'u1', markers: [] }]);
    gap.history = [];
    expect(invariantsOf([], snapshot([gap]))).to.include('versions-contiguous');
    const unavailable = op({ kind: 'get', start: 0, end: 1, status: 503 });
    expect(checkInvariants({ ops: [unavailable], final: snapshot([]), faultsInjected: 3 })).to.deep.equal([]);
    expect(invariantsOf([unavailable], snapshot([]))).to.deep.equal(['no-5xx']);
    expect(invariantsOf([op({ kind: 'get', start: 0, end: 1, status: 500 })], snapshot([]))).to.deep.equal(['no-5xx']);
  });

  it('lets any unattributed import of a history account for the marker of an import that got no answer', () => {
    const lost = op({ kind: 'import', marker: 'mi', start: 0, end: 5, status: 0 });
    const imported = stack('X', [
      { updateID: 'i1', markers: ['mi'] },
      { updateID: 'i2', markers: ['other'] },
    ]);
    imported.history = imported.history.map((h) => ({ ...h, kind: 'import' }));
    // The history lists the newest first, as the API does.
    imported.history.reverse();
    const other = op({ kind: 'import', marker: 'other', start: 10, end: 15, status: 0 });
    expect(invariantsOf([lost, other], snapshot([imported]))).to.deep.equal([]);
  });

  describe('journaling', () => {
    const journaled = (u: string, id: string, batches: Op[]) => [...updateOps(u, id, []), ...batches];

    it('accepts a journaled update whose acknowledged batches are all in its committed version', () => {
      const ops = journaled('u1', 'X', [
        batch('u1', { first: 1, last: 2, markers: ['m1'], begins: ['m1'], ends: ['m1'] }, 200, 20),
        batch('u1', { first: 3, last: 5, markers: ['m2'], begins: ['m2', 'p'], ends: ['m2'] }, 200, 40),
      ]);
      const final = snapshot([stack('X', [{ updateID: 'u1', markers: ['m1', 'm2'], pending: ['p'] }])]);
      expect(invariantsOf(ops, final)).to.deep.equal([]);
    });

    it('flags a marker of an acknowledged batch missing from the committed version, whatever came later', () => {
      const ops = journaled('u1', 'X', [
        batch('u1', { first: 1, last: 2, markers: ['m1'] }, 200, 20),
        batch('u1', { first: 3, last: 4, markers: ['m2'] }, 0, 40),
      ]);
      // Unlike checkpoints, batches add up: a later batch that may have landed does not stand in.
      const final = snapshot([stack('X', [{ updateID: 'u1', markers: ['m2'] }])]);
      expect(invariantsOf(ops, final)).to.deep.equal(['acked-journal-committed']);
    });

    it('lets a batch that may have landed explain a marker it replaced', () => {
      const ops = journaled('u1', 'X', [
        batch('u1', { first: 1, last: 2, markers: ['m1'] }, 200, 20),
        batch('u1', { first: 3, last: 4, markers: ['m2'], replaces: ['m1'] }, 0, 40),
      ]);
      const final = snapshot([stack('X', [{ updateID: 'u1', markers: ['m2'] }])]);
      expect(invariantsOf(ops, final)).to.deep.equal([]);
      // A batch that never reached a pod explains nothing.
      const refused = ops.map((o) => (o.batch?.first === 3 ? { ...o, refused: true } : o));
      expect(invariantsOf(refused, snapshot([stack('X', [{ updateID: 'u1', markers: [] }])]))).to.deep.equal(['acked-journal-committed']);
    });

    it('flags an acknowledged open begin missing from pending_operations unless a batch that may have landed ended it', () => {
      const open = batch('u1', { first: 1, last: 1, begins: ['p'] }, 200, 20);
      const final = snapshot([stack('X', [{ updateID: 'u1', markers: [] }])]);
      expect(invariantsOf(journaled('u1', 'X', [open]), final)).to.deep.equal(['acked-journal-pending']);
      const end = batch('u1', { first: 2, last: 2, markers: ['p'], ends: ['p'] }, 0, 40);
      expect(invariantsOf(journaled('u1', 'X', [open, end]), final)).to.deep.equal([]);
    });

    it('flags an operation still pending after an acknowledged batch ended it', () => {
      const ops = journaled('u1', 'X', [
        batch('u1', { first: 1, last: 1, begins: ['p'] }, 200, 20),
        batch('u1', { first: 2, last: 2, markers: ['p'], ends: ['p'] }, 200, 40),
      ]);
      const final = snapshot([stack('X', [{ updateID: 'u1', markers: ['p'], pending: ['p'] }])]);
      expect(invariantsOf(ops, final)).to.deep.equal(['acked-journal-pending']);
    });

    it('flags an acknowledged batch that shows up in another incarnation', () => {
      const ops = journaled('u1', 'OLD', [batch('u1', { first: 1, last: 2, markers: ['m1'] }, 200, 20)]);
      const final = snapshot([stack('NEW', [{ updateID: 'u9', markers: ['m1'] }])]);
      expect(invariantsOf(ops, final)).to.include('no-cross-incarnation');
      const pendingOnly = snapshot([stack('NEW', [{ updateID: 'u9', markers: [], pending: ['m1'] }])]);
      expect(invariantsOf(ops, pendingOnly)).to.include('no-cross-incarnation');
    });

    it('flags a journaled version that is no deployment the CLI can read back', () => {
      const ops = journaled('u1', 'X', [batch('u1', { first: 1, last: 2, markers: ['m1'] }, 200, 20)]);
      const twice = stack('X', [{ updateID: 'u1', markers: ['m1', 'm1'] }]);
      expect(invariantsOf(ops, snapshot([twice]))).to.deep.equal(['versions-export']);
      const empty = stack('X', [{ updateID: 'u9', markers: [] }]);
      const noResources = op({ kind: 'export', start: 1000, end: 1001, status: 200, body: { version: 3, deployment: { manifest: {} } } });
      empty.versions.set(1, exportView(noResources));
      empty.latest = empty.versions.get(1)!;
      expect(invariantsOf([], snapshot([empty])), 'resources may be absent (omitempty)').to.deep.equal([]);
    });

    it('flags a batch refused for its content and a start that did not negotiate journaling', () => {
      const retry = batch('u1', { first: 1, last: 2, markers: ['m1'], retry: true }, 409, 30);
      expect(invariantsOf([retry], snapshot([]))).to.deep.equal(['journal-batch-accepted']);
      const forbidden = batch('u1', { first: 1, last: 2, markers: ['m1'] }, 403, 30);
      expect(invariantsOf([forbidden], snapshot([]))).to.deep.equal([]);
      const start = op({ kind: 'update-start', updateId: 'u1', journalVersion: 1, start: 0, end: 1, status: 200, body: { token: 't', journalVersion: 0 } });
      expect(invariantsOf([start], snapshot([]))).to.deep.equal(['journal-negotiated']);
    });
  });
});
