// One idempotent producer writing numbered, keyed records alternately to two topics, so that
// a proxy in front of several clusters gets Produce requests holding the partitions of both.
// It waits for every acknowledgement and prints one JSON line per record, in send order:
//   {"seq":0,"topic":"...","key":"key-0","value":"...#0","partition":1,"offset":0}
// then one summary line with the producer's own request metrics:
//   {"summary":{"recordSendTotal":...,"requestTotal":...,"recordsPerRequestAvg":...}}
// Any failure (bad arguments, a record not acknowledged, a timeout) is printed to stderr with
// the record it concerns, and the exit code is 1.
//
// Usage: MultiDomainProducer <bootstrap> <topicA> <topicB> <records> <keys> <lingerMs> <batchSizeBytes>
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.StringSerializer;

public final class MultiDomainProducer {
  private static final long ACK_WAIT_SECONDS = 120;

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      System.err.println("MultiDomainProducer failed: " + t);
      t.printStackTrace(System.err);
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    if (args.length != 7) {
      throw new IllegalArgumentException("usage: MultiDomainProducer <bootstrap> <topicA> <topicB> <records> <keys> <lingerMs> <batchSizeBytes>; got " + args.length + " arguments");
    }
    String bootstrap = args[0];
    String[] topics = {args[1], args[2]};
    int records = Integer.parseInt(args[3]);
    int keys = Integer.parseInt(args[4]);
    String lingerMs = args[5];
    String batchSizeBytes = args[6];

    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "it-multi-domain-producer");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
    // Records of both topics wait for each other, so one request per node carries both.
    props.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
    // Small batches make many requests, several in flight per connection.
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, batchSizeBytes);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "110000");
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());

    StringBuilder out = new StringBuilder();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      List<Future<RecordMetadata>> acks = new ArrayList<>(records);
      for (int seq = 0; seq < records; seq++) {
        String topic = topics[seq % 2];
        acks.add(producer.send(new ProducerRecord<>(topic, keyOf(seq, keys), valueOf(topic, seq))));
      }
      producer.flush();
      for (int seq = 0; seq < records; seq++) {
        String topic = topics[seq % 2];
        RecordMetadata md;
        try {
          md = acks.get(seq).get(ACK_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw new IllegalStateException("record " + seq + " to " + topic + " (key " + keyOf(seq, keys) + ") was not acknowledged: " + e.getCause(), e.getCause());
        }
        out.append("{\"seq\":").append(seq)
            .append(",\"topic\":").append(JsonText.string(md.topic()))
            .append(",\"key\":").append(JsonText.string(keyOf(seq, keys)))
            .append(",\"value\":").append(JsonText.string(valueOf(topic, seq)))
            .append(",\"partition\":").append(md.partition())
            .append(",\"offset\":").append(md.offset())
            .append("}\n");
      }
      Map<MetricName, ? extends Metric> metrics = producer.metrics();
      out.append("{\"summary\":{\"recordSendTotal\":").append(JsonText.number(metric(metrics, "record-send-total")))
          .append(",\"requestTotal\":").append(JsonText.number(metric(metrics, "request-total")))
          .append(",\"recordsPerRequestAvg\":").append(JsonText.number(metric(metrics, "records-per-request-avg")))
          .append("}}\n");
    }
    System.out.print(out);
    System.out.flush();
  }

  /** Both topics use the same keys, in the same order. */
  private static String keyOf(int seq, int keys) {
    return "key-" + ((seq / 2) % keys);
  }

  private static String valueOf(String topic, int seq) {
    return topic + "#" + seq;
  }

  private static double metric(Map<MetricName, ? extends Metric> metrics, String name) {
    for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
      if (e.getKey().group().equals("producer-metrics") && e.getKey().name().equals(name)) {
        Object value = e.getValue().metricValue();
        if (value instanceof Number) return ((Number) value).doubleValue();
      }
    }
    throw new IllegalStateException("the producer has no metric producer-metrics/" + name);
  }
}
