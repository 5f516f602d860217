/**
 * The embedded default: each object is a file under a root folder, at the path its key names, so
 * `cat <root>/<org>/<project>/<stack>/meta.json` shows what S3 would hold. Single-node by nature:
 * create-once and compare-and-swap are made atomic by a per-key lock inside this process, so two
 * processes must never share a root.
 *
 * Writes go to a temp file in `<root>/.tmp/`, are fsynced, then renamed over the key — a reader
 * sees the old bytes or the new, never a torn file. ETags are the MD5 of the bytes, as S3 gives a
 * single-part object; nothing is stored beside the object, and a small in-memory table keyed by the
 * file's identity (inode, size, times) saves re-hashing unchanged files on head and list.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { ListOptions, ListPage, ObjectInfo, ObjectStore, PutOptions, PutResult, StoredObject } from './object-store.js';
import { StorageError } from './storage-error.js';
import { compareKeys, etagOf, validateKey } from './object-keys.js';
import { cursorWants, listWithWalker, type ListCursor } from './list-page.js';
import { KeyedMutex } from './keyed-mutex.js';

/** Folder of in-progress writes, inside the root so that rename never crosses a filesystem. */
const TMP_DIR = '.tmp';
/** A rename can lose a race with the cleanup of an emptied folder; so few tries always suffice. */
const MOVE_ATTEMPTS = 5;

interface EtagMemo {
  readonly fingerprint: string;
  readonly etag: string;
}

export class FilesystemStore implements ObjectStore {
  readonly kind = 'filesystem';
  readonly root: string;
  private readonly tmp: string;
  private readonly locks = new KeyedMutex();
  private readonly etags = new LRUCache<string, EtagMemo>({ max: 100_000 });
  private ready: Promise<void> | undefined;

  /**
   * `readOnly`: the folder is only read (src/storage/read-only-store.ts refuses the writes), so
   * nothing is created in it — not even the temp folder every writer needs.
   */
  constructor(root: string, options: { readOnly?: boolean } = {}) {
    this.root = resolve(root);
    this.tmp = join(this.root, TMP_DIR);
    if (options.readOnly) this.ready = Promise.resolve();
  }

  async get(key: string): Promise<StoredObject> {
    const path = this.pathOf(key);
    await this.init();
    const file = await this.openObject(key, path);
    try {
      const stat = await file.stat({ bigint: true });
      if (!stat.isFile()) throw notFound(key);
      const body = await file.readFile();
      const etag = etagOf(body);
      this.etags.set(key, { fingerprint: fingerprintOf(stat), etag });
      return { key, etag, size: body.length, lastModified: mtimeOf(stat), body, storeTime: new Date() };
    } catch (err) {
      throw fsError(err, key);
    } finally {
      await file.close();
    }
  }

  async head(key: string): Promise<ObjectInfo> {
    const path = this.pathOf(key);
    await this.init();
    return this.infoOf(key, path);
  }

