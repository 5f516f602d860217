/**
 * A resource provider plugin of our own, `fulmarthing`, for what dynamic providers cannot do:
 * being imported. The engine reads an imported resource through its provider with nothing but
 * the id, and a dynamic provider finds its code only in the resource's own properties
 * (@pulumi/pulumi cmd/dynamic-provider: `getProvider(props)`), so the `import` resource option
 * needs a provider the CLI can start by name. (`pulumi import` itself also asks the project's
 * language host for the plugins it needs — pkg/engine/plugins.go, `GetRequiredPlugins` — and
 * `pulumi-language-nodejs` is not on the Go module proxy here, so the e2e suites cannot run it;
 * it journals the same import steps through the same update endpoints.)
 *
 * The "cloud" is a folder: a resource `Thing` with id `X` is the file `thing-X.json` holding its
 * inputs (`label`). A test creates such a file by hand to have something to import.
 *
 * The CLI starts it as `pulumi-resource-fulmarthing` from the PATH (an ambient plugin); see
 * `installThingPlugin`, which writes that launcher. Run as a plugin: `thing-provider.ts <folder>
 * <engine address>`.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as pulumi from '@pulumi/pulumi';

export const THING_TYPE = 'fulmarthing:index:Thing';
const VERSION = '0.0.1';

interface ThingInputs {
  label: string;
}

const SCHEMA = JSON.stringify({
  name: 'fulmarthing',
  version: VERSION,
  resources: {
    [THING_TYPE]: {
      inputProperties: { label: { type: 'string' } },
      requiredInputs: ['label'],
      properties: { label: { type: 'string' } },
      required: ['label'],
    },
  },
});

function thingProvider(dir: string): pulumi.provider.Provider {
  const file = (id: string) => join(dir, `thing-${id}.json`);
  const store = (id: string, inputs: ThingInputs) => writeFileSync(file(id), JSON.stringify({ label: inputs.label }));
  return {
    version: VERSION,
    schema: SCHEMA,
    async check(_urn, _olds, news: ThingInputs) {
      return { inputs: news };
    },
    async diff(_id, _urn, olds: ThingInputs, news: ThingInputs) {
      return { changes: olds.label !== news.label };
    },
    async create(urn, inputs: ThingInputs) {
      const id = urn.split('::').pop() as string;
      store(id, inputs);
      return { id, outs: { label: inputs.label } };
    },
    async read(id) {
      // A blank id: the resource does not exist (pkg/resource/deploy/step.go, ImportStep/RefreshStep).
      if (!existsSync(file(id))) return { id: '' };
      const stored = JSON.parse(readFileSync(file(id), 'utf8')) as ThingInputs;
      return { id, props: stored, inputs: stored };
    },
    async update(id, _urn, _olds, news: ThingInputs) {
      store(id, news);
      return { outs: { label: news.label } };
    },
    async delete(id) {
      rmSync(file(id), { force: true });
    },
  };
}

/**
 * Writes the launcher `pulumi-resource-fulmarthing` into `binDir`: the CLI finds it there once
 * `binDir` is on its PATH, and it starts this file on the Node running the tests (≥ 22, which
 * @pulumi/pulumi needs), with `dir` as the provider's folder.
 */
export async function installThingPlugin(binDir: string, dir: string): Promise<void> {
  await mkdir(binDir, { recursive: true });
  const self = fileURLToPath(import.meta.url);
  const repoRoot = join(self, '..', '..', '..');
  const launcher = join(binDir, 'pulumi-resource-fulmarthing');
  // From the repository, so `--import tsx` resolves; the CLI starts plugins in the project folder.
  await writeFile(launcher, `#!/bin/sh\ncd '${repoRoot}' && exec '${process.execPath}' --import tsx '${self}' '${dir}' "$@"\n`);
  await chmod(launcher, 0o755);
}

/**
 * The Node SDK's provider server reads `req.getProperties().toJavaScript()` before it calls
 * `read`, and the engine's read for an import sends no properties (only the id:
 * pkg/resource/deploy/step.go, `ImportStep.Apply`), so every import would fail with "Cannot read
 * properties of undefined". An absent property bag is read here as an empty one.
 */
async function readEmptyPropertiesOnImport(): Promise<void> {
  const require = createRequire(import.meta.url);
  const sdk = dirname(require.resolve('@pulumi/pulumi/package.json'));
  const { ReadRequest } = require(join(sdk, 'proto', 'provider_pb.js')) as { ReadRequest: { prototype: { getProperties(): unknown } } };
  const { Struct } = require(require.resolve('google-protobuf/google/protobuf/struct_pb', { paths: [sdk] })) as { Struct: new () => unknown };
  const getProperties = ReadRequest.prototype.getProperties;
  ReadRequest.prototype.getProperties = function (this: unknown) {
    return getProperties.call(this) ?? new Struct();
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, ...args] = process.argv.slice(2);
  await readEmptyPropertiesOnImport();
  const { provider } = await import('@pulumi/pulumi');
  await provider.main(thingProvider(dir as string), args);
}
