package xensim.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import xensim.cluster.ItemResult;

/**
 * {@code results.jsonl} in explore's output folder: a header naming the explore (a fingerprint of
 * everything that decides its runs), then one line per finished run, appended as it finishes, so an
 * explore that stopped (its coordinator went down, the machine rebooted) continues with
 * {@code --resume DIR} from the runs already written. A last line cut short is dropped.
 */
final class ResultsLog implements AutoCloseable {
    static final String FILE = "results.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedWriter w;
    private final Map<Long, ItemResult> resumed;

    private ResultsLog(BufferedWriter w, Map<Long, ItemResult> resumed) {
        this.w = w;
        this.resumed = resumed;
    }

    /** Opens {@code dir}'s log for the explore {@code fingerprint}: afresh, or (resume) after the runs it holds. */
    static ResultsLog open(Path dir, String fingerprint, boolean resume) {
        Path p = dir.resolve(FILE);
        String header = "{\"explore\":\"" + fingerprint + "\"}";
        Map<Long, ItemResult> done = new LinkedHashMap<>();
        try {
            if (resume) {
                if (!Files.isRegularFile(p)) throw new BadInputException("--resume " + dir + ": no " + FILE + " in it (not an explore's output folder)");
                List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                if (lines.isEmpty() || !lines.get(0).equals(header)) {
                    throw new BadInputException("--resume " + dir + ": its " + FILE + " is of another explore (other designs, seeds, schedules,"
                            + " scenario or xensim version); give the same arguments, or a new --out");
                }
                for (int i = 1; i < lines.size(); i++) {
                    ItemResult r;
                    try {
                        r = JSON.readValue(lines.get(i), ItemResult.class);
                    } catch (IOException e) {
                        if (i == lines.size() - 1) break; // cut short when the run stopped
                        throw new BadInputException("--resume " + dir + ": " + FILE + " line " + (i + 1) + " is not a result (" + e.getMessage().split("\n")[0] + ")");
                    }
                    done.putIfAbsent(r.index(), r);
                }
                // rewrite without a cut-short line, then append
                StringBuilder sb = new StringBuilder(header).append('\n');
                for (ItemResult r : done.values()) sb.append(JSON.writeValueAsString(r)).append('\n');
                Files.writeString(p, sb, StandardCharsets.UTF_8);
                return new ResultsLog(Files.newBufferedWriter(p, StandardCharsets.UTF_8, StandardOpenOption.APPEND), done);
            }
            BufferedWriter w = Files.newBufferedWriter(p, StandardCharsets.UTF_8);
            w.write(header);
            w.write('\n');
            w.flush();
            return new ResultsLog(w, done);
        } catch (IOException e) {
            throw new BadInputException(p + ": " + e.getMessage());
        }
    }

    /** The runs already done (resume), by index. */
    Map<Long, ItemResult> resumed() {
        return resumed;
    }

    synchronized void append(ItemResult r) {
        try {
            w.write(JSON.writeValueAsString(r));
            w.write('\n');
            w.flush();
        } catch (IOException e) {
            throw new IllegalStateException("cannot append to " + FILE + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        w.close();
    }
}
