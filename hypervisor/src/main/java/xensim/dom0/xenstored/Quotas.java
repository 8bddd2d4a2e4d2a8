package xensim.dom0.xenstored;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * C xenstored's quotas (tools/xenstored/domain.c) with its defaults; a domain's values start as
 * the global ones and may be set per domain (GET_QUOTA/SET_QUOTA, Xen 4.19). Exceeding a quota
 * gives ENOSPC, as C xenstored does; 0 disables a check. Privileged domains are not limited.
 */
public final class Quotas {
    public static final String NODES = "nodes";
    public static final String WATCHES = "watches";
    public static final String OUTSTANDING = "outstanding";
    public static final String TRANSACTIONS = "transactions";
    public static final String TRANSACTION_NODES = "transaction-nodes";
    public static final String PERMISSIONS = "node-permissions";
    public static final String PATH_MAX = "path-max";
    public static final String NODE_SIZE = "node-size";

    private final Map<String, Integer> global = new LinkedHashMap<>();
    private final Map<Integer, Map<String, Integer>> perDomain = new HashMap<>();
    /** The global {@link #OUTSTANDING} value, which the main loop reads for every ring on every turn. */
    private int outstanding;

    public Quotas() {
        global.put(NODES, 1000);
        global.put(WATCHES, 128);
        global.put(OUTSTANDING, 20);
        global.put(TRANSACTIONS, 10);
        global.put(TRANSACTION_NODES, 1024);
        global.put(PERMISSIONS, 5);
        global.put(PATH_MAX, xensim.abi.XsWire.XENSTORE_REL_PATH_MAX);
        global.put(NODE_SIZE, 2048);
        outstanding = global.get(OUTSTANDING);
    }

    public boolean known(String name) {
        return global.containsKey(name);
    }

    /** Space-separated list of quota names (GET_QUOTA without arguments). */
    public String names() {
        return String.join(" ", global.keySet());
    }

    /** {@link #get(Integer, String)} for a domain, without boxing its id when no domain has its own values. */
    public int get(int domid, String name) {
        if (perDomain.isEmpty()) return global.get(name);
        return get(Integer.valueOf(domid), name);
    }

    /** {@code get(domid, OUTSTANDING)}: domain_can_read's quota, without a map lookup when no domain has its own values. */
    public int outstanding(int domid) {
        return perDomain.isEmpty() ? outstanding : get(Integer.valueOf(domid), OUTSTANDING);
    }

    public int get(Integer domid, String name) {
        if (domid != null && !perDomain.isEmpty()) {
            Map<String, Integer> d = perDomain.get(domid);
            if (d != null && d.containsKey(name)) return d.get(name);
        }
        return global.get(name);
    }

    public void set(Integer domid, String name, int value) {
        if (domid == null) {
            global.put(name, value);
            if (name.equals(OUTSTANDING)) outstanding = value;
        }
        else perDomain.computeIfAbsent(domid, k -> new HashMap<>()).put(name, value);
    }

    /** True if {@code used} would exceed the quota (0 = unlimited). */
    public boolean exceeded(int domid, String name, long used) {
        int q = get(domid, name);
        return q > 0 && used > q;
    }

    public void forget(int domid) {
        perDomain.remove(domid);
    }
}
