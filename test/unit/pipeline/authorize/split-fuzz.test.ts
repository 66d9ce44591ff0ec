// Property: whatever the request and whatever the ACLs, what the ACL filter forwards, answers
// and merges always decodes, for every api and version; and a split's merged answer holds
// the denied entries the split answered itself.
import { describe, expect, it } from 'vitest';
import { APIS, type AnyRequest, type AnyResponse } from '../../../../src/codec/index.js';
import { API_SCHEMAS } from '../../../../src/codec/generated/schema.js';
import type { AuthorizationDecision, AuthorizationRequest } from '../../../../src/policy/acl-model.js';
import { aclTableRows, rowApiKey } from '../../../../src/pipeline/authorize/acl-table.js';
import { LearnedTopicNames } from '../../../../src/pipeline/authorize/topic-names.js';
import { Rng, sampleMessage } from '../../codec/samples.js';
import { Decided, decide, harness } from '../acl-test-kit.js';

/** Allows or denies each (operation, resource) by a coin fixed per seed. */
function coinAuthorizer(seed: number) {
  const decision = (key: string): boolean => {
    let h = seed;
    for (let i = 0; i < key.length; i++) h = (Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0) | 0;
    return (h & 1) === 0;
  };
  return {
    enabled: true,
    authorize: (r: AuthorizationRequest): AuthorizationDecision =>
      decision(`${r.operation}/${r.resourceType}/${r.resourceName}`)
        ? { allowed: true, reason: { kind: 'no-acl-allow-everyone' } }
        : { allowed: false, reason: { kind: 'no-matching-allow' } },
    authorizeAny: (_p: unknown, _h: string, op: string, type: string) => decision(`any/${op}/${type}`),
  };
}

const ruled = new Set(
  aclTableRows(new LearnedTopicNames())
    .filter((r) => r.kind === 'rule')
    .map(rowApiKey),
);

describe('ACL split and merge, on random requests', () => {
  // A generous deadline, only to catch a hang: the machine is shared.
  it('forwards, answers and merges only what decodes, for every api, version and decision', { timeout: 120_000 }, () => {
    let cases = 0;
    let splits = 0;
    for (const api of APIS.filter((a) => ruled.has(a.apiKey))) {
      const schema = API_SCHEMAS.find((s) => s.apiKey === api.apiKey)!;
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        for (let seed = 1; seed <= 6; seed++) {
          const rng = new Rng(api.apiKey * 7919 + v * 31 + seed);
          const nulls = seed % 3 === 0;
          const body = sampleMessage(schema.request, v, rng, { nulls, unknownTags: seed % 2 === 0 }) as unknown as AnyRequest;
          const h = harness();
          Object.assign(h.authorizer, coinAuthorizer(seed));
          const d = decide(h, api.apiKey as never, v, body as never) as Decided<never>;
          const backend = sampleMessage(schema.response, v, rng, { nulls, unknownTags: false }) as unknown as AnyResponse;
          const where = `${api.name} v${v} seed ${seed}`;
          switch (d.outcome.kind) {
            case 'answer':
              expect(() => d.answer(), where).not.toThrow();
              break;
            case 'forward':
              expect(() => d.forwarded(body as never), where).not.toThrow();
              expect(() => d.answered(backend as never), where).not.toThrow();
              break;
            case 'deny': {
              splits++;
              const denial = d.outcome.denial;
              if (denial.allowed === null) expect(() => d.answer(), where).not.toThrow();
              else {
                expect(() => d.forwarded(body as never), where).not.toThrow();
                expect(() => d.answered(backend as never), where).not.toThrow();
              }
              break;
            }
            case 'close':
            case 'hold':
              break;
          }
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(1500);
    expect(splits).toBeGreaterThan(100);
  });
});
