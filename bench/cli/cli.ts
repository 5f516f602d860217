/**
 * The real pulumi CLI, metered. Each measured command runs as one CLI process under
 *
 *  - GNU time (`%O`: blocks the process and the children it waited for handed to the disk's page
 *    cache — Linux task I/O accounting's `write_bytes` in 512-byte units —, which is how the
 *    benchmark measures what DIY `file://` writes; `%U %S`: their CPU time); and
 *  - coreutils `timeout`, which bounds the command and, on expiry, signals its whole process
 *    group (the CLI and its plugins), then SIGKILLs it 10 s later.
 *
 * The automation API runs helper commands around the one we time (after `up`: `stack output`,
 * `stack history`); only the first command with the armed verb is measured, from spawn to exit,
 * with the backend's counters sampled right before and right after it.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PulumiCommand } from '@pulumi/pulumi/automation/index.js';
import { PULUMI_BINARY } from '../../test/helpers/pulumi.js';

type RunFn = (
  args: string[],
  cwd: string,
  env: Record<string, string>,
  ...rest: unknown[]
) => Promise<{ stdout: string; stderr: string; code: number }>;

export interface CliRun<S> {
  wallMs: number;
  /** Epoch ms of the command's start and end (to pick its lines out of the pods' logs). */
  startedAt: number;
  endedAt: number;
  /** Bytes the CLI (and the plugins it waited for) caused to be written to disk. */
  cliDiskBytes: number;
  /** CPU time (user + system) of the CLI and the plugins it waited for. */
  cliCpuMs: number;
  before: S;
  after: S;
}

interface Armed<S> {
  verb: string[];
  sample: () => Promise<S>;
  timeoutS: number;
  result?: CliRun<S>;
}

export class MeteredCli {
  private armed: Armed<unknown> | undefined;
  private ioSeq = 0;

  private constructor(
    readonly command: PulumiCommand,
    private readonly dir: string,
  ) {}

  /** The wrapper lives in `dir/bin/pulumi` (the layout `PulumiCommand.get({root})` expects). */
  static async create(dir: string): Promise<MeteredCli> {
    await mkdir(join(dir, 'bin'), { recursive: true });
    const wrapper = join(dir, 'bin', 'pulumi');
    await writeFile(
      wrapper,
      [
        '#!/bin/sh',
        '# The real CLI under GNU time (disk writes, when asked) and coreutils timeout (a bound).',
        'limit="${FULMAR_BENCH_TIMEOUT_S:-600}"',
        'if [ -n "$FULMAR_BENCH_IO_FILE" ]; then',
        `  exec /usr/bin/time -f '%O %U %S' -o "$FULMAR_BENCH_IO_FILE" timeout -k 10 "$limit" "${PULUMI_BINARY}" "$@"`,
        'fi',
        `exec timeout -k 10 "$limit" "${PULUMI_BINARY}" "$@"`,
        '',
      ].join('\n'),
    );
    await chmod(wrapper, 0o755);
    const command = await PulumiCommand.get({ root: dir, skipVersionCheck: true });
    const cli = new MeteredCli(command, dir);
    // `run` is public in the SDK's JavaScript but not in its typings; the automation API calls it
    // for every command, which makes it the one place to time exactly the command we care about.
    const target = command as unknown as { run: RunFn };
    const inner = target.run.bind(command);
    target.run = (args, cwd, env, ...rest) => cli.intercept(inner, args, cwd, env, rest);
    return cli;
  }

  /**
   * Runs `op` (an automation API call) and measures the first CLI command it starts whose
   * arguments begin with `verb`. Fails if no such command ran.
   */
  async measure<S>(verb: string[], sample: () => Promise<S>, timeoutS: number, op: () => Promise<unknown>): Promise<CliRun<S>> {
    const armed: Armed<S> = { verb, sample, timeoutS };
    this.armed = armed as Armed<unknown>;
    try {
      await op();
    } finally {
      this.armed = undefined;
    }
    if (!armed.result) throw new Error(`no \`pulumi ${verb.join(' ')}\` ran`);
    return armed.result;
  }

  private async intercept(inner: RunFn, args: string[], cwd: string, env: Record<string, string>, rest: unknown[]) {
    const armed = this.armed;
    const matches = armed && !armed.result && armed.verb.every((v, i) => args[i] === v);
    if (!armed || !matches) return inner(args, cwd, { ...env, FULMAR_BENCH_TIMEOUT_S: '600' }, ...rest);
    const ioFile = join(this.dir, `io-${++this.ioSeq}.txt`);
    const before = await armed.sample();
    const startedAt = Date.now();
    const start = process.hrtime.bigint();
    const out = await inner(args, cwd, { ...env, FULMAR_BENCH_IO_FILE: ioFile, FULMAR_BENCH_TIMEOUT_S: String(armed.timeoutS) }, ...rest);
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const endedAt = Date.now();
    const after = await armed.sample();
    armed.result = { wallMs, startedAt, endedAt, ...(await resourceUsage(ioFile)), before, after };
    return out;
  }
}

/** GNU time's `%O %U %S` is the last line of its output file (a failed command adds one before). */
async function resourceUsage(file: string): Promise<{ cliDiskBytes: number; cliCpuMs: number }> {
  const text = await readFile(file, 'utf8');
  await rm(file, { force: true });
  const [blocks, user, system] = (text.trim().split('\n').pop() ?? '').split(' ').map(Number);
  if (!Number.isInteger(blocks) || !Number.isFinite(user) || !Number.isFinite(system)) {
    throw new Error(`unexpected GNU time output: ${text}`);
  }
  return { cliDiskBytes: (blocks as number) * 512, cliCpuMs: Math.round(((user as number) + (system as number)) * 1000) };
}
