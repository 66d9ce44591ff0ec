"""One member of a librdkafka consumer group (confluent-kafka) for the integration tests.

Subscribes to TOPIC in GROUP from the earliest offset, read_committed, committing every
second and, synchronously, before it leaves. Prints one JSON line per event on stdout:
  {"event": "assigned", "partitions": [0, 2]}          on_assign (also "revoked", "lost")
  {"event": "record", "partition": 0, "offset": 5, "timestampMs": 1700000000000, "value": "..."}
  {"event": "error", "error": "..."}                   every error librdkafka reports
  {"event": "closed", "records": 42}                   after leaving the group
librdkafka's own log lines go to stderr as it writes them (%LEVEL|...). Stops when stdin
closes or on SIGTERM: it then leaves the group (close commits) and exits 0.

usage: group_consumer.py BOOTSTRAP GROUP TOPIC MEMBER
"""
import json
import signal
import sys
import threading

from confluent_kafka import Consumer, KafkaError, KafkaException


def main() -> int:
    bootstrap, group, topic, member = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())

    def watch_stdin():
        while sys.stdin.buffer.read(256):
            pass
        stopping.set()

    threading.Thread(target=watch_stdin, daemon=True).start()

    def emit(event):
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()

    def partitions_event(name):
        return lambda _consumer, parts: emit({"event": name, "partitions": sorted(p.partition for p in parts)})

    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": f"group-consumer-{member}",
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "enable.auto.commit": True,
        "auto.commit.interval.ms": 1000,
        "fetch.wait.max.ms": 200,
        "error_cb": lambda err: emit({"event": "error", "error": str(err)}),
    })
    consumer.subscribe([topic], on_assign=partitions_event("assigned"), on_revoke=partitions_event("revoked"), on_lost=partitions_event("lost"))
    records = 0
    while not stopping.is_set():
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error() is not None:
            emit({"event": "error", "error": str(msg.error())})
            continue
        records += 1
        value = msg.value()
        emit({
            "event": "record",
            "partition": msg.partition(),
            "offset": msg.offset(),
            "timestampMs": msg.timestamp()[1],
            "value": None if value is None else value.decode("utf-8", "replace"),
        })
    # Commit what was read before leaving, and say so if that fails: close() commits too, but
    # does not report a failure.
    if records > 0:
        try:
            consumer.commit(asynchronous=False)
        except KafkaException as err:
            if err.args[0].code() != KafkaError._NO_OFFSET:
                emit({"event": "error", "error": f"final commit failed: {err}"})
    consumer.close()
    emit({"event": "closed", "records": records})
    return 0


if __name__ == "__main__":
    sys.exit(main())
