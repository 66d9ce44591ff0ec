// Reads lines "apiKey version request|response hex" and checks that Kafka's own generated
// message classes parse each body and write it back to exactly the same bytes. For every case
// it also prints Kafka's JSON view of the parsed message (numbers and bytes as text), one line
// per case, into the file named by the second argument, so field values can be compared.
// Arguments: cases file, JSON view file, and a label for its FAIL lines (the release).
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

public class CrossCheck {
    /** Numbers and binary values as text, so that int64 survives a JavaScript JSON parser. */
    static JsonNode textual(JsonNode n) throws Exception {
        if (n.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                out.set(e.getKey(), textual(e.getValue()));
            }
            return out;
        }
        if (n.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            for (JsonNode x : n) out.add(textual(x));
            return out;
        }
        if (n.isBinary()) return new TextNode(Base64.getEncoder().encodeToString(n.binaryValue()));
        if (n.isNumber()) return new TextNode(n.asText());
        return n;
    }

    public static void main(String[] args) throws Exception {
        String label = args.length > 2 ? args[2] + " " : "";
        int ok = 0, failed = 0;
        try (PrintWriter json = new PrintWriter(Files.newBufferedWriter(Path.of(args[1])))) {
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
                    Class<?> converter = Class.forName(m.getClass().getName() + "JsonConverter");
                    Method write = converter.getMethod("write", m.getClass(), short.class, boolean.class);
                    json.println(textual((JsonNode) write.invoke(null, m, version, true)).toString());
                    ok++;
                } catch (Exception e) {
                    failed++;
                    json.println("null");
                    System.out.println("FAIL " + label + "api " + p[0] + " v" + p[1] + " " + p[2] + ": " + e);
                }
            }
        }
        System.out.println(label + ok + " passed, " + failed + " failed");
    }
}
