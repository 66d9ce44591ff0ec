// An exactly-once application: a consume-transform-produce loop, as Kafka Streams runs it with
// processing.guarantee=exactly_once_v2. A read_committed consumer of group <groupId> reads
// <input>; for every batch polled, a transactional producer writes one record per input record
// to <output> (same partition, value "<input value>@<partition>:<offset>") and commits the
// consumer's offsets in the same transaction (sendOffsetsToTransaction with the consumer's group
// metadata, so the group coordinator fences a member that lost its partitions).
//
// A transaction the client must abort (a commit of the group's offsets refused after a
// rebalance, an abortable error) is aborted and the consumer goes back to the group's committed
// offsets, so what that transaction wrote is read again and written again, once committed.
// Fatal errors (fenced producer) exit 1.
//
// It prints one JSON line per event:
//   {"event":"assigned","partitions":[0,1,2],"atMs":...}     (and "revoked", "lost")
//   {"event":"committed","records":12,"atMs":...}
//   {"event":"aborted","reason":"...","atMs":...}
// When stdin closes it finishes the batch under way, prints {"done":true,"transactions":n} and
// exits 0.
//
// Usage: ExactlyOnceStream <bootstrap> <groupId> <transactionalId> <input> <output> [consumer.|producer.name=value ...]
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class ExactlyOnceStream {
  private static volatile boolean stopRequested = false;

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      System.err.println("ExactlyOnceStream failed: " + t);
      t.printStackTrace(System.err);
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    if (args.length < 5) {
      throw new IllegalArgumentException("usage: ExactlyOnceStream <bootstrap> <groupId> <transactionalId> <input> <output> [consumer.|producer.name=value ...]");
    }
    String input = args[3];
    String output = args[4];
    Properties consumerProps = new Properties();
    consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, args[1]);
    consumerProps.put(ConsumerConfig.CLIENT_ID_CONFIG, "exactly-once-consumer");
    consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    Properties producerProps = new Properties();
    producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    producerProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, args[2]);
    producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, "exactly-once-producer");
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.put(ProducerConfig.LINGER_MS_CONFIG, "2");
    producerProps.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
    producerProps.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "120000");
    producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    for (int i = 5; i < args.length; i++) {
      String arg = args[i];
      if (arg.startsWith("consumer.")) PropertyArgs.putAll(consumerProps, new String[] {arg.substring("consumer.".length())}, 0);
      else if (arg.startsWith("producer.")) PropertyArgs.putAll(producerProps, new String[] {arg.substring("producer.".length())}, 0);
      else throw new IllegalArgumentException("property " + arg + " names neither consumer. nor producer.");
    }

    watchStdin();
    int transactions = 0;
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps);
        KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
      producer.initTransactions();
      consumer.subscribe(Set.of(input), new Rebalances());
      while (!stopRequested) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) continue;
        if (process(consumer, producer, records, output)) transactions++;
      }
    }
    System.out.println("{\"done\":true,\"transactions\":" + transactions + "}");
    System.out.flush();
  }

  /** One transaction: the batch transformed and the consumer's offsets committed together; false when aborted. */
  private static boolean process(KafkaConsumer<String, String> consumer, KafkaProducer<String, String> producer, ConsumerRecords<String, String> records, String output) {
    Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
    try {
      producer.beginTransaction();
      for (ConsumerRecord<String, String> r : records) {
        producer.send(new ProducerRecord<>(output, r.partition(), r.key(), r.value() + "@" + r.partition() + ":" + r.offset()));
        next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
      }
      producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
      producer.commitTransaction();
      print("{\"event\":\"committed\",\"records\":" + records.count() + ",\"atMs\":" + System.currentTimeMillis() + "}");
      return true;
    } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException e) {
      throw e;
    } catch (KafkaException e) {
      producer.abortTransaction();
      print("{\"event\":\"aborted\",\"reason\":" + JsonText.string(e.toString()) + ",\"atMs\":" + System.currentTimeMillis() + "}");
      rewind(consumer);
      return false;
    }
  }

  /** Back to the group's committed offsets: the aborted transaction's input is read again. */
  private static void rewind(KafkaConsumer<String, String> consumer) {
    Set<TopicPartition> assigned = consumer.assignment();
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned);
    for (TopicPartition tp : assigned) {
      OffsetAndMetadata at = committed.get(tp);
      if (at != null) consumer.seek(tp, at);
      else consumer.seekToBeginning(Set.of(tp));
    }
  }

  private static final class Rebalances implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      event("assigned", partitions);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) event("revoked", partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      event("lost", partitions);
    }

    private static void event(String what, Collection<TopicPartition> partitions) {
      StringBuilder list = new StringBuilder();
      partitions.stream().map(TopicPartition::partition).sorted().forEach((p) -> list.append(list.length() == 0 ? "" : ",").append(p));
      print("{\"event\":\"" + what + "\",\"partitions\":[" + list + "],\"atMs\":" + System.currentTimeMillis() + "}");
    }
  }

  private static void print(String line) {
    System.out.println(line);
    System.out.flush();
  }

  /** Stdin closing is the signal to stop after the batch under way. */
  private static void watchStdin() {
    Thread t = new Thread(() -> {
      InputStream in = System.in;
      byte[] buf = new byte[256];
      try {
        while (in.read(buf) >= 0) {
          // drain until EOF
        }
      } catch (IOException e) {
        // a closed stdin is the same signal
      }
      stopRequested = true;
    }, "stdin-watch");
    t.setDaemon(true);
    t.start();
  }
}
