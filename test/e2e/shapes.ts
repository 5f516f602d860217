/**
 * A deterministic program described by data (a "shape"), so that two stacks can be driven through
 * the same sequence of changes: dynamic-provider custom resources ("items") and components
 * ("groups"), with the options a change needs (aliases, parents, dependsOn, delete-before-replace,
 * protect, retain-on-delete, ignore-changes, deleted-with).
 *
 * The provider is controlled through files in one folder the test owns, which every provider
 * process reads (they run in plugin processes, not in the test):
 * - `gate-<name>`: an item with `gate` set does not finish its create until that file exists, so
 *   the test decides exactly which creates have finished when it cancels or kills something;
 *   the provider writes `at-<name>` when its create starts waiting (the CLI recorded the begin);
 * - `probe`: what an item with `probe` set reports from `read`, so a refresh sees changed outputs;
 * - `gone-<name>`: an item with `vanish` set is reported gone by `read`, as if deleted by hand.
 */
import fs from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import type { PulumiFn } from '@pulumi/pulumi/automation/index.js';
import { programRef, type ProgramRef } from '../helpers/program-ref.js';
import { THING_TYPE } from './thing-provider.js';

export interface ItemSpec {
  name: string;
  label: string;
  /** A change of key replaces the item (create-before-delete unless `deleteBeforeReplace`). */
  key?: string;
  deleteBeforeReplace?: boolean;
  /** The name of a group to parent under. */
  parent?: string;
  /** Names of items registered earlier that this one waits for. */
  dependsOn?: string[];
  aliases?: { name?: string; noParent?: boolean }[];
  /** Create waits for the file `gate-<gate>` (bounded, so an orphaned provider gives up). */
  gate?: string;
  /** Create fails, after its dependencies were created. */
  fail?: boolean;
  /** `read` reports the contents of the `probe` file as the output `observed`. */
  probe?: boolean;
  /** The `protect` resource option: the engine refuses to delete the item. */
  protect?: boolean;
  /** The `retainOnDelete` resource option: deleting the item only drops it from the state. */
  retainOnDelete?: boolean;
  /** `read` reports the item gone (a blank id) while the file `gone-<name>` exists. */
  vanish?: boolean;
  /** The `ignoreChanges` resource option (input names). */
  ignoreChanges?: string[];
  /** The `deletedWith` resource option: the name of an item registered earlier. */
  deletedWith?: string;
}

export interface GroupSpec {
  name: string;
  aliases?: { name: string }[];
}

/** A resource of the `fulmarthing` provider plugin (thing-provider.ts), which can be imported. */
export interface ThingSpec {
  name: string;
  label: string;
  /** The `import` resource option: adopt the existing thing with this id instead of creating one. */
  importId?: string;
}

export interface Shape {
  groups?: GroupSpec[];
  items: ItemSpec[];
  things?: ThingSpec[];
}

interface ItemInputs {
  name: string;
  label: string;
  key: string;
  gate?: string;
  fail?: boolean;
  probe?: boolean;
  vanish?: boolean;
}

const GATE_WAIT_MS = 120_000;

class Item extends pulumi.dynamic.Resource {}

class Group extends pulumi.ComponentResource {
  constructor(name: string, opts: pulumi.ComponentResourceOptions) {
    super('fulmar:test:Group', name, {}, opts);
  }

  report(outputs: pulumi.Inputs): void {
    this.registerOutputs(outputs);
  }
}

class Thing extends pulumi.CustomResource {
  constructor(name: string, props: { label: string }, opts: pulumi.CustomResourceOptions) {
    super(THING_TYPE, name, props, opts);
  }
}

/** The provider every item uses; `dir` is the folder of gate and probe files. */
function itemProvider(dir: string): pulumi.dynamic.ResourceProvider {
  return {
    async create(inputs: ItemInputs) {
      if (inputs.gate) {
        const gate = `${dir}/gate-${inputs.gate}`; // not path.join: only whole modules serialize
        fs.writeFileSync(`${dir}/at-${inputs.gate}`, '');
        const deadline = Date.now() + GATE_WAIT_MS;
        while (!fs.existsSync(gate)) {
          if (Date.now() > deadline) throw new Error(`gate ${inputs.gate} never opened`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      if (inputs.fail) throw new Error(`${inputs.name} refuses to be created`);
      return { id: `${inputs.name}-${inputs.key}`, outs: { ...inputs, size: inputs.label.length } };
    },
    async diff(_id, olds: ItemInputs, news: ItemInputs) {
      const changed = (['label', 'key', 'probe'] as const).filter((k) => olds[k] !== news[k]);
      return { changes: changed.length > 0, replaces: changed.includes('key') ? ['key'] : [] };
    },
    async update(_id, _olds: ItemInputs, news: ItemInputs) {
      return { outs: { ...news, size: news.label.length } };
    },
    async read(id, props: ItemInputs & { observed?: string }) {
      // A blank id tells the engine the resource no longer exists (pkg/resource/deploy/step.go, RefreshStep).
      if (props.vanish && fs.existsSync(`${dir}/gone-${props.name}`)) return { id: '', props: {} };
      if (!props.probe) return { id, props };
      return { id, props: { ...props, observed: fs.readFileSync(`${dir}/probe`, 'utf8').trim() } };
    },
  };
}

/** The program of `shape`; `dir` is the folder of gate and probe files (the same for every stack). */
export function shapeProgram(shape: Shape, dir: string): ProgramRef {
  return programRef(import.meta.url, 'buildShapeProgram', shape, dir);
}

export function buildShapeProgram(shape: Shape, dir: string): PulumiFn {
  return async () => {
    const provider = itemProvider(dir);
    const groups = new Map<string, Group>();
    for (const g of shape.groups ?? []) {
      groups.set(g.name, new Group(g.name, { aliases: g.aliases }));
    }
    const items = new Map<string, Item>();
    for (const spec of shape.items) {
      const inputs: ItemInputs = {
        name: spec.name,
        label: spec.label,
        key: spec.key ?? 'k0',
        ...(spec.gate && { gate: spec.gate }),
        ...(spec.fail && { fail: true }),
        ...(spec.probe && { probe: true }),
        ...(spec.vanish && { vanish: true }),
      };
      const aliases = spec.aliases?.map((a) => ({
        ...(a.name && { name: a.name }),
        ...(a.noParent && { parent: pulumi.rootStackResource }),
      }));
      const item = new Item(provider, spec.name, { ...inputs, size: undefined }, {
        parent: spec.parent ? groups.get(spec.parent) : undefined,
        dependsOn: spec.dependsOn?.map((d) => items.get(d) as pulumi.Resource),
        deleteBeforeReplace: spec.deleteBeforeReplace,
        aliases,
        protect: spec.protect,
        retainOnDelete: spec.retainOnDelete,
        ignoreChanges: spec.ignoreChanges,
        deletedWith: spec.deletedWith ? items.get(spec.deletedWith) : undefined,
      });
      items.set(spec.name, item);
    }
    // Each component reports its members: an outputs entry (journal kind 4) that changes with them.
    for (const [name, group] of groups) {
      group.report({ members: shape.items.filter((i) => i.parent === name).map((i) => i.name) });
    }
    for (const thing of shape.things ?? []) {
      new Thing(thing.name, { label: thing.label }, { ...(thing.importId && { import: thing.importId }) });
    }
    return { labels: Object.fromEntries(shape.items.map((s) => [s.name, s.label])), count: items.size };
  };
}
