package xensim.abi;

import java.util.ArrayList;
import java.util.List;


/**
 * Reassembles xs_wire messages from a byte stream cut anywhere (ring chunks, socket reads): a
 * partial header or payload waits for more bytes. A header announcing more than
 * XENSTORE_PAYLOAD_MAX bytes is a protocol violation that kills the connection, as in Xen
 * ("Violating this is very bad"); the framer then refuses all further input.
 */
public final class XsFramer {
    private final byte[] header = new byte[XsWire.HEADER_SIZE];
    private int headerFill;
    private byte[] payload;
    private int payloadFill;
    private int type;
    private int reqId;
    private int txId;
    private boolean broken;

    /** True once the stream violated the protocol; the connection must be dropped. */
    public boolean broken() {
        return broken;
    }

    /** True when a message is partially received. */
    public boolean midMessage() {
        return headerFill > 0 || payload != null;
    }

    /** Drops any partial message (reconnection). */
    public void reset() {
        headerFill = 0;
        payload = null;
        payloadFill = 0;
        broken = false;
    }

    /** Feeds bytes; returns the messages completed by them. */
    public List<XsMessage> feed(byte[] data, int off, int len) {
        List<XsMessage> out = new ArrayList<>(1);
        int i = off;
        int end = off + len;
        while (i < end && !broken) {
            if (payload == null) {
                int n = Math.min(XsWire.HEADER_SIZE - headerFill, end - i);
                System.arraycopy(data, i, header, headerFill, n);
                headerFill += n;
                i += n;
                if (headerFill < XsWire.HEADER_SIZE) break;
                type = le(header, XsWire.HDR_TYPE);
                reqId = le(header, XsWire.HDR_REQ_ID);
                txId = le(header, XsWire.HDR_TX_ID);
                int plen = le(header, XsWire.HDR_LEN);
                if (Integer.compareUnsigned(plen, XsWire.XENSTORE_PAYLOAD_MAX) > 0) {
                    broken = true;
                    break;
                }
                payload = new byte[plen];
                payloadFill = 0;
            }
            int n = Math.min(payload.length - payloadFill, end - i);
            System.arraycopy(data, i, payload, payloadFill, n);
            payloadFill += n;
            i += n;
            if (payloadFill == payload.length) {
                out.add(new XsMessage(type, reqId, txId, payload));
                payload = null;
                headerFill = 0;
            }
        }
        return out;
    }

    private static int le(byte[] a, int off) {
        return (a[off] & 0xff) | (a[off + 1] & 0xff) << 8 | (a[off + 2] & 0xff) << 16 | (a[off + 3] & 0xff) << 24;
    }
}
