import { describe, expect, it } from 'vitest';
import { haproxyConfig, parseShowStat } from '../../../bench/haproxy.js';
import { haproxyBootstrap, haproxyFrontends, haproxyListenerBrokerConfig, HAPROXY_LISTENER, LISTENER_FILE, listenerFileText, parseListenerFile, type BrokerRoute } from '../../../bench/haproxy-listeners.js';

const routes: BrokerRoute[] = [
  { brokerId: 1, brokerPort: 25530, listenerPort: 24650, frontendPort: 24654 },
  { brokerId: 2, brokerPort: 25531, listenerPort: 24651, frontendPort: 24655 },
];

describe('haproxyConfig', () => {
  it('forwards each frontend in TCP mode to its broker listener, with a stats socket and idle timeouts beyond Kafka clients', () => {
    const text = haproxyConfig(haproxyFrontends('bench', routes), '/tmp/x/stats.sock');
    expect(text).toContain('  stats socket /tmp/x/stats.sock mode 600 level user');
    expect(text).toContain('  mode tcp');
    expect(text).toContain('  timeout client 10m');
    expect(text).toContain('listen bench-broker-1\n  bind 127.0.0.1:24654\n  server bench-broker-1 127.0.0.1:24650\n');
    expect(text).toContain('listen bench-broker-2\n  bind 127.0.0.1:24655\n  server bench-broker-2 127.0.0.1:24651\n');
    expect(text).not.toMatch(/^\s*mode http/m);
  });
});

describe('parseShowStat', () => {
  it('sums bytes in and out and the open connections over the FRONTEND rows only', () => {
    const csv = [
      '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq',
      'bench-broker-1,FRONTEND,,,0,3,4096,10,1000,20000,0',
      'bench-broker-1,bench-broker-1,0,0,0,3,,10,1000,20000,',
      'bench-broker-1,BACKEND,0,0,0,3,410,10,1000,20000,0',
      'bench-broker-2,FRONTEND,,,0,1,4096,2,50,700,0',
      '',
    ].join('\n');
    expect(parseShowStat(csv)).toEqual({ inBytes: 1050, outBytes: 20700, openConnections: 0 });
    expect(parseShowStat(csv.replace('bench-broker-2,FRONTEND,,,0', 'bench-broker-2,FRONTEND,,,2')).openConnections).toBe(2);
  });

  it('refuses a table without byte columns', () => {
    expect(() => parseShowStat('# pxname,svname\nx,FRONTEND\n')).toThrow(/no column bin/);
  });
});

describe('the brokers\' HAProxy listener', () => {
  it('names its values through a file each broker reads from its own folder', () => {
    const config = haproxyListenerBrokerConfig();
    expect(config['config.providers.benchfile.class']).toBe('org.apache.kafka.common.config.provider.FileConfigProvider');
    expect(config.listeners).toBe(`\${benchfile:${LISTENER_FILE}:listeners}`);
    expect(config['advertised.listeners']).toBe(`\${benchfile:${LISTENER_FILE}:advertised.listeners}`);
    expect(config['listener.security.protocol.map']).toContain(`${HAPROXY_LISTENER}:PLAINTEXT`);
  });

  it('writes a broker file that binds both listeners and advertises HAProxy for one, and reads it back', () => {
    const text = listenerFileText(routes[0] as BrokerRoute);
    expect(text).toContain('\nlisteners=PLAINTEXT://127.0.0.1:25530,HAPROXY://127.0.0.1:24650\n');
    expect(text).toContain('\nadvertised.listeners=PLAINTEXT://127.0.0.1:25530,HAPROXY://127.0.0.1:24654\n');
    expect(parseListenerFile(1, text)).toEqual(routes[0]);
    expect(parseListenerFile(1, 'listeners=PLAINTEXT://127.0.0.1:9092\nadvertised.listeners=PLAINTEXT://127.0.0.1:9092\n')).toBeUndefined();
    expect(parseListenerFile(1, '')).toBeUndefined();
  });

  it('bootstraps clients through the frontends', () => {
    expect(haproxyBootstrap(routes)).toBe('127.0.0.1:24654,127.0.0.1:24655');
  });
});
