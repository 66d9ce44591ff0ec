// The SHA-256 of a record value in hex: what the test programs print instead of a value of
// several MiB, so the caller can compare what was written with what was read.
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

final class ValueDigest {
  private ValueDigest() {}

  static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
    StringBuilder hex = new StringBuilder(64);
    for (byte b : MessageDigest.getInstance("SHA-256").digest(bytes)) hex.append(String.format("%02x", b));
    return hex.toString();
  }
}
