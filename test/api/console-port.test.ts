/**
 * The embedded default's console port (docs/console.md): 3000 beside 8080 is only a default, so a
 * port someone else holds is a warning, not a refusal to start; a port given in
 * FULMAR_CONSOLE_PORT that is taken still stops the pod, saying which.
 */
import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config/config.js';
import { startFulmar } from '../../src/main.js';

async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

function withConsolePort(port: number, portDefaulted: boolean): Config {
  const config = loadConfig({ FULMAR_STORAGE: 'memory', PORT: '0', FULMAR_HOST: '127.0.0.1', FULMAR_ADMIN_TOKEN: 'console-port-admin-token', FULMAR_SHUTDOWN_GRACE_MS: '100' });
  return { ...config, console: { ...config.console, port, portDefaulted } };
}

describe('the console port', () => {
  it('starts without the console listener when the default port is taken, and says why', async () => {
    const held = await holdPort();
    let log = '';
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => ((log += chunk), done()) }));
    const running = await startFulmar(withConsolePort(held.port, true), logger);
    try {
      expect(running.consoleListenUrl).to.equal(undefined);
      expect(log).to.contain(`port ${held.port} is in use, so the console is served on port ${new URL(running.url).port} only`);
      const user = await fetch(`${running.url}/api/user`, { headers: { Authorization: 'token console-port-admin-token', Accept: 'application/vnd.pulumi+8' } });
      expect(user.status, 'the API serves').to.equal(200);
    } finally {
      await running.stop();
      held.server.close();
    }
  });

  it('refuses to start when FULMAR_CONSOLE_PORT names a port that is taken', async () => {
    const held = await holdPort();
    try {
      const failed = await startFulmar(withConsolePort(held.port, false), pino({ level: 'silent' })).then(
        async (r) => {
          await r.stop();
          return undefined;
        },
        (err: Error) => err,
      );
      expect(failed?.message).to.equal(`the console's port ${held.port} is in use: set FULMAR_CONSOLE_PORT to another port, or 0 for none`);
    } finally {
      held.server.close();
    }
  });
});
