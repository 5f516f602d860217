/**
 * The operator's toolkit against the real thing (docs/operating.md): three pods on one MinIO
 * bucket behind a proxy, the real pulumi CLI running updates, and the admin commands run as an
 * operator runs them — `node dist/cli.js …` with the pods' own configuration — while the pods
 * serve: a backup taken during an update restored into an empty prefix and verified, gc with
 * updates running, rollback, breaking a live lease, and verify catching objects broken by hand.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { S3Store } from '../../src/storage/s3-store.js';
import { layout } from '../../src/storage/layout.js';
import { startPod, type Pod } from '../helpers/pods.js';
import { runBuiltFulmar } from '../helpers/fulmar-process.js';
import { fulmarS3Env } from '../helpers/minio.js';
import { components } from './programs.js';
import { ADMIN_TOKEN, stackName, stackPath, startTopology, type Deployment, type Topology } from './fixture.js';

describe('operating Fulmar: admin commands while pods serve (3 pods, MinIO, real CLI)', function () {
  this.timeout(900_000);
  let t: Topology;
  before(async function () {
    this.timeout(240_000);
    t = await startTopology(this, 'cluster');
  });
  after(async () => t?.stop());

  /** `fulmar …args` as an operator runs it: the pods' configuration, plus `env`. */
  const fulmar = (args: string[], env: Record<string, string> = {}) => runBuiltFulmar(args, { PATH: process.env.PATH ?? '', ...t.env, ...env });
  const json = async (args: string[], env: Record<string, string> = {}, expectCode = 0) => {
    const r = await fulmar([...args, '--json'], env);
    expect(r.code, `fulmar ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).to.equal(expectCode);
    return JSON.parse(r.stdout);
  };

  /** The pods' configuration pointed at another, empty bucket of the same MinIO. */
  const emptyBucket = async () => fulmarS3Env(t.minio!, await t.minio!.createBucket());

  async function exportText(base: string, full: string, version?: number): Promise<string> {
    const res = await fetch(`${base}${stackPath(full)}/export${version ? `/${version}` : ''}`, { headers: { Authorization: `token ${ADMIN_TOKEN}` } });
    expect(res.status, `${base} export ${full} ${version ?? 'latest'}`).to.equal(200);
    return res.text();
  }
  const versionOf = async (full: string) => ((await t.api(stackPath(full))).body as { version: number }).version;

  it('backs up while an update runs; the restore into an empty bucket verifies and exports byte for byte', async () => {
    const settled = stackName('ops', 'settled');
    const busy = stackName('ops', 'busy');
    const a = await t.session.stack(settled, 'ops', components(3, { prefix: 'a' }));
    await a.up();
    await (await t.session.stack(settled, 'ops', components(5, { prefix: 'a' }))).up();
    const b = await t.session.stack(busy, 'ops', components(2, { prefix: 'b' }));
    await b.up();

    // A long update on `busy`, and the backup taken while it runs.
    const long = (await t.session.stack(busy, 'ops', components(40, { delayMs: 100, prefix: 'b' }))).up();
    for (let i = 0; i < 100 && !((await t.api(stackPath(busy))).body as { currentOperation?: unknown }).currentOperation; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const folder = join(t.logDir, 'backup');
    const backup = await json(['backup', folder]);
    const captured = (full: string) => (backup.manifest.stacks as { stack: string; version: number; leftOutUpdate?: unknown }[]).find((x) => x.stack === full);
    expect(captured(settled)).to.include({ version: 2 });
    expect(captured(busy), 'the running update is not in the backup').to.include({ version: 1 });
    expect(captured(busy)?.leftOutUpdate).to.be.an('object');
    expect((await long).summary.result).to.equal('succeeded');
    expect(await versionOf(busy), 'the update committed after the backup began').to.equal(2);

    const target = await emptyBucket();
    const restored = await json(['restore', folder], target);
    expect(restored, JSON.stringify(restored)).to.be.an('object');
    const verified = await json(['verify'], target);
    expect(verified.problems).to.deep.equal([]);

    let pod: Pod | undefined;
    try {
      pod = await startPod('restored', { ...t.env, ...target, PORT: '0' }, t.logDir);
      for (const [full, atVersion] of [[settled, 2], [busy, 1]] as const) {
        const res = await fetch(`${pod.url}${stackPath(full)}`, { headers: { Authorization: `token ${ADMIN_TOKEN}` } });
        const restoredStack = (await res.json()) as { version: number; currentOperation?: unknown };
        expect(restoredStack.currentOperation, `${full} is restored idle, at a committed version`).to.equal(undefined);
        expect(restoredStack.version).to.equal(atVersion);
        for (let v = 1; v <= restoredStack.version; v++) {
          expect(await exportText(pod.url, full, v), `${full} version ${v}`).to.equal(await exportText(t.url, full, v));
        }
      }
    } finally {
      await pod?.stop();
    }
  });

  it('collects garbage while updates run, then every stack still exports and verify is clean', async () => {
    const kept = stackName('ops', 'gc');
    const s = await t.session.stack(kept, 'ops', components(2, { prefix: 'g' }));
    for (let i = 0; i < 3; i++) await (await t.session.stack(kept, 'ops', components(2 + i, { prefix: 'g' }))).up();
    const latest = await versionOf(kept);
    const running = (await t.session.stack(stackName('ops', 'gc-run'), 'ops', components(30, { delayMs: 80, prefix: 'r' }))).up();
    const dry = await json(['gc', '--keep-versions', '1', '--dry-run']);
    expect(await versionOf(kept)).to.equal(latest);
    expect(dry.pruned.map((p: { stack: string }) => p.stack), 'the dry run names what it would prune').to.include(kept);
    const gc = await json(['gc', '--keep-versions', '1']);
    expect(gc.pruned.find((p: { stack: string }) => p.stack === kept)).to.include({ from: 1, to: latest - 1, retainedFrom: latest });
    expect((await running).summary.result).to.equal('succeeded');
    // The latest version is kept and exported; an old one is gone with a clear answer.
    await exportText(t.url, kept);
    const old = await fetch(`${t.url}${stackPath(kept)}/export/1`, { headers: { Authorization: `token ${ADMIN_TOKEN}` } });
    expect(old.status).to.equal(410);
    expect(((await old.json()) as { message: string }).message).to.contain('removed by retention');
    const history = JSON.parse(await t.session.ok(['stack', 'history', '--json', '--stack', kept], { cwd: s.workspace.workDir }));
    expect(history).to.have.length(latest);
    expect((await json(['verify'])).problems).to.deep.equal([]);
  });

  it('rolls a stack back to an earlier version, seen by the CLI as an import', async () => {
    const full = stackName('ops', 'rollback');
    const s = await t.session.stack(full, 'ops', components(1, { prefix: 'v' }));
    await s.up();
    const v1 = await exportText(t.url, full, 1);
    await (await t.session.stack(full, 'ops', components(4, { prefix: 'v' }))).up();
    const done = await json(['rollback', full, '--to', '1']);
    expect(done).to.include({ to: 1, from: 2, version: 3 });
    const now = JSON.parse(await exportText(t.url, full)) as Deployment;
    expect(now).to.deep.equal(JSON.parse(v1));
    const history = JSON.parse(await t.session.ok(['stack', 'history', '--json', '--stack', full], { cwd: s.workspace.workDir }));
    expect(history[0]).to.include({ kind: 'import', version: 3, message: 'rollback to version 1 (from version 2) by fulmar rollback' });
    // The next up brings the extra resources back, starting from the rolled-back state.
    const up = await (await t.session.stack(full, 'ops', components(4, { prefix: 'v' }))).up();
    expect(up.summary.resourceChanges).to.deep.equal({ create: 3, same: 2 });
  });

  it('lists a live lease and breaks it; the update is told it lost the stack, and the next up runs', async () => {
    const full = stackName('ops', 'lease');
    const s = await t.session.stack(full, 'ops', components(60, { delayMs: 150, prefix: 'l' }));
    const running = s.up().then(
      () => 'finished',
      (err: Error) => err.message,
    );
    let held: { stack: { stack: string }; state: string; updateId: string }[] = [];
    for (let i = 0; i < 200 && held.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      held = (await json(['leases', 'ls', full.split('/').slice(0, 2).join('/')])).filter((l: { stack: { stack: string } }) => full.endsWith(l.stack.stack));
    }
    expect(held, 'the running up holds its stack').to.have.length(1);
    expect(held[0]?.state).to.equal('live');
    const broken = await json(['leases', 'break', full]);
    expect(broken).to.include({ updateId: held[0]?.updateId, cancelled: true });
    const outcome = await running;
    expect(outcome, 'the CLI of the broken update fails').to.not.equal('finished');
    const up = await (await t.session.stack(full, 'ops', components(3, { prefix: 'l' }))).up();
    expect(up.summary.result).to.equal('succeeded');
  });

  it('verify names the objects broken by hand in the bucket, and exits 1', async () => {
    const full = stackName('ops', 'broken');
    await (await t.session.stack(full, 'ops', components(1, { prefix: 'x' }))).up();
    await (await t.session.stack(full, 'ops', components(2, { prefix: 'x' }))).up();
    const [org, project, stack] = full.split('/') as [string, string, string];
    const minio = t.minio!;
    const bucket = new S3Store({ endpoint: minio.endpoint, bucket: minio.bucket, accessKey: minio.accessKey, secretKey: minio.secretKey, region: minio.region });
    try {
      const meta = JSON.parse((await bucket.get(layout.metaKey({ org, project, stack }))).body.toString('utf8')) as { incarnation: string };
      const loc = { org, project, stack, incarnation: meta.incarnation };
      await bucket.delete(layout.checkpointKey(loc, 1));
      await bucket.put(layout.checkpointKey(loc, 2), Buffer.from('{"version": 3, "deployment": '));
      await bucket.delete(layout.historyKey(loc, 2));
      const r = await fulmar(['verify', `${org}/${project}/${stack}`]);
      expect(r.code, r.stdout + r.stderr).to.equal(1);
      for (const key of [layout.checkpointKey(loc, 1), layout.checkpointKey(loc, 2), layout.historyKey(loc, 2)]) expect(r.stdout).to.contain(key);
    } finally {
      await bucket.close?.();
    }
  });
});
