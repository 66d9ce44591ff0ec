"""An idempotent librdkafka producer (confluent-kafka) for the integration tests.

Sends records to TOPIC at RATE records/s until SIGTERM, value i and key i % KEYS for
i = 0, 1, 2, ..., acks=all, retrying for as long as message.timeout.ms allows. Prints one
JSON line per delivery report on stdout ({"acked": i, "partition": p, "offset": o} or
{"failed": i, "error": ...}) and every client error on stderr. On SIGTERM it stops sending,
waits for every report, prints {"done": true, "sent": n, "acked": a, "failed": f} and exits 0
(1 when the flush runs out of time).

usage: idempotent_producer.py BOOTSTRAP TOPIC RATE KEYS
"""
import json
import signal
import sys
import time

from confluent_kafka import Producer


def main() -> int:
    bootstrap, topic, rate, keys = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    totals = {"acked": 0, "failed": 0}
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    def on_error(err):
        # Connection errors while Turnout restarts are expected; the delivery reports decide.
        print(f"client error: {err}", file=sys.stderr, flush=True)

    def on_delivery(err, msg):
        i = int(msg.value())
        if err is None:
            totals["acked"] += 1
            print(json.dumps({"acked": i, "partition": msg.partition(), "offset": msg.offset()}), flush=True)
        else:
            totals["failed"] += 1
            print(json.dumps({"failed": i, "error": str(err)}), flush=True)

    producer = Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": 120000,
        "request.timeout.ms": 15000,
        "reconnect.backoff.max.ms": 500,
        "topic.metadata.refresh.interval.ms": 5000,
        "error_cb": on_error,
    })
    start = time.monotonic()
    sent = 0
    while not stopping:
        # Paced: record i leaves at start + i / rate.
        delay = start + sent / rate - time.monotonic()
        if delay > 0:
            producer.poll(delay)
            continue
        try:
            producer.produce(topic, key=str(sent % keys), value=str(sent), on_delivery=on_delivery)
            sent += 1
        except BufferError:
            producer.poll(0.1)
        producer.poll(0)
    left = producer.flush(180)
    print(json.dumps({"done": left == 0, "sent": sent, "acked": totals["acked"], "failed": totals["failed"]}), flush=True)
    return 0 if left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
