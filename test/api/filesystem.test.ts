import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemStore } from '../../src/storage/filesystem-store.js';
import { makeApi } from '../helpers/api.js';
import { describeApiSuite } from './api-suite.js';

describeApiSuite('the filesystem store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fulmar-api-'));
  return {
    apps: [makeApi(new FilesystemStore(dir)).app],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
