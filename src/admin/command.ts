/**
 * The shape of an admin subcommand of `fulmar` and the one runner they share: arguments parsed
 * with node:util parseArgs (plus `--json`), the configured store opened only when the command
 * needs it, and one translation of what went wrong into an exit status — 2 for a bad command line
 * or configuration, 1 for a refusal or a failure (a taken name, a locked folder, problems found).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { createLogger } from '../observability/logger.js';
import { isFulmarError } from '../domain/errors.js';
import { StoreLocationError } from '../storage/store-location.js';
import { openAdmin, type AdminContext } from './admin-context.js';
import { createOutput, type Output } from './output.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Invocation {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  out: Output;
  config: Config;
  /** Opens the configured store (once); closed by the runner when the command ends. */
  open(): Promise<AdminContext>;
}

export interface AdminCommand {
  /** The words that select it: `['verify']`, `['leases', 'break']`. */
  readonly words: readonly string[];
  /** The usage line after the words, e.g. `[ORG[/PROJECT[/STACK]]] [--json]`. */
  readonly usage: string;
  readonly summary: string;
  readonly options?: Options;
  /** An alias kept for old scripts: works, but `fulmar help` does not list it twice. */
  readonly hidden?: boolean;
  /** Exit status: 0 done, 1 refused or problems found. */
  run(call: Invocation): Promise<number>;
}

/** A command line that cannot be run as written (exit 2, with the command's usage). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const usageLine = (c: AdminCommand) => `fulmar ${c.words.join(' ')} ${c.usage}`.trimEnd();

export async function runCommand(command: AdminCommand, argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let parsed: { values: Invocation['values']; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { ...command.options, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nusage: ${usageLine(command)}\n`);
    return 2;
  }
  const out = createOutput(Boolean(parsed.values['json']));
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  let admin: Promise<AdminContext> | undefined;
  const what = `fulmar ${command.words.join(' ')}`;
  try {
    return await command.run({
      ...parsed,
      out,
      config,
      open: () => (admin ??= openAdmin(config, createLogger('warn', process.stderr))),
    });
  } catch (err) {
    out.progress.done();
    if (err instanceof UsageError) {
      process.stderr.write(`${what}: ${err.message}\nusage: ${usageLine(command)}\n`);
      return 2;
    }
    if (err instanceof StoreLocationError || isFulmarError(err) || (admin && !(await admin.then(() => true, () => false)))) {
      process.stderr.write(`${what}: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  } finally {
    if (admin) await admin.then((a) => a.close(), () => undefined);
  }
}
