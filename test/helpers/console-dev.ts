/**
 * `npm run console:dev`: the console STAND-IN server (console-stub-server.ts) over Fulmar's app and
 * a memory store seeded with the browser tests' world, for looking at the console by hand until
 * the real console listener lands. Builds dist/ and dist/console/ first when stale. Prints the URL
 * and a token for each seeded user; Ctrl-C stops it.
 *
 *   npm run console:dev -- [--port 3000]
 */
import { MemoryStore } from '../../src/storage/memory-store.js';
import { ADMIN_TOKEN, makeApi } from './api.js';
import { buildDist } from './pods.js';
import { startConsoleStub } from './console-stub-server.js';
import { seedWorld } from '../console/fixtures.js';

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 3000;

buildDist();
const api = makeApi(new MemoryStore());
const world = await seedWorld(api.app, ADMIN_TOKEN);
const stub = await startConsoleStub({ api: api.app, port, oidcName: process.env.FULMAR_DEV_OIDC_NAME });
console.log(`console stand-in on ${stub.url} (memory store, seeded)`);
for (const [login, token] of Object.entries(world.tokens)) console.log(`  ${login.padEnd(6)} ${token}`);
process.on('SIGINT', () => void stub.close().then(() => process.exit(0)));
