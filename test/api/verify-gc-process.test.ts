/**
 * `fulmar verify` and `fulmar gc` as processes on a filesystem data folder (docs/operating.md,
 * "Verify", "Retention (gc)"): what they print and their exit status — 0 clean, 1 problems
 * found, 2 a bad command line.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { expect } from 'chai';
import { runFulmar, serveFulmar } from '../helpers/fulmar-process.js';
import { deployment } from '../helpers/api.js';

const TOKEN = 'verify-gc-process-admin-token';

describe('fulmar verify and gc as processes', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fulmar-verify-'));
    // Three versions of one stack, written by a pod that then stops (the folder serves one process).
    const pod = serveFulmar({ PATH: process.env.PATH ?? '', FULMAR_DATA_DIR: dir, FULMAR_ADMIN_TOKEN: TOKEN });
    const base = await pod.url;
    const call = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { Authorization: `token ${TOKEN}`, 'Content-Type': 'application/json', Accept: 'application/vnd.pulumi+8' },
        body: JSON.stringify(body),
      });
      expect(res.status, await res.clone().text()).to.be.oneOf([200, 201, 204]);
    };
    await call('POST', '/api/orgs', { name: 'acme' });
    await call('POST', '/api/stacks/acme/p', { stackName: 'dev' });
    for (const marker of ['one', 'two', 'three']) await call('POST', '/api/stacks/acme/p/dev/import', deployment('p', 'dev', 2, marker));
    pod.child.kill('SIGTERM');
    await once(pod.child, 'exit');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const fulmar = (...args: string[]) => runFulmar(args, { PATH: process.env.PATH ?? '', FULMAR_DATA_DIR: dir });

  it('verify: exit 0 and a summary on a sound folder', async () => {
    const clean = await fulmar('verify');
    expect(clean.code, clean.stderr).to.equal(0);
    expect(clean.stdout).to.match(/^no problems in 1 stack \(\d+ objects\)\n$/);
    const json = await fulmar('verify', 'acme', '--json');
    expect(json.code).to.equal(0);
    expect(JSON.parse(json.stdout)).to.deep.include({ problems: [], stacks: 1 });
  });

  it('gc --dry-run --json: what would go, nothing gone; a bad option is exit 2', async () => {
    const planned = await fulmar('gc', '--keep-versions', '1', '--dry-run', '--json');
    expect(planned.code, planned.stderr).to.equal(0);
    const report = JSON.parse(planned.stdout);
    expect(report).to.deep.include({ dryRun: true, stacks: 1, rule: { keepVersions: 1 } });
    expect(report.pruned).to.deep.equal([{ stack: 'acme/p/dev', from: 1, to: 2, retainedFrom: 3, latest: 3 }]);
    expect(report.freed.versions.objects).to.equal(2);
    const register = JSON.parse(await readFile(join(dir, 'objects', 'acme', 'p', 'dev', 'meta.json'), 'utf8'));
    expect(register.retainedFrom).to.equal(undefined);
    const bad = await fulmar('gc', '--keep-versions', 'two');
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('--keep-versions takes a whole number');
  });

  it('verify: exit 1 naming the key of a missing checkpoint; gc prunes and verify is clean again', async () => {
    const register = JSON.parse(await readFile(join(dir, 'objects', 'acme', 'p', 'dev', 'meta.json'), 'utf8'));
    const key = `acme/p/dev/i/${register.incarnation}/checkpoints/0000000002.json`;
    await rm(join(dir, 'objects', ...key.split('/')));
    const broken = await fulmar('verify');
    expect(broken.code, broken.stderr).to.equal(1);
    expect(broken.stdout.split('\n')[0]).to.equal(
      `checkpoint-missing  ${key}  version 2 is committed but its deployment is not in the bucket: exports of it fail; restore the object from a backup`,
    );
    expect(broken.stdout).to.contain('1 problem in 1 stack');
    const json = JSON.parse((await fulmar('verify', '--json')).stdout);
    expect(json.problems).to.deep.equal([
      { kind: 'checkpoint-missing', key, stack: 'acme/p/dev', message: 'version 2 is committed but its deployment is not in the bucket: exports of it fail; restore the object from a backup' },
    ]);

    const pruned = await fulmar('gc', '--keep-versions', '1');
    expect(pruned.code, pruned.stderr).to.equal(0);
    expect(pruned.stdout).to.contain('acme/p/dev: removed version 1 (keeping version 3; the history lists them all)');
    expect(pruned.stdout).to.match(/^versions +1 +\d+ B$/m);
    expect(pruned.stdout).to.match(/^freed 1 object, \d+ B in 1 stack\n$/m);
    expect((await fulmar('verify')).code).to.equal(0);
  });
});
