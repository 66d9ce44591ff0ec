// A transactional producer that runs one transaction per letter of <outcomes>: each writes
// <recordsPerTransaction> keyed records to every topic given, waits for their
// acknowledgements, then commits (C) or aborts (A). It prints one JSON line per acknowledged
// record and one per finished transaction, in order:
//   {"txn":0,"topic":"...","key":"txn-0","value":"...#t0-r0","partition":1,"offset":0}
//   {"txn":0,"outcome":"committed"}
// Any failure is printed to stderr and the exit code is 1.
//
// Usage: TransactionalWriter <bootstrap> <transactionalId> <outcomes, e.g. CACCA> <recordsPerTransaction> <topic>[,...] [name=value ...]
// (the name=value arguments are producer properties, for example a login)
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

public final class TransactionalWriter {
  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      System.err.println("TransactionalWriter failed: " + t);
      t.printStackTrace(System.err);
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    if (args.length < 5 || !args[2].matches("[CA]+")) {
      throw new IllegalArgumentException("usage: TransactionalWriter <bootstrap> <transactionalId> <outcomes, e.g. CACCA> <recordsPerTransaction> <topic>[,...] [name=value ...]");
    }
    String outcomes = args[2];
    int perTransaction = Integer.parseInt(args[3]);
    String[] topics = args[4].split(",");
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, args[1]);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "it-transactional-writer");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    PropertyArgs.putAll(props, args, 5);

    StringBuilder out = new StringBuilder();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      producer.initTransactions();
      for (int txn = 0; txn < outcomes.length(); txn++) {
        producer.beginTransaction();
        List<ProducerRecord<String, String>> sent = new ArrayList<>();
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (int i = 0; i < perTransaction; i++) {
          for (String topic : topics) {
            ProducerRecord<String, String> record = new ProducerRecord<>(topic, "txn-" + txn, topic + "#t" + txn + "-r" + i);
            sent.add(record);
            acks.add(producer.send(record));
          }
        }
        producer.flush();
        for (int i = 0; i < sent.size(); i++) {
          RecordMetadata md = acks.get(i).get(60, TimeUnit.SECONDS);
          out.append("{\"txn\":").append(txn)
              .append(",\"topic\":").append(JsonText.string(md.topic()))
              .append(",\"key\":").append(JsonText.string(sent.get(i).key()))
              .append(",\"value\":").append(JsonText.string(sent.get(i).value()))
              .append(",\"partition\":").append(md.partition())
              .append(",\"offset\":").append(md.offset())
              .append("}\n");
        }
        boolean commit = outcomes.charAt(txn) == 'C';
        if (commit) producer.commitTransaction();
        else producer.abortTransaction();
        out.append("{\"txn\":").append(txn).append(",\"outcome\":").append(JsonText.string(commit ? "committed" : "aborted")).append("}\n");
      }
    }
    System.out.print(out);
    System.out.flush();
  }
}
