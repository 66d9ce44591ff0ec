// Consumer groups on fake backends for the tests of moving groups: their state and committed
// offsets per backend, and their members; a commit may be made to wait.
import type { GroupOffset, GroupOffsetBackends } from '../../../src/policy/group-offset-backends.js';

/** Groups, their state and committed offsets per backend; a commit may be made to wait. */
export class FakeGroupOffsets implements GroupOffsetBackends {
  readonly groups = new Map<string, Map<string, { state: string; offsets: GroupOffset[] }>>();
  /** Resolves when the next commit may go on (null: at once). */
  commitGate: Promise<void> | null = null;
  commits = 0;
  readonly members = new Map<string, string[]>();

  set(backend: string, group: string, state: string, offsets: GroupOffset[]): void {
    let b = this.groups.get(backend);
    if (b === undefined) this.groups.set(backend, (b = new Map()));
    b.set(group, { state, offsets });
  }

  async listGroups(backend: string, wanted: (group: string) => boolean): Promise<Map<string, string>> {
    return new Map([...(this.groups.get(backend) ?? [])].filter(([g]) => wanted(g)).map(([g, v]) => [g, v.state]));
  }

  /** `backend/group` of each read asked for stable offsets (those of transactions with their markers written). */
  readonly stableReads: string[] = [];

  async groupOffsets(backend: string, group: string, stable = false): Promise<GroupOffset[]> {
    if (stable) this.stableReads.push(`${backend}/${group}`);
    return this.groups.get(backend)?.get(group)?.offsets.map((o) => ({ ...o })) ?? [];
  }

  async groupMembers(backend: string, group: string): Promise<string[]> {
    return this.members.get(`${backend}/${group}`) ?? [];
  }

  async commitGroupOffsets(backend: string, group: string, offsets: readonly GroupOffset[]): Promise<void> {
    this.commits++;
    if (this.commitGate !== null) await this.commitGate;
    const before = this.groups.get(backend)?.get(group);
    if (before !== undefined && before.state !== 'Empty') throw new Error(`group ${group} is ${before.state}`);
    this.set(backend, group, 'Empty', offsets.map((o) => ({ ...o })));
  }
}

export function offset(topic: string, partition: number, at: bigint): GroupOffset {
  return { topic, partition, offset: at, leaderEpoch: 7, metadata: '' };
}
