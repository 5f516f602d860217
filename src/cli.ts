#!/usr/bin/env node
/**
 * `fulmar [serve]` runs a pod; the admin subcommands (src/admin/commands: token, org, member,
 * leases, rollback, verify, gc, backup, restore, adopt-diy) work on the configured store;
 * `fulmar keygen` prints a fresh master-key entry for FULMAR_MASTER_KEYS; `fulmar config` prints
 * the effective configuration, secrets redacted. This file only picks the command; src/main.ts,
 * src/admin and the services do the work.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, redactConfig } from './config/config.js';
import { createLogger } from './observability/logger.js';
import { startFulmar } from './main.js';
import { runCommand, usageLine } from './admin/command.js';
import { adminCommands, findCommand } from './admin/commands/index.js';

function usage(): string {
  const lines: [string, string][] = [
    ['fulmar serve', 'run a Fulmar pod (the default); configured by environment variables (README, "Configuration")'],
    ...adminCommands.filter((c) => !c.hidden).map((c): [string, string] => [usageLine(c), c.summary]),
    ['fulmar keygen [ID]', 'print a new master key entry for FULMAR_MASTER_KEYS'],
    ['fulmar config', 'print the effective configuration with secrets redacted'],
  ];
  return [
    'usage: fulmar COMMAND …',
    ...lines.map(([u, s]) => `  ${u}\n      ${s}`),
    '',
    'Every command reads the same configuration as serve and, on S3, is safe to run while pods serve',
    '(README, "Operating it"). On the filesystem store, run them while no pod uses the data folder.',
    'Exit status: 0 done, 1 refused or problems found, 2 a bad command line or configuration.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve();
    case 'keygen':
      process.stdout.write(`${rest[0] ?? `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`}:${randomBytes(32).toString('base64')}\n`);
      return 0;
    case 'config':
      process.stdout.write(`${JSON.stringify(redactConfig(loadConfig(process.env)), null, 2)}\n`);
      return 0;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${usage()}\n`);
      return 0;
  }
  const found = findCommand(argv);
  if (found) return runCommand(found.command, found.rest, process.env);
  const family = adminCommands.filter((c) => c.words[0] === command);
  const known = family.length > 0 ? `unknown ${command} command '${rest[0] ?? ''}'; one of: ${family.map((c) => c.words.slice(1).join(' ')).join(', ')}` : `unknown command '${command}'`;
  process.stderr.write(`${known}\n${usage()}\n`);
  return 2;
}

async function serve(): Promise<number> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  let running;
  try {
    running = await startFulmar(config, logger);
  } catch (err) {
    logger.fatal({ err }, `Fulmar cannot start: ${(err as Error).message}`);
    return 1;
  }
  const stop = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await running.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  return new Promise<number>(() => {});
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
