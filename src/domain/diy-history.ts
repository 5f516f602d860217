/**
 * A DIY history entry (`<stem>.history.json`) read into what Fulmar's history entry says.
 *
 * The file is the CLI's backend.UpdateInfo (pkg/backend/updates.go), written by
 * pkg/backend/diy/backend.go: apply — `kind`, `startTime`, `endTime` (Unix seconds), `message`,
 * `environment`, `config`, `result`, `resourceChanges`; its `version` is never set. Its `config`
 * is a config.Map (sdk/go/common/resource/config/map.go), whose values are written as YAML-like
 * JSON: a string, a number or a boolean, `{"secure": "<ciphertext>"}`, or any object or array
 * (value.go: MarshalJSON). Fulmar's history holds the service's apitype.ConfigValue
 * `{string, secret, object}` instead — the form the CLI itself sends the service for the same map
 * (pkg/backend/httpstate/client/client.go: CreateUpdate), so each value is converted the same way
 * (object.go: MarshalString): strings as they are, numbers and booleans as their JSON text, a
 * secure value as its ciphertext with `secret`, anything else as compact JSON with `object` (and
 * `secret` when a secure value is inside). Ciphertexts stay ciphertexts: nothing is decrypted.
 */
import type { ConfigValue, HistoryEntry } from './update-record.js';

/** What a DIY history entry tells of its update: the fields a Fulmar history entry carries over. */
export type DiyUpdate = Pick<HistoryEntry, 'kind' | 'startTime' | 'endTime' | 'message' | 'environment' | 'config' | 'result' | 'resourceChanges'>;

const RESULTS: readonly string[] = ['succeeded', 'failed', 'in-progress', 'not-started'] satisfies HistoryEntry['result'][];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads an UpdateInfo; throws on anything that is not a JSON object with a kind. */
export function readDiyUpdate(json: string): DiyUpdate {
  const info: unknown = JSON.parse(json);
  if (!isObject(info) || typeof info['kind'] !== 'string' || info['kind'] === '') {
    throw new Error('not an update record: no "kind"');
  }
  const changes = isObject(info['resourceChanges']) ? numbersOf(info['resourceChanges']) : undefined;
  return {
    kind: info['kind'],
    startTime: seconds(info['startTime']),
    endTime: seconds(info['endTime']),
    message: typeof info['message'] === 'string' ? info['message'] : '',
    environment: isObject(info['environment']) ? stringsOf(info['environment']) : {},
    config: isObject(info['config']) ? configOf(info['config']) : {},
    result: typeof info['result'] === 'string' && RESULTS.includes(info['result']) ? (info['result'] as HistoryEntry['result']) : 'failed',
    ...(changes && Object.keys(changes).length > 0 && { resourceChanges: changes }),
  };
}

const seconds = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);

const stringsOf = (o: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string'));

const numbersOf = (o: Record<string, unknown>): Record<string, number> =>
  Object.fromEntries(Object.entries(o).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isSafeInteger(e[1])));

export function configOf(map: Record<string, unknown>): Record<string, ConfigValue> {
  return Object.fromEntries(Object.entries(map).map(([key, value]) => [key, configValueOf(value)]));
}

/** One config.Map value as apitype.ConfigValue (object.go: MarshalString). */
export function configValueOf(value: unknown): ConfigValue {
  if (typeof value === 'string') return { string: value, secret: false, object: false };
  if (typeof value === 'number' || typeof value === 'boolean') return { string: JSON.stringify(value), secret: false, object: false };
  const ciphertext = secureOf(value);
  if (ciphertext !== undefined) return { string: ciphertext, secret: true, object: false };
  return { string: goJson(value), secret: containsSecure(value), object: true };
}

/** A secure value is an object whose only member is a string `secure` (object.go: isSecureValue). */
function secureOf(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'secure' && typeof value['secure'] === 'string' ? value['secure'] : undefined;
}

function containsSecure(value: unknown): boolean {
  if (secureOf(value) !== undefined) return true;
  if (Array.isArray(value)) return value.some(containsSecure);
  return isObject(value) && Object.values(value).some(containsSecure);
}

/**
 * JSON as Go's encoding/json writes it: members sorted by key, no spaces, and `<`, `>`, `&`,
 * U+2028 and U+2029 escaped. (Numbers are JavaScript's: `1.0` comes out as `1`.)
 */
export function goJson(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (!isObject(v)) return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted(v[k])]),
    );
  };
  return JSON.stringify(sorted(value) ?? null).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
