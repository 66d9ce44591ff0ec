// Reads topics from their beginning to their end without a consumer group: every partition
// assigned, read from its earliest offset up to the end offset the consumer's isolation level
// gives (the high watermark under read_uncommitted, the last stable offset under
// read_committed). It prints one JSON line per record, in the order the consumer returned
// them, then a summary:
//   {"topic":"...","partition":0,"offset":5,"key":"...","value":"...","valueBytes":12,"valueSha256":"..."}
//   {"done":true,"records":42}
// A value longer than 1 KiB is printed as null: its size and digest say enough. Not reaching
// the end within <maxRunMs>, or any error, is printed to stderr and the exit code is 1.
//
// Usage: RecordReader <bootstrap> <isolation.level> <topic>[,...] <maxRunMs> [consumer.property=value ...]
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

public final class RecordReader {
  private static final int MAX_PRINTED_VALUE_BYTES = 1024;

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      System.err.println("RecordReader failed: " + t);
      t.printStackTrace(System.err);
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    if (args.length < 4) {
      throw new IllegalArgumentException("usage: RecordReader <bootstrap> <isolation.level> <topic>[,...] <maxRunMs> [consumer.property=value ...]; got " + args.length + " arguments");
    }
    long deadline = System.currentTimeMillis() + Long.parseLong(args[3]);
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, args[1]);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "it-record-reader");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    PropertyArgs.putAll(props, args, 4);

    long count = 0;
    StringBuilder out = new StringBuilder();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : args[2].split(",")) {
        for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) partitions.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      while (!reachedEnd(consumer, ends)) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("did not reach the end offsets " + ends + " in time; read " + count + " records");
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          byte[] value = r.value();
          out.append("{\"topic\":").append(JsonText.string(r.topic()))
              .append(",\"partition\":").append(r.partition())
              .append(",\"offset\":").append(r.offset())
              .append(",\"key\":").append(JsonText.string(r.key()))
              .append(",\"value\":").append(JsonText.string(value == null || value.length > MAX_PRINTED_VALUE_BYTES ? null : new String(value, StandardCharsets.UTF_8)))
              .append(",\"valueBytes\":").append(value == null ? -1 : value.length)
              .append(",\"valueSha256\":").append(JsonText.string(value == null ? null : ValueDigest.sha256(value)))
              .append("}\n");
          count++;
        }
      }
    }
    out.append("{\"done\":true,\"records\":").append(count).append("}\n");
    System.out.print(out);
    System.out.flush();
  }

  private static boolean reachedEnd(KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
      if (consumer.position(e.getKey(), Duration.ofSeconds(30)) < e.getValue()) return false;
    }
    return true;
  }
}
