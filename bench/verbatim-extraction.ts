/**
 * Benchmark 2 — verbatim checkpoint handling. Finding the `untypedDeployment` bytes of a ~20 MB
 * `checkpointverbatim` body with the byte scanner (`rawTopLevelValue`, src/domain/raw-json.ts)
 * against the naive JSON.parse + JSON.stringify (baseline). Time is measured in this process;
 * memory in one child process per measurement (`--expose-gc`), so each method's peak RSS and
 * retained heap are its own.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { deploymentText, resourceJson, verbatimBody } from './deployments.js';
import type { ProbeResult } from './extraction-probe.js';
import { extractNaive, extractScan } from './extractions.js';
import { fmtMB, fmtMs, interleaved, median, type Row } from './harness.js';

const TARGET_BYTES = 20_000_000;
const PROBES_PER_SIDE = 3;
/** Growth below this is noise (JIT, allocator pages): the candidate's side is floored here. */
const MEMORY_FLOOR = 1_000_000;

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

async function probe(mode: 'naive' | 'scan', file: string): Promise<ProbeResult> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, 'extraction-probe.ts'), mode, file], {
    cwd: join(here, '..'),
    timeout: 60_000,
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as ProbeResult;
}

export async function verbatimExtraction(): Promise<Row[]> {
  const count = Math.ceil(TARGET_BYTES / (resourceJson(0).length + 1));
  const { text } = deploymentText(count);
  const body = verbatimBody(text, 7);

  // Both methods must return exactly the deployment text before either is timed.
  if (!extractScan(body).equals(text)) throw new Error('the byte scan did not return the deployment bytes');
  if (!extractNaive(body).equals(text)) throw new Error('JSON.parse + stringify changed the deployment bytes');

  const t = await interleaved(() => extractNaive(body), () => extractScan(body), { warmup: 1, runs: 7, budgetMs: 15_000 });
  const naiveMs = median(t.baseline);
  const scanMs = median(t.candidate);

  const dir = await mkdtemp(join(tmpdir(), 'fulmar-bench-'));
  const file = join(dir, 'checkpoint.json');
  const naive: ProbeResult[] = [];
  const scan: ProbeResult[] = [];
  try {
    await writeFile(file, body);
    for (let i = 0; i < PROBES_PER_SIDE; i++) {
      naive.push(await probe('naive', file));
      scan.push(await probe('scan', file));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const naivePeak = median(naive.map((p) => p.peakGrowth));
  const scanPeakRaw = median(scan.map((p) => p.peakGrowth));
  const scanPeak = Math.max(MEMORY_FLOOR, scanPeakRaw);
  const naiveHeld = median(naive.map((p) => p.retained));
  const scanHeld = median(scan.map((p) => p.retained));

  const speed = naiveMs / scanMs;
  const memory = naivePeak / scanPeak;
  const size = fmtMB(body.length);
  return [
    {
      bench: `2. untypedDeployment out of a ${size} verbatim body: time`,
      baseline: `${fmtMs(naiveMs)} ms JSON.parse+stringify`,
      candidate: `${fmtMs(scanMs)} ms byte scan`,
      ratio: speed,
      unit: '× faster',
      ok: speed >= 1.5,
      verdict:
        speed >= 1.5
          ? `the scan validates the whole body and returns the exact bytes ${speed.toFixed(1)}× faster than a parse round trip`
          : 'the scanner is not clearly faster than JSON.parse: look at src/domain/raw-json.ts',
    },
    {
      bench: '2b. same body: peak memory (RSS growth, child process)',
      baseline: `${fmtMB(naivePeak)} (holds ${fmtMB(naiveHeld)} after GC)`,
      candidate: `${scanPeakRaw < MEMORY_FLOOR ? '< 1 MB' : fmtMB(scanPeakRaw)} (holds ${fmtMB(scanHeld)}: a view)`,
      ratio: memory,
      unit: '× less',
      floored: scanPeakRaw < MEMORY_FLOOR,
      ok: memory >= 5,
      verdict:
        memory >= 5
          ? 'a verbatim checkpoint in flight costs its own bytes, not a parsed copy of them'
          : 'the scan allocates about as much as parsing: it should allocate nothing per byte',
    },
  ];
}
