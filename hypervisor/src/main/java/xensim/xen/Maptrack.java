package xensim.xen;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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

    /** handle → live mapping (null: free or never handed out); grows with the highest handle. */
    private GrantMapping[] live = new GrantMapping[8];
    /** Freed handles, oldest first (a ring buffer of {@code freeCount} from {@code freeHead}). */
    private int[] free = new int[8];
    private int freeHead;
    private int freeCount;
    private int next;
    private int size;

    /** A free handle, or -1 when the table is full (GNTST_no_space). */
    int allocate() {
        if (freeCount > 0) {
            int h = free[freeHead];
            freeHead = (freeHead + 1) % free.length;
            freeCount--;
            return h;
        }
        if (next >= MAX_HANDLES) return -1;
        return next++;
    }

    void put(int handle, GrantMapping mapping) {
        if (handle >= live.length) live = Arrays.copyOf(live, Math.max(handle + 1, live.length * 2));
        if (live[handle] == null) size++;
        live[handle] = mapping;
    }

    GrantMapping get(int handle) {
        return handle >= 0 && handle < live.length ? live[handle] : null;
    }

    /** Frees {@code handle}: it goes to the tail of the free list. */
    GrantMapping remove(int handle) {
        GrantMapping m = get(handle);
        if (m != null) {
            live[handle] = null;
            size--;
            if (freeCount == free.length) {
                int[] grown = new int[free.length * 2];
                for (int i = 0; i < freeCount; i++) grown[i] = free[(freeHead + i) % free.length];
                free = grown;
                freeHead = 0;
            }
            free[(freeHead + freeCount) % free.length] = handle;
            freeCount++;
        }
        return m;
    }

    /** Live mappings in handle order. */
    List<GrantMapping> mappings() {
        List<GrantMapping> l = new ArrayList<>(size);
        for (int h = 0; h < next && h < live.length; h++) if (live[h] != null) l.add(live[h]);
        return l;
    }

    int size() {
        return size;
    }
}
