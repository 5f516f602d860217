/** `fulmar gc` (docs/operating.md, "Retention (gc)"). */
import { collectGarbage, GC_CATEGORIES, type Freed } from '../../operations/gc.js';
import { UsageError, type AdminCommand, type Invocation } from '../command.js';
import { parseScope } from '../stack-arg.js';
import { table } from '../table.js';

export const gcCommand: AdminCommand = {
  words: ['gc'],
  usage: '[ORG[/PROJECT[/STACK]]] [--keep-versions N] [--keep-days D] [--dry-run] [--json]',
  summary:
    'remove old versions (a version stays if either rule keeps it; the latest always stays), what finished updates left, and objects no register owns',
  options: { 'keep-versions': { type: 'string' }, 'keep-days': { type: 'string' }, 'dry-run': { type: 'boolean' } },
  async run({ positionals, values, out, open }) {
    if (positionals.length > 1) throw new UsageError('gc takes at most one scope');
    const scope = parseScope(positionals[0]);
    const keepVersions = count(values, 'keep-versions', 1, true);
    const keepDays = count(values, 'keep-days', 0);
    const dryRun = Boolean(values['dry-run']);
    const { store, graph } = await open();
    const report = await collectGarbage(store, graph.register, scope, { keepVersions, keepDays, dryRun }, out.progress);
    out.result(report);
    const verb = dryRun ? 'would remove' : 'removed';
    for (const p of report.pruned) {
      out.line(`${p.stack}: ${verb} ${range(p.from, p.to)} (keeping ${range(p.retainedFrom, p.latest)}; the history lists them all)`);
    }
    for (const s of report.skipped) out.note(`${s.stack}: ${s.reason}`);
    out.line(
      table(
        ['CATEGORY', 'OBJECTS', 'BYTES'],
        [...GC_CATEGORIES.map((c) => [c, ...freed(report.freed[c])]), ['total', ...freed(report.total)]],
      ),
    );
    if (keepVersions === undefined && keepDays === undefined) out.note('no --keep-versions or --keep-days: every version was kept');
    out.line(
      `${dryRun ? 'would free' : 'freed'} ${plural(report.total.objects, 'object')}, ${bytes(report.total.bytes)} in ${plural(report.stacks, 'stack')}` +
        (dryRun ? ' (dry run: nothing was changed)' : ''),
    );
    return 0;
  },
};

function count(values: Invocation['values'], name: string, min: number, whole = false): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (typeof text !== 'string' || !(whole ? /^\d+$/ : /^\d+(\.\d+)?$/).test(text) || !Number.isFinite(n) || n < min) {
    throw new UsageError(`--${name} takes a ${whole ? 'whole ' : ''}number of at least ${min} (got '${String(text)}')`);
  }
  return n;
}

const range = (from: number, to: number) => (from === to ? `version ${from}` : `versions ${from}–${to}`);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const freed = (f: Freed) => [String(f.objects), bytes(f.bytes)];

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
