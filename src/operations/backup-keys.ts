/**
 * Can this keyring open a backup's secrets? Every stack's data key is wrapped by a master key
 * (docs/design.md, "Secrets and the master keyring"), and a restore into a store whose keyring
 * cannot unwrap them would bring back stacks whose secrets no pod can decrypt. So restore checks
 * every live stack's wrapped key and the backup's canary before it writes anything, and refuses
 * naming the master key ids that are missing or different.
 */
import { checkCanary, unwrapDataKey, type KeyCanary, type Keyring } from '../domain/secrets-crypto.js';
import type { StackMeta } from '../domain/stack-meta.js';
import { FulmarError } from '../domain/errors.js';

export interface KeyProblem {
  keyId: string;
  /** `missing`: no key of that id in the ring; `different`: that id holds other bytes. */
  reason: 'missing' | 'different';
  /** Stacks (`org/project/stack`) whose data keys it wraps. */
  stacks: string[];
  canary: boolean;
}

export function checkBackupKeys(keyring: Keyring, registers: Iterable<{ label: string; meta: StackMeta }>, canary: KeyCanary | undefined): KeyProblem[] {
  const problems = new Map<string, KeyProblem>();
  const problem = (keyId: string) => {
    let p = problems.get(keyId);
    if (!p) {
      p = { keyId, reason: keyring.some((k) => k.id === keyId) ? 'different' : 'missing', stacks: [], canary: false };
      problems.set(keyId, p);
    }
    return p;
  };
  for (const { label, meta } of registers) {
    // A tombstone's data key is never used again.
    if (meta.deleted) continue;
    try {
      unwrapDataKey(keyring, meta.secrets, meta.stackId);
    } catch {
      problem(meta.secrets.keyId).stacks.push(label);
    }
  }
  if (canary) {
    try {
      checkCanary(keyring, canary);
    } catch {
      problem(canary.keyId).canary = true;
    }
  }
  return [...problems.values()];
}

/** The refusal, naming each key id and what needs it. */
export function keyProblemsError(problems: KeyProblem[], keyring: Keyring): FulmarError {
  const has = keyring.map((k) => `"${k.id}"`).join(', ');
  const parts = problems.map((p) => {
    const what = [
      ...(p.stacks.length > 0 ? [`the data keys of ${p.stacks.length} stack(s) (${p.stacks.slice(0, 3).join(', ')}${p.stacks.length > 3 ? ', …' : ''})`] : []),
      ...(p.canary ? ['the secrets canary'] : []),
    ].join(' and ');
    const why = p.reason === 'missing' ? `is not in the configured keyring (it has ${has})` : 'in the configured keyring is not the key that wrapped them (same id, other bytes)';
    return `master key "${p.keyId}" ${why}; it wraps ${what}`;
  });
  return new FulmarError(
    'conflict',
    `the configured master keyring cannot open this backup's secrets: ${parts.join('; ')}. ` +
      'Give the target the keys of the source (FULMAR_MASTER_KEYS, any order after the active one; on the embedded default, ' +
      "the source data folder's master.key copied into the target data folder) and run restore again — nothing was written",
  );
}
