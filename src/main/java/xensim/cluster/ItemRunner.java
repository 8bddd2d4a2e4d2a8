package xensim.cluster;

import java.nio.file.Path;
import java.util.List;

/** How a node runs one work item (the CLI's explore code): with the node's copies of the item's design jars. */
public interface ItemRunner {
    ItemResult run(WorkItem item, List<Path> jars) throws Exception;

    /** A failure that is the input's, not the node's (a design that threw): the explore stops with its message, exit 2. */
    final class BadItem extends Exception {
        public BadItem(String message) {
            super(message);
        }
    }
}
