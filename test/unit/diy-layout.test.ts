import { expect } from 'chai';
import {
  DiyLayoutError,
  historyEntries,
  historyPrefix,
  layoutOf,
  lockPrefix,
  parseMetaVersion,
  pickStackFiles,
  stackFileOf,
  tagsKey,
} from '../../src/domain/diy-layout.js';

describe('DIY layout (pkg/backend/diy at v3.259.0)', () => {
  describe('meta.yaml and the choice of layout', () => {
    it('reads the version the CLI writes', () => {
      expect(parseMetaVersion('version: 1\n')).to.equal(1);
      expect(parseMetaVersion('# written by pulumi\nversion: 0\n')).to.equal(0);
    });

    it('refuses a meta.yaml without a version, as the CLI does (a corrupt store)', () => {
      expect(() => parseMetaVersion('')).to.throw(DiyLayoutError, /no version/);
    });

    it('picks the layout as the CLI does: version 0 legacy, 1 project; without meta.yaml legacy only when legacy files exist', () => {
      expect(layoutOf(0, false)).to.equal('legacy');
      expect(layoutOf(1, true)).to.equal('project');
      expect(layoutOf(undefined, true)).to.equal('legacy');
      expect(layoutOf(undefined, false)).to.equal('project');
      expect(() => layoutOf(2, false)).to.throw(DiyLayoutError, /version 2/);
    });
  });

  describe('stack files', () => {
    it('reads project-layout names: .pulumi/stacks/<project>/<stack>.json, .json.gz and .json.zst', () => {
      expect(stackFileOf('.pulumi/stacks/shop/dev.json', 'project')).to.deep.equal({
        project: 'shop',
        stack: 'dev',
        key: '.pulumi/stacks/shop/dev.json',
        format: 'json',
        compression: 'none',
      });
      expect(stackFileOf('.pulumi/stacks/shop/dev.json.gz', 'project')).to.include({ stack: 'dev', compression: 'gzip' });
      expect(stackFileOf('.pulumi/stacks/shop/prod.v2.json.zst', 'project')).to.include({ stack: 'prod.v2', compression: 'zstd' });
    });

    it('reads legacy names: .pulumi/stacks/<stack>.json, with no project', () => {
      const file = stackFileOf('.pulumi/stacks/dev.json.gz', 'legacy');
      expect(file).to.deep.equal({ stack: 'dev', key: '.pulumi/stacks/dev.json.gz', format: 'json', compression: 'gzip' });
      expect(file).not.to.have.property('project');
    });

    it('ignores what is no stack file: backups, tags, the fileblob .attrs sidecars, wrong depths', () => {
      for (const key of [
        '.pulumi/stacks/shop/dev.json.bak',
        '.pulumi/stacks/shop/dev.pulumi-tags',
        '.pulumi/stacks/shop/dev.json.attrs',
        '.pulumi/stacks/shop/dev.json.gz.bak',
        '.pulumi/stacks/dev.json',
        '.pulumi/stacks/a/b/dev.json',
        '.pulumi/stacks/shop/dev',
        '.pulumi/stacks/shop/d ev.json',
        '.pulumi/history/shop/dev/dev-1.history.json',
      ]) {
        expect(stackFileOf(key, 'project'), key).to.equal(undefined);
      }
      expect(stackFileOf('.pulumi/stacks/shop/dev.json', 'legacy')).to.equal(undefined);
      expect(stackFileOf('.pulumi/stacks/dev.json.bak', 'legacy')).to.equal(undefined);
    });

    it('knows YAML stack files, which the CLI would read, so they can be reported', () => {
      expect(stackFileOf('.pulumi/stacks/shop/dev.yaml', 'project')).to.include({ format: 'yaml', stack: 'dev' });
    });

    it('picks the newest of a stack\'s variants, the later one in key order on a tie (state.go: stackPath)', () => {
      const at = (key: string, ms: number) => ({ ...stackFileOf(key, 'project')!, lastModified: new Date(ms) });
      const picked = pickStackFiles([
        at('.pulumi/stacks/shop/dev.json', 2000),
        at('.pulumi/stacks/shop/dev.json.gz', 1000),
        at('.pulumi/stacks/shop/prod.json', 1000),
        at('.pulumi/stacks/shop/prod.json.gz', 1000),
        at('.pulumi/stacks/shop/prod.json.zst', 1000),
      ]);
      expect(picked.map((f) => f.key)).to.deep.equal(['.pulumi/stacks/shop/dev.json', '.pulumi/stacks/shop/prod.json.zst']);
    });
  });

  describe('history, tags and locks', () => {
    it('names the folders of both layouts', () => {
      expect(historyPrefix({ project: 'shop', stack: 'dev' })).to.equal('.pulumi/history/shop/dev/');
      expect(historyPrefix({ stack: 'dev' })).to.equal('.pulumi/history/dev/');
      expect(tagsKey({ project: 'shop', stack: 'dev' })).to.equal('.pulumi/stacks/shop/dev.pulumi-tags');
      expect(tagsKey({ stack: 'dev' })).to.equal('.pulumi/stacks/dev.pulumi-tags');
      expect(lockPrefix({ project: 'shop', stack: 'dev' })).to.equal('.pulumi/locks/organization/shop/dev/');
      expect(lockPrefix({ stack: 'dev' })).to.equal('.pulumi/locks/dev/');
    });

    it('pairs each history entry with its checkpoint, oldest first, whatever the compression', () => {
      const p = '.pulumi/history/shop/dev/';
      const entries = historyEntries(
        [
          `${p}dev-1714557600000000001.checkpoint.json`,
          `${p}dev-1714557600000000001.checkpoint.json.attrs`,
          `${p}dev-1714557600000000001.history.json`,
          `${p}dev-1714557700000000002.checkpoint.json.gz`,
          `${p}dev-1714557700000000002.history.json.gz`,
          `${p}dev-1714557800000000003.history.json.zst`,
          `${p}dev-1714557800000000003.checkpoint.json.zst`,
          `${p}dev-1714557900000000004.history.json`,
          `${p}notes.txt`,
        ],
        p,
      );
      expect(entries).to.deep.equal([
        { stem: 'dev-1714557600000000001', historyKey: `${p}dev-1714557600000000001.history.json`, checkpointKey: `${p}dev-1714557600000000001.checkpoint.json` },
        { stem: 'dev-1714557700000000002', historyKey: `${p}dev-1714557700000000002.history.json.gz`, checkpointKey: `${p}dev-1714557700000000002.checkpoint.json.gz` },
        { stem: 'dev-1714557800000000003', historyKey: `${p}dev-1714557800000000003.history.json.zst`, checkpointKey: `${p}dev-1714557800000000003.checkpoint.json.zst` },
        // The CLI writes the entry first, then copies the stack file; a failed copy leaves it alone.
        { stem: 'dev-1714557900000000004', historyKey: `${p}dev-1714557900000000004.history.json` },
      ]);
    });
  });
});
