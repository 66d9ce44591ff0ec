// The `processes` field: how many Turnout processes serve the listeners, one per core with
// `auto`. Several processes share every listener port (Node's cluster module: the primary
// accepts and hands connections to its workers in turn) and each is an instance of the
// virtual cluster, so what they must agree on has to live where all of them see it:
//   - the Redis store: every worker is one more instance, as separate machines are;
//   - the file store: accepted only while nothing is written to the state folder at run
//     time (one backend presented broker per node, no ACLs kept by Turnout). Its files have
//     one writer: virtual producer ids, cutover segments and ACL bindings written by two
//     processes at once would be lost or torn, so those need Redis.
// Listener ports must be fixed: a worker binds each virtual node's port itself, and ephemeral
// ports could differ between workers, which would then advertise different node addresses.
import { z } from 'zod';
import { presentationOf, type ZoneRoutingCheckInput } from './zone-routing-schema.js';

/** A count, or `auto` for one process per core. */
export const processesField = z
  .union([z.number().int().min(1).max(256), z.literal('auto')])
  .default(1);

export type ProcessesSetting = z.output<typeof processesField>;

type AddIssue = (path: PropertyKey[], message: string) => void;

/** What the check reads of a configuration. */
export interface ProcessesCheckInput extends Pick<ZoneRoutingCheckInput, 'virtualCluster' | 'backends' | 'zones'> {
  processes: ProcessesSetting;
  listeners: ReadonlyArray<{ bootstrapPort: number; nodePortBase: number }>;
  store: { type: 'file' | 'redis' };
  authorization?: { enabled: boolean };
}

/** The number of processes a setting means on a machine with `cores` cores. */
export function processCountOf(setting: ProcessesSetting, cores: number): number {
  return setting === 'auto' ? Math.max(1, cores) : setting;
}

/** What the file store cannot give several processes, or null when it can serve them. */
function fileStoreObstacle(config: ProcessesCheckInput): string | null {
  if (presentationOf(config) === 'turnout-nodes') {
    return "Turnout's own nodes (several backends or zones) keep virtual producer ids, topic ids and cutover segments";
  }
  if (config.authorization?.enabled === true) return 'authorization keeps the ACL bindings clients create';
  return null;
}

/** Adds the issues of a `processes` setting that several processes cannot run with. */
export function checkProcesses(config: ProcessesCheckInput, addIssue: AddIssue): void {
  if (config.processes === 1) return;
  const several = `processes: ${String(config.processes)}`;
  if (config.store.type === 'file') {
    const obstacle = fileStoreObstacle(config);
    if (obstacle !== null) {
      addIssue(
        ['processes'],
        `${several} needs store.type: redis: ${obstacle} in the state folder, whose files take one writer; several processes share them through Redis, as several instances do`,
      );
    }
  }
  config.listeners.forEach((l, i) => {
    if (l.bootstrapPort === 0) addIssue(['listeners', i, 'bootstrapPort'], `${several} needs a fixed port (not 0): every process binds the same ports`);
    if (l.nodePortBase === 0) addIssue(['listeners', i, 'nodePortBase'], `${several} needs a fixed port (not 0): every process must advertise the same node ports`);
  });
}
