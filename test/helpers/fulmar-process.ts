/**
 * Fulmar as a process, started from source with tsx (test/api/process.test.ts,
 * test/api/first-run.test.ts): `fulmar serve` on 127.0.0.1 and a free port, or one `fulmar …`
 * command run to its end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli.ts');

export interface ServingFulmar {
  child: ChildProcess;
  /** Resolves with the URL of its "listening" log line once `ready` also holds for the output so far. */
  url: Promise<string>;
  /** Everything it printed, stdout and stderr interleaved. */
  output: () => string;
}

/** `fulmar serve` with exactly `env` (plus PORT=0 and FULMAR_HOST=127.0.0.1 unless given). */
export function serveFulmar(env: Record<string, string>, ready: (output: string) => boolean = () => true): ServingFulmar {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
    env: { PORT: '0', FULMAR_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pod did not start:\n${out}`));
    }, 20_000);
    const seen = (d: Buffer) => {
      out += d;
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"listening"/.exec(out);
      if (m && ready(out)) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`pod exited:\n${out}`));
    });
  });
  url.catch(() => undefined); // a caller that never awaits it (the process was meant to fail) is fine
  return { child, url, output: () => out };
}

export interface FulmarRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `fulmar …args` from source with exactly `env` to its end. */
export function runFulmar(args: string[], env: Record<string, string>): Promise<FulmarRun> {
  return collect(spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/**
 * Runs the built `node dist/cli.js …args` (as an operator runs it beside the pods) with exactly
 * `env` to its end; the e2e suites build dist/ first (test/helpers/pods.ts: buildDist).
 */
export function runBuiltFulmar(args: string[], env: Record<string, string>): Promise<FulmarRun> {
  return collect(spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'dist', 'cli.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

async function collect(child: ChildProcess): Promise<FulmarRun> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}
