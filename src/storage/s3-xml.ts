/**
 * The two S3 XML bodies Fulmar reads: a ListObjectsV2 result and an error. Parsed here rather
 * than by the minio client because its parser turns number-like text into numbers (a key
 * `0007` would come back as `7`).
 */

export interface S3ListEntry {
  key: string;
  etag: string;
  size: number;
  lastModified: Date;
}

export interface S3ListResult {
  objects: S3ListEntry[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextContinuationToken: string | undefined;
}

export interface S3ErrorBody {
  code: string | undefined;
  message: string | undefined;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

/** With `encoding-type=url` keys come percent-encoded, and a space may come as `+`. */
export function decodeUrlKey(text: string): string {
  return decodeURIComponent(decodeXmlText(text).replace(/\+/g, ' '));
}

/** The text of each `<tag>…</tag>` directly in `xml` (no attributes or nesting of the same tag in S3's bodies). */
function elements(xml: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g');
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) out.push(m[1]!);
  return out;
}

function element(xml: string, tag: string): string | undefined {
  return elements(xml, tag)[0];
}

/** `"abc"`, `&quot;abc&quot;` or `abc` → `"abc"`: the quoted form S3 puts in the ETag header. */
export function quoteEtag(raw: string): string {
  return `"${decodeXmlText(raw).replace(/^"|"$/g, '')}"`;
}

export function parseListObjectsV2(xml: string, urlEncoded: boolean): S3ListResult {
  if (!/<ListBucketResult[\s>]/.test(xml)) throw new Error('not a ListBucketResult');
  const decodeKey = urlEncoded ? decodeUrlKey : decodeXmlText;
  const objects = elements(xml, 'Contents').map((c) => ({
    key: decodeKey(element(c, 'Key') ?? ''),
    etag: quoteEtag(element(c, 'ETag') ?? ''),
    size: Number(element(c, 'Size') ?? '0'),
    lastModified: new Date(element(c, 'LastModified') ?? 0),
  }));
  const commonPrefixes = elements(xml, 'CommonPrefixes').map((p) => decodeKey(element(p, 'Prefix') ?? ''));
  const token = element(xml, 'NextContinuationToken');
  return {
    objects,
    commonPrefixes,
    isTruncated: element(xml, 'IsTruncated') === 'true',
    nextContinuationToken: token === undefined || token === '' ? undefined : decodeXmlText(token),
  };
}

export function parseErrorBody(xml: string): S3ErrorBody {
  const code = element(xml, 'Code');
  const message = element(xml, 'Message');
  return {
    code: code === undefined ? undefined : decodeXmlText(code),
    message: message === undefined ? undefined : decodeXmlText(message),
  };
}
