package xensim.dom0.xenstored;

import xensim.abi.XsMessage;
import xensim.abi.XsFramer;
import static xensim.abi.XsWire.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import xensim.platform.EventLog;

/**
 * xenstored's request handling, transport-agnostic and actor-free: a connection hands in one
 * complete {@link XsMessage}; replies and watch events leave through each connection's sink.
 * Semantics follow C xenstored (tools/xenstored/core.c and friends): errors as XS_ERROR with the
 * errno name, EACCES for missing permission (also when creating under an unwritable ancestor),
 * ENOENT for missing nodes, ENOSPC for quotas, EAGAIN for conflicting transactions, EINVAL for
 * string arguments without their terminating NUL (get_strings/onearg), ENOSYS for a message type
 * with no handler (process_message), E2BIG for a reply over XENSTORE_PAYLOAD_MAX (send_reply).
 */
public final class XenstoredCore {

    /** How a xenstored treats the ring page's {@code error} field when it cuts a guest off. */
    public enum ErrorField {
        /** C xenstored 4.17–4.20: ignore_connection() writes it unconditionally. */
        ALWAYS,
        /** C xenstored 4.21+: only when the domain's features include XENSTORE_SERVER_FEATURE_ERROR. */
        IF_ADVERTISED,
        /** oxenstored: never (xs_ring_stubs.c has no error field). */
        NEVER
    }

    /**
     * Which xenstored, and which version, is modelled: what it writes to a guest's ring page
     * ({@code server_features} at introduction, the {@code error} field when it ignores a
     * connection), which message types it knows, and how its ring code behaves (C's
     * tools/xenstored/domain.c readchn/writechn vs oxenstored's xs_ring_stubs.c with the
     * reconnection protocol). Checked against xen.git: fdd31b3bed (Jul 2025, in 4.21.0) added
     * server_features with ERROR only; 7e7723ea07 and 42aeed3b53 (Apr 2026, in 4.22.0) added
     * WATCHDEPTH and DOMID_ANY. Only the advertised bits are modelled for WATCHDEPTH and
     * DOMID_ANY, not their semantics (no guest here uses them).
     */
    public enum Flavour {
        /**
         * C xenstored of Xen 4.17–4.20 (Debian 12, Ubuntu 24.04): never writes server_features
         * (the page keeps whatever the guest left: 0 from the toolstack), always writes the error
         * field in ignore_connection(); no GET/SET_FEATURE or GET/SET_QUOTA (XS_TYPE_COUNT 23).
         */
        C_4_17("c-4.17", 0, false, ErrorField.ALWAYS, false, false),
        /** C xenstored of Xen 4.21: advertises ERROR (fdd31b3bed); error field only when advertised. */
        C_4_21("c-4.21", XENSTORE_SERVER_FEATURE_ERROR, true, ErrorField.IF_ADVERTISED, true, false),
        /** C xenstored of Xen 4.22 and master: ERROR | WATCHDEPTH | DOMID_ANY. */
        C_4_22("c-4.22", XENSTORE_SERVER_FEATURE_ERROR | XENSTORE_SERVER_FEATURE_WATCHDEPTH
                | XENSTORE_SERVER_FEATURE_DOMID_ANY, true, ErrorField.IF_ADVERTISED, true, false),
        /**
         * oxenstored (tools/ocaml/xenstored): advertises RECONNECTION only (Xb.open_mmap); on a
         * reconnect request zeroes all four indexes, fills both rings with 0xff and says CONNECTED
         * (ml_interface_close); never writes the error field; a bad index marks the domain bad.
         */
        OCAML("ocaml", XENSTORE_SERVER_FEATURE_RECONNECTION, true, ErrorField.NEVER, false, true);

        /** What {@code xenstored.flavour = c} means: {@link #C_4_22}, the newest release (and master). */
        public static final Flavour DEFAULT = C_4_22;

        public final String cliName;
        /** server_features as advertised (0 for 4.17, which writes nothing). */
        public final int features;
        /** Whether introduction writes server_features to the ring page. */
        public final boolean writesServerFeatures;
        public final ErrorField errorField;
        /** XS_GET/SET_FEATURE and XS_GET/SET_QUOTA (Xen 4.21+, d239b81a17). */
        public final boolean featureOps;
        /** oxenstored's ring code (reconnection, no domain_conn_reset at introduction). */
        public final boolean ocamlRing;

