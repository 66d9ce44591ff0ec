import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { switchedDomainState } from '../../../src/policy/cutover-domain-state.js';
import { LocalCutoverStore } from '../../../src/policy/cutover-local-store.js';
import { CutoverPolicyView } from '../../../src/policy/cutover-policy-view.js';
import { PolicyChangeError } from '../../../src/policy/policy-store.js';
import { FakePolicyStore } from '../admin/domain-fixtures.js';
import { plannedCutover, point } from './cutover-fixtures.js';

const log = createLogger({ level: 'silent' });

async function setup(): Promise<{ inner: FakePolicyStore; cutovers: LocalCutoverStore; view: CutoverPolicyView }> {
  const inner = new FakePolicyStore();
  const cutovers = await LocalCutoverStore.open({ dir: null, log });
  const view = new CutoverPolicyView({ inner, fixed: inner.current(), cutovers, log });
  return { inner, cutovers, view };
}

describe('the policy as routing sees it after cutovers', () => {
  it('is the store policy itself while no domain has been cut over', async () => {
    const { inner, view } = await setup();
    expect(view.current()).toBe(inner.current());
    expect(view.current()).toBe(view.current());
  });

  it('takes a cut-over domain backend from the cutover state, in the same change as its segments', async () => {
    const { cutovers, view } = await setup();
    const changes: string[] = [];
    view.subscribe((next) => changes.push(next.domains.get('orders')?.backend ?? '?'));
    const state = switchedDomainState({ previous: undefined, from: 'east', to: 'west', baseGenerations: {}, generations: { 'orders.a': 1 }, points: [point('orders.a', 0, 5n, 0n)] });
    await cutovers.setDomainState('orders', state, 0);
    expect(view.current().domains.get('orders')?.backend).toBe('west');
    expect(view.current().resolve('topic', 'orders.a')).toMatchObject({ ok: true, domain: { backend: 'west' } });
    expect(view.current().domains.get('payments')?.backend).toBe('west');
    expect(changes).toEqual(['west']);
  });

  it('refuses to set the backend of a domain with segments or a cutover in progress', async () => {
    const { cutovers, view, inner } = await setup();
    await cutovers.create(plannedCutover('orders', 'east', 'west'));
    await expect(view.setDomainBackend('orders', 'west')).rejects.toMatchObject({ reason: 'cutover' });
    const state = switchedDomainState({ previous: undefined, from: 'east', to: 'west', baseGenerations: {}, generations: { p: 1 }, points: [point('p', 0, 5n, 0n)] });
    await cutovers.setDomainState('payments', state, cutovers.current().version);
    await expect(view.setDomainBackend('payments', 'east')).rejects.toThrow(PolicyChangeError);
    await view.setDomainBackend('legacy', 'west');
    expect(inner.current().domains.get('legacy')?.backend).toBe('west');
  });
});
