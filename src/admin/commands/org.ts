/** `fulmar org create` and `fulmar member set|rm|ls` — orgs and roles (docs/design.md, "Organizations", "Roles"). */
import { OPERATOR } from '../../services/auth-service.js';
import { ROLES, type Role } from '../../domain/roles.js';
import { notFound } from '../../domain/errors.js';
import { UsageError, type AdminCommand } from '../command.js';
import { table } from '../table.js';

export const orgCreate: AdminCommand = {
  words: ['org', 'create'],
  usage: 'NAME [--json]',
  summary: 'create the organization NAME (as the site admin)',
  async run({ positionals, out, open }) {
    if (positionals.length !== 1) throw new UsageError('create takes one NAME');
    const record = await (await open()).services.orgs.create(OPERATOR, positionals[0] as string);
    out.line(`created organization '${record.name}'`);
    out.result(record);
    return 0;
  },
};

export const memberSet: AdminCommand = {
  words: ['member', 'set'],
  usage: 'ORG LOGIN viewer|member|admin [--json]',
  summary: "give LOGIN a role in ORG (creating the user), or change it",
  async run({ positionals, out, open }) {
    const [org, login, role] = positionals;
    if (!org || !login || !role || positionals.length !== 3) throw new UsageError('set takes ORG LOGIN ROLE');
    if (!ROLES.includes(role as Role)) throw new UsageError(`the role is one of ${ROLES.join(', ')} (got '${role}')`);
    const { services } = await open();
    if (!(await services.orgs.exists(org))) throw notFound(`there is no organization '${org}' (make it with: fulmar org create ${org})`);
    const member = await services.auth.setMember(OPERATOR, org, login, role as Role);
    out.line(`'${login}' is ${role} of '${org}'`);
    out.result(member);
    return 0;
  },
};

export const memberRemove: AdminCommand = {
  words: ['member', 'rm'],
  usage: 'ORG LOGIN [--json]',
  summary: 'take LOGIN out of ORG',
  async run({ positionals, out, open }) {
    const [org, login] = positionals;
    if (!org || !login || positionals.length !== 2) throw new UsageError('rm takes ORG LOGIN');
    await (await open()).services.auth.removeMember(OPERATOR, org, login);
    out.line(`'${login}' is no longer a member of '${org}'`);
    out.result({ org, login, removed: true });
    return 0;
  },
};

export const memberList: AdminCommand = {
  words: ['member', 'ls'],
  usage: 'ORG [--json]',
  summary: "list ORG's members and their roles",
  async run({ positionals, out, open }) {
    if (positionals.length !== 1) throw new UsageError('ls takes ORG');
    const members = await (await open()).services.auth.listMembers(OPERATOR, positionals[0] as string);
    out.result(members);
    out.line(table(['LOGIN', 'ROLE'], members.map((m) => [m.user.githubLogin, m.role])));
    return 0;
  },
};
