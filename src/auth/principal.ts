// Who a client is, as Kafka names it: a principal type and a name, written `User:alice`.
// A connection starts as `User:ANONYMOUS` (a broker's principal for an unauthenticated
// listener) and becomes its TLS subject or SASL user once that is established.

export interface KafkaPrincipal {
  /** `User` for every principal Turnout establishes. */
  readonly type: string;
  readonly name: string;
}

export const ANONYMOUS: KafkaPrincipal = Object.freeze({ type: 'User', name: 'ANONYMOUS' });

/** `User:alice`, as ACLs, logs and metrics write a principal. */
export function principalString(p: KafkaPrincipal): string {
  return `${p.type}:${p.name}`;
}

/** Parses `Type:name` (the name may itself hold colons). Throws on a string without a type. */
export function parsePrincipal(text: string): KafkaPrincipal {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) {
    throw new Error(`principal ${JSON.stringify(text)} is not of the form Type:name (for example User:alice)`);
  }
  return { type: text.slice(0, colon), name: text.slice(colon + 1) };
}

export function userPrincipal(name: string): KafkaPrincipal {
  return { type: 'User', name };
}
