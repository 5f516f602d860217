/**
 * Measurement helpers shared by the benchmarks: interleaved, bounded timing rounds, medians, and
 * the result rows printed per benchmark and again in the closing summary table.
 *
 * Every claim is a ratio between a baseline and a candidate measured in the same process on the
 * same machine, so a slow or busy host shifts both sides and the ratio stays meaningful.
 */

export interface Row {
  /** Which benchmark (1–4) and what it compares, for the summary table. */
  bench: string;
  baseline: string;
  candidate: string;
  ratio: number;
  /** How to read the ratio, e.g. "× faster"; `floored` prints "≥" (candidate below the floor). */
  unit: string;
  floored?: boolean;
  verdict: string;
  ok: boolean;
}

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) throw new Error('median of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export const elapsedMs = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

export interface RoundsOptions {
  /** Untimed rounds of each side first (JIT, caches, connection setup). */
  warmup: number;
  /** Timed rounds of each side at most. */
  runs: number;
  /** Stop adding rounds once this much wall time has passed (at least `minRuns` are kept). */
  budgetMs: number;
  minRuns?: number;
}

/**
 * Times `baseline` and `candidate` in alternating rounds (A B A B …), so drift on a shared machine
 * (another process, GC pressure, thermal) hits both sides alike. Returns each side's samples in ms.
 */
export async function interleaved(
  baseline: () => unknown,
  candidate: () => unknown,
  o: RoundsOptions,
): Promise<{ baseline: number[]; candidate: number[] }> {
  for (let i = 0; i < o.warmup; i++) {
    await baseline();
    await candidate();
  }
  const out = { baseline: [] as number[], candidate: [] as number[] };
  const began = process.hrtime.bigint();
  const minRuns = Math.min(o.minRuns ?? 3, o.runs);
  for (let i = 0; i < o.runs; i++) {
    if (i >= minRuns && elapsedMs(began) > o.budgetMs) break;
    // Swap the order every round: neither side always runs right after the other's garbage.
    const order = i % 2 === 0 ? (['baseline', 'candidate'] as const) : (['candidate', 'baseline'] as const);
    for (const side of order) {
      const fn = side === 'baseline' ? baseline : candidate;
      const start = process.hrtime.bigint();
      await fn();
      out[side].push(elapsedMs(start));
    }
  }
  return out;
}

export const fmtMs = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
export const fmtMB = (bytes: number) => `${(bytes / 1e6).toFixed(bytes >= 1e7 ? 0 : 1)} MB`;
export const fmtKB = (bytes: number) => `${(bytes / 1e3).toFixed(bytes >= 1e4 ? 0 : 1)} kB`;
export const fmtRatio = (r: Row) => `${r.floored ? '≥ ' : ''}${r.ratio >= 10 ? r.ratio.toFixed(0) : r.ratio.toFixed(2)}${r.unit}`;

/** The per-benchmark block: baseline, candidate, ratio and the one-line verdict. */
export function printRow(r: Row): void {
  console.log(`  ${r.bench}`);
  console.log(`    baseline:  ${r.baseline}`);
  console.log(`    candidate: ${r.candidate}`);
  console.log(`    ratio:     ${fmtRatio(r)}`);
  console.log(`    verdict:   ${r.ok ? 'OK' : 'PROBLEM'} — ${r.verdict}`);
}

/** A plain-text table (no colours: the output is meant to be pasted into reviews). */
export function printSummary(rows: readonly Row[]): void {
  const head = ['benchmark', 'baseline', 'candidate', 'ratio', 'verdict'];
  const body = rows.map((r) => [r.bench, r.baseline, r.candidate, fmtRatio(r), r.ok ? 'OK' : 'PROBLEM']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
}
