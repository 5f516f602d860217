/**
 * Writing into a backup's destination. Nothing but this backup writes there, so the rules differ
 * from the bucket's own (docs/operating.md, "Backup and restore"):
 *
 *  - by default the destination must be empty, and every object is created once — a key that
 *    appears meanwhile means someone else writes there too, and the backup stops;
 *  - with `--force` it replaces whatever the destination held: the old manifest is removed
 *    FIRST (so the location never claims a complete backup it no longer is), objects are written
 *    over, and keys this backup does not hold are removed before the new manifest is written.
 *    An immutable object (a committed checkpoint, a history entry, an event batch — under an
 *    incarnation, so its key can never name other bytes) already there with the same size is
 *    kept instead of copied again, which makes a rerun into the same place (after an interruption,
 *    or the next night's backup) copy only what is new.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { createOnce } from '../storage/conditional-writes.js';
import { conflict } from '../domain/errors.js';
import { mapLimit } from '../services/prefix-ops.js';
import { objectsUnder } from './stack-inventory.js';
import { MANIFEST_KEY, addTo, emptyTally, type BackupKind } from './backup-manifest.js';

/** Keys under `<stack>/i/<incarnation>/`: their bytes never change once written. */
const UNDER_INCARNATION = /^[^/]+\/[^/]+\/[^/]+\/i\/[^/]+\/(checkpoints|history)\/[^/]+$|^[^/]+\/[^/]+\/[^/]+\/i\/[^/]+\/updates\/[^/]+\/events\/[^/]+$/;

export class BackupDestination {
  readonly tally = emptyTally();
  reused = 0;
  private readonly written = new Map<string, { owner: string; kind: BackupKind; size: number; put: boolean }>();

  private constructor(
    private readonly dest: ObjectStore,
    /** --force: what the destination held (key → size); undefined: it was empty. */
    private readonly existing: Map<string, number> | undefined,
  ) {}

  static async open(dest: ObjectStore, force: boolean): Promise<BackupDestination> {
    if (!force) {
      const first = (await dest.list({ maxKeys: 1 })).objects[0];
      if (first) {
        throw conflict(`the destination is not empty (it holds ${first.key}); back up into an empty location, or pass --force to replace what is there`);
      }
      return new BackupDestination(dest, undefined);
    }
    const existing = new Map<string, number>();
    for await (const info of objectsUnder(dest, '')) existing.set(info.key, info.size);
    await dest.delete(MANIFEST_KEY);
    existing.delete(MANIFEST_KEY);
    return new BackupDestination(dest, existing);
  }

  has(key: string): boolean {
    return this.written.has(key);
  }

  async write(owner: string, key: string, kind: BackupKind, body: Buffer): Promise<void> {
    await this.put(key, body);
    this.record(owner, key, kind, body.length, true);
  }

  /** With --force: true (and counted as held) when an earlier backup left this immutable object. */
  reuse(owner: string, key: string, kind: BackupKind, size: number): boolean {
    if (this.existing?.get(key) !== size || !UNDER_INCARNATION.test(key)) return false;
    this.reused += 1;
    this.record(owner, key, kind, size, false);
    return true;
  }

  /** Takes back what was written for `owner` (a stack captured again under another incarnation). */
  async forget(owner: string): Promise<void> {
    const mine = [...this.written].filter(([, w]) => w.owner === owner);
    await mapLimit(mine, 16, async ([key, w]) => {
      if (w.put) await this.dest.delete(key);
      this.written.delete(key);
      this.tally[w.kind].count -= 1;
      this.tally[w.kind].bytes -= w.size;
    });
  }

  /** With --force, at the end: removes what the destination held that this backup does not. */
  async removeStale(): Promise<number> {
    const stale = [...(this.existing?.keys() ?? [])].filter((k) => !this.written.has(k));
    await mapLimit(stale, 16, (k) => this.dest.delete(k));
    return stale.length;
  }

  /** The manifest, last: create-once into an empty destination, over the old one with --force. */
  async writeManifest(body: Buffer): Promise<void> {
    await this.put(MANIFEST_KEY, body);
  }

  private async put(key: string, body: Buffer): Promise<void> {
    if (this.existing) await this.dest.put(key, body, { contentType: 'application/json' });
    else if (!(await createOnce(this.dest, key, body))) {
      throw conflict(`${key} appeared at the destination while this backup was writing it; is another backup writing there?`);
    }
  }

  private record(owner: string, key: string, kind: BackupKind, size: number, put: boolean) {
    this.written.set(key, { owner, kind, size, put });
    addTo(this.tally, kind, size);
  }
}
