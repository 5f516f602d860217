/**
 * The ObjectStore on an S3 bucket (MinIO, AWS S3, or anything with conditional writes), through
 * the minio client. Every call is one HTTP request: no client-side retries (the retry decorator
 * owns that), a timeout per call, and a keep-alive agent whose sockets are always released.
 *
 * Requests go through `client.makeRequestAsync` rather than `putObject`/`getObject`:
 *  - `putObject` does pass `If-None-Match` / `If-Match` through (helper.isSupportedHeader lists
 *    both), but above its part size it switches to a multipart upload, where those headers on the
 *    initiating request mean nothing. One PUT keeps every write a single conditional request.
 *  - errors come back from our transport (s3-transport.ts) with status and code intact.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { Client, type ClientOptions } from 'minio';
import type { ListOptions, ListPage, ObjectInfo, ObjectStore, PutOptions, PutResult, StoredObject } from './object-store.js';
import { StorageError } from './storage-error.js';
import { validateKey } from './object-keys.js';
import { clampMaxKeys } from './list-page.js';
import { createS3Transport, readBody, S3HttpError, withSignal } from './s3-transport.js';
import { parseListObjectsV2, quoteEtag } from './s3-xml.js';

export interface S3StoreOptions {
  /** `http(s)://host[:port]` — no path. */
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region: string;
  /** Prepended to every key, stripped from listed ones; empty or ending with `/`. */
  prefix?: string;
  pathStyle?: boolean;
  /** Budget of one call, body included. */
  timeoutMs?: number;
  /** Sockets kept per pod towards the endpoint. */
  maxSockets?: number;
}

const NETWORK_ERRORS = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE', 'ABORT_ERR',
]);

interface CallInfo {
  /** For the messages: `get org/x/meta.json`. */
  what: string;
  /** A conditional replace: a 404 means "no object with that ETag" (AWS answers If-Match on a missing key so). */
  ifMatch?: boolean;
  /** A listing with a continuation token: a 400 means the token is not one S3 accepts. */
  token?: boolean;
}

export class S3Store implements ObjectStore {
  readonly kind = 's3';
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: Client;
  private readonly agent: http.Agent;
  private readonly region: string;
  private readonly timeoutMs: number;

  constructor(options: S3StoreOptions) {
    const url = new URL(options.endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new StorageError('internal', `S3 endpoint must be http:// or https:// (got ${options.endpoint})`);
    }
    if (url.pathname !== '/' && url.pathname !== '') {
      throw new StorageError('internal', `S3 endpoint must not have a path (got ${options.endpoint}); put a key prefix in the prefix setting`);
    }
    this.prefix = options.prefix ?? '';
    if (this.prefix !== '' && !this.prefix.endsWith('/')) {
      throw new StorageError('internal', `S3 key prefix must end with "/" (got ${JSON.stringify(this.prefix)})`);
    }
    this.bucket = options.bucket;
    this.region = options.region;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
    this.agent = url.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.client = new Client({
      endPoint: url.hostname.replace(/^\[|\]$/g, ''),
      ...(url.port ? { port: Number(url.port) } : {}),
      useSSL: url.protocol === 'https:',
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      // Given explicitly, so the client never asks the bucket's location (GetBucketLocation).
      region: options.region,
      pathStyle: options.pathStyle ?? true,
      // Typed by minio as all of node:http's `request` overloads; it only ever calls (options, callback).
      transport: createS3Transport(url.protocol) as unknown as ClientOptions['transport'],
      transportAgent: this.agent,
      // minio 8 retries 5xx/408/429 itself unless told not to; retries belong to RetryingStore.
      retryOptions: { disableRetry: true },
    });
  }

  async get(key: string): Promise<StoredObject> {
    validateKey(key);
    return this.call({ what: `get ${key}` }, async () => {
      const res = await this.request({ method: 'GET', objectName: this.prefix + key }, [200]);
      const body = await readBody(res);
      return { ...this.infoFrom(key, res, body.length), body, storeTime: dateHeader(res.headers.date) ?? new Date() };
    });
  }

  async head(key: string): Promise<ObjectInfo> {
    validateKey(key);
    return this.call({ what: `head ${key}` }, async () => {
      const res = await this.request({ method: 'HEAD', objectName: this.prefix + key }, [200]);
      res.resume();
      return this.infoFrom(key, res, Number(res.headers['content-length'] ?? 0));
    });
  }

