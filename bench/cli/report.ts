/**
 * From measurements to the table and the verdicts. Times are medians over rounds; a ratio is the
 * median of the per-round ratios (each between two commands of the same round, run back to back),
 * never a ratio of medians, so drift between rounds cancels out.
 */
import { cpus } from 'node:os';
import { median } from '../harness.js';
import { BACKEND_LABELS, type BackendId } from './backends.js';
import { WORKLOAD_LABELS, type Measurement, type WorkloadId } from './workloads.js';

export interface Row {
  workload: WorkloadId;
  n: number;
  backend: BackendId;
  rounds: number;
  wallMs: number;
  vsFloor?: number;
  vsDiyS3?: number;
  /** Ratio to the journaling bound (batches acknowledged on arrival) of the same round. */
  vsBound?: number;
  cliRequests?: number;
  cliBytes?: number;
  storeBytes?: number;
  storeKind?: 'bucket' | 'disk';
  stateBytes?: number;
  /** storeBytes ÷ stateBytes, for `up`. */
  writeAmplification?: number;
}

const optMedian = (xs: Array<number | undefined>): number | undefined => {
  const present = xs.filter((x): x is number => x !== undefined);
  return present.length > 0 ? median(present) : undefined;
};

export function summarize(ms: readonly Measurement[], workloadOrder: readonly WorkloadId[], backendOrder: readonly BackendId[]): Row[] {
  const key = (m: Pick<Measurement, 'workload' | 'n' | 'backend'>) => `${m.workload}|${m.n}|${m.backend}`;
  const groups = new Map<string, Measurement[]>();
  for (const m of ms) groups.set(key(m), [...(groups.get(key(m)) ?? []), m]);
  const find = (m: Measurement, backend: BackendId) =>
    groups.get(key({ ...m, backend }))?.find((o) => o.round === m.round);
  const ratioTo = (group: Measurement[], backend: BackendId) =>
    optMedian(group.map((m) => {
      const base = find(m, backend);
      return base ? m.wallMs / base.wallMs : undefined;
    }));

  const rows: Row[] = [];
  for (const g of groups.values()) {
    const first = g[0] as Measurement;
    const storeBytes = optMedian(g.map((m) => m.storeBytes));
    const stateBytes = optMedian(g.map((m) => m.stateBytes));
    rows.push({
      workload: first.workload,
      n: first.n,
      backend: first.backend,
      rounds: g.length,
      wallMs: median(g.map((m) => m.wallMs)),
      vsFloor: ratioTo(g, 'floor'),
      vsDiyS3: ratioTo(g, 'diy-s3'),
      vsBound: ratioTo(g, 'journal-bound'),
      cliRequests: optMedian(g.map((m) => m.cli?.requests)),
      cliBytes: optMedian(g.map((m) => m.cli?.bytes)),
      storeBytes,
      storeKind: first.storeKind,
      stateBytes,
      writeAmplification: optMedian(g.map((m) => (m.storeBytes !== undefined && m.stateBytes ? m.storeBytes / m.stateBytes : undefined))),
    });
  }
  const rank = (r: Row) => [workloadOrder.indexOf(r.workload), r.n, backendOrder.indexOf(r.backend)];
  return rows.sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
    return 0;
  });
}

