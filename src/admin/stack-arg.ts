/** Stack names and scopes as admin commands take them: `ORG/PROJECT/STACK`, `ORG[/PROJECT[/STACK]]`. */
import { validateOrgName, validateProjectName, validateStackName } from '../domain/names.js';
import { isFulmarError } from '../domain/errors.js';
import type { StackRef } from '../storage/layout.js';
import type { Scope } from '../operations/stack-inventory.js';
import { UsageError } from './command.js';

export function parseScope(text: string | undefined): Scope {
  if (text === undefined || text === '') return {};
  const parts = text.split('/');
  if (parts.length > 3 || parts.some((p) => p === '')) throw new UsageError(`'${text}' is not ORG, ORG/PROJECT or ORG/PROJECT/STACK`);
  const [org, project, stack] = parts;
  return named(text, () => ({
    org: validateOrgName(org),
    ...(project !== undefined && { project: validateProjectName(project) }),
    ...(stack !== undefined && { stack: validateStackName(stack) }),
  }));
}

export function parseStackArg(text: string | undefined): StackRef {
  const scope = parseScope(text);
  if (!scope.org || !scope.project || !scope.stack) throw new UsageError(`name the stack as ORG/PROJECT/STACK${text ? ` (got '${text}')` : ''}`);
  return { org: scope.org, project: scope.project, stack: scope.stack };
}

function named<T>(text: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (isFulmarError(err)) throw new UsageError(`'${text}': ${err.message}`);
    throw err;
  }
}
