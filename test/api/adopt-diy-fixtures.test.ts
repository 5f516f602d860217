/**
 * `fulmar adopt-diy` over DIY backends the real pulumi CLI v3.259.0 made, captured into
 * test/fixtures/diy/ by scripts/capture-diy-fixtures.ts: the legacy layout (gzip, no meta.yaml)
 * and the project layout (zstd and plain), read in place — and left exactly as they are.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { openStoreAt } from '../../src/storage/store-location.js';
import { buildServiceGraph, type ServiceGraph } from '../../src/services/build-services.js';
import { OPERATOR } from '../../src/services/auth-service.js';
import { adoptDiy, sourceIdOf } from '../../src/operations/adopt-diy.js';
import { inflate } from '../../src/domain/diy-checkpoint.js';

const logger = pino({ level: 'silent' });
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'diy');
const ORG = 'acme';

async function graph(): Promise<ServiceGraph> {
  const g = buildServiceGraph({ store: new MemoryStore(), keyring: [{ id: 'k1', key: Buffer.alloc(32, 7) }], logger, cacheBytes: 0 });
  await g.services.orgs.create(OPERATOR, ORG);
  return g;
}

async function hashes(root: string): Promise<string> {
  const h = createHash('sha256');
  for (const e of (await readdir(root, { recursive: true, withFileTypes: true })).sort((a, b) => join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)))) {
    if (e.isFile()) h.update(join(e.parentPath, e.name)).update(await readFile(join(e.parentPath, e.name)));
  }
  return h.digest('hex');
}

/** The DIY history checkpoints of a stack, oldest first, as `{version, deployment}`. */
async function diyVersions(root: string, historyDir: string) {
  const dir = join(root, '.pulumi', 'history', historyDir);
  const names = (await readdir(dir)).filter((n) => /\.checkpoint\.json(\.gz|\.zst)?$/.test(n)).sort();
  return Promise.all(
    names.map(async (n) => {
      const file = JSON.parse(inflate(await readFile(join(dir, n))).toString()) as { version: number; checkpoint: { latest: unknown } };
      return { version: file.version, deployment: file.checkpoint.latest };
    }),
  );
}

async function exported(g: ServiceGraph, project: string, stack: string, version: number) {
  const { bytes } = await g.services.state.exportVersion(OPERATOR, { org: ORG, project, stack }, BigInt(version));
  return JSON.parse(bytes.toString()) as { version: number; deployment: { secrets_providers?: { type: string } } };
}

async function historyOf(g: ServiceGraph, project: string, stack: string) {
  const entries = await g.services.history.history(OPERATOR, { org: ORG, project, stack }, 100, 1);
  return entries.reverse();
}

describe('fulmar adopt-diy on states the real CLI made (test/fixtures/diy)', () => {
  const open = (root: string) => openStoreAt({ kind: 'folder', root }, { storageRetries: 0, storageTimeoutMs: 5_000 }, logger, { readOnly: true });

  it('adopts the project layout: zstd and plain files, updates and a refresh, the passphrase provider kept', async () => {
    const root = join(FIXTURES, 'project');
    const before = await hashes(root);
    const g = await graph();
    const report = await adoptDiy(open(root), g, { org: ORG, source: sourceIdOf({ kind: 'folder', root }) });
    expect(report.layout).to.equal('project');
    expect(report.stacks.map((s) => [s.diy, s.outcome, s.versions])).to.deep.equal([
      ['alpha/dev', 'adopted', [1, 2]],
      ['beta/web', 'adopted', [1, 2]],
    ]);
    for (const [project, stack] of [['alpha', 'dev'], ['beta', 'web']] as const) {
      const diy = await diyVersions(root, `${project}/${stack}`);
      for (const [i, want] of diy.entries()) expect(await exported(g, project, stack, i + 1)).to.deep.equal(want);
      expect((await exported(g, project, stack, diy.length)).deployment.secrets_providers?.type).to.equal('passphrase');
    }
    const beta = await historyOf(g, 'beta', 'web');
    expect(beta.map((u) => [u.kind, u.message, u.result])).to.deep.equal([
      ['update', 'beta one', 'succeeded'],
      ['refresh', 'beta refresh', 'succeeded'],
    ]);
    expect(beta[0]!.config['beta:greeting']).to.include({ secret: true, object: false });
    expect(beta[0]!.config['beta:greeting']!.string).to.match(/^v1:/);
    expect(beta[0]!.environment['exec.kind']).to.equal('auto.inline');
    expect(await hashes(root)).to.equal(before);
  });

  it('adopts the legacy layout: the project from the history of a destroyed stack, --project for one never updated', async () => {
    const root = join(FIXTURES, 'legacy');
    const before = await hashes(root);
    const g = await graph();
    const source = sourceIdOf({ kind: 'folder', root });
    const report = await adoptDiy(open(root), g, { org: ORG, source });
    expect(report.layout).to.equal('legacy');
    expect(report.stacks.map((s) => [s.diy, s.outcome, s.stack?.project, s.versions])).to.deep.equal([
      ['dev', 'adopted', 'legacyproj', [1, 2, 3]],
      ['fresh', 'skipped', undefined, []],
    ]);
    expect(report.stacks[1]!.notes[0]).to.match(/give its project with --project NAME/);
    expect((await historyOf(g, 'legacyproj', 'dev')).map((u) => [u.kind, u.message])).to.deep.equal([
      ['update', 'legacy one'],
      ['update', 'legacy two'],
      ['destroy', 'legacy gone'],
    ]);
    const diy = await diyVersions(root, 'dev');
    for (const [i, want] of diy.entries()) expect(await exported(g, 'legacyproj', 'dev', i + 1)).to.deep.equal(want);

    const again = await adoptDiy(open(root), g, { org: ORG, source, project: 'legacyproj' });
    expect(again.stacks.map((s) => [s.diy, s.outcome, s.versions])).to.deep.equal([
      ['dev', 'up-to-date', []],
      ['fresh', 'adopted', [1]],
    ]);
    // A stack never updated still carries its passphrase provider (the CLI's `stack init` state).
    const fresh = await exported(g, 'legacyproj', 'fresh', 1);
    expect(fresh.deployment.secrets_providers?.type).to.equal('passphrase');
    expect((await historyOf(g, 'legacyproj', 'fresh'))[0]).to.include({ kind: 'import', result: 'succeeded' });
    expect(await hashes(root)).to.equal(before);
  });
});
