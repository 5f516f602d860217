/**
 * The history recorder: every request the checker's clients make, with when it started and
 * ended, who sent it to which pod, what it meant (kind, stack, update, marker) and what came back.
 * A request that got no answer (connection error, timeout) has status 0: such a write may or may
 * not have landed, and the invariants treat it so.
 */
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';

export interface StackName {
  org: string;
  project: string;
  stack: string;
}

export const nameKey = (n: StackName) => `${n.org}/${n.project}/${n.stack}`;
export const stackApiPath = (n: StackName) => `/api/stacks/${n.org}/${n.project}/${n.stack}`;

export type OpKind =
  | 'create'
  | 'delete'
  | 'rename'
  | 'transfer'
  | 'import'
  | 'tags'
  | 'update-create'
  | 'update-start'
  | 'checkpoint'
  | 'journal'
  | 'complete'
  | 'cancel'
  | 'get'
  | 'history'
  | 'export'
  | 'list'
  | 'setup';

/**
 * What a journal batch wrote, by marker (test/checker/journal-batches.ts): a retry of a batch
 * carries the same facts.
 */
export interface BatchFacts {
  /** Its first and last sequenceID. */
  first: number;
  last: number;
  /** Markers of the resource states its success entries carry. */
  markers: string[];
  /** Markers of the base resources its success entries replace (`removeOld`). */
  replaces: string[];
  /** Markers of the operations its begin entries open. */
  begins: string[];
  /** Markers of the operations its success entries end. */
  ends: string[];
  /** The same bytes sent again. */
  retry?: boolean;
}

export interface Op {
  id: number;
  /** `workload`, `final`, or a scenario's name. */
  phase: string;
  client: string;
  pod: string;
  kind: OpKind;
  method: string;
  path: string;
  ref?: StackName;
  /** Rename/transfer target. */
  to?: StackName;
  updateId?: string;
  /** The unique marker a checkpoint or import carries in its deployment. */
  marker?: string;
  /** A journal batch: what it wrote. */
  batch?: BatchFacts;
  /** An update start: the journalVersion it asked for. */
  journalVersion?: number;
  /** ms since the run began. */
  start: number;
  end: number;
  /** HTTP status; 0 = no answer (the outcome is unknown). */
  status: number;
  /** The connection was refused: the request never reached a pod, so it certainly did nothing. */
  refused?: boolean;
  error?: string;
  body?: unknown;
  text?: string;
}

/** 2xx: the server acknowledged the request. */
export const acked = (op: Op) => op.status >= 200 && op.status < 300;
/** No answer or a 5xx: it may or may not have taken effect. */
export const unknownOutcome = (op: Op) => !op.refused && (op.status === 0 || op.status >= 500);
/** Could have changed something (every request that reached a pod, whatever it answered). */
export const attempted = (op: Op) => !op.refused;
/** Until when its effect may happen: an answer (2xx or 4xx) closes it; no answer or a 5xx does not. */
export const effectUntil = (op: Op) => (unknownOutcome(op) ? Number.POSITIVE_INFINITY : op.end);

export function describeOp(op: Op): string {
  const what = [
    op.kind,
    op.ref && nameKey(op.ref),
    op.to && `→ ${nameKey(op.to)}`,
    op.updateId && `update ${op.updateId}`,
    op.marker && `marker ${op.marker}`,
    op.batch && describeBatch(op.batch),
    op.journalVersion !== undefined && `journalVersion ${op.journalVersion}`,
  ]
    .filter(Boolean)
    .join(' ');
  const outcome = op.status === 0 ? `no answer (${op.error ?? 'unknown'})` : `${op.status}`;
  const detail = op.status >= 400 && op.text ? ` ${op.text.slice(0, 160)}` : '';
  return `#${op.id} [${op.phase} ${op.client}@${op.pod} ${op.start.toFixed(0)}–${op.end.toFixed(0)} ms] ${op.method} ${op.path} (${what}) → ${outcome}${detail}`;
}

