/**
 * Engine events (sdk/go/common/apitype/events.go) as lines of a readable log. Pure, unit-tested.
 */
import type { EngineEvent } from './api.js';
import { urnName } from './tree.js';

export interface LogLine {
  sequence: number;
  timestamp: number;
  level: 'info' | 'warning' | 'error' | 'step' | 'summary';
  text: string;
}

/** Pulumi's colour markup (`<{%fg 1%}>`, `<{%reset%}>`) and ANSI escapes are dropped. */
export const stripColor = (s: string) =>
  // eslint-disable-next-line no-control-regex
  s.replace(/<\{%[^%]*%\}>/g, '').replace(/\u001b\[[0-9;]*m/g, '');

const OPS: Record<string, string> = {
  create: 'creating',
  update: 'updating',
  delete: 'deleting',
  replace: 'replacing',
  'create-replacement': 'creating replacement',
  'delete-replaced': 'deleting original',
  same: 'unchanged',
  read: 'reading',
  refresh: 'refreshing',
  import: 'importing',
};

type Meta = { op?: string; urn?: string; type?: string };

export function formatEvent(e: EngineEvent): LogLine | undefined {
  const base = { sequence: e.sequence, timestamp: e.timestamp };
  const rec = (k: string) => e[k] as Record<string, unknown> | undefined;
  const diag = rec('diagnosticEvent');
  if (diag) {
    const sev = String(diag.severity ?? 'info');
    const where = typeof diag.urn === 'string' && diag.urn ? `${urnName(diag.urn)}: ` : '';
    const level = sev === 'error' ? 'error' : sev === 'warning' ? 'warning' : 'info';
    return { ...base, level, text: `${sev}: ${where}${stripColor(String(diag.message ?? '')).trimEnd()}` };
  }
  const stdout = rec('stdoutEvent');
  if (stdout) return { ...base, level: 'info', text: stripColor(String(stdout.message ?? '')).trimEnd() };
  const pre = rec('resourcePreEvent');
  if (pre) {
    const m = (pre.metadata ?? {}) as Meta;
    if (m.op === 'same') return undefined;
    return { ...base, level: 'step', text: `${OPS[m.op ?? ''] ?? m.op} ${m.type ?? ''} ${urnName(m.urn ?? '')}` };
  }
  const outs = rec('resOutputsEvent');
  if (outs) {
    const m = (outs.metadata ?? {}) as Meta;
    if (m.op === 'same') return undefined;
    return { ...base, level: 'step', text: `done ${m.op ?? ''} ${m.type ?? ''} ${urnName(m.urn ?? '')}` };
  }
  const failed = rec('resOpFailedEvent');
  if (failed) {
    const m = (failed.metadata ?? {}) as Meta;
    return { ...base, level: 'error', text: `failed ${m.op ?? ''} ${m.type ?? ''} ${urnName(m.urn ?? '')}` };
  }
  const summary = rec('summaryEvent');
  if (summary) {
    const changes = Object.entries((summary.resourceChanges ?? {}) as Record<string, number>)
      .map(([op, n]) => `${n} ${op}`)
      .join(', ');
    const secs = Number(summary.durationSeconds ?? 0);
    return { ...base, level: 'summary', text: `Resources: ${changes || 'none'}. Duration: ${secs}s` };
  }
  if (rec('preludeEvent')) return { ...base, level: 'info', text: 'Starting…' };
  if (e.cancelEvent !== undefined) return { ...base, level: 'warning', text: 'Cancelled' };
  const policy = rec('policyEvent');
  if (policy) return { ...base, level: 'warning', text: `policy: ${stripColor(String(policy.message ?? ''))}` };
  return undefined;
}
