package xensim.xen;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The mapping side of grants (Xen's maptrack, kept in the mapping domain's grant table): grant
 * handle → live {@link GrantMapping}. Handles are small integers from 0; a freed handle goes to the
 * tail of a free list and is handed out again later, as in Xen, so a backend that unmaps a stale
 * handle can hit somebody else's newer mapping, as on real hardware.
 *
 * <p>Not thread-safe by itself: the {@link Hypervisor} serialises all calls.
 */
final class Maptrack {
    /** Xen's default max_maptrack_frames (1024) × 512 handles per frame. */
    static final int MAX_HANDLES = 1024 * 512;

    private final TreeMap<Integer, GrantMapping> live = new TreeMap<>();
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private int next;

    /** A free handle, or -1 when the table is full (GNTST_no_space). */
    int allocate() {
        Integer h = free.pollFirst();
        if (h != null) return h;
        if (next >= MAX_HANDLES) return -1;
        return next++;
    }

    void put(int handle, GrantMapping mapping) {
        live.put(handle, mapping);
    }

    GrantMapping get(int handle) {
        return live.get(handle);
    }

    /** Frees {@code handle}: it goes to the tail of the free list. */
    GrantMapping remove(int handle) {
        GrantMapping m = live.remove(handle);
        if (m != null) free.addLast(handle);
        return m;
    }

    /** Live mappings in handle order. */
    List<GrantMapping> mappings() {
        return new ArrayList<>(live.values());
    }

    int size() {
        return live.size();
    }
}
