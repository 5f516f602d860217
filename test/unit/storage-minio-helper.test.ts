import { expect } from 'chai';
import { ensureMinioBinary, MINIO_BINARY } from '../helpers/minio.js';

describe('MinIO test helper: a missing binary', function () {
  const missing = '/nonexistent/fulmar/.tools/bin/minio';
  const fakeContext = () => {
    const ctx = { skipped: false, skip: () => ((ctx.skipped = true) as never) };
    return ctx;
  };

  it('fails the suite when CI=true', function () {
    const ctx = fakeContext();
    expect(() => ensureMinioBinary(ctx, missing, { CI: 'true' })).to.throw(/must run on CI.*npm run tools/);
    expect(ctx.skipped).to.equal(false);
  });

  it('skips the suite with a printed reason elsewhere', function () {
    const ctx = fakeContext();
    const printed: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void printed.push(args.join(' '));
    try {
      ensureMinioBinary(ctx, missing, {});
    } finally {
      console.log = log;
    }
    expect(ctx.skipped).to.equal(true);
    expect(printed.join('\n')).to.match(/^skipping S3 suite: .*npm run tools/);
  });

  it('lets the suite run when the binary is there', function () {
    const ctx = fakeContext();
    ensureMinioBinary(ctx, process.execPath, { CI: 'true' });
    expect(ctx.skipped).to.equal(false);
    expect(MINIO_BINARY).to.match(/\.tools\/bin\/minio$/);
  });
});
