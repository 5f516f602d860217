/**
 * How a long operation (verify, gc, backup, restore, adopt-diy) tells of its progress without
 * knowing who listens: the admin CLI draws a bar on a terminal or prints plain lines
 * (src/admin/output.ts); tests pass `silentProgress`.
 */
export interface Progress {
  /** A new phase of `total` steps (unknown: undefined); ends the previous one. */
  phase(label: string, total?: number): void;
  /** `n` more steps of the current phase done; `total` grows it when more work was found. */
  tick(n?: number, total?: number): void;
  /** The last phase is over. */
  done(): void;
}

export const silentProgress: Progress = { phase() {}, tick() {}, done() {} };
