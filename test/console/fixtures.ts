/**
 * The world the console's browser tests look at, made through Fulmar's own API as the CLI and an
 * operator would: an org with a member and a viewer, a stack with three versions (outputs with a
 * secret, engine events), a stack of 5,000 resources, and a stack whose update is still running.
 */
import { Client, createOrgs, deployment, programRequest, stackPath } from '../helpers/api.js';
import type { Express } from 'express';

export const ORG = 'acme';
export const PROJECT = 'web';
export const SIG_KEY = '4dabf18193072939515e22adb298388d';
export const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
export const SECRET_PLAINTEXT = 'hunter2-correct-horse';

export interface World {
  /** API tokens by login. */
  tokens: { alice: string; victor: string; admin: string };
  /** The update id of each version of acme/web/prod, by version. */
  prodUpdates: Record<number, string>;
  /** acme/web/staging's update that is still running, and the update token the CLI would hold. */
  running: RunningUpdate;
}

export interface RunningUpdate {
  id: string;
  /** `update-token …`, the Authorization of the CLI's calls on the update (client.go: updateAccessToken). */
  auth: string;
}

const ok = async (p: PromiseLike<{ status: number; text: string; body: any }>, what: string) => {
  const res = await p;
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res.body;
};

export async function seedWorld(app: Express, adminToken: string): Promise<World> {
  const admin = new Client([app]);
  await createOrgs(admin, ORG);
  const tokenFor = async (login: string) =>
    (await ok(admin.call('post', `/api/admin/users/${login}/tokens`, { description: 'console tests' }), `token for ${login}`))
      .tokenValue as string;
  const alice = await tokenFor('alice');
  const victor = await tokenFor('victor');
  await ok(admin.call('put', `/api/orgs/${ORG}/members/alice`, { role: 'member' }), 'alice joins');
  await ok(admin.call('put', `/api/orgs/${ORG}/members/victor`, { role: 'viewer' }), 'victor joins');

  const prodUpdates: Record<number, string> = {};
  const S = await newStack(admin, PROJECT, 'prod', { env: 'production', team: 'web' });
  const secret = (await ok(
    admin.call('post', `${S}/encrypt`, { plaintext: Buffer.from(JSON.stringify(SECRET_PLAINTEXT)).toString('base64') }),
    'encrypt',
  )).ciphertext as string;
  const versions = [
    prodState({ url: 'http://v1.example', replicas: 1 }, ['db', 'cache']),
    prodState({ url: 'http://v2.example', replicas: 3, dbPassword: { [SIG_KEY]: SECRET_SIG, ciphertext: secret } }, ['db', 'cache', 'queue'], { db: 'large' }),
    prodState({ url: 'http://v2.example', replicas: 3, dbPassword: { [SIG_KEY]: SECRET_SIG, ciphertext: secret } }, ['db', 'queue'], { db: 'large' }),
  ];
  for (const [i, state] of versions.entries()) {
    prodUpdates[i + 1] = (await runUpdate(admin, S, state, `deploy v${i + 1}`, [
      { stdoutEvent: { message: `<{%fg 2%}>building release ${i + 1}<{%reset%}>\n`, color: 'raw' } },
      { resourcePreEvent: { metadata: { op: 'update', urn: 'urn:pulumi:prod::web::acme:db:Database::db', type: 'acme:db:Database' }, planning: false } },
      { diagnosticEvent: { message: 'disk nearly full on replica 2\n', color: 'raw', severity: 'warning', urn: '' } },
      { summaryEvent: { resourceChanges: { update: 1, same: 2 }, durationSeconds: 4, maybeCorrupt: false } },
    ])).id;
  }

  const big = await newStack(admin, 'big', 'huge', {});
  await runUpdate(admin, big, deployment('big', 'huge', 5000), 'five thousand', []);

  // A stack whose update holds the lease and has logged some events: the console's "live" case.
  const staging = await newStack(admin, PROJECT, 'staging', { env: 'staging' });
  await runUpdate(admin, staging, prodState({ url: 'http://staging.example' }, ['db']), 'first', []);
  const running = await runUpdate(admin, staging, prodState({ url: 'http://staging.example' }, ['db']), 'second, running', [
    { stdoutEvent: { message: 'still going…\n', color: 'raw' } },
  ], { complete: false });

  return { tokens: { alice, victor, admin: adminToken }, prodUpdates, running };
}

export async function newStack(admin: Client, project: string, stack: string, tags: Record<string, string>) {
  await ok(admin.call('post', `/api/stacks/${ORG}/${project}`, { stackName: stack, tags: { 'pulumi:project': project, ...tags } }), `create ${stack}`);
  return stackPath(ORG, project, stack);
}

/** create → start → checkpoint → events → complete, as the CLI does (checkpoints, no journal); answers the update and its token. */
export async function runUpdate(
  admin: Client,
  S: string,
  state: unknown,
  message: string,
  events: Record<string, unknown>[],
  opts: { complete?: boolean } = {},
): Promise<RunningUpdate> {
  const program = programRequest(false);
  program.metadata.message = message;
  const id = (await ok(admin.call('post', `${S}/update`, program), 'create update')).updateID as string;
  // The CLI sends the stack's tags with the start, and they replace the stack's (client.go: StartUpdate).
  const { tags } = await ok(admin.call('get', S), 'read stack');
  const started = await ok(admin.call('post', `${S}/update/${id}`, { tags }), 'start update');
  const ut = { auth: `update-token ${started.token}` };
  const verbatim = Buffer.from(`{"version":3,"untypedDeployment":${JSON.stringify(state)},"sequenceNumber":1}`);
  await ok(admin.call('patch', `${S}/update/${id}/checkpointverbatim`, verbatim, ut), 'checkpoint');
  if (events.length > 0) {
    const batch = events.map((e, i) => ({ sequence: i, timestamp: 1_767_225_600 + i, ...e }));
    await ok(admin.call('post', `${S}/update/${id}/events/batch`, { events: batch }, ut), 'events');
  }
  if (opts.complete !== false) await ok(admin.call('post', `${S}/update/${id}/complete`, { status: 'succeeded' }, ut), 'complete');
  return { id, auth: ut.auth };
}

/** A small web app: a stack with outputs, a provider, and the named child resources. */
function prodState(outputs: Record<string, unknown>, names: string[], sizes: Record<string, string> = {}) {
  const root = 'urn:pulumi:prod::web::pulumi:pulumi:Stack::web-prod';
  const provider = 'urn:pulumi:prod::web::pulumi:providers:acme::default';
  return {
    version: 3,
    deployment: {
      manifest: { time: '2026-01-01T00:00:00Z', magic: '', version: 'v3.259.0' },
      resources: [
        { urn: root, custom: false, type: 'pulumi:pulumi:Stack', outputs },
        { urn: provider, custom: true, id: 'p1', type: 'pulumi:providers:acme', parent: root },
        ...names.map((n) => ({
          urn: `urn:pulumi:prod::web::acme:db:Database::${n}`,
          custom: true,
          id: `${n}-id`,
          type: 'acme:db:Database',
          parent: root,
          provider: `${provider}::p1`,
          inputs: { name: n, size: sizes[n] ?? 'small' },
          outputs: { name: n, size: sizes[n] ?? 'small', endpoint: `${n}.internal:5432` },
        })),
      ],
    },
  };
}
