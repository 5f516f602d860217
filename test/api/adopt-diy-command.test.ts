/**
 * `fulmar adopt-diy` as a process on the embedded filesystem store: its command line, its exit
 * status, its table and its --json answer (the operation itself: adopt-diy.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runFulmar } from '../helpers/fulmar-process.js';
import type { AdoptReport } from '../../src/operations/adopt-diy.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'diy');

describe('fulmar adopt-diy (command)', function () {
  this.timeout(60_000);
  let dataDir: string;
  const fulmar = (...args: string[]) => runFulmar(args, { PATH: process.env.PATH ?? '', FULMAR_DATA_DIR: dataDir });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fulmar-adopt-cmd-'));
  });

  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('says how it is used (exit 2)', async () => {
    const noOrg = await fulmar('adopt-diy', join(FIXTURES, 'project'));
    expect(noOrg.code).to.equal(2);
    expect(noOrg.stderr).to.match(/--org ORG names the organization/);
    expect(noOrg.stderr).to.match(/usage: fulmar adopt-diy URL --org ORG \[--project NAME\] \[--dry-run\] \[--json\]/);
    const badOrg = await fulmar('adopt-diy', join(FIXTURES, 'project'), '--org', '-x');
    expect(badOrg.code).to.equal(2);
  });

  it('refuses an org that does not exist (exit 1), then adopts, reports, and adopts nothing again', async () => {
    const missing = await fulmar('adopt-diy', `file://${join(FIXTURES, 'project')}`, '--org', 'acme');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include("organization 'acme' does not exist; create it first: fulmar org create acme");
    expect((await fulmar('org', 'create', 'acme')).code).to.equal(0);

    const dry = await fulmar('adopt-diy', `file://${join(FIXTURES, 'project')}`, '--org', 'acme', '--dry-run');
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout).to.match(/alpha\/dev\s+acme\/alpha\/dev\s+would-adopt \(new stack\)\s+1–2/);
    expect(dry.stdout).to.match(/would adopt 2 stack\(s\), 0 skipped, 0 already up to date/);

    const done = await fulmar('adopt-diy', join(FIXTURES, 'project'), '--org', 'acme', '--json');
    expect(done.code, done.stderr).to.equal(0);
    const report = JSON.parse(done.stdout) as AdoptReport;
    expect(report.stacks.map((s) => [s.diy, s.outcome, s.versions])).to.deep.equal([
      ['alpha/dev', 'adopted', [1, 2]],
      ['beta/web', 'adopted', [1, 2]],
    ]);

    const again = await fulmar('adopt-diy', join(FIXTURES, 'project'), '--org', 'acme');
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/adopted 0 stack\(s\), 0 skipped, 2 already up to date/);
  });

  it('exits 1 when a stack is skipped, saying why', async () => {
    const legacy = await fulmar('adopt-diy', join(FIXTURES, 'legacy'), '--org', 'acme');
    expect(legacy.code).to.equal(1);
    expect(legacy.stdout).to.match(/fresh\s+-\s+skipped\s+-\s+a legacy-layout stack whose states name no project/);
    expect(legacy.stdout).to.match(/dev\s+acme\/legacyproj\/dev\s+adopted \(new stack\)\s+1–3/);
  });

  it('says so when the location holds no DIY backend', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'fulmar-not-diy-'));
    try {
      const r = await fulmar('adopt-diy', empty, '--org', 'acme');
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/no stacks found in the DIY backend/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
