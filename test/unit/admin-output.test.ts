/** Where admin commands' words go (src/admin/output.ts): answer on stdout, notes and progress on stderr. */
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { createOutput } from '../../src/admin/output.js';

function streams(tty: boolean) {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: tty, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { stdout, stderr, text: () => ({ out, err }) };
}

describe('admin command output', () => {
  it('prints lines for people, and only the one JSON document with --json', () => {
    const plain = streams(false);
    const o = createOutput(false, plain);
    o.line('created');
    o.result({ ignored: true });
    o.note('a note');
    expect(plain.text()).to.deep.equal({ out: 'created\n', err: 'a note\n' });

    const json = streams(false);
    const j = createOutput(true, json);
    j.line('not for scripts');
    j.result({ id: 1 });
    j.note('still a note');
    expect(JSON.parse(json.text().out)).to.deep.equal({ id: 1 });
    expect(json.text().err).to.equal('still a note\n');
  });

  it('prints plain progress lines off a terminal: one per phase, with counts and totals', () => {
    const s = streams(false);
    const p = createOutput(false, { ...s, plainEveryMs: 60_000 }).progress;
    p.phase('reading registers', 3);
    p.tick();
    p.tick(2);
    p.phase('copying objects');
    p.tick(5, 7);
    p.done();
    const lines = s.text().err.trim().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(/^reading registers: 3\/3 \(\d+\.\d s\)$/);
    expect(lines[1]).to.match(/^copying objects: 5\/7 \(\d+\.\d s\)$/);
    expect(s.text().out).to.equal('');
  });

  it('draws a bar with counts and ETA on a terminal, on stderr only', () => {
    const s = streams(true);
    const p = createOutput(false, s).progress;
    p.phase('verifying', 4);
    p.tick(2);
    p.done();
    const { out, err } = s.text();
    expect(out).to.equal('');
    expect(err).to.contain('verifying');
    expect(err).to.match(/2\/4 \| ETA /);
  });
});
