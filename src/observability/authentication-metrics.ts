// Authentication metrics:
//   turnout_authentications_total{mechanism,result}
// counts SASL logins and re-authentications by mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512,
// OAUTHBEARER, or "unsupported" for a mechanism the client's listener does not offer: never
// the client's own string, so the label set stays bounded) and result (success, failure).
import { Counter, type Registry } from 'prom-client';
import { isSaslMechanismName } from '../auth/sasl-mechanism.js';

export type AuthenticationResult = 'success' | 'failure';

export class AuthenticationMetrics {
  private readonly authentications: Counter<'mechanism' | 'result'>;

  constructor(registry: Registry) {
    this.authentications = new Counter({
      name: 'turnout_authentications_total',
      help: 'SASL authentications and re-authentications, by mechanism and result (success, failure)',
      labelNames: ['mechanism', 'result'],
      registers: [registry],
    });
  }

  authentication(mechanism: string, result: AuthenticationResult): void {
    this.authentications.labels(isSaslMechanismName(mechanism) ? mechanism : 'unsupported', result).inc();
  }
}
