#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine, as root, without a tty.
# Idempotent and quick when everything is already there:
#   - Debian packages: kcat (librdkafka client for tests), python3-confluent-kafka (librdkafka
#     from Python, for tests that follow each delivery), openssl (test certificates), iproute2,
#     redis-server, haproxy (the bench's floor: a proxy in TCP mode, run from its own
#     configuration), a JDK (17+: the tests compile Java programs and the codec check against
#     Kafka's classes) and Maven;
#     `apt-get update` runs only when an install fails on stale or missing package lists.
#   - Apache Kafka 4.1.1 and 3.9.1 jars from Maven Central into the devkit cache
#     ($TURNOUT_CACHE_DIR, default ~/.cache/turnout/kafka/<version>/libs).
#   - Kafka's JSON message specs into .turnout/specs (for the generated-codec check).
# Needs node_modules (npm ci) for tsx.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
KAFKA_VERSIONS=(${TURNOUT_SETUP_KAFKA_VERSIONS:-4.1.1 3.9.1})

log() { printf 'setup: %s\n' "$*" >&2; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

java_major() {
  # "openjdk version "17.0.15" ..." -> 17 ; empty when there is no java
  command -v java >/dev/null 2>&1 || return 0
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1
}

missing=()
installed kcat || missing+=(kcat)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
# The policy store's integration tests run their own redis-server on a loopback port.
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# `npm run bench` compares Turnout with HAProxy in TCP mode; it starts its own haproxy.
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
# A librdkafka producer the tests can follow record by record (Debian's python3 sees it).
installed python3-confluent-kafka || missing+=(python3-confluent-kafka)
# Certificates for TLS listeners and secured devkit clusters.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
jm="$(java_major)"
if [[ -z "$jm" || "$jm" -lt 17 ]] || ! command -v javac >/dev/null 2>&1; then missing+=(default-jdk-headless); fi

if ((${#missing[@]} > 0)); then
  if [[ "$(id -u)" -ne 0 ]]; then SUDO=(sudo -n); else SUDO=(); fi
  log "installing Debian packages: ${missing[*]}"
  if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null; then
    log "install failed; refreshing package lists once"
    "${SUDO[@]}" apt-get update -q </dev/null
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
  fi
fi

if [[ ! -x node_modules/.bin/tsx ]]; then
  log "node_modules/.bin/tsx missing: run 'npm ci' first"
  exit 1
fi
node_modules/.bin/tsx scripts/kafka/fetch-kafka.ts "${KAFKA_VERSIONS[@]}"
# The Kafka message specs, so the test that the committed codec matches its generator runs.
bash scripts/codegen/fetch-specs.sh >/dev/null
log "ready: kcat $(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\).*/\1/p' | head -n1), haproxy $(haproxy -v 2>&1 | sed -n 's/^HAProxy version \([^ ]*\).*/\1/p' | head -n1), java $(java_major), Kafka ${KAFKA_VERSIONS[*]}"
