/**
 * Same result either way: one sequence of scenarios driven on two stacks, one with the CLI's
 * default (journal entries, replayed by the pods) and one with PULUMI_DISABLE_JOURNALING=true
 * (checkpoints), over three pods on one MinIO bucket behind the round-robin proxy. After every
 * phase the two stacks' exports must be equal once normalised (see `normalise`).
 *
 * Every operation runs with `--parallel 1`: the engine appends a resource to the state when its
 * step finishes, so with parallel steps the order of the resources (and, for the failing
 * resource, which siblings were created before the failure stopped the update) would depend on
 * timing and differ between the two stacks for reasons that have nothing to do with the backend.
 *
 * Cancel and kill points are made deterministic with gated creates (see shapes.ts): the test
 * opens the gates of the creates it wants finished, waits until the stack's export shows exactly
 * those creates done and the next one pending, and only then cancels or kills. Those phases run
 * the two stacks one after the other (gates closed again in between): both stacks' providers
 * wait at the same gate files, so a gate opened for one would open for the other. Ordinary
 * phases run the two stacks side by side (each program in a process of its own:
 * test/helpers/program-runner.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { OperationOptions, ProgramStack } from '../helpers/pulumi.js';
import { shapeProgram, type ItemSpec, type Shape, type ThingSpec } from './shapes.js';
import { installThingPlugin } from './thing-provider.js';
import { startTopology, stackName, stackPath, type Topology } from './fixture.js';

type Mode = 'journal' | 'checkpoint';
type UpOptions = Pick<OperationOptions, 'refresh' | 'target' | 'continueOnError'>;

interface Run {
  mode: Mode;
  full: string;
  stack: ProgramStack;
}

interface Exported {
  version: number;
  deployment: {
    manifest?: Record<string, unknown>;
    resources?: Resource[] | null;
    pending_operations?: { resource: Resource; type: string }[] | null;
  } & Record<string, unknown>;
}
type Outcome = { ok: true; changes?: Record<string, number> } | { ok: false; error: string };
type Resource = { urn: string; type: string; id?: string; provider?: string } & Record<string, unknown>;

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const PARALLEL = 1;

describe('journaling and checkpoints give the same state (3 pods on one MinIO bucket)', function () {
  let t: Topology;
  let dir: string;
  let runs: Run[] = [];
  let broken = false;
  /** What `expectSameState` found in the running phase; the phase fails with it at its end. */
  let mismatches: string[] = [];
  /** A phase: it runs to its end even when states differ, then fails with every difference. */
  const phase = (title: string, fn: () => Promise<void>) =>
    it(title, async () => {
      mismatches = [];
      await fn();
      if (mismatches.length > 0) throw new StateMismatch(mismatches);
    });

  before(async function () {
    this.timeout(180_000);
    t = await startTopology(this, 'cluster');
    dir = await mkdtemp(join(tmpdir(), 'fulmar-e2e-gates-'));
    await writeFile(join(dir, 'probe'), 'seen-1\n');
    await installThingPlugin(join(dir, 'bin'), dir);
    const shape = shapeFor(BASE);
    runs = await Promise.all(
      (['journal', 'checkpoint'] as const).map(async (mode) => {
        const full = stackName('twin', mode);
        const env: Record<string, string> = {
          PATH: `${join(dir, 'bin')}:${t.session.env.PATH}`,
          ...(mode === 'checkpoint' && { PULUMI_DISABLE_JOURNALING: 'true' }),
        };
        return { mode, full, stack: await t.session.stack(full, 'twin', shapeProgram(shape, dir), { env }) };
      }),
    );
  });
  after(async function () {
    this.timeout(60_000);
    await t?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(function () {
    // Each phase builds on the state the previous one left.
    // Only after an earlier phase failed (the suite is already red): this phase has no known
    // starting state, so it fails too — saying why — rather than counting as skipped, and mocha
    // runs no later phase of this suite.
    if (broken) throw new Error(`not run: "${this.currentTest?.title}" needs the state an earlier phase failed to leave`);
  });
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !t) return;
    // A state that differs is the finding; the phases after it still run on both stacks alike.
    // Anything else (an operation that went wrong) leaves the stacks in no known state.
    if (this.currentTest.err instanceof StateMismatch) return;
    broken = true;
    console.log(await t.logs());
  });

  // --- helpers -------------------------------------------------------------------------------

  const both = <T>(fn: (run: Run) => Promise<T>) => Promise.all(runs.map(fn));
  const open = (...gates: string[]) => Promise.all(gates.map((g) => writeFile(join(dir, `gate-${g}`), '')));
  const close = (...gates: string[]) =>
    Promise.all(gates.flatMap((g) => [`gate-${g}`, `at-${g}`].map((f) => rm(join(dir, f), { force: true }))));
  const reached = (gate: string) => readFile(join(dir, `at-${gate}`)).then(() => true, () => false);
  /** Runs `fn` for one stack after the other (for the phases that wait at gates). */
  const oneByOne = async (fn: (run: Run) => Promise<void>) => {
    for (const run of runs) await fn(run);
  };
  const exportOf = async (run: Run) => (await t.api(`${stackPath(run.full)}/export`)).body as Exported;
  const shortName = (run: Run) => run.full.split('/')[2] as string;

  /** `up` on one stack; resolves with its outcome (a failed up is an outcome too). */
  const upOne = (run: Run, shape: Shape, message?: string, options: UpOptions = {}): Promise<Outcome> => {
    run.stack.program = shapeProgram(shape, dir);
    return run.stack.up({ parallel: PARALLEL, ...(message && { message }), ...options }).then(
      (r) => ({ ok: true as const, changes: r.summary.resourceChanges }),
      (err: unknown) => ({ ok: false as const, error: String(err) }),
    );
  };
  /** `up` on both stacks side by side. */
  const upBoth = (shape: Shape) => both((run) => upOne(run, shape));

  /**
   * The export with what may legitimately differ between the two stacks taken out:
   * - the stack's own name, inside URNs, the root resource's name and the secrets provider's
   *   state (the two stacks must have different names);
   * - timestamps: the manifest's time and each resource's created/modified;
   * - registration sites (sourcePosition, stackTrace): where the program registered a resource;
   * - the ids of default providers, random UUIDs, and the references to them (`<urn>::<id>`).
   */
  const normalise = (run: Run, exported: Exported): unknown => {
    const text = JSON.stringify(exported).replaceAll(shortName(run), '<stack>');
    const copy = JSON.parse(text) as Exported;
    const d = copy.deployment;
    if (d.manifest) delete d.manifest.time;
    const scrub = (r: Resource) => {
      delete r.created;
      delete r.modified;
      delete r.sourcePosition;
      delete r.stackTrace;
      if (r.type.startsWith('pulumi:providers:') && r.urn.includes('::default') && typeof r.id === 'string' && UUID.test(r.id)) {
        r.id = '<default provider id>';
      }
      if (r.provider?.includes('::default')) r.provider = r.provider.replace(UUID, '<default provider id>');
    };
    for (const r of d.resources ?? []) scrub(r);
    for (const op of d.pending_operations ?? []) scrub(op.resource);
    return copy;
  };

  /**
   * Both stacks' exports, normalised, must be equal; returns the journaled one's (normalised).
   * With `pendingMayDiffer`, pending operations are left out of the comparison (the caller checks
   * them itself): the CLI does not put in-flight creates into the checkpoints it sends.
   */
  const expectSameState = async (phase: string, options: { pendingMayDiffer?: boolean } = {}): Promise<Exported> => {
    const [a, b] = (await both(async (run) => normalise(run, await exportOf(run)))) as Exported[];
    const compared = options.pendingMayDiffer
      ? [a, b].map((e) => ({ ...e, deployment: { ...e!.deployment, pending_operations: undefined } }))
      : [a, b];
    const found = differences(compared[0], compared[1], '');
    if (found.length > 0) mismatches.push(`after "${phase}" the journaled state differs from the checkpointed one:\n  ${found.join('\n  ')}`);
    return a as Exported;
  };

  /**
   * Polls `run`'s export until `ready` holds (its update reached a gate); fails early if
   * `running` (the operation that should get there) ended first.
   */
  const waitFor = async (run: Run, what: string, ready: (e: Exported) => Promise<boolean>, running: Promise<unknown>) => {
    let ended: unknown;
    void running.then((r) => (ended = r));
    let state: Exported | undefined;
    for (let i = 0; i < 600 && ended === undefined; i++) {
      state = await exportOf(run);
      if (await ready(state)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    const seen = state ? `[${names(state).join(' ')}], pending [${pending(state).join(', ')}]` : 'nothing';
    const why = ended === undefined ? '' : `\nthe operation ended first: ${JSON.stringify(ended, null, 1).slice(0, 6000)}`;
    throw new Error(`${run.mode} stack never reached: ${what}; its state: ${seen}${why}`);
  };
  const names = (e: Exported) => (e.deployment.resources ?? []).map((r) => r.urn.split('::').pop());
  /** The resource named `name` in a state; fails when there is none. */
  const resource = (e: Exported, name: string): Resource => {
    const found = e.deployment.resources?.find((r) => r.urn.endsWith(`::${name}`));
    expect(found, `resource ${name} in the state`).to.not.equal(undefined);
    return found!;
  };
  const outputOf = (e: Exported, name: string, key: string) => (resource(e, name).outputs as Record<string, unknown> | undefined)?.[key];
  const pending = (e: Exported) => (e.deployment.pending_operations ?? []).map((op) => `${op.type} ${op.resource.urn.split('::').pop()}`);
  /**
   * `run`'s update waits at `inFlight`'s gate with `done` created: the provider is in that create
   * and the export shows the creates before it. The journaled run must also show the in-flight
   * create as pending (its begin entry was acknowledged before the provider was called).
   */
  const atGate = (run: Run, done: string[], inFlight: string) => async (e: Exported) =>
    (await reached(inFlight)) &&
    done.every((n) => names(e).includes(n)) &&
    (run.mode === 'checkpoint' || pending(e).includes(`creating ${inFlight}`));
  /**
   * The pending operations, compared apart (see `pendingMayDiffer`): the journaled stack holds
   * exactly `journaled` (an interrupted create stays pending until the user resolves it, through
   * later updates too, as GenerateDeployment carries the base's pending creates); the
   * checkpointed stack holds a subset of it (the CLI v3.259 sent none in these phases).
   */
  const expectPending = async (journaled: string[]) => {
    const [j, c] = (await both(exportOf)).map(pending);
    expect(j, 'journaled stack: pending operations').to.deep.equal(journaled);
    expect(journaled, 'checkpointed stack: pending operations (a subset of the journaled ones)').to.include.members(c ?? []);
  };

  /** Both ups ended the same way (succeeded or failed) with the same changes. */
  const expectSameOutcome = (outcomes: Outcome[], ok: boolean) => {
    const [a, b] = outcomes;
    expect([a?.ok, b?.ok], JSON.stringify(outcomes, null, 1).slice(0, 4000)).to.deep.equal([ok, ok]);
    if (a?.ok && b?.ok) expect(a.changes, 'journaled vs checkpointed resource changes').to.deep.equal(b.changes);
  };

  /** Cancels the stack's running update the way an operator would. */
  const cancel = (run: Run) => t.session.ok(['cancel', '--yes', '--stack', run.full], { cwd: run.stack.workspace.workDir });

  /** The `pulumi up` whose arguments hold `marker` and every process under it, CLI first. */
  const processTree = (marker: string): number[] => {
    const rows = spawnSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
      .stdout.split('\n')
      .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] as string }));
    const cli = rows.find((r) => r.args.startsWith(t.session.binary) && r.args.includes(marker));
    expect(cli, `the running pulumi up (${marker})`).to.not.equal(undefined);
    const tree = [cli!.pid];
    for (let i = 0; i < tree.length; i++) tree.push(...rows.filter((r) => r.ppid === tree[i]).map((r) => r.pid));
    return tree;
  };
  /** SIGKILLs those of `pids` still alive. */
  const killAll = (pids: number[]) => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  /** Access-log lines of every pod (killed ones too) that touched `run`'s updates. */
  const updateRequests = async (run: Run) => (await t.logLines()).filter((l) => l.includes(`/${run.full}/update/`));
  const sent = { journal: 0, checkpoint: 0 };
  /**
   * The journaled stack's updates sent journal batches and never a checkpoint; the other one's
   * the reverse. Called after every phase: `grew` says the phase ran an update that wrote state.
   */
  const expectEachModeUsed = async (grew: boolean) => {
    for (const run of runs) {
      const lines = await updateRequests(run);
      const journal = lines.filter((l) => l.includes('"method":"PATCH"') && l.includes('/journalentries'));
      const checkpoint = lines.filter((l) => /\/checkpoint(verbatim|delta)?[?"]/.test(l));
      const [mine, other] = run.mode === 'journal' ? [journal, checkpoint] : [checkpoint, journal];
      expect(other, `${run.mode} stack: requests of the other mode`).to.deep.equal([]);
      if (grew) expect(mine.length, `${run.mode} stack: ${run.mode} requests (before this phase: ${sent[run.mode]})`).to.be.greaterThan(sent[run.mode]);
      sent[run.mode] = mine.length;
    }
  };

  // --- phases, in order ------------------------------------------------------------------------

  phase('creates components and custom resources', async () => {
    expectSameOutcome(await upBoth(shapeFor(BASE)), true);
    const state = await expectSameState('creates');
    expect(names(state)).to.include.members(['grp', 'a', 'b', 'r', 'd', 'gone', 'mover', 'kid', 'probe']);
    expect(outputOf(state, 'grp', 'members'), "the component's registered outputs").to.deep.equal(['a', 'b']);
    await expectEachModeUsed(true);
  });

  phase('updates in place', async () => {
    expectSameOutcome(await upBoth(shapeFor(UPDATED)), true);
    await expectSameState('updates in place');
    await expectEachModeUsed(true);
  });

  phase('replaces, create-before-delete and delete-before-create', async () => {
    const outcomes = await upBoth(shapeFor(REPLACED));
    expectSameOutcome(outcomes, true);
    expect(outcomes[0]?.ok && outcomes[0].changes).to.include({ replace: 2 });
    await expectSameState('replaces');
    await expectEachModeUsed(true);
  });

  phase('deletes a resource', async () => {
    expectSameOutcome(await upBoth(shapeFor(DELETED)), true);
    expect(names(await expectSameState('deletes'))).not.to.include('gone');
    await expectEachModeUsed(true);
  });

  phase('renames a component and a custom resource through aliases', async () => {
    const outcomes = await upBoth(shapeFor(RENAMED, RENAMED_GROUPS));
    expectSameOutcome(outcomes, true);
    expect(outcomes[0]?.ok && outcomes[0].changes, 'renamed, not replaced').not.to.have.any.keys('create', 'delete', 'replace');
    const state = await expectSameState('renames');
    expect(names(state)).to.include.members(['group', 'moved']).and.not.to.include.members(['grp', 'mover']);
    await expectEachModeUsed(true);
  });

  phase('re-parents a resource into a component through an alias', async () => {
    const outcomes = await upBoth(shapeFor(REPARENTED, RENAMED_GROUPS));
    expectSameOutcome(outcomes, true);
    expect(outcomes[0]?.ok && outcomes[0].changes, 're-parented, not replaced').not.to.have.any.keys('create', 'delete', 'replace');
    const kid = (await expectSameState('re-parents')).deployment.resources?.find((r) => r.urn.endsWith('::kid'));
    expect(kid?.urn).to.contain('fulmar:test:Group$');
    expect(outputOf(await exportOf(runs[0]!), 'group', 'members'), "the component's outputs follow its members").to.deep.equal(['a', 'b', 'kid']);
    await expectEachModeUsed(true);
  });

  phase('refreshes, and the refresh changes outputs', async () => {
    await writeFile(join(dir, 'probe'), 'seen-2\n');
    const outcomes = await both((run) => run.stack.refresh({ parallel: PARALLEL }).then((r) => r.summary.resourceChanges));
    expect(outcomes[0], 'journaled vs checkpointed refresh changes').to.deep.equal(outcomes[1]);
    const probe = (await expectSameState('refresh')).deployment.resources?.find((r) => r.urn.endsWith('::probe'));
    expect((probe?.outputs as { observed?: string } | undefined)?.observed).to.equal('seen-2');
    await expectEachModeUsed(true);
  });

  phase('fails an update on a resource whose create fails, keeping what was done before', async () => {
    expectSameOutcome(await upBoth(shapeFor(FAILING, RENAMED_GROUPS)), false);
    const state = await expectSameState('failing resource');
    expect(names(state)).to.include('ok2').and.not.to.include('bad');
    await expectEachModeUsed(true);
  });

  phase('cancels a running update (`pulumi cancel`): the state stops where it was', async () => {
    const outcomes: Outcome[] = [];
    await oneByOne(async (run) => {
      await close('c0', 'c1', 'c2', 'c3');
      const marker = `cancel-${shortName(run)}`;
      const running = upOne(run, shapeFor(CANCELLED, RENAMED_GROUPS), marker);
      await open('c0', 'c1');
      await waitFor(run, 'c0, c1 created and c2 creating', atGate(run, ['c0', 'c1'], 'c2'), running);
      // A CLI whose update was cancelled exits without stopping its provider plugin.
      const tree = processTree(marker);
      await cancel(run);
      const cancelled = JSON.stringify(await exportOf(run));
      await open('c2', 'c3');
      // Once its update is cancelled, the CLI cannot write anything more, so the up fails…
      outcomes.push(await running);
      killAll(tree.slice(1));
      // …and nothing it did after the cancel reached the state.
      expect(JSON.stringify(await exportOf(run)), `${run.mode}: state after the cancelled up ended`).to.equal(cancelled);
    });
    expectSameOutcome(outcomes, false);
    const state = await expectSameState('cancel', { pendingMayDiffer: true });
    expect(names(state)).to.include.members(['c0', 'c1']).and.not.to.include('c2');
    await expectPending(['creating c2']);
    await expectEachModeUsed(true);
  });

  phase('runs the next up after the cancel to completion', async () => {
    expectSameOutcome(await upBoth(shapeFor(CANCELLED, RENAMED_GROUPS)), true);
    const state = await expectSameState('up after cancel', { pendingMayDiffer: true });
    expect(names(state)).to.include.members(['c0', 'c1', 'c2', 'c3']);
    await expectPending(['creating c2']);
    await expectEachModeUsed(true);
  });

  phase('keeps the completed creates and the in-flight one pending when the CLI is SIGKILLed mid-up', async () => {
    const outcomes: Outcome[] = [];
    await oneByOne(async (run) => {
      const marker = `kill-${shortName(run)}`;
      await close('k0', 'k1', 'k2', 'k3');
      const running = upOne(run, shapeFor(KILLED, RENAMED_GROUPS), marker);
      await open('k0', 'k1');
      await waitFor(run, 'k0, k1 created and k2 creating', atGate(run, ['k0', 'k1'], 'k2'), running);
      // The dynamic provider, blocked at the gate, would outlive its CLI: a crashed machine.
      killAll(processTree(marker));
      outcomes.push(await running);
      const meta = (await t.api(stackPath(run.full))).body as { currentOperation?: unknown };
      expect(meta.currentOperation, `${run.mode}: the dead update still holds the stack`).to.not.equal(undefined);
      await cancel(run);
    });
    expectSameOutcome(outcomes, false);
    const state = await expectSameState('CLI killed, then cancel', { pendingMayDiffer: true });
    expect(names(state)).to.include.members(['k0', 'k1']).and.not.to.include('k2');
    await expectPending(['creating k2', 'creating c2']);
    await expectEachModeUsed(true);
  });

  phase('refreshes after the kill (clearing pending creates), then an up finishes the job', async () => {
    const refreshed = await both((run) =>
      run.stack.refresh({ parallel: PARALLEL, clearPendingCreates: true }).then((r) => r.summary.resourceChanges),
    );
    expect(refreshed[0], 'journaled vs checkpointed refresh changes').to.deep.equal(refreshed[1]);
    await expectSameState('refresh after the kill');
    await expectEachModeUsed(true);
    await open('k2', 'k3');
    expectSameOutcome(await upBoth(shapeFor(KILLED, RENAMED_GROUPS)), true);
    const state = await expectSameState('up after the kill');
    expect(names(state)).to.include.members(['k0', 'k1', 'k2', 'k3']);
    expect(pending(state)).to.deep.equal([]);
    await expectEachModeUsed(true);
  });

  phase('finishes an up through the other pods when a pod is SIGKILLed mid-up', async () => {
    const outcomes: Outcome[] = [];
    await oneByOne(async (run) => {
      await close('p0', 'p1', 'p2');
      const running = upOne(run, shapeFor(POD_KILLED, RENAMED_GROUPS));
      await open('p0');
      await waitFor(run, 'p0 created and p1 creating', atGate(run, ['p0'], 'p1'), running);
      t.pods[0]!.kill();
      await open('p1', 'p2');
      outcomes.push(await running);
      await t.restartPod(0);
    });
    expectSameOutcome(outcomes, true);
    expect(names(await expectSameState('pod killed'))).to.include.members(['p0', 'p1', 'p2']);
    await expectEachModeUsed(true);
  });

  phase('protects a resource and marks another retain-on-delete (resource options only)', async () => {
    const outcomes = await upBoth(shapeFor(GUARDED, RENAMED_GROUPS));
    expectSameOutcome(outcomes, true);
    expect(outcomes[0]?.ok && outcomes[0].changes, 'options changed, resources kept').not.to.have.any.keys('create', 'delete', 'replace');
    const state = await expectSameState('protect and retainOnDelete');
    expect(resource(state, 'kid').protect, 'kid protected').to.equal(true);
    expect(resource(state, 'moved').retainOnDelete, 'moved retained on delete').to.equal(true);
    await expectEachModeUsed(true);
  });

  phase('updates only the targeted resource (`up --target`)', async () => {
    const outcomes = await both(async (run) =>
      upOne(run, shapeFor(TARGETED, RENAMED_GROUPS), undefined, { target: [resource(await exportOf(run), 'b').urn] }),
    );
    expectSameOutcome(outcomes, true);
    expect(outcomes[0]?.ok && outcomes[0].changes).to.include({ update: 1 });
    const state = await expectSameState('targeted up');
    expect([outputOf(state, 'b', 'label'), outputOf(state, 'r', 'label')], 'b (targeted) and r (not)').to.deep.equal(['b3', 'r1']);
    await expectEachModeUsed(true);
  });

  phase('refreshes inside an up (`up --refresh`) and applies what the targeted up left', async () => {
    await writeFile(join(dir, 'probe'), 'seen-3\n');
    expectSameOutcome(await both((run) => upOne(run, shapeFor(TARGETED, RENAMED_GROUPS), undefined, { refresh: true })), true);
    const state = await expectSameState('up --refresh');
    expect([outputOf(state, 'probe', 'observed'), outputOf(state, 'r', 'label')]).to.deep.equal(['seen-3', 'r3']);
    await expectEachModeUsed(true);
  });

  phase('drops a retain-on-delete resource from the state only', async () => {
    const outcomes = await upBoth(shapeFor(RETAINED_GONE, RENAMED_GROUPS));
    expectSameOutcome(outcomes, true);
    expect(outcomes[0]?.ok && outcomes[0].changes).to.include({ delete: 1 });
    expect(names(await expectSameState('retained resource deleted'))).not.to.include('moved');
    await expectEachModeUsed(true);
  });

  phase('refuses to delete a protected resource, then deletes it once unprotected', async () => {
    expectSameOutcome(await upBoth(shapeFor(PROTECTED_GONE, RENAMED_GROUPS)), false);
    expect(names(await expectSameState('protected resource kept')), 'the protected resource stays').to.include('kid');
    await expectEachModeUsed(false);
    expectSameOutcome(await upBoth(shapeFor(UNPROTECTED, RENAMED_GROUPS)), true);
    expect(resource(await expectSameState('unprotected'), 'kid').protect ?? false, 'kid unprotected').to.equal(false);
    await expectEachModeUsed(true);
    const outcomes = await upBoth(shapeFor(PROTECTED_GONE, RENAMED_GROUPS));
    expectSameOutcome(outcomes, true);
    expect(outcomes[0]?.ok && outcomes[0].changes).to.include({ delete: 1 });
    expect(names(await expectSameState('unprotected resource deleted'))).not.to.include('kid');
    await expectEachModeUsed(true);
  });

  phase('creates past a failing create (`up --continue-on-error`)', async () => {
    expectSameOutcome(await both((run) => upOne(run, shapeFor(CONTINUED, RENAMED_GROUPS), undefined, { continueOnError: true })), false);
    expect(names(await expectSameState('continue on error'))).to.include('after2').and.not.to.include('bad2');
    await expectEachModeUsed(true);
  });

  phase('refreshes with the program (`refresh --run-program`)', async () => {
    await writeFile(join(dir, 'probe'), 'seen-4\n');
    for (const run of runs) run.stack.program = shapeProgram(shapeFor(RECOVERED, RENAMED_GROUPS), dir);
    const outcomes = await both((run) => run.stack.refresh({ parallel: PARALLEL, runProgram: true }).then((r) => r.summary.resourceChanges));
    expect(outcomes[0], 'journaled vs checkpointed refresh changes').to.deep.equal(outcomes[1]);
    expect(outputOf(await expectSameState('refresh --run-program'), 'probe', 'observed')).to.equal('seen-4');
    await expectEachModeUsed(true);
  });

  phase('an `up --refresh` finds a resource deleted by hand, and creates it again', async () => {
    expectSameOutcome(await upBoth(shapeFor(WITH_LOST, RENAMED_GROUPS)), true);
    const heirBefore = resource(await expectSameState('lost and heir created'), 'heir');
    expect(heirBefore.dependencies, 'heir depends on lost').to.have.lengthOf(1);
    await writeFile(join(dir, 'gone-lost'), '');
    try {
      const outcomes = await both((run) => upOne(run, shapeFor(WITH_LOST, RENAMED_GROUPS), undefined, { refresh: true }));
      expectSameOutcome(outcomes, true);
      expect(outcomes[0]?.ok && outcomes[0].changes).to.include({ create: 1 });
    } finally {
      await rm(join(dir, 'gone-lost'), { force: true });
    }
    const state = await expectSameState('lost created again');
    expect(names(state)).to.include.members(['lost', 'heir']);
    await expectEachModeUsed(true);
  });

  phase('ignores a change (`ignoreChanges`) beside one it applies', async () => {
    const outcomes = await upBoth(shapeFor(OPTIONED, RENAMED_GROUPS));
    expectSameOutcome(outcomes, true);
    expect(outcomes[0]?.ok && outcomes[0].changes, 'ok2 updated, after2 left alone').to.include({ update: 1 });
    const state = await expectSameState('ignoreChanges');
    expect([outputOf(state, 'after2', 'label'), outputOf(state, 'ok2', 'label')]).to.deep.equal(['after2', 'ok2b']);
    await expectEachModeUsed(true);
  });

  phase('deletes a resource together with the one it is deleted with (`deletedWith`)', async () => {
    expectSameOutcome(await upBoth(shapeFor(TIED, RENAMED_GROUPS)), true);
    expect(resource(await expectSameState('deletedWith set'), 'heir').deletedWith, 'heir deleted with lost').to.match(/::lost$/);
    await expectEachModeUsed(true);
    const outcomes = await upBoth(shapeFor(UNTIED, RENAMED_GROUPS));
    expectSameOutcome(outcomes, true);
    expect(outcomes[0]?.ok && outcomes[0].changes).to.include({ delete: 2 });
    expect(names(await expectSameState('deleted together'))).not.to.include.members(['lost', 'heir']);
    await expectEachModeUsed(true);
  });

  phase('destroys only the targeted resource (`destroy --target`)', async () => {
    const outcomes = await both(async (run) =>
      run.stack.destroy({ parallel: PARALLEL, target: [resource(await exportOf(run), 'after2').urn] }).then((r) => r.summary.resourceChanges),
    );
    expect(outcomes[0], 'journaled vs checkpointed destroy changes').to.deep.equal(outcomes[1]);
    expect(outcomes[0]).to.include({ delete: 1 });
    const state = await expectSameState('targeted destroy');
    expect(names(state)).to.include('ok2').and.not.to.include('after2');
    await expectEachModeUsed(true);
  });

  phase('adopts a resource made outside Pulumi (the `import` resource option)', async () => {
    await writeFile(join(dir, 'thing-outside1.json'), JSON.stringify({ label: 'made by hand' }));
    const outcomes = await upBoth(shapeFor(UNTIED, RENAMED_GROUPS, ADOPTED));
    expectSameOutcome(outcomes, true);
    expect(outcomes[0]?.ok && outcomes[0].changes).to.include({ import: 1 });
    const state = await expectSameState('import option');
    expect([resource(state, 'adopted').id, outputOf(state, 'adopted', 'label')]).to.deep.equal(['outside1', 'made by hand']);
    await expectEachModeUsed(true);
  });

  phase('destroys everything', async () => {
    const outcomes = await both((run) => run.stack.destroy({ parallel: PARALLEL }).then((r) => r.summary.resourceChanges));
    expect(outcomes[0], 'journaled vs checkpointed destroy changes').to.deep.equal(outcomes[1]);
    expect(names(await expectSameState('destroy'))).to.deep.equal([]);
    await expectEachModeUsed(true);
  });
});

