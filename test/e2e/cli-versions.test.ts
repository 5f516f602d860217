/**
 * More than one pulumi CLI: the pinned one and the older releases scripts/install-tools.sh builds
 * (PULUMI_OLD_VERSIONS, about six months and a year before the pin), each taken through the core
 * commands against three pods on one MinIO bucket — login, stack init, up, preview, refresh,
 * export/import, rename, cancel, destroy, history — and checked for the way it saved state:
 * journal batches or checkpoints. `FULMAR_E2E_CLI=<version or path>` runs only that CLI.
 */
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { components } from './programs.js';
import { ADMIN_TOKEN, startTopology, stackName, stackPath, type Deployment, type Topology } from './fixture.js';
import { ensurePulumiBinary, pinnedPulumiVersion, pulumiBinary, pulumiVersion, PulumiSession, type ProgramStack } from '../helpers/pulumi.js';
import { repoRoot } from '../helpers/pods.js';

type Mode = 'journal' | 'checkpoint';

interface Cli {
  version: string;
  binary: string;
  /** How it saves state when nothing asks otherwise. */
  mode: Mode;
  /** Journals only when PULUMI_ENABLE_JOURNALING=true. */
  optIn: boolean;
}

/** `[major, minor, patch]` of `v3.224.0`. */
const parts = (v: string) => v.replace(/^v/, '').split(/[.-]/).slice(0, 3).map(Number);
const atLeast = (v: string, min: string) => {
  const [a, b] = [parts(v), parts(min)];
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};

function cli(version: string, binary = pulumiBinary(version)): Cli {
  // sdk/go/common/env/env.go: PULUMI_ENABLE_JOURNALING (opt-in) from v3.204.0 to v3.224.0, then
  // journaling by default with PULUMI_DISABLE_JOURNALING to opt out (v3.225.0 on).
  const byDefault = atLeast(version, 'v3.225.0');
  return { version, binary, mode: byDefault ? 'journal' : 'checkpoint', optIn: !byDefault && atLeast(version, 'v3.204.0') };
}

/** The older versions, as install-tools.sh builds them (its PULUMI_OLD_VERSIONS, or that default). */
function oldVersions(): string[] {
  const script = readFileSync(join(repoRoot, 'scripts', 'install-tools.sh'), 'utf8');
  const fallback = /^PULUMI_OLD_VERSIONS=\$\{PULUMI_OLD_VERSIONS:-([^}]*)\}$/m.exec(script)?.[1];
  if (fallback === undefined) throw new Error('scripts/install-tools.sh no longer sets PULUMI_OLD_VERSIONS');
  return (process.env.PULUMI_OLD_VERSIONS ?? fallback).split(/\s+/).filter(Boolean);
}

function clis(): Cli[] {
  const only = process.env.FULMAR_E2E_CLI;
  if (only) {
    const binary = pulumiBinary(only);
    return [cli(pulumiVersion(binary) || only, binary)];
  }
  const pinned = pinnedPulumiVersion() ?? 'v0.0.0-missing';
  return [cli(pinned, pulumiBinary(pinned)), ...oldVersions().map((v) => cli(v))];
}

