/**
 * Captures golden vectors for journal replay from the real pulumi CLI (test/fixtures/journal/).
 *
 * For each step of a scripted stack history, the same program and command run twice against a
 * Fulmar server started from this checkout (memory storage), through a small recording proxy:
 *
 *   1. journal mode — the proxy answers the update start with `journalVersion: 1`, records every
 *      `PATCH …/journalentries` body and acknowledges it itself. Fulmar never sees the entries,
 *      so the stack's state stays what it was before the step;
 *   2. checkpoint mode (PULUMI_DISABLE_JOURNALING=true, sdk/go/common/env/env.go) — the CLI
 *      saves checkpoints as usual and the stack moves on to the step's result.
 *
 * Both runs start from the same base (exported before run 1). A vector is
 * `{base, batches, expected}`: replaying the batches onto the base must give `expected` (the
 * state exported after run 2) up to the run-dependent fields listed in the test.
 *
 * The resources come from a dynamic provider whose results depend only on its inputs (and on
 * environment variables the script sets for the refresh steps), so the two runs agree.
 *
 * Usage (needs Node ≥ 22 for @pulumi/pulumi, and .tools/bin/pulumi):
 *   node scripts/build-if-needed.mjs && bash scripts/node24.sh --import tsx scripts/capture-journal-vectors.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { PulumiSession, type ProgramStack } from '../test/helpers/pulumi.js';
import { initial, program, type Shape } from './journal-vector-program.js';

const root = join(import.meta.dirname, '..');
const outDir = join(root, 'test', 'fixtures', 'journal');
const ADMIN_TOKEN = 'capture-admin-token-0123456789';
const STACK = 'admin/journal-vectors/dev';

// ---------------------------------------------------------------- Fulmar and the recording proxy

async function startFulmar(): Promise<{ url: string; stop: () => void }> {
  const child = spawn('node', [join(root, 'dist', 'cli.js'), 'serve'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      FULMAR_HOST: '127.0.0.1',
      FULMAR_STORAGE: 'memory',
      FULMAR_ADMIN_TOKEN: ADMIN_TOKEN,
      FULMAR_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let seen = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fulmar did not start in 30 s')), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code) => reject(new Error(`fulmar exited with ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

interface Recorder {
  journal: boolean;
  batches: unknown[][];
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

async function startProxy(target: string, rec: Recorder): Promise<{ url: string; close: () => void }> {
  const t = new URL(target);
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const path = req.url ?? '/';
    if (req.method === 'PATCH' && /\/update\/[^/]+\/journalentries$/.test(path)) {
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
      rec.batches.push((JSON.parse(text.toString('utf8')) as { entries: unknown[] }).entries);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      return;
    }
    const isStart = req.method === 'POST' && /^\/api\/stacks\/[^/]+\/[^/]+\/[^/]+\/(update|refresh|destroy|preview)\/[^/]+$/.test(path);
    const headers = { ...req.headers, host: t.host, 'content-length': String(body.length) };
    delete headers['accept-encoding']; // plain answers, so the start response can be edited
    const upstream = request(
      { host: t.hostname, port: t.port, method: req.method, path, headers },
      async (up) => {
        let out = await readBody(up);
        const outHeaders = { ...up.headers };
        if (isStart && rec.journal && up.statusCode === 200) {
          const json = JSON.parse(out.toString('utf8')) as Record<string, unknown>;
          json.journalVersion = 1;
          out = Buffer.from(JSON.stringify(json));
          outHeaders['content-length'] = String(out.length);
        }
        res.writeHead(up.statusCode ?? 502, outHeaders).end(out);
      },
    );
    upstream.on('error', (err) => res.writeHead(502).end(String(err)));
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

// ---------------------------------------------------------------- the history

type Command = 'up' | 'refresh' | 'up-refresh' | 'destroy';
interface Step {
  name: string;
  what: string;
  shape: Shape;
  command: Command;
  env?: Record<string, string>;
  /** The command is expected to fail (a resource fails to create). */
  fails?: boolean;
}

