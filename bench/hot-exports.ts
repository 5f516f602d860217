/**
 * Benchmark 1 — hot exports from the LRU. Two pods over one filesystem store (as two pods share
 * a bucket): one with the immutable cache disabled (cacheBytes 0, the baseline: every export reads
 * the file and, for a client asking for gzip, compresses it), one with it enabled. Both serve
 * `GET S/export/1` of the same committed multi-MB version; throughput is sequential keep-alive
 * requests per second, the way one CLI (or a CI fleet's stack references) hits a hot version.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FilesystemStore } from '../src/storage/filesystem-store.js';
import { deploymentText } from './deployments.js';
import { fmtMB, interleaved, median, type Row } from './harness.js';
import { startPod, type Pod } from './pod.js';

const RESOURCES = 6_000; // ≈ 3.8 MB of state
const S = '/api/stacks/acme/bench/dev';

async function throughput(cold: Pod, hot: Pod, acceptGzip: boolean, perRound: { cold: number; hot: number }) {
  const burst = (pod: Pod, n: number) => async () => {
    for (let i = 0; i < n; i++) await pod.call('GET', `${S}/export/1`, { acceptGzip });
  };
  const t = await interleaved(burst(cold, perRound.cold), burst(hot, perRound.hot), { warmup: 1, runs: 7, budgetMs: 12_000 });
  return { cold: (perRound.cold * 1000) / median(t.baseline), hot: (perRound.hot * 1000) / median(t.candidate) };
}

export async function hotExports(): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'fulmar-bench-'));
  const store = new FilesystemStore(dir);
  const cold = await startPod(store, 0);
  const hot = await startPod(store, 256 * 1024 * 1024);
  try {
    const { text } = deploymentText(RESOURCES);
    await cold.call('POST', '/api/orgs', { body: Buffer.from('{"name":"acme"}') }); // stacks go only into existing orgs
    await cold.call('POST', '/api/stacks/acme/bench', { body: Buffer.from('{"stackName":"dev"}') });
    await cold.call('POST', `${S}/import`, { body: gzipSync(text), gzipped: true });
    // Both pods must serve exactly the imported bytes, compressed or not, before anything is timed.
    for (const pod of [cold, hot]) {
      for (const acceptGzip of [true, false]) {
        const reply = await pod.call('GET', `${S}/export/1`, { acceptGzip });
        if (!reply.body().equals(text)) throw new Error(`export (gzip ${acceptGzip}) differs from the imported state`);
        if (acceptGzip && reply.encoding !== 'gzip') throw new Error('export ignored Accept-Encoding: gzip');
      }
    }
    const gz = await throughput(cold, hot, true, { cold: 8, hot: 40 });
    const plain = await throughput(cold, hot, false, { cold: 30, hot: 40 });

    const stats = { cold: cold.cacheStats(), hot: hot.cacheStats() };
    if (stats.cold.entries !== 0) throw new Error('the pod with cacheBytes 0 cached something');
    if (stats.hot.hits < 100) throw new Error(`the caching pod answered only ${stats.hot.hits} exports from its LRU`);

    const size = fmtMB(text.length);
    const gzRatio = gz.hot / gz.cold;
    const plainRatio = plain.hot / plain.cold;
    return [
      {
        bench: `1. export of a committed ${size} version, gzip (as the CLI asks)`,
        baseline: `${gz.cold.toFixed(0)} req/s, cache off`,
        candidate: `${gz.hot.toFixed(0)} req/s, LRU`,
        ratio: gzRatio,
        unit: '× req/s',
        ok: gzRatio >= 2,
        verdict:
          gzRatio >= 2
            ? `the LRU (pre-gzipped immutable version) serves hot exports ${gzRatio.toFixed(0)}× faster than read + compress`
            : 'the LRU barely helps: exports are not being served from memory',
      },
      {
        bench: `1b. same export without gzip (isolates the store read)`,
        baseline: `${plain.cold.toFixed(0)} req/s, cache off`,
        candidate: `${plain.hot.toFixed(0)} req/s, LRU`,
        ratio: plainRatio,
        unit: '× req/s',
        ok: plainRatio >= 1,
        verdict:
          plainRatio >= 1
            ? `skipping the filesystem read alone is worth ${plainRatio.toFixed(2)}×; the rest of 1. is compression`
            : 'serving from memory is slower than reading the file: look at the cache path',
      },
    ];
  } finally {
    await cold.close();
    await hot.close();
    await rm(dir, { recursive: true, force: true });
  }
}
