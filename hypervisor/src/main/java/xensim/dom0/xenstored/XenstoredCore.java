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
 * The checks come in C's order (process_message: type, XS_FLAG_PRIV, transaction_lookup; then each
 * handler's: canonicalize, get_node's permission, only then quotas and the handler's own checks),
 * so a hostile request gets the error C gives; {@link Flavour#OCAML} answers an unknown
 * transaction with EIO before anything else, as oxenstored's process_packet does, and otherwise
 * shares C's answers except where a difference is modelled (GET_DOMAIN_PATH, quotas exceeded above
 * the value, no DOMID_ANY, no watch depth).
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
        // setup_structure(): the special nodes are nodes of their own (not children of "/"), so
        // GET_PERMS/SET_PERMS reach them; 4.22 (258263a4fb) lets every domain read @releaseDomain
        tree.put(new Node(XsPaths.RELEASE_DOMAIN, new byte[0], flavour == Flavour.C_4_22
                ? new Permissions(List.of(new Permissions.Entry(0, 0), new Permissions.Entry(DOMID_ANY, Permissions.READ)))
                : dom0Only, new ArrayList<>()));
        tree.put(new Node(XsPaths.INTRODUCE_DOMAIN, new byte[0], dom0Only, new ArrayList<>()));
    }

    /** DOMID_ANY (xen.h 0x7FF5): a permission entry that matches every domain (Xen 4.22). */
    static final int DOMID_ANY = 0x7FF5;
    /** DOMID_SELF (xen.h 0x7FF0). */
    static final int DOMID_SELF = 0x7FF0;

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

    /**
     * process_message (tools/xenstored/core.c): a type without a wire_funcs handler is ENOSYS, a
     * type flagged XS_FLAG_PRIV from an unprivileged domain EACCES, then transaction_lookup (an
     * unknown non-zero tx_id is ENOENT) unless the type is XS_FLAG_NOTID (WATCH, UNWATCH); only
     * then does the handler look at its arguments. oxenstored (process.ml process_packet) looks the
     * transaction up first, before the handler is even chosen, and an unknown one escapes
     * input_handle_error as Not_found, answered EIO; its privilege checks are in the handlers.
     */
    private Reply dispatch(Connection c, XsMessage m, List<Runnable> after) throws XsError {
        int type = m.type();
        boolean notid = type == XS_WATCH || type == XS_UNWATCH;
        if (flavour == Flavour.OCAML) {
            // maybe_ignore_transaction: WATCH/UNWATCH ignore the tx id; Connection.get_transaction raises Not_found
            if (!notid && m.txId() != 0 && !c.transactions.containsKey(m.txId())) throw new XsError("EIO");
        }
        if (!hasHandler(type)) throw new XsError("ENOSYS");
        if (privOnly(type)) privileged(c);
        if (!notid && m.txId() != 0 && !c.transactions.containsKey(m.txId())) throw new XsError("ENOENT");
        List<String> a = terminatedStrings(m);
        return switch (type) {
            case XS_READ -> {
                Found f = getNode(c, view(c, m), onearg(m), Permissions.READ, false);
                if (f.node() == null) throw new XsError(f.errno());
                yield new Reply(XS_READ, f.node().value, f.path());
            }
            case XS_DIRECTORY -> {
                Found f = getNode(c, view(c, m), onearg(m), Permissions.READ, false);
                if (f.node() == null) throw new XsError(f.errno());
                yield new Reply(XS_DIRECTORY, joinNul(f.node().children, false), f.path());
            }
            case XS_DIRECTORY_PART -> directoryPart(c, m, a);
            case XS_GET_PERMS -> {
                // do_get_perms: get_node_const(..., XS_PERM_READ, allow_special = true)
                Found f = getNode(c, view(c, m), onearg(m), Permissions.READ, true);
                if (f.node() == null) throw new XsError(f.errno());
                yield new Reply(XS_GET_PERMS, joinNul(f.node().perms.wire(), false), f.path());
            }
            case XS_WRITE -> write(c, m);
            case XS_MKDIR -> {
                // do_mkdir: an existing node is fine; ENOENT (the parent permits writing) creates it
                TreeView v = view(c, m);
                Found f = getNode(c, v, onearg(m), Permissions.WRITE, false);
                if (f.node() == null) {
                    if (!f.errno().equals("ENOENT")) throw new XsError(f.errno());
                    create(c, v, f.path(), new byte[0], m.txId());
                }
                yield ok(XS_MKDIR, f.path());
            }
            case XS_RM -> rm(c, m);
            case XS_SET_PERMS -> setPerms(c, m, a);
            case XS_WATCH -> watch(c, m, a, after);
            case XS_UNWATCH -> {
                // do_unwatch: exactly two strings, canonicalize(allow_special), then the match
                if (a.size() != 2) throw new XsError("EINVAL");
                String wp = canonicalize(c, a.get(0), true);
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
                long d = domidOfDomainPath(onearg(m));
                yield new Reply(XS_GET_DOMAIN_PATH, ("/local/domain/" + d + "\0").getBytes(StandardCharsets.UTF_8), null);
            }
            case XS_IS_DOMAIN_INTRODUCED -> {
                // do_is_domain_introduced: DOMID_SELF is always introduced
                long d = flavour == Flavour.C_4_22 ? parseDomid(onearg(m)) : Integer.toUnsignedLong(atoi(onearg(m)));
                yield new Reply(XS_IS_DOMAIN_INTRODUCED, ((d == 0 || d == DOMID_SELF || introduced.containsKey((int) d)) ? "T\0" : "F\0")
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
                // do_get_feature: no argument asks for the connection's own domain (4.21: the flag
                // makes it dom0's); naming a domain is for privileged callers only (4.22: EACCES
                // before the argument count, EINVAL for more than one, parse_domid)
                int d = c.domid;
                if (!a.isEmpty()) {
                    privileged(c);
                    if (a.size() > 1) throw new XsError("EINVAL");
                    d = flavour == Flavour.C_4_22 ? (int) parseDomid(a.get(0)) : atoi(a.get(0));
                }
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
            default -> throw new XsError("ENOSYS");
        };
    }

    /**
     * Whether wire_funcs has a handler for {@code type}: not XS_WATCH_EVENT, XS_ERROR, the retired
     * 20, nor anything from XS_TYPE_COUNT on; before 4.21 the table ends at XS_DIRECTORY_PART
     * (oxenstored's Xb.Op has no GET/SET_FEATURE or GET/SET_QUOTA either: Invalid, do_error).
     */
    private boolean hasHandler(int type) {
        if (type < 0 || type >= XS_TYPE_COUNT || type == XS_WATCH_EVENT || type == XS_ERROR || type == 20) return false;
        return flavour.featureOps || type < XS_GET_FEATURE;
    }

    /**
     * XS_FLAG_PRIV in wire_funcs: CONTROL, INTRODUCE, RELEASE, IS_DOMAIN_INTRODUCED, RESUME,
     * SET_TARGET, SET_FEATURE, GET/SET_QUOTA; GET_FEATURE too in 4.21 (4.22 lets a domain ask
     * for its own features).
     */
    private boolean privOnly(int type) {
        return switch (type) {
            case XS_CONTROL, XS_INTRODUCE, XS_RELEASE, XS_IS_DOMAIN_INTRODUCED, XS_RESUME, XS_SET_TARGET, XS_SET_FEATURE,
                    XS_GET_QUOTA, XS_SET_QUOTA -> true;
            case XS_GET_FEATURE -> flavour == Flavour.C_4_21;
            default -> false;
        };
    }

    /** What get_node() found: the canonical path and the node, or (node null) the errno to answer. */
    private record Found(String path, Node node, String errno) {}

    /**
     * get_node (tools/xenstored/core.c): canonicalize() (EINVAL), read_node, then
     * get_node_chk_perm: a node without {@code perm} is EACCES; a missing node is ENOENT if the
     * nearest existing ancestor grants {@code perm}, else EACCES (errno_from_parents).
     */
    private Found getNode(Connection c, TreeView v, String raw, int perm, boolean allowSpecial) throws XsError {
        String p = canonicalize(c, raw, allowSpecial);
        Node n = v.get(p);
        if (n == null) return new Found(p, null, errnoForMissing(c, v, p, perm));
        if ((access(c, n) & perm) != perm) return new Found(p, null, "EACCES");
        return new Found(p, n, null);
    }

    /**
     * canonicalize (tools/xenstored/core.c): EINVAL for no argument, a character outside
     * valid_chars() [A-Za-z0-9-/_@], an '@' first where no special node is allowed, a trailing
     * '/' (except "/"), "//", or a path longer than the path-max quota counted after
     * {@code /local/domain/N/} (domain_max_chk; unprivileged domains only). A relative path is
     * below the connection's domain path.
     */
    private String canonicalize(Connection c, String node, boolean allowSpecial) throws XsError {
        if (node == null) throw new XsError("EINVAL");
        for (int i = 0; i < node.length(); i++) {
            char ch = node.charAt(i);
            boolean ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-'
                    || ch == '/' || ch == '_' || ch == '@';
            if (!ok) throw new XsError("EINVAL");
        }
        if (node.startsWith("@") && !allowSpecial) throw new XsError("EINVAL");
        String name = node.startsWith("/") || node.startsWith("@") ? node : XsPaths.domainPath(c.domid) + "/" + node;
        if (name.endsWith("/") && !name.equals("/")) throw new XsError("EINVAL");
        if (name.contains("//")) throw new XsError("EINVAL");
        if (!c.privileged() && maxExceeded(c.domid, Quotas.PATH_MAX, name.length() - localOff(name))) throw new XsError("EINVAL");
        return name;
    }

    /** sscanf(name, "/local/domain/%5u/%n"): the offset after a domain's path, 0 if there is none. */
    private static int localOff(String name) {
        String pre = "/local/domain/";
        if (!name.startsWith(pre)) return 0;
        int i = pre.length();
        int digits = 0;
        while (i < name.length() && digits < 5 && Character.isDigit(name.charAt(i))) {
            i++;
            digits++;
        }
        if (digits == 0 || i >= name.length() || name.charAt(i) != '/') return 0;
        return i + 1;
    }

    /**
     * domain_max_chk: a value at or over the quota (4.22's domain_quota_val_exceeds, 70fcc2531c)
     * or over it (earlier releases and oxenstored) exceeds it; 0 disables the check.
     */
    private boolean maxExceeded(int domid, String quota, long val) {
        int q = quotas.get(domid, quota);
        if (q <= 0) return false;
        return flavour == Flavour.C_4_22 ? val >= q : val > q;
    }

    /**
     * GET_DOMAIN_PATH's domid: parse_domid() in 4.22 (strtoul base 10, EINVAL for trailing junk
     * or a value over 65535; "" is 0), atoi() printed with %u before (any string gives a path),
     * oxenstored's c_int_of_string (skip non-digits, read digits).
     */
    private long domidOfDomainPath(String s) throws XsError {
        if (flavour == Flavour.C_4_22) return parseDomid(s);
        if (flavour == Flavour.OCAML) {
            long v = 0;
            int i = 0;
            while (i < s.length() && !Character.isDigit(s.charAt(i))) i++;
            while (i < s.length() && Character.isDigit(s.charAt(i)) && v < 1L << 40) v = v * 10 + (s.charAt(i++) - '0');
            return v;
        }
        return Integer.toUnsignedLong(atoi(s));
    }

    /** parse_domid (tools/xenstored/domain.c, 4.22): strtoul(input, &end, 10), EINVAL if *end or > 65535. */
    static long parseDomid(String s) throws XsError {
        int i = 0;
        while (i < s.length() && isCSpace(s.charAt(i))) i++;
        boolean neg = false;
        if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) neg = s.charAt(i++) == '-';
        int digitsFrom = i;
        long v = 0;
        boolean big = false;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            v = v * 10 + (s.charAt(i++) - '0');
            if (v > 65535) big = true;
            if (v > 1L << 40) v = 1L << 40;
        }
        if (i == digitsFrom) { // no digits: strtoul leaves end at the input, so only "" is fine (0)
            if (s.isEmpty()) return 0;
            throw new XsError("EINVAL");
        }
        if (i != s.length()) throw new XsError("EINVAL");
        if (neg && v != 0) big = true; // strtoul negates: a huge value
        if (big) throw new XsError("EINVAL");
        return v;
    }

    private static boolean isCSpace(char ch) {
        return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == 0x0b;
    }

    /** atoi(): optional space and sign, then digits; 0 if none (overflow wraps as a 32-bit int here). */
    static int atoi(String s) {
        int i = 0;
        while (i < s.length() && isCSpace(s.charAt(i))) i++;
        boolean neg = false;
        if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) neg = s.charAt(i++) == '-';
        int v = 0;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') v = v * 10 + (s.charAt(i++) - '0');
        return neg ? -v : v;
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
        return n.perms.accessOf(c.domid, c.privileged(), c.target, flavour == Flavour.C_4_22 ? DOMID_ANY : -1);
    }

    /**
     * write_node_raw's node-size check: calc_node_acc_size() (a 16-byte node_hdr, 8 bytes per
     * permission, the data and the child list) against the node-size quota; unprivileged only.
     */
    private void checkNodeSize(Connection c, Permissions perms, int datalen, List<String> children) throws XsError {
        if (c.privileged()) return;
        long size = 16L + 8L * perms.entries().size() + datalen;
        for (String ch : children) size += ch.getBytes(StandardCharsets.UTF_8).length + 1;
        if (maxExceeded(c.domid, Quotas.NODE_SIZE, size)) throw new XsError("ENOSPC");
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
        checkNodeSize(c, c.privileged() ? ancestor.perms : ancestor.perms.withOwner(c.domid), value.length, List.of());
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

    /**
     * do_write: the path is the first NUL-terminated string (EINVAL without one), the rest of the
     * payload the value; get_node(XS_PERM_WRITE) decides EINVAL/EACCES before anything else, ENOENT
     * creates the node (create_node), and only writing it checks the node-size quota (ENOSPC).
     */
    private Reply write(Connection c, XsMessage m) throws XsError {
        byte[] pl = m.payload();
        int nul = -1;
        for (int i = 0; i < pl.length; i++) if (pl[i] == 0) { nul = i; break; }
        if (nul < 0) throw new XsError("EINVAL");
        byte[] value = Arrays.copyOfRange(pl, nul + 1, pl.length);
        TreeView v = view(c, m);
        Found f = getNode(c, v, new String(pl, 0, nul, StandardCharsets.UTF_8), Permissions.WRITE, false);
        String p = f.path();
        if (f.node() == null) {
            if (!f.errno().equals("ENOENT")) throw new XsError(f.errno());
            create(c, v, p, value, m.txId());
        } else {
            checkNodeSize(c, f.node().perms, value.length, f.node().children);
            Node w = f.node().copy();
            w.value = value;
            v.put(w);
            changed(c, v, p, false);
        }
        return ok(XS_WRITE, p);
    }

    /**
     * do_rm: get_node(XS_PERM_WRITE) first (so a guest's RM "/" is EACCES: the root is dom0's);
     * a missing node whose parent exists is fine; only then is "/" refused (EINVAL).
     */
    private Reply rm(Connection c, XsMessage m) throws XsError {
        TreeView v = view(c, m);
        Found f = getNode(c, v, onearg(m), Permissions.WRITE, false);
        String p = f.path();
        if (f.node() == null) {
            if (f.errno().equals("ENOENT") && v.get(XsPaths.parent(p)) != null) return ok(XS_RM, p);
            throw new XsError(f.errno());
        }
        if (p.equals("/")) throw new XsError("EINVAL");
        Node n = f.node();
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

    /**
     * do_set_perms: xenstore_count_strings() counts the payload's NULs (fewer than 2: EINVAL); the
     * node-permissions quota (domain_max_chk, ENOSPC) and xenstore_strings_to_perms (EINVAL) come
     * before the node is looked up with get_node(XS_PERM_WRITE | XS_PERM_OWNER, allow_special);
     * an unprivileged domain may not change the owner (EPERM).
     */
    private Reply setPerms(Connection c, XsMessage m, List<String> a) throws XsError {
        if (a.size() < 2) throw new XsError("EINVAL");
        int num = a.size() - 1;
        if (!c.privileged() && maxExceeded(c.domid, Quotas.PERMISSIONS, num)) throw new XsError("ENOSPC");
        Permissions perms = Permissions.parse(a.subList(1, a.size()));
        if (perms == null) throw new XsError("EINVAL");
        TreeView v = view(c, m);
        Found f = getNode(c, v, a.get(0), Permissions.WRITE, true);
        if (f.node() == null) throw new XsError(f.errno());
        Node n = f.node();
        if (!n.perms.ownedBy(c.domid, c.privileged(), c.target)) throw new XsError("EACCES");
        String p = f.path();
        if (!c.privileged() && perms.owner() != n.perms.owner()) throw new XsError("EPERM");
        Node w = n.copy();
        w.perms = perms;
        v.put(w);
        changed(c, v, p, false);
        return ok(XS_SET_PERMS, p);
    }

    private Reply directoryPart(Connection c, XsMessage m, List<String> a) throws XsError {
        if (m.countStrings() != 2) throw new XsError("EINVAL");
        Found f = getNode(c, view(c, m), a.get(0), Permissions.READ, false);
        if (f.node() == null) throw new XsError(f.errno());
        Node n = f.node();
        String p = f.path();
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

    /**
     * do_watch (tools/xenstored/watch.c): exactly two strings, or three (the depth, atoi, EINVAL if
     * negative) when the domain has XENSTORE_SERVER_FEATURE_WATCHDEPTH; check_watch_path:
     * canonicalize(allow_special) (EINVAL); then the duplicate (EEXIST) and the watch quota (ENOSPC).
     * oxenstored (process.ml do_watch) wants exactly [node; token; ""].
     */
    private Reply watch(Connection c, XsMessage m, List<String> a, List<Runnable> after) throws XsError {
        int depth = -1;
        if (a.size() == 3 && (serverFeatures(c.domid) & XENSTORE_SERVER_FEATURE_WATCHDEPTH) != 0) {
            depth = atoi(a.get(2));
            if (depth < 0) throw new XsError("EINVAL");
        } else if (a.size() != 2) {
            throw new XsError("EINVAL");
        }
        String raw = a.get(0);
        String token = a.get(1);
        boolean relative = !raw.startsWith("/") && !raw.startsWith("@");
        String wp = canonicalize(c, raw, true);
        if (watches.exists(c, wp, token)) throw new XsError("EEXIST");
        if (!c.privileged() && quotas.exceeded(c.domid, Quotas.WATCHES, watches.count(c) + 1L)) throw new XsError("ENOSPC");
        Watches.Watch w = new Watches.Watch(c, wp, token, relative, depth);
        watches.add(w);
        after.add(() -> sendWatchEvent(w, wp)); // the initial event follows the reply
        return ok(XS_WATCH, wp);
    }

    /**
     * do_transaction_end (tools/xenstored/transaction.c): process_message has already refused an
     * unknown tx id (ENOENT); the argument must be exactly "T" or "F" (onearg, EINVAL); only then
     * is tx id 0 ENOENT. The transaction ends whatever the commit answers.
     */
    private Reply transactionEnd(Connection c, XsMessage m) throws XsError {
        String arg = onearg(m);
        if (!arg.equals("T") && !arg.equals("F")) throw new XsError("EINVAL");
        Tree.Transaction t = c.transactions.get(m.txId());
        if (m.txId() == 0 || t == null) throw new XsError("ENOENT");
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
