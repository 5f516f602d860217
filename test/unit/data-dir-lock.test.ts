import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { LOCK_FILE, lockDataDir } from '../../src/storage/data-dir-lock.js';

describe('data folder lock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fulmar-lock-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps a second live process out, naming it', async () => {
    // pid 1 is always alive: a lock it holds is in use.
    await writeFile(join(dir, LOCK_FILE), '1\n');
    let message = '';
    await lockDataDir(dir).catch((err: Error) => (message = err.message));
    expect(message).to.contain('in use by process 1');
  });

  it('takes over a lock left by a process that is gone, and releases it', async () => {
    await writeFile(join(dir, LOCK_FILE), '999999999\n');
    const lock = await lockDataDir(dir);
    expect((await readFile(join(dir, LOCK_FILE), 'utf8')).trim()).to.equal(String(process.pid));
    await lock.release();
    const again = await lockDataDir(dir);
    await again.release();
  });
});
