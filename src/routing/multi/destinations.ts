// Where a split request's parts go: a destination is one backend broker, written
// `backend/brokerId` so that it can key a map; and the failure a part that found no answer there
// is answered with.
import { DestinationFailure } from '../split-route.js';

export function destinationOf(backend: string, brokerId: number): string {
  return `${backend}/${brokerId}`;
}

export function parseDestination(destination: string): { backend: string; brokerId: number } {
  const i = destination.lastIndexOf('/');
  return { backend: destination.slice(0, i), brokerId: Number(destination.slice(i + 1)) };
}

/** Any error of a part's request, as the failure its partitions are answered with. */
export function failureOf(err: unknown): DestinationFailure {
  if (err instanceof DestinationFailure) return err;
  return new DestinationFailure(err instanceof Error ? err.message : String(err));
}

/** 32-bit FNV-1a: a stable spread of names over Turnout's nodes. */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
