/**
 * `fulmar gc` and `fulmar verify` while pods serve, on a real MinIO bucket (docs/operating.md,
 * "Retention (gc)"): two "pods" run updates, imports and renames on several stacks while gc runs
 * over and over with the strictest rule (keep one version, no safety margin) and verify runs
 * beside it. Every update must complete, every stack must export what it last committed, verify
 * must find nothing wrong — during the run and after — and pruned versions answer 410.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import { S3Store } from '../../src/storage/s3-store.js';
import { RetryingStore } from '../../src/storage/retrying-store.js';
import { prepareBucket } from '../../src/storage/probe.js';
import { buildServiceGraph } from '../../src/services/build-services.js';
import { verifyBucket } from '../../src/operations/verify.js';
import { collectGarbage, type GcReport } from '../../src/operations/gc.js';
import { ensureMinioBinary, startMinio, type MinioServer } from '../helpers/minio.js';
import { Client, createOrgs, makeApi } from '../helpers/api.js';
import { complete, createStack, importVersion, markerOf, postCheckpoint, postEvents, startUpdate, stackUrl } from '../helpers/updates.js';

const org = 'acme';
const project = 'p';
const keyring = [{ id: 'k1', key: Buffer.alloc(32, 7) }]; // the pods' (test/helpers/api.ts)
const UPDATES_PER_STACK = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gc and verify while pods serve (MinIO)', function () {
  this.timeout(180_000);
  let minio: MinioServer | undefined;
  const stores: S3Store[] = [];
  before(async function () {
    ensureMinioBinary(this);
    minio = await startMinio();
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await minio?.stop();
  });

  const s3 = () => {
    const s = new S3Store({ endpoint: minio!.endpoint, bucket: minio!.bucket, accessKey: minio!.accessKey, secretKey: minio!.secretKey, region: minio!.region, timeoutMs: 15_000 });
    stores.push(s);
    return new RetryingStore(s, { retries: 2 });
  };

  it('every update completes, every stack exports its latest version, and verify stays clean', async () => {
    const api = new Client([makeApi(s3()).app, makeApi(s3()).app]);
    const adminStore = s3();
    await prepareBucket(adminStore);
    const admin = buildServiceGraph({ store: adminStore, keyring, logger: pino({ level: 'silent' }), cacheBytes: 0 });
    await createOrgs(api, org);

    const names = ['s1', 's2', 's3'];
    const last = new Map<string, string>();
    for (const s of [...names, 'mover']) {
      const S = await createStack(api, org, project, s);
      for (const m of ['a', 'b', 'c']) await importVersion(api, S, `${s}-${m}`);
      last.set(s, `${s}-c`);
    }

    // Updates with several checkpoints each, and events, on every stack.
    const updater = async (s: string) => {
      const S = stackUrl(org, project, s);
      for (let i = 0; i < UPDATES_PER_STACK; i++) {
        const u = await startUpdate(api, S);
        for (let c = 1; c <= 3; c++) {
          await postCheckpoint(api, S, u, `${s}-u${i}-c${c}`, c + 1);
          await sleep(5);
        }
        await postEvents(api, S, u, 0, 3);
        await complete(api, S, u);
        last.set(s, `${s}-u${i}-c3`);
      }
    };
    // A stack moved back and forth between two names, with imports between the moves.
    let moverName = 'mover';
    const mover = async () => {
      for (let i = 0; i < 3; i++) {
        await importVersion(api, stackUrl(org, project, moverName), `mover-${i}`);
        last.set('mover', `mover-${i}`);
        const next = moverName === 'mover' ? 'moved' : 'mover';
        const res = await api.call('post', `${stackUrl(org, project, moverName)}/rename`, { newName: next });
        expect(res.status, res.text).to.equal(204);
        moverName = next;
      }
    };

    let serving = true;
    const gcRuns: GcReport[] = [];
    const verifyRuns: Awaited<ReturnType<typeof verifyBucket>>[] = [];
    const gcLoop = async () => {
      while (serving) gcRuns.push(await collectGarbage(adminStore, admin.register, { org }, { keepVersions: 1, marginMs: 0 }));
    };
    const verifyLoop = async () => {
      while (serving) verifyRuns.push(await verifyBucket(adminStore, keyring, { org }));
    };
    const loops = [gcLoop(), verifyLoop()];
    try {
      await Promise.all([...names.map(updater), mover()]);
    } finally {
      serving = false;
      await Promise.all(loops);
    }

    expect(gcRuns.length, 'gc ran while updates ran').to.be.greaterThan(1);
    expect(gcRuns.reduce((n, r) => n + r.freed.versions.objects, 0), 'gc pruned versions while serving').to.be.greaterThan(0);
    expect(verifyRuns.length).to.be.greaterThan(0);
    for (const run of verifyRuns) expect(run.problems, 'verify while serving').to.deep.equal([]);

    // Quiet now: one more gc, then everything must be sound, with nothing left to remove. First
    // let the store's clock (the Date header: whole seconds) pass every object the busy phase
    // wrote, and the commits' own clean-up (not awaited by the requests) finish: a leftover that
    // looks written "now" is not yet older than even a zero margin.
    await new Promise((r) => setTimeout(r, 2_000));
    await collectGarbage(adminStore, admin.register, {}, { keepVersions: 1, marginMs: 0 });
    const final = await verifyBucket(adminStore, keyring, {}, undefined, { marginMs: 0 });
    expect(final.problems).to.deep.equal([]);
    expect(final.busy).to.deep.equal([]);
    const again = await collectGarbage(adminStore, admin.register, {}, { keepVersions: 1, marginMs: 0 });
    expect(again.total.objects, `nothing left to collect: ${JSON.stringify(again.freed)}`).to.equal(0);
    for (const s of [...names, moverName]) {
      const S = stackUrl(org, project, s);
      const exported = await api.call('get', `${S}/export`);
      expect(exported.status, exported.text).to.equal(200);
      expect(markerOf(JSON.parse(exported.text)), s).to.equal(last.get(s === moverName ? 'mover' : s));
      const latest = (await api.call('get', S)).body.version as number;
      expect(latest).to.be.greaterThan(3);
      const pruned = await api.call('get', `${S}/export/1`);
      expect(pruned.status, pruned.text).to.equal(410);
      expect(pruned.body.message).to.contain('removed by retention (fulmar gc)');
      const history = await api.call('get', `${S}/updates?pageSize=100&page=1`);
      expect(history.body.updates).to.have.length(latest);
    }
  });
});