const bytes = (b: number | undefined) =>
  b === undefined ? '—' : b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(0)} kB` : `${b} B`;
const ratio = (r: number | undefined) => (r === undefined ? '—' : `${r.toFixed(2)}×`);
const count = (c: number | undefined) => (c === undefined ? '—' : String(Math.round(c)));

export const workloadLabel = (r: Pick<Row, 'workload' | 'n'>) =>
  r.workload === 'up' ? `up N=${r.n}` : `${WORKLOAD_LABELS[r.workload]} (N=${r.n})`;

/** The markdown table: one row per workload × backend. */
export function table(rows: readonly Row[]): string {
  const head = ['workload', 'backend', 'wall s', '× floor', '× DIY s3', '× bound', 'CLI requests', 'CLI uploaded', 'written to store', 'written ÷ state'];
  const body = rows.map((r) => [
    workloadLabel(r),
    BACKEND_LABELS[r.backend],
    (r.wallMs / 1000).toFixed(1),
    ratio(r.vsFloor),
    ratio(r.vsDiyS3),
    ratio(r.vsBound),
    count(r.cliRequests),
    bytes(r.cliBytes),
    r.storeBytes === undefined ? '—' : `${bytes(r.storeBytes)}${r.storeKind === 'disk' ? ' (disk)' : ''}`,
    r.workload === 'up' ? ratio(r.writeAmplification) : '',
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n');
}

/** Least-squares slope of ln(time) over ln(N): time ∝ N^exponent. */
function fitExponent(points: Array<[number, number]>): number | undefined {
  if (points.length < 2) return undefined;
  const xs = points.map(([n]) => Math.log(n));
  const ys = points.map(([, t]) => Math.log(t));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den > 0 ? num / den : undefined;
}

export interface Growth {
  backend: BackendId;
  /** From the two largest N (300 → 600 in the default run), median over rounds. */
  lastStep?: number;
  lastStepFrom?: [number, number];
  /** Fit over every N, median over rounds. */
  fit?: number;
}

/** Growth exponents of `up` time with N, per round, then the median. */
export function growth(ms: readonly Measurement[], backend: BackendId): Growth {
  const ups = ms.filter((m) => m.workload === 'up' && m.backend === backend);
  const rounds = [...new Set(ups.map((m) => m.round))];
  const steps: number[] = [];
  const fits: number[] = [];
  let from: [number, number] | undefined;
  for (const r of rounds) {
    const pts = ups.filter((m) => m.round === r).map((m): [number, number] => [m.n, m.wallMs]).sort((a, b) => a[0] - b[0]);
    if (pts.length < 2) continue;
    const [a, b] = [pts[pts.length - 2] as [number, number], pts[pts.length - 1] as [number, number]];
    from = [a[0], b[0]];
    steps.push(Math.log(b[1] / a[1]) / Math.log(b[0] / a[0]));
    const f = fitExponent(pts);
    if (f !== undefined && pts.length >= 3) fits.push(f);
  }
  return { backend, lastStep: optMedian(steps), lastStepFrom: from, fit: optMedian(fits) };
}

export interface Verdict {
  target: string;
  ok: boolean | undefined;
  detail: string;
}

const JOURNALED: readonly BackendId[] = ['journal-fs', 'journal-1pod', 'journal-3pods'];

/** The targets, one verdict line each; `ok: undefined` when the run did not measure it. */
/**
 * The least time the pinned CLI's journaling adds to an `up` that creates `n` resources, whatever
 * the backend: each step waits for its `begin` and again for its `success` entry to be
 * acknowledged (pkg/engine/journal_snapshot.go: doCreate; pkg/backend/httpstate/journal/snapshot.go:
 * AddJournalEntry returns only once its batch was sent), batches go out one after another, the
 * next no sooner than 50 ms after the previous one returned (sendBatches, the default
 * PULUMI_JOURNALING_BATCH_PERIOD), and at most 4 × GOMAXPROCS steps run at once (the default
 * `--parallel`, pkg/cmd/pulumi/operations/up.go: defaultParallel). So each worker waits ≥ 2 × 50 ms
 * per resource, with zero server time.
 */
export function journalBatchingBoundMs(n: number, cpuCount: number): number {
  return 2 * Math.ceil(n / (4 * cpuCount)) * 50;
}

/** What the measured journaling bound says about a row: how far it is from the floor, and the row from it. */
function measuredBound(row: Row | undefined, bound: Row | undefined): string {
  if (!row || bound?.vsFloor === undefined || row.vsBound === undefined) return '';
  return `; the measured journaling bound (every batch acknowledged on arrival) is ${ratio(bound.vsFloor)} the floor, and this is ${ratio(row.vsBound)} that bound`;
}

export function verdicts(rows: readonly Row[], ms: readonly Measurement[], ns: readonly number[]): Verdict[] {
  const out: Verdict[] = [];
  const maxN = Math.max(...ns);
  const at = (workload: WorkloadId, n: number, backend: BackendId) =>
    rows.find((r) => r.workload === workload && r.n === n && r.backend === backend);
  const atN = (n: number) => (n === 600 ? '' : ` (measured at N=${n}; the target is stated for 600)`);

  const headline = at('up', maxN, 'journal-3pods');
  const floorUp = at('up', maxN, 'floor');
  const bound = journalBatchingBoundMs(maxN, cpus().length);
  const boundNote = floorUp
    ? `; the CLI's own journal batching needs ≥ ${(bound / 1000).toFixed(1)} s here, ${ratio(bound / floorUp.wallMs)} this floor (journalBatchingBoundMs)`
    : '';
  out.push({
    target: `journaled up of ${maxN} resources on 3 pods over MinIO ≤ 1.3× the floor`,
    ok: headline?.vsFloor === undefined ? undefined : headline.vsFloor <= 1.3,
    detail: headline?.vsFloor === undefined ? 'not measured' : `${ratio(headline.vsFloor)}${atN(maxN)}${boundNote}${measuredBound(headline, at('up', maxN, 'journal-bound'))}`,
  });

  for (const b of JOURNALED) {
    const ups = rows.filter((r) => r.workload === 'up' && r.backend === b && r.writeAmplification !== undefined);
    if (ups.length === 0) continue;
    const worst = Math.max(...ups.map((r) => r.writeAmplification as number));
    out.push({
      target: `${BACKEND_LABELS[b]}: bytes written per update ≤ 3× the final state, every N`,
      ok: worst <= 3,
      detail: ups.map((r) => `N=${r.n}: ${ratio(r.writeAmplification)}`).join(', ') + (ups[0]?.storeKind === 'disk' ? ' (disk pages)' : ''),
    });
  }

  for (const b of JOURNALED) {
    const g = growth(ms, b);
    if (g.lastStep === undefined) continue;
    const from = g.lastStepFrom ? `${g.lastStepFrom[0]}→${g.lastStepFrom[1]}` : '';
    out.push({
      target: `${BACKEND_LABELS[b]}: growth exponent of up time ≤ 1.1`,
      ok: g.lastStep <= 1.1,
      detail: `${from}: ${g.lastStep.toFixed(2)}${g.fit !== undefined ? `, fit over all N: ${g.fit.toFixed(2)}` : ''}`,
    });
  }

  for (const b of JOURNALED) {
    for (const w of ['noop-up', 'preview'] as const) {
      const r = at(w, maxN, b);
      if (r?.vsFloor === undefined) continue;
      out.push({
        target: `${BACKEND_LABELS[b]}: ${WORKLOAD_LABELS[w]} ≤ 1.1× the floor`,
        ok: r.vsFloor <= 1.1,
        detail: `${ratio(r.vsFloor)} at N=${maxN}${measuredBound(r, at(w, maxN, 'journal-bound'))}`,
      });
    }
  }
  return out;
}

