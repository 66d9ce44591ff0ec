// The bench's two-backend workload, in one JVM with Kafka's own Java client.
// kafka-producer-perf-test and kafka-consumer-perf-test take one topic; the two-backend case
// needs one producer writing to topics of two domains, so that Turnout splits its requests,
// compared with the same workload sent straight to each cluster. Each route is
// `topic@bootstrap`; routes that share a bootstrap share one client. So through Turnout both
// routes go through one producer (or consumer), directly each cluster gets its own.
//
//   produce --route T1@B1 --route T2@B2 --records N --record-size B --throughput R --acks A
//           records go round-robin over the routes; R is the total rate, -1 uncapped
//   consume --route T1@B1 --route T2@B2
//           reads every partition of the topics from the start to their end offsets,
//           without a group (assign), one thread per client
//   --prop key=value adds a client property.
//
// Prints one JSON line on stdout; progress and client warnings go to stderr.
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class SplitPerf {
  private static final double MB = 1024.0 * 1024.0;

  private record Route(String topic, String bootstrap) {}

  private static final class Options {
    String mode;
    final List<Route> routes = new ArrayList<>();
    long records = 0;
    int recordSize = 1024;
    double throughput = -1;
    String acks = "all";
    final Map<String, String> props = new HashMap<>();
    long timeoutMs = 300_000;
  }

  public static void main(String[] args) {
    // Client threads of a failed run must not keep the JVM alive: exit explicitly either way.
    try {
      Options o = parse(args);
      String json = "produce".equals(o.mode) ? produce(o) : consume(o);
      System.out.println(json);
      System.out.flush();
      System.exit(0);
    } catch (Exception e) {
      System.err.println("SplitPerf: " + e);
      e.printStackTrace();
      System.exit(1);
    }
  }

  private static Options parse(String[] args) {
    if (args.length == 0) throw new IllegalArgumentException("usage: SplitPerf produce|consume --route topic@bootstrap ...");
    Options o = new Options();
    o.mode = args[0];
    if (!o.mode.equals("produce") && !o.mode.equals("consume")) throw new IllegalArgumentException("mode must be produce or consume, not " + o.mode);
    for (int i = 1; i < args.length; i += 2) {
      if (i + 1 >= args.length) throw new IllegalArgumentException(args[i] + " needs a value");
      String v = args[i + 1];
      switch (args[i]) {
        case "--route" -> {
          int at = v.indexOf('@');
          if (at <= 0 || at == v.length() - 1) throw new IllegalArgumentException("--route must be topic@bootstrap, not " + v);
          o.routes.add(new Route(v.substring(0, at), v.substring(at + 1)));
        }
        case "--records" -> o.records = Long.parseLong(v);
        case "--record-size" -> o.recordSize = Integer.parseInt(v);
        case "--throughput" -> o.throughput = Double.parseDouble(v);
        case "--acks" -> o.acks = v;
        case "--timeout-ms" -> o.timeoutMs = Long.parseLong(v);
        case "--prop" -> {
          int eq = v.indexOf('=');
          if (eq <= 0) throw new IllegalArgumentException("--prop must be key=value, not " + v);
          o.props.put(v.substring(0, eq), v.substring(eq + 1));
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (o.routes.isEmpty()) throw new IllegalArgumentException("at least one --route is needed");
    if (o.mode.equals("produce") && (o.records < 1 || o.records > Integer.MAX_VALUE)) throw new IllegalArgumentException("--records must be 1 to 2^31-1");
    return o;
  }

  /** One client per distinct bootstrap, in route order. */
  private static List<String> bootstraps(Options o) {
    List<String> out = new ArrayList<>();
    for (Route r : o.routes) if (!out.contains(r.bootstrap())) out.add(r.bootstrap());
    return out;
  }

  private static String produce(Options o) throws Exception {
    List<String> bootstraps = bootstraps(o);
    Map<String, KafkaProducer<byte[], byte[]>> producers = new LinkedHashMap<>();
    for (String b : bootstraps) {
      Properties p = new Properties();
      p.put("bootstrap.servers", b);
      p.put("acks", o.acks);
      p.put("client.id", "turnout-bench-split-" + producers.size());
      p.putAll(o.props);
      producers.put(b, new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer()));
    }
    @SuppressWarnings("unchecked")
    KafkaProducer<byte[], byte[]>[] byRoute = new KafkaProducer[o.routes.size()];
    String[] topicByRoute = new String[o.routes.size()];
    for (int r = 0; r < byRoute.length; r++) {
      byRoute[r] = producers.get(o.routes.get(r).bootstrap());
      topicByRoute[r] = o.routes.get(r).topic();
    }
    // Metadata before the clock starts, as the perf test's first send would not count it either.
    for (Route r : o.routes) producers.get(r.bootstrap()).partitionsFor(r.topic());

    // Random uppercase letters, like the perf test's payload (no compression is configured).
    byte[] payload = new byte[o.recordSize];
    java.util.Random random = new java.util.Random(1);
    for (int i = 0; i < payload.length; i++) payload[i] = (byte) ('A' + random.nextInt(26));

    int n = (int) o.records;
    int[] latencyUs = new int[n];
    Arrays.fill(latencyUs, -1);
    AtomicLong errors = new AtomicLong();
    AtomicReference<Exception> firstError = new AtomicReference<>();
    long started = System.nanoTime();
    double nanosPerRecord = o.throughput > 0 ? 1e9 / o.throughput : 0;
    for (int i = 0; i < n; i++) {
      if (nanosPerRecord > 0) {
        long due = started + (long) (i * nanosPerRecord);
        long wait = due - System.nanoTime();
        if (wait > 0) LockSupport.parkNanos(wait);
      }
      int route = i % byRoute.length;
      final int index = i;
      final long sent = System.nanoTime();
      byRoute[route].send(new ProducerRecord<>(topicByRoute[route], payload), (metadata, e) -> {
        if (e != null) {
          errors.incrementAndGet();
          firstError.compareAndSet(null, e);
        } else {
          latencyUs[index] = (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - sent) / 1_000);
        }
      });
    }
    for (KafkaProducer<byte[], byte[]> p : producers.values()) p.flush();
    long elapsedNs = System.nanoTime() - started;
    // Requests of every kind the producers sent (nearly all Produce): the same count on every
    // path, so a proxy's CPU can be set against it.
    long requests = 0;
    for (KafkaProducer<byte[], byte[]> p : producers.values()) {
      for (Map.Entry<MetricName, ? extends Metric> m : p.metrics().entrySet()) {
        if (m.getKey().name().equals("request-total") && m.getKey().group().equals("producer-metrics")) requests += Math.round((Double) m.getValue().metricValue());
      }
    }
    for (KafkaProducer<byte[], byte[]> p : producers.values()) p.close(Duration.ofSeconds(10));
    if (firstError.get() != null) System.err.println("first send error: " + firstError.get());

    int[] ok = Arrays.stream(latencyUs).filter(v -> v >= 0).sorted().toArray();
    double seconds = elapsedNs / 1e9;
    long sum = 0;
    for (int v : ok) sum += v;
    return String.format(Locale.ROOT,
        "{\"mode\":\"produce\",\"clients\":%d,\"records\":%d,\"errors\":%d,\"requests\":%d,\"elapsedMs\":%.1f,\"recordsPerSec\":%.1f,\"mbPerSec\":%.3f,"
            + "\"p50Us\":%d,\"p90Us\":%d,\"p99Us\":%d,\"p999Us\":%d,\"maxUs\":%d,\"avgUs\":%.1f}",
        producers.size(), n, errors.get(), requests, elapsedNs / 1e6, n / seconds, (double) n * o.recordSize / MB / seconds,
        percentile(ok, 0.5), percentile(ok, 0.9), percentile(ok, 0.99), percentile(ok, 0.999),
        ok.length == 0 ? -1 : ok[ok.length - 1], ok.length == 0 ? -1.0 : (double) sum / ok.length);
  }

  private static int percentile(int[] sorted, double q) {
    if (sorted.length == 0) return -1;
    int rank = (int) Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
    return sorted[rank - 1];
  }

  private static String consume(Options o) throws Exception {
    List<String> bootstraps = bootstraps(o);
    AtomicLong records = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    // Every client has its partitions, start and end offsets before the clock starts.
    CyclicBarrier ready = new CyclicBarrier(bootstraps.size() + 1);
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < bootstraps.size(); c++) {
      String bootstrap = bootstraps.get(c);
      List<String> topics = o.routes.stream().filter(r -> r.bootstrap().equals(bootstrap)).map(Route::topic).toList();
      Properties p = new Properties();
      p.put("bootstrap.servers", bootstrap);
      p.put("client.id", "turnout-bench-split-" + c);
      p.put("enable.auto.commit", "false");
      p.put("auto.offset.reset", "earliest");
      p.putAll(o.props);
      Thread t = new Thread(() -> {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
          List<TopicPartition> parts = new ArrayList<>();
          for (String topic : topics) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(60));
            if (infos == null || infos.isEmpty()) throw new IllegalStateException("no partitions for " + topic + " at " + bootstrap);
            for (PartitionInfo info : infos) parts.add(new TopicPartition(topic, info.partition()));
          }
          consumer.assign(parts);
          consumer.seekToBeginning(parts);
          Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(parts, Duration.ofSeconds(60)));
          for (TopicPartition tp : parts) consumer.position(tp, Duration.ofSeconds(60));
          ready.await();
          long deadline = System.nanoTime() + o.timeoutMs * 1_000_000L;
          while (!end.isEmpty()) {
            if (failure.get() != null) return;
            if (System.nanoTime() > deadline) throw new IllegalStateException("did not reach the end offsets within " + o.timeoutMs + " ms at " + bootstrap + ": " + end);
            ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(100));
            long n = 0;
            long size = 0;
            for (ConsumerRecord<byte[], byte[]> rec : polled) {
              n++;
              size += Math.max(0, rec.serializedValueSize()) + Math.max(0, rec.serializedKeySize());
            }
            records.addAndGet(n);
            bytes.addAndGet(size);
            end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
          ready.reset();
        }
      }, "consume-" + c);
      threads.add(t);
      t.start();
    }
    try {
      ready.await();
    } catch (BrokenBarrierException e) {
      for (Thread t : threads) t.join();
      throw new IllegalStateException("consume failed before it started: " + failure.get(), failure.get());
    }
    long startedNs = System.nanoTime();
    for (Thread t : threads) t.join();
    long elapsedNs = System.nanoTime() - startedNs;
    if (failure.get() != null) throw new IllegalStateException("consume failed: " + failure.get(), failure.get());
    double seconds = elapsedNs / 1e9;
    return String.format(Locale.ROOT,
        "{\"mode\":\"consume\",\"clients\":%d,\"records\":%d,\"bytes\":%d,\"elapsedMs\":%.1f,\"recordsPerSec\":%.1f,\"mbPerSec\":%.3f}",
        bootstraps.size(), records.get(), bytes.get(), elapsedNs / 1e6, records.get() / seconds, bytes.get() / MB / seconds);
  }
}
