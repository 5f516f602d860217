/**
 * The counting proxies of the CLI benchmark, run in a child process (meter-process.ts):
 *
 *  - a balancer in front of Fulmar's pods (round-robin, test/helpers/proxy.ts; with one pod it
 *    only counts): requests and body bytes from the CLI;
 *  - an S3 proxy in front of MinIO (test/helpers/s3-fault-proxy.ts with no faults): the requests
 *    and PUT bodies that reach the bucket, from the pods or, for DIY s3://, from the CLI itself;
 *  - for the journaling bound, the ack-first proxy in front of the balancer (ack-first-proxy.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Traffic } from '../../test/helpers/traffic.js';

export type MeterRequest = { id: number } & (
  | { op: 'balancer'; upstreams: string[] }
  | { op: 's3'; upstream: string }
  | { op: 'ackFirst'; upstream: string }
  | { op: 'traffic'; handle: number }
  | { op: 'close'; handle: number }
);

export interface MeterReply {
  id: number;
  result?: { handle?: number; url?: string; traffic?: Traffic };
  error?: string;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

const REPLY_TIMEOUT_MS = 30_000;

export interface CountingProxy {
  url: string;
  traffic(): Promise<Traffic>;
  close(): Promise<void>;
}

export class Meter {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: MeterReply) => void; timer: NodeJS.Timeout }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: MeterReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      clearTimeout(w.timer);
      this.waiting.delete(reply.id);
      w.resolve(reply);
    });
  }

  static async start(): Promise<Meter> {
    const child = fork(join(import.meta.dirname, 'meter-process.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the meter process did not start in 30 s')), REPLY_TIMEOUT_MS);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => reject(new Error(`the meter process exited with ${code}`)));
    });
    return new Meter(child);
  }

  balancer(upstreams: string[]): Promise<CountingProxy> {
    return this.proxy({ op: 'balancer', upstreams });
  }

  s3(upstream: string): Promise<CountingProxy> {
    return this.proxy({ op: 's3', upstream });
  }

  /** The journaling bound's proxy (ack-first-proxy.ts); it counts nothing, the balancer behind it does. */
  ackFirst(upstream: string): Promise<CountingProxy> {
    return this.proxy({ op: 'ackFirst', upstream });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private async proxy(req: WithoutId<MeterRequest>): Promise<CountingProxy> {
    const { handle, url } = await this.ask(req);
    if (handle === undefined || !url) throw new Error('the meter process did not start a proxy');
    return {
      url,
      traffic: async () => (await this.ask({ op: 'traffic', handle })).traffic as Traffic,
      close: async () => void (await this.ask({ op: 'close', handle })),
    };
  }

  private ask(req: WithoutId<MeterRequest>): Promise<NonNullable<MeterReply['result']>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`the meter process did not answer ${req.op} in ${REPLY_TIMEOUT_MS / 1000} s`));
      }, REPLY_TIMEOUT_MS);
      this.waiting.set(id, {
        timer,
        resolve: (reply) => (reply.error !== undefined ? reject(new Error(reply.error)) : resolve(reply.result ?? {})),
      });
      this.child.send({ ...req, id } as MeterRequest);
    });
  }
}
