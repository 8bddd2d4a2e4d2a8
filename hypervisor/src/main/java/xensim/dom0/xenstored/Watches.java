package xensim.dom0.xenstored;

import java.util.ArrayList;
import java.util.List;

/**
 * Registered watches (xenstored_watch): a watch on P fires for changes at P, below P, and for the
 * removal of an ancestor of P; relative watches report paths relative to the watcher's domain
 * path. Special watches (@introduceDomain, @releaseDomain) fire on domain events.
 */
final class Watches {

    record Watch(Connection conn, String path, String token, boolean relative) {}

    private final List<Watch> watches = new ArrayList<>();

    void add(Watch w) {
        watches.add(w);
    }

    boolean exists(Connection c, String path, String token) {
        for (Watch w : watches) if (w.conn() == c && w.path().equals(path) && w.token().equals(token)) return true;
        return false;
    }

    boolean remove(Connection c, String path, String token) {
        return watches.removeIf(w -> w.conn() == c && w.path().equals(path) && w.token().equals(token));
    }

    int count(Connection c) {
        int n = 0;
        for (Watch w : watches) if (w.conn() == c) n++;
        return n;
    }

    void removeAll(Connection c) {
        watches.removeIf(w -> w.conn() == c);
    }

    /** Watches to fire for a change at {@code path}; {@code removed}: the subtree went away. */
    List<Watch> matching(String path, boolean removed) {
        List<Watch> out = new ArrayList<>();
        for (Watch w : watches) {
            if (path.startsWith("@")) {
                if (w.path().equals(path)) out.add(w);
            } else if (!w.path().startsWith("@")
                    && (XsPaths.isAtOrBelow(path, w.path()) || (removed && XsPaths.isAtOrBelow(w.path(), path)))) {
                out.add(w);
            }
        }
        return out;
    }
}
