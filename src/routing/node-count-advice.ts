// Whether a listener has too few of Turnout's own nodes for the brokers behind it. Each node
// stands for real brokers (leader-placement.ts); while there are no more brokers than nodes
// each broker has a node of its own, so a consumer's Fetch to a node goes to one broker and
// is streamed, and a Produce goes on whole. With fewer nodes a node stands for brokers of
// several backends: its Fetches are split and gathered (held whole, decoded, merged), its
// Produces split and merged. Everything still works, at a higher CPU cost per MB (1.7 times
// for a consumer of both backends in bench/README.md, "Two backends with a node per
// broker"), which is what an operator should hear about once, at start or when a backend
// grows.
//
// With zones declared the count that matters is the brokers serving each zone's clients, not
// all of them, so this advice is for several backends without zones only.

export interface ListenerNodes {
  name: string;
  nodes: number;
}

export interface BackendBrokers {
  backend: string;
  brokers: number;
}

/** One message per listener with fewer nodes than the backends have brokers together; none with zones. */
export function nodeCountAdvice(listeners: readonly ListenerNodes[], backends: readonly BackendBrokers[], zonesDeclared: boolean): string[] {
  if (zonesDeclared || backends.length < 2) return [];
  const total = backends.reduce((n, b) => n + b.brokers, 0);
  const spread = backends.map((b) => `${b.backend} ${b.brokers}`).join(', ');
  return listeners
    .filter((l) => l.nodes < total)
    .map(
      (l) =>
        `listener ${l.name} has ${l.nodes} node${l.nodes === 1 ? '' : 's'} for ${total} brokers (${spread}): ` +
        'a node stands for brokers of several backends, so Fetches to it are split and gathered and Produces split and merged, ' +
        `which costs more CPU per MB; set listeners[].nodes to at least ${total} to give each broker a node of its own`,
    );
}
