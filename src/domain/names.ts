/**
 * Validators for every name that reaches a bucket key or a URL path. The CLI interpolates org,
 * project and stack into `/api/stacks/...` paths without percent-encoding (client.go:
 * getStackPath), so anything we accept must be URL- and key-safe on its own. Each validator
 * returns the value unchanged or throws badRequest with a message saying what is allowed.
 */
import { randomUUID } from 'node:crypto';
import { badRequest } from './errors.js';

// pkg/backend/httpstate/backend.go: stackOwnerRegexp. A leading `_` is impossible, which keeps
// org names from colliding with the bucket's reserved `_system/` prefix.
export const ORG_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{1,38}[a-zA-Z0-9]$/;
// Same alphabet as orgs (users double as personal orgs) but 1–39 chars, like GitHub logins.
export const USER_LOGIN = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,38}$/;
// sdk/go/common/tokens/stack_name.go; the CLI "cleans" project names to the same alphabet
// before putting them in URLs (backend.go: cleanProjectName).
export const PATH_SEGMENT = /^[A-Za-z0-9_.-]{1,100}$/;
export const TAG_NAME = /^[a-zA-Z0-9_.:-]{1,40}$/;
export const UPDATE_ID = /^[a-f0-9-]{8,64}$/;
export const MAX_TAG_VALUE_CHARS = 256;

/** Quotes a rejected value for an error message without letting a huge input flood logs. */
function shown(value: unknown): string {
  if (typeof value !== 'string') return `(${value === null ? 'null' : typeof value})`;
  const cut = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return JSON.stringify(cut);
}

function check(value: unknown, ok: (s: string) => boolean, what: string, rule: string): string {
  if (typeof value === 'string' && ok(value)) return value;
  throw badRequest(`Invalid ${what} ${shown(value)}: ${rule}`);
}

/** `.` and `..` match the alphabet but would be swallowed by path cleaning on the CLI side. */
const notDots = (s: string) => s !== '.' && s !== '..';

export function validateOrgName(value: unknown): string {
  return check(
    value,
    (s) => ORG_NAME.test(s),
    'organization name',
    "use 3 to 40 letters, digits, '-' or '_', starting and ending with a letter or digit.",
  );
}

/** True when `value` could name an org (a login that cannot has a personal org no one else can take). */
export const isOrgName = (value: string): boolean => ORG_NAME.test(value);

export function validateUserLogin(value: unknown): string {
  return check(
    value,
    (s) => USER_LOGIN.test(s),
    'user login',
    "use 1 to 39 letters, digits, '-' or '_', starting with a letter or digit.",
  );
}

export function validateProjectName(value: unknown): string {
  return check(
    value,
    (s) => PATH_SEGMENT.test(s) && notDots(s),
    'project name',
    "use 1 to 100 letters, digits, '-', '_' or '.' (not '.' or '..').",
  );
}

export function validateStackName(value: unknown): string {
  return check(
    value,
    (s) => PATH_SEGMENT.test(s) && notDots(s),
    'stack name',
    "use 1 to 100 letters, digits, '-', '_' or '.' (not '.' or '..').",
  );
}

export function validateTagName(value: unknown): string {
  return check(
    value,
    (s) => TAG_NAME.test(s),
    'tag name',
    "use 1 to 40 letters, digits, '-', '_', '.' or ':'.",
  );
}

/** Tag values are free text; the limit counts Unicode code points, not UTF-16 units. */
export function validateTagValue(value: unknown): string {
  return check(
    value,
    // A code point is at most two UTF-16 units, so only mid-length strings need counting.
    (s) =>
      s.length <= MAX_TAG_VALUE_CHARS ||
      (s.length <= 2 * MAX_TAG_VALUE_CHARS && [...s].length <= MAX_TAG_VALUE_CHARS),
    'tag value',
    `must be a string of at most ${MAX_TAG_VALUE_CHARS} characters.`,
  );
}

/** Bounds the size of a stack's register; the CLI sends about ten tags. */
export const MAX_TAGS = 1000;

/**
 * Validates a whole tag map (`PATCH S/tags` and create-stack bodies carry one) and returns a
 * fresh copy holding only its own string entries.
 */
export function validateTags(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('Invalid tags: expected a JSON object mapping tag names to string values.');
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_TAGS) throw badRequest(`Invalid tags: at most ${MAX_TAGS} tags are allowed.`);
  // fromEntries defines own properties, so a tag named "__proto__" stays an ordinary key.
  return Object.fromEntries(entries.map(([name, v]) => [validateTagName(name), validateTagValue(v)]));
}

/** Update ids are minted by us (newUpdateId); anything else in a path is a bad request. */
export function validateUpdateId(value: unknown): string {
  return check(
    value,
    (s) => UPDATE_ID.test(s),
    'update id',
    'expected 8 to 64 lowercase hex digits or dashes.',
  );
}

/** A fresh update id: a random (v4) UUID, lowercase, which validateUpdateId accepts. */
export function newUpdateId(): string {
  return randomUUID();
}
