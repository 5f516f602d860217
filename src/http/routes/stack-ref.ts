import type { Request } from 'express';
import type { StackRef } from '../../storage/layout.js';
import { validateOrgName, validateProjectName, validateStackName } from '../../domain/names.js';

/** The `{org}/{project}/{stack}` of a stack route, validated before it becomes a bucket key. */
export function stackRefOf(req: Request): StackRef {
  const p = req.params as Record<string, string>;
  return {
    org: validateOrgName(p.org ?? ''),
    project: validateProjectName(p.project ?? ''),
    stack: validateStackName(p.stack ?? ''),
  };
}

/** Stack routes: `/api/stacks/{org}/{project}/{stack}` + suffix. */
export const S = (suffix = '') => `/api/stacks/:org/:project/:stack${suffix}`;
