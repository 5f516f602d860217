/** The checker's workload plan: a seed fixes every client's sequence of actions. */
import { expect } from 'chai';
import { prng } from '../helpers/assertions.js';
import { DEFAULT_NAMESPACE, planAction, type Action } from '../checker/workload.js';

const plan = (seed: number, n: number, races = true): Action[] => {
  const rand = prng(seed);
  return Array.from({ length: n }, (_, i) => planAction(rand, DEFAULT_NAMESPACE, 'c1', i + 1, races));
};

describe('checker workload plan', () => {
  it('is the same for the same seed and differs between seeds', () => {
    expect(plan(42, 200)).to.deep.equal(plan(42, 200));
    expect(plan(42, 200)).not.to.deep.equal(plan(43, 200));
  });

  it('draws every kind of action over the shared names, with unique markers', () => {
    const actions = plan(7, 2000);
    const kinds = new Set(actions.map((a) => a.type));
    expect([...kinds].sort()).to.deep.equal(['cancel-active', 'create', 'delete', 'import', 'read', 'rename', 'tags', 'transfer', 'update']);
    const endings = new Set(actions.flatMap((a) => (a.type === 'update' ? [a.ending] : [])));
    expect([...endings].sort()).to.deep.equal(['abandon', 'cancel-race', 'complete', 'complete-race']);
    const markers = actions.flatMap((a) => (a.type === 'import' ? [a.marker] : a.type === 'update' ? a.markers : []));
    expect(new Set(markers).size).to.equal(markers.length);
    for (const a of actions) {
      if (a.type === 'rename') expect(a.to.stack).not.to.equal(a.ref.stack);
      if (a.type === 'transfer') expect(a.to.org).not.to.equal(a.ref.org);
    }
  });

  it('without races, never ends an update with a request in flight', () => {
    const endings = new Set(plan(7, 2000, false).flatMap((a) => (a.type === 'update' ? [a.ending] : [])));
    expect([...endings].sort()).to.deep.equal(['abandon', 'complete']);
  });

  it('journals about half of the updates, with unique markers and every ending', () => {
    const updates = plan(7, 2000).flatMap((a) => (a.type === 'update' ? [a] : []));
    const journaled = updates.filter((a) => a.journal);
    expect(journaled.length / updates.length).to.be.within(0.4, 0.6);
    expect(new Set(journaled.map((a) => a.ending)).size).to.equal(4);
    const steps = new Set(journaled.flatMap((a) => a.journal!.steps.map((s) => s.kind)));
    expect([...steps].sort()).to.deep.equal(['close', 'create', 'open', 'replace']);
    expect(journaled.some((a) => a.journal!.retry >= 0) && journaled.some((a) => a.journal!.reversed.length > 0)).to.equal(true);
  });
});
