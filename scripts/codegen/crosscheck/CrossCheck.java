// Reads lines "apiKey version request|response hex" and checks that Kafka's own generated
// message classes parse each body and write it back to exactly the same bytes.
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

public class CrossCheck {
    public static void main(String[] args) throws Exception {
        int ok = 0, failed = 0;
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            if (line.isBlank()) continue;
            String[] p = line.split(" ", -1);
            short apiKey = Short.parseShort(p[0]);
            short version = Short.parseShort(p[1]);
            boolean request = p[2].equals("request");
            byte[] bytes = HexFormat.of().parseHex(p[3]);
            try {
                ApiMessageType type = ApiMessageType.fromApiKey(apiKey);
                ApiMessage m = request ? type.newRequest() : type.newResponse();
                ByteBuffer in = ByteBuffer.wrap(bytes);
                m.read(new ByteBufferAccessor(in), version);
                if (in.hasRemaining()) throw new IllegalStateException(in.remaining() + " bytes left after read");
                ObjectSerializationCache cache = new ObjectSerializationCache();
                ByteBuffer out = ByteBuffer.allocate(m.size(cache, version));
                m.write(new ByteBufferAccessor(out), cache, version);
                byte[] again = out.array();
                if (!java.util.Arrays.equals(bytes, again)) {
                    throw new IllegalStateException("re-encoded differently: " + HexFormat.of().formatHex(again));
                }
                ok++;
            } catch (Exception e) {
                failed++;
                System.out.println("FAIL " + p[0] + " v" + p[1] + " " + p[2] + ": " + e);
            }
        }
        System.out.println(ok + " passed, " + failed + " failed");
    }
}
