/**
 * Driving `pulumi login <url>` to its browser flow (docs/console.md#cli-browser-login): the CLI
 * offers the browser only to an interactive terminal, so it runs in a pseudo-terminal (python's
 * pty module), and a stub `xdg-open` first on PATH records the URL it opens (github.com/pkg/browser
 * runs the first of xdg-open, x-www-browser, www-browser on Linux). Shared by the real-CLI e2e
 * test and the browser suite's round trip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PULUMI_BINARY } from './pulumi.js';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { startFulmar, type Running } from '../../src/main.js';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `probe` every 100 ms until it answers something. */
export async function until<T>(what: string, probe: () => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The CLI, asynchronously: the pod answering it may run in this same process, so spawnSync would deadlock. */
export function runCli(args: string[], env: Record<string, string>, cwd?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(PULUMI_BINARY, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export interface CliHome {
  home: string;
  /** Only what the CLI needs: no PULUMI_ACCESS_TOKEN, and none of the CI or coding-agent
   * variables that make it non-interactive or sign up an agent account (sdk/go/common/util/agentdetect). */
  env: Record<string, string>;
  /** The URL the CLI last opened "in the browser", once it has. */
  opened(): string | undefined;
}

/** A fresh HOME with the stub xdg-open; `consoleDomain` becomes PULUMI_CONSOLE_DOMAIN. */
export function cliHome(consoleDomain: string): CliHome {
  const home = mkdtempSync(join(tmpdir(), 'fulmar-cli-login-'));
  const bin = join(home, 'bin');
  mkdirSync(bin, { recursive: true });
  const openedFile = join(home, 'opened-url');
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${openedFile}'\n`);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  return {
    home,
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      HOME: home,
      PULUMI_HOME: join(home, '.pulumi'),
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_CONSOLE_DOMAIN: consoleDomain,
      TERM: 'xterm',
      NO_COLOR: '1',
    },
    opened: () => (existsSync(openedFile) ? readFileSync(openedFile, 'utf8') : undefined),
  };
}

export interface PtyLogin {
  proc: ChildProcess;
  /** Everything the CLI printed so far. */
  output(): string;
  exited: Promise<number | null>;
  /** Kills the pty's whole process group (python and the CLI under it). */
  kill(): void;
}

/** `pulumi login <apiUrl>` in a pseudo-terminal; press ENTER with `proc.stdin.write('\r')`. */
export function loginInPty(apiUrl: string, env: Record<string, string>): PtyLogin {
  const pty = 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)';
  const proc = spawn('python3', ['-c', pty, PULUMI_BINARY, 'login', apiUrl], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    output: () => output,
    exited,
    kill: () => {
      if (proc.pid && proc.exitCode === null) process.kill(-proc.pid, 'SIGKILL');
    },
  };
}

/**
 * A whole Fulmar (src/main.ts, as `fulmar serve` starts it) on the memory store with its console
 * on `consolePort`: the address the CLI derives for an API on `localhost` (client/console.go).
 */
export async function startFulmarWithConsole(adminToken: string, consolePort: number): Promise<Running> {
  const config = loadConfig({
    FULMAR_STORAGE: 'memory',
    PORT: '0',
    FULMAR_HOST: '127.0.0.1',
    FULMAR_ADMIN_TOKEN: adminToken,
    FULMAR_CONSOLE_PORT: String(consolePort),
    FULMAR_LOG_LEVEL: 'silent',
    FULMAR_SHUTDOWN_GRACE_MS: '1000',
  });
  return startFulmar(config, pino({ level: 'silent' }));
}
