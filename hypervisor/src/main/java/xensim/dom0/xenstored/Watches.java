package xensim.dom0.xenstored;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Registered watches (xenstored_watch, tools/xenstored/watch.c): a watch on P fires for changes
 * at P, below P, and for the removal of an ancestor of P; relative watches report paths relative
 * to the watcher's domain path. Special watches (@introduceDomain, @releaseDomain) fire on domain
 * events.
 *
 * <p>Each connection's watches are kept by (path, token), as C keeps them on the connection's own
 * list: do_watch's duplicate check, the per-domain watch count and do_unwatch cost O(1) however
 * many watches other connections hold. Firing yields the watches in registration order, as C's
 * fire_watches walks every connection's list; to find them it looks up the watches registered on
 * the changed path and on each of its ancestors (and, for a removal, on the paths below it) in an
 * index by watched path, so a change costs O(depth + matches), not O(every watch of every domain).
 */
final class Watches {

    /** {@code depth}: -1 for no limit, else how many levels below {@code path} fire (XS_WATCH's third argument). */
    record Watch(Connection conn, String path, String token, boolean relative, int depth) {
        Watch(Connection conn, String path, String token, boolean relative) {
            this(conn, path, token, relative, -1);
        }
    }

    private record Key(String path, String token) {}

    /** A registered watch and its place in registration order. */
    private record Entry(Watch watch, long order) {}

    /** Every watch, in registration order (the order events fire in), with its entry. */
    private final LinkedHashMap<Watch, Entry> all = new LinkedHashMap<>();
    private final Map<Connection, Map<Key, Watch>> byConn = new HashMap<>();
    /** The entries by watched path, each list in registration order. */
    private final HashMap<String, ArrayList<Entry>> byPath = new HashMap<>();
    /** The same lists, sorted by path: the paths below a removed node are one range. */
    private final TreeMap<String, ArrayList<Entry>> pathsSorted = new TreeMap<>();
    private long nextOrder;
    /** Watch entries examined by registration, lookup and removal (tests: the work per watch). */
    long probes;

    void add(Watch w) {
        probes++;
        byConn.computeIfAbsent(w.conn(), c -> new LinkedHashMap<>()).put(new Key(w.path(), w.token()), w);
        if (all.containsKey(w)) return;
        Entry e = new Entry(w, nextOrder++);
        all.put(w, e);
        ArrayList<Entry> l = byPath.get(w.path());
        if (l == null) {
            l = new ArrayList<>(2);
            byPath.put(w.path(), l);
            pathsSorted.put(w.path(), l);
        }
        l.add(e);
    }

    private void unindex(Watch w) {
        Entry e = all.remove(w);
        if (e == null) return;
        ArrayList<Entry> l = byPath.get(w.path());
        l.remove(e);
        if (l.isEmpty()) {
            byPath.remove(w.path());
            pathsSorted.remove(w.path());
        }
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
        unindex(w);
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
        for (Watch w : mine.values()) unindex(w);
    }

    /** Watches to fire for a change at {@code path}; {@code removed}: the subtree went away. */
    List<Watch> matching(String path, boolean removed) {
        if (path.startsWith("@")) {
            ArrayList<Entry> l = byPath.get(path);
            List<Watch> out = new ArrayList<>(l == null ? 0 : l.size());
            if (l != null) for (Entry e : l) out.add(e.watch());
            return out;
        }
        if (!path.startsWith("/")) return scan(path, removed);
        ArrayList<Entry> hits = new ArrayList<>();
        // the watches on the path and on each ancestor: is_child(path, watch)
        for (String a = path; ; ) {
            ArrayList<Entry> l = byPath.get(a);
            if (l != null) for (Entry e : l) if (isChild(path, a, e.watch().depth())) hits.add(e);
            if (a.equals("/")) break;
            int i = a.lastIndexOf('/');
            a = i <= 0 ? "/" : a.substring(0, i);
        }
        if (removed) {
            // a removal also fires the watches below it ("/" + 1 is '0': the range of "path/...")
            String lo = path.equals("/") ? "/" : path + "/";
            String hi = path.equals("/") ? "0" : path + "0";
            for (ArrayList<Entry> l : pathsSorted.subMap(lo, false, hi, false).values()) hits.addAll(l);
        }
        if (hits.size() > 1) hits.sort((x, y) -> Long.compare(x.order(), y.order()));
        List<Watch> out = new ArrayList<>(hits.size());
        for (Entry e : hits) out.add(e.watch());
        return out;
    }

    /** The walk over every watch in registration order (paths the index does not cover). */
    private List<Watch> scan(String path, boolean removed) {
        List<Watch> out = new ArrayList<>();
        for (Watch w : all.keySet()) {
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
