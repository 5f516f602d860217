/**
 * How a journal batch is kept in the bucket: the entries' JSON as the CLI sent it, gzip-compressed
 * (docs/design.md, "Journaling"). A batch is read back only by replays and then deleted once its
 * update committed, so it is never served as is; compressing it (fast level — the CLI's own
 * request was gzip too) keeps the bytes an update writes down. When the request came gzip, its
 * bytes are kept as they came instead (src/http/middleware/body.ts: sentGzip): they inflate to
 * the same JSON, and the pod spends no time compressing again. Batches stored uncompressed by
 * earlier versions are still read: a body is inflated only when it starts with gzip's magic.
 */
import { promisify } from 'node:util';
import { gunzip, gzip, constants } from 'node:zlib';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** What a batch is stored as: the client's own gzip when there is one, else `json` compressed here. */
export const encodeJournalBatch = (json: Buffer, sentGzip?: Buffer): Promise<Buffer> =>
  sentGzip && isGzip(sentGzip) ? Promise.resolve(sentGzip) : gzipAsync(json, { level: constants.Z_BEST_SPEED });

/**
 * The immutable cache's key for a stored batch: the writer offers what it stored, so a replay on
 * the same pod (an export, the commit) reads it without a GET. A batch key names an update id,
 * which no other update ever has, so the bucket key is identity enough.
 */
export const journalBatchCacheKey = (key: string) => `journal:${key}`;

const isGzip = (body: Buffer): boolean => body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;

/**
 * The entries' JSON of a stored batch. Inflated on libuv's thread pool: a cold replay decodes a
 * hundred batches or more while the commit waits, and this way their inflation runs beside the
 * parsing of others.
 */
export const decodeJournalBatch = async (body: Buffer): Promise<Buffer> => (isGzip(body) ? gunzipAsync(body) : body);
