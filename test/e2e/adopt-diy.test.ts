/**
 * `fulmar adopt-diy` against DIY backends the real pulumi CLI made: a `file://` folder with two
 * stacks in two projects (plain and zstd-compressed files) and a MinIO bucket through `s3://…`
 * (gzip), each stack with updates that change resources, a secret config value under the
 * passphrase provider, and a refresh or a destroy in its history. They are adopted by the command
 * (`node dist/cli.js adopt-diy`, as an operator runs it) into the bucket of a running pod; then:
 *
 *  - `pulumi stack history` through Fulmar tells the same updates, in order, as through the DIY
 *    backend (kind, message, result, times, changes, environment, config);
 *  - each version exports exactly the DIY history checkpoint it came from (compared as JSON
 *    values: the export is `{"version":3,"deployment":<the checkpoint's latest>}`, which is what
 *    `pulumi stack export` prints for the DIY stack too);
 *  - `pulumi up` through Fulmar, from the same project folder (same Pulumi.<stack>.yaml, same
 *    passphrase, same program), changes nothing and reads the secret;
 *  - a rerun adopts nothing; the sources are byte for byte as they were.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Client as MinioClient } from 'minio';
import { ensureMinioBinary, startMinio, type MinioServer } from '../helpers/minio.js';
import { buildDist, startPod, type Pod } from '../helpers/pods.js';
import { runBuiltFulmar } from '../helpers/fulmar-process.js';
import { ensurePulumiBinary, PulumiSession, pulumiVersion } from '../helpers/pulumi.js';
import type { ProgramRef } from '../helpers/program-ref.js';
import { things } from './programs.js';
import { inflate } from '../../src/domain/diy-checkpoint.js';
import type { AdoptReport } from '../../src/operations/adopt-diy.js';

const ORG = 'acme';
const PASSPHRASE = 'correct horse battery staple';
const ADMIN_TOKEN = `e2e-admin-${randomBytes(12).toString('hex')}`;


interface DiyStack {
  project: string;
  stack: string;
  /** The folder with Pulumi.yaml and Pulumi.<stack>.yaml, kept for the `pulumi up` through Fulmar. */
  workDir: string;
  /** The program as it was last run. */
  program: ProgramRef;
  /** Resource names after the last update. */
  names: string[];
  /** How it is named in its DIY backend. */
  diyName: string;
  /** How many updates its history has. */
  updates: number;
}

/** Hashes of every file under a folder (the fileblob `.attrs` sidecars too). */
async function folderHashes(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out[path.slice(root.length)] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return out;
}

async function bucketHashes(minio: MinioServer, bucket: string): Promise<Record<string, string>> {
  const url = new URL(minio.endpoint);
  const client = new MinioClient({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey, region: minio.region });
  const out: Record<string, string> = {};
  for await (const o of client.listObjectsV2(bucket, '', true) as AsyncIterable<{ name: string; etag: string; size: number }>) out[o.name] = `${o.etag}:${o.size}`;
  return out;
}

const fulmar = runBuiltFulmar;