export function printVerdicts(vs: readonly Verdict[]): string {
  return vs.map((v) => `- ${v.ok === undefined ? 'n/a ' : v.ok ? 'OK  ' : 'MISS'} ${v.target}: ${v.detail}`).join('\n');
}

export function growthTable(ms: readonly Measurement[], backends: readonly BackendId[]): string {
  const lines = ['| backend | exponent, two largest N | fit over all N |', '| --- | --- | --- |'];
  for (const b of backends) {
    const g = growth(ms, b);
    if (g.lastStep === undefined) continue;
    const from = g.lastStepFrom ? ` (${g.lastStepFrom[0]}→${g.lastStepFrom[1]})` : '';
    lines.push(`| ${BACKEND_LABELS[b]} | ${g.lastStep.toFixed(2)}${from} | ${g.fit?.toFixed(2) ?? '—'} |`);
  }
  return lines.length > 2 ? lines.join('\n') : '';
}

/**
 * Where one command's bytes and server time went, for the measurement with the median wall time
 * among the rounds: CLI → backend by API route, → bucket by kind of object, and the pods' own
 * time per route (summed over requests that may overlap).
 */
export function breakdown(ms: readonly Measurement[], backend: BackendId, workload: WorkloadId, n: number): string | undefined {
  const runs = ms.filter((m) => m.backend === backend && m.workload === workload && m.n === n).sort((a, b) => a.wallMs - b.wallMs);
  const m = runs[Math.floor((runs.length - 1) / 2)];
  if (!m) return undefined;
  const tallies = (t: Record<string, { requests: number; bytes: number }> | undefined) =>
    Object.entries(t ?? {})
      .sort((a, b) => b[1].bytes - a[1].bytes || b[1].requests - a[1].requests)
      .map(([k, v]) => `${k} ${v.requests}× ${bytes(v.bytes)}`)
      .join('; ');
  const cpu = `CPU: CLI and plugins ${(m.cliCpuMs / 1000).toFixed(1)} s${m.podCpuMs !== undefined ? `, pods ${(m.podCpuMs / 1000).toFixed(1)} s` : ''}`;
  const lines = [`- ${BACKEND_LABELS[backend]}, ${workloadLabel(m)}, round ${m.round}: ${(m.wallMs / 1000).toFixed(1)} s; ${cpu}`];
  if (m.cli && backend !== 'diy-s3') lines.push(`  - CLI → Fulmar: ${tallies(m.cli.byKind)}`);
  if (m.bucket) lines.push(`  - ${backend === 'diy-s3' ? 'CLI' : 'pods'} → bucket: ${tallies(m.bucket.byKind)}`);
  if (m.server) {
    const s = Object.entries(m.server)
      .sort((a, b) => b[1].totalMs - a[1].totalMs)
      .map(([k, v]) => `${k} ${v.requests}× Σ ${(v.totalMs / 1000).toFixed(1)} s (max ${(v.maxMs / 1000).toFixed(2)} s)`)
      .join('; ');
    lines.push(`  - server time: ${s}`);
  }
  return lines.join('\n');
}
