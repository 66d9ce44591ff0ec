// The zone workload's producer: the Java client, idempotent, acks=all, no compression. It writes
// `records` values of `recordSize` random bytes, record i to partition i mod `partitions`, each
// stamped in its first five bytes with the producer index and i (record-payload.ts), in bursts of
// `burst` records sent together, at most `rate` records a second (0: as fast as it can). Bursts
// make requests of several records per partition, as an application writing in batches does,
// rather than one small request per record. Events go to stdout as the JSON lines the
// runner reads from every zone client (client-events.ts): `progress` with the records
// acknowledged so far, every 500 ms; `produced` once all are acknowledged; `error` (exit 1) when
// a record is not.
//
// The Java client keeps its sequence numbers per partition and retries a failed batch with the
// same producer id, epoch and sequence, so a batch the broker wrote before its answer was lost
// is recognised as a duplicate when it comes again.
//
// Usage: ZoneProducer <bootstrap> <topic> <producer> <records> <recordSize> <partitions> <rate> <burst>
import java.nio.ByteBuffer;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class ZoneProducer {
  private static final long PROGRESS_EVERY_MS = 500;

  public static void main(String[] args) {
    try {
      run(args);
      System.exit(0);
    } catch (Throwable t) {
      emit("{\"event\":\"error\",\"message\":" + quoted("ZoneProducer: " + t) + "}");
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    if (args.length != 8) {
      throw new IllegalArgumentException("usage: ZoneProducer <bootstrap> <topic> <producer> <records> <recordSize> <partitions> <rate> <burst>; got " + args.length + " arguments");
    }
    String bootstrap = args[0];
    String topic = args[1];
    int producerIndex = Integer.parseInt(args[2]);
    int records = Integer.parseInt(args[3]);
    int recordSize = Integer.parseInt(args[4]);
    int partitions = Integer.parseInt(args[5]);
    int rate = Integer.parseInt(args[6]);
    int burst = Integer.parseInt(args[7]);
    if (producerIndex < 0 || producerIndex > 255 || recordSize < 5 || partitions < 1 || rate < 0 || burst < 1) {
      throw new IllegalArgumentException("producer 0-255, record size of at least 5 bytes, at least one partition, a rate of 0 or more, bursts of at least one record");
    }

    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "zone-producer-" + producerIndex);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    // A burst's records for one partition leave in one batch.
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());

    AtomicLong acknowledged = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor((r) -> {
      Thread t = new Thread(r, "zone-producer-progress");
      t.setDaemon(true);
      return t;
    });
    ticker.scheduleAtFixedRate(() -> emit("{\"event\":\"progress\",\"records\":" + acknowledged.get() + "}"), PROGRESS_EVERY_MS, PROGRESS_EVERY_MS, TimeUnit.MILLISECONDS);

    SplittableRandom random = new SplittableRandom();
    long elapsedMs;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      // Connected and holding the topic's metadata before the clock starts, so the first burst
      // is not late by the client's start-up.
      producer.partitionsFor(topic);
      long startedMs = System.currentTimeMillis();
      for (int from = 0; from < records; from += burst) {
        if (rate > 0) {
          // Record `from` is due `from / rate` seconds after the start.
          long dueMs = startedMs + (from * 1000L) / rate - System.currentTimeMillis();
          if (dueMs > 0) Thread.sleep(dueMs);
        }
        Exception failed = failure.get();
        if (failed != null) throw failed;
        for (int seq = from; seq < Math.min(records, from + burst); seq++) {
          final int recordSeq = seq;
          producer.send(new ProducerRecord<>(topic, seq % partitions, null, stamped(random, recordSize, producerIndex, seq)), (metadata, e) -> {
            if (e == null) acknowledged.incrementAndGet();
            else failure.compareAndSet(null, new IllegalStateException("record " + recordSeq + " to " + topic + " was not acknowledged: " + e, e));
          });
        }
      }
      producer.flush();
      elapsedMs = System.currentTimeMillis() - startedMs;
    }
    ticker.shutdownNow();
    Exception failed = failure.get();
    if (failed != null) throw failed;
    if (acknowledged.get() != records) throw new IllegalStateException(acknowledged.get() + " of " + records + " records acknowledged");
    emit("{\"event\":\"progress\",\"records\":" + records + "}");
    emit("{\"event\":\"produced\",\"records\":" + records + ",\"valueBytes\":" + ((long) records * recordSize) + ",\"elapsedMs\":" + elapsedMs + "}");
  }

  /** Random bytes, the first five naming the producer and the record (record-payload.ts). */
  private static byte[] stamped(SplittableRandom random, int size, int producer, int seq) {
    byte[] value = new byte[size];
    random.nextBytes(value);
    ByteBuffer stamp = ByteBuffer.wrap(value);
    stamp.put(0, (byte) producer);
    stamp.putInt(1, seq);
    return value;
  }

  /** A JSON string; control characters other than the common ones become spaces. */
  private static String quoted(String text) {
    StringBuilder out = new StringBuilder(text.length() + 2).append('"');
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\t' -> out.append("\\t");
        default -> out.append(c < 0x20 ? ' ' : c);
      }
    }
    return out.append('"').toString();
  }

  private static synchronized void emit(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
