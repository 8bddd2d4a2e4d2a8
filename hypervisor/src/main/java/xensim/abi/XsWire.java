package xensim.abi;

import java.util.List;

/**
 * {@code xen/io/xs_wire.h}: the xenstore wire protocol. A message is a 16-byte header
 * {@code struct xsd_sockmsg { uint32_t type, req_id, tx_id, len; }} (little-endian on x86) followed by
 * {@code len} payload bytes, usually NUL-terminated strings. Errors travel as XS_ERROR with the
 * errno's name ("EINVAL") as payload.
 *
 * <p>Message types after XS_DIRECTORY_PART (GET/SET_FEATURE, GET/SET_QUOTA) are from Xen 4.21's
 * header (d239b81a17); 4.17–4.20's header stops at XS_DIRECTORY_PART, so the conformance test checks those
 * that the installed header has.
 */
public final class XsWire {
    private XsWire() {}

    public static final int HEADER_SIZE = 16;
    public static final int HDR_TYPE = 0;
    public static final int HDR_REQ_ID = 4;
    public static final int HDR_TX_ID = 8;
    public static final int HDR_LEN = 12;

    public static final int XS_CONTROL = 0;
    public static final int XS_DEBUG = XS_CONTROL;
    public static final int XS_DIRECTORY = 1;
    public static final int XS_READ = 2;
    public static final int XS_GET_PERMS = 3;
    public static final int XS_WATCH = 4;
    public static final int XS_UNWATCH = 5;
    public static final int XS_TRANSACTION_START = 6;
    public static final int XS_TRANSACTION_END = 7;
    public static final int XS_INTRODUCE = 8;
    public static final int XS_RELEASE = 9;
    public static final int XS_GET_DOMAIN_PATH = 10;
    public static final int XS_WRITE = 11;
    public static final int XS_MKDIR = 12;
    public static final int XS_RM = 13;
    public static final int XS_SET_PERMS = 14;
    public static final int XS_WATCH_EVENT = 15;
    public static final int XS_ERROR = 16;
    public static final int XS_IS_DOMAIN_INTRODUCED = 17;
    public static final int XS_RESUME = 18;
    public static final int XS_SET_TARGET = 19;
    /* XS_RESTRICT (20) has been removed */
    public static final int XS_RESET_WATCHES = XS_SET_TARGET + 2;
    public static final int XS_DIRECTORY_PART = 22;
    public static final int XS_GET_FEATURE = 23;
    public static final int XS_SET_FEATURE = 24;
    public static final int XS_GET_QUOTA = 25;
    public static final int XS_SET_QUOTA = 26;
    public static final int XS_TYPE_COUNT = 27;
    public static final int XS_INVALID = 0xffff;

    public static final String XS_WRITE_NONE = "NONE";
    public static final String XS_WRITE_CREATE = "CREATE";
    public static final String XS_WRITE_CREATE_EXCL = "CREATE|EXCL";

    /** {@code enum xs_watch_type}: field order of an XS_WATCH_EVENT payload. */
    public static final int XS_WATCH_PATH = 0;
    public static final int XS_WATCH_TOKEN = 1;

    /** The xsd_errors table, in the header's order (new errors are appended). */
    public static final List<String> XSD_ERRORS = List.of(
            "EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC", "EIO",
            "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM");

    public static final int XENSTORE_RING_SIZE = 1024;
    public static final int XENSTORE_PAYLOAD_MAX = 4096;
    public static final int XENSTORE_ABS_PATH_MAX = 3072;
    public static final int XENSTORE_REL_PATH_MAX = 2048;

    public static final int XENSTORE_SERVER_FEATURE_RECONNECTION = 1;
    public static final int XENSTORE_SERVER_FEATURE_ERROR = 2;
    /** Xen 4.19+: watch depth parameter supported. */
    public static final int XENSTORE_SERVER_FEATURE_WATCHDEPTH = 4;
    /** Xen 4.19+: DOMID_ANY accepted in permissions. */
    public static final int XENSTORE_SERVER_FEATURE_DOMID_ANY = 8;

    public static final int XENSTORE_CONNECTED = 0;
    public static final int XENSTORE_RECONNECT = 1;

    public static final int XENSTORE_ERROR_NONE = 0;
    public static final int XENSTORE_ERROR_COMM = 1;
    public static final int XENSTORE_ERROR_RINGIDX = 2;
    public static final int XENSTORE_ERROR_PROTO = 3;

    /** {@code MASK_XENSTORE_IDX}. */
    public static int maskIdx(int idx) {
        return idx & (XENSTORE_RING_SIZE - 1);
    }

    /** Symbolic name of a message type, e.g. {@code XS_READ}. */
    public static String typeName(int type) {
        return switch (type) {
            case XS_CONTROL -> "XS_CONTROL";
            case XS_DIRECTORY -> "XS_DIRECTORY";
            case XS_READ -> "XS_READ";
            case XS_GET_PERMS -> "XS_GET_PERMS";
            case XS_WATCH -> "XS_WATCH";
            case XS_UNWATCH -> "XS_UNWATCH";
            case XS_TRANSACTION_START -> "XS_TRANSACTION_START";
            case XS_TRANSACTION_END -> "XS_TRANSACTION_END";
            case XS_INTRODUCE -> "XS_INTRODUCE";
            case XS_RELEASE -> "XS_RELEASE";
            case XS_GET_DOMAIN_PATH -> "XS_GET_DOMAIN_PATH";
            case XS_WRITE -> "XS_WRITE";
            case XS_MKDIR -> "XS_MKDIR";
            case XS_RM -> "XS_RM";
            case XS_SET_PERMS -> "XS_SET_PERMS";
            case XS_WATCH_EVENT -> "XS_WATCH_EVENT";
            case XS_ERROR -> "XS_ERROR";
            case XS_IS_DOMAIN_INTRODUCED -> "XS_IS_DOMAIN_INTRODUCED";
            case XS_RESUME -> "XS_RESUME";
            case XS_SET_TARGET -> "XS_SET_TARGET";
            case XS_RESET_WATCHES -> "XS_RESET_WATCHES";
            case XS_DIRECTORY_PART -> "XS_DIRECTORY_PART";
            case XS_GET_FEATURE -> "XS_GET_FEATURE";
            case XS_SET_FEATURE -> "XS_SET_FEATURE";
            case XS_GET_QUOTA -> "XS_GET_QUOTA";
            case XS_SET_QUOTA -> "XS_SET_QUOTA";
            default -> "XS_" + Integer.toUnsignedString(type);
        };
    }
}
