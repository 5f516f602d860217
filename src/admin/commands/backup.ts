/** `fulmar backup DEST` and `fulmar restore SRC` (docs/operating.md, "Backup and restore"). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../operations/backup.js';
import { readBackup, restore } from '../../operations/restore.js';
import { checkBackupKeys, keyProblemsError } from '../../operations/backup-keys.js';
import { MANIFEST_KEY, type Tally } from '../../operations/backup-manifest.js';
import { describeLocation, openStoreAt, parseStoreLocation, redact, StoreLocationError, type StoreLocation } from '../../storage/store-location.js';
import { configuredLocation, locationsOverlap } from '../../storage/location-overlap.js';
import { existingKeyring, GENERATED_KEY_FILE } from '../../services/master-keys.js';
import { createLogger } from '../../observability/logger.js';
import { FulmarError } from '../../domain/errors.js';
import { isStorageError } from '../../storage/storage-error.js';
import type { Config } from '../../config/config.js';
import { UsageError, type AdminCommand } from '../command.js';

const force = { force: { type: 'boolean' } } as const;

/** DEST or SRC, refused when it shares keys with the configured store. */
function otherLocation(text: string, config: Config, role: 'destination' | 'source'): StoreLocation {
  const location = parseStoreLocation(text, config);
  const here = configuredLocation(config);
  if (here && locationsOverlap(location, here)) {
    throw new StoreLocationError(`the ${role} ${redact(text)} overlaps the configured store (${describeLocation(here)}); use another bucket, prefix or folder`);
  }
  return location;
}

/** A failing storage call (a missing bucket, denied credentials) is reported, not dumped as a stack trace. */
async function reported<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isStorageError(err)) throw new FulmarError('unavailable', `a storage call failed: ${err.message}`, { cause: err });
    throw err;
  }
}

const totals = (t: Tally) => Object.values(t).reduce((sum, k) => ({ count: sum.count + k.count, bytes: sum.bytes + k.bytes }), { count: 0, bytes: 0 });
const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export const backupCommand: AdminCommand = {
  words: ['backup'],
  usage: 'DEST [--force] [--json]',
  summary:
    'copy stacks (each at a committed version), users, tokens and orgs into DEST — a folder, s3://… or http(s)://…@host/bucket — ' +
    'while pods serve; DEST must be empty (--force: replace it, copying only what is new)',
  options: force,
  async run({ positionals, values, out, open, config }) {
    if (positionals.length !== 1) throw new UsageError('backup takes one DEST');
    const location = otherLocation(positionals[0] as string, config, 'destination');
    const { store, logger } = await open();
    const dest = openStoreAt(location, config, logger);
    const here = configuredLocation(config);
    try {
      const started = Date.now();
      const { manifest, removed, reused } = await reported(
        backup(store, dest, { force: Boolean(values['force']), source: here ? describeLocation(here) : store.kind, progress: out.progress }),
      );
      const all = totals(manifest.objects);
      const live = manifest.stacks.filter((s) => s.state === 'live');
      const held = manifest.stacks.filter((s) => s.leftOutUpdate);
      out.result({ destination: describeLocation(location), removed, reused, manifest });
      out.line(
        `backed up ${live.length} stacks (and ${manifest.stacks.length - live.length} tombstones), ${all.count} objects, ${megabytes(all.bytes)} ` +
          `to ${describeLocation(location)} in ${((Date.now() - started) / 1000).toFixed(1)} s; manifest ${MANIFEST_KEY} (backup ${manifest.id})`,
      );
      if (reused > 0 || removed > 0) out.note(`--force: ${reused} objects were already there, ${removed} keys of the earlier contents removed`);
      if (held.length > 0) {
        out.note(`${held.length} stacks were held by an update when captured; the backup has them at their last committed version (${held.map((s) => s.stack).slice(0, 5).join(', ')}${held.length > 5 ? ', …' : ''})`);
      }
      if (config.storage.kind === 'filesystem' && config.masterKeys.length === 0) {
        out.note(
          `the master key that wraps the stacks' secrets is ${join(config.dataDir, GENERATED_KEY_FILE)}, which is not in the bucket and so not in the backup: ` +
            'keep a copy of it with the backup, and put it in the data folder you restore into (docs/operating.md, "Backup and restore")',
        );
      }
      return 0;
    } finally {
      await dest.close?.();
    }
  },
};

export const restoreCommand: AdminCommand = {
  words: ['restore'],
  usage: 'SRC [--force] [--dry-run] [--json]',
  summary:
    'bring a backup into the configured store, which must be empty (--force: restore over it) and hold the master keys ' +
    'of its secrets; rerun with --force to finish an interrupted restore',
  options: { ...force, 'dry-run': { type: 'boolean' } },
  async run({ positionals, values, out, open, config }) {
    if (positionals.length !== 1) throw new UsageError('restore takes one SRC');
    if (config.storage.kind === 'memory') throw new FulmarError('bad-request', 'the memory store lives and dies inside one pod; restore into a bucket or a data folder');
    const text = positionals[0] as string;
    const location = otherLocation(text, config, 'source');
    if (location.kind === 'folder' && !existsSync(location.root)) throw new StoreLocationError(`there is no folder ${location.root}`);
    const where = describeLocation(location);
    const source = openStoreAt(location, config, createLogger('warn', process.stderr));
    try {
      // Everything about the backup and the keys is checked before the target is opened: opening
      // it as a pod would writes its canary, and on the embedded default mints a master key.
      const contents = await reported(readBackup(source, where, out.progress));
      const keyring = await existingKeyring(config);
      if (!keyring) {
        throw new FulmarError(
          'conflict',
          `this backup's secrets are wrapped by master key(s) ${contents.manifest.keyIds.map((k) => `"${k}"`).join(', ')}, and the data folder ${config.dataDir} ` +
            `has no ${GENERATED_KEY_FILE} while FULMAR_MASTER_KEYS is not set: copy ${GENERATED_KEY_FILE} from the source's data folder into ${config.dataDir} ` +
            '(mode 0600), or set FULMAR_MASTER_KEYS, and run restore again — nothing was written',
        );
      }
      const problems = checkBackupKeys(keyring, contents.registers.values(), contents.canary);
      if (problems.length > 0) throw keyProblemsError(problems, keyring);

      const { store, keyring: configured } = await open();
      const result = await reported(
        restore(source, store, configured, { force: Boolean(values['force']), dryRun: Boolean(values['dry-run']), where, progress: out.progress, contents }),
      );
      out.result({ source: where, ...result });
      const all = totals(result.objects);
      const live = result.stacks.filter((s) => s.state === 'live').length;
      const r = result.registers;
      out.line(
        `${result.dryRun ? 'would restore' : 'restored'} ${live} stacks (and ${result.stacks.length - live} tombstones), ${all.count} objects, ${megabytes(all.bytes)} ` +
          `from backup ${result.backup.id} (taken ${result.backup.startedAt} from ${result.backup.source})`,
      );
      out.line(`registers: ${r.create} created, ${r.replace} replaced, ${r.unchanged} already there, ${r['keep-target']} kept (a tombstone in the backup)`);
      if (!result.dryRun) out.note('next: start the pods, run `fulmar verify`, and compare a few exports with the source (docs/operating.md, "Backup and restore")');
      return 0;
    } finally {
      await source.close?.();
    }
  },
};
