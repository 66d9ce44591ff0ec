// A transactional producer that runs at a steady pace until its stdin closes: a transaction
// starts every <periodMs>, writes <recordsPerTxn> records (record i to partition i mod the
// topic's partition count, so every transaction spans every partition), waits for their
// acknowledgements and ends. Every <abortEvery>th transaction (txn % abortEvery ==
// abortEvery - 1) is aborted, and its records say so in their value, so that any reader can
// recognise an aborted record by itself: tx<txn>.<i>.A, or tx<txn>.<i>.C for one committed.
// It prints one JSON line per acknowledged record and one per finished transaction:
//   {"txn":3,"seq":9,"value":"tx3.0.C","partition":0,"offset":12,"sentMs":...,"ackedMs":...}
//   {"txn":3,"outcome":"committed","endedMs":...}
// (seq = txn * recordsPerTxn + i). When stdin closes it ends the transaction under way as
// planned, prints {"done":true,"transactions":n} and exits 0. Any failure is printed to
// stderr and the exit code is 1.
//
// Usage: TransactionalStream <bootstrap> <transactionalId> <topic> <periodMs> <recordsPerTxn> <abortEvery> [name=value ...]
// (the name=value arguments are producer properties)
import java.io.IOException;
import java.io.InputStream;
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

public final class TransactionalStream {
  private static volatile boolean stopRequested = false;

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      System.err.println("TransactionalStream failed: " + t);
      t.printStackTrace(System.err);
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    if (args.length < 6) {
      throw new IllegalArgumentException("usage: TransactionalStream <bootstrap> <transactionalId> <topic> <periodMs> <recordsPerTxn> <abortEvery> [name=value ...]");
    }
    String topic = args[2];
    long periodMs = Long.parseLong(args[3]);
    int perTxn = Integer.parseInt(args[4]);
    int abortEvery = Integer.parseInt(args[5]);
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, args[1]);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "transactional-stream");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "2");
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "120000");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    PropertyArgs.putAll(props, args, 6);

    watchStdin();
    long started = System.currentTimeMillis();
    int txn = 0;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      producer.initTransactions();
      int partitions = producer.partitionsFor(topic).size();
      while (!stopRequested) {
        long due = started + txn * periodMs;
        long wait = due - System.currentTimeMillis();
        if (wait > 0) Thread.sleep(wait);
        boolean abort = txn % abortEvery == abortEvery - 1;
        runTransaction(producer, topic, partitions, txn, perTxn, abort);
        txn++;
      }
    }
    System.out.println("{\"done\":true,\"transactions\":" + txn + "}");
    System.out.flush();
  }

  private static void runTransaction(KafkaProducer<String, String> producer, String topic, int partitions, int txn, int perTxn, boolean abort) throws Exception {
    producer.beginTransaction();
    String[] values = new String[perTxn];
    long[] sentMs = new long[perTxn];
    long[] ackedMs = new long[perTxn];
    List<Future<RecordMetadata>> acks = new ArrayList<>(perTxn);
    for (int i = 0; i < perTxn; i++) {
      final int index = i;
      values[i] = "tx" + txn + "." + i + "." + (abort ? "A" : "C");
      sentMs[i] = System.currentTimeMillis();
      ProducerRecord<String, String> record = new ProducerRecord<>(topic, i % partitions, null, values[i]);
      acks.add(producer.send(record, (md, error) -> ackedMs[index] = System.currentTimeMillis()));
    }
    producer.flush();
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < perTxn; i++) {
      RecordMetadata md = acks.get(i).get(120, TimeUnit.SECONDS);
      out.append("{\"txn\":").append(txn)
          .append(",\"seq\":").append((long) txn * perTxn + i)
          .append(",\"value\":").append(JsonText.string(values[i]))
          .append(",\"partition\":").append(md.partition())
          .append(",\"offset\":").append(md.offset())
          .append(",\"sentMs\":").append(sentMs[i])
          .append(",\"ackedMs\":").append(ackedMs[i])
          .append("}\n");
    }
    if (abort) producer.abortTransaction();
    else producer.commitTransaction();
    out.append("{\"txn\":").append(txn)
        .append(",\"outcome\":").append(JsonText.string(abort ? "aborted" : "committed"))
        .append(",\"endedMs\":").append(System.currentTimeMillis())
        .append("}\n");
    System.out.print(out);
    System.out.flush();
  }

  /** Stdin closing is the signal to stop after the transaction under way. */
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
