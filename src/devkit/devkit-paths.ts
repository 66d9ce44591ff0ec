// Where the devkit keeps downloaded Kafka jars and the state of the clusters it starts.
// Both live under one cache root so that every checkout on a machine sees the same
// clusters (and never hands out a port another checkout's cluster holds).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const DEFAULT_KAFKA_VERSION = '4.1.1';

/** The Kafka version whose CLI tools talk to every cluster, whatever its own version. */
export const TOOLS_KAFKA_VERSION = '4.1.1';

/** `$TURNOUT_CACHE_DIR`, else `$XDG_CACHE_HOME/turnout`, else `~/.cache/turnout`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.TURNOUT_CACHE_DIR;
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache');
  return join(base, 'turnout');
}

/** `<cache>/kafka/<version>`: one Kafka installation (its `libs/` and logging configs). */
export function kafkaHome(version: string, root: string = cacheRoot()): string {
  return join(root, 'kafka', version);
}

/** `<cache>/clusters`: one folder per named cluster. */
export function clustersRoot(root: string = cacheRoot()): string {
  return join(root, 'clusters');
}

export function clusterDir(name: string, root: string = cacheRoot()): string {
  return join(clustersRoot(root), name);
}

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Cluster names become folder names and process markers: keep them plain. */
export function checkClusterName(name: string): string {
  if (!CLUSTER_NAME.test(name) || name.includes('..')) {
    throw new Error(`invalid cluster name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-' (at most 63)`);
  }
  return name;
}

const VERSION = /^\d+\.\d+\.\d+([.-][A-Za-z0-9.-]+)?$/;

export function checkKafkaVersion(version: string): string {
  if (!VERSION.test(version)) throw new Error(`invalid Kafka version ${JSON.stringify(version)}: expected e.g. 4.1.1`);
  return version;
}

/** The major version, which decides config dialect (log4j 1 vs 2, static vs dynamic quorum). */
export function kafkaMajor(version: string): number {
  return Number.parseInt(version.split('.')[0] ?? '0', 10);
}
