// Runs CrossCheck for several Kafka releases in one JVM: each release's kafka-clients jar gets
// a class loader of its own (its parent the platform loader, so no release's classes leak into
// another's), in which CrossCheck is loaded from the compiled classes and run on that release's
// cases. Arguments: the compiled classes folder, then per release: label, cases file, JSON view
// file, and the release's jars joined by the path separator.
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public class CrossCheckReleases {
    public static void main(String[] args) throws Exception {
        if (args.length < 5 || (args.length - 1) % 4 != 0) {
            throw new IllegalArgumentException("usage: CLASSES (LABEL CASES JSON JARS)...");
        }
        URL classes = Path.of(args[0]).toUri().toURL();
        for (int i = 1; i + 4 <= args.length; i += 4) {
            List<URL> urls = new ArrayList<>();
            urls.add(classes);
            for (String jar : args[i + 3].split(File.pathSeparator)) urls.add(Path.of(jar).toUri().toURL());
            try (URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
                Class<?> check = loader.loadClass("CrossCheck");
                check.getMethod("main", String[].class).invoke(null, (Object) new String[] { args[i + 1], args[i + 2], args[i] });
            }
        }
    }
}
