/** Updates driven the way the CLI drives them (docs/protocol.md#updates), for suites that need versions to exist. */
import { expect } from 'chai';
import { deployment, programRequest, type Client } from './api.js';

export const stackUrl = (org: string, project: string, stack: string) => `/api/stacks/${org}/${project}/${stack}`;

export async function createStack(api: Client, org: string, project: string, stack: string): Promise<string> {
  const res = await api.call('post', `/api/stacks/${org}/${project}`, { stackName: stack });
  expect(res.status, res.text).to.equal(200);
  return stackUrl(org, project, stack);
}

/** `pulumi stack import`: one committed version holding `n` resources marked `marker`. */
export async function importVersion(api: Client, S: string, marker: string, n = 2): Promise<number> {
  const [project, stack] = S.split('/').slice(-2) as [string, string];
  const res = await api.call('post', `${S}/import`, deployment(project, stack, n, marker), { gzip: true });
  expect(res.status, res.text).to.equal(200);
  return res.body.version as number;
}

export interface Running {
  id: string;
  /** Options carrying the update token, for calls the update makes. */
  ut: { auth: string; gzip: boolean };
}

/** Creates and starts a non-preview update (it takes the stack's lease). */
export async function startUpdate(api: Client, S: string, dryRun = false): Promise<Running> {
  const created = await api.call('post', `${S}/${dryRun ? 'preview' : 'update'}`, programRequest(dryRun));
  expect(created.status, created.text).to.equal(200);
  const id = created.body.updateID as string;
  const started = await api.call('post', `${S}/update/${id}`, {});
  expect(started.status, started.text).to.equal(200);
  return { id, ut: { auth: `update-token ${started.body.token}`, gzip: true } };
}

export async function postCheckpoint(api: Client, S: string, u: Running, marker: string, n = 2): Promise<void> {
  const [project, stack] = S.split('/').slice(-2) as [string, string];
  const res = await api.call('patch', `${S}/update/${u.id}/checkpoint`, deployment(project, stack, n, marker), u.ut);
  expect(res.status, res.text).to.equal(200);
}

export async function postEvents(api: Client, S: string, u: Running, first: number, count: number): Promise<void> {
  const events = Array.from({ length: count }, (_, i) => ({ sequence: first + i, timestamp: 1, stdoutEvent: { message: `m${first + i}`, color: 'raw' } }));
  const res = await api.call('post', `${S}/update/${u.id}/events/batch`, { events }, u.ut);
  expect(res.status, res.text).to.equal(200);
}

export async function complete(api: Client, S: string, u: Running, status = 'succeeded'): Promise<void> {
  const res = await api.call('post', `${S}/update/${u.id}/complete`, { status }, u.ut);
  expect(res.status, res.text).to.equal(200);
}

/** A whole update: start, `checkpoints` checkpoints and a few events, complete; the version it committed. */
export async function runUpdate(api: Client, S: string, marker: string, checkpoints = 2): Promise<number> {
  const u = await startUpdate(api, S);
  for (let i = 1; i <= checkpoints; i++) await postCheckpoint(api, S, u, i === checkpoints ? marker : `${marker}-${i}`, i + 1);
  await postEvents(api, S, u, 0, 3);
  await complete(api, S, u);
  return (await api.call('get', S)).body.version as number;
}

/** The marker of an exported deployment (its root resource's output). */
export const markerOf = (d: { deployment: { resources: { outputs?: { marker?: string } }[] | null } }) => d.deployment.resources?.[0]?.outputs?.marker;
