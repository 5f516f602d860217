/**
 * A Pulumi program named by data — a module, the builder it exports, and the builder's arguments —
 * so that a process of its own can build and run it (see program-runner.ts). The e2e suites never
 * run a program inside the test process: the Node SDK keeps its runtime (the resource monitor it
 * talks to, the queue of registrations) in module-level state, so two inline programs in one
 * process, or one whose CLI was SIGKILLed, disturb the next ("14 UNAVAILABLE: No connection
 * established").
 */
import type { PulumiFn } from '@pulumi/pulumi/automation/index.js';

export interface ProgramRef {
  /** The module's URL (`import.meta.url` of the file that holds the builder). */
  module: string;
  /** The name of the builder the module exports: `(...args) => PulumiFn`. */
  builder: string;
  /** The builder's arguments; they cross a process boundary, so JSON only. */
  args: unknown[];
}

/** A reference to `builder(...args)` exported by the module at `moduleUrl`. */
export function programRef(moduleUrl: string, builder: string, ...args: unknown[]): ProgramRef {
  return { module: moduleUrl, builder, args: JSON.parse(JSON.stringify(args)) as unknown[] };
}

/** Imports the module and builds the program (in the process that runs it). */
export async function loadProgram(ref: ProgramRef): Promise<PulumiFn> {
  const mod = (await import(ref.module)) as Record<string, unknown>;
  const builder = mod[ref.builder];
  if (typeof builder !== 'function') throw new Error(`${ref.module} exports no builder ${ref.builder}`);
  return (builder as (...args: unknown[]) => PulumiFn)(...ref.args);
}
