// JSON text for the lines the test programs print: strings quoted and escaped, numbers that
// JSON cannot hold (NaN, infinities) written as null.
final class JsonText {
  private JsonText() {}

  static String string(String text) {
    if (text == null) return "null";
    StringBuilder b = new StringBuilder(text.length() + 2).append('"');
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  static String number(double value) {
    return Double.isFinite(value) ? Double.toString(value) : "null";
  }
}
