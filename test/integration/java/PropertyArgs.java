// Client properties given on a test program's command line as name=value arguments.
import java.util.Properties;

final class PropertyArgs {
  private PropertyArgs() {}

  /** Puts args[from..] into `props`; each must be name=value. */
  static void putAll(Properties props, String[] args, int from) {
    for (int i = from; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("client property " + args[i] + " is not name=value");
      props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
  }
}
