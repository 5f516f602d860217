/**
 * Real Fulmar pods for the end-to-end suites: `node dist/cli.js serve` child processes (on the
 * machine's own Node, the one Fulmar must support), each logging to a file for post-mortems.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';

export const repoRoot = join(import.meta.dirname, '..', '..');

/** Compiles dist/ when src/ is newer (the same step `npm start` takes). */
export function buildDist(): void {
  const r = spawnSync('node', [join(repoRoot, 'scripts', 'build-if-needed.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
}

export interface Pod {
  name: string;
  url: string;
  child: ChildProcess;
  logFile: string;
  /** SIGKILL: the pod dies mid-request, as a crashed container would. */
  kill(): void;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** `node dist/cli.js serve` with `env`, on `node` (a binary, or the machine's own Node). */
export async function startPod(name: string, env: Record<string, string>, logDir: string, node = 'node'): Promise<Pod> {
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(node, [join(repoRoot, 'dist', 'cli.js'), 'serve'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', PORT: '0', FULMAR_HOST: '127.0.0.1', FULMAR_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Two streams into one file: neither may end it while the other still writes (a pod's last
  // words on stderr after stdout closed would be a write after end); it ends once both closed.
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  child.once('close', () => log.end());
  let seen = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A pod that never said it listens must not outlive the failed start.
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start in 30 s; see ${logFile}`));
    }, 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"listening"/.exec(seen);
      if (m) {
        clearTimeout(timer);
        seen = '';
        resolve(m[1] as string);
      }
      if (seen.length > 100_000) seen = seen.slice(-10_000);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening; see ${logFile}`));
    });
  });
  const exited = once(child, 'exit');
  return {
    name,
    url,
    child,
    logFile,
    kill: () => child.kill('SIGKILL'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
