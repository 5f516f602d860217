/**
 * Pulumi programs for the e2e suites: nothing in them needs a downloaded provider. Each is named
 * by a ProgramRef (what a test passes to `session.stack`), built from its exported builder in the
 * process that runs it (test/helpers/program-runner.ts).
 */
import * as pulumi from '@pulumi/pulumi';
import type { PulumiFn } from '@pulumi/pulumi/automation/index.js';
import { programRef, type ProgramRef } from '../helpers/program-ref.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `count` component resources, registered one after another with `delayMs` between them (so an
 * update lasts long enough to be interrupted), plus stack outputs including a secret.
 */
export function components(count: number, options: { delayMs?: number; prefix?: string } = {}): ProgramRef {
  return programRef(import.meta.url, 'buildComponents', count, options);
}

export function buildComponents(count: number, options: { delayMs?: number; prefix?: string }): PulumiFn {
  return async () => {
    const prefix = options.prefix ?? 'c';
    const made: pulumi.ComponentResource[] = [];
    for (let i = 0; i < count; i++) {
      made.push(new pulumi.ComponentResource('fulmar:test:Thing', `${prefix}${i}`, {}, {}));
      if (options.delayMs) await sleep(options.delayMs);
    }
    return { count: made.length, token: pulumi.secret(`secret-of-${prefix}`) };
  };
}

/** Reads a secret from config (`pulumi config set --secret greeting …`) and exports it. */
export const usesSecretConfig: ProgramRef = programRef(import.meta.url, 'buildUsesSecretConfig');

export function buildUsesSecretConfig(): PulumiFn {
  return async () => {
    const config = new pulumi.Config();
    const greeting = config.requireSecret('greeting');
    new pulumi.ComponentResource('fulmar:test:Greeter', 'greeter', {}, {});
    return { greeting, plain: 'visible' };
  };
}

/** Reads another stack's outputs through a StackReference. */
export function readsStack(name: string): ProgramRef {
  return programRef(import.meta.url, 'buildReadsStack', name);
}

export function buildReadsStack(name: string): PulumiFn {
  return async () => {
    const other = new pulumi.StackReference(name);
    return { otherCount: other.getOutput('count'), otherToken: other.getOutput('token') };
  };
}

/** A custom resource through a dynamic provider: its `create` runs in a provider plugin process. */
export function dynamicResources(count: number): ProgramRef {
  return programRef(import.meta.url, 'buildDynamicResources', count);
}

export function buildDynamicResources(count: number): PulumiFn {
  return async () => {
    const provider: pulumi.dynamic.ResourceProvider = {
      async create(inputs: { label: string }) {
        return { id: `id-${inputs.label}`, outs: { label: inputs.label, length: inputs.label.length } };
      },
    };
    class Labelled extends pulumi.dynamic.Resource {
      declare readonly label: pulumi.Output<string>;
      constructor(name: string, label: string) {
        super(provider, name, { label, length: undefined }, {});
      }
    }
    const made = [];
    for (let i = 0; i < count; i++) made.push(new Labelled(`dyn${i}`, `thing-${i}`));
    return { ids: made.map((r) => r.id) };
  };
}

/** Named things (components need no provider) and the secret greeting read from config. */
export function things(names: string[]): ProgramRef {
  return programRef(import.meta.url, 'buildThings', names);
}

export function buildThings(names: string[]): PulumiFn {
  return async () => {
    const greeting = new pulumi.Config().requireSecret('greeting');
    for (const name of names) new pulumi.ComponentResource('fulmar:test:Thing', name, {}, {});
    return { greeting, names };
  };
}
