/** `fulmar leases ls|break` and `fulmar rollback` (docs/operating.md). */
import { breakLease, listLeases } from '../../operations/leases.js';
import { rollback } from '../../operations/rollback.js';
import { UsageError, type AdminCommand } from '../command.js';
import { parseScope, parseStackArg } from '../stack-arg.js';
import { isoSeconds, table } from '../table.js';

const dryRun = { 'dry-run': { type: 'boolean' } } as const;

export const leasesList: AdminCommand = {
  words: ['leases', 'ls'],
  usage: '[ORG[/PROJECT[/STACK]]] [--json]',
  summary: 'list the updates that hold stacks now: live, expired (its holder stopped renewing) or sealed (a commit any pod finishes)',
  async run({ positionals, out, open }) {
    if (positionals.length > 1) throw new UsageError('ls takes at most one scope');
    const { store, graph } = await open();
    const leases = await listLeases(store, graph, parseScope(positionals[0]), out.progress);
    out.result(leases);
    if (leases.length === 0) out.note('no update holds any stack');
    else
      out.line(
        table(
          ['STACK', 'UPDATE', 'KIND', 'STATE', 'BY', 'STARTED', 'RENEWED'],
          leases.map((l) => [`${l.stack.org}/${l.stack.project}/${l.stack.stack}`, l.updateId, l.kind, l.state, l.author, isoSeconds(l.startedAt), l.renewedAt]),
        ),
      );
    return 0;
  },
};

export const leasesBreak: AdminCommand = {
  words: ['leases', 'break'],
  usage: 'ORG/PROJECT/STACK [--dry-run] [--json]',
  summary: 'end the update holding the stack as `pulumi cancel` does: what it saved is committed as a cancelled version',
  options: dryRun,
  async run({ positionals, values, out, open }) {
    if (positionals.length !== 1) throw new UsageError('break takes ORG/PROJECT/STACK');
    const ref = parseStackArg(positionals[0]);
    const { store, graph } = await open();
    if (values['dry-run']) {
      const [held] = await listLeases(store, graph, ref);
      out.result({ stack: ref, wouldBreak: held ?? null });
      out.line(held ? `would cancel update ${held.updateId} (${held.kind} by ${held.author}, ${held.state})` : 'no update holds the stack');
      return 0;
    }
    const { updateId } = await breakLease(graph, ref);
    out.result({ stack: ref, updateId, cancelled: true });
    out.line(`cancelled update ${updateId}; what it had saved is committed`);
    return 0;
  },
};

export const rollbackCommand: AdminCommand = {
  words: ['rollback'],
  usage: 'ORG/PROJECT/STACK --to N [--dry-run] [--json]',
  summary: "commit version N's deployment as a new version (an import in the history); refused while an update holds the stack",
  options: { to: { type: 'string' }, ...dryRun },
  async run({ positionals, values, out, open }) {
    if (positionals.length !== 1) throw new UsageError('rollback takes ORG/PROJECT/STACK');
    const to = Number(values['to']);
    if (!Number.isSafeInteger(to) || to < 1) throw new UsageError('--to takes a version number (1 or more; see pulumi stack history)');
    const ref = parseStackArg(positionals[0]);
    const done = await rollback((await open()).graph, ref, to, Boolean(values['dry-run']));
    out.result(done);
    out.line(
      values['dry-run']
        ? `would commit version ${done.to}'s deployment as version ${done.version} (latest is ${done.from})`
        : `committed version ${done.to}'s deployment as version ${done.version} (update ${done.updateId})`,
    );
    return 0;
  },
};
