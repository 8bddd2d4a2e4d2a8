package xensim.dom0.xenstored;

import xensim.abi.XsMessage;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One client connection of xenstored (xenstored_domain's struct connection): a guest's ring, a
 * dom0 tool's unix socket, or an in-process dom0 component. The core writes replies and watch
 * events to {@code sink}; the transport turns them into bytes.
 */
public final class Connection {
    final int id;
    final int domid;
    final String transport;
    Consumer<XsMessage> sink;
    final Map<Integer, Tree.Transaction> transactions = new HashMap<>();
    int nextTxId = 1;
    Integer target;
    boolean closed;
    /** C's conn->is_ignored (oxenstored: a bad client): the ring is never served again. */
    boolean ignored;

    Connection(int id, int domid, String transport, Consumer<XsMessage> sink) {
        this.id = id;
        this.domid = domid;
        this.transport = transport;
        this.sink = sink;
    }

    /** The transport that owns this connection takes its output (set once, before any request). */
    void sinkOverride(Consumer<XsMessage> s) {
        this.sink = s;
    }

    public int id() {
        return id;
    }

    public int domid() {
        return domid;
    }

    public boolean privileged() {
        return domid == 0;
    }

    public boolean closed() {
        return closed;
    }

    public boolean ignored() {
        return ignored;
    }

    @Override
    public String toString() {
        return transport + "#" + id + "(dom" + domid + ")";
    }
}
