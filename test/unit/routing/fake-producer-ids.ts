// What the ProducerIdMap tests give the map as `obtain`: real producer ids handed out per
// backend from 1000 (a) / 2000 (any other), with the calls recorded.
import type { ProducerIdAndEpoch } from '../../../src/routing/producer-id-map.js';

export function fakeBackends(): { obtain: (backend: string) => Promise<ProducerIdAndEpoch>; calls: string[] } {
  const next = new Map<string, bigint>();
  const calls: string[] = [];
  const obtain = async (backend: string): Promise<ProducerIdAndEpoch> => {
    calls.push(backend);
    const id = next.get(backend) ?? (backend === 'a' ? 1000n : 2000n);
    next.set(backend, id + 1n);
    return { producerId: id, producerEpoch: 0 };
  };
  return { obtain, calls };
}
