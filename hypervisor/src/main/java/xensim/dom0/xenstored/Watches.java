package xensim.dom0.xenstored;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Registered watches (xenstored_watch, tools/xenstored/watch.c): a watch on P fires for changes
 * at P, below P, and for the removal of an ancestor of P; relative watches report paths relative
 * to the watcher's domain path. Special watches (@introduceDomain, @releaseDomain) fire on domain
 * events.
 *
 * <p>Each connection's watches are kept by (path, token), as C keeps them on the connection's own
 * list: do_watch's duplicate check, the per-domain watch count and do_unwatch cost O(1) however
 * many watches other connections hold. Firing walks every watch in registration order, as C's
 * fire_watches walks every connection's list.
 */
final class Watches {

    /** {@code depth}: -1 for no limit, else how many levels below {@code path} fire (XS_WATCH's third argument). */
    record Watch(Connection conn, String path, String token, boolean relative, int depth) {
        Watch(Connection conn, String path, String token, boolean relative) {
            this(conn, path, token, relative, -1);
        }
    }

    private record Key(String path, String token) {}

    /** Every watch, in registration order (the order events fire in). */
    private final LinkedHashSet<Watch> all = new LinkedHashSet<>();
    private final Map<Connection, Map<Key, Watch>> byConn = new HashMap<>();
    /** Watch entries examined by registration, lookup and removal (tests: the work per watch). */
    long probes;

    void add(Watch w) {
        probes++;
        byConn.computeIfAbsent(w.conn(), c -> new LinkedHashMap<>()).put(new Key(w.path(), w.token()), w);
        all.add(w);
    }

    boolean exists(Connection c, String path, String token) {
        probes++;
        Map<Key, Watch> mine = byConn.get(c);
        return mine != null && mine.containsKey(new Key(path, token));
    }

    boolean remove(Connection c, String path, String token) {
        probes++;
        Map<Key, Watch> mine = byConn.get(c);
        Watch w = mine == null ? null : mine.remove(new Key(path, token));
        if (w == null) return false;
        all.remove(w);
        if (mine.isEmpty()) byConn.remove(c);
        return true;
    }

    int count(Connection c) {
        probes++;
        Map<Key, Watch> mine = byConn.get(c);
        return mine == null ? 0 : mine.size();
    }

    /** conn_delete_all_watches: the connection's own watches only. */
    void removeAll(Connection c) {
        Map<Key, Watch> mine = byConn.remove(c);
        if (mine == null) return;
        probes += mine.size();
        for (Watch w : mine.values()) all.remove(w); // not removeAll: it may scan values() per element
    }

    /** Watches to fire for a change at {@code path}; {@code removed}: the subtree went away. */
    List<Watch> matching(String path, boolean removed) {
        List<Watch> out = new ArrayList<>();
        for (Watch w : all) {
            if (path.startsWith("@")) {
                if (w.path().equals(path)) out.add(w);
            } else if (!w.path().startsWith("@")
                    && (isChild(path, w.path(), w.depth()) || (removed && XsPaths.isAtOrBelow(w.path(), path)))) {
                out.add(w);
            }
        }
        return out;
    }

    /**
     * is_child (tools/xenstored/watch.c): {@code child} is {@code parent} or below it, and with a
     * depth at most that many levels below.
     */
    static boolean isChild(String child, String parent, int depth) {
        if (!XsPaths.isAtOrBelow(child, parent)) return false;
        if (depth < 0 || child.equals(parent)) return true;
        String rest = parent.equals("/") ? child.substring(1) : child.substring(parent.length() + 1);
        int levels = 1;
        for (int i = 0; i < rest.length(); i++) if (rest.charAt(i) == '/') levels++;
        return levels <= depth;
    }
}
