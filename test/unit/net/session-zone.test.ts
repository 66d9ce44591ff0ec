import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ApiKey, createFetchRequest, encodeRequestBody, encodeRequestHeader } from '../../../src/codec/index.js';
import { NO_ZONES, SessionZone, zoneContextOf } from '../../../src/net/session-zone.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { ZoneModel } from '../../../src/policy/zone-resolver.js';

const model = new ZoneModel({
  zones: ['az-a', 'az-b', 'az-c'],
  listenerZones: [['default', 'az-a']],
  cidrs: [['10.0.0.0/8', 'az-b']],
  backendRackZones: [['main', { 'rack-3': 'az-c' }]],
});

/** A request frame, size prefix included, as a client connection hands it over. */
function frame(apiKey: number, apiVersion: number, clientId: string | null, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = encodeRequestHeader({ apiKey, apiVersion, correlationId: 7, clientId });
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length);
  return Buffer.concat([size, header, body]);
}

function fetchFrame(version: number, rackId: string, clientId = 'consumer'): Buffer {
  const body = encodeRequestBody(ApiKey.Fetch, version, { ...createFetchRequest(), rackId });
  return frame(ApiKey.Fetch, version, clientId, Buffer.from(body));
}

interface LogLine {
  msg: string;
  zone?: string | null;
  zoneSource?: string;
  previousZoneSource?: string;
  ignoredZoneHints?: Array<{ source: string; value: string; reason: string }>;
}

function session(remoteAddress = '192.0.2.1', listenerName = 'default', m: ZoneModel = model) {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  const metrics = new ProxyMetrics({ apiName: () => undefined });
  const zone = new SessionZone({ model: m, remoteAddress, listenerName, log: createLogger({ level: 'info', destination: sink }), metrics: metrics.zones });
  return { zone, lines, metrics };
}

