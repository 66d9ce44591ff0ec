// The topics the backends listed the last time each was asked for all of its topics (plus
// topics named since). When a backend does not answer, its topics are still shown, with a
// retriable error, rather than left out: a client that sees a topic vanish from a full list
// treats it as deleted (pattern subscribers drop it), while LEADER_NOT_AVAILABLE only makes it
// retry. Bounded by the backends' own topic counts: a full listing replaces the last one.

export class LastKnownTopics {
  private readonly byBackend = new Map<string, Set<string>>();

  /** A backend's full listing: replaces what it listed before. */
  replace(backend: string, names: Iterable<string>): void {
    this.byBackend.set(backend, new Set(names));
  }

  /** A topic a backend described on request. */
  add(backend: string, name: string): void {
    let names = this.byBackend.get(backend);
    if (names === undefined) this.byBackend.set(backend, (names = new Set()));
    names.add(name);
  }

  /** The known topics whose domain is now on `backend` (wherever they were listed), in name order. */
  namesResolvingTo(backend: string, resolve: (name: string) => unknown): string[] {
    const out = new Set<string>();
    for (const names of this.byBackend.values()) for (const n of names) if (resolve(n) === backend) out.add(n);
    return [...out].sort();
  }
}
