/**
 * The benchmark's Pulumi program: `count` dynamic-provider resources, each with `kb` KB of
 * incompressible input (base64 of an AES-CTR keystream keyed by the seed and the resource's
 * index), so every backend stores and ships exactly the same bytes and gzip cannot hide them.
 * The provider answers at once: the time goes to the engine and the backend, not to the cloud.
 */
import { createCipheriv, createHash } from 'node:crypto';
import * as pulumi from '@pulumi/pulumi';
import type { PulumiFn } from '@pulumi/pulumi/automation/index.js';

/** `kb` × 1024 characters of base64 (3/4 as many random bytes), the same for the same seed and index. */
export function payload(seed: number, index: number, kb: number): string {
  const key = createHash('sha256').update(`fulmar-bench:${seed}:${index}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const raw = cipher.update(Buffer.alloc(Math.ceil((kb * 1024 * 3) / 4)));
  return raw.toString('base64').slice(0, kb * 1024);
}

interface Inputs {
  payload: string;
}

// One provider object for every run: the SDK serializes a dynamic provider once per object
// (its `__provider` input), so a new object per program would add that cost to every resource.
const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    // Serialized into every resource's state and run in the provider plugin: it may capture
    // nothing from this module. The payload is random, so its head is a unique id. It stays in
    // the inputs only; echoing it as an output would store it twice.
    return { id: inputs.payload.slice(0, 16), outs: { chars: inputs.payload.length } };
  },
};

class Blob extends pulumi.dynamic.Resource {
  constructor(name: string, payloadText: string) {
    super(provider, name, { payload: payloadText }, {});
  }
}

export function blobs(count: number, kb: number, seed: number): PulumiFn {
  return async () => {
    for (let i = 0; i < count; i++) new Blob(`blob${i}`, payload(seed, i, kb));
    return { count };
  };
}
