/**
 * The checker's journal batches: what they claim to write (BatchFacts) is what the replay of
 * src/domain/journal-replay.ts makes of them, whatever the batching and entry order.
 */
import { expect } from 'chai';
import { prng } from '../helpers/assertions.js';
import { deployment } from '../helpers/api.js';
import { JournalReplayer } from '../../src/domain/journal-replay.js';
import { parseJournalEntries } from '../../src/wire/journal-entry.js';
import { baseResources, journalBatches, planJournal, type JournalPlan } from '../checker/journal-batches.js';
import { markersOf, pendingMarkersOf } from '../checker/final-phase.js';

const ref = { org: 'org-a', project: 'proj', stack: 's0' };

/** The state a replay of every batch, in sequence order, reaches from `base`. */
function replay(base: ReturnType<typeof deployment>, batches: ReturnType<typeof journalBatches>) {
  const entries = batches.flatMap((b) => parseJournalEntries(b.body)).sort((x, y) => x.sequenceID - y.sequenceID);
  const r = new JournalReplayer(base.deployment);
  r.add(entries);
  return r.generate({ now: new Date(0), version: '' });
}

describe('checker journal batches', () => {
  it('numbers entries from 1 without gaps and records what each batch writes', () => {
    const plan: JournalPlan = {
      steps: [
        { kind: 'create', marker: 'm1' },
        { kind: 'open', marker: 'p' },
        { kind: 'replace', marker: 'm2', pick: 0 },
        { kind: 'close', marker: 'p' },
      ],
      batchSizes: [3, 1, 2],
      reversed: [0],
      retry: -1,
    };
    const base = deployment('proj', 's0', 1, 'old');
    const batches = journalBatches(plan, ref, baseResources(base));
    expect(batches.map((b) => b.body.entries.map((e) => e.sequenceID))).to.deep.equal([[3, 2, 1], [4], [5, 6]]);
    expect(batches[0]!.facts).to.deep.include({ first: 1, last: 3, markers: ['m1'], begins: ['m1', 'p'], ends: ['m1'] });
    expect(batches[2]!.facts).to.deep.include({ markers: ['m2', 'p'], replaces: ['old'], ends: ['m2', 'p'] });
    const state = replay(base, batches);
    expect(markersOf(state).sort()).to.deep.equal(['m1', 'm2', 'p']);
    expect(pendingMarkersOf(state)).to.deep.equal([]);
  });

  it('leaves what it began and did not end as pending operations, and creates when nothing is left to replace', () => {
    const plan: JournalPlan = { steps: [{ kind: 'replace', marker: 'm1', pick: 0.5 }, { kind: 'open', marker: 'p' }], batchSizes: [1], reversed: [], retry: -1 };
    const batches = journalBatches(plan, ref, []);
    expect(batches.map((b) => b.body.entries.length), 'sizes that fall short leave one last batch').to.deep.equal([1, 2]);
    const state = replay(deployment('proj', 's0', 1, 'old'), batches);
    expect(markersOf(state)).to.deep.equal(['m1', 'old']);
    expect(pendingMarkersOf(state)).to.deep.equal(['p']);
  });

  it('draws plans whose batches replay to exactly the markers they claim, for many seeds', () => {
    const rand = prng(11);
    for (let n = 0; n < 300; n++) {
      const plan = planJournal(rand, [`m${n}-1`, `m${n}-2`, `m${n}-3`].slice(0, 1 + (n % 3)), `m${n}-p`);
      const base = deployment('proj', 's0', 1, 'old');
      const batches = journalBatches(plan, ref, baseResources(base));
      const written = new Set(batches.flatMap((b) => b.facts.markers));
      const replaced = new Set(batches.flatMap((b) => b.facts.replaces));
      const ended = new Set(batches.flatMap((b) => b.facts.ends));
      const state = replay(base, batches);
      expect(markersOf(state).sort()).to.deep.equal([...written, ...(replaced.has('old') ? [] : ['old'])].sort());
      expect(pendingMarkersOf(state)).to.deep.equal(batches.flatMap((b) => b.facts.begins).filter((p) => !ended.has(p)));
      expect(batches.flatMap((b) => b.body.entries.map((e) => e.sequenceID)).sort((x, y) => x - y)).to.deep.equal(
        Array.from({ length: batches.reduce((s, b) => s + b.body.entries.length, 0) }, (_, i) => i + 1),
      );
    }
  });
});