const BASE: ItemSpec[] = [
  { name: 'a', label: 'a1', parent: 'grp' },
  { name: 'b', label: 'b1', parent: 'grp', dependsOn: ['a'] },
  { name: 'r', label: 'r1', key: 'k1' },
  { name: 'd', label: 'd1', key: 'k1', deleteBeforeReplace: true },
  { name: 'gone', label: 'gone' },
  { name: 'mover', label: 'm' },
  { name: 'kid', label: 'kid' },
  { name: 'probe', label: 'probe', probe: true },
];
const edit = (items: ItemSpec[], name: string, change: Partial<ItemSpec>) =>
  items.map((i) => (i.name === name ? { ...i, ...change } : i));
const UPDATED = edit(edit(BASE, 'a', { label: 'a2' }), 'b', { label: 'b2' });
const REPLACED = edit(edit(UPDATED, 'r', { key: 'k2' }), 'd', { key: 'k2' });
const DELETED = REPLACED.filter((i) => i.name !== 'gone');
const RENAMED_GROUPS = [{ name: 'group', aliases: [{ name: 'grp' }] }];
const RENAMED = edit(
  DELETED.map((i) => (i.parent === 'grp' ? { ...i, parent: 'group' } : i)),
  'mover',
  { name: 'moved', aliases: [{ name: 'mover' }] },
);
const REPARENTED = edit(RENAMED, 'kid', { parent: 'group', aliases: [{ noParent: true }] });
const FAILING: ItemSpec[] = [...REPARENTED, { name: 'ok2', label: 'ok2' }, { name: 'bad', label: 'bad', fail: true, dependsOn: ['ok2'] }];
const gated = (prefix: string, count: number): ItemSpec[] =>
  Array.from({ length: count }, (_, i) => ({ name: `${prefix}${i}`, label: `${prefix}${i}`, gate: `${prefix}${i}` }));
