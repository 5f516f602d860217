/**
 * The unmodified pulumi CLI against three Fulmar pods sharing one real MinIO bucket behind a
 * round-robin load balancer. Every scenario is something a user does; each asserts what the
 * user would see and what the bucket holds.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { components, dynamicResources, readsStack, usesSecretConfig } from './programs.js';
import { startTopology, stackName, stackPath, type Deployment, type Topology } from './fixture.js';

describe('pulumi CLI against 3 pods on one MinIO bucket', function () {
  let t: Topology;

  before(async function () {
    this.timeout(180_000);
    t = await startTopology(this, 'cluster');
  });
  after(async function () {
    this.timeout(60_000);
    await t?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && t) console.log(await t.logs());
  });

  const resourcesOf = async (full: string) =>
    ((await t.api(`${stackPath(full)}/export`)).body as Deployment).deployment.resources ?? [];
  /** Every access-log line of the three pods so far. */
  const podLogs = () => t.logLines();

  it('logs in and tells who it is', async () => {
    const login = await t.session.ok(['login', t.url]);
    expect(login).to.contain('Logged in to');
    expect(login).to.contain('as admin');
    expect((await t.session.ok(['whoami'])).trim()).to.equal('admin');
    expect(await t.session.ok(['whoami', '-v'])).to.contain('User: admin');
  });

  it('inits, lists, selects and removes stacks (rm refuses a stack with resources unless --force)', async () => {
    const empty = stackName('lsproj', 'empty');
    const full = stackName('lsproj', 'full');
    const stack = await t.session.stack(full, 'lsproj', components(2));
    await stack.up();
    const cwd = stack.workspace.workDir;
    await t.session.ok(['stack', 'init', empty], { cwd });
    const listed = await t.session.ok(['stack', 'ls', '--json'], { cwd });
    const names = (JSON.parse(listed) as { name: string }[]).map((s) => s.name);
    const short = (full: string) => full.split('/')[2] as string;
    expect(names.map((n) => n.split('/').pop())).to.include.members([short(empty), short(full)]);
    await t.session.ok(['stack', 'select', empty], { cwd });
    const current = JSON.parse(await t.session.ok(['stack', 'ls', '--json'], { cwd })) as { name: string; current: boolean }[];
    expect(current.find((s) => s.current)?.name.split('/').pop()).to.equal(short(empty));

    const refused = await t.session.cli(['stack', 'rm', full, '--yes'], { cwd });
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.match(/still has resources/);
    await t.session.ok(['stack', 'rm', full, '--yes', '--force'], { cwd });
    await t.session.ok(['stack', 'rm', empty, '--yes'], { cwd });
    expect((await t.api(stackPath(full))).status).to.equal(404);
    expect((await t.api(stackPath(empty))).status).to.equal(404);
  });

  it('runs up, preview, refresh and destroy, and stack history lists them newest first', async () => {
    const full = stackName('proj', 'life');
    const stack = await t.session.stack(full, 'proj', components(3));
    const up = await stack.up();
    expect(up.summary.result).to.equal('succeeded');
    expect(up.summary.resourceChanges).to.deep.equal({ create: 4 });
    const preview = await stack.preview();
    expect(preview.changeSummary).to.deep.equal({ same: 4 });
    expect((await stack.refresh()).summary.result).to.equal('succeeded');
    expect((await stack.destroy()).summary.result).to.equal('succeeded');
    const history = JSON.parse(await t.session.ok(['stack', 'history', '--json', '--stack', full], { cwd: stack.workspace.workDir }));
    expect(history.map((h: { kind: string; version: number }) => [h.kind, h.version])).to.deep.equal([
      ['destroy', 3],
      ['refresh', 2],
      ['update', 1],
    ]);
    expect(await resourcesOf(full)).to.deep.equal([]);
  });

  it('uses a `config set --secret` value in the program, and shows outputs with --show-secrets', async () => {
    const full = stackName('proj', 'cfg');
    const stack = await t.session.stack(full, 'proj', usesSecretConfig);
    const cwd = stack.workspace.workDir;
    await t.session.ok(['config', 'set', '--secret', 'greeting', 'hello-from-config', '--stack', full], { cwd });
    const settings = await readFile(join(cwd, `Pulumi.${full.split('/')[2]}.yaml`), 'utf8');
    expect(settings).to.contain('secure:');
    expect(settings).not.to.contain('hello-from-config');
    const up = await stack.up();
    expect(up.outputs.greeting).to.deep.equal({ value: 'hello-from-config', secret: true });
    const hidden = JSON.parse(await t.session.ok(['stack', 'output', '--json', '--stack', full], { cwd }));
    expect(hidden.greeting).to.equal('[secret]');
    const shown = JSON.parse(await t.session.ok(['stack', 'output', '--json', '--show-secrets', '--stack', full], { cwd }));
    expect(shown).to.deep.equal({ greeting: 'hello-from-config', plain: 'visible' });
    // The state in the bucket holds the secret encrypted only.
    expect(JSON.stringify(await resourcesOf(full))).not.to.contain('hello-from-config');
  });

  it('round-trips stack export/import, into another stack too (secrets re-encrypted), and exports old versions', async () => {
    const source = stackName('proj', 'src');
    const target = stackName('proj', 'dst');
    const stack = await t.session.stack(source, 'proj', components(2, { prefix: 'x' }));
    await stack.up();
    const cwd = stack.workspace.workDir;
    const file = join(cwd, 'export.json');
    await t.session.ok(['stack', 'export', '--stack', source, '--file', file], { cwd });
    const exported = JSON.parse(await readFile(file, 'utf8')) as Deployment;
    expect(exported.deployment.resources).to.have.length(3);

    await t.session.ok(['stack', 'import', '--stack', source, '--file', file], { cwd });
    expect(((await t.api(stackPath(source))).body as { version: number }).version).to.equal(2);
    const v1 = JSON.parse(await t.session.ok(['stack', 'export', '--stack', source, '--version', '1'], { cwd })) as Deployment;
    expect(v1.deployment.resources?.map((r) => r.urn)).to.deep.equal(exported.deployment.resources?.map((r) => r.urn));

    await t.session.ok(['stack', 'init', target], { cwd });
    await t.session.ok(['stack', 'import', '--stack', target, '--file', file, '--force'], { cwd });
    const outputs = JSON.parse(await t.session.ok(['stack', 'output', '--json', '--show-secrets', '--stack', target], { cwd }));
    expect(outputs.token).to.equal('secret-of-x');
    // The secret in the target's state was encrypted for the target: it is not the source's ciphertext.
    const targetState = JSON.stringify(((await t.api(`${stackPath(target)}/export`)).body as Deployment).deployment);
    const ciphertext = (s: string) => /"ciphertext":"([^"]+)"/.exec(s)?.[1];
    expect(ciphertext(targetState)).to.be.a('string');
    expect(ciphertext(targetState)).to.not.equal(ciphertext(JSON.stringify(exported.deployment)));
  });

  it('sets, lists and removes stack tags', async () => {
    const full = stackName('proj', 'tags');
    const stack = await t.session.stack(full, 'proj', components(1));
    await stack.up();
    const cwd = stack.workspace.workDir;
    await t.session.ok(['stack', 'tag', 'set', 'owner', 'team-a', '--stack', full], { cwd });
    expect(JSON.parse(await t.session.ok(['stack', 'tag', 'ls', '--json', '--stack', full], { cwd })).owner).to.equal('team-a');
    await t.session.ok(['stack', 'tag', 'rm', 'owner', '--stack', full], { cwd });
    const after = JSON.parse(await t.session.ok(['stack', 'tag', 'ls', '--json', '--stack', full], { cwd }));
    expect(after).not.to.have.property('owner');
    expect(after['pulumi:project']).to.equal('proj');
    // The CLI's own tags are not set by hand: the CLI prints Fulmar's 400.
    const refused = await t.session.cli(['stack', 'tag', 'set', 'pulumi:project', 'foo', '--stack', full], { cwd });
    expect(refused.code, refused.stdout).to.not.equal(0);
    expect(refused.stderr).to.contain("[400] Bad Request: tag 'pulumi:project' cannot be changed by hand (it is 'proj')");
  });

  it('renames a stack, after which an up changes nothing', async () => {
    const from = stackName('proj', 'before');
    const to = `${from}-renamed`;
    const program = components(3, { prefix: 'r' });
    const stack = await t.session.stack(from, 'proj', program);
    await stack.up();
    await t.session.ok(['stack', 'rename', to, '--stack', from], { cwd: stack.workspace.workDir });
    expect((await t.api(stackPath(from))).status).to.equal(404);
    const renamed = await t.session.stack(to, 'proj', program);
    const up = await renamed.up();
    expect(up.summary.resourceChanges).to.deep.equal({ same: 4 });
    expect(up.outputs.token).to.deep.equal({ value: 'secret-of-r', secret: true });
  });

  it('deletes a resource from state with `state delete`', async () => {
    const full = stackName('proj', 'state');
    const stack = await t.session.stack(full, 'proj', components(3, { prefix: 'd' }));
    await stack.up();
    const victim = (await resourcesOf(full)).find((r) => r.urn.endsWith('::d2'));
    expect(victim).to.not.equal(undefined);
    await t.session.ok(['state', 'delete', victim!.urn, '--yes', '--stack', full], { cwd: stack.workspace.workDir });
    const urns = (await resourcesOf(full)).map((r) => r.urn);
    expect(urns).to.have.length(3);
    expect(urns).not.to.include(victim!.urn);
  });

  it('creates and destroys 200 resources with checkpoints (PULUMI_DISABLE_JOURNALING=true)', async function () {
    this.timeout(600_000);
    const full = stackName('proj', 'big');
    const stack = await t.session.stack(full, 'proj', components(199, { prefix: 'b' }), { env: { PULUMI_DISABLE_JOURNALING: 'true' } });
    const up = await stack.up();
    expect(up.summary.resourceChanges).to.deep.equal({ create: 200 });
    expect(await resourcesOf(full)).to.have.length(200);
    // The state outgrew the advertised delta cutoff, so the CLI sent byte-offset deltas that
    // the pods rebuilt and verified (any mismatch would have made it fall back to verbatim).
    const logs = await podLogs();
    const deltas = logs.filter((l) => l.includes(`/${full}/update/`) && l.includes('/checkpointdelta') && l.includes('"statusCode":200'));
    expect(deltas.length, 'accepted checkpointdelta requests').to.be.greaterThan(10);
    const refused = logs.filter((l) => l.includes('/checkpointdelta') && /"statusCode":4\d\d/.test(l));
    expect(refused, 'deltas refused (hash mismatch or missing baseline)').to.deep.equal([]);
    expect(logs.filter((l) => l.includes(`/${full}/update/`) && l.includes('/journalentries')), 'journal batches').to.deep.equal([]);
    const destroy = await stack.destroy();
    expect(destroy.summary.resourceChanges).to.deep.equal({ delete: 200 });
    expect(await resourcesOf(full)).to.deep.equal([]);
  });

  it('creates and destroys 200 resources journaling (the CLI’s default), sending no checkpoint', async function () {
    this.timeout(600_000);
    const full = stackName('proj', 'bigj');
    const stack = await t.session.stack(full, 'proj', components(199, { prefix: 'b' }));
    const up = await stack.up();
    expect(up.summary.resourceChanges).to.deep.equal({ create: 200 });
    expect(await resourcesOf(full)).to.have.length(200);
    const logs = (await podLogs()).filter((l) => l.includes(`/${full}/update/`));
    expect(logs.filter((l) => l.includes('/journalentries') && l.includes('"statusCode":200')).length, 'journal batches').to.be.greaterThan(2);
    expect(logs.filter((l) => /\/checkpoint(verbatim|delta)?[?"]/.test(l)), 'checkpoint requests').to.deep.equal([]);
    const destroy = await stack.destroy();
    expect(destroy.summary.resourceChanges).to.deep.equal({ delete: 200 });
    expect(await resourcesOf(full)).to.deep.equal([]);
  });

  it('lets exactly one of two racing ups win; the other fails with the conflict, state intact', async () => {
    const full = stackName('proj', 'race');
    const program = components(20, { delayMs: 100, prefix: 'q' });
    const a = await t.session.stack(full, 'proj', program);
    const b = await t.session.stack(full, 'proj', program);
    const results = await Promise.allSettled([a.up(), b.up()]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).to.have.length(1);
    expect(lost).to.have.length(1);
    expect(String(lost[0]!.reason)).to.match(/Another update is currently in progress|conflict/i);
    expect(await resourcesOf(full)).to.have.length(21);
    const meta = (await t.api(stackPath(full))).body as { version: number; activeUpdate: string; currentOperation?: unknown };
    expect(meta.version).to.equal(1);
    expect(meta.currentOperation, 'no update holds the stack').to.equal(undefined);
    // Idle, `activeUpdate` names the update that won, and `pulumi cancel` says it already finished.
    const idle = await t.session.cli(['cancel', '--yes', '--stack', full], { cwd: a.workspace.workDir });
    expect(idle.code, idle.stdout).to.not.equal(0);
    expect(idle.stderr).to.contain(`[409] Conflict: update '${meta.activeUpdate}' of stack '${full}' already finished (succeeded)`);
  });

  it('survives the CLI killed mid-up: cancel, then an up that keeps what the dead run created', async function () {
    this.timeout(300_000);
    const full = stackName('proj', 'killcli');
    const marker = `kill-me-${Date.now()}`;
    const stack = await t.session.stack(full, 'proj', components(40, { delayMs: 150, prefix: 'k' }));
    const running = stack.up({ message: marker }).then(
      () => 'finished',
      () => 'died',
    );
    let partial: { urn: string }[] = [];
    for (let i = 0; i < 300 && partial.length < 10; i++) {
      await new Promise((r) => setTimeout(r, 100));
      partial = await resourcesOf(full);
    }
    expect(partial.length, 'the update never checkpointed 10 resources').to.be.at.least(10);
    const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout.split('\n');
    const cli = ps.find((line) => line.includes(t.session.binary) && line.includes(marker));
    expect(cli, 'the running pulumi up process').to.be.a('string');
    process.kill(Number.parseInt(cli!.trim(), 10), 'SIGKILL');
    expect(await running).to.equal('died');

    const stuck = (await t.api(stackPath(full))).body as { currentOperation?: unknown };
    expect(stuck.currentOperation, 'the dead update still holds the stack').to.not.equal(undefined);
    await t.session.ok(['cancel', '--yes', '--stack', full], { cwd: stack.workspace.workDir });
    const afterCancel = (await resourcesOf(full)).map((r) => r.urn);
    expect(afterCancel.length).to.be.at.least(partial.length);

    const again = await t.session.stack(full, 'proj', components(40, { delayMs: 10, prefix: 'k' }));
    const up = await again.up();
    expect(up.summary.result).to.equal('succeeded');
    const final = (await resourcesOf(full)).map((r) => r.urn);
    expect(final).to.have.length(41);
    expect(final).to.include.members(afterCancel);
    // What the dead run created was recorded, so this run did not create it again.
    expect(up.summary.resourceChanges?.create ?? 0).to.equal(41 - afterCancel.length);
  });

  it('runs custom resources through a dynamic provider', async () => {
    const full = stackName('proj', 'dyn');
    const stack = await t.session.stack(full, 'proj', dynamicResources(3));
    const up = await stack.up();
    expect(up.outputs.ids?.value).to.deep.equal(['id-thing-0', 'id-thing-1', 'id-thing-2']);
    const custom = (await resourcesOf(full)).filter((r) => r.type === 'pulumi-nodejs:dynamic:Resource');
    expect(custom).to.have.length(3);
    expect((await stack.destroy()).summary.result).to.equal('succeeded');
  });

  it('reads another stack’s outputs through a StackReference', async () => {
    const producer = stackName('proj', 'producer');
    await (await t.session.stack(producer, 'proj', components(2, { prefix: 'p' }))).up();
    const consumer = await t.session.stack(stackName('proj', 'consumer'), 'proj', readsStack(producer));
    const up = await consumer.up();
    expect(up.outputs.otherCount?.value).to.equal(2);
    expect(up.outputs.otherToken).to.deep.equal({ value: 'secret-of-p', secret: true });
    const refs = await t.api(`${stackPath(producer)}/downstreamreferences`);
    expect((refs.body as { referencedStacks: { name: string }[] }).referencedStacks.map((r) => r.name)).to.deep.equal([
      consumer.name.split('/')[2],
    ]);
  });

  it('spread the CLI’s requests over all three pods', () => {
    for (const [upstream, count] of t.proxy!.counts) expect(count, upstream).to.be.greaterThan(20);
  });

  // Last: it takes a pod away for good.
  it('finishes a long up through the other pods when one pod is killed mid-update', async function () {
    this.timeout(300_000);
    const full = stackName('proj', 'killpod');
    const stack = await t.session.stack(full, 'proj', components(60, { delayMs: 100, prefix: 'z' }));
    const running = stack.up();
    let partial: unknown[] = [];
    for (let i = 0; i < 300 && partial.length < 10; i++) {
      await new Promise((r) => setTimeout(r, 100));
      partial = await resourcesOf(full);
    }
    expect(partial.length).to.be.at.least(10);
    t.pods[0]!.kill();
    const up = await running;
    expect(up.summary.result).to.equal('succeeded');
    expect(up.summary.resourceChanges).to.deep.equal({ create: 61 });
    const cwd = stack.workspace.workDir;
    const file = join(cwd, 'final.json');
    await t.session.ok(['stack', 'export', '--stack', full, '--file', file], { cwd });
    const exported = JSON.parse(await readFile(file, 'utf8')) as Deployment;
    expect(exported.deployment.resources).to.have.length(61);
    const root = exported.deployment.resources?.find((r) => r.type === 'pulumi:pulumi:Stack');
    expect(root?.outputs?.count).to.equal(up.outputs.count?.value);
  });
});
