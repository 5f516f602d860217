/**
 * `npm run console:dev`: the real console (test/helpers/console-server.ts: Fulmar's app with a
 * session key, serving dist/console/) over a memory store seeded with the browser tests' world, for
 * looking at the console by hand. Builds dist/ and dist/console/ first when stale. Prints the URL
 * and a token for each seeded user; Ctrl-C stops it. Sign-in is by token (no OIDC provider).
 *
 *   npm run console:dev -- [--port 3000]
 */
import { MemoryStore } from '../../src/storage/memory-store.js';
import { ADMIN_TOKEN } from './api.js';
import { buildDist } from './pods.js';
import { startConsole } from './console-server.js';
import { seedWorld } from '../console/fixtures.js';

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 3000;

buildDist();
const server = await startConsole({ store: new MemoryStore(), port });
const world = await seedWorld(server.app, ADMIN_TOKEN);
console.log(`console on ${server.url} (memory store, seeded)`);
for (const [login, token] of Object.entries(world.tokens)) console.log(`  ${login.padEnd(6)} ${token}`);
process.on('SIGINT', () => void server.close().then(() => process.exit(0)));
