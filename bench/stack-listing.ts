/**
 * Benchmark 4 — the first page of `GET /api/user/stacks` should cost what the page holds, not
 * what the org holds. Baseline: an org with 100 stacks (exactly one page); candidate: the same
 * org with 1,000. Each lives in its own memory store behind a counting decorator; the stacks are
 * created through the app. Three figures: the time of the page over the memory store, the number
 * of store requests the page needed (exact), and the time again with every store request
 * delayed as a bucket round trip would be.
 */
import { MemoryStore } from '../src/storage/memory-store.js';
import { CountingStore } from './counting-store.js';
import { fmtMs, interleaved, median, type Row } from './harness.js';
import { startPod, type Pod } from './pod.js';

const SMALL = 100;
const LARGE = 1_000;
const PAGE_SIZE = 100;
/** A modest bucket round trip (same region S3 is 5–20 ms for a GET). */
const BUCKET_LATENCY_MS = 2;
const PAGE = '/api/user/stacks?organization=acme';

interface Org {
  store: CountingStore;
  pod: Pod;
}

async function orgWith(count: number): Promise<Org> {
  const store = new CountingStore(new MemoryStore());
  const pod = await startPod(store, 64 * 1024 * 1024);
  await pod.call('POST', '/api/orgs', { body: Buffer.from('{"name":"acme"}') }); // stacks go only into existing orgs
  for (let i = 0; i < count; i++) {
    await pod.call('POST', '/api/stacks/acme/many', { body: Buffer.from(`{"stackName":"s${String(i).padStart(5, '0')}"}`) });
  }
  return { store, pod };
}

async function firstPage(org: Org) {
  const page = (await org.pod.call('GET', PAGE)).json<{ stacks: unknown[]; continuationToken?: string }>();
  if (page.stacks.length !== PAGE_SIZE) throw new Error(`first page holds ${page.stacks.length} stacks, expected ${PAGE_SIZE}`);
  return page;
}

async function requestsForOnePage(org: Org) {
  org.store.resetCounts();
  await firstPage(org);
  const { get, list } = org.store.counts;
  return { get, list, total: get + list + org.store.counts.head };
}

export async function stackListing(): Promise<Row[]> {
  const small = await orgWith(SMALL);
  const large = await orgWith(LARGE);
  try {
    const fast = await interleaved(() => firstPage(small), () => firstPage(large), { warmup: 3, runs: 21, budgetMs: 10_000 });
    const reqSmall = await requestsForOnePage(small);
    const reqLarge = await requestsForOnePage(large);
    small.store.latencyMs = BUCKET_LATENCY_MS;
    large.store.latencyMs = BUCKET_LATENCY_MS;
    const slow = await interleaved(() => firstPage(small), () => firstPage(large), { warmup: 1, runs: 9, budgetMs: 10_000 });

    const growth = median(fast.candidate) / median(fast.baseline);
    const reqGrowth = reqLarge.total / reqSmall.total;
    const slowGrowth = median(slow.candidate) / median(slow.baseline);
    const requests = (r: typeof reqSmall, n: number) => `${r.get} GET + ${r.list} LIST with ${n.toLocaleString('en')} stacks`;
    return [
      {
        bench: `4. first page (${PAGE_SIZE}) of GET /api/user/stacks, memory store`,
        baseline: `${fmtMs(median(fast.baseline))} ms with ${SMALL} stacks`,
        candidate: `${fmtMs(median(fast.candidate))} ms with ${LARGE.toLocaleString('en')} stacks`,
        ratio: growth,
        unit: '× the time (≈1 wanted)',
        ok: growth <= 1.5,
        verdict:
          growth <= 1.5
            ? 'over an in-memory store a page costs about the same with 10× the stacks'
            : 'the page gets slower as the org grows',
      },
      {
        bench: '4b. same page: store requests it needs',
        baseline: requests(reqSmall, SMALL),
        candidate: requests(reqLarge, LARGE),
        ratio: reqGrowth,
        unit: '× the requests (≈1 wanted)',
        ok: reqGrowth <= 1.5,
        verdict:
          reqGrowth <= 1.5
            ? 'the page reads only the registers it returns'
            : `the page reads ${reqLarge.get} registers to return ${PAGE_SIZE}: StackService.list reads a whole scan batch, not a page`,
      },
      {
        bench: `4c. same page, each store request delayed ${BUCKET_LATENCY_MS} ms (bucket-like)`,
        baseline: `${fmtMs(median(slow.baseline))} ms with ${SMALL} stacks`,
        candidate: `${fmtMs(median(slow.candidate))} ms with ${LARGE.toLocaleString('en')} stacks`,
        ratio: slowGrowth,
        unit: '× the time (≈1 wanted)',
        ok: slowGrowth <= 1.5,
        verdict: slowGrowth <= 1.5 ? 'holds against a real bucket too' : 'against a bucket the extra register reads show up in latency',
      },
    ];
  } finally {
    await small.pod.close();
    await large.pod.close();
  }
}
