package xensim.dom0.xenstored;

import static xensim.abi.XsWire.*;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;
import xensim.abi.PageBytes;
import xensim.abi.XenstoreRing;
import xensim.abi.XsMessage;
import xensim.platform.Latency;
import xensim.xen.GrantMappingFault;

/**
 * xenstored's single thread as the real daemons run it, in steps of virtual time: the main loop
 * of tools/xenstored/core.c (main, initialize_fds, handle_input, handle_output, write_messages)
 * over every connection in creation order, with domain.c's ring code (domain_can_read,
 * domain_can_write, readchn, writechn, ignore_connection, domain_conn_reset) — or, for
 * oxenstored, process_domains over xb.ml and xs_ring_stubs.c (ml_interface_read/write/close, the
 * reconnection protocol, mark_as_bad).
 *
 * <p>Faithful where the ExitBootServices question lives:
 * <ul>
 *   <li>the loop wakes for any event (a guest's notify, a dom0 request) and then looks at every
 *   ring: {@code req_cons != req_prod} is read on each turn, so a guest's half-done store
 *   sequence is seen whenever anyone else's activity wakes xenstored;</li>
 *   <li>readchn/writechn read both indexes once, check them, copy, and only
 *   {@link XenstoredTiming#ringCopyNanos} later do {@code req_cons += len} /
 *   {@code rsp_prod += len}, which reads the shared index again: stores the guest makes in
 *   between are overwritten or added to;</li>
 *   <li>a failed index check (or an oversized header) is ignore_connection(): the error field is
 *   written as the version does, the connection's watches, transactions and buffers are freed,
 *   and the guest is never served again on that ring;</li>
 *   <li>nothing else resets a C connection: a guest's 0xff reset leaves its partial input, queued
 *   output, watches and transactions in place;</li>
 *   <li>one message in and one message out per connection per turn; an unprivileged domain with
 *   {@code outstanding} (20) replies unwritten is not read; an identical watch event already
 *   queued is dropped (send_event).</li>
 * </ul>
 * Local (in-process dom0) connections are sockets in the real dom0: one queued request per turn,
 * answered through their sink. Not thread-safe: it runs on the xenstored actor.
 */
final class MainLoop {

    /** What the loop needs from its actor. */
    interface Env {
        /** Runs {@code step} on xenstored's thread {@code nanos} of virtual time from now. */
        void after(long nanos, Runnable step);

        /** xenevtchn_notify on xenstored's local port. */
        void notify(int localPort);
    }

    /** The costs of {@link XenstoredTiming}, each drawn from its own seeded stream. */
    record Costs(Latency wakeup, Latency request, Latency ringCopy, Latency notifyCost, Latency loop) {
        static Costs none() {
            return new Costs(Latency.none(), Latency.none(), Latency.none(), Latency.none(), Latency.none());
        }
    }

    private abstract static class Conn {
        final Connection conn;
        boolean removed;

        Conn(Connection conn) {
            this.conn = conn;
        }
    }

    private static final class LocalConn extends Conn {
        final ArrayDeque<XsMessage> in = new ArrayDeque<>();

        LocalConn(Connection conn) {
            super(conn);
        }
    }

    /** One queued message (struct buffered_data on out_list). */
    private static final class Out {
        final byte[] hdr;
        final byte[] body;
        /** Header and payload as one string (oxenstored's Packet.to_string). */
        final byte[] whole;
        final boolean watchEvent;
        boolean inhdr = true;
        int used;

        Out(XsMessage m) {
            byte[] all = m.encode();
            this.whole = all;
            this.hdr = Arrays.copyOf(all, HEADER_SIZE);
            this.body = Arrays.copyOfRange(all, HEADER_SIZE, all.length);
            this.watchEvent = m.type() == XS_WATCH_EVENT;
        }
    }

    private static final class RingConn extends Conn {
        final int domid;
        final PageBytes page;
        final int localPort;
        /** ignore_connection() / mark_as_bad: never served again. */
        boolean ignored;
        // conn->in
        final byte[] hdr = new byte[HEADER_SIZE];
        boolean inhdr = true;
        int used;
        byte[] body;
        final ArrayDeque<Out> out = new ArrayDeque<>();
        /** The indexes a failed check saw (for XS_RESET). */
        String badRing;
        int badCons;
        int badProd;

        void seen(String ring, int cons, int prod) {
            badRing = ring;
            badCons = cons;
            badProd = prod;
        }

