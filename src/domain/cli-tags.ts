/**
 * The CLI's own tags: every tag named `pulumi:…` (`pulumi:project`, `pulumi:runtime`,
 * `pulumi:description`, `pulumi:template`; sdk/go/common/apitype/core.go). The CLI sets them
 * from the project when it creates a stack and when it starts an update
 * (pkg/backend/stack.go: GetEnvironmentTagsForCurrentStack), and stores them as sent. By hand —
 * `PATCH S/tags`, whose body is the whole map (`stack tag set` and `stack tag rm` send the
 * current tags with one added or removed: pkg/cmd/pulumi/stack/stack_tag.go) — they may only be
 * carried over unchanged.
 */
import { badRequest } from './errors.js';

export const CLI_TAG_PREFIX = 'pulumi:';

const isCliTag = (name: string) => name.startsWith(CLI_TAG_PREFIX);

/** Throws 400 naming the first `pulumi:` tag that `next` adds, changes or removes. */
export function requireCliTagsUnchanged(stored: Record<string, string>, next: Record<string, string>): void {
  const why = `tags in the '${CLI_TAG_PREFIX}' namespace are set by the pulumi CLI itself from the project, at stack creation and at each update`;
  for (const name of Object.keys(next).filter(isCliTag).sort()) {
    if (!Object.hasOwn(stored, name)) throw badRequest(`tag '${name}' cannot be set by hand: ${why}`);
    if (stored[name] !== next[name]) throw badRequest(`tag '${name}' cannot be changed by hand (it is '${stored[name]}'): ${why}`);
  }
  for (const name of Object.keys(stored).filter(isCliTag).sort()) {
    if (!Object.hasOwn(next, name)) throw badRequest(`tag '${name}' cannot be removed by hand: ${why}`);
  }
}
