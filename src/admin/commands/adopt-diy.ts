/** `fulmar adopt-diy URL --org ORG` (docs/operating.md, "Adopting a DIY backend"). */
import { adoptDiy, sourceIdOf, type AdoptedStack } from '../../operations/adopt-diy.js';
import { DiyReadError } from '../../operations/diy-source.js';
import { DiyLayoutError } from '../../domain/diy-layout.js';
import { describeLocation, openStoreAt, parseStoreLocation, redact } from '../../storage/store-location.js';
import { validateOrgName, validateProjectName } from '../../domain/names.js';
import { UsageError, type AdminCommand } from '../command.js';
import { table } from '../table.js';

export const adoptDiyCommand: AdminCommand = {
  words: ['adopt-diy'],
  usage: 'URL --org ORG [--project NAME] [--dry-run] [--json]',
  summary:
    "bring every stack of a pulumi DIY backend (a folder, file://… or s3://bucket[/prefix]?endpoint=…) into ORG with its history; the DIY backend is only read, and a rerun adopts only what is new",
  options: { org: { type: 'string' }, project: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  async run({ positionals, values, out, config, open }) {
    if (positionals.length !== 1) throw new UsageError('adopt-diy takes the DIY backend URL (what `pulumi login` was given)');
    const org = values['org'];
    if (typeof org !== 'string') throw new UsageError('--org ORG names the organization the stacks go into');
    validated(validateOrgName, org);
    const project = typeof values['project'] === 'string' ? validated(validateProjectName, values['project']) : undefined;
    const dryRun = Boolean(values['dry-run']);
    const location = parseStoreLocation(positionals[0] as string, config);
    const admin = await open();
    const source = openStoreAt(location, config, admin.logger, { readOnly: true });
    try {
      const report = await adoptDiy(source, admin.graph, { org, source: sourceIdOf(location), project, dryRun, progress: out.progress });
      out.result(report);
      for (const line of report.ignored) out.note(`ignored ${line}`);
      if (report.stacks.length === 0) {
        out.note(`no stacks found in the DIY backend at ${redact(positionals[0] as string)} (${describeLocation(location)}: nothing under .pulumi/stacks/)`);
        return 1;
      }
      out.line(
        table(
          ['DIY STACK', 'FULMAR STACK', 'OUTCOME', 'VERSIONS', 'NOTES'],
          report.stacks.map((s) => [s.diy, s.stack ? `${s.stack.org}/${s.stack.project}/${s.stack.stack}` : '-', outcomeOf(s), versionsOf(s), s.notes.join('; ')]),
        ),
      );
      const skipped = report.stacks.filter((s) => s.outcome === 'skipped').length;
      const moved = report.stacks.filter((s) => s.outcome === 'adopted' || s.outcome === 'would-adopt').length;
      out.line(`${dryRun ? 'would adopt' : 'adopted'} ${moved} stack(s), ${skipped} skipped, ${report.stacks.length - moved - skipped} already up to date`);
      if (!dryRun && moved > 0) out.note(`next, in each project folder: pulumi login ${admin.publicUrl}, then pulumi stack select ${org}/<stack> (the stack's Pulumi.<stack>.yaml and passphrase stay as they are)`);
      return skipped > 0 ? 1 : 0;
    } catch (err) {
      // The source is not a DIY backend this CLI version can read: say what and where, no stack trace.
      if (err instanceof DiyLayoutError || err instanceof DiyReadError) {
        out.note(`fulmar adopt-diy: ${describeLocation(location)}: ${err.message}`);
        return 1;
      }
      throw err;
    } finally {
      await source.close?.();
    }
  },
};

function validated(validate: (v: unknown) => string, value: string): string {
  try {
    return validate(value);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const outcomeOf = (s: AdoptedStack) => (s.created && s.outcome !== 'skipped' ? `${s.outcome} (new stack)` : s.outcome);

function versionsOf(s: AdoptedStack): string {
  const [first, last] = [s.versions[0], s.versions.at(-1)];
  if (first === undefined) return '-';
  return first === last ? `${first}` : `${first}–${last}`;
}
