package xensim.dom0.blkback;

/** What the nemesis {@code ring-corrupt} fault damages. */
public enum RingCorruption {
    /** A hostile frontend: the shared req_prod jumps a ring's worth ahead (Linux: "bogus ring requests"). */
    REQUEST,
    /** The next response carries an id no request has. */
    RESPONSE,
    /** The next READ's data reaches the guest with its bytes flipped (a corrupted response). */
    DATA
}