describe('fulmar adopt-diy (real pulumi CLI)', function () {
  let minio: MinioServer;
  let pod: Pod;
  let logDir: string;
  let diyFolder: string;
  let diyBucket: string;
  let s3Url: string;
  let podEnv: Record<string, string>;
  let fulmarSession: PulumiSession;
  const sessions: PulumiSession[] = [];
  const stacks: { stack: DiyStack; session: PulumiSession }[] = [];
  let folderBefore: Record<string, string>;
  let bucketBefore: Record<string, string>;

  /** Opens (or creates) a stack of `session` in `workDir` with the passphrase provider. */
  const open = (session: PulumiSession, name: string, project: string, workDir: string, program: ProgramRef, env: Record<string, string> = {}) =>
    session.stack(name, project, program, { workDir, secretsProvider: 'passphrase', env: { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE, ...env } });

  /** Makes a DIY stack's history: each step is an `up` of those names, a `refresh` or a `destroy`. */
  async function makeHistory(session: PulumiSession, project: string, stack: string, steps: (string[] | 'refresh' | 'destroy')[], env: Record<string, string> = {}) {
    const workDir = await mkdtemp(join(session.home, `ws-${project}-`));
    let names: string[] = [];
    let s = await open(session, stack, project, workDir, things(names), env);
    await s.setConfig('greeting', { value: `hello from ${project}`, secret: true });
    for (const [i, step] of steps.entries()) {
      const message = `${project}/${stack} step ${i + 1}`;
      if (step === 'refresh') await s.refresh({ message });
      else if (step === 'destroy') {
        await s.destroy({ message });
        names = [];
      } else {
        names = step;
        s = await open(session, stack, project, workDir, things(names), env);
        await s.up({ message });
      }
    }
    const diyName = `organization/${project}/${stack}`;
    stacks.push({ session, stack: { project, stack, workDir, program: things(names), names, diyName, updates: steps.length } });
  }

  before(async function () {
    ensurePulumiBinary(this);
    ensureMinioBinary(this);
    console.log(`      driving the real pulumi CLI ${pulumiVersion()} (programs on Node ${process.version})`);
    buildDist();
    logDir = await mkdtemp(join(tmpdir(), 'fulmar-e2e-adopt-'));
    minio = await startMinio();

    // The DIY backends, made by the CLI alone.
    diyFolder = await mkdtemp(join(tmpdir(), 'fulmar-diy-folder-'));
    const folder = await PulumiSession.create(`file://${diyFolder}`, 'unused');
    sessions.push(folder);
    await makeHistory(folder, 'alpha', 'dev', [['a', 'b'], ['a', 'c'], 'refresh', ['a', 'c', 'd']]);
    await makeHistory(folder, 'beta', 'prod', [['x'], ['x', 'y'], 'destroy', ['z']], { PULUMI_DIY_BACKEND_ZSTD: 'true' });

    diyBucket = await minio.createBucket();
    s3Url = `s3://${diyBucket}?endpoint=${new URL(minio.endpoint).host}&disableSSL=true&s3ForcePathStyle=true&region=${minio.region}`;
    const aws = { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey, AWS_REGION: minio.region };
    const bucket = await PulumiSession.create(s3Url, 'unused');
    Object.assign(bucket.env, aws);
    sessions.push(bucket);
    await makeHistory(bucket, 'gamma', 'qa', [['p'], ['p', 'q'], 'refresh'], { PULUMI_DIY_BACKEND_GZIP: 'true' });

    folderBefore = await folderHashes(diyFolder);
    bucketBefore = await bucketHashes(minio, diyBucket);

    // Fulmar: one pod on its own bucket of the same MinIO, and the operator's environment.
    const s3 = new URL(minio.endpoint);
    s3.username = encodeURIComponent(minio.accessKey);
    s3.password = encodeURIComponent(minio.secretKey);
    s3.pathname = `/${minio.bucket}`;
    podEnv = {
      FULMAR_S3_URL: s3.toString(),
      FULMAR_S3_REGION: minio.region,
      FULMAR_MASTER_KEYS: `e2e:${randomBytes(32).toString('base64')}`,
      FULMAR_ADMIN_TOKEN: ADMIN_TOKEN,
    };
    pod = await startPod('adopt', podEnv, logDir);
    podEnv = { ...podEnv, FULMAR_PUBLIC_URL: pod.url, ...aws };
    fulmarSession = await PulumiSession.create(pod.url, ADMIN_TOKEN);
    sessions.push(fulmarSession);
  });

  after(async () => {
    await pod?.stop();
    await minio?.stop();
    for (const s of sessions) await rm(s.home, { recursive: true, force: true });
    if (diyFolder) await rm(diyFolder, { recursive: true, force: true });
    if (logDir && !process.env.FULMAR_E2E_KEEP_LOGS) await rm(logDir, { recursive: true, force: true });
  });

  it('refuses an org that does not exist, naming the command that makes it', async () => {
    const r = await fulmar(['adopt-diy', `file://${diyFolder}`, '--org', ORG], podEnv);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.include(`organization '${ORG}' does not exist; create it first: fulmar org create ${ORG}`);
    const created = await fulmar(['org', 'create', ORG], podEnv);
    expect(created.code, created.stderr).to.equal(0);
  });

  it('adopts every stack of both backends with its history', async () => {
    const fromFolder = await fulmar(['adopt-diy', `file://${diyFolder}`, '--org', ORG, '--json'], podEnv);
    expect(fromFolder.code, fromFolder.stderr).to.equal(0);
    const folderReport = JSON.parse(fromFolder.stdout) as AdoptReport;
    expect(folderReport.layout).to.equal('project');
    expect(folderReport.stacks.map((s) => [s.diy, s.outcome, s.versions])).to.deep.equal([
      ['alpha/dev', 'adopted', [1, 2, 3, 4]],
      ['beta/prod', 'adopted', [1, 2, 3, 4]],
    ]);
    const fromBucket = await fulmar(['adopt-diy', s3Url, '--org', ORG], podEnv);
    expect(fromBucket.code, fromBucket.stderr).to.equal(0);
    expect(fromBucket.stdout).to.match(/gamma\/qa\s+acme\/gamma\/qa\s+adopted \(new stack\)\s+1–3/);
    console.log(`      ${fromBucket.stdout.trim().split('\n').join('\n      ')}`);
  });

  it('tells the same history through Fulmar as through the DIY backend', async () => {
    for (const { stack, session } of stacks) {
      const diy = JSON.parse(await session.ok(['stack', 'history', '--json', '-s', stack.diyName])) as Record<string, unknown>[];
      const adopted = JSON.parse(await fulmarSession.ok(['stack', 'history', '--json', '-s', `${ORG}/${stack.project}/${stack.stack}`])) as Record<string, unknown>[];
      expect(diy, stack.diyName).to.have.length(stack.updates);
      expect(diy.every((u) => typeof u['message'] === 'string' && (u['message'] as string).startsWith(stack.diyName.slice('organization/'.length))), 'the DIY history is the one made here').to.equal(true);
      // The DIY backend never numbers its entries (backend.UpdateInfo.Version stays 0); Fulmar's versions are 1…n.
      expect(adopted.map((u) => u['version'])).to.deep.equal(diy.map((_, i) => diy.length - i));
      const told = (u: Record<string, unknown>) => ({ ...u, version: undefined });
      expect(adopted.map(told), stack.diyName).to.deep.equal(diy.map(told));
      expect(diy.map((u) => u['kind'])).to.include.oneOf(['refresh', 'destroy']);
      // Secret config is in the history, as a secret (the CLI shows no value without --show-secrets).
      expect(adopted[0]!['config']).to.deep.include({ [`${stack.project}:greeting`]: { secret: true } });
    }
  });

  it('exports each version exactly as the DIY history checkpoint it came from', async () => {
    const [alpha, beta] = stacks;
    for (const { stack } of [alpha!, beta!]) {
      const dir = join(diyFolder, '.pulumi', 'history', stack.project, stack.stack);
      const checkpoints = (await readdir(dir)).filter((n) => /\.checkpoint\.json(\.zst|\.gz)?$/.test(n)).sort();
      expect(checkpoints).to.have.length(4);
      if (stack.project === 'beta') expect(checkpoints[0]).to.match(/\.json\.zst$/);
      for (const [i, name] of checkpoints.entries()) {
        const file = JSON.parse(inflate(await readFile(join(dir, name))).toString()) as { version: number; checkpoint: { latest: unknown } };
        const res = await fetch(`${pod.url}/api/stacks/${ORG}/${stack.project}/${stack.stack}/export/${i + 1}`, { headers: { Authorization: `token ${ADMIN_TOKEN}` } });
        expect(res.status).to.equal(200);
        expect(await res.json(), `${stack.diyName} version ${i + 1}`).to.deep.equal({ version: file.version, deployment: file.checkpoint.latest });
      }
    }
  });

  it('adopts nothing on a rerun', async () => {
    for (const url of [`file://${diyFolder}`, s3Url]) {
      const again = await fulmar(['adopt-diy', url, '--org', ORG, '--json'], podEnv);
      expect(again.code, again.stderr).to.equal(0);
      const report = JSON.parse(again.stdout) as AdoptReport;
      expect(report.stacks.every((s) => s.outcome === 'up-to-date' && s.versions.length === 0), again.stdout).to.equal(true);
    }
  });

  it('lets `pulumi up` go on through Fulmar from the same folder and passphrase: no changes, the secret readable', async () => {
    for (const { stack } of stacks) {
      const settings = join(stack.workDir, `Pulumi.${stack.stack}.yaml`);
      const before = await readFile(settings, 'utf8');
      expect(before).to.match(/^encryptionsalt: /m);
      const s = await fulmarSession.stack(`${ORG}/${stack.project}/${stack.stack}`, stack.project, stack.program, {
        select: true,
        workDir: stack.workDir,
        env: { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
      });
      const preview = await s.preview();
      expect(Object.keys(preview.changeSummary), stack.diyName).to.deep.equal(['same']);
      const up = await s.up({ message: 'first update through Fulmar' });
      expect(up.summary.resourceChanges, stack.diyName).to.deep.equal({ same: stack.names.length + 1 });
      expect(up.outputs['greeting']).to.deep.equal({ value: `hello from ${stack.project}`, secret: true });
      expect(await readFile(settings, 'utf8'), 'Pulumi.<stack>.yaml is left as it was').to.equal(before);
    }
    // …and after that a rerun still leaves the stacks alone.
    const again = await fulmar(['adopt-diy', `file://${diyFolder}`, '--org', ORG, '--json'], podEnv);
    expect(again.code, again.stderr).to.equal(0);
    expect((JSON.parse(again.stdout) as AdoptReport).stacks.map((s) => s.outcome)).to.deep.equal(['up-to-date', 'up-to-date']);
  });

  it('never wrote to the DIY backends', async () => {
    expect(await folderHashes(diyFolder)).to.deep.equal(folderBefore);
    expect(await bucketHashes(minio, diyBucket)).to.deep.equal(bucketBefore);
  });
});
