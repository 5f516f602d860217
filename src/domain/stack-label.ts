import type { StackRef } from '../storage/layout.js';

/** How messages name a stack: `stack 'org/project/name'`. */
export const stackLabel = (ref: StackRef): string => `stack '${ref.org}/${ref.project}/${ref.stack}'`;

/** How admin commands name a stack, and how their reports do: `org/project/name`. */
export const stackPath = (ref: StackRef): string => `${ref.org}/${ref.project}/${ref.stack}`;
