/**
 * The version of Fulmar that is running, from its package.json (one folder above both src/ and
 * dist/, and copied beside dist/ in the image — see the Dockerfile). Recorded where a later
 * reader needs to know what wrote something, e.g. a backup's manifest.
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function fulmarVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      cached = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
