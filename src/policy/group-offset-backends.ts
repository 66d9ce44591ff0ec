// What moving a domain's consumer groups (groups-move.ts) asks of the backend clusters, in
// Turnout's own requests. Implemented over the codec by src/routing/cutover-backend-requests.ts;
// a test gives a fake.

/** One committed offset of a group, as its coordinator keeps it. */
export interface GroupOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

export interface GroupOffsetBackends {
  /** The groups a backend's coordinators know that `wanted` picks, with their state (Empty, Stable, …). */
  listGroups(backend: string, wanted: (group: string) => boolean): Promise<Map<string, string>>;
  /**
   * Every committed offset of a group on a backend; `stable`: once the markers of the
   * transactions that committed them are written (asked again meanwhile).
   */
  groupOffsets(backend: string, group: string, stable?: boolean): Promise<GroupOffset[]>;
  /**
   * Commits offsets for a group on a backend as an admin does (generation −1, no member): the
   * coordinator accepts it only while the group has no members.
   */
  commitGroupOffsets(backend: string, group: string, offsets: readonly GroupOffset[]): Promise<void>;
  /** The member ids a group has on a backend's coordinator (classic groups; none for a group without members). */
  groupMembers(backend: string, group: string): Promise<string[]>;
}
