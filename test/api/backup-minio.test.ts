/**
 * Backup while pods serve, on a real MinIO (docs/operating.md, "Backup and restore"): two pods
 * keep committing updates through the HTTP API while the backup runs — and, deterministically,
 * between the moment it read the registers and the moment it copies the objects — one stack is
 * held by a long update the whole time. The backup is restored by `fulmar restore s3://…` into an
 * empty prefix, a pod process is started on it, and every stack must be at the version the
 * manifest names, with the source's exports of 1..v byte for byte, and free for a new update.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { Express } from 'express';
import { S3Store } from '../../src/storage/s3-store.js';
import { RetryingStore } from '../../src/storage/retrying-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { backup } from '../../src/operations/backup.js';
import { ensureMinioBinary, startMinio, type MinioServer } from '../helpers/minio.js';
import { ADMIN_TOKEN, Client, createOrgs, makeApi } from '../helpers/api.js';
import { HookStore } from '../helpers/hook-store.js';
import { runFulmar, serveFulmar, type ServingFulmar } from '../helpers/fulmar-process.js';
import { createStack, expectWhole, runUpdate, snapshotStack, startUpdate, type StackName } from '../helpers/backup-fixture.js';

const KEY = Buffer.alloc(32, 7);
const KEYRING = [{ id: 'k1', key: KEY }];

async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('backup while pods serve, restored into an empty MinIO prefix', function () {
  this.timeout(240_000);
  let minio: MinioServer | undefined;
  let pod: ServingFulmar | undefined;
  const stores: ObjectStore[] = [];

  before(async function () {
    ensureMinioBinary(this);
    minio = await startMinio();
  });
  after(async () => {
    pod?.child.kill('SIGKILL');
    await Promise.all(stores.map((s) => s.close?.()));
    await minio?.stop();
  });

  it('captures every stack at a committed version and restores it byte for byte', async () => {
    const m = minio as MinioServer;
    const s3 = (bucket: string, prefix = '') => {
      const store = new RetryingStore(
        new S3Store({ endpoint: m.endpoint, bucket, accessKey: m.accessKey, secretKey: m.secretKey, region: m.region, prefix, timeoutMs: 15_000 }),
        { retries: 2 },
      );
      stores.push(store);
      return store;
    };
    const pods = new Client([0, 1].map(() => makeApi(s3(m.bucket), { keyring: KEYRING }).app));
    await createOrgs(pods, 'acme');
    const stacks: StackName[] = ['web', 'api', 'db', 'cache', 'batch'].map((stack) => ({ org: 'acme', project: 'svc', stack }));
    for (const s of stacks) {
      await createStack(pods, s);
      await runUpdate(pods, s, `${s.stack}-1`);
      await runUpdate(pods, s, `${s.stack}-2`);
    }
    const held = stacks[4] as StackName;
    const long = await startUpdate(pods, held);
    await long.checkpoint(4, 'held-in-flight');

    // Three stacks keep being updated until the backup is done.
    let stop = false;
    let commits = 0;
    const workload = stacks.slice(0, 3).map(async (s) => {
      for (let i = 0; !stop && i < 200; i++) {
        await runUpdate(pods, s, `${s.stack}-w${i}`, 2 + (i % 4));
        commits++;
      }
    });

    // The backup reads the bucket through this: its first committed-checkpoint read (registers
    // all read by then) waits until three more versions were committed.
    const source = new HookStore(s3(m.bucket));
    let atCapture = -1;
    source.before('get', (k) => /\/i\/[^/]+\/checkpoints\/\d+\.json$/.test(k), async () => {
      atCapture = commits;
      await until(() => commits >= atCapture + 3, 'updates committed during the backup');
    });
    await until(() => commits >= 2, 'the workload to run');
    const target = await m.createBucket();
    const { manifest } = await backup(source, s3(target, 'backup/'), { source: `minio/${m.bucket}` });
    stop = true;
    await Promise.all(workload);
    expect(atCapture, 'the hook ran').to.be.at.least(0);
    await long.checkpoint(6, 'held-done');
    await long.complete();

    const captured = new Map(manifest.stacks.map((s) => [s.stack, s]));
    const heldEntry = captured.get(`acme/svc/${held.stack}`);
    expect(heldEntry).to.include({ version: 2 });
    expect(heldEntry?.leftOutUpdate).to.deep.include({ updateId: long.id, sealed: false });

    // Restore with the CLI into an empty prefix of the second bucket, reading the backup by its DIY-style URL.
    const host = new URL(m.endpoint).host;
    const env = {
      PATH: process.env.PATH ?? '',
      FULMAR_S3_URL: `http://${m.accessKey}:${m.secretKey}@${host}/${target}/restored`,
      FULMAR_MASTER_KEYS: `k1:${KEY.toString('base64')}`,
      FULMAR_ADMIN_TOKEN: ADMIN_TOKEN,
      AWS_ACCESS_KEY_ID: m.accessKey,
      AWS_SECRET_ACCESS_KEY: m.secretKey,
    };
    const restored = await runFulmar(['restore', `s3://${target}/backup?endpoint=${m.endpoint}&s3ForcePathStyle=true`, '--json'], env);
    expect(restored.code, restored.stderr).to.equal(0);
    expect(JSON.parse(restored.stdout).registers.create).to.equal(stacks.length);
    await expectWhole(s3(target, 'restored/'));

    pod = serveFulmar(env);
    const restoredPod = new Client([(await pod.url) as unknown as Express]);
    let movedOn = 0;
    for (const s of stacks) {
      const v = captured.get(`acme/svc/${s.stack}`)?.version as number;
      const now = (await pods.call('get', `/api/stacks/acme/svc/${s.stack}`)).body.version as number;
      if (now > v) movedOn++;
      const there = await snapshotStack(restoredPod, s);
      expect(there.version, s.stack).to.equal(v);
      const expected = await snapshotStack(pods, s, v);
      expect(there.tags, `${s.stack} tags`).to.deep.equal(expected.tags);
      expect(there.history, `${s.stack} history`).to.deep.equal(expected.history);
      expect(there.events, `${s.stack} events`).to.deep.equal(expected.events);
      expect(there.exports.map((b) => b.toString()), `${s.stack} exports`).to.deep.equal(expected.exports.map((b) => b.toString()));
      expect(there, s.stack).to.deep.equal(expected);
      // No stuck lease: the next update starts at v + 1 and commits.
      const next = await startUpdate(restoredPod, s);
      expect(next.version).to.equal(v + 1);
      await next.checkpoint(1, 'after-restore');
      await next.complete();
    }
    expect(movedOn, 'stacks the pods updated after their registers were captured').to.be.at.least(3);
  });
});