function describeBatch(b: BatchFacts): string {
  const part = (label: string, list: string[]) => (list.length > 0 ? ` ${label} [${list.join(', ')}]` : '');
  return `${b.retry ? 'retried ' : ''}entries ${b.first}–${b.last}${part('writes', b.markers)}${part('replaces', b.replaces)}${part('opens', b.begins)}${part('ends', b.ends)}`;
}

/** What a call records about itself is what its Op will say (see Op for each field). */
export interface CallOptions extends Pick<Op, 'kind' | 'ref' | 'to' | 'updateId' | 'marker' | 'batch' | 'journalVersion'> {
  body?: unknown;
  /** Authorization header; the client's API token by default. */
  auth?: string;
  timeoutMs?: number;
  /** Send to this pod (index among the live ones, modulo) instead of the next in turn. */
  pod?: number;
}

export interface PodTarget {
  name: string;
  url: string;
}

export class HistoryRecorder {
  readonly ops: Op[] = [];
  private readonly t0 = performance.now();
  phase = 'workload';

  now(): number {
    return performance.now() - this.t0;
  }

  /** A client whose requests carry `apiToken` unless a call says otherwise. */
  client(name: string, pods: () => PodTarget[], apiToken: string): ApiClient {
    return new ApiClient(this, name, pods, apiToken);
  }

  record(op: Omit<Op, 'id' | 'phase'>): Op {
    const full: Op = { id: this.ops.length + 1, phase: this.phase, ...op };
    this.ops.push(full);
    return full;
  }
}

const ACCEPT = 'application/vnd.pulumi+9';
const DEFAULT_TIMEOUT_MS = 20_000;
const MAX_TEXT = 64 * 1024;

/** One client of the API: round-robins over the live pods, records every request it makes. */
export class ApiClient {
  private next = 0;
  constructor(
    private readonly recorder: HistoryRecorder,
    readonly name: string,
    private readonly pods: () => PodTarget[],
    private readonly apiToken: string,
  ) {
    // Clients start on different pods, so concurrent requests spread.
    this.next = Number.parseInt(name.replace(/\D/g, '') || '0', 10);
  }

  async call(method: string, path: string, options: CallOptions): Promise<Op> {
    const live = this.pods();
    const pod = live.length > 0 ? live[(options.pod ?? this.next++) % live.length] : undefined;
    const start = this.recorder.now();
    const { kind, ref, to, updateId, marker, batch, journalVersion } = options;
    const base = { client: this.name, kind, method, path, start, ref, to, updateId, marker, batch, journalVersion };
    if (!pod) return this.recorder.record({ ...base, pod: '-', end: start, status: 0, refused: true, error: 'no live pod' });
    try {
      // Journal batches go gzip, as the CLI always sends them (pkg/backend/httpstate/client/client.go,
      // SaveJournalEntries): the pod stores those very bytes (src/http/middleware/body.ts).
      const gzip = kind === 'journal' && options.body !== undefined;
      const json = options.body !== undefined ? JSON.stringify(options.body) : undefined;
      const res = await fetch(pod.url + path, {
        method,
        headers: {
          Accept: ACCEPT,
          'Content-Type': 'application/json',
          Authorization: options.auth ?? `token ${this.apiToken}`,
          ...(gzip && { 'Content-Encoding': 'gzip' }),
        },
        ...(json !== undefined && { body: gzip ? gzipSync(json) : json }),
        signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return this.recorder.record({ ...base, pod: pod.name, end: this.recorder.now(), status: res.status, body, text: text.slice(0, MAX_TEXT) });
    } catch (err) {
      const code = causeCode(err);
      return this.recorder.record({
        ...base,
        pod: pod.name,
        end: this.recorder.now(),
        status: 0,
        refused: code === 'ECONNREFUSED',
        error: code || (err instanceof Error ? err.name : String(err)),
      });
    }
  }
}

function causeCode(err: unknown): string {
  for (let e: unknown = err, i = 0; e && i < 5; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return '';
}
