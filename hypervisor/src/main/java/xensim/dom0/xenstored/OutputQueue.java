package xensim.dom0.xenstored;

import java.util.ArrayDeque;

/**
 * One socket connection's {@code out_list} (tools/xenstored/core.c): replies and watch events
 * waiting for the client to read them. xenstored only queues ({@link #offer}); the transport's
 * writer drains the queue at the client's pace ({@link #take}), as C's write_messages runs only
 * when the connection's fd polls writable — so a client that does not read delays nobody else.
 *
 * <p>The queue is bounded: a message that would take it past {@link #limit} bytes is refused and
 * the connection must be dropped (xenstored then calls {@link #close}). The default limit is C
 * xenstored's hard memory quota per domain (quota_memory_per_domain_hard, 2.5 MiB), which its
 * buffered output counts against; C exempts dom0 from the quota and stops reading from a domain
 * that reaches it (domain_can_read), whereas a socket client that never reads can only be
 * dropped.
 *
 * <p>Thread-safe: xenstored's actor offers, one writer thread takes.
 */
public final class OutputQueue {
    /** quota_memory_per_domain_hard. */
    public static final long DEFAULT_LIMIT = 2 * 1024 * 1024 + 512 * 1024;

    private final long limit;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private long queuedBytes;
    private boolean overflowed;
    private boolean closed;

    public OutputQueue() {
        this(DEFAULT_LIMIT);
    }

    public OutputQueue(long limit) {
        if (limit <= 0) throw new IllegalArgumentException("limit must be > 0");
        this.limit = limit;
    }

    public long limit() {
        return limit;
    }

    /**
     * Queues one encoded message without blocking. False if the queue is closed or the message
     * would pass the limit; from then on the queue refuses everything ({@link #overflowed}).
     */
    public synchronized boolean offer(byte[] message) {
        if (closed || overflowed) return false;
        if (queuedBytes + message.length > limit) {
            overflowed = true;
            return false;
        }
        queue.add(message);
        queuedBytes += message.length;
        notifyAll();
        return true;
    }

    /** True once a message was refused for the limit: the connection is to be dropped. */
    public synchronized boolean overflowed() {
        return overflowed;
    }

    public synchronized long queuedBytes() {
        return queuedBytes;
    }

    public synchronized int queuedMessages() {
        return queue.size();
    }

    /** The next message for the writer, or null without waiting if none is queued. */
    public synchronized byte[] poll() {
        byte[] m = queue.poll();
        if (m != null) queuedBytes -= m.length;
        return m;
    }

    /** The writer thread waits here for the next message; null once the queue is closed. */
    public synchronized byte[] take() throws InterruptedException {
        while (queue.isEmpty() && !closed) wait();
        if (closed) return null;
        return poll();
    }

    /** Discards what is queued and wakes the writer (the connection is gone or dropped). */
    public synchronized void close() {
        closed = true;
        queue.clear();
        queuedBytes = 0;
        notifyAll();
    }

    public synchronized boolean closed() {
        return closed;
    }
}
