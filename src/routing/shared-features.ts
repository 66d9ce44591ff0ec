// The features Turnout's ApiVersions answer (v3+) tells clients about: only those every
// backend broker has, at the level all of them reach. Features are cluster-wide, but behind
// Turnout there may be several clusters: a Java client that saw transaction.version 2 from one
// of them would stop sending AddPartitionsToTxn (KIP-890), and a backend without that feature
// then refuses its transactional Produce. The epoch rises whenever the shared set changes,
// since a Java client adopts features only from an answer with a higher epoch than it has seen.
import type { FinalizedFeatureKey, SupportedFeatureKey } from '../codec/generated/api-versions.js';

export interface BrokerFeatures {
  supportedFeatures: SupportedFeatureKey[];
  finalizedFeaturesEpoch: bigint;
  finalizedFeatures: FinalizedFeatureKey[];
}

/** Supported ranges every broker has, narrowed to their overlap; a feature without one is left out. */
function sharedSupported(brokers: readonly BrokerFeatures[]): SupportedFeatureKey[] {
  const out: SupportedFeatureKey[] = [];
  for (const f of brokers[0]?.supportedFeatures ?? []) {
    let minVersion = f.minVersion;
    let maxVersion = f.maxVersion;
    for (const b of brokers) {
      const other = b.supportedFeatures.find((o) => o.name === f.name);
      minVersion = Math.max(minVersion, other?.minVersion ?? Infinity);
      maxVersion = Math.min(maxVersion, other?.maxVersion ?? -Infinity);
    }
    if (minVersion <= maxVersion) out.push({ name: f.name, minVersion, maxVersion });
  }
  return out;
}

/** Finalized features every broker has, each at the lowest level any of them finalized. */
function sharedFinalized(brokers: readonly BrokerFeatures[]): FinalizedFeatureKey[] {
  const out: FinalizedFeatureKey[] = [];
  for (const f of brokers[0]?.finalizedFeatures ?? []) {
    let maxVersionLevel = f.maxVersionLevel;
    let minVersionLevel = f.minVersionLevel;
    let everywhere = true;
    for (const b of brokers) {
      const other = b.finalizedFeatures.find((o) => o.name === f.name);
      if (other === undefined) {
        everywhere = false;
        break;
      }
      maxVersionLevel = Math.min(maxVersionLevel, other.maxVersionLevel);
      minVersionLevel = Math.min(minVersionLevel, other.minVersionLevel);
    }
    if (everywhere) out.push({ name: f.name, maxVersionLevel, minVersionLevel });
  }
  return out;
}

function sameFinalized(a: readonly FinalizedFeatureKey[], b: readonly FinalizedFeatureKey[]): boolean {
  return a.length === b.length && a.every((f, i) => f.name === b[i].name && f.maxVersionLevel === b[i].maxVersionLevel && f.minVersionLevel === b[i].minVersionLevel);
}

/** The features to present, recomputed whenever the set of backend brokers or their answers change. */
export class SharedFeatures {
  private finalized: FinalizedFeatureKey[] | null = null;
  private epoch = -1n;

  update(brokers: readonly BrokerFeatures[]): BrokerFeatures {
    const finalized = sharedFinalized(brokers);
    let epoch = this.epoch;
    for (const b of brokers) if (b.finalizedFeaturesEpoch > epoch) epoch = b.finalizedFeaturesEpoch;
    if (this.finalized !== null && !sameFinalized(this.finalized, finalized) && epoch <= this.epoch) epoch = this.epoch + 1n;
    this.finalized = finalized;
    this.epoch = epoch;
    return { supportedFeatures: sharedSupported(brokers), finalizedFeaturesEpoch: epoch, finalizedFeatures: finalized.map((f) => ({ ...f })) };
  }
}
