#!/usr/bin/env node
/**
 * `fulmar [serve]` runs a pod; `fulmar keygen` prints a fresh master-key entry for
 * FULMAR_MASTER_KEYS; `fulmar config` prints the effective configuration, secrets redacted;
 * `fulmar org create NAME` creates an org in the configured store. This file only parses
 * arguments; src/main.ts and src/org-create.ts do the work.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, redactConfig } from './config/config.js';
import { createLogger } from './observability/logger.js';
import { startFulmar } from './main.js';
import { createOrgInStore } from './org-create.js';

const USAGE = `usage: fulmar [serve | keygen [id] | config | org create NAME | help]
  serve            run a Fulmar pod (default); configured by environment variables (see README)
  keygen [id]      print a new master key entry for FULMAR_MASTER_KEYS
  config           print the effective configuration with secrets redacted
  org create NAME  create the organization NAME in the configured store (as the site admin)`;

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
    case 'org':
      return org(rest);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`unknown command '${command}'\n${USAGE}\n`);
      return 2;
  }
}

async function org(args: string[]): Promise<number> {
  const [sub, name, ...extra] = args;
  if (sub !== 'create' || !name || extra.length > 0) {
    process.stderr.write(`usage: fulmar org create NAME\n`);
    return 2;
  }
  const config = loadConfig(process.env);
  try {
    const record = await createOrgInStore(config, createLogger('warn'), name);
    process.stdout.write(`created organization '${record.name}'\n`);
    return 0;
  } catch (err) {
    // A refusal (a taken or invalid name, a locked data folder) is the answer: its message alone.
    if (err instanceof Error) {
      process.stderr.write(`fulmar org create: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
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