  async put(key: string, body: Buffer, options: PutOptions = {}): Promise<PutResult> {
    validateKey(key);
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? 'application/octet-stream',
      // Over https the payload is not signed (UNSIGNED-PAYLOAD); the MD5 still guards the bytes.
      'content-md5': createHash('md5').update(body).digest('base64'),
    };
    if (options.ifNoneMatch === '*') headers['if-none-match'] = '*';
    if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
    return this.call({ what: `put ${key}`, ifMatch: options.ifMatch !== undefined }, async () => {
      const res = await this.request({ method: 'PUT', objectName: this.prefix + key, headers }, [200], body);
      res.resume();
      const etag = res.headers.etag;
      if (!etag) throw new StorageError('internal', `put ${key}: S3 returned no ETag`);
      return { etag: quoteEtag(etag) };
    });
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    await this.call({ what: `delete ${key}` }, async () => {
      const res = await this.request({ method: 'DELETE', objectName: this.prefix + key }, [204, 200]);
      res.resume();
    });
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    const params: Record<string, string> = {
      'list-type': '2',
      'encoding-type': 'url',
      prefix: this.prefix + (options.prefix ?? ''),
      'max-keys': String(clampMaxKeys(options.maxKeys)),
    };
    if (options.delimiter) params.delimiter = options.delimiter;
    if (options.startAfter) params['start-after'] = this.prefix + options.startAfter;
    if (options.continuationToken) params['continuation-token'] = options.continuationToken;
    const query = Object.entries(params)
      .map(([k, v]) => `${k}=${s3Escape(v)}`)
      .sort()
      .join('&');
    return this.call({ what: `list ${params.prefix}`, token: Boolean(options.continuationToken) }, async () => {
      const res = await this.request({ method: 'GET', query }, [200]);
      const result = parseListObjectsV2((await readBody(res)).toString('utf8'), true);
      const strip = (key: string) => (key.startsWith(this.prefix) ? key.slice(this.prefix.length) : undefined);
      return {
        objects: result.objects.flatMap((o) => {
          const key = strip(o.key);
          return key === undefined ? [] : [{ key, etag: o.etag, size: o.size, lastModified: o.lastModified }];
        }),
        commonPrefixes: result.commonPrefixes.flatMap((p) => strip(p) ?? []),
        ...(result.isTruncated && result.nextContinuationToken ? { nextContinuationToken: result.nextContinuationToken } : {}),
      };
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private request(
    options: { method: string; objectName?: string; query?: string; headers?: Record<string, string> },
    expected: number[],
    body: Buffer | string = '',
  ): Promise<http.IncomingMessage> {
    return this.client.makeRequestAsync({ ...options, bucketName: this.bucket, headers: { ...options.headers } }, body, expected, this.region);
  }

  private infoFrom(key: string, res: http.IncomingMessage, size: number): ObjectInfo {
    return {
      key,
      etag: quoteEtag(String(res.headers.etag ?? '')),
      size,
      lastModified: dateHeader(res.headers['last-modified']) ?? new Date(),
    };
  }

  /** One call with its own deadline; every failure leaves as a StorageError. */
  private async call<T>(info: CallInfo, fn: () => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      return await withSignal(signal, fn);
    } catch (err) {
      throw this.toStorageError(err, info, signal);
    }
  }

  private toStorageError(err: unknown, info: CallInfo, signal: AbortSignal): StorageError {
    if (err instanceof StorageError) return err;
    const { what } = info;
    if (signal.aborted) return new StorageError('unavailable', `${what}: no answer from S3 within ${this.timeoutMs} ms`, { cause: err });
    if (err instanceof S3HttpError) {
      const { status, code } = err;
      if (status === 412 || (status === 409 && code === 'ConditionalRequestConflict')) {
        return new StorageError('precondition-failed', `${what}: ${err.message}`, { cause: err });
      }
      if (status === 404 && code === 'NoSuchBucket') {
        return new StorageError('internal', `${what}: bucket ${this.bucket} does not exist`, { cause: err });
      }
      if (status === 404 && info.ifMatch) return new StorageError('precondition-failed', `${what}: no object to replace`, { cause: err });
      if (status === 404) return new StorageError('not-found', `${what}: not found`, { cause: err });
      if (status >= 500 || status === 408 || status === 429 || code === 'SlowDown' || code === 'RequestTimeout') {
        return new StorageError('unavailable', `${what}: ${err.message}`, { cause: err });
      }
      if (code === 'KeyTooLongError') return new StorageError('invalid-key', `${what}: ${err.message}`, { cause: err });
      if (status === 400 && info.token) return new StorageError('invalid-key', `${what}: invalid list continuation token (${err.message})`, { cause: err });
      return new StorageError('internal', `${what}: ${err.message}`, { cause: err });
    }
    const errno = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
    if (NETWORK_ERRORS.has(errno) || (err instanceof Error && err.name === 'AbortError')) {
      return new StorageError('unavailable', `${what}: ${errno || 'network error'}: ${(err as Error).message}`, { cause: err });
    }
    return new StorageError('internal', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** RFC 3986 escaping as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function s3Escape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function dateHeader(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
