// Interrupting the demo: every wait in its flows gives up as soon as Ctrl-C aborts the run, so
// that cleanup (clients, Turnout, the cluster) starts at once.

export class DemoAbortedError extends Error {
  constructor() {
    super('demo interrupted');
    this.name = 'DemoAbortedError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new DemoAbortedError();
}

/** Resolves like `p`, or rejects with DemoAbortedError as soon as `signal` aborts. */
export function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return p;
  throwIfAborted(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new DemoAbortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
