import { MemoryStore } from '../../src/storage/memory-store.js';
import { describeObjectStoreContract } from './contract.js';

describeObjectStoreContract('memory', async () => ({ store: new MemoryStore(), cleanup: async () => {} }));
