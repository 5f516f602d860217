/** Plain-text tables for admin commands: columns padded, the last one left ragged. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((cell, i) => (i < header.length - 1 ? cell.padEnd(widths[i] as number) : cell)).join('  ').trimEnd()).join('\n');
}

/** Unix seconds as an ISO time without milliseconds. */
export const isoSeconds = (unix: number): string => new Date(unix * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
