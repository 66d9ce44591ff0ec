import { describe, expect, it } from 'vitest';
import { counterDelta, parseZoneCounters, parseZoneLayout, zoneClusterPlacement, zonesScript, type ZoneCounters } from '../../../src/devkit/zone-rig.js';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const COUNTERS = `# zone class device tx_bytes rx_bytes tx_packets rx_packets
az-a client client 100 200 1 2
az-a repl repl 300 400 3 4
az-a ctrl ctrl 5 6 1 1
az-a local lo 70 70 7 7
`;

describe('zone rig', () => {
  it('parses the counters zones.sh prints, skipping the header', () => {
    expect(parseZoneCounters(COUNTERS)).toEqual([
      { zone: 'az-a', trafficClass: 'client', device: 'client', txBytes: 100, rxBytes: 200, txPackets: 1, rxPackets: 2 },
      { zone: 'az-a', trafficClass: 'repl', device: 'repl', txBytes: 300, rxBytes: 400, txPackets: 3, rxPackets: 4 },
      { zone: 'az-a', trafficClass: 'ctrl', device: 'ctrl', txBytes: 5, rxBytes: 6, txPackets: 1, rxPackets: 1 },
      { zone: 'az-a', trafficClass: 'local', device: 'lo', txBytes: 70, rxBytes: 70, txPackets: 7, rxPackets: 7 },
    ]);
  });

  it('rejects a counters line with a missing field, an unknown class or a negative number', () => {
    expect(() => parseZoneCounters('az-a client client 1 2 3')).toThrow('line 1 is malformed');
    expect(() => parseZoneCounters('# h\naz-a bulk bulk 1 2 3 4')).toThrow('line 2 is malformed');
    expect(() => parseZoneCounters('az-a client client -1 2 3 4')).toThrow('malformed');
  });

  it('subtracts an earlier reading device by device and notices counters that went back', () => {
    const before: ZoneCounters = { readAtMs: 1, devices: parseZoneCounters(COUNTERS) };
    const after: ZoneCounters = { readAtMs: 9, devices: parseZoneCounters(COUNTERS.replace('100 200', '1100 1200')) };
    const delta = counterDelta(before, after);
    expect(delta.readAtMs).toBe(9);
    expect(delta.devices[0]).toMatchObject({ txBytes: 1000, rxBytes: 1000, txPackets: 0 });
    expect(delta.devices[1]).toMatchObject({ txBytes: 0, rxBytes: 0 });
    expect(() => counterDelta(after, before)).toThrow('went backwards');
    expect(() => counterDelta({ readAtMs: 0, devices: [] }, after)).toThrow('missing from the earlier counter reading');
  });

  it('reads the layout zones.sh prints and places one broker per zone, the controller in the core', () => {
    const layout = parseZoneLayout(execFileSync('bash', [zonesScript(), 'layout'], { encoding: 'utf8' }));
    expect(layout.zones.map((z) => [z.zone, z.netns, z.clientHost, z.replicationHost])).toEqual([
      ['az-a', 'tz-a', '10.231.1.1', '10.231.2.1'],
      ['az-b', 'tz-b', '10.231.1.2', '10.231.2.2'],
      ['az-c', 'tz-c', '10.231.1.3', '10.231.2.3'],
    ]);
    const placement = zoneClusterPlacement(layout);
    expect(placement.controller).toEqual({ host: '10.231.3.254', netns: 'tz-core' });
    expect(placement.brokers[2]).toEqual({ host: '10.231.1.3', replicationHost: '10.231.2.3', netns: 'tz-c' });
  });

  it('names namespaces after TURNOUT_ZONES_PREFIX and refuses a prefix that is not plain', () => {
    const run = (prefix: string): string => execFileSync('bash', [zonesScript(), 'layout'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TURNOUT_ZONES_PREFIX: prefix } });
    expect(parseZoneLayout(run('tzx')).zones.map((z) => z.netns)).toEqual(['tzx-a', 'tzx-b', 'tzx-c']);
    expect(() => run('Bad-')).toThrow();
  });

  it('rejects layout text that is not the expected JSON', () => {
    expect(() => parseZoneLayout('zones up')).toThrow('printed no JSON');
    expect(() => parseZoneLayout('{"prefix":"tz"}')).toThrow();
  });

  it('finds zones.sh in this checkout', () => {
    expect(existsSync(zonesScript())).toBe(true);
  });
});
