/**
 * `fulmar adopt-diy` over hand-made DIY backends (test/helpers/diy-backend.ts) into a Fulmar store:
 * what comes in (versions, history as the CLI reads it, exports), reruns, conflicts, crashes, and
 * that the source is only ever read. The same against states the real CLI made is
 * test/e2e/adopt-diy.test.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import type { Express } from 'express';
import { MemoryStore } from '../../src/storage/memory-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { openStoreAt } from '../../src/storage/store-location.js';
import { buildServiceGraph, type ServiceGraph } from '../../src/services/build-services.js';
import { OPERATOR } from '../../src/services/auth-service.js';
import { createApp } from '../../src/http/app.js';
import { adoptDiy, ADOPTED_TAG, CURRENT_ENTRY, sourceIdOf, type AdoptOptions } from '../../src/operations/adopt-diy.js';
import { isFulmarError } from '../../src/domain/errors.js';
import { HookStore } from '../helpers/hook-store.js';
import { ADMIN_TOKEN, Client } from '../helpers/api.js';
import { checkpointFile, deployment, LEGACY_PROJECT, writeDiyStack, writeMeta, type DiyStackSpec } from '../helpers/diy-backend.js';

const logger = pino({ level: 'silent' });
const ORG = 'acme';

interface Fulmar {
  store: HookStore;
  graph: ServiceGraph;
  client: Client;
}

async function fulmar(): Promise<Fulmar> {
  const store = new HookStore(new MemoryStore());
  const graph = buildServiceGraph({ store, keyring: [{ id: 'k1', key: Buffer.alloc(32, 7) }], logger, adminToken: ADMIN_TOKEN, cacheBytes: 0 });
  await graph.services.orgs.create(OPERATOR, ORG);
  return { store, graph, client: new Client([createApp(graph.services) as Express]) };
}

/** Every file under a folder with its bytes' hash, to prove the source is never written. */
async function fingerprint(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else out[path.slice(root.length)] = `${createHash('sha256').update(await readFile(path)).digest('hex')}:${(await stat(path)).mtimeMs}`;
    }
  };
  await walk(root);
  return out;
}

const shopDev: DiyStackSpec = {
  project: 'shop',
  stack: 'dev',
  compress: 'gzip',
  tags: { owner: 'platform', 'pulumi:project': 'shop' },
  history: [
    { kind: 'update', message: 'first', startTime: 1714557600, resources: ['a', 'b'], config: { 'shop:greeting': { secure: 'v1:abc' } } },
    { kind: 'update', message: 'second', startTime: 1714557700, resources: ['a', 'c'] },
    { kind: 'refresh', message: 'look again', startTime: 1714557800, resources: ['a', 'c'] },
    { kind: 'destroy', message: 'tear down', startTime: 1714557900, resources: [], result: 'failed' },
  ],
};

const api = (ref: string) => `/api/stacks/${ORG}/${ref}`;

