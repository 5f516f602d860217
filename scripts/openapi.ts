/**
 * Writes docs/openapi.json, the API document generated from the route table
 * (src/http/openapi.ts), so the committed copy cannot drift from the code.
 *
 *   npx tsx scripts/openapi.ts            print the document
 *   npx tsx scripts/openapi.ts --write    rewrite docs/openapi.json   (npm run openapi)
 *   npx tsx scripts/openapi.ts --check    exit 1 when docs/openapi.json is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { routeTable } from '../src/http/app.js';
import { openApiDocument } from '../src/http/openapi.js';
import { buildServices } from '../src/services/build-services.js';
import { MemoryStore } from '../src/storage/memory-store.js';

export const DOCUMENT_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'openapi.json');

/**
 * The document a pod with the default settings serves: its route table includes `/metrics`
 * (FULMAR_METRICS defaults to true). The services are never called: only the routes'
 * declarations are read.
 */
export function committedDocument(): string {
  const services = buildServices({
    store: new MemoryStore(),
    keyring: [{ id: 'doc', key: Buffer.alloc(32) }],
    logger: pino({ level: 'silent' }),
    metrics: { contentType: 'text/plain', render: async () => '' },
  });
  return `${JSON.stringify(openApiDocument(routeTable(services)), null, 2)}\n`;
}

function main(argv: string[]): number {
  const text = committedDocument();
  const mode = argv[0];
  if (mode === undefined) {
    process.stdout.write(text);
    return 0;
  }
  const current = (() => {
    try {
      return readFileSync(DOCUMENT_FILE, 'utf8');
    } catch {
      return '';
    }
  })();
  if (mode === '--check') {
    if (current === text) return 0;
    console.error('docs/openapi.json is out of date: run npm run openapi');
    return 1;
  }
  if (mode === '--write') {
    if (current !== text) writeFileSync(DOCUMENT_FILE, text);
    return 0;
  }
  console.error('usage: openapi.ts [--write|--check]');
  return 2;
}

// Run only as a script: the unit test imports committedDocument().
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