        Flavour(String cliName, int features, boolean writesServerFeatures, ErrorField errorField, boolean featureOps,
                boolean ocamlRing) {
            this.cliName = cliName;
            this.features = features;
            this.writesServerFeatures = writesServerFeatures;
            this.errorField = errorField;
            this.featureOps = featureOps;
            this.ocamlRing = ocamlRing;
        }

        /** Every name {@link #parse} takes, the alias first. */
        public static final java.util.List<String> NAMES = java.util.List.of("c", "c-4.17", "c-4.21", "c-4.22", "ocaml");

        public static Flavour parse(String s) {
            return switch (s) {
                case "c" -> DEFAULT;
                case "c-4.17", "c-4.18", "c-4.19", "c-4.20" -> C_4_17;
                case "c-4.21" -> C_4_21;
                case "c-4.22", "c-master" -> C_4_22;
                case "ocaml", "oxenstored" -> OCAML;
                default -> throw new IllegalArgumentException("unknown xenstored flavour '" + s
                        + "' (expected " + String.join(", ", NAMES) + ")");
            };
        }
    }

    /** Told about INTRODUCE/RELEASE so the transport layer can attach or drop a guest's ring. */
    public interface DomainListener {
        /**
         * INTRODUCE of {@code domid}. Returns true if the listener maps the ring and binds its event
         * channel asynchronously and will call {@link #introduceDone} when it has (C's
         * introduce_domain does both before do_introduce answers, so the answer waits for it).
         */
        boolean introduced(int domid, long gfn, int port);

        void released(int domid);
    }

    private static final String COMP = "xenstored";
    private static final byte[] OK = "OK\0".getBytes(StandardCharsets.UTF_8);

    private final Tree tree = new Tree();
    private final Watches watches = new Watches();
    private final Quotas quotas = new Quotas();
    private final Flavour flavour;
    private final EventLog log;
    private final Map<Integer, Connection> connections = new LinkedHashMap<>();
    private final Map<Integer, long[]> introduced = new LinkedHashMap<>();
    private final Map<Integer, Integer> domainFeatures = new HashMap<>();
    private DomainListener listener;
    /** INTRODUCEs whose ring the listener is still mapping: the request waits for its answer. */
    private final Map<Integer, PendingIntroduce> introducing = new HashMap<>();

    private record PendingIntroduce(Connection c, XsMessage m) {}

    /** The answer of a request that is not answered yet ({@link #introduceDone}). */
    private static final Reply DEFERRED = new Reply(-1, new byte[0], null);
    private int nextConnId = 1;

    public XenstoredCore(Flavour flavour, EventLog log) {
        this.flavour = flavour;
        this.log = log;
        Permissions dom0Only = Permissions.owner(0, 0);
        mk("/", dom0Only);
        mk("/tool", dom0Only);
        mk("/tool/xenstored", dom0Only);
    }

    private void mk(String path, Permissions perms) {
        Node n = new Node(path, new byte[0], perms, new ArrayList<>());
        tree.put(n);
        if (!path.equals("/")) {
            Node p = tree.get(XsPaths.parent(path)).copy();
            p.children.add(XsPaths.baseName(path));
            tree.put(p);
        }
    }

    /**
     * What xen-init-dom0 writes at boot: {@code /local/domain/0/domid} and {@code name}, through an
     * ordinary privileged connection (so the events show it).
     */
    public void initDom0(String name) {
        Connection init = connect(0, "init", msg -> { });
        handle(init, new XsMessage(XS_WRITE, 1, 0, "/local/domain/0/domid\u00000".getBytes(StandardCharsets.UTF_8)));
        handle(init, new XsMessage(XS_WRITE, 2, 0, ("/local/domain/0/name\0" + name).getBytes(StandardCharsets.UTF_8)));
        disconnect(init);
    }

    public void setDomainListener(DomainListener l) {
        this.listener = l;
    }

    public Flavour flavour() {
        return flavour;
    }

    /** The features the domain has (what introduction advertises, or SET_FEATURE gave it). */
    public int serverFeatures(int domid) {
        return domainFeatures.getOrDefault(domid, flavour.features);
    }

    public Quotas quotas() {
        return quotas;
    }

    long watchProbes() {
        return watches.probes;
    }

    public int nodeCount() {
        return tree.size();
    }

    public Connection connect(int domid, String transport, Consumer<XsMessage> sink) {
        Connection c = new Connection(nextConnId++, domid, transport, sink);
        connections.put(c.id, c);
        return c;
    }

