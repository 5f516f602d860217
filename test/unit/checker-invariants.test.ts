/**
 * The checker's invariants on small hand-written histories: what must be flagged, and what an
 * unknown outcome or a concurrent request must excuse.
 */
import { expect } from 'chai';
import { checkInvariants } from '../checker/invariants.js';
import type { FinalSnapshot, FinalStack } from '../checker/final-phase.js';
import type { Op, StackName } from '../checker/history.js';

const S: StackName = { org: 'org-a', project: 'proj', stack: 's0' };

let nextId = 1;
function op(partial: Partial<Op> & Pick<Op, 'kind' | 'start' | 'end' | 'status'>): Op {
  return { id: nextId++, phase: 'workload', client: 'c1', pod: 'pod1.1', method: 'GET', path: '/x', ref: S, ...partial };
}

const exportOp = (markers: string[]) =>
  op({
    kind: 'export',
    start: 1000,
    end: 1001,
    status: 200,
    body: { version: 3, deployment: { resources: markers.map((m) => ({ outputs: { marker: m } })) } },
    text: JSON.stringify(markers),
  });

/** A final stack at `S` whose versions were committed by `updates`, each exporting its markers. */
function stack(id: string, updates: { updateID: string; markers: string[] }[]): FinalStack {
  const versions = new Map(updates.map((u, i) => [i + 1, { op: exportOp(u.markers), valid: true, markers: u.markers }]));
  const latest = versions.get(updates.length) ?? { op: exportOp([]), valid: true, markers: [] };
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
    op({ kind: 'get', start: 11, end: 12, status: 200, body: { id, activeUpdate: u } }),
    ...checkpoints.map((c) => op({ kind: 'checkpoint', updateId: u, marker: c.marker, start: c.start, end: c.end, status: c.status })),
  ];
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
});
