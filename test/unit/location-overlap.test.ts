/** Backup and restore refuse a location that shares keys with the configured store (src/storage/location-overlap.ts). */
import { expect } from 'chai';
import { configuredLocation, locationsOverlap } from '../../src/storage/location-overlap.js';
import type { StoreLocation } from '../../src/storage/store-location.js';

const s3 = (bucket: string, prefix: string, endpoint = 'http://127.0.0.1:9000'): StoreLocation => ({
  kind: 's3',
  endpoint,
  bucket,
  prefix,
  accessKey: 'a',
  secretKey: 's',
  region: 'us-east-1',
  pathStyle: true,
});
const folder = (root: string): StoreLocation => ({ kind: 'folder', root });

describe('location overlap', () => {
  it('refuses a folder inside, around or equal to the data folder objects', () => {
    const here = configuredLocation({ storage: { kind: 'filesystem', dataDir: '/srv/fulmar' } }) as StoreLocation;
    expect(here).to.deep.equal(folder('/srv/fulmar/objects'));
    expect(locationsOverlap(folder('/srv/fulmar/objects/backup'), here)).to.equal(true);
    expect(locationsOverlap(folder('/srv/fulmar'), here)).to.equal(true);
    expect(locationsOverlap(folder('/srv/fulmar/objects'), here)).to.equal(true);
    expect(locationsOverlap(folder('/srv/fulmar/backup'), here)).to.equal(false);
    expect(locationsOverlap(folder('/srv/fulmar-objects'), here)).to.equal(false);
  });

  it('refuses a prefix of the same bucket that contains or is contained in the store prefix', () => {
    expect(locationsOverlap(s3('b', ''), s3('b', 'backups/'))).to.equal(true);
    expect(locationsOverlap(s3('b', 'team-a/'), s3('b', 'team-a/backup/'))).to.equal(true);
    expect(locationsOverlap(s3('b', 'team-a/'), s3('b', 'team-ab/'))).to.equal(false);
    expect(locationsOverlap(s3('b', 'team-a/'), s3('b', 'backup/'))).to.equal(false);
    expect(locationsOverlap(s3('b', ''), s3('c', ''))).to.equal(false);
    expect(locationsOverlap(s3('b', ''), s3('b', '', 'http://other:9000'))).to.equal(false);
    expect(locationsOverlap(s3('b', ''), folder('/b'))).to.equal(false);
  });
});
