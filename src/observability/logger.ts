import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout (or a given destination, for tests). No global logger: pass it along. */
export function createLogger(
  level: string,
  destination?: NodeJS.WritableStream,
): Logger {
  return pino(
    {
      level,
      base: { service: 'fulmar' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers.authorization', 'authorization'], censor: '[redacted]' },
    },
    destination ?? pino.destination(1),
  );
}
