import { expect } from 'chai';
import { ConfigError, loadConfig, redactConfig } from '../../src/config/config.js';

const KEY = Buffer.alloc(32, 1).toString('base64');

describe('config', () => {
  it('needs nothing: filesystem store in ./.fulmar on port 8080', () => {
    const c = loadConfig({});
    expect(c.port).to.equal(8080);
    expect(c.storage).to.deep.equal({ kind: 'filesystem', dataDir: './.fulmar' });
    expect(c.masterKeys).to.deep.equal([]);
  });

  it('reads all S3 settings from one URL, and discrete variables override its parts', () => {
    const c = loadConfig({
      FULMAR_S3_URL: 'http://ak:s%2Fk@127.0.0.1:9000/bucket/team-a?region=eu-west-1',
      FULMAR_S3_BUCKET: 'other',
      FULMAR_MASTER_KEYS: `k1:${KEY}`,
    });
    expect(c.storage).to.deep.include({
      kind: 's3',
      endpoint: 'http://127.0.0.1:9000',
      bucket: 'other',
      accessKey: 'ak',
      secretKey: 's/k',
      region: 'eu-west-1',
      prefix: 'team-a/',
    });
  });

  it('leaves the journal catch-up off unless FULMAR_JOURNAL_CATCH_UP_MS sets its interval', () => {
    expect(loadConfig({}).journalCatchUpMs).to.equal(undefined);
    expect(loadConfig({ FULMAR_JOURNAL_CATCH_UP_MS: '' }).journalCatchUpMs).to.equal(undefined);
    expect(loadConfig({ FULMAR_JOURNAL_CATCH_UP_MS: '250' }).journalCatchUpMs).to.equal(250);
    expect(() => loadConfig({ FULMAR_JOURNAL_CATCH_UP_MS: '-1' })).to.throw(ConfigError, 'FULMAR_JOURNAL_CATCH_UP_MS');
  });

  it('reports every problem at once', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'eighty', FULMAR_LOG_LEVEL: 'loud', FULMAR_ADMIN_TOKEN: 'short' });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).to.contain('PORT');
    expect(problems).to.contain('FULMAR_LOG_LEVEL');
    expect(problems).to.contain('FULMAR_ADMIN_TOKEN');
  });

  it('refuses S3 without credentials or a master key, naming each', () => {
    let err: unknown;
    try {
      loadConfig({ FULMAR_STORAGE: 's3' });
    } catch (e) {
      err = e;
    }
    const problems = (err as ConfigError).problems.join('\n');
    for (const name of ['FULMAR_S3_ENDPOINT', 'FULMAR_S3_BUCKET', 'FULMAR_S3_ACCESS_KEY', 'FULMAR_S3_SECRET_KEY', 'FULMAR_MASTER_KEYS']) {
      expect(problems).to.contain(name);
    }
  });

  it('takes FULMAR_PUBLIC_URL without its trailing slash, and refuses one the CLI could not log in to', () => {
    expect(loadConfig({}).publicUrl).to.equal(undefined);
    expect(loadConfig({ FULMAR_PUBLIC_URL: 'https://fulmar.example.com/' }).publicUrl).to.equal('https://fulmar.example.com');
    expect(loadConfig({ FULMAR_PUBLIC_URL: 'http://10.0.0.5:8080/pulumi' }).publicUrl).to.equal('http://10.0.0.5:8080/pulumi');
    for (const [value, problem] of [
      ['fulmar.example.com', /FULMAR_PUBLIC_URL/],
      ['ftp://fulmar.example.com', /FULMAR_PUBLIC_URL: must start with http/],
      ['https://me:pw@fulmar.example.com', /FULMAR_PUBLIC_URL: must not carry credentials/],
      ['https://fulmar.example.com/?x=1', /FULMAR_PUBLIC_URL: must not have a query/],
    ] as const) {
      expect(() => loadConfig({ FULMAR_PUBLIC_URL: value }), value).to.throw(ConfigError, problem);
    }
  });

  it('rejects malformed keyrings', () => {
    expect(() => loadConfig({ FULMAR_MASTER_KEYS: 'k1:c2hvcnQ=' })).to.throw(ConfigError, /32 bytes/);
    expect(() => loadConfig({ FULMAR_MASTER_KEYS: `k1:${KEY},k1:${KEY}` })).to.throw(ConfigError, /twice/);
  });

  it('prints without secrets', () => {
    const c = loadConfig({
      FULMAR_S3_URL: 'http://ak:sk@127.0.0.1:9000/bucket',
      FULMAR_MASTER_KEYS: `k1:${KEY}`,
      FULMAR_ADMIN_TOKEN: 'a-very-secret-admin-token',
    });
    const printed = JSON.stringify(redactConfig(c));
    expect(printed).not.to.contain('sk"');
    expect(printed).not.to.contain(KEY);
    expect(printed).not.to.contain('a-very-secret-admin-token');
    expect(printed).to.contain('[redacted]');
  });
});
