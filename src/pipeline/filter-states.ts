// Per-connection state of the request filters, one slot per FilterStateKey, made on first use.
import { ANONYMOUS } from '../auth/principal.js';
import type { Deadline, FilterSession, FilterStateKey, RawFrameHandler } from './filter.js';

export class FilterStates {
  private readonly slots = new Map<FilterStateKey<unknown>, unknown>();

  get<T>(key: FilterStateKey<T>): T {
    if (this.slots.has(key)) return this.slots.get(key) as T;
    const value = key.init();
    this.slots.set(key, value);
    return value;
  }
}

/**
 * The filter-facing part of a session that stands for no client socket (Turnout's own
 * requests, tests): anonymous, without TLS, and unable to leave Kafka framing.
 */
export function sessionWithoutSocket(clientHost = '127.0.0.1'): Pick<FilterSession, 'clientHost' | 'tls' | 'principal' | 'filterState' | 'takeRawFrames' | 'setDeadline' | 'setFrameLimit'> {
  const states = new FilterStates();
  return {
    clientHost,
    tls: null,
    principal: ANONYMOUS,
    filterState: (key) => states.get(key),
    takeRawFrames: (_handler: RawFrameHandler): void => {
      throw new Error('this session has no client socket to take raw frames from');
    },
    // Nothing to close: a session without a socket has no deadline to keep.
    setDeadline: (_deadline: Deadline | null): void => undefined,
    setFrameLimit: (_maxFrameBytes: number | null): void => undefined,
  };
}
