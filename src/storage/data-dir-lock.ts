/**
 * The filesystem store serialises create-once and compare-and-swap inside one process only, so
 * two processes on one data folder could both win a race. A lock file holding the owner's pid
 * keeps a second process out (a lock left by a dead process is taken over).
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_FILE = 'fulmar.lock';

/** Another live process holds the folder. */
export class DataDirInUse extends Error {
  override readonly name = 'DataDirInUse';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the data folder ${dataDir} is in use by process ${pid}: the filesystem store serves one process; ` +
        'use an S3 bucket (FULMAR_S3_URL) to run several pods',
    );
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return { release: () => rm(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
        throw new DataDirInUse(dataDir, owner);
      }
      await rm(file, { force: true }); // left behind by a process that is gone
    }
  }
  throw new Error(`could not lock the data folder ${dataDir}`);
}
