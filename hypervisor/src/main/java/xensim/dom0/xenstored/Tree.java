package xensim.dom0.xenstored;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The store (xenstored_core's node database): a flat map from absolute path to {@link Node}, a
 * global generation counter, and per-domain node counts for the "nodes" quota. Reads and writes go
 * through a {@link View}: the tree itself, or a {@link Transaction} over it.
 */
final class Tree implements TreeView {

    private final Map<String, Node> nodes = new HashMap<>();
    private final Map<Integer, Integer> ownerCounts = new HashMap<>();
    private long generation;

    @Override
    public Node get(String path) {
        return nodes.get(path);
    }

    @Override
    public void put(Node node) {
        Node old = nodes.put(node.path, node);
        if (old != null) count(old.perms.owner(), -1);
        count(node.perms.owner(), +1);
        node.generation = ++generation;
    }

    @Override
    public void remove(String path) {
        Node old = nodes.remove(path);
        if (old != null) {
            count(old.perms.owner(), -1);
            generation++;
        }
    }

    long generation() {
        return generation;
    }

    int nodesOwnedBy(int domid) {
        return ownerCounts.getOrDefault(domid, 0);
    }

    int size() {
        return nodes.size();
    }

    private void count(int owner, int d) {
        ownerCounts.merge(owner, d, Integer::sum);
    }

    /**
     * A transaction (xenstored_transaction): copy-on-write overlay over the tree plus the
     * generation of every node it touched at first access (-1: absent). Commit fails with EAGAIN
     * if any of them changed meanwhile, else applies the overlay in order.
     */
    static final class Transaction implements TreeView {
        final int id;
        private final Tree tree;
        private final Map<String, Node> overlay = new LinkedHashMap<>();
        private final Map<String, Long> accessed = new HashMap<>();
        /** Changed paths (and whether removed recursively) to fire watches for at commit. */
        final Map<String, Boolean> changes = new LinkedHashMap<>();

        Transaction(int id, Tree tree) {
            this.id = id;
            this.tree = tree;
        }

        private void touch(String path) {
            if (!accessed.containsKey(path)) {
                Node b = tree.get(path);
                accessed.put(path, b == null ? -1L : b.generation);
            }
        }

        @Override
        public Node get(String path) {
            if (overlay.containsKey(path)) return overlay.get(path);
            touch(path);
            // below a node this transaction removed nothing exists, even what was created outside it
            // since (read through, such a child had no parent here)
            for (String q = path; !q.equals("/"); ) {
                q = XsPaths.parent(q);
                if (overlay.containsKey(q) && overlay.get(q) == null) return null;
            }
            return tree.get(path);
        }

        @Override
        public void put(Node node) {
            touch(node.path);
            overlay.put(node.path, node);
        }

        @Override
        public void remove(String path) {
            touch(path);
            overlay.put(path, null);
        }

        int accessedNodes() {
            return accessed.size();
        }

        /** True if the transaction can commit (nothing it touched changed). */
        boolean valid() {
            for (Map.Entry<String, Long> a : accessed.entrySet()) {
                Node now = tree.get(a.getKey());
                long gen = now == null ? -1 : now.generation;
                if (gen != a.getValue()) return false;
            }
            return true;
        }

        void apply() {
            for (Map.Entry<String, Node> e : overlay.entrySet()) {
                if (e.getValue() == null) tree.remove(e.getKey());
                else tree.put(e.getValue());
            }
        }
    }
}
