/** Which versions gc keeps (src/domain/retention.ts): a floor, the union of both rules, never below what must stay. */
import { expect } from 'chai';
import { retentionFloor, type RetentionInput } from '../../src/domain/retention.js';

const now = new Date('2026-06-30T00:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
/** Versions 1..n written one a day, version n today. */
const daily = (n: number) => new Map(Array.from({ length: n }, (_, i) => [i + 1, daysAgo(n - 1 - i)] as const));
const floor = (input: Partial<RetentionInput>) => retentionFloor({ latest: 10, current: undefined, rule: {}, writtenAt: daily(10), now, ...input });

describe('retention floor', () => {
  it('keeps everything without a rule, and a never-updated stack has nothing to prune', () => {
    expect(floor({})).to.equal(1);
    expect(floor({ current: 4 })).to.equal(4);
    expect(floor({ latest: 0, rule: { keepVersions: 1 }, writtenAt: new Map() })).to.equal(1);
  });

  it('keeps the newest N versions', () => {
    expect(floor({ rule: { keepVersions: 3 } })).to.equal(8);
    expect(floor({ rule: { keepVersions: 10 } })).to.equal(1);
    expect(floor({ rule: { keepVersions: 50 } })).to.equal(1);
  });

  it('always keeps the latest version, even with keep-versions below 1 or keep-days 0', () => {
    expect(floor({ rule: { keepVersions: 0 } })).to.equal(10);
    expect(floor({ rule: { keepDays: 0 }, writtenAt: daily(10) })).to.equal(10);
    expect(floor({ rule: { keepDays: 1 }, writtenAt: new Map([[10, daysAgo(30)]]) })).to.equal(10);
  });

  it('keeps the versions written less than D days ago, by the store clock', () => {
    expect(floor({ rule: { keepDays: 2.5 } })).to.equal(8); // written 2, 1 and 0 days ago
    expect(floor({ rule: { keepDays: 100 } })).to.equal(1);
  });

  it('keeps a version when EITHER rule keeps it (the lower floor)', () => {
    expect(floor({ rule: { keepVersions: 2, keepDays: 4.5 } })).to.equal(6);
    expect(floor({ rule: { keepVersions: 5, keepDays: 0.5 } })).to.equal(6);
  });

  it('keeps every recent version when commits are out of time order (pods with skewed clocks)', () => {
    const writtenAt = new Map([
      [1, daysAgo(9)],
      [2, daysAgo(1)], // a recent one among old ones
      [3, daysAgo(8)],
      [4, daysAgo(0)],
    ]);
    expect(floor({ latest: 4, rule: { keepDays: 2 }, writtenAt })).to.equal(2);
  });

  it('never goes below the current floor: what was removed stays removed', () => {
    expect(floor({ current: 9, rule: { keepVersions: 5 } })).to.equal(9);
  });

  it('never removes a pinned version (the one a running update builds on)', () => {
    expect(floor({ rule: { keepVersions: 1 }, pinned: [7] })).to.equal(7);
    expect(floor({ rule: { keepVersions: 1 }, pinned: [0] }), 'version 0 is no checkpoint').to.equal(10);
  });
});
