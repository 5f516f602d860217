/** Locations of other stores on admin command lines (src/storage/store-location.ts). */
import { expect } from 'chai';
import { resolve } from 'node:path';
import { parseStoreLocation, redact, StoreLocationError } from '../../src/storage/store-location.js';

const fsConfig = { storage: { kind: 'filesystem' as const, dataDir: '.fulmar' }, aws: {} };
const awsEnv = { storage: { kind: 'filesystem' as const, dataDir: '.fulmar' }, aws: { accessKey: 'AK', secretKey: 'SK', region: 'eu-west-1' } };
const s3Config = {
  storage: { kind: 's3' as const, endpoint: 'http://minio:9000', bucket: 'state', accessKey: 'mk', secretKey: 'ms', region: 'us-east-1', prefix: '', pathStyle: true },
  aws: {},
};

describe('store locations', () => {
  it('takes folders as paths and file:// URLs', () => {
    expect(parseStoreLocation('backup', fsConfig)).to.deep.equal({ kind: 'folder', root: resolve('backup') });
    expect(parseStoreLocation('/srv/b', fsConfig)).to.deep.equal({ kind: 'folder', root: '/srv/b' });
    expect(parseStoreLocation('file:///srv/my%20b', fsConfig)).to.deep.equal({ kind: 'folder', root: '/srv/my b' });
  });

  it('takes the FULMAR_S3_URL form with its own credentials', () => {
    expect(parseStoreLocation('http://a%2Fk:s@host:9000/bkt/some/prefix?region=eu-1', fsConfig)).to.deep.equal({
      kind: 's3', endpoint: 'http://host:9000', bucket: 'bkt', accessKey: 'a/k', secretKey: 's', region: 'eu-1', prefix: 'some/prefix/', pathStyle: true,
    });
  });

  it("takes the DIY backend's s3:// form, credentials from AWS_* or the configured bucket", () => {
    expect(parseStoreLocation('s3://diy/state?endpoint=http://127.0.0.1:9000&s3ForcePathStyle=true&region=us-west-2', awsEnv)).to.deep.equal({
      kind: 's3', endpoint: 'http://127.0.0.1:9000', bucket: 'diy', accessKey: 'AK', secretKey: 'SK', region: 'us-west-2', prefix: 'state/', pathStyle: true,
    });
    expect(parseStoreLocation('s3://other', s3Config)).to.deep.include({ endpoint: 'http://minio:9000', bucket: 'other', accessKey: 'mk', secretKey: 'ms', prefix: '', pathStyle: true });
    expect(parseStoreLocation('s3://aws-bucket', awsEnv)).to.deep.include({ endpoint: 'https://s3.eu-west-1.amazonaws.com', region: 'eu-west-1', pathStyle: false });
  });

  it('refuses what it cannot use, without printing credentials', () => {
    expect(() => parseStoreLocation('s3://b', fsConfig)).to.throw(StoreLocationError, /no credentials .*AWS_ACCESS_KEY_ID/);
    expect(() => parseStoreLocation('gs://b', awsEnv)).to.throw(StoreLocationError, /a location is a folder/);
    expect(() => parseStoreLocation('http://k:secret@host/', awsEnv)).to.throw(StoreLocationError).with.property('message').that.does.not.contain('secret');
    expect(redact('https://key:secret@host/b')).to.equal('https://…@host/b');
  });
});
