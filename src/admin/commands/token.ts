/** `fulmar token create|ls|revoke` — API tokens in the configured store (README, "First token on a bucket"). */
import { AUTH_CACHE_TTL_MS, OPERATOR } from '../../services/auth-service.js';
import { UsageError, type AdminCommand } from '../command.js';
import { table, isoSeconds } from '../table.js';

const user = { user: { type: 'string' } } as const;

export const tokenCreate: AdminCommand = {
  words: ['token', 'create'],
  usage: '--user LOGIN [--name TEXT] [--json]',
  summary: 'mint an API token for LOGIN (creating the user; `admin` is the site admin) and print the two lines that use it',
  options: { ...user, name: { type: 'string' } },
  async run({ values, positionals, out, open }) {
    const login = values['user'] as string | undefined;
    if (!login || positionals.length > 0) throw new UsageError('create takes --user LOGIN and an optional --name TEXT');
    const { services, publicUrl } = await open();
    const name = (values['name'] as string | undefined) ?? `made by fulmar token create, ${new Date().toISOString()}`;
    const created = await services.auth.adminCreateToken(OPERATOR, login, name);
    out.line(`export PULUMI_ACCESS_TOKEN=${created.tokenValue}\npulumi login ${publicUrl}`);
    out.result({ id: created.id, user: login, tokenValue: created.tokenValue, publicUrl });
    out.note(`created token ${created.id} for user '${login}'; its value is shown only now (revoke: fulmar token revoke ${created.id})`);
    return 0;
  },
};

export const tokenList: AdminCommand = {
  words: ['token', 'ls'],
  usage: '--user LOGIN [--json]',
  summary: "list LOGIN's tokens (ids, names and dates; never the values); `token list` works too",
  options: user,
  async run({ values, positionals, out, open }) {
    const login = values['user'] as string | undefined;
    if (!login || positionals.length > 0) throw new UsageError('ls takes --user LOGIN');
    const tokens = await (await open()).services.auth.listTokens(OPERATOR, login);
    out.result(tokens);
    if (tokens.length === 0) out.note(`user '${login}' holds no tokens`);
    else
      out.line(
        table(
          ['ID', 'CREATED', 'EXPIRES', 'NAME'],
          tokens.map((t) => [t.id, isoSeconds(t.created), t.expires ? isoSeconds(t.expires) : 'never', t.description]),
        ),
      );
    return 0;
  },
};

export const tokenRevoke: AdminCommand = {
  words: ['token', 'revoke'],
  usage: 'ID [--json]',
  summary: 'revoke a token',
  async run({ positionals, out, open }) {
    if (positionals.length !== 1) throw new UsageError('revoke takes one token ID (from token ls)');
    const id = positionals[0] as string;
    const { login } = await (await open()).services.auth.deleteToken(OPERATOR, id);
    out.result({ id, user: login, revoked: true });
    out.note(`revoked token ${id} of user '${login}'; pods that used it lately stop accepting it within ${AUTH_CACHE_TTL_MS / 1000} s`);
    return 0;
  },
};

export const tokenListAlias: AdminCommand = { ...tokenList, words: ['token', 'list'], hidden: true };
