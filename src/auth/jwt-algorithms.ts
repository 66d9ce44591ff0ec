// The JWT signature algorithms OAUTHBEARER accepts by default, apart from the validator: the
// configuration schema names them without loading jose.

/** Signature algorithms accepted unless configured otherwise: public-key ones only. */
export const DEFAULT_JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
