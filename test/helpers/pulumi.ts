/**
 * Driving the real pulumi CLI (.tools/bin/pulumi, built from the Go module proxy). Commands run
 * as child processes with an isolated PULUMI_HOME. A stack's program runs through the automation
 * API's inline program — every operation still executes that same CLI binary — but each operation
 * in a process of its own (program-runner.ts), never in the test process (see program-ref.ts).
 *
 * `FULMAR_E2E_CLI` picks another CLI for every session that does not name its own: a path, or a
 * version that scripts/install-tools.sh built as .tools/bin/pulumi-<version> (`v3.224.0`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  LocalWorkspace,
  PulumiCommand,
  type ConfigValue,
  type DestroyResult,
  type PreviewResult,
  type RefreshResult,
  type Stack,
  type UpResult,
} from '@pulumi/pulumi/automation/index.js';
import { repoRoot } from './pods.js';
import type { ProgramRef } from './program-ref.js';
import type { Operation, RunOutcome, RunRequest } from './program-runner.js';

const TOOLS_BIN = join(repoRoot, '.tools', 'bin');
const PINNED_BINARY = join(TOOLS_BIN, 'pulumi');

/** The pinned CLI's version, from the stamp install-tools.sh writes beside it. */
export function pinnedPulumiVersion(): string | undefined {
  return existsSync(`${PINNED_BINARY}.version`) ? readFileSync(`${PINNED_BINARY}.version`, 'utf8').trim() : undefined;
}

/** The binary for a path or a version (`v3.224.0` or `3.224.0`); the pinned one when unset. */
export function pulumiBinary(spec: string | undefined = process.env.FULMAR_E2E_CLI): string {
  if (!spec) return PINNED_BINARY;
  if (spec.includes('/')) return resolve(spec);
  const version = spec.startsWith('v') ? spec : `v${spec}`;
  return version === pinnedPulumiVersion() ? PINNED_BINARY : join(TOOLS_BIN, `pulumi-${version}`);
}

/** The CLI the e2e suites drive unless a session names another (see FULMAR_E2E_CLI above). */
export const PULUMI_BINARY = pulumiBinary();

/** For a `before` hook: fail in CI without the CLI; elsewhere skip with the reason printed. */
export function ensurePulumiBinary(ctx: Mocha.Context, binary = PULUMI_BINARY): void {
  if (existsSync(binary)) return;
  const why = `${binary} is missing; build it with \`npm run tools\``;
  if (process.env.CI === 'true') throw new Error(`e2e: ${why}`);
  console.log(`skipping the real-CLI suite: ${why}`);
  ctx.skip();
}

/** What `binary version` prints; empty when it does not run (a missing binary). */
export function pulumiVersion(binary = PULUMI_BINARY): string {
  return (spawnSync(binary, ['version'], { encoding: 'utf8' }).stdout ?? '').trim();
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
    /** The path every command of this session runs (what `ps` shows for it). */
    readonly binary: string,
    /** A folder whose bin/pulumi is that binary, for the automation API. */
    private readonly commandRoot: string,
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

  /**
   * A fresh CLI home logged in to `backendUrl` with `token` (through the environment), driving
   * `binary` (default: FULMAR_E2E_CLI or the pinned CLI).
   */
  static async create(backendUrl: string, token: string, binary = PULUMI_BINARY): Promise<PulumiSession> {
    const home = await mkdtemp(join(tmpdir(), 'fulmar-e2e-home-'));
    const binDir = join(home, 'bin');
    await mkdir(binDir);
    // The automation API runs `<root>/bin/pulumi`; another CLI gets a root of its own in the home.
    let commandRoot = join(repoRoot, '.tools');
    let path = binary;
    if (binary !== join(commandRoot, 'bin', 'pulumi')) {
      commandRoot = join(home, 'cli');
      path = join(commandRoot, 'bin', 'pulumi');
      await mkdir(join(commandRoot, 'bin'), { recursive: true });
      await symlink(binary, path);
    }
    // Dynamic providers run as the plugin `pulumi-resource-pulumi-nodejs`, which the CLI's
    // release archive ships as a one-line launcher; the SDK's provider host lives in the npm
    // package, so a launcher of our own starts it with the Node that runs this suite.
    const launcher = join(binDir, 'pulumi-resource-pulumi-nodejs');
    const host = join(repoRoot, 'node_modules', '@pulumi', 'pulumi', 'cmd', 'dynamic-provider');
    await writeFile(launcher, `#!/bin/sh\nexec "${process.execPath}" "${host}" "$@"\n`);
    await chmod(launcher, 0o755);
    return new PulumiSession(home, backendUrl, token, binDir, path, commandRoot);
  }

  /** Runs `pulumi …args` and resolves with its exit code and output (never rejects on failure). */
  cli(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, [...args, '--non-interactive'], {
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

  /**
   * A stack whose program is `program`, in its own work folder (Pulumi.yaml, stack settings) unless
   * `workDir` names one. `init`: a new stack (`pulumi stack init`, failing if it exists);
   * `select`: an existing one (failing if it does not); else whichever applies.
   */
  async stack(
    fullName: string,
    project: string,
    program: ProgramRef,
    options: { secretsProvider?: string; env?: Record<string, string>; init?: boolean; select?: boolean; workDir?: string } = {},
  ): Promise<ProgramStack> {
    const command = (this.command ??= await PulumiCommand.get({ root: this.commandRoot, skipVersionCheck: true }));
    const workDir = options.workDir ?? (await mkdtemp(join(this.home, `ws-${project}-`)));
    // Creating or selecting the stack runs no program: an empty one stands in for it here.
    const args = { stackName: fullName, projectName: project, program: async () => ({}) };
    const envVars = { ...this.env, ...options.env };
    const opts = {
      pulumiCommand: command,
      envVars,
      workDir,
      ...(options.secretsProvider && { secretsProvider: options.secretsProvider }),
    };
    const stack = await (options.init
      ? LocalWorkspace.createStack(args, opts)
      : options.select
        ? LocalWorkspace.selectStack(args, opts)
        : LocalWorkspace.createOrSelectStack(args, opts));
    return new ProgramStack(
      {
        stackName: fullName,
        projectName: project,
        workDir,
        envVars,
        commandRoot: this.commandRoot,
        ...(options.secretsProvider && { secretsProvider: options.secretsProvider }),
        program,
      },
      stack,
    );
  }
}

/** The options of an operation that can cross to the runner (plain data). */
export interface OperationOptions {
  parallel?: number;
  message?: string;
  clearPendingCreates?: boolean;
  /** `up --refresh`. */
  refresh?: boolean;
  /** `--target URN` for each: only these resources are updated (or destroyed). */
  target?: string[];
  /** `up --continue-on-error`. */
  continueOnError?: boolean;
  /** `refresh --run-program`. */
  runProgram?: boolean;
  /** Receives the CLI's output as it prints it. */
  onOutput?: (chunk: string) => void;
}

const RUNNER = join(repoRoot, 'test', 'helpers', 'program-runner.ts');
/** Runners still going; killed if this process exits first (a test that timed out). */
const liveRunners = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of liveRunners) child.kill('SIGKILL');
});