        RingConn(Connection conn, int domid, PageBytes page, int localPort) {
            super(conn);
            this.domid = domid;
            this.page = page;
            this.localPort = localPort;
        }

        int outstanding() {
            int n = 0;
            for (Out o : out) if (!o.watchEvent) n++;
            return n;
        }
    }

    private enum State { IDLE, SCHEDULED, RUNNING }

    private final XenstoredCore core;
    private final XenstoredCore.Flavour flavour;
    private final Env env;
    private final Costs costs;
    private final Map<Integer, Conn> conns = new LinkedHashMap<>();
    private final Map<Integer, RingConn> rings = new LinkedHashMap<>();
    /**
     * {@link #conns}' values in creation order, as a turn walks them; rebuilt only after a
     * connection came or went (a turn walks the list it started with, as before).
     */
    private Conn[] snapshot = new Conn[0];
    private boolean connsChanged;
    private State state = State.IDLE;
    /** An event arrived during a turn: poll() returns at once for the next. */
    private boolean woken;

    MainLoop(XenstoredCore core, Env env, Costs costs) {
        this.core = core;
        this.flavour = core.flavour();
        this.env = env;
        this.costs = costs;
    }

    XenstoredCore core() {
        return core;
    }

    // --- connections ----------------------------------------------------------------------------

    /** A dom0 component's connection: requests wait for the loop's turn. */
    void addLocal(Connection c) {
        conns.put(c.id, new LocalConn(c));
        connsChanged = true;
    }

    void submit(Connection c, XsMessage m) {
        Conn x = conns.get(c.id);
        if (!(x instanceof LocalConn l)) return;
        l.in.add(m);
        wake();
    }

    void remove(Connection c) {
        Conn x = conns.remove(c.id);
        connsChanged = true;
        if (x != null) x.removed = true;
    }

    /**
     * A guest's ring, mapped and bound (introduce_domain + do_introduce): the connection is made,
     * server_features written as the version does, and C's domain_conn_reset zeroes the indexes;
     * a RECONNECT left in the connection field is answered.
     */
    void addRing(int domid, PageBytes page, int localPort) {
        Connection c = core.connect(domid, "ring", null);
        RingConn r = new RingConn(c, domid, page, localPort);
        c.sinkOverride(m -> queueOut(r, m));
        conns.put(c.id, r);
        connsChanged = true;
        rings.put(domid, r);
        try {
            if (flavour.writesServerFeatures) page.putInt(XenstoreRing.SERVER_FEATURES, core.serverFeatures(domid));
            if (!flavour.ocamlRing) {
                page.putInt(XenstoreRing.REQ_CONS, 0);
                page.putInt(XenstoreRing.REQ_PROD, 0);
                page.putInt(XenstoreRing.RSP_CONS, 0);
                page.putIntRelease(XenstoreRing.RSP_PROD, 0);
                if (page.getIntAcquire(XenstoreRing.CONNECTION) == XENSTORE_RECONNECT) {
                    page.putIntRelease(XenstoreRing.CONNECTION, XENSTORE_CONNECTED);
                    env.notify(localPort);
                }
            }
        } catch (GrantMappingFault e) {
            r.ignored = true;
        }
        wake();
    }

    void removeRing(int domid) {
        RingConn r = rings.remove(domid);
        if (r == null) return;
        conns.remove(r.conn.id);
        connsChanged = true;
        r.removed = true;
        core.disconnect(r.conn);
    }

    boolean ringIgnored(int domid) {
        RingConn r = rings.get(domid);
        return r != null && r.ignored;
    }

    /** Something happened (an event channel fired, a request came): run the loop. */
    void wake() {
        switch (state) {
            case IDLE -> {
                state = State.SCHEDULED;
                env.after(costs.wakeup().next(), this::turn);
            }
            case RUNNING -> woken = true;
            case SCHEDULED -> { }
        }
    }

    private void queueOut(RingConn r, XsMessage m) {
        if (r.removed || r.ignored) return;
        if (m.type() == XS_WATCH_EVENT && !flavour.ocamlRing && !m.strings().isEmpty() && !m.strings().get(0).startsWith("@")) {
            byte[] enc = m.encode();
            for (Out o : r.out) { // send_event: an identical event already pending is dropped
                if (o.watchEvent && o.body.length == enc.length - HEADER_SIZE
                        && Arrays.equals(o.body, 0, o.body.length, enc, HEADER_SIZE, enc.length)) return;
            }
        }
        r.out.add(new Out(m));
        wake();
    }

