/**
 * Golden vectors from the real pulumi CLI (captured by scripts/capture-journal-vectors.ts): for
 * each step of a stack's history, the journal entries the CLI sent when the server answered
 * `journalVersion: 1`, and the checkpoint the same CLI saved for the same step from the same
 * base with journaling disabled. Replaying the entries onto the base must give that checkpoint.
 *
 * Masked, because they legitimately differ between the two runs:
 * - `deployment.manifest.time`: the moment each run saved its state (the replay is given the
 *   checkpoint's own time and version, so magic and version are compared for real);
 * - `created` / `modified` of each resource (and of each pending operation's resource): the
 *   engine stamps them with the wall clock when the step runs, and the two runs are seconds apart;
 * - the id of a provider resource, and the id half of every `provider` reference
 *   (`<urn>::<id>`): the engine gives a default provider a random UUID when it creates it, so
 *   the steps that create one (the first `up`) get a different id in each run.
 * Nothing else is masked — property-dependency keys that list nothing included: the CLI's
 * checkpoint drops them after a plain refresh (06-refresh-outputs) and keeps them for the
 * resources an `up --refresh` touched after its rebuilt base state (08-up-refresh), and so does
 * the replay (src/domain/journal-deployment.ts, `pruneReferences`; docs/protocol.md, "Journaling").
 * Beyond that: resource ids, inputs, outputs, URNs, order, flags, parents and
 * dependencies come from a provider whose results depend only on its inputs, and both runs
 * execute one step at a time (`--parallel 1`), so the order does not depend on timing.
 * (The capture script already replaced the serialized provider source by a digest and dropped
 * the programs' stack traces, alike in the base, the entries and the expected state.)
 */
import { expect } from 'chai';
import { JournalReplayer } from '../../src/domain/journal-replay.js';
import { parseJournalEntries } from '../../src/wire/journal-entry.js';
import { masked, vectors, type Vector } from '../helpers/journal-vectors.js';

function replay(v: Vector, batches: unknown[][]) {
  const replayer = new JournalReplayer(v.base.deployment);
  for (const batch of batches) replayer.add(replayer.unseen(parseJournalEntries({ entries: batch })));
  const manifest = v.expected.deployment.manifest as { time: string; version: string };
  return replayer.generate({ now: new Date(manifest.time), version: manifest.version });
}

describe('journal replay against the real CLI (golden vectors)', () => {
  it('has vectors to check', () => {
    expect(vectors.length).to.be.greaterThan(0);
  });

  for (const v of vectors) {
    it(`${v.name}: ${v.description}`, () => {
      expect(masked(replay(v, v.batches))).to.deep.equal(masked(v.expected));
    });
  }

  it('feeding the entries one at a time gives the same state as the batches the CLI sent', () => {
    for (const v of vectors) {
      const single = v.batches.flat().map((e) => [e]);
      expect(replay(v, single), v.name).to.deep.equal(replay(v, v.batches));
    }
  });
});
