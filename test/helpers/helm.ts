/**
 * helm (built by `npm run tools` into .tools/bin/helm, from the Go module proxy) for the tests of
 * the chart in deploy/helm/fulmar: `helm lint` and `helm template`, run with no cluster and with
 * helm's own folders in a temp directory, so a developer's helm setup never changes a result.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from './pods.js';

export const HELM_BINARY = join(repoRoot, '.tools', 'bin', 'helm');
export const CHART_DIR = join(repoRoot, 'deploy', 'helm', 'fulmar');

/** For a `before` hook: fail in CI without helm; elsewhere skip with the reason printed. */
export function ensureHelmBinary(ctx: Mocha.Context, binary = HELM_BINARY): void {
  if (existsSync(binary)) return;
  const why = `${binary} is missing; build it with \`npm run tools\` (or scripts/install-tools.sh helm)`;
  if (process.env.CI === 'true') throw new Error(`helm chart: ${why}`);
  console.log(`skipping the Helm chart suite: ${why}`);
  ctx.skip();
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

let home: string | undefined;

/** Runs helm with the given arguments; never throws for a non-zero exit (the code says it). */
export function helm(args: string[]): Promise<HelmResult> {
  if (!home) {
    const dir = mkdtempSync(join(tmpdir(), 'fulmar-helm-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    home = dir;
  }
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    // No cluster: a command that tried to reach one would fail instead of touching a real one.
    KUBECONFIG: join(home, 'no-kubeconfig'),
  };
  return new Promise((resolve, reject) => {
    execFile(HELM_BINARY, args, { env, encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** A Kubernetes object as the tests read it: loosely typed, reached into with `dig`. */
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> } } & Record<string, unknown>;

/** `helm template` of the chart with the given flags, parsed; throws with helm's stderr on failure. */
export async function renderChart(flags: string[], release = 'fulmar'): Promise<Manifest[]> {
  const r = await helm(['template', release, CHART_DIR, '--namespace', 'state', ...flags]);
  if (r.code !== 0) throw new Error(`helm template failed (exit ${r.code}):\n${r.stderr}`);
  return parseManifests(r.stdout);
}

/** Every document of a multi-document YAML stream, empty ones dropped; a YAML error throws. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${doc.errors[0]?.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

/** The value at a path of keys and indexes, or undefined when any step is missing. */
export function dig(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}
