/**
 * The API fuzz suite (`npm run test:api-fuzz`): schemathesis sends generated requests — valid and
 * invalid — to every operation of the API document (docs/openapi.json, as the pod serves it) on a
 * real pod with the embedded filesystem store, and checks every answer: no 5xx, a documented
 * status, and a body that matches the documented schema. One test per operation.
 *
 * The pod first gets a little data so requests reach the handlers, not just the 404s: stacks with
 * one committed version each — `dev` with a running update (its lease keeps the stack from being
 * deleted or moved mid-run), a started preview and an update not yet started; `journaled` with a
 * running journaled update; `spare`, free to be imported into, renamed, moved or deleted — engine
 * events, a member, a token. Path parameters are pinned to that data; bodies and query strings are
 * what schemathesis generates.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { committedDocument } from '../../scripts/openapi.js';
import { OPENAPI_PATH } from '../../src/http/routes/openapi.js';
import { buildDist, startPod, type Pod } from '../helpers/pods.js';
import { ensureSchemathesis, parseJunit, SCHEMATHESIS_BINARY, type OperationResult } from '../helpers/schemathesis.js';

/** Test cases per operation and phase: with ~110 operations, about 8,000 requests. */
const MAX_EXAMPLES = Number(process.env.FULMAR_FUZZ_MAX_EXAMPLES ?? 10);
/** The generator's seed: fixed, so a failure can be replayed (`FULMAR_FUZZ_SEED=<n>` picks another). */
const SEED = Number(process.env.FULMAR_FUZZ_SEED ?? 20261202);
/** A run that takes longer than this is stopped and fails (it takes under 2 minutes on 2 cores). */
const RUN_LIMIT_MS = 4 * 60_000;
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'response_schema_conformance'];
/** The JUnit test case of the stateful phase, which runs across operations. */
const STATEFUL = 'Stateful tests';

const ORG = 'fuzz-org';
const PROJECT = 'app';
const stackPath = (stack: string) => `/api/stacks/${ORG}/${PROJECT}/${stack}`;

