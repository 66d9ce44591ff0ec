// One member of a consumer group (classic protocol) that reads topics from the earliest
// offset and commits synchronously after every poll that returned records, so the group's
// committed positions are exactly what it printed. It prints one JSON line per event:
//   {"member":"a","assignment":["topic:0","topic:2"]}     after every rebalance
//   {"member":"a","topic":"...","partition":0,"offset":5,"key":"...","value":"..."}
//   {"member":"a","closed":true,"records":42}              after leaving the group
// It leaves the group (commit, close) when its stdin closes: the caller's signal that the
// group has read everything. Without that signal within <maxRunMs>, or on any error, it says
// why on stderr and exits with 1.
//
// Usage: GroupMember <bootstrap> <group> <topic,topic,...> <member> <maxRunMs>
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

public final class GroupMember {
  private static volatile boolean stopRequested = false;

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      System.err.println("GroupMember failed: " + t);
      t.printStackTrace(System.err);
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    if (args.length != 5) {
      throw new IllegalArgumentException("usage: GroupMember <bootstrap> <group> <topic,topic,...> <member> <maxRunMs>; got " + args.length + " arguments");
    }
    String bootstrap = args[0];
    String group = args[1];
    List<String> topics = Arrays.asList(args[2].split(","));
    String member = args[3];
    long deadline = System.currentTimeMillis() + Long.parseLong(args[4]);

    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "it-group-member-" + member);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "200");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());

    String who = "{\"member\":" + JsonText.string(member);
    long count = 0;
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      watchStdin(consumer);
      consumer.subscribe(topics, new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          String names = consumer.assignment().stream()
              .map(tp -> JsonText.string(tp.topic() + ":" + tp.partition()))
              .sorted()
              .collect(Collectors.joining(","));
          System.out.println(who + ",\"assignment\":[" + names + "]}");
        }
      });
      while (!stopRequested) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("member " + member + " of group " + group + " got no stop signal (stdin closing) in time; it read " + count + " records");
        }
        ConsumerRecords<String, String> records;
        try {
          records = consumer.poll(Duration.ofMillis(200));
        } catch (WakeupException e) {
          break; // the stop signal
        }
        StringBuilder out = new StringBuilder();
        for (ConsumerRecord<String, String> r : records) {
          out.append(who)
              .append(",\"topic\":").append(JsonText.string(r.topic()))
              .append(",\"partition\":").append(r.partition())
              .append(",\"offset\":").append(r.offset())
              .append(",\"key\":").append(JsonText.string(r.key()))
              .append(",\"value\":").append(JsonText.string(r.value()))
              .append("}\n");
          count++;
        }
        if (!records.isEmpty()) {
          // Commit before printing: a line the caller sees is a record the group has committed.
          commit(consumer);
          System.out.print(out);
          System.out.flush();
        }
      }
      commit(consumer);
    }
    System.out.println(who + ",\"closed\":true,\"records\":" + count + "}");
    System.out.flush();
  }

  /** Commits the consumer's positions; a stop signal arriving meanwhile does not cut the commit short. */
  private static void commit(KafkaConsumer<String, String> consumer) {
    try {
      consumer.commitSync(Duration.ofSeconds(30));
    } catch (WakeupException e) {
      stopRequested = true;
      consumer.commitSync(Duration.ofSeconds(30));
    }
  }

  private static void watchStdin(KafkaConsumer<String, String> consumer) {
    Thread watcher = new Thread(() -> {
      InputStream in = System.in;
      try {
        while (in.read() >= 0) {
          // Only the end of input matters.
        }
      } catch (IOException e) {
        // A broken stdin is a stop signal too.
      }
      stopRequested = true;
      consumer.wakeup();
    }, "stdin-watcher");
    watcher.setDaemon(true);
    watcher.start();
  }
}