describe('fulmar adopt-diy (operation)', function () {
  let root: string;
  let source: ObjectStore;
  let f: Fulmar;
  let options: AdoptOptions;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'fulmar-diy-'));
    source = openStoreAt({ kind: 'folder', root }, { storageRetries: 0, storageTimeoutMs: 5_000 }, logger, { readOnly: true });
    f = await fulmar();
    options = { org: ORG, source: sourceIdOf({ kind: 'folder', root }) };
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('brings each stack in with its history: one version per DIY entry, told as it happened', async () => {
    await writeMeta(root);
    await writeDiyStack(root, shopDev);
    const before = await fingerprint(root);

    const report = await adoptDiy(source, f.graph, options);
    expect(report.layout).to.equal('project');
    expect(report.stacks).to.deep.equal([
      { diy: 'shop/dev', stack: { org: ORG, project: 'shop', stack: 'dev' }, outcome: 'adopted', created: true, versions: [1, 2, 3, 4], notes: [] },
    ]);

    const history = await f.client.call('get', `${api('shop/dev')}/updates`).expect(200);
    const updates = (history.body as { updates: Record<string, unknown>[] }).updates.reverse();
    expect(updates.map((u) => [u['version'], u['kind'], u['message'], u['result'], u['startTime'], u['endTime']])).to.deep.equal([
      [1, 'update', 'first', 'succeeded', 1714557600, 1714557605],
      [2, 'update', 'second', 'succeeded', 1714557700, 1714557705],
      [3, 'refresh', 'look again', 'succeeded', 1714557800, 1714557805],
      [4, 'destroy', 'tear down', 'failed', 1714557900, 1714557905],
    ]);
    expect(updates[0]!['config']).to.deep.equal({ 'shop:greeting': { string: 'v1:abc', secret: true, object: false } });
    expect(updates[0]!['environment']).to.deep.equal({ 'exec.kind': 'cli' });
    expect(updates[0]!['resourceChanges']).to.deep.equal({ same: 1 });
    // Where each came from is kept in the bucket, not shown to the CLI.
    expect(updates[0]).not.to.have.property('adopted');

    for (const [v, resources] of [[1, ['a', 'b']], [2, ['a', 'c']], [4, []]] as const) {
      const exported = await f.client.call('get', `${api('shop/dev')}/export/${v}`).expect(200);
      expect(exported.body).to.deep.equal({ version: 3, deployment: deployment('shop', 'dev', [...resources]) });
    }
    const stack = await f.client.call('get', api('shop/dev')).expect(200);
    expect(stack.body.tags).to.deep.equal({ owner: 'platform', 'pulumi:project': 'shop', [ADOPTED_TAG]: `file://${root}` });

    expect(await fingerprint(root)).to.deep.equal(before);
    expect(existsSync(join(root, '.tmp')), 'nothing is created in the source').to.equal(false);
  });

  it('adopts nothing on a rerun, and only what is new after the DIY stack moved on', async () => {
    await writeMeta(root);
    await writeDiyStack(root, { ...shopDev, history: shopDev.history.slice(0, 2) });
    expect((await adoptDiy(source, f.graph, options)).stacks[0]).to.include({ outcome: 'adopted' });

    const again = await adoptDiy(source, f.graph, options);
    expect(again.stacks[0]).to.deep.include({ outcome: 'up-to-date', versions: [] });

    await writeDiyStack(root, shopDev);
    const more = await adoptDiy(source, f.graph, options);
    expect(more.stacks[0]).to.deep.include({ outcome: 'adopted', created: false, versions: [3, 4] });
    const history = await f.client.call('get', `${api('shop/dev')}/updates`).expect(200);
    expect(history.body.updates.map((u: { message: string }) => u.message)).to.deep.equal(['tear down', 'look again', 'second', 'first']);
  });

  it('adds the latest state as a last import when no history entry tells it (a stack import since)', async () => {
    await writeMeta(root);
    await writeDiyStack(root, { ...shopDev, current: ['imported'] });
    const report = await adoptDiy(source, f.graph, options);
    expect(report.stacks[0]).to.deep.include({ outcome: 'adopted', versions: [1, 2, 3, 4, 5] });
    const latest = await f.client.call('get', `${api('shop/dev')}/updates/latest`).expect(200);
    expect(latest.body.info).to.include({ kind: 'import', result: 'succeeded', version: 5 });
    const exported = await f.client.call('get', `${api('shop/dev')}/export`).expect(200);
    expect(exported.body).to.deep.equal({ version: 3, deployment: deployment('shop', 'dev', ['imported']) });
    // …and a rerun sees it is in.
    expect((await adoptDiy(source, f.graph, options)).stacks[0]).to.include({ outcome: 'up-to-date' });
    const entry = await f.graph.committer.historyEntry((await f.graph.register.read({ org: ORG, project: 'shop', stack: 'dev' })).meta, 5);
    expect(entry?.adopted).to.deep.equal({ source: options.source, entry: CURRENT_ENTRY });
  });

  it('adopts a stack with no history as one import of its state', async () => {
    await writeMeta(root);
    await writeDiyStack(root, { project: 'shop', stack: 'bare', history: [], current: ['x'] });
    const report = await adoptDiy(source, f.graph, options);
    expect(report.stacks[0]).to.deep.include({ outcome: 'adopted', versions: [1] });
  });

  it('never touches a stack of the same name that was not adopted from this source', async () => {
    await writeMeta(root);
    await writeDiyStack(root, shopDev);
    await f.graph.services.stacks.create(OPERATOR, ORG, 'shop', { stackName: 'dev' });
    const report = await adoptDiy(source, f.graph, options);
    expect(report.stacks[0]!.outcome).to.equal('skipped');
    expect(report.stacks[0]!.notes[0]).to.match(/exists and was not adopted from this source; left as it is/);
    const stack = await f.client.call('get', api('shop/dev')).expect(200);
    expect(stack.body.version).to.equal(0);

    // Another source is another source, even with the same stacks in it.
    const other = await adoptDiy(source, f.graph, { ...options, source: 'file:///elsewhere' });
    expect(other.stacks[0]!.notes[0]).to.match(/not adopted from this source/);
  });

  it('does not adopt over updates made through Fulmar since, and says so', async () => {
    await writeMeta(root);
    await writeDiyStack(root, { ...shopDev, history: shopDev.history.slice(0, 2) });
    await adoptDiy(source, f.graph, options);
    const ref = { org: ORG, project: 'shop', stack: 'dev' };
    const { bytes } = await f.graph.services.state.exportVersion(OPERATOR, ref, 2n);
    await f.graph.services.updates.importDeployment(OPERATOR, ref, bytes, { message: 'made in Fulmar' });

    const same = await adoptDiy(source, f.graph, options);
    expect(same.stacks[0]).to.deep.include({ outcome: 'up-to-date' });
    expect(same.stacks[0]!.notes[0]).to.match(/updated through Fulmar since its adoption \(from version 3\)/);

    await writeDiyStack(root, shopDev);
    const diverged = await adoptDiy(source, f.graph, options);
    expect(diverged.stacks[0]!.outcome).to.equal('skipped');
    expect(diverged.stacks[0]!.notes[0]).to.match(/2 update\(s\) not adopted, but stack 'acme\/shop\/dev' was updated through Fulmar since/);
  });

  it('finishes what a crash left, and never commits an entry twice', async () => {
    await writeMeta(root);
    await writeDiyStack(root, shopDev);
    // The commit of version 2 dies after its lease was sealed: the history entry never lands.
    f.store.failOnce('put', (key) => /\/history\/0*2\.json$/.test(key));
    const crashed = await adoptDiy(source, f.graph, options);
    expect(crashed.stacks[0]).to.deep.include({ outcome: 'skipped', versions: [1] });
    expect(crashed.stacks[0]!.notes[0]).to.match(/injected failure/);

    const resumed = await adoptDiy(source, f.graph, options);
    expect(resumed.stacks[0]).to.deep.include({ outcome: 'adopted', versions: [3, 4] });
    const history = await f.client.call('get', `${api('shop/dev')}/updates`).expect(200);
    expect(history.body.updates.map((u: { message: string }) => u.message)).to.deep.equal(['tear down', 'look again', 'second', 'first']);
  });

  it('refuses an import whose version was taken meanwhile (expectVersion)', async () => {
    await writeMeta(root);
    await writeDiyStack(root, { ...shopDev, history: shopDev.history.slice(0, 1) });
    await adoptDiy(source, f.graph, options);
    const ref = { org: ORG, project: 'shop', stack: 'dev' };
    const { bytes } = await f.graph.services.state.exportVersion(OPERATOR, ref, 1n);
    const err = await f.graph.services.updates.importDeployment(OPERATOR, ref, bytes, { expectVersion: 1 }).catch((e: unknown) => e);
    expect(isFulmarError(err, 'conflict')).to.equal(true);
    expect((err as Error).message).to.match(/is at version 1, not 0/);
  });

  it('reads the legacy layout: the project from the URNs, or --project for an emptied stack', async () => {
    await writeDiyStack(root, { stack: 'prod', history: [{ kind: 'update', message: 'one', startTime: 1714557600, resources: ['a'] }] });
    await writeDiyStack(root, { stack: 'gone', history: [], current: [] });
    const report = await adoptDiy(source, f.graph, options);
    expect(report.layout).to.equal('legacy');
    const byName = Object.fromEntries(report.stacks.map((s) => [s.diy, s]));
    expect(byName['prod']).to.deep.include({ outcome: 'adopted', stack: { org: ORG, project: LEGACY_PROJECT, stack: 'prod' } });
    expect(byName['gone']!.outcome).to.equal('skipped');
    expect(byName['gone']!.notes[0]).to.match(/--project NAME/);

    const given = await adoptDiy(source, f.graph, { ...options, project: 'rescued' });
    const gone = given.stacks.find((s) => s.diy === 'gone')!;
    expect(gone).to.deep.include({ outcome: 'adopted', stack: { org: ORG, project: 'rescued', stack: 'gone' }, versions: [1] });
    expect(given.stacks.find((s) => s.diy === 'prod')).to.include({ outcome: 'up-to-date' });
  });

  it('ignores legacy files in a project-layout backend, as the CLI does', async () => {
    await writeMeta(root);
    await writeDiyStack(root, shopDev);
    await writeDiyStack(root, { stack: 'old', history: [], current: ['x'] });
    const report = await adoptDiy(source, f.graph, options);
    expect(report.stacks.map((s) => s.diy)).to.deep.equal(['shop/dev']);
    expect(report.ignored.join('\n')).to.match(/\.pulumi\/stacks\/old\.json: a legacy stack file in a project-layout backend/);
  });

  it('skips a stack an update holds in the DIY backend', async () => {
    await writeMeta(root);
    await writeDiyStack(root, shopDev);
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(join(root, '.pulumi/locks/organization/shop/dev'), { recursive: true });
    await writeFile(join(root, '.pulumi/locks/organization/shop/dev/abc.json'), '{}');
    const report = await adoptDiy(source, f.graph, options);
    expect(report.stacks[0]!.outcome).to.equal('skipped');
    expect(report.stacks[0]!.notes[0]).to.match(/an update is running on it in the DIY backend/);
  });

  it('keeps a history entry whose checkpoint is missing, with the state before it', async () => {
    await writeMeta(root);
    const history = shopDev.history.slice(0, 3).map((h, i) => (i === 1 ? { ...h, noCheckpoint: true } : h));
    await writeDiyStack(root, { ...shopDev, history, compress: 'none' });
    const report = await adoptDiy(source, f.graph, options);
    expect(report.stacks[0]).to.deep.include({ outcome: 'adopted', versions: [1, 2, 3] });
    expect(report.stacks[0]!.notes[0]).to.match(/has no checkpoint beside it: its version keeps the state before it/);
    const v2 = await f.client.call('get', `${api('shop/dev')}/export/2`).expect(200);
    expect(v2.body).to.deep.equal({ version: 3, deployment: deployment('shop', 'dev', ['a', 'b']) });
  });

  it('changes nothing on a dry run, and fails clearly for an org that does not exist', async () => {
    await writeMeta(root);
    await writeDiyStack(root, shopDev);
    const dry = await adoptDiy(source, f.graph, { ...options, dryRun: true });
    expect(dry.stacks[0]).to.deep.include({ outcome: 'would-adopt', created: true, versions: [1, 2, 3, 4] });
    await f.client.call('get', api('shop/dev')).expect(404);

    const err = await adoptDiy(source, f.graph, { ...options, org: 'nobody' }).catch((e: unknown) => e);
    expect((err as Error).message).to.equal("organization 'nobody' does not exist; create it first: fulmar org create nobody");
  });

  it('refuses to write into the source, whatever asks', async () => {
    await writeMeta(root);
    const err = await source.put('.pulumi/meta.yaml', Buffer.from('version: 2\n')).catch((e: unknown) => e);
    expect((err as Error).message).to.match(/opened read-only: refusing to write/);
    expect(await readFile(join(root, '.pulumi/meta.yaml'), 'utf8')).to.equal('version: 1\n');
    expect(checkpointFile('shop', 'dev', [])).to.be.a('string');
  });
});
