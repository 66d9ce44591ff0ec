// Prints, for each PEM certificate file given, the subject as Java's X500Principal.getName()
// gives it (RFC 2253): the name Kafka's default principal builder maps with its rules.
import java.io.FileInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

public class SubjectNames {
    public static void main(String[] args) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        for (String file : args) {
            try (FileInputStream in = new FileInputStream(file)) {
                X509Certificate cert = (X509Certificate) factory.generateCertificate(in);
                System.out.println(file + "\t" + escape(cert.getSubjectX500Principal().getName()));
            }
        }
    }

    // One line per file: tabs, newlines and backslashes in names are written as JSON would.
    private static String escape(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\\') out.append("\\\\");
            else if (c == '\t') out.append("\\t");
            else if (c == '\n') out.append("\\n");
            else if (c == '\r') out.append("\\r");
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.toString();
    }
}