    // --- the loop -------------------------------------------------------------------------------

    private void turn() {
        state = State.RUNNING;
        woken = false;
        visit(connections(), 0);
    }

    /** The connections in creation order (a shared snapshot: callers never change it). */
    private Conn[] connections() {
        if (connsChanged) {
            snapshot = conns.values().toArray(new Conn[0]);
            connsChanged = false;
        }
        return snapshot;
    }

    private void visit(Conn[] list, int i) {
        while (i < list.length) {
            Conn c = list[i];
            int next = i + 1;
            if (c.removed) {
                i++;
                continue;
            }
            if (c instanceof LocalConn l) {
                if (l.in.isEmpty()) {
                    i++;
                    continue;
                }
                XsMessage m = l.in.poll();
                env.after(costs.request().next(), () -> {
                    if (!l.removed) core.handle(l.conn, m);
                    visit(list, next);
                });
                return;
            }
            RingConn r = (RingConn) c;
            if (r.ignored) {
                i++;
                continue;
            }
            if (flavour.ocamlRing) {
                ocamlIo(r, () -> visit(list, next));
                return;
            }
            if (cIdle(r)) { // what cIo does for a ring with nothing to read or write, without the continuations
                i++;
                continue;
            }
            cIo(r, () -> visit(list, next));
            return;
        }
        endOfTurn();
    }

    /** initialize_fds: another turn at once if anything can be read or written, else sleep in poll(). */
    private void endOfTurn() {
        boolean ready = woken;
        for (Conn c : connections()) {
            if (ready) break;
            if (c instanceof LocalConn l) ready = !l.in.isEmpty();
            else ready = ringReady((RingConn) c);
        }
        if (ready) {
            state = State.SCHEDULED;
            env.after(costs.loop().next(), this::turn);
        } else {
            state = State.IDLE;
        }
    }

    private boolean ringReady(RingConn r) {
        if (r.ignored || r.removed) return false;
        try {
            if (flavour.ocamlRing) {
                // as C: output only when the ring has room, input only below the outstanding quota
                // (a guest that never consumes its responses, or never reads its replies, must not
                // keep the loop turning for ever: oxenstored sleeps until its event channel fires)
                return r.page.getInt(XenstoreRing.CONNECTION) != XENSTORE_CONNECTED
                        || !r.out.isEmpty() && canWrite(r)
                        || r.outstanding() < core.quotas().outstanding(r.domid)
                                && r.page.getInt(XenstoreRing.REQ_CONS) != r.page.getInt(XenstoreRing.REQ_PROD);
            }
            return canRead(r) || (canWrite(r) && !r.out.isEmpty());
        } catch (GrantMappingFault e) {
            r.ignored = true;
            return false;
        }
    }

    // --- C xenstored ----------------------------------------------------------------------------

    /** domain_can_read: the quotas of an unprivileged domain, then {@code req_cons != req_prod}. */
    private boolean canRead(RingConn r) {
        if (r.domid != 0 && (r.out.isEmpty() ? 0 : r.outstanding()) >= core.quotas().outstanding(r.domid)) return false;
        return r.page.getInt(XenstoreRing.REQ_CONS) != r.page.getInt(XenstoreRing.REQ_PROD);
    }

    /**
     * True when {@link #cIo} would find nothing to do and go straight on to the next connection:
     * the ring went away, or it can neither read nor write anything. Reads what cIo reads, in its
     * order, and as there a ring whose page is gone is ignored from now on.
     */
    private boolean cIdle(RingConn r) {
        if (r.removed) return true;
        try {
            if (canRead(r)) return false;
        } catch (GrantMappingFault e) {
            r.ignored = true;
            return true;
        }
        try {
            return !(!r.ignored && canWrite(r) && !r.out.isEmpty());
        } catch (GrantMappingFault e) {
            r.ignored = true;
            return true;
        }
    }

    /** domain_can_write: {@code rsp_prod - rsp_cons != XENSTORE_RING_SIZE}. */
    private static boolean canWrite(RingConn r) {
        return r.page.getInt(XenstoreRing.RSP_PROD) - r.page.getInt(XenstoreRing.RSP_CONS) != XENSTORE_RING_SIZE;
    }

    /** One connection's turn in main(): handle_input if it can read, then handle_output if it can write. */
    private void cIo(RingConn r, Runnable k) {
        Runnable output = () -> guarded(r, k, () -> {
            if (!r.ignored && canWrite(r) && !r.out.isEmpty()) writeMessages(r, k);
            else k.run();
        });
        guarded(r, k, () -> {
            if (canRead(r)) handleInput(r, output);
            else output.run();
        });
    }

