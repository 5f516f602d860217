import { expect } from 'chai';
import {
  rewriteDeploymentUrns,
  rewriteProviderReference,
  rewriteResourceUrns,
  rewriteUrn,
  type StackRename,
} from '../../src/domain/urn-rewrite.js';

const rename: StackRename = { oldProject: 'shop', oldStack: 'dev', newProject: 'store', newStack: 'prod' };
const back: StackRename = { oldProject: 'store', oldStack: 'prod', newProject: 'shop', newStack: 'dev' };

const OLD = 'urn:pulumi:dev::shop::';
const NEW = 'urn:pulumi:prod::store::';
const PROVIDER_ID = '0d6f2a3c-8a51-4c1b-9f0e-5b8f0b9b8e11';

/** A small but realistic deployment: stack, default provider, component, custom resources. */
function deployment() {
  const stack = `${OLD}pulumi:pulumi:Stack::shop-dev`;
  const provider = `${OLD}pulumi:providers:random::default_4_16_0`;
  const explicitProvider = `${OLD}pulumi:providers:random::my::prov`;
  const web = `${OLD}shop:app:Frontend::web`;
  const pet = `${OLD}shop:app:Frontend$random:index/randomPet:RandomPet::web-pet`;
  const suffix = `${OLD}random:index/randomString:RandomString::odd::name`;
  return {
    manifest: { time: '2024-05-01T10:00:00Z', magic: 'abc', version: 'v3.100.0' },
    secrets_providers: {
      type: 'service',
      state: { url: 'http://127.0.0.1:8080', owner: 'acme', project: 'shop', stack: 'dev' },
    },
    resources: [
      { urn: stack, custom: false, type: 'pulumi:pulumi:Stack', outputs: { url: 'https://shop.example' } },
      {
        urn: provider,
        custom: true,
        id: PROVIDER_ID,
        type: 'pulumi:providers:random',
        parent: stack,
        inputs: { version: '4.16.0' },
        outputs: { version: '4.16.0' },
      },
      {
        urn: explicitProvider,
        custom: true,
        id: 'aaaa1111',
        type: 'pulumi:providers:random',
        parent: stack,
      },
      { urn: web, custom: false, type: 'shop:app:Frontend', parent: stack, aliases: [`${OLD}shop:app:OldFrontend::web`] },
      {
        urn: pet,
        custom: true,
        id: 'happy-cat',
        type: 'random:index/randomPet:RandomPet',
        parent: web,
        provider: `${provider}::${PROVIDER_ID}`,
        dependencies: [provider, web],
        propertyDependencies: { prefix: [web], length: [] },
        deletedWith: web,
        replaceWith: [provider],
        inputs: { prefix: 'web', length: 2 },
        outputs: { id: 'happy-cat' },
      },
      {
        urn: suffix,
        custom: true,
        id: 'xyz',
        type: 'random:index/randomString:RandomString',
        parent: stack,
        provider: `${explicitProvider}::aaaa1111`,
        dependencies: [],
        deletedWith: '',
        viewOf: pet,
        // A URN of another stack is not ours to rename.
        aliases: ['urn:pulumi:other::shop::random:index/randomString:RandomString::odd::name'],
      },
    ],
    pending_operations: [
      {
        type: 'creating',
        resource: {
          urn: `${OLD}random:index/randomId:RandomId::rid`,
          custom: true,
          type: 'random:index/randomId:RandomId',
          parent: stack,
          provider: `${provider}::${PROVIDER_ID}`,
        },
      },
    ],
  };
}