    /** The connection went away: its watches and transactions go with it. */
    public void disconnect(Connection c) {
        c.closed = true;
        watches.removeAll(c);
        c.transactions.clear();
        connections.remove(c.id);
    }

    /** Ring reconnection (or a reset after a protocol error): drop watches and transactions. */
    public void resetConnection(Connection c, String reason) {
        resetConnection(c, reason, null, 0, 0);
    }

    /** As above, saying which ring's indexes ({@code "req"} or {@code "rsp"}) were found as {@code cons}/{@code prod}. */
    void resetConnection(Connection c, String reason, String ring, int cons, int prod) {
        watches.removeAll(c);
        c.transactions.clear();
        if (log == null) return;
        var e = log.event(c.domid, COMP, "XS_RESET").with("reason", reason).with("conn", c.transport);
        if (ring != null) e.with("ring", ring).with("cons", Integer.toUnsignedLong(cons)).with("prod", Integer.toUnsignedLong(prod));
        e.emit();
    }

    /** True if xenstored ignores {@code domid}'s ring (ignore_connection; oxenstored: a bad client). */
    public boolean ringIgnored(int domid) {
        for (Connection c : connections.values()) if (c.domid == domid && c.transport.equals("ring") && c.ignored) return true;
        return false;
    }

    public boolean isIntroduced(int domid) {
        return introduced.containsKey(domid);
    }

    /** Every node as path → value, sorted (tests and diagnostics; call on the owner's thread). */
    public java.util.SortedMap<String, String> dump() {
        java.util.TreeMap<String, String> out = new java.util.TreeMap<>();
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(List.of("/"));
        while (!todo.isEmpty()) {
            String p = todo.poll();
            Node n = tree.get(p);
            if (n == null) continue;
            out.put(p, new String(n.value, StandardCharsets.UTF_8) + " " + n.perms.wire());
            for (String c : n.children) todo.add(p.equals("/") ? "/" + c : p + "/" + c);
        }
        return out;
    }

