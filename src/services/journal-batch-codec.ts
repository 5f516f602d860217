/**
 * How a journal batch is kept in the bucket: the entries' JSON as the CLI sent it, gzip-compressed
 * (docs/design.md, "Journaling"). A batch is read back only by replays and then deleted once its
 * update committed, so it is never served as is; compressing it (fast level — the CLI's own
 * request was gzip too) keeps the bytes an update writes down. Batches stored uncompressed by
 * earlier versions are still read: a body is inflated only when it starts with gzip's magic.
 */
import { promisify } from 'node:util';
import { gunzipSync, gzip, constants } from 'node:zlib';

const gzipAsync = promisify(gzip);

export const encodeJournalBatch = (json: Buffer): Promise<Buffer> => gzipAsync(json, { level: constants.Z_BEST_SPEED });

const isGzip = (body: Buffer) => body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;

export const decodeJournalBatch = (body: Buffer): Buffer => (isGzip(body) ? gunzipSync(body) : body);
