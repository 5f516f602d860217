#!/usr/bin/env node
/**
 * `fulmar [serve]` runs a pod; `fulmar token …` mints, lists and revokes API tokens in the
 * configured store; `fulmar org create NAME` creates an org there; `fulmar keygen` prints a fresh
 * master-key entry for FULMAR_MASTER_KEYS; `fulmar config` prints the effective configuration,
 * secrets redacted. This file only parses arguments and prints; src/main.ts and the services do
 * the work.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, redactConfig } from './config/config.js';
import { createLogger } from './observability/logger.js';
import { openStoreAdmin, startFulmar, type StoreAdmin } from './main.js';
import { isFulmarError } from './domain/errors.js';
import { AUTH_CACHE_TTL_MS, OPERATOR } from './services/auth-service.js';
import { ADMIN_LOGIN, type Principal } from './domain/roles.js';

const USAGE = `usage: fulmar [serve | token … | org create NAME | keygen [id] | config | help]
  serve                                    run a Fulmar pod (default); configured by environment variables (see README)
  token create --user LOGIN [--name TEXT]  mint an API token for LOGIN (creating the user; \`admin\` is the site admin)
                                           and print the two lines that use it
  token list --user LOGIN                  list LOGIN's tokens (ids, names and dates; never the values)
  token revoke ID                          revoke a token
  org create NAME                          create the organization NAME (as the site admin)
  keygen [id]                              print a new master key entry for FULMAR_MASTER_KEYS
  config                                   print the effective configuration with secrets redacted
token and org commands read the same configuration as serve; on the filesystem store, run them while
no pod uses the data folder.`;

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve();
    case 'token':
      return token(rest);
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
  return withStoreAdmin('fulmar org create', async ({ orgs }) => {
    const record = await orgs.create(SITE_ADMIN, name);
    process.stdout.write(`created organization '${record.name}'\n`);
  });
}

/** The site admin, as the store commands act (the same record `POST /api/orgs` writes as). */
const SITE_ADMIN: Principal = { login: ADMIN_LOGIN, name: 'Site administrator', siteAdmin: true, orgs: {} };

/** Opens the configured store for one command; a refusal (a taken name, a locked folder) is printed as the answer. */
async function withStoreAdmin(what: string, action: (admin: StoreAdmin) => Promise<void>): Promise<number> {
  let admin: StoreAdmin;
  try {
    admin = await openStoreAdmin(loadConfig(process.env), createLogger('warn', process.stderr));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    process.stderr.write(`${what}: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    await action(admin);
    return 0;
  } catch (err) {
    if (!isFulmarError(err)) throw err;
    process.stderr.write(`${what}: ${err.message}\n`);
    return 1;
  } finally {
    await admin.close();
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

type TokenAction = (admin: StoreAdmin) => Promise<void>;

async function token(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  let action: TokenAction | string;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { user: { type: 'string' }, name: { type: 'string' } },
      allowPositionals: true,
    });
    action = tokenAction(verb, values, positionals);
  } catch (err) {
    action = (err as Error).message;
  }
  if (typeof action === 'string') {
    process.stderr.write(`fulmar token: ${action}\n${USAGE}\n`);
    return 2;
  }
  return withStoreAdmin('fulmar token', action);
}

/** The action a `token` command line names, or what is wrong with it. */
function tokenAction(verb: string | undefined, flags: { user?: string; name?: string }, positionals: string[]): TokenAction | string {
  const { user, name } = flags;
  switch (verb) {
    case 'create':
      if (!user || positionals.length > 0) return 'create takes --user LOGIN and an optional --name TEXT';
      return async ({ auth, publicUrl }) => {
        const created = await auth.adminCreateToken(OPERATOR, user, name ?? `made by fulmar token create, ${new Date().toISOString()}`);
        process.stdout.write(`export PULUMI_ACCESS_TOKEN=${created.tokenValue}\npulumi login ${publicUrl}\n`);
        process.stderr.write(`created token ${created.id} for user '${user}'; its value is shown only now (revoke: fulmar token revoke ${created.id})\n`);
      };
    case 'list':
      if (!user || name !== undefined || positionals.length > 0) return 'list takes --user LOGIN';
      return async ({ auth }) => {
        const tokens = await auth.listTokens(OPERATOR, user);
        if (tokens.length === 0) process.stderr.write(`user '${user}' holds no tokens\n`);
        else process.stdout.write(tokenTable(tokens));
      };
    case 'revoke':
      if (user !== undefined || name !== undefined || positionals.length !== 1) return 'revoke takes one token ID (from token list)';
      return async ({ auth }) => {
        const { login } = await auth.deleteToken(OPERATOR, positionals[0] as string);
        process.stderr.write(`revoked token ${positionals[0]} of user '${login}'; pods that used it lately stop accepting it within ${AUTH_CACHE_TTL_MS / 1000} s\n`);
      };
    default:
      return verb === undefined ? 'which token command?' : `unknown token command '${verb}'`;
  }
}

function tokenTable(tokens: { id: string; description: string; created: number; expires: number }[]): string {
  const date = (unix: number) => new Date(unix * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const rows = [
    ['ID', 'CREATED', 'EXPIRES', 'NAME'],
    ...tokens.map((t) => [t.id, date(t.created), t.expires ? date(t.expires) : 'never', t.description]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  return rows.map((r) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] as number) : cell)).join('  ')).join('\n') + '\n';
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