describe('urn-rewrite', () => {
  describe('rewriteUrn', () => {
    it('moves a URN to the new stack and project', () => {
      expect(rewriteUrn(`${OLD}aws:s3/bucket:Bucket::b`, rename)).to.equal(`${NEW}aws:s3/bucket:Bucket::b`);
    });

    it('renames the root stack resource when it has the conventional name', () => {
      expect(rewriteUrn(`${OLD}pulumi:pulumi:Stack::shop-dev`, rename)).to.equal(`${NEW}pulumi:pulumi:Stack::store-prod`);
    });

    it('leaves an unconventionally named stack resource its name', () => {
      expect(rewriteUrn(`${OLD}pulumi:pulumi:Stack::legacy`, rename)).to.equal(`${NEW}pulumi:pulumi:Stack::legacy`);
    });

    it('only renames the stack resource, not another type with the same name', () => {
      expect(rewriteUrn(`${OLD}my:mod:Thing::shop-dev`, rename)).to.equal(`${NEW}my:mod:Thing::shop-dev`);
    });

    it('keeps names that contain :: intact', () => {
      expect(rewriteUrn(`${OLD}t:m:T::a::b::c`, rename)).to.equal(`${NEW}t:m:T::a::b::c`);
    });

    it('keeps parent-qualified types intact', () => {
      expect(rewriteUrn(`${OLD}a:b:C$d:e:F::x`, rename)).to.equal(`${NEW}a:b:C$d:e:F::x`);
    });

    it('leaves other stacks, other projects, prefixes of names and non-URNs alone', () => {
      for (const other of [
        'urn:pulumi:dev2::shop::t:m:T::x',
        'urn:pulumi:de::shop::t:m:T::x',
        'urn:pulumi:dev::shopping::t:m:T::x',
        'urn:pulumi:prod::store::t:m:T::x',
        'urn:pulumi:dev::shop::malformed',
        '',
        'not a urn',
      ]) {
        expect(rewriteUrn(other, rename)).to.equal(other);
      }
    });

    it('handles a rename of the stack only, or the project only', () => {
      expect(rewriteUrn(`${OLD}pulumi:pulumi:Stack::shop-dev`, { ...rename, newProject: 'shop' })).to.equal(
        'urn:pulumi:prod::shop::pulumi:pulumi:Stack::shop-prod',
      );
      expect(rewriteUrn(`${OLD}pulumi:pulumi:Stack::shop-dev`, { ...rename, newStack: 'dev' })).to.equal(
        'urn:pulumi:dev::store::pulumi:pulumi:Stack::store-dev',
      );
    });
  });

  describe('rewriteProviderReference', () => {
    it('rewrites the URN part and keeps the id after the last ::', () => {
      expect(rewriteProviderReference(`${OLD}pulumi:providers:aws::default::${PROVIDER_ID}`, rename)).to.equal(
        `${NEW}pulumi:providers:aws::default::${PROVIDER_ID}`,
      );
      expect(rewriteProviderReference(`${OLD}pulumi:providers:aws::my::prov::id1`, rename)).to.equal(
        `${NEW}pulumi:providers:aws::my::prov::id1`,
      );
    });

    it('leaves references without an id, and empty ones, alone', () => {
      expect(rewriteProviderReference('', rename)).to.equal('');
      expect(rewriteProviderReference('nonsense', rename)).to.equal('nonsense');
    });
  });

  describe('rewriteResourceUrns', () => {
    it('ignores non-objects and non-string entries', () => {
      expect(rewriteResourceUrns(null, rename)).to.equal(null);
      expect(rewriteResourceUrns('x', rename)).to.equal('x');
      const odd = { urn: 5, dependencies: [1, `${OLD}t:m:T::a`], aliases: 'x', propertyDependencies: { p: 'y' } };
      expect(rewriteResourceUrns(odd, rename)).to.deep.equal({
        urn: 5,
        dependencies: [1, `${NEW}t:m:T::a`],
        aliases: 'x',
        propertyDependencies: { p: 'y' },
      });
    });

    it('does not add fields that were absent', () => {
      const out = rewriteResourceUrns({ urn: `${OLD}t:m:T::a`, custom: true }, rename);
      expect(Object.keys(out as object)).to.deep.equal(['urn', 'custom']);
    });
  });

  describe('rewriteDeploymentUrns', () => {
    it('rewrites every URN-valued field of every resource and pending operation', () => {
      const out = rewriteDeploymentUrns(deployment(), rename);
      const [stack, provider, explicitProvider, web, pet, suffix] = out.resources;
      expect(stack!.urn).to.equal(`${NEW}pulumi:pulumi:Stack::store-prod`);
      expect(provider).to.include({ urn: `${NEW}pulumi:providers:random::default_4_16_0`, parent: stack!.urn });
      expect(explicitProvider!.urn).to.equal(`${NEW}pulumi:providers:random::my::prov`);
      expect(web!.aliases).to.deep.equal([`${NEW}shop:app:OldFrontend::web`]);
      expect(pet).to.deep.include({
        urn: `${NEW}shop:app:Frontend$random:index/randomPet:RandomPet::web-pet`,
        parent: web!.urn,
        provider: `${provider!.urn}::${PROVIDER_ID}`,
        dependencies: [provider!.urn, web!.urn],
        propertyDependencies: { prefix: [web!.urn], length: [] },
        deletedWith: web!.urn,
        replaceWith: [provider!.urn],
      });
      expect(suffix).to.deep.include({
        urn: `${NEW}random:index/randomString:RandomString::odd::name`,
        provider: `${explicitProvider!.urn}::aaaa1111`,
        deletedWith: '',
        viewOf: pet!.urn,
        aliases: ['urn:pulumi:other::shop::random:index/randomString:RandomString::odd::name'],
      });
      expect(out.pending_operations[0]!.type).to.equal('creating');
      expect(out.pending_operations[0]!.resource).to.deep.include({
        urn: `${NEW}random:index/randomId:RandomId::rid`,
        parent: stack!.urn,
        provider: `${provider!.urn}::${PROVIDER_ID}`,
      });
    });

    it('leaves no reference to the old stack outside program data', () => {
      const out = rewriteDeploymentUrns(deployment(), rename);
      const text = JSON.stringify(out);
      expect(text).not.to.include('urn:pulumi:dev::shop::');
      expect(text).not.to.include('shop-dev');
      // Every URN-valued field names a resource that exists in the new state.
      const urns = new Set(out.resources.map((r) => r.urn));
      for (const r of out.resources) {
        if (r.parent) expect(urns.has(r.parent), r.parent).to.equal(true);
        for (const d of r.dependencies ?? []) expect(urns.has(d), d).to.equal(true);
      }
    });

    it('keeps program data, ids and other fields untouched', () => {
      const input = deployment();
      const out = rewriteDeploymentUrns(input, rename);
      expect(out.manifest).to.deep.equal(input.manifest);
      out.resources.forEach((r, i) => {
        const before = input.resources[i]!;
        expect(r.type).to.equal(before.type);
        expect(r.custom).to.equal(before.custom);
        expect((r as { id?: string }).id).to.equal((before as { id?: string }).id);
        expect((r as { inputs?: unknown }).inputs).to.deep.equal((before as { inputs?: unknown }).inputs);
        expect((r as { outputs?: unknown }).outputs).to.deep.equal((before as { outputs?: unknown }).outputs);
        expect(Object.keys(r)).to.deep.equal(Object.keys(before));
      });
    });

    it('points the service secrets provider at the renamed stack, keeping the owner', () => {
      const out = rewriteDeploymentUrns(deployment(), rename);
      expect(out.secrets_providers).to.deep.equal({
        type: 'service',
        state: { url: 'http://127.0.0.1:8080', owner: 'acme', project: 'store', stack: 'prod' },
      });
    });

    it('leaves other secrets providers, and service state naming another stack, alone', () => {
      const passphrase = { type: 'passphrase', state: { salt: 'v1:abc', project: 'shop', stack: 'dev' } };
      expect(rewriteDeploymentUrns({ ...deployment(), secrets_providers: passphrase }, rename).secrets_providers).to.deep.equal(passphrase);
      const foreign = { type: 'service', state: { owner: 'acme', project: 'shop', stack: 'staging' } };
      expect(rewriteDeploymentUrns({ ...deployment(), secrets_providers: foreign }, rename).secrets_providers).to.deep.equal(foreign);
    });

    it('does not mutate its input', () => {
      const input = deployment();
      const snapshot = structuredClone(input);
      const out = rewriteDeploymentUrns(input, rename);
      expect(input).to.deep.equal(snapshot);
      expect(out).not.to.equal(input);
      expect(out.resources).not.to.equal(input.resources);
    });

    it('is undone by the reverse rename', () => {
      const input = deployment();
      expect(rewriteDeploymentUrns(rewriteDeploymentUrns(input, rename), back)).to.deep.equal(input);
    });

    it('is the identity when nothing changes (e.g. an org-only transfer)', () => {
      const same = { oldProject: 'shop', oldStack: 'dev', newProject: 'shop', newStack: 'dev' };
      expect(rewriteDeploymentUrns(deployment(), same)).to.deep.equal(deployment());
    });

    it('handles an empty deployment and the camelCase pendingOperations of verbatim checkpoints', () => {
      expect(rewriteDeploymentUrns({ manifest: {} }, rename)).to.deep.equal({ manifest: {} });
      const verbatim = {
        manifest: {},
        pendingOperations: [{ type: 'deleting', resource: { urn: `${OLD}t:m:T::gone` } }, 'junk'],
      };
      expect(rewriteDeploymentUrns(verbatim, rename).pendingOperations).to.deep.equal([
        { type: 'deleting', resource: { urn: `${NEW}t:m:T::gone` } },
        'junk',
      ]);
    });
  });
});
