import { expect } from 'chai';
import { configValueOf, goJson, readDiyUpdate } from '../../src/domain/diy-history.js';
import { inflate } from '../../src/domain/diy-checkpoint.js';

/** A history file as pulumi v3.259.0 writes it (backend.UpdateInfo; `version` is never set). */
const ENTRY = JSON.stringify({
  kind: 'update',
  startTime: 1714557600,
  message: 'add the bucket',
  environment: { 'exec.kind': 'cli', 'git.head': 'abc123', 'not.a.string': 3 },
  config: {
    'shop:greeting': { secure: 'v1:dN4Z/yWBZs4woscq:pGdACS0wJFL5lJzcAJWltzM4Q7Y7' },
    'shop:name': 'web',
    'shop:replicas': 3,
    'shop:debug': true,
    'shop:tags': { team: 'ops', key: { secure: 'v1:abc' }, list: [1, '<a&b>'] },
  },
  version: 0,
  result: 'succeeded',
  endTime: 1714557660,
  resourceChanges: { create: 2, same: 1 },
});
/** A destroy entry compressed by the zstd tool, as DIY_BACKEND_ZSTD writes them. */
const DESTROY_ZST = Buffer.from(
  'KLUv/QRYZQQA8skeHWA11gEEjs2ML1DsOFGEXCuYBBFLwzp/FTBFEOSUMRbpv68rw7S7suhQeGoMO5T6UpQ4/Rbj3nyI9DJ17Y1PhGlFk2XJJ1pXGqQL3DD99suyps3exxvAlKChP6evIOe++BDEgRgGoUCK9Bc1vIae8/EAa89dOa1WAQwDBABKB9FDXj8hClVlIQoNQ0IE',
  'base64',
);

describe('DIY history entries', () => {
  it('reads the update as it happened: kind, times, message, result, changes, environment', () => {
    const u = readDiyUpdate(ENTRY);
    expect(u).to.deep.include({
      kind: 'update',
      startTime: 1714557600,
      endTime: 1714557660,
      message: 'add the bucket',
      result: 'succeeded',
      resourceChanges: { create: 2, same: 1 },
      environment: { 'exec.kind': 'cli', 'git.head': 'abc123' },
    });
  });

  it('converts the config as the CLI sends it to the service (client.go: CreateUpdate), ciphertexts untouched', () => {
    expect(readDiyUpdate(ENTRY).config).to.deep.equal({
      'shop:greeting': { string: 'v1:dN4Z/yWBZs4woscq:pGdACS0wJFL5lJzcAJWltzM4Q7Y7', secret: true, object: false },
      'shop:name': { string: 'web', secret: false, object: false },
      'shop:replicas': { string: '3', secret: false, object: false },
      'shop:debug': { string: 'true', secret: false, object: false },
      // Go's encoding/json: keys sorted, HTML characters escaped; a secure value inside makes it secret.
      'shop:tags': { string: '{"key":{"secure":"v1:abc"},"list":[1,"\\u003ca\\u0026b\\u003e"],"team":"ops"}', secret: true, object: true },
    });
  });

  it('reads a zstd-compressed destroy that failed', () => {
    const u = readDiyUpdate(inflate(DESTROY_ZST).toString());
    expect(u).to.deep.include({ kind: 'destroy', message: 'tear down', result: 'failed', resourceChanges: { delete: 1 } });
  });

  it('keeps what it can of odd entries, and refuses what is no update record', () => {
    expect(readDiyUpdate('{"kind":"refresh","result":"weird","startTime":-1}')).to.deep.equal({
      kind: 'refresh',
      startTime: 0,
      endTime: 0,
      message: '',
      environment: {},
      config: {},
      result: 'failed',
    });
    expect(() => readDiyUpdate('{"message":"x"}')).to.throw(/no "kind"/);
    expect(() => readDiyUpdate('[]')).to.throw(/no "kind"/);
  });

  it('writes JSON as Go does', () => {
    expect(goJson({ b: 1, a: [{ d: 'x', c: null }] })).to.equal('{"a":[{"c":null,"d":"x"}],"b":1}');
    expect(configValueOf([1, 2])).to.deep.equal({ string: '[1,2]', secret: false, object: true });
  });
});
