/**
 * Synthetic deployments shaped like the CLI's compact `untypedDeployment` text (docs/protocol.md#verbatim-checkpoints):
 * `{"version":3,"deployment":{"manifest":…,"resources":[…]}}`. Built from per-resource strings so
 * the byte span of every resource is known — a delta can then replace exactly one resource, as
 * the CLI's diff does when one resource changes. Tags hold non-ASCII text, so byte offsets and
 * string indices differ, as they do in real states.
 */

export interface DeploymentText {
  text: Buffer;
  /** Byte range `[start, end)` of each resource's JSON object inside `text`. */
  spans: Array<[number, number]>;
}

/** One resource of about 450 bytes; `revision` changes its outputs (one "update" of it). */
export function resourceJson(i: number, revision = 0): string {
  return JSON.stringify({
    urn: `urn:pulumi:dev::bench::aws:s3/bucket:Bucket::bucket-${i}`,
    custom: true,
    id: `bucket-${i}-${revision.toString(16).padStart(8, '0')}`,
    type: 'aws:s3/bucket:Bucket',
    inputs: { acl: 'private', forceDestroy: false, tags: { Name: `bücket ${i}`, owner: 'bench', team: 'plateforme-données' } },
    outputs: {
      arn: `arn:aws:s3:::bucket-${i}`,
      bucketDomainName: `bucket-${i}.s3.amazonaws.com`,
      revision,
      versioning: { enabled: revision % 2 === 0, mfaDelete: false },
    },
    parent: 'urn:pulumi:dev::bench::pulumi:pulumi:Stack::bench-dev',
    provider: 'urn:pulumi:dev::bench::pulumi:providers:aws::default_6_0_0::04da6b54-80e4-46f7-96ec-b56ff0331ba9',
    propertyDependencies: { acl: [], tags: [] },
  });
}

const HEAD = '{"version":3,"deployment":{"manifest":{"time":"2026-01-01T00:00:00Z","magic":"","version":"v3.259.0"},"resources":[';
const TAIL = ']}}';

/** `count` resources; `revisionOf(i)` picks each one's revision. */
export function deploymentText(count: number, revisionOf: (i: number) => number = () => 0): DeploymentText {
  const parts: Buffer[] = [Buffer.from(HEAD)];
  const spans: Array<[number, number]> = [];
  let at = parts[0]!.length;
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      parts.push(Buffer.from(','));
      at += 1;
    }
    const r = Buffer.from(resourceJson(i, revisionOf(i)));
    parts.push(r);
    spans.push([at, at + r.length]);
    at += r.length;
  }
  parts.push(Buffer.from(TAIL));
  return { text: Buffer.concat(parts), spans };
}

/** A `checkpointverbatim` body, key order as the CLI writes it (docs/protocol.md#verbatim-checkpoints). */
export function verbatimBody(text: Buffer, sequenceNumber: number): Buffer {
  return Buffer.concat([Buffer.from('{"version":3,"untypedDeployment":'), text, Buffer.from(`,"sequenceNumber":${sequenceNumber}}`)]);
}