const CANCELLED: ItemSpec[] = [...REPARENTED, { name: 'ok2', label: 'ok2' }, ...gated('c', 4)];
const KILLED: ItemSpec[] = [...CANCELLED, ...gated('k', 4)];
const POD_KILLED: ItemSpec[] = [...KILLED, ...gated('p', 3)];
const GUARDED = edit(edit(POD_KILLED, 'kid', { protect: true }), 'moved', { retainOnDelete: true });
const TARGETED = edit(edit(GUARDED, 'b', { label: 'b3' }), 'r', { label: 'r3' });
const RETAINED_GONE = TARGETED.filter((i) => i.name !== 'moved');
const PROTECTED_GONE = RETAINED_GONE.filter((i) => i.name !== 'kid');
const UNPROTECTED = edit(RETAINED_GONE, 'kid', { protect: false });
const CONTINUED: ItemSpec[] = [...PROTECTED_GONE, { name: 'bad2', label: 'bad2', fail: true }, { name: 'after2', label: 'after2' }];
const RECOVERED = CONTINUED.filter((i) => i.name !== 'bad2');
const WITH_LOST: ItemSpec[] = [...RECOVERED, { name: 'lost', label: 'lost', vanish: true }, { name: 'heir', label: 'heir', dependsOn: ['lost'] }];
const OPTIONED = edit(
  edit(WITH_LOST, 'after2', { label: 'after2b', ignoreChanges: ['label'] }),
  'ok2',
  { label: 'ok2b' },
);
const TIED = edit(OPTIONED, 'heir', { deletedWith: 'lost' });
const UNTIED = TIED.filter((i) => i.name !== 'lost' && i.name !== 'heir');
const ADOPTED: ThingSpec[] = [{ name: 'adopted', label: 'made by hand', importId: 'outside1' }];

/** The two stacks' states differ after a phase: the message lists where, with both values. */
class StateMismatch extends Error {
  constructor(found: string[]) {
    super(found.join('\n'));
    this.name = 'StateMismatch';
  }
}

/** Paths where `a` (journaled) and `b` (checkpointed) differ, with both values; at most 20. */
function differences(a: unknown, b: unknown, path: string, out: string[] = []): string[] {
  if (out.length >= 20) return out;
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v).slice(0, 300));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path || '(root)'}: journaled ${show(a)}, checkpointed ${show(b)}`);
    return out;
  }
  const keys = Array.isArray(a)
    ? Array.from({ length: Math.max(a.length, (b as unknown[]).length) }, (_, i) => String(i))
    : [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
  return out;
}

function shapeFor(items: ItemSpec[], groups: Shape['groups'] = [{ name: 'grp' }], things?: ThingSpec[]): Shape {
  return { groups, items, ...(things && { things }) };
}
