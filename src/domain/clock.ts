/**
 * Time, injected. Lease rules are judged by the store's clock (docs/design.md, "Updates and
 * leases"), and the memory and filesystem stores read theirs from a Clock, so tests move time
 * forward instead of editing stored JSON.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Unix seconds of a Date (the unit of Pulumi's timestamps, apitype/history.go). */
export const unixSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/** A clock that only moves when told to: for tests of expiry. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.ms = typeof start === 'number' ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
