/** `fulmar verify` (docs/operating.md, "Verify"). */
import { verifyBucket } from '../../operations/verify.js';
import { UsageError, type AdminCommand } from '../command.js';
import { parseScope } from '../stack-arg.js';

export const verifyCommand: AdminCommand = {
  words: ['verify'],
  usage: '[ORG[/PROJECT[/STACK]]] [--json]',
  summary: 'check every stack in scope (registers, versions, deployments, history, data keys, stuck leases, leftovers); exit 1 on any problem',
  async run({ positionals, out, open }) {
    if (positionals.length > 1) throw new UsageError('verify takes at most one scope');
    const scope = parseScope(positionals[0]);
    const { store, keyring } = await open();
    const report = await verifyBucket(store, keyring, scope, out.progress);
    out.result(report);
    for (const p of report.problems) out.line(`${p.kind}  ${p.key}  ${p.message}`);
    for (const stack of report.busy) out.note(`${stack} changed under every read (updates landing fast?); run verify on it again`);
    const found = report.problems.length === 0 ? 'no problems' : `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`;
    out.line(`${found} in ${report.stacks} stack${report.stacks === 1 ? '' : 's'} (${report.objects} objects)${report.busy.length ? `; ${report.busy.length} not judged (busy)` : ''}`);
    return report.problems.length > 0 ? 1 : 0;
  },
};
