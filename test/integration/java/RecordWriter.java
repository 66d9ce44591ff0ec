// One producer per topic writes numbered, keyed records and waits for every acknowledgement.
// A topic given as <topic>=<codec> gets a producer with that compression.type. Values are
// "<topic>#<seq>|" followed by filler bytes up to <valueBytes>, so a value of several MiB is
// as easy to ask for as a short one. With <partitions> > 0 record <seq> goes to partition
// <seq> % <partitions> (every partition of a large topic gets records); with 0 the key
// ("key-" + seq % 7) chooses. It prints one JSON line per record, in send order:
//   {"topic":"...","seq":0,"key":"key-0","partition":1,"offset":0,"valueBytes":12,"valueSha256":"..."}
// or, for a record the producer failed to deliver, the error it reported:
//   {"topic":"...","seq":0,"error":"org.apache.kafka.common.errors.TimeoutException: ..."}
// A failed delivery is an outcome the caller judges, so the exit code stays 0; bad arguments
// or any other failure print to stderr and exit with 1.
//
// Usage: RecordWriter <bootstrap> <records> <valueBytes> <partitions> <topic[=codec]>[,...] [producer.property=value ...]
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class RecordWriter {
  private static final long ACK_WAIT_SECONDS = 150;

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      System.err.println("RecordWriter failed: " + t);
      t.printStackTrace(System.err);
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    if (args.length < 5) {
      throw new IllegalArgumentException("usage: RecordWriter <bootstrap> <records> <valueBytes> <partitions> <topic[=codec]>[,...] [producer.property=value ...]; got " + args.length + " arguments");
    }
    String bootstrap = args[0];
    int records = Integer.parseInt(args[1]);
    int valueBytes = Integer.parseInt(args[2]);
    int partitions = Integer.parseInt(args[3]);
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "it-record-writer");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    PropertyArgs.putAll(props, args, 5);

    StringBuilder out = new StringBuilder();
    for (String target : args[4].split(",")) {
      int eq = target.indexOf('=');
      String topic = eq < 0 ? target : target.substring(0, eq);
      Properties topicProps = new Properties();
      topicProps.putAll(props);
      if (eq >= 0) topicProps.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, target.substring(eq + 1));
      write(topicProps, topic, records, valueBytes, partitions, out);
    }
    System.out.print(out);
    System.out.flush();
  }

  private static void write(Properties props, String topic, int records, int valueBytes, int partitions, StringBuilder out) throws Exception {
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props)) {
      List<Future<RecordMetadata>> acks = new ArrayList<>(records);
      List<byte[]> values = new ArrayList<>(records);
      for (int seq = 0; seq < records; seq++) {
        byte[] value = valueOf(topic, seq, valueBytes);
        values.add(value);
        Integer partition = partitions > 0 ? seq % partitions : null;
        acks.add(producer.send(new ProducerRecord<>(topic, partition, keyOf(seq), value)));
      }
      producer.flush();
      for (int seq = 0; seq < records; seq++) {
        out.append("{\"topic\":").append(JsonText.string(topic)).append(",\"seq\":").append(seq);
        try {
          RecordMetadata md = acks.get(seq).get(ACK_WAIT_SECONDS, TimeUnit.SECONDS);
          out.append(",\"key\":").append(JsonText.string(keyOf(seq)))
              .append(",\"partition\":").append(md.partition())
              .append(",\"offset\":").append(md.offset())
              .append(",\"valueBytes\":").append(values.get(seq).length)
              .append(",\"valueSha256\":").append(JsonText.string(ValueDigest.sha256(values.get(seq))));
        } catch (ExecutionException e) {
          out.append(",\"error\":").append(JsonText.string(String.valueOf(e.getCause())));
        }
        out.append("}\n");
      }
    }
  }

  private static String keyOf(int seq) {
    return "key-" + (seq % 7);
  }

  /** "<topic>#<seq>|" then filler that differs from record to record, up to `size` bytes. */
  private static byte[] valueOf(String topic, int seq, int size) {
    byte[] head = (topic + "#" + seq + "|").getBytes(StandardCharsets.UTF_8);
    byte[] value = new byte[Math.max(size, head.length)];
    System.arraycopy(head, 0, value, 0, head.length);
    long x = 0x9E3779B97F4A7C15L * (seq + 1);
    for (int i = head.length; i < value.length; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      value[i] = (byte) ('a' + (int) ((x >>> 33) % 26));
    }
    return value;
  }

}
