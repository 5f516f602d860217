/**
 * Fulmar runs on Node 20, 22 and 24 (README, "Quick start"). Every other suite runs the pods on the
 * machine's own Node (20 on CI); here the built server, `dist/cli.js serve` as `npm start` runs it,
 * runs on Node 22 and on Node 24 — each installed once by scripts/node-major.sh from the npm
 * registry — as three pods on MinIO behind the proxy and as the embedded default, and the real
 * CLI journals updates against them, keeps a service secret, and destroys.
 */
import { spawnSync } from 'node:child_process';
import { readlink, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../helpers/pods.js';
import { components } from './programs.js';
import { startTopology, stackName, stackPath, type Deployment, type Topology } from './fixture.js';

/** The binary of Node `major`, installed into .tools/node<major> on first use. */
function nodeBinary(major: number): string {
  const r = spawnSync('bash', [join(repoRoot, 'scripts', 'node-major.sh'), String(major), '-p', 'process.execPath'], { encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`could not install Node ${major}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim();
}

/** How many journal batches the pods acknowledged, from their access logs. */
const journalBatchesAcknowledged = async (t: Topology): Promise<number> =>
  (await t.logLines()).filter((l) => l.includes('/journalentries"') && l.includes('"statusCode":200')).length;

for (const major of [22, 24]) {
  for (const kind of ['cluster', 'embedded'] as const) {
    describe(`Fulmar on Node ${major}: ${kind === 'cluster' ? 'three pods on MinIO' : 'the embedded default'}, driven by the real CLI`, function () {
      this.timeout(300_000);
      let t: Topology;
      let binary: string;

      before(async function () {
        this.timeout(300_000);
        binary = nodeBinary(major);
        t = await startTopology(this, kind, { node: binary });
      });
      after(async function () {
        this.timeout(60_000);
        await t?.stop();
      });
      afterEach(async function () {
        if (this.currentTest?.state === 'failed' && t) console.log(await t.logs());
      });

      it(`runs every pod on Node ${major}`, async () => {
        const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
        expect(version, binary).to.match(new RegExp(`^v${major}\\.`));
        for (const pod of t.pods) {
          expect(await readlink(`/proc/${pod.child.pid}/exe`), pod.name).to.equal(await realpath(binary));
        }
      });

      it('journals an up, a second up and a destroy, keeping the service secret', async () => {
        const full = stackName('nodes', `node${major}-${kind}`);
        const first = await (await t.session.stack(full, 'nodes', components(3, { prefix: 'n' }))).up();
        expect(first.summary.resourceChanges).to.deep.equal({ create: 4 });
        const before = await journalBatchesAcknowledged(t);
        expect(before, 'the default CLI journals').to.be.greaterThan(0);

        const stack = await t.session.stack(full, 'nodes', components(5, { prefix: 'n' }));
        const second = await stack.up();
        expect(second.summary.resourceChanges).to.deep.equal({ create: 2, same: 4 });
        expect(second.outputs.count?.value).to.equal(5);
        expect(second.outputs.token?.value, 'decrypted by the pod').to.equal('secret-of-n');
        expect(second.outputs.token?.secret).to.equal(true);
        expect(await journalBatchesAcknowledged(t)).to.be.greaterThan(before);

        const exported = await t.api(`${stackPath(full)}/export`);
        expect(exported.status).to.equal(200);
        const resources = (exported.body as Deployment).deployment.resources ?? [];
        expect(resources).to.have.length(6);
        const things = resources.filter((r) => r.type === 'fulmar:test:Thing').map((r) => r.urn.split('::').pop());
        expect(things.sort()).to.deep.equal(['n0', 'n1', 'n2', 'n3', 'n4']);
        expect((await t.api(stackPath(full))).body).to.include({ version: 2 });

        const destroyed = await stack.destroy();
        expect(destroyed.summary.resourceChanges).to.deep.equal({ delete: 6 });
        expect((await t.api(stackPath(full))).body).to.include({ version: 3 });
      });
    });
  }
}
