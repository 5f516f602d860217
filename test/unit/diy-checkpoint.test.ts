import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { compressionOf, DiyStateError, inflate, projectOfDeployment, readDiyState } from '../../src/domain/diy-checkpoint.js';
import { checkDeployment } from '../../src/domain/deployment-check.js';

const LATEST =
  '{"manifest":{"time":"2024-05-01T10:00:00Z","magic":"","version":"v3.259.0"},' +
  '"resources":[{"urn":"urn:pulumi:prod::shop::pulumi:pulumi:Stack::shop-prod","custom":false,"type":"pulumi:pulumi:Stack"}]}';
const CHECKPOINT = `{"version":3,"checkpoint":{"stack":"organization/shop/prod","latest":${LATEST}}}`;
/** CHECKPOINT compressed by the zstd tool (`zstd -19`): a frame as the CLI's encoder writes them. */
const CHECKPOINT_ZST = Buffer.from(
  'KLUv/QRodQUAQksiGWCvDnyZsbckLzKo8grOMBgakIJsQAQAcC5ZljXZ34/Wym8RT+/pz5oxBYGku1tOaqJs9+mljjF9HOGlKo73LbsLkIMIiurt70MJvfn2xbUblMEBhwMMwhHvxynzI+mbOOY3vd2p1wq2RligVeZ3SfqgW9+X4Mv4WD9TWa0EYwTfij6tEt9YHQsNALSmJpl8PhOyF06FhE3exBv2g3Gk7NOHVXS2vaQKrlVnQiCKwA==',
  'base64',
);

describe('DIY checkpoints into deployments', () => {
  it('tells the compression by the first bytes, as the CLI does (encoding.DetectCompression)', () => {
    expect(compressionOf(Buffer.from(CHECKPOINT))).to.equal('none');
    expect(compressionOf(gzipSync(CHECKPOINT))).to.equal('gzip');
    expect(compressionOf(CHECKPOINT_ZST)).to.equal('zstd');
    expect(inflate(gzipSync(CHECKPOINT)).toString()).to.equal(CHECKPOINT);
    expect(inflate(CHECKPOINT_ZST).toString()).to.equal(CHECKPOINT);
  });

  it('turns a version-3 checkpoint into the UntypedDeployment `stack export` prints, copying `latest` byte for byte', () => {
    for (const bytes of [Buffer.from(CHECKPOINT), gzipSync(CHECKPOINT), CHECKPOINT_ZST]) {
      const state = readDiyState(bytes);
      expect(state.stack).to.equal('organization/shop/prod');
      expect(state.deployment!.toString()).to.equal(`{"version":3,"deployment":${LATEST}}`);
      expect(() => checkDeployment(state.deployment!)).not.to.throw();
    }
  });

  it('keeps the features of a version-4 checkpoint', () => {
    const state = readDiyState(Buffer.from(`{"version":4,"features":["refreshBeforeUpdate"],"checkpoint":{"stack":"s","latest":${LATEST}}}`));
    expect(JSON.parse(state.deployment!.toString())).to.deep.equal({ version: 4, features: ['refreshBeforeUpdate'], deployment: JSON.parse(LATEST) });
  });

  it('reads a checkpoint from before versioning as a version-1 deployment', () => {
    const state = readDiyState(Buffer.from(`{"stack":"dev","latest":${LATEST}}`));
    expect(state.stack).to.equal('dev');
    expect(state.deployment!.toString()).to.equal(`{"version":1,"deployment":${LATEST}}`);
  });

  it('has no deployment for a stack created but never given one', () => {
    expect(readDiyState(Buffer.from('{"version":3,"checkpoint":{"stack":"organization/shop/prod"}}'))).to.deep.equal({ stack: 'organization/shop/prod' });
    expect(readDiyState(Buffer.from('{"version":3,"checkpoint":{"latest":null}}')).deployment).to.equal(undefined);
  });

  it('refuses versions it does not know and malformed files', () => {
    expect(() => readDiyState(Buffer.from('{"version":5,"checkpoint":{}}'))).to.throw(DiyStateError, /version 5/);
    expect(() => readDiyState(Buffer.from('{"version":3,"checkpoint":"x"}'))).to.throw(DiyStateError);
    expect(() => readDiyState(Buffer.from('{"version":3,'))).to.throw(/malformed JSON/);
  });

  it('finds the project a legacy stack belongs to in its URNs (backend.go: guessProject)', () => {
    expect(projectOfDeployment(readDiyState(Buffer.from(CHECKPOINT)).deployment!)).to.equal('shop');
    expect(projectOfDeployment(Buffer.from('{"version":3,"deployment":{"resources":[]}}'))).to.equal(undefined);
    expect(projectOfDeployment(Buffer.from('{"version":3,"deployment":{}}'))).to.equal(undefined);
  });
});
