/**
 * The repository explains itself: a comment may cite a page of this repository (`docs/…`,
 * `README.md`) or a file of pulumi/pulumi, never a document that only some contributors have.
 * A cited page must exist, and so must the section it names — either as an anchor,
 * `docs/protocol.md#checkpoint-formats`, or as a quoted heading, `docs/design.md, "Delete"`
 * (a heading's trailing parenthetical may be left out: `"Commit"` names
 * `## Commit (complete, cancel, takeover, import)`).
 */
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SELF = relative(ROOT, fileURLToPath(import.meta.url));

/** What is scanned: every folder with code or comments (fixtures and benchmark results are data). */
const SCANNED = ['src', 'scripts', 'test', 'bench', 'Dockerfile', 'deploy'];
const SKIPPED = ['test/fixtures', 'bench/results', SELF];

/** Citations of documents outside the repository (built from parts so this file does not match). */
const FOREIGN: { pattern: RegExp; what: string }[] = [
  { pattern: new RegExp(`protocol (reference )?${'§'}`), what: 'the protocol reference outside the repository' },
  { pattern: new RegExp(`DESIGN(\\.md)? ?${'§'}|DESIGN\\.md`), what: 'the design brief outside the repository' },
  { pattern: new RegExp(`\\bseeds? 0\\d`), what: 'a seed document outside the repository' },
  { pattern: new RegExp(`shared${'/'}`), what: 'a path in the shared folder outside the repository' },
  { pattern: new RegExp(`\\(${'§'}\\d`), what: 'a bare section number of a document outside the repository' },
];

function filesUnder(path: string): string[] {
  const rel = relative(ROOT, path);
  if (SKIPPED.includes(rel) || !existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [rel];
  return readdirSync(path).flatMap((name) => (name === 'node_modules' ? [] : filesUnder(join(path, name))));
}

const scanned = SCANNED.flatMap((p) => filesUnder(join(ROOT, p)));

/** The text with comment continuations (`\n * `, `\n // `, `\n # `) joined, so a citation may wrap. */
function joined(text: string): string {
  return text.replace(/\s*\n\s*(?:\*(?!\/)|\/\/|#)?\s*/g, ' ');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

interface Page {
  headings: string[];
  anchors: Set<string>;
}

const pages = new Map<string, Page | undefined>();
function page(file: string): Page | undefined {
  if (!pages.has(file)) {
    const path = join(ROOT, file);
    if (!existsSync(path)) {
      pages.set(file, undefined);
    } else {
      const headings: string[] = [];
      const anchors = new Set<string>();
      let fenced = false;
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (line.startsWith('```')) fenced = !fenced;
        const m = !fenced && /^#{1,6} +(.+?) *#*$/.exec(line);
        if (!m) continue;
        const heading = m[1] as string;
        headings.push(heading);
        // Repeated headings get -1, -2 … as on GitHub.
        let anchor = slug(heading);
        for (let n = 1; anchors.has(anchor); n++) anchor = `${slug(heading)}-${n}`;
        anchors.add(anchor);
      }
      pages.set(file, { headings, anchors });
    }
  }
  return pages.get(file);
}

const withoutParenthetical = (heading: string) => heading.replace(/\s*\([^)]*\)$/, '');

/** Problems with the in-repository citations of one text; empty when all resolve. */
function citationProblems(text: string): string[] {
  const problems: string[] = [];
  const citation = /(?<![\w/.-])(docs\/[\w.-]+\.md|README\.md)(?:#([\w-]+)|, "([^"]+)"|(, [A-Z]))?/g;
  for (const m of joined(text).matchAll(citation)) {
    const [whole, file, anchor, heading, unquoted] = m as unknown as [string, string, string?, string?, string?];
    const target = page(file);
    if (!target) problems.push(`${whole}: ${file} does not exist`);
    else if (anchor && !target.anchors.has(anchor)) problems.push(`${whole}: ${file} has no heading with anchor #${anchor}`);
    else if (heading && !target.headings.some((h) => h === heading || withoutParenthetical(h) === heading)) {
      problems.push(`${whole}": ${file} has no heading "${heading}"`);
    } else if (unquoted) problems.push(`${whole}…: quote the heading, ${file}, "<Heading>"`);
  }
  return problems;
}

describe('documentation citations', () => {
  it('scans the source, scripts, every test folder, the benchmarks, Dockerfile and deploy/', () => {
    for (const file of ['src/http/app.ts', 'Dockerfile', 'test/checker/invariants.ts', 'test/e2e/journaling.test.ts', 'bench/cli/report.ts']) {
      expect(scanned).to.include(file);
    }
    expect(scanned.filter((f) => f.startsWith('test/fixtures/') || f.startsWith('bench/results/'))).to.deep.equal([]);
  });

  it('cites no document outside the repository', () => {
    const found: string[] = [];
    for (const file of scanned) {
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const { pattern, what } of FOREIGN) {
            if (pattern.test(line)) found.push(`${file}:${i + 1}: cites ${what}: ${line.trim()}`);
          }
        });
    }
    expect(found, 'cite docs/…, README.md or the pulumi/pulumi file instead').to.deep.equal([]);
  });

  it('cites only pages and sections that exist', () => {
    const found = scanned.flatMap((file) =>
      citationProblems(readFileSync(join(ROOT, file), 'utf8')).map((p) => `${file}: ${p}`),
    );
    expect(found).to.deep.equal([]);
  });

  it('cites something: the pages the code leans on are there', () => {
    const text = scanned.map((file) => readFileSync(join(ROOT, file), 'utf8')).join('\n');
    for (const cited of ['docs/protocol.md#', 'docs/design.md']) expect(text).to.include(cited);
  });

  it('tells a broken citation from a good one', () => {
    expect(citationProblems('see docs/protocol.md#checkpoint-formats')).to.deep.equal([]);
    expect(citationProblems('(docs/design.md, "Commit")')).to.deep.equal([]);
    expect(citationProblems('/**\n * (docs/design.md, "Updates and\n * leases")\n */')).to.deep.equal([]);
    expect(citationProblems('(README.md, "Bucket layout")')).to.deep.equal([]);
    expect(citationProblems('docs/protocol.md#no-such-section')).to.have.length(1);
    expect(citationProblems('(docs/design.md, "Leases")')).to.have.length(1);
    expect(citationProblems('(docs/layout.md)')).to.have.length(1);
    expect(citationProblems('(docs/design.md, Delete)')).to.have.length(1);
    expect(slug('Commit (complete, cancel, takeover, import)')).to.equal('commit-complete-cancel-takeover-import');
    expect(slug('`GET /api/user`')).to.equal('get-apiuser');
    const foreign = (line: string) => FOREIGN.some(({ pattern }) => pattern.test(line));
    expect(foreign(`(protocol ${'§'}5.3)`)).to.equal(true);
    expect(foreign(`(DESIGN ${'§'}7)`)).to.equal(true);
    expect(foreign(`(seed ${'0'}04)`)).to.equal(true);
    expect(foreign(`see ${'shared'}/DESIGN.md`)).to.equal(true);
    expect(foreign('prng(plan?.seed ?? 0)')).to.equal(false);
  });
});
