/**
 * The HTTP layer under the minio client. The client is kept for what it does well — building
 * and SigV4-signing S3 requests — while this transport fixes what Fulmar cannot live with in
 * minio 8.0.7:
 *
 *  - Its `requestWithRetry` (internal/request.ts) throws on a 5xx/408/429 response without ever
 *    reading or destroying it, so with a keep-alive agent the socket is never released; enough
 *    5xx answers and every socket in the pool is stuck. Here every response with status ≥ 300
 *    is read (bounded) before the client sees anything, and reported as an S3HttpError carrying
 *    the status and the S3 error code.
 *  - It has no per-call timeout. Each call runs inside `withSignal`, and the request made within
 *    it is bound to that AbortSignal (found through AsyncLocalStorage, as the client offers no way
 *    to pass per-request options).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import https from 'node:https';
import { parseErrorBody } from './s3-xml.js';

/** Error bodies are small XML; anything longer is cut off (and its socket closed). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export class S3HttpError extends Error {
  override readonly name = 'S3HttpError';
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string | undefined,
    readonly headers: http.IncomingHttpHeaders,
  ) {
    super(`S3 answered ${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`);
  }
}

const callSignal = new AsyncLocalStorage<AbortSignal>();

/** Runs `fn` so that every request it makes is aborted when `signal` fires. */
export function withSignal<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  return callSignal.run(signal, fn);
}

/** The minio client's `transport` option: `{ request(options, callback) }` like node:http. */
export interface S3Transport {
  request(options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void): http.ClientRequest;
}

export function createS3Transport(protocol: 'http:' | 'https:'): S3Transport {
  const lib = protocol === 'https:' ? https : http;
  return {
    request(options, callback) {
      const signal = callSignal.getStore();
      const req = lib.request(signal ? { ...options, signal } : options);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          callback?.(res);
          return;
        }
        readErrorBody(res).then(
          (body) => {
            const parsed = parseErrorBody(body);
            // HEAD answers carry no body; MinIO puts the code in a header instead.
            const code = parsed.code ?? headerText(res.headers['x-minio-error-code']);
            const message = parsed.message ?? headerText(res.headers['x-minio-error-desc']);
            req.emit('error', new S3HttpError(status, code, message, res.headers));
          },
          (err: unknown) => req.emit('error', err),
        );
      });
      return req;
    },
  };
}

function headerText(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text ? text.replace(/^"|"$/g, '') : undefined;
}

function readErrorBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_ERROR_BODY_BYTES) chunks.push(chunk);
      else {
        res.destroy(); // not worth reading: drop the connection instead of reusing it
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
  });
}

/** Reads a successful response body whole. */
export function readBody(res: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => {
      if (!res.complete) reject(Object.assign(new Error('response ended early'), { code: 'ECONNRESET' }));
      else resolve(Buffer.concat(chunks));
    });
    res.on('error', reject);
    res.on('aborted', () => reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
  });
}
