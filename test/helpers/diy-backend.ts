/**
 * Hand-made pulumi DIY backends for the adopt-diy tests: the files pulumi v3.259.0 writes
 * (pkg/backend/diy: meta.yaml, stacks, history entries with their checkpoints, tags), in the
 * shapes the e2e suite sees the real CLI produce, written into a folder.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export type Compress = 'none' | 'gzip';

export interface DiyUpdateSpec {
  kind: string;
  message: string;
  result?: 'succeeded' | 'failed';
  /** Unix seconds. */
  startTime: number;
  /** Names of the resources the stack has after it, besides the stack resource; none at all when empty. */
  resources: string[];
  config?: Record<string, unknown>;
  /** No checkpoint file beside the entry (a copy the CLI failed to make). */
  noCheckpoint?: boolean;
}

export interface DiyStackSpec {
  /** Absent: the legacy layout. */
  project?: string;
  stack: string;
  compress?: Compress;
  history: DiyUpdateSpec[];
  /** The stack file's resources when they differ from the newest entry's (a `stack import` since). */
  current?: string[] | null;
  tags?: Record<string, string>;
}

/** The project whose URNs the resources carry in the legacy layout (it names none in paths). */
export const LEGACY_PROJECT = 'legacyproj';

export function deployment(project: string, stack: string, resources: string[]) {
  const urn = (type: string, name: string) => `urn:pulumi:${stack}::${project}::${type}::${name}`;
  const root = urn('pulumi:pulumi:Stack', `${project}-${stack}`);
  return {
    manifest: { time: '2024-05-01T10:00:00Z', magic: '', version: 'v3.259.0' },
    secrets_providers: { type: 'passphrase', state: { salt: 'v1:FkTLQoiHk7s=:v1:EzX7TQPV6/lH6o+v:SoAZAM6vvcIkuiIRt3xIyQZyGOLNCw==' } },
    // None at all after a destroy: the stack resource goes too.
    resources:
      resources.length === 0
        ? []
        : [
            { urn: root, custom: false, type: 'pulumi:pulumi:Stack' },
            ...resources.map((r) => ({ urn: urn('fulmar:test:Thing', r), custom: false, type: 'fulmar:test:Thing', parent: root })),
          ],
  };
}

/** What the CLI writes as a stack file (state.go: saveCheckpoint, compact JSON). */
export function checkpointFile(project: string | undefined, stack: string, resources: string[]): string {
  const qname = project === undefined ? stack : `organization/${project}/${stack}`;
  return JSON.stringify({ version: 3, checkpoint: { stack: qname, latest: deployment(project ?? LEGACY_PROJECT, stack, resources) } });
}

const encode = (text: string, compress: Compress) => (compress === 'gzip' ? gzipSync(text) : Buffer.from(text));

async function put(root: string, key: string, body: Buffer | string) {
  const path = join(root, ...key.split('/'));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, body);
}

/** Writes `.pulumi/meta.yaml` (the project layout) unless `legacy`. */
export async function writeMeta(root: string, legacy = false): Promise<void> {
  if (!legacy) await put(root, '.pulumi/meta.yaml', 'version: 1\n');
}

/** Writes one stack: its history entries (stem `<stack>-<nanos>`), checkpoints, stack file, backup, tags. */
export async function writeDiyStack(root: string, spec: DiyStackSpec): Promise<string[]> {
  const compress = spec.compress ?? 'none';
  const ext = compress === 'gzip' ? '.json.gz' : '.json';
  const base = spec.project === undefined ? spec.stack : `${spec.project}/${spec.stack}`;
  const stems: string[] = [];
  for (const u of spec.history) {
    const stem = `${spec.stack}-${u.startTime}000000000`;
    stems.push(stem);
    const info = {
      kind: u.kind,
      startTime: u.startTime,
      message: u.message,
      environment: { 'exec.kind': 'cli' },
      config: u.config ?? {},
      version: 0,
      result: u.result ?? 'succeeded',
      endTime: u.startTime + 5,
      resourceChanges: { same: 1 },
    };
    await put(root, `.pulumi/history/${base}/${stem}.history${ext}`, encode(JSON.stringify(info), compress));
    if (!u.noCheckpoint) {
      await put(root, `.pulumi/history/${base}/${stem}.checkpoint${ext}`, encode(checkpointFile(spec.project, spec.stack, u.resources), compress));
    }
  }
  const newest = spec.history.at(-1)?.resources ?? [];
  if (spec.current !== null) {
    await put(root, `.pulumi/stacks/${base}${ext}`, encode(checkpointFile(spec.project, spec.stack, spec.current ?? newest), compress));
    // The CLI's backup of the file before the last write (state.go: backupTarget): never a stack.
    await put(root, `.pulumi/stacks/${base}${ext}.bak`, encode(checkpointFile(spec.project, spec.stack, []), compress));
  }
  if (spec.tags) await put(root, `.pulumi/stacks/${base}.pulumi-tags`, JSON.stringify({ version: 1, tags: spec.tags }));
  return stems;
}
