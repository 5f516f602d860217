/**
 * The newcomer's path: one pod on the embedded filesystem store (no configuration but a data
 * folder and an admin token), driven by the real CLI from login to stack rm.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { components, usesSecretConfig } from './programs.js';
import { startTopology, stackName, stackPath, type Deployment, type Topology } from './fixture.js';

describe('pulumi CLI against one pod on the embedded filesystem store', function () {
  let t: Topology;

  before(async function () {
    this.timeout(120_000);
    t = await startTopology(this, 'embedded');
  });
  after(async function () {
    this.timeout(60_000);
    await t?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && t) console.log(await t.logs());
  });

  it('goes login → stack init → up → export → import → destroy → stack rm', async () => {
    expect(await t.session.ok(['login', t.url])).to.contain('as admin');
    const full = stackName('solo', 'dev');
    const stack = await t.session.stack(full, 'solo', components(5, { prefix: 's' }));
    const cwd = stack.workspace.workDir;
    expect((await t.api(stackPath(full))).status, 'createOrSelectStack ran stack init').to.equal(200);

    const up = await stack.up();
    expect(up.summary.resourceChanges).to.deep.equal({ create: 6 });
    const file = join(cwd, 'state.json');
    await t.session.ok(['stack', 'export', '--stack', full, '--file', file], { cwd });
    const exported = JSON.parse(await readFile(file, 'utf8')) as Deployment;
    expect(exported.deployment.resources).to.have.length(6);
    expect(await t.session.ok(['stack', 'import', '--stack', full, '--file', file], { cwd })).to.be.a('string');
    expect(((await t.api(stackPath(full))).body as { version: number }).version).to.equal(2);

    expect((await stack.destroy()).summary.resourceChanges).to.deep.equal({ delete: 6 });
    await t.session.ok(['stack', 'rm', full, '--yes'], { cwd });
    expect((await t.api(stackPath(full))).status).to.equal(404);
  });

  it('keeps secrets of the service provider readable across a pod restart', async () => {
    const full = stackName('solo', 'secrets');
    const stack = await t.session.stack(full, 'solo', components(1, { prefix: 'p' }));
    await stack.up();
    await t.restartEmbedded();
    const shown = JSON.parse(await t.session.ok(['stack', 'output', '--json', '--show-secrets', '--stack', full], { cwd: stack.workspace.workDir }));
    expect(shown.token).to.equal('secret-of-p');
  });

  it('supports a stack created with the passphrase secrets provider', async () => {
    const full = stackName('solo', 'pass');
    const env = { PULUMI_CONFIG_PASSPHRASE: 'correct horse battery staple' };
    const stack = await t.session.stack(full, 'solo', usesSecretConfig, { secretsProvider: 'passphrase', env });
    const cwd = stack.workspace.workDir;
    await t.session.ok(['config', 'set', '--secret', 'greeting', 'from-passphrase', '--stack', full], { cwd, env });
    const up = await stack.up();
    expect(up.outputs.greeting).to.deep.equal({ value: 'from-passphrase', secret: true });
    const state = (await t.api(`${stackPath(full)}/export`)).body as { deployment: { secrets_providers?: { type: string } } };
    expect(state.deployment.secrets_providers?.type).to.equal('passphrase');
    expect(JSON.stringify(state)).not.to.contain('from-passphrase');
  });
});