  async put(key: string, body: Buffer, options: PutOptions = {}): Promise<PutResult> {
    const path = this.pathOf(key);
    await this.init();
    // Every write to a key takes its lock, unconditional ones too: otherwise a plain put could
    // land between a compare-and-swap's check and its rename, and be silently overwritten.
    return this.locks.run(key, async () => {
      if (options.ifNoneMatch === '*' || options.ifMatch !== undefined) {
        const current = await this.infoOf(key, path).catch((err: unknown) => {
          if (err instanceof StorageError && err.code === 'not-found') return undefined;
          throw err;
        });
        if (options.ifNoneMatch === '*' && current) {
          throw new StorageError('precondition-failed', `${key} already exists`);
        }
        if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) {
          throw new StorageError('precondition-failed', `${key} does not have ETag ${options.ifMatch}`);
        }
      }
      const etag = etagOf(body);
      const temp = await this.writeTemp(body);
      try {
        await this.moveIntoPlace(temp, path, key);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
      // Remember the ETag against the new file's identity, so head and list need not re-hash it.
      // The write has happened: a failing stat only costs a re-hash later.
      const written = await stat(path, { bigint: true }).catch(() => undefined);
      if (written) this.etags.set(key, { fingerprint: fingerprintOf(written), etag });
      else this.etags.delete(key);
      return { etag };
    });
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await this.init();
    await this.locks.run(key, async () => {
      this.etags.delete(key);
      try {
        await unlink(path);
      } catch (err) {
        // Missing, or a folder (which is no object): deleting is idempotent.
        const code = errnoOf(err);
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'EPERM') return;
        throw fsError(err, key);
      }
      await this.removeEmptyParents(dirname(path));
    });
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    await this.init();
    return listWithWalker((cursor) => this.walkFrom(cursor), options);
  }

  /** Maps a key to its file, refusing anything that would not stay inside the root. */
  private pathOf(key: string): string {
    validateKey(key);
    if (key === TMP_DIR || key.startsWith(`${TMP_DIR}/`)) {
      throw new StorageError('invalid-key', `invalid object key ${JSON.stringify(key)}: "${TMP_DIR}" is reserved by the filesystem store`);
    }
    const path = join(this.root, ...key.split('/'));
    if (!path.startsWith(this.root + sep)) {
      throw new StorageError('invalid-key', `invalid object key ${JSON.stringify(key)}: escapes the data folder`);
    }
    return path;
  }

  /** Creates the folders once, and drops temp files a crash left behind (no write is in flight yet). */
  private init(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.tmp, { recursive: true });
      for (const name of await readdir(this.tmp)) await rm(join(this.tmp, name), { force: true, recursive: true });
    })().catch((err: unknown) => {
      this.ready = undefined;
      throw fsError(err, this.root);
    });
    return this.ready;
  }

  private async openObject(key: string, path: string): Promise<FileHandle> {
    try {
      return await open(path, 'r');
    } catch (err) {
      throw fsError(err, key);
    }
  }

  private async infoOf(key: string, path: string): Promise<ObjectInfo> {
    const file = await this.openObject(key, path);
    try {
      const stat = await file.stat({ bigint: true });
      if (!stat.isFile()) throw notFound(key);
      return { key, etag: await this.etagOfFile(key, file, stat), size: Number(stat.size), lastModified: mtimeOf(stat) };
    } catch (err) {
      throw fsError(err, key);
    } finally {
      await file.close();
    }
  }

  /** Hashes through the open handle, so the ETag always belongs to the bytes that were stat'ed. */
  private async etagOfFile(key: string, file: FileHandle, stat: BigIntStats): Promise<string> {
    const fingerprint = fingerprintOf(stat);
    const memo = this.etags.get(key);
    if (memo?.fingerprint === fingerprint) return memo.etag;
    const hash = createHash('md5');
    for await (const chunk of file.createReadStream({ start: 0, autoClose: false })) hash.update(chunk as Buffer);
    const etag = `"${hash.digest('hex')}"`;
    this.etags.set(key, { fingerprint, etag });
    return etag;
  }

  private async writeTemp(body: Buffer): Promise<string> {
    const temp = join(this.tmp, randomUUID());
    try {
      const file = await open(temp, 'wx');
      try {
        await file.writeFile(body);
        await file.sync(); // the bytes are on disk before the rename makes them visible
      } finally {
        await file.close();
      }
      return temp;
    } catch (err) {
      await rm(temp, { force: true });
      throw fsError(err, temp);
    }
  }

  private async moveIntoPlace(temp: string, path: string, key: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(dirname(path), { recursive: true });
        await rename(temp, path);
        await syncFolder(dirname(path));
        return;
      } catch (err) {
        const code = errnoOf(err);
        // A delete of a sibling removed the (then empty) folder between mkdir and rename.
        if (code === 'ENOENT' && attempt < MOVE_ATTEMPTS) continue;
        if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY') {
          // S3 can hold both `a` and `a/b`; a filesystem cannot. Fulmar's layout never needs both.
          throw new StorageError('invalid-key', `the filesystem store cannot hold ${key}: a file and a folder would share a name`, { cause: err });
        }
        throw fsError(err, key);
      }
    }
  }

  /** Best effort: folders emptied by a delete go too, so listing does not wade through them. */
  private async removeEmptyParents(folder: string): Promise<void> {
    for (let dir = folder; dir.startsWith(this.root + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): its parents are not empty either
      }
    }
  }

  /** Starts at the deepest folder the prefix fully names: nothing outside it can match. */
  private async *walkFrom(cursor: ListCursor): AsyncGenerator<ObjectInfo> {
    const folder = cursor.prefix.slice(0, cursor.prefix.lastIndexOf('/') + 1);
    if (folder !== '') {
      try {
        this.pathOf(folder.slice(0, -1));
      } catch {
        return; // no valid key starts with this prefix
      }
    }
    yield* this.walk(cursor, folder);
  }

  private async *walk(cursor: ListCursor, folder: string): AsyncGenerator<ObjectInfo> {
    let entries;
    try {
      entries = await readdir(join(this.root, ...folder.split('/')), { withFileTypes: true });
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw fsError(err, folder);
    }
    // A folder sorts as its name plus '/', which is where its keys fall among its siblings
    // ("a-b" < "a/x" because '-' < '/').
    const items = entries
      .filter((e) => (e.isDirectory() || e.isFile()) && !(folder === '' && e.name === TMP_DIR))
      .map((e) => ({ name: `${folder}${e.name}${e.isDirectory() ? '/' : ''}`, folder: e.isDirectory() }))
      .sort((a, b) => compareKeys(a.name, b.name));
    for (const item of items) {
      if (item.folder) {
        if (folderMayMatch(cursor, item.name)) yield* this.walk(cursor, item.name);
      } else if (cursorWants(cursor, item.name) && isValidKey(item.name)) {
        try {
          yield await this.infoOf(item.name, join(this.root, ...item.name.split('/')));
        } catch (err) {
          if (!(err instanceof StorageError && err.code === 'not-found')) throw err; // deleted meanwhile
        }
      }
    }
  }
}

