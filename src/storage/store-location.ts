/**
 * Stores other than the configured one, named by a location on an admin command line: where
 * `fulmar backup` writes, where `fulmar restore` reads, the DIY backend `fulmar adopt-diy` reads.
 *
 *  - a folder (`./backup`, `/srv/backup`, `file:///srv/backup`): one file per key under it, as the
 *    filesystem store keeps them, so a backup folder can be read with `ls` and `cat`;
 *  - `http(s)://ACCESS:SECRET@host:port/bucket[/prefix]?region=…`: the form of FULMAR_S3_URL;
 *  - `s3://bucket[/prefix]?endpoint=…&region=…&s3ForcePathStyle=true`: the form the pulumi CLI's DIY
 *    backend takes (gocloud.dev/blob/s3blob URL options), credentials from AWS_ACCESS_KEY_ID and
 *    AWS_SECRET_ACCESS_KEY, or those of the configured S3 store when it is S3 too.
 *
 * Parsing is pure; `openStoreAt` builds the store, wrapped in the retry decorator like the pod's.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseS3Url, type Config, type S3Config } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import type { ObjectStore } from './object-store.js';
import { FilesystemStore } from './filesystem-store.js';
import { S3Store } from './s3-store.js';
import { RetryingStore } from './retrying-store.js';
import { ReadOnlyStore } from './read-only-store.js';

export type StoreLocation = { kind: 'folder'; root: string } | ({ kind: 's3' } & S3Config);

export class StoreLocationError extends Error {
  override readonly name = 'StoreLocationError';
}

/** What `location` names, with credentials filled in from the configuration where it gives none. */
export function parseStoreLocation(location: string, config: Pick<Config, 'storage' | 'aws'>): StoreLocation {
  if (location.startsWith('file://')) return { kind: 'folder', root: fileURLToPath(location) };
  if (location.startsWith('http://') || location.startsWith('https://')) {
    const problems: string[] = [];
    const parts = parseS3Url(location, problems, location.replace(/\/\/[^@/]*@/, '//…@'));
    if (problems.length > 0) throw new StoreLocationError(problems.join('; '));
    return completeS3({ ...parts, pathStyle: true }, config, location);
  }
  if (location.startsWith('s3://')) {
    const url = new URL(location);
    const q = url.searchParams;
    const prefix = url.pathname.split('/').filter(Boolean).join('/');
    const configured = config.storage.kind === 's3' ? config.storage : undefined;
    const region = q.get('region') ?? q.get('awssdk_region') ?? config.aws.region ?? configured?.region ?? 'us-east-1';
    return completeS3(
      {
        bucket: url.hostname,
        prefix: prefix ? `${prefix}/` : '',
        endpoint: withScheme(q.get('endpoint'), q) ?? configured?.endpoint ?? `https://s3.${region}.amazonaws.com`,
        region,
        pathStyle: ['true', '1'].includes(q.get('s3ForcePathStyle') ?? q.get('use_path_style') ?? '') || (!q.get('endpoint') && !!configured),
      },
      config,
      location,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new StoreLocationError(`'${location}': a location is a folder, file://…, s3://bucket[/prefix]?endpoint=… or http(s)://…@host/bucket`);
  }
  return { kind: 'folder', root: resolve(location) };
}

/**
 * The CLI takes an endpoint without a scheme (`endpoint=minio:9000`) and gives it `http://` when
 * `disableSSL` (or `disable_https`) is true, `https://` otherwise (pkg/backend/diy/backend.go:
 * translateLegacyS3Params).
 */
function withScheme(endpoint: string | null, q: URLSearchParams): string | undefined {
  if (!endpoint) return undefined;
  if (endpoint.includes('://')) return endpoint;
  const plain = ['true', '1'].includes((q.get('disableSSL') ?? q.get('disable_https') ?? '').toLowerCase());
  return `${plain ? 'http' : 'https'}://${endpoint}`;
}

function completeS3(parts: Partial<S3Config>, config: Pick<Config, 'storage' | 'aws'>, location: string): StoreLocation {
  const configured = config.storage.kind === 's3' ? config.storage : undefined;
  const accessKey = parts.accessKey ?? config.aws.accessKey ?? configured?.accessKey;
  const secretKey = parts.secretKey ?? config.aws.secretKey ?? configured?.secretKey;
  if (!parts.bucket) throw new StoreLocationError(`'${redact(location)}' names no bucket`);
  if (!accessKey || !secretKey) {
    throw new StoreLocationError(`'${redact(location)}': no credentials (put them in the URL, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`);
  }
  return {
    kind: 's3',
    endpoint: parts.endpoint as string,
    bucket: parts.bucket,
    accessKey,
    secretKey,
    region: parts.region ?? config.aws.region ?? 'us-east-1',
    prefix: parts.prefix ?? '',
    pathStyle: parts.pathStyle ?? true,
  };
}

/** A location fit to print: credentials in a URL are replaced. */
export function redact(location: string): string {
  return location.replace(/^([a-z0-9+.-]+:\/\/)[^@/]*@/i, '$1…@');
}

/** Prints a location without its credentials. */
export function describeLocation(l: StoreLocation): string {
  return l.kind === 'folder' ? l.root : `${l.endpoint}/${l.bucket}/${l.prefix}`;
}

/** The bare backend a location names (no retries, no metering); a read-only folder creates nothing. */
export function backendAt(l: StoreLocation, timeoutMs: number, options: { readOnly?: boolean } = {}): ObjectStore {
  if (l.kind === 'folder') return new FilesystemStore(l.root, { readOnly: options.readOnly });
  const { kind: _kind, ...s3 } = l;
  return new S3Store({ ...s3, timeoutMs });
}

/**
 * The store at a location, wrapped in the retry decorator as the pod's own store is.
 * `readOnly`: reads only, every write refused, and nothing created in a folder (ReadOnlyStore).
 */
export function openStoreAt(
  l: StoreLocation,
  config: Pick<Config, 'storageRetries' | 'storageTimeoutMs'>,
  logger: Logger,
  options: { readOnly?: boolean } = {},
): ObjectStore {
  const store = new RetryingStore(backendAt(l, config.storageTimeoutMs, options), {
    retries: config.storageRetries,
    onRetry: ({ operation, attempt, error }) =>
      logger.warn({ store: describeLocation(l), operation, attempt, err: error.message }, 'storage call failed transiently; retrying'),
  });
  return options.readOnly ? new ReadOnlyStore(store, describeLocation(l)) : store;
}
