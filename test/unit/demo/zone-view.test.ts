import { describe, expect, it } from 'vitest';
import type { ZonesResponse } from '../../../src/admin/zone-routes.js';
import { demoZoneView } from '../../../src/demo/zone-view.js';

describe('demoZoneView', () => {
  it("totals the bytes of clients with a zone and splits fetched records by the serving broker's zone", () => {
    const z: ZonesResponse = {
      zones: ['az-a', 'az-b'],
      listeners: [],
      clients: { total: 3, byZone: [{ zone: 'az-a', total: 2, bySource: { listener: 2 } }, { zone: null, total: 1, bySource: {} }], connections: [], connectionsTruncated: false },
      bytes: {
        pairs: [
          { clientZone: 'az-a', brokerZone: 'az-a', crossZone: false, toBrokerBytes: 100, fromBrokerBytes: 1_000 },
          { clientZone: 'az-a', brokerZone: 'az-b', crossZone: true, toBrokerBytes: 50, fromBrokerBytes: 5 },
          { clientZone: null, brokerZone: 'az-b', crossZone: false, toBrokerBytes: 7, fromBrokerBytes: 70 },
        ],
        crossZone: { toBrokerBytes: 50, fromBrokerBytes: 5 },
      },
      decisions: [],
      routing: {
        fallbacks: [],
        fetches: [
          { clientZone: 'az-a', brokerZone: 'az-a', replica: 'follower', partitions: 10, recordBytes: 900 },
          { clientZone: 'az-a', brokerZone: 'az-a', replica: 'leader', partitions: 2, recordBytes: 60 },
          { clientZone: 'az-b', brokerZone: 'az-a', replica: 'leader', partitions: 1, recordBytes: 40 },
          { clientZone: null, brokerZone: 'az-b', replica: 'leader', partitions: 1, recordBytes: 1_000 },
        ],
        followerRetries: {},
        remoteLeaders: [],
      },
      peers: [],
    };
    expect(demoZoneView(z)).toEqual({
      zones: ['az-a', 'az-b'],
      pairs: z.bytes.pairs,
      crossZone: { toBrokerBytes: 50, fromBrokerBytes: 5 },
      total: { toBrokerBytes: 150, fromBrokerBytes: 1_005 },
      fetchedRecordBytes: { sameZone: 960, otherZone: 40, fromFollowers: 900 },
      clientsByZone: [
        { zone: 'az-a', connections: 2 },
        { zone: null, connections: 1 },
      ],
    });
  });
});