    /** handle_input: the rest of the header, then (same call) the payload; a complete message is handled. */
    private void handleInput(RingConn r, Runnable k) {
        if (r.inhdr && r.used != HEADER_SIZE) {
            readchn(r, r.hdr, r.used, HEADER_SIZE - r.used, n -> {
                if (n < 0) {
                    ignore(r, XENSTORE_ERROR_RINGIDX, "bad-ring-index");
                    k.run();
                    return;
                }
                r.used += n;
                if (r.used != HEADER_SIZE) {
                    k.run();
                    return;
                }
                int len = le32(r.hdr, HDR_LEN);
                if (Integer.compareUnsigned(len, XENSTORE_PAYLOAD_MAX) > 0) {
                    ignore(r, XENSTORE_ERROR_PROTO, "payload-too-long");
                    k.run();
                    return;
                }
                r.body = new byte[len];
                r.used = 0;
                r.inhdr = false;
                readBody(r, k);
            });
            return;
        }
        readBody(r, k);
    }

    private void readBody(RingConn r, Runnable k) {
        readchn(r, r.body, r.used, r.body.length - r.used, n -> {
            if (n < 0) {
                ignore(r, XENSTORE_ERROR_RINGIDX, "bad-ring-index");
                k.run();
                return;
            }
            r.used += n;
            if (r.used != r.body.length) {
                k.run();
                return;
            }
            XsMessage m = new XsMessage(le32(r.hdr, HDR_TYPE), le32(r.hdr, HDR_REQ_ID), le32(r.hdr, HDR_TX_ID), r.body);
            r.inhdr = true;
            r.used = 0;
            r.body = null;
            env.after(costs.request().next(), () -> { // consider_message
                if (!r.removed && !r.ignored) core.handle(r.conn, m);
                k.run();
            });
        });
    }

    /**
     * readchn: reads both indexes once and checks them; copies what is there; then, after the
     * copy, {@code intf->req_cons += len} (the index is read again) and notifies.
     */
    private void readchn(RingConn r, byte[] dst, int off, int want, IntConsumer k) {
        PageBytes p = r.page;
        int cons = p.getInt(XenstoreRing.REQ_CONS);
        int prod = p.getIntAcquire(XenstoreRing.REQ_PROD);
        if (Integer.compareUnsigned(prod - cons, XENSTORE_RING_SIZE) > 0) {
            r.seen("req", cons, prod);
            k.accept(-1);
            return;
        }
        int avail = XENSTORE_RING_SIZE - maskIdx(cons);
        if (Integer.compareUnsigned(prod - cons, avail) < 0) avail = prod - cons;
        int len = Math.min(avail, want);
        p.getBytes(XenstoreRing.REQ + maskIdx(cons), dst, off, len);
        env.after(costs.ringCopy().next(), () -> guarded(r, () -> k.accept(-2), () -> {
            p.putIntRelease(XenstoreRing.REQ_CONS, p.getInt(XenstoreRing.REQ_CONS) + len);
            env.notify(r.localPort);
            env.after(costs.notifyCost().next(), () -> k.accept(len));
        }));
    }

    /** write_messages: the head buffer's header, then (a domain: at once) its payload. */
    private void writeMessages(RingConn r, Runnable k) {
        Out o = r.out.peek();
        if (o.inhdr) {
            writechn(r, o.hdr, o.used, HEADER_SIZE - o.used, n -> {
                if (n < 0) {
                    ignore(r, XENSTORE_ERROR_RINGIDX, "bad-ring-index");
                    k.run();
                    return;
                }
                o.used += n;
                if (o.used < HEADER_SIZE) {
                    k.run();
                    return;
                }
                o.inhdr = false;
                o.used = 0;
                writeBody(r, o, k);
            });
            return;
        }
        writeBody(r, o, k);
    }

    private void writeBody(RingConn r, Out o, Runnable k) {
        writechn(r, o.body, o.used, o.body.length - o.used, n -> {
            if (n < 0) {
                ignore(r, XENSTORE_ERROR_RINGIDX, "bad-ring-index");
                k.run();
                return;
            }
            o.used += n;
            if (o.used == o.body.length && r.out.peek() == o) r.out.poll();
            k.run();
        });
    }