/** Every operation of the document, as schemathesis names them: `GET /api/stacks/{org}/…`. */
const operations = Object.entries(JSON.parse(committedDocument()).paths as Record<string, Record<string, unknown>>).flatMap(
  ([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
);

interface Started {
  id: string;
  token: string;
}

interface Seeded {
  /** On `dev`, a running update with checkpoints: it holds the stack's lease for the whole run. */
  running: Started;
  /** On `dev`, a started preview, for `complete` and `cancel` to end. */
  preview: Started;
  /** On `dev`, an update created and never started, for `start`. */
  created: string;
  /** On `journaled`, a running update that negotiated journaling, for `journalentries`. */
  journaled: Started;
  /** The site admin's own API token (not the bootstrap one), which schemathesis calls with. */
  apiToken: string;
  /** Another of the admin's tokens, for `DELETE /api/user/tokens/{id}`. */
  tokenId: string;
}

describe('API fuzzing (schemathesis)', function () {
  this.timeout(RUN_LIMIT_MS + 120_000);
  let work = '';
  let pod: Pod | undefined;
  let results = new Map<string, OperationResult>();
  let failed = false;

  before(async function () {
    ensureSchemathesis(this);
    buildDist();
    work = await mkdtemp(join(tmpdir(), 'fulmar-api-fuzz-'));
    const adminToken = `fuzz-admin-${randomBytes(16).toString('hex')}`;
    pod = await startPod(
      'fuzz-pod',
      { FULMAR_STORAGE: 'filesystem', FULMAR_DATA_DIR: join(work, 'data'), FULMAR_ADMIN_TOKEN: adminToken, FULMAR_LEASE_SECONDS: '3600' },
      work,
    );
    const seeded = await seed(pod.url, adminToken);
    await writeFile(join(work, 'schemathesis.toml'), config(pod.url, seeded));
    results = await runSchemathesis(pod.url, work);
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'passed') failed = true;
  });

  after(async () => {
    await pod?.stop();
    if (!work) return;
    // Kept when something failed, for the post-mortem (pod log, schemathesis log and report), or on request.
    if (failed || results.size === 0 || process.env.FULMAR_FUZZ_KEEP === '1') console.log(`api-fuzz: logs and reports kept in ${work}`);
    else await rm(work, { recursive: true, force: true });
  });

  it('covers the whole document: schemathesis tested every operation', () => {
    expect([...results.keys()].filter((name) => name !== STATEFUL).sort()).to.deep.equal([...operations].sort());
  });

  it('finds nothing in the stateful phase (sequences of calls that feed each other)', () => {
    const stateful = results.get(STATEFUL);
    expect(stateful, 'schemathesis ran no stateful phase').to.not.equal(undefined);
    expect(stateful?.problems.map((p) => p.slice(0, 4000)), 'failures').to.deep.equal([]);
  });

  for (const operation of operations) {
    it(operation, () => {
      const result = results.get(operation);
      expect(result, 'schemathesis did not test this operation').to.not.equal(undefined);
      expect(result?.skipped, 'schemathesis skipped this operation').to.equal(false);
      expect(result?.problems.map((p) => p.slice(0, 4000)) ?? [], 'failures').to.deep.equal([]);
    });
  }
});

/** One call with the admin token; a status other than `expect` fails the seeding. */
async function call(url: string, token: string, method: string, path: string, body?: unknown, auth = `token ${token}`) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { Authorization: auth, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`seeding: ${method} ${path} answered ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as Record<string, any>;
}

async function seed(url: string, admin: string): Promise<Seeded> {
  const c = (method: string, path: string, body?: unknown, auth?: string) => call(url, admin, method, path, body, auth);
  // Orgs exist once a site admin creates them (docs/design.md, "Organizations").
  await c('POST', '/api/orgs', { name: ORG });
  for (const stack of ['dev', 'journaled', 'spare']) {
    await c('POST', `/api/stacks/${ORG}/${PROJECT}`, { stackName: stack, tags: { env: 'fuzz' } });
    // Version 1: one stack resource.
    await c('POST', `${stackPath(stack)}/import`, {
      version: 3,
      deployment: {
        manifest: { time: '2026-01-01T00:00:00Z', magic: '', version: 'v3.259.0' },
        resources: [{ urn: `urn:pulumi:${stack}::${PROJECT}::pulumi:pulumi:Stack::${PROJECT}-${stack}`, custom: false, type: 'pulumi:pulumi:Stack' }],
      },
    });
  }
  const program = (dryRun: boolean) => ({
    name: PROJECT,
    runtime: 'nodejs',
    main: '',
    description: '',
    options: { dryRun },
    config: {},
    metadata: { message: 'fuzz', environment: {} },
  });
  const create = async (stack: string, kind: string, dryRun: boolean) =>
    (await c('POST', `${stackPath(stack)}/${kind}`, program(dryRun))).updateID as string;
  const start = async (stack: string, kind: string, dryRun: boolean, journalVersion = 0): Promise<Started> => {
    const id = await create(stack, kind, dryRun);
    const started = await c('POST', `${stackPath(stack)}/update/${id}`, { tags: { env: 'fuzz' }, journalVersion });
    if (started.journalVersion !== journalVersion) throw new Error(`seeding: journalVersion ${started.journalVersion}, not ${journalVersion}`);
    return { id, token: started.token as string };
  };
  const running = await start('dev', 'update', false);
  const events = { events: [{ sequence: 0, timestamp: 1, stdoutEvent: { message: 'hello', color: 'never' } }] };
  await c('POST', `${stackPath('dev')}/update/${running.id}/events/batch`, events, `update-token ${running.token}`);
  const preview = await start('dev', 'preview', true);
  const created = await create('dev', 'update', false);
  const journaled = await start('journaled', 'update', false, 1);
  await c('PUT', `/api/orgs/${ORG}/members/alice`, { role: 'member' });
  const apiToken = (await c('POST', '/api/user/tokens', { description: 'fuzz' })).tokenValue as string;
  const tokenId = (await c('POST', '/api/user/tokens', { description: 'to be revoked' })).id as string;
  return { running, preview, created, journaled, apiToken, tokenId };
}

/**
 * schemathesis.toml: the pod, its credentials, the checks, and path parameters pinned to the data.
 * Operations are named `METHOD /path`; the `[[operations]]` below select disjoint sets of them.
 */
function config(url: string, d: Seeded): string {
  const q = JSON.stringify;
  const pinned = (path: Record<string, string>) =>
    `{ ${Object.entries({ org: ORG, project: PROJECT, ...path }).map(([k, v]) => `${q(`path.${k}`)} = ${q(v)}`).join(', ')} }`;
  return `base-url = ${q(url)}
seed = ${SEED}
# One worker: with two, hypothesis failed on Python 3.11 here with "AST constructor recursion depth mismatch".
workers = 1
request-timeout = 30
suppress-health-check = ["all"]
parameters = ${pinned({ stack: 'dev', updateId: d.running.id, id: d.tokenId })}

[generation]
max-examples = ${MAX_EXAMPLES}
database = "none"

[checks]
enabled = false
${CHECKS.map((check) => `${check}.enabled = true`).join('\n')}

[auth.openapi.token]
api_key = ${q(`token ${d.apiToken}`)}

[auth.openapi.update-token]
api_key = ${q(`update-token ${d.running.token}`)}

# Ending an update: the started preview, so the running update keeps its lease.
[[operations]]
include-name-regex = "^POST .*/complete$"
parameters = ${pinned({ stack: 'dev', updateId: d.preview.id })}
headers = { Authorization = ${q(`update-token ${d.preview.token}`)} }

[[operations]]
include-name-regex = "^POST .*/cancel$"
parameters = ${pinned({ stack: 'dev', updateId: d.preview.id })}

# Starting an update: one that was created and never started.
[[operations]]
include-name-regex = "^POST .*/[{]updateId[}]$"
parameters = ${pinned({ stack: 'dev', updateId: d.created })}

[[operations]]
include-name-regex = "^PATCH .*/journalentries$"
parameters = ${pinned({ stack: 'journaled', updateId: d.journaled.id })}
headers = { Authorization = ${q(`update-token ${d.journaled.token}`)} }

# What a lease would refuse: import, rename, transfer, delete.
[[operations]]
include-name-regex = "^(DELETE .*/[{]stack[}]|POST .*/[{]stack[}]/(import|rename|transfer))$"
parameters = ${pinned({ stack: 'spare' })}
`;
}

/**
 * Runs schemathesis over the document the pod serves, saved to a file first: given the document's
 * URL, schemathesis would leave that operation out. Its output goes to a log file in `work`.
 */
async function runSchemathesis(url: string, work: string): Promise<Map<string, OperationResult>> {
  const reports = join(work, 'reports');
  const logFile = join(work, 'schemathesis.log');
  const documentFile = join(work, 'openapi.json');
  const served = await fetch(`${url}${OPENAPI_PATH}`);
  if (!served.ok) throw new Error(`GET ${OPENAPI_PATH} answered ${served.status}`);
  await writeFile(documentFile, await served.text());
  const log = createWriteStream(logFile);
  const args = ['--config-file', join(work, 'schemathesis.toml'), '--no-color', 'run', documentFile, '--url', url, '--report', 'junit', '--report-dir', reports];
  console.log(`api-fuzz: ${SCHEMATHESIS_BINARY} ${args.join(' ')}  (seed ${SEED}, ${MAX_EXAMPLES} examples per operation and phase)`);
  const started = Date.now();
  const child = spawn(SCHEMATHESIS_BINARY, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  }, RUN_LIMIT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  await new Promise((resolve) => log.end(resolve));
  const output = readFileSync(logFile, 'utf8');
  // The summary schemathesis ends with, for the CI log.
  const summary = output.slice(output.lastIndexOf('= SUMMARY =') >= 0 ? output.lastIndexOf('\n', output.lastIndexOf('= SUMMARY =')) : -4000);
  console.log(summary.trimEnd());
  console.log(`api-fuzz: schemathesis exited ${code} after ${Math.round((Date.now() - started) / 1000)} s; full log: ${logFile}`);
  if (timedOut) throw new Error(`schemathesis did not finish in ${RUN_LIMIT_MS / 1000} s`);
  const junit = existsSync(reports) ? readdirSync(reports).find((f) => f.startsWith('junit') && f.endsWith('.xml')) : undefined;
  if (!junit) throw new Error(`schemathesis wrote no JUnit report (exit ${code}); see ${logFile}`);
  return parseJunit(readFileSync(join(reports, junit), 'utf8'));
}
