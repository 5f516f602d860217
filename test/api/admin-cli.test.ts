/**
 * The admin subcommands as a person or a script runs them (src/cli.ts, src/admin): the help that
 * lists them, `--json` answers, and exit status 0 / 1 (refused) / 2 (a bad command line).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runFulmar } from '../helpers/fulmar-process.js';

describe('fulmar admin commands (process)', function () {
  // Each command is a fresh process compiling the CLI with tsx: seconds each, more on a loaded machine.
  this.timeout(300_000);
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fulmar-admin-cli-'));
    env = { PATH: process.env.PATH ?? '', FULMAR_DATA_DIR: dir, FULMAR_LOG_LEVEL: 'warn' };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('lists every command in help', async () => {
    const { code, stdout } = await runFulmar(['help'], env);
    expect(code).to.equal(0);
    for (const c of ['leases ls', 'leases break ORG/PROJECT/STACK', 'rollback ORG/PROJECT/STACK --to N', 'member set ORG LOGIN', 'member rm ORG LOGIN', 'token ls --user LOGIN', 'org create NAME']) {
      expect(stdout).to.contain(`fulmar ${c}`);
    }
  });

  it('manages members with plain and --json answers', async () => {
    expect((await runFulmar(['org', 'create', 'acme'], env)).code).to.equal(0);
    const set = await runFulmar(['member', 'set', 'acme', 'alice', 'member', '--json'], env);
    expect(set.code, set.stderr).to.equal(0);
    expect(JSON.parse(set.stdout)).to.deep.include({ role: 'member', organization: 'acme' });
    const listed = await runFulmar(['member', 'ls', 'acme', '--json'], env);
    expect(JSON.parse(listed.stdout).map((m: { user: { githubLogin: string }; role: string }) => [m.user.githubLogin, m.role])).to.deep.equal([['alice', 'member']]);
    const plain = await runFulmar(['member', 'ls', 'acme'], env);
    expect(plain.stdout).to.match(/^LOGIN\s+ROLE\nalice\s+member\n$/);
    const removed = await runFulmar(['member', 'rm', 'acme', 'alice'], env);
    expect(removed).to.include({ code: 0, stdout: "'alice' is no longer a member of 'acme'\n" });
    const again = await runFulmar(['member', 'rm', 'acme', 'alice'], env);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain("fulmar member rm: user 'alice' is not a member of 'acme'");
    const noOrg = await runFulmar(['member', 'set', 'nowhere', 'bob', 'viewer'], env);
    expect(noOrg.code).to.equal(1);
    expect(noOrg.stderr).to.contain("there is no organization 'nowhere'");
  });

  it('answers leases ls with an empty list, and token ls like token list', async () => {
    const leases = await runFulmar(['leases', 'ls', '--json'], env);
    expect(leases.code, leases.stderr).to.equal(0);
    expect(JSON.parse(leases.stdout)).to.deep.equal([]);
    await runFulmar(['token', 'create', '--user', 'carol', '--name', 'ci'], env);
    const ls = await runFulmar(['token', 'ls', '--user', 'carol', '--json'], env);
    expect(JSON.parse(ls.stdout).map((t: { description: string }) => t.description)).to.deep.equal(['ci']);
    const list = await runFulmar(['token', 'list', '--user', 'carol'], env);
    expect(list.stdout).to.match(/^ID\s+CREATED\s+EXPIRES\s+NAME\n\S+\s+\S+Z\s+never\s+ci\n$/);
  });

  it('says what is wrong with a command line, with exit status 2', async () => {
    const cases: [string[], string][] = [
      [['rollback', 'acme/p/dev'], '--to takes a version number'],
      [['rollback', 'acme/p', '--to', '1'], 'name the stack as ORG/PROJECT/STACK'],
      [['leases', 'break'], 'break takes ORG/PROJECT/STACK'],
      [['leases', 'frob'], "unknown leases command 'frob'; one of: ls, break"],
      [['member', 'set', 'acme', 'bob', 'owner'], 'the role is one of viewer, member, admin'],
      [['leases', 'ls', '--nope'], "Unknown option '--nope'"],
    ];
    for (const [args, message] of cases) {
      const got = await runFulmar(args, env);
      expect(got.code, `${args.join(' ')}: ${got.stderr}`).to.equal(2);
      expect(got.stderr).to.contain(message);
    }
  });

  it('refuses a rollback of a stack that does not exist, with exit status 1', async () => {
    const got = await runFulmar(['rollback', 'acme/p/dev', '--to', '1'], env);
    expect(got.code).to.equal(1);
    expect(got.stderr).to.contain("fulmar rollback: stack 'acme/p/dev' not found");
  });
});
