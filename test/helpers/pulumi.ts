/**
 * Driving the real pulumi CLI (.tools/bin/pulumi, built from the Go module proxy). Commands run
 * as child processes with an isolated PULUMI_HOME; programs run through the automation API's
 * inline programs, which still execute every operation with that same CLI binary.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from '@pulumi/pulumi/automation/index.js';
import { repoRoot } from './pods.js';

export const PULUMI_BINARY = join(repoRoot, '.tools', 'bin', 'pulumi');

/** For a `before` hook: fail in CI without the CLI; elsewhere skip with the reason printed. */
export function ensurePulumiBinary(ctx: Mocha.Context): void {
  if (existsSync(PULUMI_BINARY)) return;
  const why = `${PULUMI_BINARY} is missing; build it with \`npm run tools\``;
  if (process.env.CI === 'true') throw new Error(`e2e: ${why}`);
  console.log(`skipping the real-CLI suite: ${why}`);
  ctx.skip();
}

export function pulumiVersion(): string {
  return spawnSync(PULUMI_BINARY, ['version'], { encoding: 'utf8' }).stdout.trim();
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class PulumiSession {
  readonly env: Record<string, string>;
  private command: PulumiCommand | undefined;

  private constructor(
    readonly home: string,
    readonly backendUrl: string,
    token: string,
    binDir: string,
  ) {
    this.env = {
      PATH: `${binDir}:${join(repoRoot, '.tools', 'bin')}:${process.env.PATH ?? ''}`,
      HOME: home,
      PULUMI_HOME: join(home, '.pulumi'),
      PULUMI_ACCESS_TOKEN: token,
      PULUMI_BACKEND_URL: backendUrl,
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: 'true',
      NO_COLOR: '1',
    };
  }

  /** A fresh CLI home logged in to `backendUrl` with `token` (through the environment). */
  static async create(backendUrl: string, token: string): Promise<PulumiSession> {
    const home = await mkdtemp(join(tmpdir(), 'fulmar-e2e-home-'));
    const binDir = join(home, 'bin');
    await mkdir(binDir);
    // Dynamic providers run as the plugin `pulumi-resource-pulumi-nodejs`, which the CLI's
    // release archive ships as a one-line launcher; the SDK's provider host lives in the npm
    // package, so a launcher of our own starts it with the Node that runs this suite.
    const launcher = join(binDir, 'pulumi-resource-pulumi-nodejs');
    const host = join(repoRoot, 'node_modules', '@pulumi', 'pulumi', 'cmd', 'dynamic-provider');
    await writeFile(launcher, `#!/bin/sh\nexec "${process.execPath}" "${host}" "$@"\n`);
    await chmod(launcher, 0o755);
    return new PulumiSession(home, backendUrl, token, binDir);
  }

  /** Runs `pulumi …args` and resolves with its exit code and output (never rejects on failure). */
  cli(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(PULUMI_BINARY, [...args, '--non-interactive'], {
        cwd: options.cwd ?? this.home,
        env: { ...this.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Like cli(), but fails the test with the command's output when it does not exit 0. */
  async ok(args: string[], options: Parameters<PulumiSession['cli']>[1] = {}): Promise<string> {
    const r = await this.cli(args, options);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** A stack whose program is `program`, with its own work folder (Pulumi.yaml, stack settings). */
  async stack(
    fullName: string,
    project: string,
    program: PulumiFn,
    options: { secretsProvider?: string; env?: Record<string, string> } = {},
  ): Promise<Stack> {
    this.command ??= await PulumiCommand.get({ root: join(repoRoot, '.tools'), skipVersionCheck: true });
    const workDir = await mkdtemp(join(this.home, `ws-${project}-`));
    return LocalWorkspace.createOrSelectStack(
      { stackName: fullName, projectName: project, program },
      {
        pulumiCommand: this.command,
        envVars: { ...this.env, ...options.env },
        workDir,
        ...(options.secretsProvider && { secretsProvider: options.secretsProvider }),
      },
    );
  }
}
