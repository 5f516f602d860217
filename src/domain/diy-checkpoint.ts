/**
 * A DIY stack file (or a history checkpoint, a byte copy of one) turned into the deployment
 * Fulmar stores — what `pulumi stack export` prints for it.
 *
 * The file is a VersionedCheckpoint `{"version":N,"features":[…],"checkpoint":{"stack","config",
 * "latest"}}`, gzip- or zstd-compressed or plain whatever its name says: the CLI tells by the
 * first bytes (sdk/go/common/encoding/marshal.go: DetectCompression), and so do we. Files from
 * before versioning have no `version` and are the checkpoint itself (pkg/resource/stack/
 * checkpoint.go: UnmarshalVersionedCheckpointToLatestCheckpoint, case 0). The deployment is the
 * checkpoint's `latest`, of the same schema version as the checkpoint (1–3; 4 adds `features`),
 * and 1 for the unversioned files — the UntypedDeployment of the CLI's ExportDeployment
 * (pkg/backend/diy/backend.go). Its bytes are copied as they are, never parsed and re-encoded.
 */
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { topLevelValueSpans, type ByteSpan } from './raw-json.js';
import { MAX_DEPLOYMENT_DEPTH } from './deployment-check.js';
import type { Compression } from './diy-layout.js';

const GZIP_MAGIC = [0x1f, 0x8b, 0x08];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const NULL = Buffer.from('null');

export class DiyStateError extends Error {
  override readonly name = 'DiyStateError';
}

const startsWith = (bytes: Buffer, magic: number[]) => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

export function compressionOf(bytes: Buffer): Compression {
  if (startsWith(bytes, GZIP_MAGIC)) return 'gzip';
  if (startsWith(bytes, ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/** The JSON inside a state file, whichever compression it was written with. */
export function inflate(bytes: Buffer): Buffer {
  switch (compressionOf(bytes)) {
    case 'gzip':
      return gunzipSync(bytes);
    case 'zstd':
      // Node 20's zlib has no zstd; fzstd is a small pure-JS decoder (decompression only).
      return Buffer.from(zstdDecompress(bytes));
    default:
      return bytes;
  }
}

export interface DiyState {
  /** `checkpoint.stack` as the CLI wrote it (`organization/<project>/<stack>`, or `<stack>`). */
  stack?: string;
  /** The UntypedDeployment bytes; absent for a stack created but never given a deployment. */
  deployment?: Buffer;
}

/** Reads a stack file's bytes (compressed or not) into the deployment it holds. */
export function readDiyState(bytes: Buffer): DiyState {
  const doc = inflate(bytes);
  const spans = topLevelValueSpans(doc, ['version', 'features', 'checkpoint', 'stack', 'latest'], MAX_DEPLOYMENT_DEPTH);
  const versionSpan = spans.get('version');
  const version = versionSpan ? Number(doc.toString('latin1', versionSpan.start, versionSpan.end)) : 0;
  if (!Number.isInteger(version) || version < 0 || version > 4) {
    throw new DiyStateError(`unsupported checkpoint version ${versionSpan ? doc.toString('latin1', versionSpan.start, versionSpan.end) : '?'}`);
  }
  let body = doc;
  let inner = spans;
  if (version > 0) {
    const checkpoint = spans.get('checkpoint');
    if (!checkpoint || doc[checkpoint.start] !== 0x7b) throw new DiyStateError('the checkpoint is not a JSON object');
    body = doc.subarray(checkpoint.start, checkpoint.end);
    inner = topLevelValueSpans(body, ['stack', 'latest'], MAX_DEPLOYMENT_DEPTH);
  }
  const stack = stringAt(body, inner.get('stack'));
  const latest = inner.get('latest');
  const features = version === 4 ? spans.get('features') : undefined;
  if (!latest || body.subarray(latest.start, latest.end).equals(NULL)) return { ...(stack !== undefined && { stack }) };
  if (body[latest.start] !== 0x7b) throw new DiyStateError('the checkpoint\'s "latest" is not a JSON object');
  const deployment = Buffer.concat([
    Buffer.from(`{"version":${version === 0 ? 1 : version},`),
    ...(features ? [Buffer.from('"features":'), doc.subarray(features.start, features.end), Buffer.from(',')] : []),
    Buffer.from('"deployment":'),
    body.subarray(latest.start, latest.end),
    Buffer.from('}'),
  ]);
  return { ...(stack !== undefined && { stack }), deployment };
}

function stringAt(buf: Buffer, span: ByteSpan | undefined): string | undefined {
  if (!span || buf[span.start] !== 0x22) return undefined;
  return JSON.parse(buf.toString('utf8', span.start, span.end)) as string;
}

/**
 * The project a deployment's resources belong to: the one their URNs name,
 * `urn:pulumi:<stack>::<project>::…` (sdk/go/common/resource/urn.go) — how `pulumi state upgrade`
 * places a legacy stack (pkg/backend/diy/backend.go: guessProject). Undefined when it has none.
 */
export function projectOfDeployment(deployment: Buffer): string | undefined {
  const parsed = JSON.parse(deployment.toString('utf8')) as { deployment?: { resources?: { urn?: unknown }[] | null } };
  for (const resource of parsed.deployment?.resources ?? []) {
    const urn = resource?.urn;
    if (typeof urn !== 'string' || !urn.startsWith('urn:pulumi:')) continue;
    const project = urn.slice('urn:pulumi:'.length).split('::')[1];
    if (project) return project;
  }
  return undefined;
}
