/**
 * Benchmark 3 — delta vs verbatim checkpoint uploads. One update of a 200-resource stack saves
 * a checkpoint after each step, and each step changes one resource. The same sequence is sent
 * as `checkpointverbatim` bodies (baseline) and as `checkpointdelta` bodies (candidate: one edit
 * replacing the changed resource's JSON, as the CLI's diff sends it, docs/protocol.md#delta-checkpoints). The first
 * save of an update is verbatim in both modes (no baseline yet), so both figures cover the saves
 * after it. Bytes are what the CLI puts on the wire (gzipped bodies); time is the server's, from
 * request arrival to the response's last byte.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { MemoryStore } from '../src/storage/memory-store.js';
import { applyDelta } from '../src/domain/checkpoint-delta.js';
import { deploymentText, resourceJson, verbatimBody, type DeploymentText } from './deployments.js';
import { fmtKB, fmtMs, median, type Row } from './harness.js';
import { startPod, type Pod } from './pod.js';

const RESOURCES = 200;
const STEPS = 40;
const ROUNDS = 5;
const S = '/api/stacks/acme/bench/delta';

const PROGRAM = Buffer.from(
  JSON.stringify({
    name: 'bench',
    runtime: 'nodejs',
    main: '',
    description: '',
    options: { color: 'raw', dryRun: false, parallel: 2147483647 },
    config: {},
    metadata: { message: 'bench', environment: {} },
  }),
);

interface Step {
  text: Buffer;
  verbatim: Buffer;
  delta: Buffer;
}

/** The sequence of states and, for each save, both request bodies, already gzipped like the CLI's. */
function buildSteps(): Step[] {
  const revisions = new Array<number>(RESOURCES).fill(0);
  let prev: DeploymentText = deploymentText(RESOURCES, (i) => revisions[i] as number);
  const steps: Step[] = [{ text: prev.text, verbatim: gzipSync(verbatimBody(prev.text, 1)), delta: Buffer.alloc(0) }];
  for (let k = 1; k <= STEPS; k++) {
    // A different resource each step, spread over the document.
    const changed = (k * 37) % RESOURCES;
    revisions[changed] = (revisions[changed] as number) + 1;
    const next = deploymentText(RESOURCES, (i) => revisions[i] as number);
    const [start, end] = prev.spans[changed] as [number, number];
    const edit = {
      Span: { uri: '', start: { line: 1, column: start + 1, offset: start }, end: { line: 1, column: end + 1, offset: end } },
      NewText: resourceJson(changed, revisions[changed]),
    };
    if (!applyDelta(prev.text, [edit]).equals(next.text)) throw new Error(`bench bug: the delta of step ${k} does not rebuild its state`);
    const seq = k + 1;
    const delta = {
      version: 3,
      checkpointHash: createHash('sha256').update(next.text).digest('hex'),
      sequenceNumber: seq,
      deploymentDelta: [edit],
    };
    steps.push({ text: next.text, verbatim: gzipSync(verbatimBody(next.text, seq)), delta: gzipSync(JSON.stringify(delta)) });
    prev = next;
  }
  return steps;
}

/** One whole update in one mode; returns the server time of each save after the first. */
async function runUpdate(pod: Pod, steps: Step[], mode: 'verbatim' | 'delta'): Promise<number[]> {
  const { updateID } = (await pod.call('POST', `${S}/update`, { body: PROGRAM })).json<{ updateID: string }>();
  const { token } = (await pod.call('POST', `${S}/update/${updateID}`, { body: Buffer.from('{}') })).json<{ token: string }>();
  const U = `${S}/update/${updateID}`;
  const auth = `update-token ${token}`;
  await pod.call('PATCH', `${U}/checkpointverbatim`, { body: steps[0]!.verbatim, gzipped: true, auth });
  pod.takeTimings();
  for (const step of steps.slice(1)) {
    const path = mode === 'delta' ? `${U}/checkpointdelta` : `${U}/checkpointverbatim`;
    await pod.call('PATCH', path, { body: mode === 'delta' ? step.delta : step.verbatim, gzipped: true, auth });
  }
  const times = pod.takeTimings().filter((t) => t.method === 'PATCH').map((t) => t.ms);
  if (times.length !== STEPS) throw new Error(`expected ${STEPS} timed saves, saw ${times.length}`);
  // While the update runs, export serves its newest checkpoint: it must be the last state, exactly.
  const during = (await pod.call('GET', `${S}/export`)).body();
  if (!during.equals(steps[steps.length - 1]!.text)) throw new Error(`${mode}: the stored checkpoint is not the last state`);
  await pod.call('POST', `${U}/complete`, { body: Buffer.from('{"status":"succeeded"}'), auth });
  return times;
}

export async function deltaUploads(): Promise<Row[]> {
  const steps = buildSteps();
  const pod = await startPod(new MemoryStore(), 64 * 1024 * 1024);
  try {
    await pod.call('POST', '/api/orgs', { body: Buffer.from('{"name":"acme"}') }); // stacks go only into existing orgs
    await pod.call('POST', '/api/stacks/acme/bench', { body: Buffer.from('{"stackName":"delta"}') });
    await runUpdate(pod, steps, 'verbatim'); // warm-up, both paths
    await runUpdate(pod, steps, 'delta');
    const verbatimTimes: number[] = [];
    const deltaTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which mode goes first, so neither always inherits the other's garbage.
      const order = round % 2 === 0 ? (['verbatim', 'delta'] as const) : (['delta', 'verbatim'] as const);
      for (const mode of order) (mode === 'delta' ? deltaTimes : verbatimTimes).push(...(await runUpdate(pod, steps, mode)));
    }
    const later = steps.slice(1);
    const verbatimBytes = later.reduce((n, s) => n + s.verbatim.length, 0) / later.length;
    const deltaBytes = later.reduce((n, s) => n + s.delta.length, 0) / later.length;
    const vMs = median(verbatimTimes);
    const dMs = median(deltaTimes);
    const bytesRatio = verbatimBytes / deltaBytes;
    const timeRatio = vMs / dMs;
    const stateSize = fmtKB(steps[0]!.text.length);
    return [
      {
        bench: `3. checkpoint upload, ${RESOURCES} resources (${stateSize}), 1 changes per step`,
        baseline: `${fmtKB(verbatimBytes)}/save gzipped verbatim`,
        candidate: `${fmtKB(deltaBytes)}/save gzipped delta`,
        ratio: bytesRatio,
        unit: '× fewer bytes',
        ok: bytesRatio >= 3,
        verdict:
          bytesRatio >= 3
            ? `advertising delta-checkpoint-uploads-v2 cuts the CLI's upload per save ${bytesRatio.toFixed(0)}×`
            : 'deltas are not much smaller than whole checkpoints',
      },
      {
        bench: `3b. same ${STEPS}-save sequence: server time per PATCH`,
        baseline: `${fmtMs(vMs)} ms verbatim`,
        candidate: `${fmtMs(dMs)} ms delta (rebuild + SHA-256)`,
        ratio: timeRatio,
        unit: '× faster',
        ok: timeRatio >= 0.8,
        verdict:
          timeRatio >= 1
            ? 'reconstructing from the cached previous text costs the server less than scanning a whole body'
            : timeRatio >= 0.8
              ? 'reconstruction costs about what a verbatim save does'
              : 'a delta costs the server clearly more than a whole checkpoint: reconstruction is too slow',
      },
    ];
  } finally {
    await pod.close();
  }
}