/**
 * A stack of a session: each operation runs its program in a process of its own
 * (program-runner.ts) and resolves with what the automation API returned there, as plain data;
 * a failed operation rejects with the automation API's error text.
 */
export class ProgramStack {
  /** What the next operation runs. */
  program: ProgramRef;
  readonly name: string;
  /** `envVars`: what every CLI command of the next operations gets (changes apply to the next). */
  readonly workspace: { readonly workDir: string; readonly envVars: Record<string, string> };

  constructor(
    private readonly settings: Omit<RunRequest, 'op' | 'options' | 'resultFile' | 'streamOutput'>,
    /** The same stack in this process, for what runs no program (config). */
    private readonly local: Stack,
  ) {
    this.program = settings.program;
    this.name = settings.stackName;
    this.workspace = { workDir: settings.workDir, envVars: settings.envVars };
  }

  /** `pulumi config set [--secret] key value` on this stack. */
  setConfig(key: string, value: ConfigValue): Promise<void> {
    return this.local.setConfig(key, value);
  }

  up(options: OperationOptions = {}): Promise<UpResult> {
    return this.run('up', options);
  }

  preview(options: OperationOptions = {}): Promise<PreviewResult> {
    return this.run('preview', options);
  }

  refresh(options: OperationOptions = {}): Promise<RefreshResult> {
    return this.run('refresh', options);
  }

  destroy(options: OperationOptions = {}): Promise<DestroyResult> {
    return this.run('destroy', options);
  }

  private async run<T>(op: Operation, { onOutput, ...options }: OperationOptions): Promise<T> {
    const dir = await mkdtemp(join(this.settings.workDir, `.${op}-`));
    const resultFile = join(dir, 'result.json');
    const request: RunRequest = {
      ...this.settings,
      envVars: { ...this.workspace.envVars },
      program: this.program,
      op,
      options,
      resultFile,
      streamOutput: onOutput !== undefined,
    };
    await writeFile(join(dir, 'request.json'), JSON.stringify(request));
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, join(dir, 'request.json')], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveRunners.add(child);
    let output = '';
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-16_384));
    // With streamOutput the runner's stdout is the CLI's output, passed on as it comes.
    child.stdout?.on('data', (d: Buffer) => (onOutput ? onOutput(d.toString()) : keep(d)));
    child.stderr?.on('data', keep);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    }).finally(() => liveRunners.delete(child));
    const outcome = await readFile(resultFile, 'utf8').then(
      (text) => JSON.parse(text) as RunOutcome,
      () => undefined,
    );
    if (!outcome) throw new Error(`the program runner for ${op} on ${this.name} exited ${code} without an outcome\n${output}`);
    if (!outcome.ok) throw new Error(outcome.error);
    return outcome.result as T;
  }
}
