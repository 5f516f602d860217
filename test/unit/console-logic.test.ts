/**
 * The web console's pure logic (console/src): the version diff, the resource tree behind the
 * virtualised list, engine events as log lines, secret masking, and the post-sign-in redirect.
 * The pages themselves are tested in a real browser (test/console/).
 */
import { expect } from 'chai';
import type { Resource } from '../../console/src/api.js';
import { diffDeployments } from '../../console/src/diff.js';
import { buildTree, urnName, visibleRows } from '../../console/src/tree.js';
import { formatEvent, stripColor } from '../../console/src/events.js';
import { collectCiphertexts, fromBase64, MASK, presentValue, SECRET_SIG, SIG_KEY } from '../../console/src/secrets.js';
import { safeNext } from '../../console/src/next.js';

const urn = (name: string, type = 'my:index:Thing') => `urn:pulumi:dev::proj::${type}::${name}`;
const res = (name: string, extra: Partial<Resource> = {}): Resource => ({ urn: urn(name), type: 'my:index:Thing', ...extra });

describe('console: version diff', () => {
  it('reports added, removed and changed resources, each change at its smallest path', () => {
    const before = [res('a', { inputs: { size: 'small', tags: { env: 'dev' } } }), res('gone'), res('same', { inputs: { x: 1 } })];
    const after = [res('a', { inputs: { size: 'large', tags: { env: 'dev', team: 'web' } } }), res('new'), res('same', { inputs: { x: 1 } })];
    const diff = diffDeployments(before, after);
    expect(diff.map((d) => [urnName(d.urn), d.kind])).to.deep.equal([
      ['a', 'changed'],
      ['new', 'added'],
      ['gone', 'removed'],
    ]);
    expect(diff[0]?.changes).to.deep.equal([
      { path: 'inputs.size', before: 'small', after: 'large' },
      { path: 'inputs.tags.team', before: undefined, after: 'web' },
    ]);
  });

  it('compares arrays element by element when their lengths match, whole otherwise', () => {
    const [d1] = diffDeployments([res('a', { inputs: { ports: [80, 443] } })], [res('a', { inputs: { ports: [80, 8443] } })]);
    expect(d1?.changes).to.deep.equal([{ path: 'inputs.ports[1]', before: 443, after: 8443 }]);
    const [d2] = diffDeployments([res('a', { inputs: { ports: [80] } })], [res('a', { inputs: { ports: [80, 443] } })]);
    expect(d2?.changes).to.deep.equal([{ path: 'inputs.ports', before: [80], after: [80, 443] }]);
  });
});

describe('console: resource tree', () => {
  const root = res('root', { type: 'pulumi:pulumi:Stack' });
  const kids = [res('k1', { parent: root.urn }), res('k2', { parent: root.urn }), res('g1', { parent: urn('k1') })];

  it('nests children under their parent, in state order, with depths', () => {
    const rows = visibleRows(buildTree([root, ...kids]), new Set());
    expect(rows.map((r) => [urnName(r.resource.urn), r.depth, r.hasChildren])).to.deep.equal([
      ['root', 0, true],
      ['k1', 1, true],
      ['g1', 2, false],
      ['k2', 1, false],
    ]);
  });

  it('hides a collapsed subtree, and filters by name or type', () => {
    const tree = buildTree([root, ...kids]);
    expect(visibleRows(tree, new Set([urn('k1')])).map((r) => urnName(r.resource.urn))).to.deep.equal(['root', 'k1', 'k2']);
    expect(visibleRows(tree, new Set([root.urn]), 'g1').map((r) => urnName(r.resource.urn))).to.deep.equal(['g1']);
  });

  it('makes a root of a resource whose parent is missing or itself, and survives a 5,000-deep chain', () => {
    const orphan = res('orphan', { parent: urn('nowhere') });
    const selfish = res('selfish', { parent: urn('selfish') });
    expect(buildTree([orphan, selfish]).roots).to.have.length(2);
    const chain: Resource[] = [res('c0')];
    for (let i = 1; i < 5000; i++) chain.push(res(`c${i}`, { parent: urn(`c${i - 1}`) }));
    const rows = visibleRows(buildTree(chain), new Set());
    expect(rows).to.have.length(5000);
    expect(rows[4999]?.depth).to.equal(4999);
  });

  it('takes the name from a URN whose name contains ::', () => {
    expect(urnName('urn:pulumi:dev::proj::a:b:C::name::with::colons')).to.equal('name::with::colons');
  });
});

describe('console: engine events as log lines', () => {
  it('strips Pulumi colour markup and ANSI escapes', () => {
    expect(stripColor('<{%fg 2%}>ok<{%reset%}> \u001b[31mred\u001b[0m')).to.equal('ok red');
  });

  it('formats diagnostics, steps and the summary; skips unchanged steps', () => {
    const at = { sequence: 1, timestamp: 2 };
    expect(formatEvent({ ...at, diagnosticEvent: { severity: 'error', message: 'boom\n', urn: urn('db') } })).to.include({
      level: 'error',
      text: 'error: db: boom',
    });
    expect(formatEvent({ ...at, resourcePreEvent: { metadata: { op: 'create', urn: urn('db'), type: 't:x:Y' } } })?.text).to.equal(
      'creating t:x:Y db',
    );
    expect(formatEvent({ ...at, resourcePreEvent: { metadata: { op: 'same', urn: urn('db'), type: 't' } } })).to.equal(undefined);
    expect(formatEvent({ ...at, summaryEvent: { resourceChanges: { create: 2 }, durationSeconds: 3 } })?.text).to.equal(
      'Resources: 2 create. Duration: 3s',
    );
    expect(formatEvent({ ...at, somethingNew: {} })).to.equal(undefined);
  });
});

describe('console: secrets', () => {
  const secret = { [SIG_KEY]: SECRET_SIG, ciphertext: 'Y2lwaGVy' };

  it('masks every secret, deep inside a value, until its ciphertext is revealed', () => {
    const outputs = { plain: 'x', nested: { list: [secret] } };
    expect(presentValue(outputs)).to.deep.equal({ plain: 'x', nested: { list: [MASK] } });
    expect([...collectCiphertexts(outputs)]).to.deep.equal(['Y2lwaGVy']);
    // The plaintext is the JSON of the value.
    expect(presentValue(outputs, new Map([['Y2lwaGVy', '{"user":"u"}']]))).to.deep.equal({ plain: 'x', nested: { list: [{ user: 'u' }] } });
  });

  it('decodes base64 as UTF-8', () => {
    expect(fromBase64(Buffer.from('"héllo ✓"').toString('base64'))).to.equal('"héllo ✓"');
  });
});

describe('console: the page after sign-in', () => {
  it('is a path on this origin, never another host', () => {
    expect(safeNext('/acme/web/prod?x=1')).to.equal('/acme/web/prod?x=1');
    for (const bad of [null, '', 'https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      expect(safeNext(bad), String(bad)).to.equal('/');
    }
  });
});
