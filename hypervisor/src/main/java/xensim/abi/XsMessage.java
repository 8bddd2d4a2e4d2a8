package xensim.abi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;


/**
 * One xs_wire message: the 16-byte {@code xsd_sockmsg} header fields and the payload. Payloads are
 * usually NUL-separated strings; {@link #strings()} splits them as xenstored does.
 */
public record XsMessage(int type, int reqId, int txId, byte[] payload) {

    public static XsMessage of(int type, int reqId, int txId, String... nulTerminated) {
        StringBuilder sb = new StringBuilder();
        for (String s : nulTerminated) sb.append(s).append('\0');
        return new XsMessage(type, reqId, txId, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** A reply whose payload is {@code s} plus a terminating NUL (most replies: "OK\0"). */
    public static XsMessage reply(XsMessage req, int type, String s) {
        return of(type, req.reqId(), req.txId(), s);
    }

    public static XsMessage error(XsMessage req, String errno) {
        return of(XsWire.XS_ERROR, req.reqId(), req.txId(), errno);
    }

    /** The payload split at NULs; a trailing NUL ends the last string (no empty string after it). */
    public List<String> strings() {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < payload.length; i++) {
            if (payload[i] == 0) {
                out.add(new String(payload, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < payload.length) out.add(new String(payload, start, payload.length - start, StandardCharsets.UTF_8));
        return out;
    }

    /** Number of NUL-terminated strings, as {@code xenstore_count_strings}. */
    public int countStrings() {
        int n = 0;
        for (byte b : payload) if (b == 0) n++;
        return n;
    }

    /** Header and payload as sent on the wire. */
    public byte[] encode() {
        byte[] out = new byte[XsWire.HEADER_SIZE + payload.length];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(XsWire.HDR_TYPE, type);
        b.putInt(XsWire.HDR_REQ_ID, reqId);
        b.putInt(XsWire.HDR_TX_ID, txId);
        b.putInt(XsWire.HDR_LEN, payload.length);
        System.arraycopy(payload, 0, out, XsWire.HEADER_SIZE, payload.length);
        return out;
    }

    public String payloadString() {
        return new String(payload, StandardCharsets.UTF_8).replace('\0', '|');
    }

    @Override
    public String toString() {
        return XsWire.typeName(type) + "(req " + Integer.toUnsignedString(reqId) + ", tx " + txId + ", \"" + payloadString() + "\")";
    }

}
