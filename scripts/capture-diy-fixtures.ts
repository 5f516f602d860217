/**
 * Captures DIY backends made by the real pulumi CLI into test/fixtures/diy/, for the tests of
 * `fulmar adopt-diy` that run without the CLI (test/api/adopt-diy-fixtures.test.ts):
 *
 *  - `legacy/`: the layout without projects (PULUMI_DIY_BACKEND_LEGACY_LAYOUT, and
 *    PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_ERROR since v3.259.0 refuses it otherwise;
 *    pkg/backend/diy/backend.go), gzip-compressed: `dev` updated twice then destroyed (its project
 *    is only in its history now), and `fresh`, created and never updated (no project anywhere);
 *  - `project/`: the project layout: `alpha/dev` zstd-compressed, `beta/web` plain with a refresh.
 *
 * Each stack has a secret config value under the passphrase provider (the passphrase is
 * PASSPHRASE below). The folders are copied exactly as the CLI left them, `.bak` backups,
 * `backups/` and fileblob's `.attrs` sidecars included (the resources' source positions name the
 * checkout they were captured in; nothing reads them).
 *
 * Usage (needs Node ≥ 22 for @pulumi/pulumi, and .tools/bin/pulumi):
 *   bash scripts/node24.sh --import tsx scripts/capture-diy-fixtures.ts
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from '@pulumi/pulumi/automation/index.js';
import { PulumiSession } from '../test/helpers/pulumi.js';

export const PASSPHRASE = 'fixture passphrase';
const root = join(import.meta.dirname, '..');
const outDir = join(root, 'test', 'fixtures', 'diy');

const things =
  (names: string[]): PulumiFn =>
  async () => {
    const greeting = new pulumi.Config().requireSecret('greeting');
    for (const name of names) new pulumi.ComponentResource('fulmar:test:Thing', name, {}, {});
    return { greeting };
  };

const command = await PulumiCommand.get({ root: join(root, '.tools'), skipVersionCheck: true });

type Open = (project: string, stack: string, names: string[], env?: Record<string, string>) => Promise<Stack>;

async function backend(name: string, env: Record<string, string>, make: (stack: Open) => Promise<void>) {
  const folder = await mkdtemp(join(tmpdir(), `diy-fixture-${name}-`));
  const session = await PulumiSession.create(`file://${folder}`, 'unused');
  const workDirs = new Map<string, string>();
  await make(async (project, stack, names, own = {}) => {
    const id = `${project}/${stack}`;
    if (!workDirs.has(id)) workDirs.set(id, await mkdtemp(join(session.home, `ws-${project}-`)));
    const s = await LocalWorkspace.createOrSelectStack(
      { stackName: stack, projectName: project, program: things(names) },
      { pulumiCommand: command, workDir: workDirs.get(id)!, secretsProvider: 'passphrase', envVars: { ...session.env, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE, ...env, ...own } },
    );
    await s.setConfig('greeting', { value: `hello from ${id}`, secret: true });
    return s;
  });
  const target = join(outDir, name);
  await rm(target, { recursive: true, force: true });
  await cp(folder, target, { recursive: true });
  await rm(folder, { recursive: true, force: true });
  await rm(session.home, { recursive: true, force: true });
}

await backend('legacy', { PULUMI_DIY_BACKEND_LEGACY_LAYOUT: 'true', PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_ERROR: 'true', PULUMI_DIY_BACKEND_GZIP: 'true' }, async (stack) => {
  await (await stack('legacyproj', 'dev', ['a'])).up({ message: 'legacy one' });
  await (await stack('legacyproj', 'dev', ['a', 'b'])).up({ message: 'legacy two' });
  await (await stack('legacyproj', 'dev', [])).destroy({ message: 'legacy gone' });
  await stack('legacyproj', 'fresh', []);
});

await backend('project', {}, async (stack) => {
  const zstd = { PULUMI_DIY_BACKEND_ZSTD: 'true' };
  await (await stack('alpha', 'dev', ['a'], zstd)).up({ message: 'alpha one' });
  await (await stack('alpha', 'dev', ['a', 'b'], zstd)).up({ message: 'alpha two' });
  await (await stack('beta', 'web', ['w'])).up({ message: 'beta one' });
  await (await stack('beta', 'web', ['w'])).refresh({ message: 'beta refresh' });
});

console.log(`captured into ${outDir}`);
