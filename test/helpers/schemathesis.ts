/**
 * schemathesis, the API fuzzer (installed by `npm run tools` into .tools/schemathesis, pinned in
 * scripts/schemathesis-requirements.txt): finding it, and reading its JUnit report — one test
 * case per operation.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './pods.js';

export const SCHEMATHESIS_BINARY = join(repoRoot, '.tools', 'bin', 'schemathesis');

/** For a `before` hook: fail in CI without schemathesis; elsewhere skip with the reason printed. */
export function ensureSchemathesis(ctx: Mocha.Context): void {
  if (existsSync(SCHEMATHESIS_BINARY)) return;
  const why = `${SCHEMATHESIS_BINARY} is missing; install it with \`npm run tools\` (or scripts/install-tools.sh schemathesis)`;
  if (process.env.CI === 'true') throw new Error(`api-fuzz: ${why}`);
  console.log(`skipping the API fuzz suite: ${why}`);
  ctx.skip();
}

export interface OperationResult {
  /** `GET /api/stacks/{org}/…`, as schemathesis names it. */
  name: string;
  /** The text of each failure or error schemathesis reported for it. */
  problems: string[];
  skipped: boolean;
}

/** The operations of a JUnit report (schemathesis writes one <testcase> per operation). */
export function parseJunit(xml: string): Map<string, OperationResult> {
  const results = new Map<string, OperationResult>();
  const testcase = /<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const [, attrs = '', body = ''] of xml.matchAll(testcase)) {
    const name = unescapeXml(/\bname="([^"]*)"/.exec(attrs)?.[1] ?? '');
    const problems = [...body.matchAll(/<(failure|error)\b[^>]*>([\s\S]*?)<\/\1>/g)].map((m) => unescapeXml(m[2] ?? ''));
    for (const m of body.matchAll(/<(failure|error)\b([^>]*?)\/>/g)) problems.push(unescapeXml(/message="([^"]*)"/.exec(m[2] ?? '')?.[1] ?? m[1] ?? ''));
    results.set(name, { name, problems, skipped: /<skipped\b/.test(body) });
  }
  return results;
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}
