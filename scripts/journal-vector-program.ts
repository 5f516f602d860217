/**
 * The program scripts/capture-journal-vectors.ts drives through its steps: dynamic resources in a
 * group, each step's changes described by a Shape. A module of its own because the program runs
 * in a process of its own (test/helpers/program-runner.ts), which imports it.
 */
import * as pulumi from '@pulumi/pulumi';
import type { PulumiFn } from '@pulumi/pulumi/automation/index.js';
import { programRef, type ProgramRef } from '../test/helpers/program-ref.js';

/** What one step's program declares. */
export interface Shape {
  /** b's label: changing it is an in-place update. */
  bLabel: string;
  /** c's kind: changing it replaces c (create before delete). */
  cKind: string;
  /** a's kind: changing it replaces a, delete before create. */
  aKind: string;
  /** b's logical name and the aliases to reach it from its old name. */
  bName: string;
  bAliases: string[];
  /** c under the group component (re-parented, aliased from the stack root). */
  cInGroup: boolean;
  withC: boolean;
  /** A resource whose create fails. */
  withBroken: boolean;
}

export const initial: Shape = {
  bLabel: 'bee',
  cKind: 'one',
  aKind: 'one',
  bName: 'b',
  bAliases: [],
  cInGroup: false,
  withC: true,
  withBroken: false,
};

/** The program of one step, named so that the process that runs it can build it. */
export function program(shape: Shape): ProgramRef {
  return programRef(import.meta.url, 'buildProgram', shape);
}

export function buildProgram(shape: Shape): PulumiFn {
  return async () => {
    // Everything the provider returns is a function of its inputs, plus the refresh knobs read
    // from the provider process's environment (set on the workspace for the refresh steps).
    const provider: pulumi.dynamic.ResourceProvider = {
      async create(inputs: Record<string, unknown>) {
        if (inputs.broken) throw new Error(`refusing to create ${String(inputs.label)}`);
        return { id: `id-${String(inputs.label)}-${String(inputs.kind)}`, outs: { ...inputs, size: String(inputs.label).length } };
      },
      async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
        const replaces = olds.kind !== news.kind ? ['kind'] : [];
        const changes = replaces.length > 0 || olds.label !== news.label;
        return { changes, replaces, deleteBeforeReplace: news.dbr === true };
      },
      async update(_id: string, _olds: Record<string, unknown>, news: Record<string, unknown>) {
        return { outs: { ...news, size: String(news.label).length } };
      },
      async delete() {},
      async read(id: string, props: Record<string, unknown>) {
        const gone = (process.env.CAPTURE_GONE ?? '').split(',');
        if (gone.includes(String(props.label))) return { id: '', props: {} };
        const drift = process.env.CAPTURE_DRIFT;
        return { id, props: drift ? { ...props, drift } : props };
      },
    };
    class Thing extends pulumi.dynamic.Resource {
      constructor(name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, { size: undefined, ...props }, opts);
      }
    }
    class Group extends pulumi.ComponentResource {
      constructor(name: string) {
        super('fulmar:test:Group', name, {}, {});
        this.registerOutputs({ name });
      }
    }
    const group = new Group('group');
    const a = new Thing('a', { label: 'ay', kind: shape.aKind, dbr: true }, { parent: group });
    const b = new Thing(
      shape.bName,
      { label: shape.bLabel, kind: 'one', peer: a.id },
      { aliases: shape.bAliases.map((name) => ({ name })) },
    );
    const outputs: Record<string, unknown> = { a: a.id, b: b.id };
    if (shape.withC) {
      const c = new Thing(
        'c',
        { label: 'sea', kind: shape.cKind },
        shape.cInGroup
          ? { parent: group, aliases: [{ parent: pulumi.rootStackResource }], dependsOn: [b] }
          : { dependsOn: [b] },
      );
      outputs.c = c.id;
    }
    // p and its child d: a refresh that finds p gone must re-parent d.
    const p = new Thing('p', { label: 'pea', kind: 'one' });
    new Thing('d', { label: 'dee', kind: 'one' }, { parent: p, dependsOn: [p] });
    if (shape.withBroken) new Thing('broken', { label: 'nope', kind: 'one', broken: true });
    return outputs;
  };
}