/** False when no key inside `folder` (ending in '/') can be wanted by the cursor. */
function folderMayMatch(cursor: ListCursor, folder: string): boolean {
  if (!folder.startsWith(cursor.prefix) && !cursor.prefix.startsWith(folder)) return false;
  if (cursor.skipPrefix !== undefined && folder.startsWith(cursor.skipPrefix)) return false;
  // Every key inside starts with `folder`; if `after` is past them all, skip the folder.
  if (cursor.after !== '' && !cursor.after.startsWith(folder) && compareKeys(folder, cursor.after) < 0) return false;
  return true;
}

function isValidKey(key: string): boolean {
  try {
    validateKey(key);
    return true;
  } catch {
    return false; // a file someone else put there, which no key can name
  }
}

/** Changes whenever the file is replaced (rename gives a new inode) or rewritten in place. */
function fingerprintOf(stat: BigIntStats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
}

function mtimeOf(stat: BigIntStats): Date {
  return new Date(Number(stat.mtimeMs));
}

async function syncFolder(folder: string): Promise<void> {
  // Makes the rename itself durable. Not every platform can fsync a folder; that is not an error.
  try {
    const dir = await open(folder, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    /* best effort */
  }
}

const notFound = (key: string) => new StorageError('not-found', `${key} not found`);

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** Filesystem errors in the storage vocabulary. */
function fsError(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err;
  const code = errnoOf(err);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EISDIR':
      return new StorageError('not-found', `${what} not found`, { cause: err });
    case 'ENAMETOOLONG':
      return new StorageError('invalid-key', `${what}: a path segment is too long for this filesystem`, { cause: err });
    case 'EMFILE':
    case 'ENFILE':
    case 'EAGAIN':
    case 'EBUSY':
    case 'EIO':
    case 'ENOSPC':
    case 'EDQUOT':
      return new StorageError('unavailable', `filesystem store: ${code} on ${what}`, { cause: err });
    default:
      return new StorageError('internal', `filesystem store: ${code ?? String(err)} on ${what}`, { cause: err });
  }
}
