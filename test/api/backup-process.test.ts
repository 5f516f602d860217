/**
 * `fulmar backup DIR` and `fulmar restore DIR` as processes on filesystem data folders: exit
 * statuses (0 done, 1 refused, 2 a bad command line), the --json answers, the note about the
 * generated master key, and a restore that a pod over the new folder serves byte for byte.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { FilesystemStore } from '../../src/storage/filesystem-store.js';
import { runFulmar } from '../helpers/fulmar-process.js';
import { Client, createOrgs, makeApi } from '../helpers/api.js';
import { createStack, runUpdate, snapshotStack, type StackName } from '../helpers/backup-fixture.js';

const run = (args: string[], dataDir: string) => runFulmar(args, { PATH: process.env.PATH ?? '', FULMAR_DATA_DIR: dataDir, FULMAR_LOG_LEVEL: 'warn' });

describe('fulmar backup and fulmar restore (processes, filesystem data folders)', function () {
  this.timeout(120_000);
  let root: string;
  let sourceDir: string;
  let keyring: { id: string; key: Buffer }[];
  const stacks: StackName[] = [
    { org: 'acme', project: 'web', stack: 'prod' },
    { org: 'acme', project: 'web', stack: 'dev' },
  ];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'fulmar-backup-proc-'));
    sourceDir = join(root, 'source');
    // The embedded default's generated key, as a first start writes it (src/services/master-keys.ts).
    keyring = [{ id: 'local', key: randomBytes(32) }];
    await mkdir(sourceDir);
    await writeFile(join(sourceDir, 'master.key'), `local:${keyring[0]!.key.toString('base64')}\n`, { mode: 0o600 });
    const client = new Client([makeApi(new FilesystemStore(join(sourceDir, 'objects')), { keyring }).app]);
    await createOrgs(client, 'acme');
    await createStack(client, stacks[0]!);
    await runUpdate(client, stacks[0]!, 'p1');
    await runUpdate(client, stacks[0]!, 'p2');
    await createStack(client, stacks[1]!);
    await runUpdate(client, stacks[1]!, 'd1');
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('backs up, refuses what it must, and restores a folder a pod serves unchanged', async () => {
    const backupDir = join(root, 'backup');
    const made = await run(['backup', backupDir, '--json'], sourceDir);
    expect(made.code, made.stderr).to.equal(0);
    const answer = JSON.parse(made.stdout);
    expect(answer.destination).to.equal(backupDir);
    expect(answer.manifest.stacks.map((s: { stack: string; version: number }) => [s.stack, s.version])).to.deep.equal([
      ['acme/web/dev', 1],
      ['acme/web/prod', 2],
    ]);
    expect(made.stderr).to.contain(join(sourceDir, 'master.key'));
    expect(existsSync(join(backupDir, 'fulmar-backup.json'))).to.equal(true);
    expect(existsSync(join(backupDir, 'acme', 'web', 'prod', 'meta.json')), 'the backup is the bucket layout').to.equal(true);

    const again = await run(['backup', backupDir], sourceDir);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/destination is not empty/);
    const forced = await run(['backup', backupDir, '--force'], sourceDir);
    expect(forced.code, forced.stderr).to.equal(0);
    expect(forced.stdout).to.match(/^backed up 2 stacks/);
    const inside = await run(['backup', join(sourceDir, 'objects', 'nested')], sourceDir);
    expect(inside.code).to.equal(1);
    expect(inside.stderr).to.match(/overlaps the configured store/);
    expect((await run(['backup'], sourceDir)).code, 'no DEST').to.equal(2);

    const targetDir = join(root, 'target');
    const noKey = await run(['restore', backupDir, '--json'], targetDir);
    expect(noKey.code).to.equal(1);
    expect(noKey.stdout).to.equal('');
    expect(noKey.stderr).to.match(/master key\(s\) "local".*has no master\.key/);
    expect(existsSync(join(targetDir, 'master.key')), 'restore never mints a key').to.equal(false);
    expect(existsSync(join(targetDir, 'objects')) ? await readdir(join(targetDir, 'objects')) : [], 'nothing written').to.deep.equal([]);

    const wrongDir = join(root, 'wrong');
    await mkdir(wrongDir);
    await writeFile(join(wrongDir, 'master.key'), `local:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const wrong = await run(['restore', backupDir], wrongDir);
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.match(/master key "local" in the configured keyring is not the key that wrapped them/);

    await mkdir(targetDir, { recursive: true });
    await copyFile(join(sourceDir, 'master.key'), join(targetDir, 'master.key'));
    const dry = await run(['restore', backupDir, '--dry-run', '--json'], targetDir);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(JSON.parse(dry.stdout)).to.deep.include({ dryRun: true });
    expect(JSON.parse(dry.stdout).registers.create).to.equal(2);

    const restored = await run(['restore', backupDir, '--json'], targetDir);
    expect(restored.code, restored.stderr).to.equal(0);
    const result = JSON.parse(restored.stdout);
    expect(result.registers).to.deep.equal({ create: 2, replace: 0, unchanged: 0, 'keep-target': 0 });
    expect(result.source).to.equal(backupDir);

    const twice = await run(['restore', backupDir], targetDir);
    expect(twice.code).to.equal(1);
    expect(twice.stderr).to.match(/target store is not empty/);
    const forcedRestore = await run(['restore', backupDir, '--force'], targetDir);
    expect(forcedRestore.code, forcedRestore.stderr).to.equal(0);
    expect(forcedRestore.stdout).to.contain('registers: 0 created, 0 replaced, 2 already there');
    const missing = await run(['restore', join(root, 'nowhere')], targetDir);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/there is no folder/);
    const notBackup = await run(['restore', sourceDir], targetDir);
    expect(notBackup.code).to.equal(1);
    expect(notBackup.stderr).to.match(/holds no fulmar-backup\.json/);

    const src = new Client([makeApi(new FilesystemStore(join(sourceDir, 'objects')), { keyring }).app]);
    const tgt = new Client([makeApi(new FilesystemStore(join(targetDir, 'objects')), { keyring }).app]);
    for (const s of stacks) expect(await snapshotStack(tgt, s)).to.deep.equal(await snapshotStack(src, s));
  });
});