describe('pulumi CLI versions against 3 pods on one MinIO bucket', function () {
  let t: Topology;
  const homes: string[] = [];

  before(async function () {
    this.timeout(180_000);
    t = await startTopology(this, 'cluster');
  });
  after(async function () {
    this.timeout(60_000);
    await Promise.all(homes.map((h) => rm(h, { recursive: true, force: true })));
    await t?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && t) console.log(await t.logs());
  });

  const resourcesOf = async (full: string) =>
    ((await t.api(`${stackPath(full)}/export`)).body as Deployment).deployment.resources ?? [];
  // Whether an update runs is `currentOperation`; `activeUpdate` names the last one when idle
  // (docs/protocol.md#stacks).
  const metaOf = async (full: string) => {
    const body = (await t.api(stackPath(full))).body as { version: number; currentOperation?: unknown };
    return { version: body.version, running: body.currentOperation !== undefined };
  };

  /** The pods' access-log lines for non-preview updates of these stacks. */
  async function updateRequests(...names: string[]): Promise<string[]> {
    const logs = await t.logLines();
    const kinds = /\/(update|refresh|destroy)\/[^/"?]+\//;
    return logs.filter((l) => names.some((n) => l.includes(`/api/stacks/${n}/`)) && kinds.test(l));
  }
  /**
   * Which way the CLI saved state over these requests (both counted, so a mix shows), after
   * checking that `version` sent every one: its user agent names it (pkg/backend/httpstate/client/api.go).
   */
  const savedBy = (requests: string[], version: string) => {
    expect(requests.length, 'update requests in the pod logs').to.be.greaterThan(0);
    const others = requests.filter((l) => !l.includes(`"userAgent":"pulumi-cli/1 (${version};`));
    expect(others, `requests not sent by pulumi ${version}`).to.deep.equal([]);
    const saved = {
      journal: requests.filter((l) => l.includes('/journalentries') && l.includes('"statusCode":200')).length,
      checkpoint: requests.filter((l) => /\/checkpoint(verbatim|delta)?[?"]/.test(l) && l.includes('"statusCode":200')).length,
    };
    console.log(`        ${version}: ${saved.journal} journal batches, ${saved.checkpoint} checkpoints accepted`);
    return saved;
  };
  const expectMode = (saved: { journal: number; checkpoint: number }, mode: Mode) => {
    if (mode === 'journal') {
      expect(saved.journal, 'journal batches').to.be.greaterThan(0);
      expect(saved.checkpoint, 'checkpoints').to.equal(0);
    } else {
      expect(saved.checkpoint, 'checkpoints').to.be.greaterThan(0);
      expect(saved.journal, 'journal batches').to.equal(0);
    }
  };

  for (const c of clis()) {
    describe(`pulumi ${c.version} (${c.mode === 'journal' ? 'journals' : 'checkpoints'} by default)`, function () {
      let session: PulumiSession;
      let full: string;
      let renamed: string;
      let stack: ProgramStack;
      let cwd: string;

      before(async function () {
        ensurePulumiBinary(this, c.binary);
        expect(pulumiVersion(c.binary), c.binary).to.equal(c.version);
        session = await PulumiSession.create(t.url, ADMIN_TOKEN, c.binary);
        homes.push(session.home);
        full = stackName('compat', c.version.replace(/\./g, '-'));
        renamed = `${full}-renamed`;
      });

      it('logs in and tells who it is', async () => {
        expect(await session.ok(['login', t.url])).to.match(/Logged in to .* as admin/);
        expect((await session.ok(['whoami'])).trim()).to.equal('admin');
      });

      it('stack init, up, preview, refresh', async () => {
        stack = await session.stack(full, 'compat', components(3, { prefix: 'v' }), { init: true });
        cwd = stack.workspace.workDir;
        expect(await metaOf(full)).to.include({ version: 0, running: false });
        const up = await stack.up();
        expect(up.summary.result).to.equal('succeeded');
        expect(up.summary.resourceChanges).to.deep.equal({ create: 4 });
        expect(up.outputs.count).to.deep.equal({ value: 3, secret: false });
        expect(up.outputs.token).to.deep.equal({ value: 'secret-of-v', secret: true });
        expect((await stack.preview()).changeSummary).to.deep.equal({ same: 4 });
        expect((await stack.refresh()).summary.result).to.equal('succeeded');
        expect(await metaOf(full)).to.include({ version: 2, running: false });
      });

      it('stack export, import, export --version', async () => {
        const file = join(cwd, 'export.json');
        await session.ok(['stack', 'export', '--stack', full, '--file', file], { cwd });
        const exported = JSON.parse(await readFile(file, 'utf8')) as Deployment;
        const urns = exported.deployment.resources?.map((r) => r.urn);
        expect(urns).to.have.length(4);
        await session.ok(['stack', 'import', '--stack', full, '--file', file], { cwd });
        expect((await metaOf(full)).version).to.equal(3);
        const v1 = JSON.parse(await session.ok(['stack', 'export', '--stack', full, '--version', '1'], { cwd })) as Deployment;
        expect(v1.deployment.resources?.map((r) => r.urn)).to.deep.equal(urns);
        const shown = JSON.parse(await session.ok(['stack', 'output', '--json', '--show-secrets', '--stack', full], { cwd }));
        expect(shown).to.deep.equal({ count: 3, token: 'secret-of-v' });
      });

      it('stack rename, then an up that changes nothing', async () => {
        await session.ok(['stack', 'rename', renamed, '--stack', full], { cwd });
        expect((await t.api(stackPath(full))).status).to.equal(404);
        stack = await session.stack(renamed, 'compat', components(3, { prefix: 'v' }));
        cwd = stack.workspace.workDir;
        const up = await stack.up();
        expect(up.summary.resourceChanges).to.deep.equal({ same: 4 });
        expect(up.outputs.token).to.deep.equal({ value: 'secret-of-v', secret: true });
        expect(await metaOf(renamed)).to.include({ version: 4, running: false });
      });

      it('cancel ends a running up, keeping what it saved', async function () {
        this.timeout(300_000);
        const slow = await session.stack(renamed, 'compat', components(60, { delayMs: 200, prefix: 'v' }));
        const running = slow.up({ message: 'to be cancelled' }).then(
          () => 'finished',
          (err: unknown) => String(err),
        );
        let partial: { urn: string }[] = [];
        for (let i = 0; i < 300 && partial.length < 10; i++) {
          await new Promise((r) => setTimeout(r, 100));
          partial = await resourcesOf(renamed);
        }
        expect(partial.length, 'the running up saved 10 resources').to.be.at.least(10);
        expect((await metaOf(renamed)).running, 'the running up holds the stack').to.equal(true);
        await session.ok(['cancel', '--yes', '--stack', renamed], { cwd });
        const outcome = await running;
        // Its next write after the cancel is refused (403), and the CLI gives up with that message.
        expect(outcome, 'the cancelled up').to.match(/update was cancelled/);
        const meta = await metaOf(renamed);
        expect(meta).to.include({ version: 5, running: false });
        expect((await resourcesOf(renamed)).length).to.be.at.least(partial.length);
      });

      it('destroy, then stack history lists every update newest first', async () => {
        const left = (await resourcesOf(renamed)).length;
        const destroy = await stack.destroy();
        expect(destroy.summary.result).to.equal('succeeded');
        expect(destroy.summary.resourceChanges).to.deep.equal({ delete: left });
        expect(await resourcesOf(renamed)).to.deep.equal([]);
        const history = JSON.parse(await session.ok(['stack', 'history', '--json', '--stack', renamed], { cwd })) as {
          kind: string;
          version: number;
          result: string;
        }[];
        expect(history.map((h) => [h.version, h.kind, h.result])).to.deep.equal([
          [6, 'destroy', 'succeeded'],
          [5, 'update', 'failed'],
          [4, 'update', 'succeeded'],
          [3, 'import', 'succeeded'],
          [2, 'refresh', 'succeeded'],
          [1, 'update', 'succeeded'],
        ]);
      });

      it(`saved state by ${c.mode === 'journal' ? 'journal batches' : 'checkpoints'} throughout`, async () => {
        expectMode(savedBy(await updateRequests(full, renamed), c.version), c.mode);
      });

      if (c.optIn) {
        it('journals when asked with PULUMI_ENABLE_JOURNALING=true', async () => {
          const name = `${full}-journal`;
          const env = { PULUMI_ENABLE_JOURNALING: 'true' };
          const opted = await session.stack(name, 'compat', components(5, { prefix: 'j' }), { env });
          expect((await opted.up()).summary.resourceChanges).to.deep.equal({ create: 6 });
          expect(await resourcesOf(name)).to.have.length(6);
          expect((await opted.destroy()).summary.resourceChanges).to.deep.equal({ delete: 6 });
          expect(await resourcesOf(name)).to.deep.equal([]);
          expectMode(savedBy(await updateRequests(name), c.version), 'journal');
        });
      }
    });
  }
});
