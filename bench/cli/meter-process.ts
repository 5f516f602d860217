/**
 * The proxies of the CLI benchmark, in a process of their own so that the inline Pulumi program
 * (which runs in the benchmark's process) never queues behind proxy work or the other way round.
 * The parent (meter.ts) asks over IPC; each message gets exactly one answer with the same `id`.
 */
import { startProxy } from '../../test/helpers/proxy.js';
import { startFaultProxy } from '../../test/helpers/s3-fault-proxy.js';
import type { Traffic } from '../../test/helpers/traffic.js';
import { startAckFirstProxy } from './ack-first-proxy.js';
import { classify } from './kinds.js';
import type { MeterReply, MeterRequest } from './meter.js';

const proxies = new Map<number, { traffic?: Traffic; close(): Promise<void> }>();
let nextId = 1;

async function handle(msg: MeterRequest): Promise<MeterReply['result']> {
  switch (msg.op) {
    case 'balancer': {
      const p = await startProxy(msg.upstreams, { classify });
      proxies.set(nextId, p);
      return { handle: nextId++, url: p.url };
    }
    case 's3': {
      // No fault plan: the fault proxy forwards every request byte for byte and counts it.
      const p = await startFaultProxy(msg.upstream, undefined, { classify });
      proxies.set(nextId, p);
      return { handle: nextId++, url: p.url };
    }
    case 'ackFirst': {
      const p = await startAckFirstProxy(msg.upstream);
      proxies.set(nextId, p);
      return { handle: nextId++, url: p.url };
    }
    case 'traffic': {
      const p = proxies.get(msg.handle);
      if (!p?.traffic) throw new Error(`no counting proxy ${msg.handle}`);
      return { traffic: p.traffic };
    }
    case 'close': {
      await proxies.get(msg.handle)?.close();
      proxies.delete(msg.handle);
      return {};
    }
  }
}

process.on('message', (msg: MeterRequest) => {
  handle(msg).then(
    (result) => process.send?.({ id: msg.id, result } satisfies MeterReply),
    (err: unknown) => process.send?.({ id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies MeterReply),
  );
});
// The parent going away (crash, Ctrl-C) must not leave proxies listening.
process.on('disconnect', () => process.exit(0));
process.send?.({ id: 0, result: {} } satisfies MeterReply);
