import { mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { createStorageMetrics } from '../../src/observability/metrics.js';
import { createObjectStore } from '../../src/storage/create-store.js';
import { FilesystemStore } from '../../src/storage/filesystem-store.js';
import { describeObjectStoreContract, expectStorageError } from './contract.js';

async function makeTempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'fulmar-fs-store-'));
}

describeObjectStoreContract('filesystem', async () => {
  const root = await makeTempRoot();
  return { store: new FilesystemStore(join(root, 'objects')), cleanup: () => rm(root, { recursive: true, force: true }) };
});

describeObjectStoreContract('filesystem as a pod builds it: RetryingStore(MeteredStore(filesystem))', async () => {
  const root = await makeTempRoot();
  const store = createObjectStore(loadConfig({ FULMAR_DATA_DIR: root }), createLogger('silent'), createStorageMetrics(new Registry()));
  return { store, cleanup: () => rm(root, { recursive: true, force: true }) };
});

describe('FilesystemStore specifics', function () {
  let root: string;
  let store: FilesystemStore;
  beforeEach(async function () {
    root = await makeTempRoot();
    store = new FilesystemStore(join(root, 'objects'));
  });
  afterEach(async function () {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps each object as a plain file at the path its key names', async function () {
    await store.put('org/proj/stack/meta.json', Buffer.from('{"a":1}'));
    expect(await readFile(join(root, 'objects', 'org', 'proj', 'stack', 'meta.json'), 'utf8')).to.equal('{"a":1}');
  });

  it('rejects keys that would escape the root, and writes nothing outside it', async function () {
    for (const key of ['../escape', 'a/../../escape', '/etc/passwd', 'a/..', '..\\escape', '.tmp/x', '.tmp']) {
      await expectStorageError(store.put(key, Buffer.from('x')), 'invalid-key');
      await expectStorageError(store.get(key), 'invalid-key');
      await expectStorageError(store.delete(key), 'invalid-key');
    }
    expect(await readdir(root)).to.not.include('escape');
  });

  it('treats a prefix that could escape the root as matching nothing', async function () {
    await store.put('a/x', Buffer.from('x'));
    await writeFile(join(root, 'outside'), 'x');
    expect((await store.list({ prefix: '../' })).objects).to.deep.equal([]);
    expect((await store.list({ prefix: '../outside' })).objects).to.deep.equal([]);
  });

  it('never lists a temp file left by a crash, and clears it at the next start', async function () {
    await store.put('a/kept', Buffer.from('x'));
    const leftover = join(root, 'objects', '.tmp', 'crashed-write');
    await writeFile(leftover, 'half a checkpoint');
    expect((await store.list()).objects.map((o) => o.key)).to.deep.equal(['a/kept']);
    expect((await store.list({ prefix: '.tmp' })).objects).to.deep.equal([]);

    const restarted = new FilesystemStore(join(root, 'objects'));
    expect((await restarted.list()).objects.map((o) => o.key)).to.deep.equal(['a/kept']);
    expect(await readdir(join(root, 'objects', '.tmp'))).to.deep.equal([]);
  });

  it('leaves no temp files behind after writes, failed ones included', async function () {
    await store.put('w/one', Buffer.from('1'));
    await store.put('w/one', Buffer.from('2'), { ifNoneMatch: '*' }).catch(() => undefined);
    await store.put('w/one/child', Buffer.from('3')).catch(() => undefined);
    expect(await readdir(join(root, 'objects', '.tmp'))).to.deep.equal([]);
  });

  it('removes folders emptied by a delete, but not the root', async function () {
    await store.put('org/proj/stack/meta.json', Buffer.from('x'));
    await store.put('org/other.json', Buffer.from('y'));
    await store.delete('org/proj/stack/meta.json');
    expect((await readdir(join(root, 'objects', 'org'))).sort()).to.deep.equal(['other.json']);
    await store.delete('org/other.json');
    expect((await readdir(join(root, 'objects'))).sort()).to.deep.equal(['.tmp']);
  });

  it('refuses a key whose path a folder already takes (and the reverse), with invalid-key', async function () {
    await store.put('a/b', Buffer.from('x'));
    await expectStorageError(store.put('a', Buffer.from('y')), 'invalid-key');
    await expectStorageError(store.put('a/b/c', Buffer.from('z')), 'invalid-key');
    await expectStorageError(store.get('a'), 'not-found');
    expect((await store.get('a/b')).body.toString()).to.equal('x');
  });

  it('takes lastModified from the file', async function () {
    await store.put('m/x', Buffer.from('x'));
    const fileTime = (await stat(join(root, 'objects', 'm', 'x'))).mtime.getTime();
    // Within a millisecond: sub-millisecond times round differently in fs.Stats.mtime.
    expect((await store.head('m/x')).lastModified.getTime()).to.be.closeTo(fileTime, 1);
  });

  it('notices a file changed behind its back (the ETag follows the bytes)', async function () {
    const { etag } = await store.put('e/x', Buffer.from('before'));
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(root, 'objects', 'e', 'x'), 'after!');
    const head = await store.head('e/x');
    expect(head.etag).to.not.equal(etag);
    expect(head.etag).to.equal((await store.get('e/x')).etag);
    await expectStorageError(store.put('e/x', Buffer.from('cas'), { ifMatch: etag }), 'precondition-failed');
  });

  it('skips files and folders no key can name', async function () {
    await store.put('ok/1', Buffer.from('x'));
    await mkdir(join(root, 'objects', 'ok', 'weird\\name'), { recursive: true });
    await writeFile(join(root, 'objects', 'ok', 'weird\\name', 'f'), 'x');
    await writeFile(join(root, 'objects', 'ok', 'back\\slash'), 'x');
    expect((await store.list({ prefix: 'ok/' })).objects.map((o) => o.key)).to.deep.equal(['ok/1']);
  });
});
