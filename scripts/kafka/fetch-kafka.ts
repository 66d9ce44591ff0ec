// Downloads Apache Kafka versions into the devkit cache (no-op for versions already there).
// Run from source with tsx so that setup works before (and whatever the state of) a build:
//   npx tsx scripts/kafka/fetch-kafka.ts 4.1.1 3.9.1
import { cachedKafka, ensureKafka } from '../../src/devkit/kafka-install.js';
import { DEFAULT_KAFKA_VERSION } from '../../src/devkit/devkit-paths.js';

const versions = process.argv.slice(2);
for (const version of versions.length > 0 ? versions : [DEFAULT_KAFKA_VERSION]) {
  const already = cachedKafka(version);
  const install = already ?? (await ensureKafka(version, { log: (line) => process.stderr.write(`setup: ${line}\n`) }));
  process.stdout.write(`Kafka ${version}: ${install.libsDir}${already !== undefined ? ' (cached)' : ''}\n`);
}
