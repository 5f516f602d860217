/**
 * Listening and draining: on SIGTERM the pod stops accepting, answers /readyz 503 so the load
 * balancer moves on, lets in-flight requests finish (bounded by the grace period), then exits.
 */
import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from '../observability/logger.js';
import { markAwaitingContinue } from './middleware/body.js';

export interface RunningServer {
  server: Server;
  url: string;
  /** The port actually bound (PORT=0 asks the system for one). */
  port: number;
  /** Stops accepting, waits for in-flight requests up to `graceMs`, then closes the rest. */
  drain(graceMs: number): Promise<void>;
}

export async function listen(app: Express, host: string, port: number, logger: Logger): Promise<RunningServer> {
  const server = createServer(app);
  // Checkpoints of large stacks can take a while to upload; keep-alive beyond common LB idle timeouts.
  server.requestTimeout = 10 * 60_000;
  server.headersTimeout = 65_000;
  server.keepAliveTimeout = 65_000;
  // `Expect: 100-continue` is answered only once the route has accepted the credential
  // (src/http/middleware/body.ts), so a refused upload is never sent at all.
  server.on('checkContinue', (req, res) => {
    markAwaitingContinue(res);
    server.emit('request', req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  logger.info({ url }, 'listening');

  return {
    server,
    url,
    port: boundPort,
    async drain(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
