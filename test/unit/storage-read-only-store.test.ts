import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { openStoreAt, parseStoreLocation } from '../../src/storage/store-location.js';
import { isStorageError } from '../../src/storage/storage-error.js';

const config = { storage: { kind: 'filesystem' as const }, aws: { accessKey: 'AK', secretKey: 'SK' } } as unknown as Parameters<typeof parseStoreLocation>[1];

describe('stores opened read-only (the DIY backend adopt-diy reads)', () => {
  it('reads and lists a folder without creating anything in it, and refuses every write', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fulmar-ro-'));
    try {
      await writeFile(join(root, 'a.json'), '{}');
      const store = openStoreAt({ kind: 'folder', root }, { storageRetries: 0, storageTimeoutMs: 1_000 }, pino({ level: 'silent' }), { readOnly: true });
      expect((await store.get('a.json')).body.toString()).to.equal('{}');
      expect((await store.list()).objects.map((o) => o.key)).to.deep.equal(['a.json']);
      for (const attempt of [store.put('b.json', Buffer.from('{}')), store.put('a.json', Buffer.from('[]'), { ifNoneMatch: '*' }), store.delete('a.json')]) {
        const err = await attempt.catch((e: unknown) => e);
        expect(isStorageError(err, 'internal') && /opened read-only/.test(err.message), String(err)).to.equal(true);
      }
      expect(await readdir(root)).to.deep.equal(['a.json']);
      expect(existsSync(join(root, '.tmp'))).to.equal(false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('s3:// locations as the pulumi CLI takes them', () => {
  it('gives a scheme-less endpoint http:// with disableSSL, else https:// (backend.go: translateLegacyS3Params)', () => {
    const plain = parseStoreLocation('s3://state/team?endpoint=minio:9000&disableSSL=true&s3ForcePathStyle=true&region=eu-west-1', config);
    expect(plain).to.deep.include({ kind: 's3', endpoint: 'http://minio:9000', bucket: 'state', prefix: 'team/', region: 'eu-west-1', pathStyle: true });
    expect(parseStoreLocation('s3://state?endpoint=minio:9000', config)).to.deep.include({ endpoint: 'https://minio:9000' });
    expect(parseStoreLocation('s3://state?endpoint=http://127.0.0.1:9000', config)).to.deep.include({ endpoint: 'http://127.0.0.1:9000' });
  });
});
