// Names shared by every Redis-backed store, apart from the stores themselves: importing them
// does not load the Redis client, which a Turnout on files never needs.

/** Default key prefix: the braces keep all keys of a virtual cluster in one Redis Cluster slot. */
export function defaultRedisKeyPrefix(clusterId: string): string {
  return `turnout:{${clusterId}}:`;
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
