// The devkit: real Apache Kafka for development, tests, the demo and the benchmarks.
export { cacheRoot, clusterDir, kafkaHome, DEFAULT_KAFKA_VERSION, TOOLS_KAFKA_VERSION } from './devkit-paths.js';
export { ensureKafka, cachedKafka, cachedKafkaVersions, KafkaInstallError, type KafkaInstall, type EnsureKafkaOptions } from './kafka-install.js';
export {
  startCluster,
  stopCluster,
  clusterStatus,
  clusterInfo,
  listClusters,
  stopBroker,
  startBroker,
  ClusterStartError,
  DEFAULT_RACKS,
  type StartClusterOptions,
  type StopClusterOptions,
  type StatusOptions,
  type StopBrokerOptions,
  type StartBrokerOptions,
  type ClusterInfo,
  type ClusterStatus,
  type BrokerInfo,
  type NodeStatus,
} from './kafka-cluster.js';
export { probeKafka, type ProbeResult, type ProbedBroker } from './kafka-probe.js';
export { checkPlacement, type ClusterPlacement, type NodePlacement, type BrokerPlacement } from './cluster-placement.js';
export { inNetns, tcpRelayCommand, checkNetnsName, type Command } from './netns.js';
export {
  zonesUp,
  zonesDown,
  zoneLayout,
  zoneNamespaces,
  zonesScript,
  readZoneCounters,
  parseZoneCounters,
  parseZoneLayout,
  counterDelta,
  zoneClusterPlacement,
  ZoneRigError,
  ZONE_TRAFFIC_CLASSES,
  type Zone,
  type ZoneLayout,
  type ZoneCounters,
  type DeviceCounters,
  type ZoneTrafficClass,
  type ZoneRigOptions,
} from './zone-rig.js';
export {
  KAFKA_TOOLS,
  resolveKafkaTool,
  runKafkaTool,
  spawnKafkaTool,
  kafkaToolCommand,
  UnknownKafkaToolError,
  type KafkaToolSpec,
  type KafkaToolOptions,
  type RunKafkaToolOptions,
  type SpawnKafkaToolOptions,
  type KafkaToolResult,
  type KafkaToolCommand,
} from './kafka-tools.js';
export {
  parseSecurityProtocols,
  SECURITY_PROTOCOLS,
  LISTENER_NAMES,
  DEV_USERS,
  type SecurityProtocol,
  type ClusterSecurityInfo,
  type DevUser,
} from './cluster-security.js';
export { createDevCertificates, createCa, issueCertificate, DEV_STORE_PASSWORD, type DevCertificates, type CertificateFiles } from './dev-certificates.js';
export { acquireRigCluster, releaseRigClusters, rigSpec, RIG_CLUSTER_SPECS, type RigClusterSpec, type RigRun } from './rig-clusters.js';