    /** writechn: as readchn, on the response ring; {@code intf->rsp_prod += len} after the copy. */
    private void writechn(RingConn r, byte[] src, int off, int want, IntConsumer k) {
        PageBytes p = r.page;
        int cons = p.getIntAcquire(XenstoreRing.RSP_CONS);
        int prod = p.getInt(XenstoreRing.RSP_PROD);
        if (Integer.compareUnsigned(prod - cons, XENSTORE_RING_SIZE) > 0) {
            r.seen("rsp", cons, prod);
            k.accept(-1);
            return;
        }
        int avail = XENSTORE_RING_SIZE - maskIdx(prod);
        if (Integer.compareUnsigned(XENSTORE_RING_SIZE - (prod - cons), avail) < 0) avail = XENSTORE_RING_SIZE - (prod - cons);
        int len = Math.min(avail, want);
        p.putBytes(XenstoreRing.RSP + maskIdx(prod), src, off, len);
        env.after(costs.ringCopy().next(), () -> guarded(r, () -> k.accept(-2), () -> {
            p.putIntRelease(XenstoreRing.RSP_PROD, p.getInt(XenstoreRing.RSP_PROD) + len);
            env.notify(r.localPort);
            env.after(costs.notifyCost().next(), () -> k.accept(len));
        }));
    }

    /** ignore_connection(): the error field as the version writes it; watches, transactions, buffers go. */
    private void ignore(RingConn r, int error, String reason) {
        if (r.ignored) return;
        r.ignored = true;
        r.conn.ignored = true;
        r.out.clear();
        r.body = null;
        r.inhdr = true;
        r.used = 0;
        core.resetConnection(r.conn, reason, r.badRing, r.badCons, r.badProd);
        boolean write = switch (flavour.errorField) {
            case ALWAYS -> true;
            case IF_ADVERTISED -> (core.serverFeatures(r.domid) & XENSTORE_SERVER_FEATURE_ERROR) != 0;
            case NEVER -> false;
        };
        try {
            if (write) r.page.putIntRelease(XenstoreRing.ERROR, error);
        } catch (GrantMappingFault ignored) {
            // unmapped meanwhile
        }
    }

    // --- oxenstored -----------------------------------------------------------------------------

    /** process_domains: do_input then do_output for a domain that is not bad. */
    private void ocamlIo(RingConn r, Runnable k) {
        guarded(r, k, () -> ocamlInput(r, () -> guarded(r, k, () -> {
            if (!r.ignored && !r.removed && !r.out.isEmpty()) ocamlOutput(r, k);
            else k.run();
        })));
    }

    /** Xb.input: one read of what the partial packet still needs; a complete packet is processed. */
    private void ocamlInput(RingConn r, Runnable k) {
        if (r.outstanding() >= core.quotas().outstanding(r.domid)) { // can_input: room for the reply
            k.run();
            return;
        }
        byte[] dst = r.inhdr ? r.hdr : r.body;
        int want = dst.length - r.used;
        PageBytes p = r.page;
        int cons = p.getInt(XenstoreRing.REQ_CONS);
        int prod = p.getInt(XenstoreRing.REQ_PROD);
        if (p.getIntAcquire(XenstoreRing.CONNECTION) != XENSTORE_CONNECTED) { // Xb.Reconnect
            ocamlReconnect(r);
            k.run();
            return;
        }
        if (Integer.compareUnsigned(prod - cons, XENSTORE_RING_SIZE) > 0) { // "bad connection"
            r.seen("req", cons, prod);
            markBad(r, "bad-ring-index");
            k.run();
            return;
        }
        int total = prod - cons;
        if (total == 0 || want == 0) {
            ocamlPacket(r, 0, k);
            return;
        }
        int len = Math.min(total, want);
        int first = Math.min(len, XENSTORE_RING_SIZE - maskIdx(cons));
        p.getBytes(XenstoreRing.REQ + maskIdx(cons), dst, r.used, first);
        if (len > first) p.getBytes(XenstoreRing.REQ, dst, r.used + first, len - first);
        env.after(costs.ringCopy().next(), () -> guarded(r, k, () -> {
            p.putIntRelease(XenstoreRing.REQ_CONS, p.getInt(XenstoreRing.REQ_CONS) + len);
            env.notify(r.localPort);
            env.after(costs.notifyCost().next(), () -> ocamlPacket(r, len, k));
        }));
    }