async function settle(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

describe('SessionZone', () => {
  it('starts from the source address and listener, before any request', () => {
    expect(session('10.1.1.1').zone.source).toBe('cidr');
    const s = session('192.0.2.1');
    expect([s.zone.zone, s.zone.source]).toEqual(['az-a', 'listener']);
  });

  it('decides from a client.id tag on the first request, logs it once and counts it', async () => {
    const s = session();
    s.zone.observeRequest(frame(ApiKey.ApiVersions, 3, 'svc,turnout_az=az-b'), ApiKey.ApiVersions, 3);
    s.zone.observeRequest(frame(ApiKey.Metadata, 12, 'svc,turnout_az=az-b'), ApiKey.Metadata, 12);
    s.zone.observeRequest(fetchFrame(12, 'az-c'), ApiKey.Fetch, 12);
    await settle();
    expect(s.zone.view()).toEqual({ zone: 'az-b', source: 'client-id-tag', evidence: 'turnout_az=az-b', clientId: 'svc,turnout_az=az-b' });
    const decisions = s.lines.filter((l) => l.msg.startsWith('client zone'));
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ msg: 'client zone decided', zone: 'az-b', zoneSource: 'client-id-tag' });
    expect(s.metrics.zones.snapshot().decisions).toEqual([{ zone: 'az-b', source: 'client-id-tag', count: 1 }]);
  });

  it('upgrades to the Fetch rack_id from v11 on, and logs the change with the previous source', async () => {
    const s = session('10.0.0.5');
    s.zone.observeRequest(frame(ApiKey.ApiVersions, 3, 'consumer'), ApiKey.ApiVersions, 3);
    s.zone.observeRequest(fetchFrame(10, ''), ApiKey.Fetch, 10);
    expect(s.zone.source).toBe('cidr');
    s.zone.observeRequest(fetchFrame(12, 'rack-3'), ApiKey.Fetch, 12);
    await settle();
    expect([s.zone.zone, s.zone.source]).toEqual(['az-c', 'fetch-rack']);
    expect(s.lines.filter((l) => l.msg.startsWith('client zone')).map((l) => [l.msg, l.zoneSource, l.previousZoneSource])).toEqual([
      ['client zone decided', 'cidr', undefined],
      ['client zone changed', 'fetch-rack', 'cidr'],
    ]);
    expect(s.metrics.zones.snapshot().decisions.map((d) => [d.zone, d.source, d.count])).toEqual([
      ['az-b', 'cidr', 1],
      ['az-c', 'fetch-rack', 1],
    ]);
  });

  it('never moves down in priority and reads the rack only once', async () => {
    const s = session();
    s.zone.observeRequest(frame(ApiKey.ApiVersions, 3, 'ws_az=az-c'), ApiKey.ApiVersions, 3);
    s.zone.observeRequest(fetchFrame(13, 'az-b'), ApiKey.Fetch, 13);
    expect([s.zone.zone, s.zone.source]).toEqual(['az-c', 'client-id-tag']);

    const t = session();
    t.zone.observeRequest(fetchFrame(12, 'az-b'), ApiKey.Fetch, 12);
    t.zone.observeRequest(fetchFrame(12, 'az-c'), ApiKey.Fetch, 12);
    expect([t.zone.zone, t.zone.source]).toEqual(['az-b', 'fetch-rack']);
  });

  it('reports an unknown tag or rack with its reason, once, and keeps the zone it had', async () => {
    const s = session();
    s.zone.observeRequest(frame(ApiKey.ApiVersions, 3, 'turnout_az=az-q'), ApiKey.ApiVersions, 3);
    s.zone.observeRequest(fetchFrame(12, 'rack-9'), ApiKey.Fetch, 12);
    await settle();
    expect(s.zone.source).toBe('listener');
    expect(s.lines.map((l) => l.msg)).toEqual(['client zone decided', 'client zone hint ignored']);
    expect(s.lines[0].ignoredZoneHints).toEqual([{ source: 'client-id-tag', value: 'turnout_az=az-q', reason: '"az-q" is not a configured zone' }]);
    expect(s.lines[1].ignoredZoneHints?.map((h) => [h.source, h.value])).toEqual([['fetch-rack', 'rack-9']]);
  });

  it('takes a header or Fetch it cannot decode as no hint', () => {
    const s = session();
    const garbage = Buffer.from([0, 0, 0, 10, 0, 1, 0, 12, 0, 0, 0, 1, 0x7f, 0x7f]);
    expect(() => s.zone.observeRequest(garbage, ApiKey.Fetch, 12)).not.toThrow();
    expect(s.zone.view()).toMatchObject({ zone: 'az-a', source: 'listener', clientId: null });
  });

  it('counts an upstream tally\'s bytes under the client\'s zone at the time of each count', () => {
    const s = session('10.0.0.5');
    const tally = s.zone.tallyFor('az-c');
    tally.count('to_broker', 100);
    s.zone.observeRequest(fetchFrame(12, 'az-c'), ApiKey.Fetch, 12);
    tally.count('from_broker', 50);
    const snap = s.metrics.zones.snapshot();
    expect(snap.pairs).toEqual([
      { clientZone: 'az-b', brokerZone: 'az-c', crossZone: true, toBrokerBytes: 100, fromBrokerBytes: 0 },
      { clientZone: 'az-c', brokerZone: 'az-c', crossZone: false, toBrokerBytes: 0, fromBrokerBytes: 50 },
    ]);
    expect(snap.crossZone).toEqual({ toBrokerBytes: 100, fromBrokerBytes: 0 });
  });
});

describe('zoneContextOf', () => {
  it('finds a broker\'s zone from its backend\'s current rack', () => {
    const racks = new Map([[3, 'rack-3'], [4, 'rack-unknown']]);
    const ctx = zoneContextOf(model, [{ backend: 'main', broker: (id) => (racks.has(id) ? { rack: racks.get(id) ?? null } : undefined) }]);
    const at = (backend: string, brokerId: number) => ctx.brokerZone({ backend, brokerId, host: 'h', port: 1 });
    expect(at('main', 3)).toBe('az-c');
    expect(at('main', 4)).toBeNull();
    expect(at('main', 5)).toBeNull();
    expect(at('other', 3)).toBeNull();
    expect(NO_ZONES.brokerZone({ backend: 'main', brokerId: 3, host: 'h', port: 1 })).toBeNull();
  });
});
