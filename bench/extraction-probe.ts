/**
 * Child process of benchmark 2 (run with `--expose-gc`): extracts `untypedDeployment` from the
 * checkpoint body in a file, one way, and prints on stdout what that cost in memory. A fresh
 * process per measurement keeps the peak RSS of one method from hiding the other's.
 *
 *   node --expose-gc --import tsx bench/extraction-probe.ts <naive|scan> <body file>
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { extractNaive, extractScan } from './extractions.js';

export interface ProbeResult {
  /** Bytes the process's resident set peaked above its size just before the extraction. */
  peakGrowth: number;
  /** JS heap + external bytes still held (after a full GC) while the result is in use. */
  retained: number;
  resultBytes: number;
}

/**
 * Peak RSS, sampled every millisecond by a worker thread: the extraction blocks the main thread,
 * and `resourceUsage().maxRSS` is useless here — a child inherits its parent's high-water mark
 * across fork + exec, so it would mostly report the benchmark runner's own size.
 */
class PeakSampler {
  private readonly shared = new BigInt64Array(new SharedArrayBuffer(16)); // [peak, stop]
  private readonly worker: Worker;

  constructor() {
    this.worker = new Worker(
      `const { workerData: s } = require('node:worker_threads');
       const tick = new Int32Array(new SharedArrayBuffer(4));
       while (Atomics.load(s, 1) === 0n) {
         const rss = BigInt(process.memoryUsage.rss());
         if (rss > Atomics.load(s, 0)) Atomics.store(s, 0, rss);
         Atomics.wait(tick, 0, 0, 1);
       }`,
      { eval: true, workerData: this.shared },
    );
  }

  /** Forgets the peak so far and waits (bounded) for a fresh sample. */
  reset(): void {
    Atomics.store(this.shared, 0, 0n);
    for (let i = 0; i < 2000 && Atomics.load(this.shared, 0) === 0n; i++) pause(1);
    if (Atomics.load(this.shared, 0) === 0n) throw new Error('the RSS sampler did not start');
  }

  peak(): number {
    pause(5); // let the sampler see the state right after the call
    return Number(Atomics.load(this.shared, 0));
  }

  async stop(): Promise<void> {
    Atomics.store(this.shared, 1, 1n);
    await this.worker.terminate();
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const pause = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

function heldBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function probe(mode: string, file: string): Promise<ProbeResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const extract = mode === 'naive' ? extractNaive : mode === 'scan' ? extractScan : undefined;
  if (!extract) throw new Error(`unknown mode ${mode}`);
  const sampler = new PeakSampler();
  try {
    // readFileSync sizes the buffer from fstat: one allocation, no transient peak.
    const body = readFileSync(file);
    gc();
    gc();
    const heldBefore = heldBytes();
    sampler.reset();
    const rssBefore = sampler.peak();
    sampler.reset();
    const result = extract(body);
    const peak = sampler.peak();
    gc();
    gc();
    return {
      peakGrowth: Math.max(0, peak - rssBefore),
      retained: Math.max(0, heldBytes() - heldBefore),
      resultBytes: result.length,
    };
  } finally {
    await sampler.stop();
  }
}

const [mode, file] = process.argv.slice(2);
if (mode && file) process.stdout.write(`${JSON.stringify(await probe(mode, file))}\n`);