    private void ocamlPacket(RingConn r, int n, Runnable k) {
        r.used += n;
        if (r.inhdr) {
            if (r.used < HEADER_SIZE) {
                k.run();
                return;
            }
            int len = le32(r.hdr, HDR_LEN);
            if (Integer.compareUnsigned(len, XENSTORE_PAYLOAD_MAX) > 0) { // Partial.of_string: a bad client
                r.badRing = null;
                markBad(r, "payload-too-long");
                k.run();
                return;
            }
            r.inhdr = false;
            r.used = 0;
            r.body = new byte[len];
            if (len > 0) {
                k.run();
                return;
            }
        }
        if (r.used < r.body.length) {
            k.run();
            return;
        }
        XsMessage m = new XsMessage(le32(r.hdr, HDR_TYPE), le32(r.hdr, HDR_REQ_ID), le32(r.hdr, HDR_TX_ID), r.body);
        r.inhdr = true;
        r.used = 0;
        r.body = null;
        env.after(costs.request().next(), () -> {
            if (!r.removed && !r.ignored) core.handle(r.conn, m);
            k.run();
        });
    }

    /** Xb.output: as much of the head packet as the ring takes (header and payload as one string). */
    private void ocamlOutput(RingConn r, Runnable k) {
        Out o = r.out.peek();
        PageBytes p = r.page;
        int cons = p.getInt(XenstoreRing.RSP_CONS);
        int prod = p.getInt(XenstoreRing.RSP_PROD);
        if (p.getIntAcquire(XenstoreRing.CONNECTION) != XENSTORE_CONNECTED) {
            ocamlReconnect(r);
            k.run();
            return;
        }
        if (Integer.compareUnsigned(prod - cons, XENSTORE_RING_SIZE) > 0) {
            r.seen("rsp", cons, prod);
            markBad(r, "bad-ring-index");
            k.run();
            return;
        }
        int space = XENSTORE_RING_SIZE - (prod - cons);
        byte[] src = o.whole;
        int want = src.length - o.used;
        if (space == 0) {
            k.run();
            return;
        }
        int len = Math.min(space, want);
        int first = Math.min(len, XENSTORE_RING_SIZE - maskIdx(prod));
        p.putBytes(XenstoreRing.RSP + maskIdx(prod), src, o.used, first);
        if (len > first) p.putBytes(XenstoreRing.RSP, src, o.used + first, len - first);
        env.after(costs.ringCopy().next(), () -> guarded(r, k, () -> {
            p.putIntRelease(XenstoreRing.RSP_PROD, p.getInt(XenstoreRing.RSP_PROD) + len);
            env.notify(r.localPort);
            o.used += len; // partial_out keeps the rest for the next turn
            if (o.used == o.whole.length && r.out.peek() == o) r.out.poll();
            env.after(costs.notifyCost().next(), k);
        }));
    }

    /**
     * History.reconnect: ml_interface_close zeroes the four indexes, fills both rings with 0xff and
     * says CONNECTED; then the event channel is notified and the packet queues, partial packets,
     * watches and transactions are dropped (Xb.reconnect, Connection.do_reconnect).
     */
    private void ocamlReconnect(RingConn r) {
        PageBytes p = r.page;
        p.putInt(XenstoreRing.REQ_CONS, 0);
        p.putInt(XenstoreRing.REQ_PROD, 0);
        p.putInt(XenstoreRing.RSP_CONS, 0);
        p.putInt(XenstoreRing.RSP_PROD, 0);
        p.fill(XenstoreRing.REQ, XENSTORE_RING_SIZE, (byte) 0xff);
        p.fill(XenstoreRing.RSP, XENSTORE_RING_SIZE, (byte) 0xff);
        p.putIntRelease(XenstoreRing.CONNECTION, XENSTORE_CONNECTED);
        env.notify(r.localPort);
        r.out.clear();
        r.inhdr = true;
        r.used = 0;
        r.body = null;
        core.resetConnection(r.conn, "reconnect");
    }

    /** Connection.mark_as_bad: the domain gets no more I/O. */
    private void markBad(RingConn r, String reason) {
        r.ignored = true;
        r.conn.ignored = true;
        r.out.clear();
        core.resetConnection(r.conn, reason, r.badRing, r.badCons, r.badProd);
    }

    // --- helpers --------------------------------------------------------------------------------

    /** Runs {@code body}; a ring that went away meanwhile (unmapped page) is dropped and {@code k} runs. */
    private static void guarded(RingConn r, Runnable k, Runnable body) {
        if (r.removed) {
            k.run();
            return;
        }
        try {
            body.run();
        } catch (GrantMappingFault e) {
            r.ignored = true;
            k.run();
        }
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }
}
