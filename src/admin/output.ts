/**
 * Where an admin command's words go. stdout carries the answer — lines for people, or with
 * `--json` exactly one JSON document for scripts; stderr carries notes and progress: a bar with
 * counts and ETA (cli-progress) when stderr is a terminal, else a plain line per phase and at most
 * one every few seconds, so logs of a cron job stay short.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { Progress } from '../operations/progress.js';

export interface Output {
  readonly json: boolean;
  /** A line of the answer (stdout); dropped with --json, where `result` is the answer. */
  line(text: string): void;
  /** The answer of a --json run (one document on stdout); ignored otherwise. */
  result(value: unknown): void;
  /** A note for the person running the command (stderr), in both modes. */
  note(text: string): void;
  progress: Progress;
}

export interface OutputStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Milliseconds between plain progress lines. */
  plainEveryMs?: number;
}

export function createOutput(json: boolean, streams: OutputStreams = { stdout: process.stdout, stderr: process.stderr }): Output {
  const { stdout, stderr } = streams;
  return {
    json,
    line: (text) => {
      if (!json) stdout.write(`${text}\n`);
    },
    result: (value) => {
      if (json) stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    note: (text) => stderr.write(`${text}\n`),
    progress: stderr.isTTY ? barProgress(stderr) : plainProgress(stderr, streams.plainEveryMs ?? 5_000),
  };
}

function barProgress(stream: NodeJS.WritableStream): Progress {
  let bar: SingleBar | undefined;
  let label = '';
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    phase(name, total) {
      stop();
      label = name;
      bar = new SingleBar(
        { stream, format: `${label.padEnd(18)} [{bar}] {value}/{total} | ETA {eta_formatted} | {duration_formatted}`, hideCursor: true, etaBuffer: 50 },
        Presets.shades_classic,
      );
      bar.start(total ?? 0, 0);
    },
    tick(n = 1, total) {
      if (!bar) return;
      if (total !== undefined) bar.setTotal(total);
      bar.increment(n);
    },
    done: stop,
  };
}

function plainProgress(stream: NodeJS.WritableStream, everyMs: number): Progress {
  let label = '';
  let count = 0;
  let total: number | undefined;
  let started = 0;
  let printed = 0;
  const print = () => {
    printed = Date.now();
    const seconds = ((printed - started) / 1000).toFixed(1);
    stream.write(`${label}: ${count}${total !== undefined ? `/${total}` : ''} (${seconds} s)\n`);
  };
  return {
    phase(name, t) {
      if (label) print();
      label = name;
      count = 0;
      total = t;
      started = printed = Date.now();
    },
    tick(n = 1, t) {
      count += n;
      if (t !== undefined) total = t;
      if (Date.now() - printed >= everyMs) print();
    },
    done() {
      if (label) print();
      label = '';
    },
  };
}
