// Turnout's logger: pino, JSON lines on stdout. Each connection logs through a child logger
// that carries its id and peer, so a line never needs the context spelled out again.
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger } from 'pino';
export type LogLevel = LevelWithSilent;

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; stdout when absent. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      name: 'turnout',
      level: opts.level,
      base: { pid: process.pid },
      serializers: { err: pino.stdSerializers.err },
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