let s = initial;
const next = (change: Partial<Shape>) => (s = { ...s, ...change });
const steps: Step[] = [
  { name: '01-create', what: 'a first `up` on a never-updated stack creates everything', shape: s, command: 'up' },
  { name: '02-update', what: 'an input change updates b in place', shape: next({ bLabel: 'bumble' }), command: 'up' },
  {
    name: '03-replace',
    what: 'c is replaced (create before delete) and a is replaced delete-before-create',
    shape: next({ cKind: 'two', aKind: 'two' }),
    command: 'up',
  },
  { name: '04-rename', what: 'b is renamed to b2 with an alias', shape: next({ bName: 'b2', bAliases: ['b'] }), command: 'up' },
  {
    name: '05-reparent',
    what: 'c moves under the group component, aliased from the stack root',
    shape: next({ cInGroup: true, bAliases: [] }),
    command: 'up',
  },
  {
    name: '06-refresh-outputs',
    what: '`pulumi refresh` where the provider reports drifted outputs',
    shape: s,
    command: 'refresh',
    env: { CAPTURE_DRIFT: 'drifted' },
  },
  {
    name: '07-refresh-gone',
    what: '`pulumi refresh` where p has disappeared: p is dropped, its child d re-parented',
    shape: s,
    command: 'refresh',
    env: { CAPTURE_GONE: 'pea' },
  },
  {
    name: '08-up-refresh',
    what: '`pulumi up --refresh` (refresh, rebuilt base state, then the update) with drift',
    shape: s,
    command: 'up-refresh',
    env: { CAPTURE_DRIFT: 'again' },
  },
  { name: '09-delete', what: 'c is removed from the program and deleted', shape: next({ withC: false }), command: 'up' },
  {
    name: '10-failure',
    what: 'a new resource fails to create while b is updated',
    shape: next({ withBroken: true, bLabel: 'bumblebee' }),
    command: 'up',
    fails: true,
  },
  { name: '11-destroy', what: '`pulumi destroy` removes everything', shape: next({ withBroken: false }), command: 'destroy' },
];

async function run(stack: ProgramStack, step: Step): Promise<void> {
  const env = stack.workspace.envVars;
  Object.assign(env, step.env);
  try {
    // One step at a time: with parallel steps the order of the resources in the state (and of
    // the entries) would depend on timing, and the two runs could differ for no reason.
    if (step.command === 'up') await stack.up({ parallel: 1 });
    else if (step.command === 'up-refresh') await stack.up({ refresh: true, parallel: 1 });
    else if (step.command === 'refresh') await stack.refresh({ parallel: 1 });
    else await stack.destroy({ parallel: 1 });
    if (step.fails) throw new Error(`${step.name}: expected the command to fail`);
  } catch (err) {
    if (!step.fails || String(err).includes('expected the command to fail')) throw err;
  } finally {
    for (const k of Object.keys(step.env ?? {})) delete env[k];
  }
}

async function exportState(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/api/stacks/${STACK}/export`, { headers: { Authorization: `token ${ADMIN_TOKEN}` } });
  if (!res.ok) throw new Error(`export: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/**
 * Keeps the files small without changing what replay sees: the serialized dynamic provider (a
 * few kB of JavaScript, the same in every resource) becomes a short digest of itself, and the
 * program's stack traces (which differ between two runs anyway, so the test masks them) are
 * dropped. Applied alike to the base, the entries and the expected state.
 */
function shrink<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (key, v: unknown) => {
      if (key === 'stackTrace') return undefined;
      if (key === '__provider' && typeof v === 'string') {
        return `<serialized provider sha256:${createHash('sha256').update(v).digest('hex').slice(0, 12)}>`;
      }
      return v;
    }),
  ) as T;
}

function withoutManifest(untyped: Record<string, unknown>): unknown {
  const { manifest: _, ...rest } = (untyped.deployment ?? {}) as Record<string, unknown>;
  return { ...untyped, deployment: rest };
}

async function main(): Promise<void> {
  const built = spawnSync('node', [join(root, 'scripts', 'build-if-needed.mjs')], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('build failed');
  const fulmar = await startFulmar();
  const rec: Recorder = { journal: false, batches: [] };
  const proxy = await startProxy(fulmar.url, rec);
  const session = await PulumiSession.create(proxy.url, ADMIN_TOKEN);
  const version = spawnSync(join(root, '.tools', 'bin', 'pulumi'), ['version'], { encoding: 'utf8' }).stdout.trim();
  await mkdir(outDir, { recursive: true });
  try {
    for (const step of steps) {
      const stack = await session.stack(STACK, 'journal-vectors', program(step.shape));
      const before = await exportState(fulmar.url);
      rec.journal = true;
      rec.batches = [];
      delete stack.workspace.envVars.PULUMI_DISABLE_JOURNALING;
      await run(stack, step);
      const batches = rec.batches;
      const untouched = await exportState(fulmar.url);
      // (A never-updated stack's export is synthesised with the current time.)
      if (JSON.stringify(withoutManifest(untouched)) !== JSON.stringify(withoutManifest(before))) {
        throw new Error(`${step.name}: the journal run changed the stored state`);
      }

      rec.journal = false;
      rec.batches = [];
      stack.workspace.envVars.PULUMI_DISABLE_JOURNALING = 'true';
      await run(stack, step);
      if (rec.batches.length) throw new Error(`${step.name}: journal entries in checkpoint mode`);
      const expected = await exportState(fulmar.url);

      const vector = shrink({
        name: step.name,
        description: step.what,
        command: step.command === 'up-refresh' ? 'up --refresh' : step.command,
        cli: version,
        fails: step.fails ?? false,
        base: before,
        batches,
        expected,
      });
      await writeFile(join(outDir, `${step.name}.json`), `${JSON.stringify(vector)}\n`);
      console.log(`${step.name}: ${batches.length} batch(es), ${batches.flat().length} entries`);
    }
  } finally {
    proxy.close();
    fulmar.stop();
    await rm(session.home, { recursive: true, force: true });
  }
}

await main();
