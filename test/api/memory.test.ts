import { MemoryStore } from '../../src/storage/memory-store.js';
import { makeApi } from '../helpers/api.js';
import { describeApiSuite } from './api-suite.js';

describeApiSuite('the memory store', async () => ({
  apps: [makeApi(new MemoryStore()).app],
  cleanup: async () => {},
}));