    /** Reads a value directly (tests and tools inside dom0); null if absent. */
    public String readDirect(String path) {
        Node n = tree.get(path);
        return n == null ? null : new String(n.value, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------------------------------

    private static final class XsError extends Exception {
        final String errno;

        XsError(String errno) {
            super(errno, null, false, false);
            this.errno = errno;
        }
    }

    private record Reply(int type, byte[] payload, String path) {}

    /** Handles one request from {@code c}; the reply (and any watch events) go to the sinks. */
    public void handle(Connection c, XsMessage m) {
        if (c.closed) return;
        String firstArg = m.strings().isEmpty() ? "" : m.strings().get(0);
        if (log != null) {
            log.event(c.domid, COMP, "XS_REQ").with("type", typeName(m.type())).with("reqId", Integer.toUnsignedLong(m.reqId()))
                    .with("txId", m.txId()).with("path", firstArg).emit();
        }
        List<Runnable> after = new ArrayList<>(1);
        Reply r;
        String err = null;
        try {
            r = dispatch(c, m, after);
            // send_reply: a reply that would not fit a message (a long child list) is E2BIG
            if (r.payload().length > XENSTORE_PAYLOAD_MAX) throw new XsError("E2BIG");
        } catch (XsError e) {
            err = e.errno;
            r = new Reply(XS_ERROR, (e.errno + "\0").getBytes(StandardCharsets.UTF_8), null);
            after.clear();
        }
        if (r != DEFERRED) reply(c, m, r, err);
        for (Runnable a : after) a.run();
    }

    /** send_reply: the XS_RSP event and the reply to {@code c}'s sink. */
    private void reply(Connection c, XsMessage m, Reply r, String err) {
        if (log != null) {
            String firstArg = m.strings().isEmpty() ? "" : m.strings().get(0);
            String path = r.path() != null ? r.path() : XsPaths.canonical(c.domid, firstArg);
            log.event(c.domid, COMP, "XS_RSP").with("type", typeName(m.type())).with("reqId", Integer.toUnsignedLong(m.reqId()))
                    .with("path", path == null ? firstArg : path).with("error", err).emit();
        }
        if (!c.closed) c.sink.accept(new XsMessage(r.type(), m.reqId(), m.txId(), r.payload()));
    }

    /**
     * The listener has mapped {@code domid}'s ring and bound its event channel and xenstored has
     * reset the connection ({@code errno} null), or the mapping or binding failed. Ends C's
     * do_introduce: on success {@code @introduceDomain} fires and the toolstack gets its OK; on
     * failure the domain is not introduced and the answer is the error.
     */
    public void introduceDone(int domid, String errno) {
        PendingIntroduce p = introducing.remove(domid);
        if (p == null) return;
        if (errno == null) {
            fire(XsPaths.INTRODUCE_DOMAIN, false, null);
            reply(p.c(), p.m(), ok(XS_INTRODUCE, null), null);
        } else {
            introduced.remove(domid);
            reply(p.c(), p.m(), new Reply(XS_ERROR, (errno + "\0").getBytes(StandardCharsets.UTF_8), null), errno);
        }
    }

    private Reply ok(int type, String path) {
        return new Reply(type, OK, path);
    }

    private Reply dispatch(Connection c, XsMessage m, List<Runnable> after) throws XsError {
        List<String> a = terminatedStrings(m);
        // before 4.21 wire_funcs ends at XS_DIRECTORY_PART: a later type has no handler
        if (!flavour.featureOps && m.type() >= XS_GET_FEATURE && m.type() <= XS_SET_QUOTA) throw new XsError("ENOSYS");
        return switch (m.type()) {
            case XS_READ -> {
                String p = path(c, onearg(m));
                Node n = readable(c, view(c, m), p);
                yield new Reply(XS_READ, n.value, p);
            }
            case XS_DIRECTORY -> {
                String p = path(c, onearg(m));
                Node n = readable(c, view(c, m), p);
                yield new Reply(XS_DIRECTORY, joinNul(n.children, false), p);
            }
            case XS_DIRECTORY_PART -> directoryPart(c, m, a);
            case XS_GET_PERMS -> {
                String p = path(c, onearg(m));
                Node n = readable(c, view(c, m), p);
                yield new Reply(XS_GET_PERMS, joinNul(n.perms.wire(), false), p);
            }
            case XS_WRITE -> write(c, m);
            case XS_MKDIR -> {
                String p = path(c, onearg(m));
                TreeView v = view(c, m);
                if (v.get(p) == null) create(c, v, p, new byte[0], m.txId());
                else writable(c, v, p);
                yield ok(XS_MKDIR, p);
            }
            case XS_RM -> rm(c, m, path(c, onearg(m)));
            case XS_SET_PERMS -> setPerms(c, m, a);
            case XS_WATCH -> watch(c, m, a, after);
            case XS_UNWATCH -> {
                if (a.size() < 2) throw new XsError("EINVAL");
                String wp = a.get(0).startsWith("@") ? a.get(0) : path(c, a.get(0));
                if (!watches.remove(c, wp, a.get(1))) throw new XsError("ENOENT");
                yield ok(XS_UNWATCH, wp);
            }
            case XS_TRANSACTION_START -> {
                if (m.txId() != 0) throw new XsError("EBUSY");
                if (!c.privileged() && quotas.exceeded(c.domid, Quotas.TRANSACTIONS, c.transactions.size() + 1L)) {
                    throw new XsError("ENOSPC");
                }
                int id = c.nextTxId++;
                if (id == 0) id = c.nextTxId++;
                c.transactions.put(id, new Tree.Transaction(id, tree));
                yield new Reply(XS_TRANSACTION_START, (Integer.toUnsignedString(id) + "\0").getBytes(StandardCharsets.UTF_8), null);
            }
            case XS_TRANSACTION_END -> transactionEnd(c, m);
            case XS_INTRODUCE -> introduce(c, m, a);
            case XS_RELEASE -> release(c, m);
            case XS_GET_DOMAIN_PATH -> {
                int d = domid(onearg(m));
                yield new Reply(XS_GET_DOMAIN_PATH, (XsPaths.domainPath(d) + "\0").getBytes(StandardCharsets.UTF_8), null);
            }
            case XS_IS_DOMAIN_INTRODUCED -> {
                int d = domid(onearg(m));
                yield new Reply(XS_IS_DOMAIN_INTRODUCED, ((d == 0 || introduced.containsKey(d)) ? "T\0" : "F\0")
                        .getBytes(StandardCharsets.UTF_8), null);
            }
            case XS_SET_TARGET -> {
                privileged(c);
                int d = domid(arg(a, 0));
                int t = domid(arg(a, 1));
                if (!introduced.containsKey(d)) throw new XsError("ENOENT");
                for (Connection x : connections.values()) if (x.domid == d) x.target = t;
                yield ok(XS_SET_TARGET, null);
            }
            case XS_RESUME -> {
                privileged(c);
                if (!introduced.containsKey(domid(onearg(m)))) throw new XsError("ENOENT");
                yield ok(XS_RESUME, null);
            }
            case XS_RESET_WATCHES -> {
                watches.removeAll(c);
                c.transactions.clear();
                yield ok(XS_RESET_WATCHES, null);
            }
            case XS_GET_FEATURE -> {
                int d = a.isEmpty() || a.get(0).isEmpty() ? c.domid : domid(a.get(0));
                if (d != c.domid) privileged(c);
                yield new Reply(XS_GET_FEATURE, (Integer.toUnsignedString(serverFeatures(d)) + "\0").getBytes(StandardCharsets.UTF_8), null);
            }
            case XS_SET_FEATURE -> {
                privileged(c);
                int d = domid(arg(a, 0));
                int v = number(arg(a, 1));
                if ((v & ~flavour.features) != 0) throw new XsError("EINVAL");
                if (introduced.containsKey(d)) throw new XsError("EBUSY");
                domainFeatures.put(d, v);
                yield ok(XS_SET_FEATURE, null);
            }
            case XS_GET_QUOTA -> getQuota(c, a);
            case XS_SET_QUOTA -> setQuota(c, a);
            case XS_CONTROL -> {
                privileged(c);
                if (a.isEmpty() || !(a.get(0).equals("print") || a.get(0).equals("log"))) throw new XsError("EINVAL");
                yield ok(XS_CONTROL, null);
            }
            // process_message: no wire_funcs entry (WATCH_EVENT, ERROR, the retired 20, >= XS_TYPE_COUNT)
            default -> throw new XsError("ENOSYS");
        };
    }

    // --- helpers --------------------------------------------------------------------------------

    /**
     * get_strings(): the payload's NUL-terminated strings; bytes after the last NUL are not a
     * string (an argument that lacks its NUL is missing, hence EINVAL where it is required).
     */
    private static List<String> terminatedStrings(XsMessage m) {
        byte[] pl = m.payload();
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < pl.length; i++) {
            if (pl[i] == 0) {
                out.add(new String(pl, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return out;
    }

    /** onearg(): the payload is one string whose NUL is its last byte; anything else is EINVAL. */
    private static String onearg(XsMessage m) throws XsError {
        byte[] pl = m.payload();
        if (pl.length == 0) throw new XsError("EINVAL");
        for (int i = 0; i < pl.length; i++) {
            if (pl[i] == 0) {
                if (i != pl.length - 1) throw new XsError("EINVAL");
                return new String(pl, 0, i, StandardCharsets.UTF_8);
            }
        }
        throw new XsError("EINVAL");
    }

    private static String arg(List<String> a, int i) throws XsError {
        if (a.size() <= i) throw new XsError("EINVAL");
        return a.get(i);
    }

    private String path(Connection c, String p) throws XsError {
        String abs = XsPaths.canonical(c.domid, p);
        if (abs == null || abs.startsWith("@")) throw new XsError("EINVAL");
        if (!c.privileged() && p.length() > quotas.get(c.domid, Quotas.PATH_MAX)) throw new XsError("ENOSPC");
        return abs;
    }

    private static int domid(String s) throws XsError {
        int d = number(s);
        if (d < 0 || d >= 0x7FF0) throw new XsError("EINVAL");
        return d;
    }

    private static int number(String s) throws XsError {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new XsError("EINVAL");
        }
    }

    private static void privileged(Connection c) throws XsError {
        if (!c.privileged()) throw new XsError("EACCES");
    }

    private TreeView view(Connection c, XsMessage m) throws XsError {
        if (m.txId() == 0) return tree;
        Tree.Transaction t = c.transactions.get(m.txId());
        if (t == null) throw new XsError("ENOENT");
        return t;
    }

    private int access(Connection c, Node n) {
        return n.perms.accessOf(c.domid, c.privileged(), c.target);
    }

    private Node readable(Connection c, TreeView v, String p) throws XsError {
        Node n = v.get(p);
        if (n == null) throw new XsError(errnoForMissing(c, v, p, Permissions.READ));
        if ((access(c, n) & Permissions.READ) == 0) throw new XsError("EACCES");
        return n;
    }

    private Node writable(Connection c, TreeView v, String p) throws XsError {
        Node n = v.get(p);
        if (n == null) throw new XsError(errnoForMissing(c, v, p, Permissions.WRITE));
        if ((access(c, n) & Permissions.WRITE) == 0) throw new XsError("EACCES");
        return n;
    }

    /** errno_from_parents: a missing node under an inaccessible ancestor is EACCES, not ENOENT. */
    private String errnoForMissing(Connection c, TreeView v, String p, int perm) {
        String q = p;
        while (!q.equals("/")) {
            q = XsPaths.parent(q);
            Node n = v.get(q);
            if (n != null) return (access(c, n) & perm) == perm ? "ENOENT" : "EACCES";
        }
        return "ENOENT";
    }

    private static byte[] joinNul(List<String> items, boolean extraNul) {
        StringBuilder sb = new StringBuilder();
        for (String s : items) sb.append(s).append('\0');
        if (extraNul) sb.append('\0');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Creates {@code p} and any missing parents; the nearest existing ancestor must be writable. */
    private void create(Connection c, TreeView v, String p, byte[] value, int txId) throws XsError {
        List<String> missing = new ArrayList<>();
        String q = p;
        Node ancestor;
        while ((ancestor = v.get(q)) == null) {
            missing.add(q);
            q = XsPaths.parent(q);
        }
        if ((access(c, ancestor) & Permissions.WRITE) == 0) throw new XsError("EACCES");
        if (!c.privileged() && quotas.exceeded(c.domid, Quotas.NODES, tree.nodesOwnedBy(c.domid) + (long) missing.size())) {
            throw new XsError("ENOSPC");
        }
        // C xenstored: a new node inherits its parent's permissions; unprivileged creators own it
        Permissions inherited = c.privileged() ? ancestor.perms : ancestor.perms.withOwner(c.domid);
        Node parent = ancestor.copy();
        for (int i = missing.size() - 1; i >= 0; i--) {
            String np = missing.get(i);
            parent.children.add(XsPaths.baseName(np));
            v.put(parent);
            Node n = new Node(np, i == 0 ? value : new byte[0], inherited, new ArrayList<>());
            parent = n;
        }
        v.put(parent);
        changed(c, v, p, false);
    }

    private Reply write(Connection c, XsMessage m) throws XsError {
        byte[] pl = m.payload();
        int nul = -1;
        for (int i = 0; i < pl.length; i++) if (pl[i] == 0) { nul = i; break; }
        if (nul < 0) throw new XsError("EINVAL");
        String p = path(c, new String(pl, 0, nul, StandardCharsets.UTF_8));
        byte[] value = Arrays.copyOfRange(pl, nul + 1, pl.length);
        if (!c.privileged() && quotas.exceeded(c.domid, Quotas.NODE_SIZE, value.length)) throw new XsError("ENOSPC");
        TreeView v = view(c, m);
        Node n = v.get(p);
        if (n == null) {
            create(c, v, p, value, m.txId());
        } else {
            writable(c, v, p);
            Node w = n.copy();
            w.value = value;
            v.put(w);
            changed(c, v, p, false);
        }
        return ok(XS_WRITE, p);
    }

    private Reply rm(Connection c, XsMessage m, String p) throws XsError {
        if (p.equals("/")) throw new XsError("EINVAL");
        TreeView v = view(c, m);
        Node n = v.get(p);
        if (n == null) {
            Node parent = v.get(XsPaths.parent(p));
            if (parent != null && (access(c, parent) & Permissions.WRITE) != 0) return ok(XS_RM, p);
            throw new XsError(errnoForMissing(c, v, p, Permissions.WRITE));
        }
        writable(c, v, p);
        Node parent = v.get(XsPaths.parent(p)).copy();
        parent.children.remove(XsPaths.baseName(p));
        // watches of the removed subtree see the change while its permissions are still known
        changed(c, v, p, true);
        removeSubtree(v, n);
        v.put(parent);
        return ok(XS_RM, p);
    }

    private void removeSubtree(TreeView v, Node n) {
        for (String child : new ArrayList<>(n.children)) {
            Node ch = v.get(n.path.equals("/") ? "/" + child : n.path + "/" + child);
            if (ch != null) removeSubtree(v, ch);
        }
        v.remove(n.path);
    }

    private Reply setPerms(Connection c, XsMessage m, List<String> a) throws XsError {
        if (a.size() < 2) throw new XsError("EINVAL");
        String p = path(c, a.get(0));
        Permissions perms = Permissions.parse(a.subList(1, a.size()));
        if (perms == null) throw new XsError("EINVAL");
        if (!c.privileged() && quotas.exceeded(c.domid, Quotas.PERMISSIONS, perms.entries().size())) throw new XsError("ENOSPC");
        TreeView v = view(c, m);
        Node n = writable(c, v, p);
        if (!c.privileged() && perms.owner() != n.perms.owner()) throw new XsError("EPERM");
        Node w = n.copy();
        w.perms = perms;
        v.put(w);
        changed(c, v, p, false);
        return ok(XS_SET_PERMS, p);
    }

    private Reply directoryPart(Connection c, XsMessage m, List<String> a) throws XsError {
        if (m.countStrings() != 2) throw new XsError("EINVAL");
        String p = path(c, a.get(0));
        Node n = readable(c, view(c, m), p);
        int off;
        try {
            off = Integer.parseInt(a.get(1));
        } catch (NumberFormatException e) {
            off = 0; // C uses atoi()
        }
        byte[] children = joinNul(n.children, false);
        byte[] gen = (Long.toUnsignedString(n.generation) + "\0").getBytes(StandardCharsets.UTF_8);
        if (off < 0 || off >= children.length) {
            byte[] out = Arrays.copyOf(gen, gen.length + 1);
            return new Reply(XS_DIRECTORY_PART, out, p);
        }
        int maxlen = XENSTORE_PAYLOAD_MAX - gen.length - 1;
        int len = 0;
        int i = off;
        while (true) {
            int e = i;
            while (children[e] != 0) e++;
            int clen = e - i;
            if (len + clen >= maxlen) break;
            len += clen + 1;
            i = e + 1;
            if (off + len == children.length) break;
        }
        boolean end = off + len == children.length;
        byte[] out = new byte[gen.length + len + (end ? 1 : 0)];
        System.arraycopy(gen, 0, out, 0, gen.length);
        System.arraycopy(children, off, out, gen.length, len);
        return new Reply(XS_DIRECTORY_PART, out, p);
    }

    private Reply watch(Connection c, XsMessage m, List<String> a, List<Runnable> after) throws XsError {
        if (a.size() < 2) throw new XsError("EINVAL");
        String raw = a.get(0);
        String token = a.get(1);
        boolean relative = !raw.startsWith("/") && !raw.startsWith("@");
        String wp = raw.startsWith("@") ? XsPaths.canonical(c.domid, raw) : path(c, raw);
        if (wp == null) throw new XsError("EINVAL");
        if (watches.exists(c, wp, token)) throw new XsError("EEXIST");
        if (!c.privileged() && quotas.exceeded(c.domid, Quotas.WATCHES, watches.count(c) + 1L)) throw new XsError("ENOSPC");
        Watches.Watch w = new Watches.Watch(c, wp, token, relative);
        watches.add(w);
        after.add(() -> sendWatchEvent(w, wp)); // the initial event follows the reply
        return ok(XS_WATCH, wp);
    }

    private Reply transactionEnd(Connection c, XsMessage m) throws XsError {
        Tree.Transaction t = c.transactions.get(m.txId());
        if (m.txId() == 0 || t == null) throw new XsError("ENOENT");
        String arg = onearg(m);
        if (!arg.equals("T") && !arg.equals("F")) throw new XsError("EINVAL");
        c.transactions.remove(m.txId());
        if (arg.equals("F")) return ok(XS_TRANSACTION_END, null);
        if (!c.privileged() && quotas.exceeded(c.domid, Quotas.TRANSACTION_NODES, t.accessedNodes())) throw new XsError("ENOSPC");
        if (!t.valid()) throw new XsError("EAGAIN");
        // as C's transaction.c: a removed node's watchers are judged by the permissions it had, not
        // by its absence after the commit (which would tell every watcher its name)
        Map<String, Node> was = new HashMap<>();
        for (String changed : t.changes.keySet()) was.put(changed, tree.get(changed));
        t.apply();
        for (Map.Entry<String, Boolean> ch : t.changes.entrySet()) fire(ch.getKey(), ch.getValue(), was.get(ch.getKey()));
        return ok(XS_TRANSACTION_END, null);
    }

    private Reply introduce(Connection c, XsMessage m, List<String> a) throws XsError {
        privileged(c);
        if (a.size() < 3) throw new XsError("EINVAL");
        int d = domid(a.get(0));
        long gfn;
        int port;
        try {
            gfn = Long.parseLong(a.get(1));
            port = Integer.parseInt(a.get(2));
        } catch (NumberFormatException e) {
            throw new XsError("EINVAL");
        }
        if (d == 0 || port <= 0) throw new XsError("EINVAL");
        if (introduced.containsKey(d)) return ok(XS_INTRODUCE, null);
        introduced.put(d, new long[] {gfn, port});
        if (listener != null && listener.introduced(d, gfn, port)) {
            introducing.put(d, new PendingIntroduce(c, m));
            return DEFERRED;
        }
        fire(XsPaths.INTRODUCE_DOMAIN, false, null);
        return ok(XS_INTRODUCE, null);
    }

    private Reply release(Connection c, XsMessage m) throws XsError {
        privileged(c);
        int d = domid(onearg(m));
        if (introduced.remove(d) == null) throw new XsError("ENOENT");
        PendingIntroduce p = introducing.remove(d); // the introduce is answered before the release
        if (p != null) reply(p.c(), p.m(), ok(XS_INTRODUCE, null), null);
        for (Connection x : new ArrayList<>(connections.values())) {
            if (x.domid == d && !x.transport.equals("local")) disconnect(x);
        }
        quotas.forget(d);
        domainFeatures.remove(d);
        if (listener != null) listener.released(d);
        fire(XsPaths.RELEASE_DOMAIN, false, null);
        return ok(XS_RELEASE, null);
    }

    private Reply getQuota(Connection c, List<String> a) throws XsError {
        privileged(c);
        if (a.isEmpty()) return new Reply(XS_GET_QUOTA, (quotas.names() + "\0").getBytes(StandardCharsets.UTF_8), null);
        Integer d = a.size() >= 2 ? domid(a.get(0)) : null;
        String name = a.get(a.size() >= 2 ? 1 : 0);
        if (!quotas.known(name)) throw new XsError("EINVAL");
        return new Reply(XS_GET_QUOTA, (quotas.get(d, name) + "\0").getBytes(StandardCharsets.UTF_8), null);
    }

    private Reply setQuota(Connection c, List<String> a) throws XsError {
        privileged(c);
        if (a.size() < 2) throw new XsError("EINVAL");
        Integer d = a.size() >= 3 ? domid(a.get(0)) : null;
        String name = a.get(a.size() >= 3 ? 1 : 0);
        int v = number(a.get(a.size() >= 3 ? 2 : 1));
        if (!quotas.known(name) || v < 0) throw new XsError("EINVAL");
        quotas.set(d, name, v);
        return ok(XS_SET_QUOTA, null);
    }

    // --- watches --------------------------------------------------------------------------------

    private void changed(Connection c, TreeView v, String p, boolean removed) {
        if (v instanceof Tree.Transaction t) {
            t.changes.merge(p, removed, (x, y) -> x || y);
        } else {
            fire(p, removed, null);
        }
    }

    /**
     * Fires watches for a change at {@code p}; watchers only see nodes they may read. A node gone
     * by now is judged by {@code before}, what it was before the change; with neither (it existed
     * only inside a transaction) nobody is told.
     */
    private void fire(String p, boolean removed, Node before) {
        for (Watches.Watch w : watches.matching(p, removed)) {
            if (!p.startsWith("@")) {
                Node n = tree.get(p);
                if (n == null) n = before;
                if (n == null || (access(w.conn(), n) & Permissions.READ) == 0) continue;
            }
            sendWatchEvent(w, p);
        }
    }

    /** send_event: an event that would not fit a message (long path + long token) is not sent. */
    private void sendWatchEvent(Watches.Watch w, String p) {
        if (w.conn().closed) return;
        String reported = w.relative() ? XsPaths.relativeTo(w.conn().domid, p) : p;
        int len = reported.getBytes(StandardCharsets.UTF_8).length + 1 + w.token().getBytes(StandardCharsets.UTF_8).length + 1;
        if (len > XENSTORE_PAYLOAD_MAX) return;
        if (log != null) {
            log.event(w.conn().domid, COMP, "XS_WATCH_EVENT").with("path", reported).with("token", w.token()).emit();
        }
        w.conn().sink.accept(XsMessage.of(XS_WATCH_EVENT, 0, 0, reported, w.token()));
    }
}
