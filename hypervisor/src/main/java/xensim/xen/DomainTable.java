package xensim.xen;

import java.util.Collection;
import java.util.NavigableSet;
import java.util.TreeMap;

/**
 * The hypervisor's domains by id: Xen's {@code domain_hash} (what {@code rcu_lock_domain_by_id}
 * looks a domid up in) beside its id-ordered {@code domain_list}. A lookup is an array index — every
 * hypercall makes at least one — while iteration keeps domid order. Ids outside
 * {@code [0, DOMID_FIRST_RESERVED)} (DOMID_SELF, garbage from a guest) are never present.
 *
 * <p>Not thread-safe: the {@link Hypervisor} calls it under its own lock.
 */
final class DomainTable {
    private final Domain[] byId = new Domain[DomId.DOMID_FIRST_RESERVED];
    private final TreeMap<Integer, Domain> ordered = new TreeMap<>();

    Domain get(int domid) {
        return domid >= 0 && domid < byId.length ? byId[domid] : null;
    }

    boolean containsKey(int domid) {
        return get(domid) != null;
    }

    void put(int domid, Domain d) {
        if (domid < 0 || domid >= byId.length) throw new IllegalArgumentException("domid " + domid + " out of range");
        byId[domid] = d;
        ordered.put(domid, d);
    }

    void remove(int domid) {
        if (domid < 0 || domid >= byId.length) return;
        byId[domid] = null;
        ordered.remove(domid);
    }

    /** The domids, in order (a live view: copy before changing the table). */
    NavigableSet<Integer> keySet() {
        return ordered.navigableKeySet();
    }

    /** The domains in domid order (a live view). */
    Collection<Domain> values() {
        return ordered.values();
    }
}
