/**
 * Secret values in a state: Pulumi writes them as an object tagged with a signature key
 * (sdk/go/common/resource/properties.go: SecretSig), holding `ciphertext` (the service secrets
 * manager's, base64) or, in a decrypted export, `plaintext`. The console shows them masked and
 * asks the server to decrypt them only when a member clicks "reveal".
 */
export const SIG_KEY = '4dabf18193072939515e22adb298388d';
export const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

export interface SecretValue {
  [SIG_KEY]: string;
  ciphertext?: string;
  plaintext?: string;
}

export const isSecret = (v: unknown): v is SecretValue =>
  typeof v === 'object' && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;

/** Every ciphertext in a value, to decrypt in one batch. */
export function collectCiphertexts(v: unknown, out: Set<string> = new Set(), depth = 0): Set<string> {
  if (depth > 64 || typeof v !== 'object' || v === null) return out;
  if (isSecret(v)) {
    if (typeof v.ciphertext === 'string') out.add(v.ciphertext);
    return out;
  }
  for (const x of Array.isArray(v) ? v : Object.values(v)) collectCiphertexts(x, out, depth + 1);
  return out;
}

export const MASK = '[secret]';

/**
 * The value as a person reads it: secrets replaced by MASK, or by their plaintext when `revealed`
 * maps their ciphertext. The plaintext is the JSON of the value (pkg/resource/stack/secrets.go).
 */
export function presentValue(v: unknown, revealed?: ReadonlyMap<string, string>, depth = 0): unknown {
  if (depth > 64 || typeof v !== 'object' || v === null) return v;
  if (isSecret(v)) {
    const plain = typeof v.plaintext === 'string' ? v.plaintext : v.ciphertext && revealed?.get(v.ciphertext);
    if (plain === undefined || plain === '') return MASK;
    try {
      return JSON.parse(plain);
    } catch {
      return plain;
    }
  }
  if (Array.isArray(v)) return v.map((x) => presentValue(x, revealed, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, presentValue(x, revealed, depth + 1)]));
}

/** base64 → UTF-8 text, in the browser and in Node alike. */
export function fromBase64(b64: string): string {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}
