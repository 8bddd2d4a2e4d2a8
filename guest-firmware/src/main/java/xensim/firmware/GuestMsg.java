package xensim.firmware;

/**
 * What a guest's vCPU actor receives, in firmware and later in the OS (guest-os adds its own).
 * Everything a guest reacts to arrives as one of these: an event-channel upcall (the pending
 * bit in shared_info), a Stall alarm, a UEFI timer tick, a hypercall's answer.
 */
public interface GuestMsg {

    /** The hypervisor set {@code port} pending for this domain. */
    record Upcall(int port) implements GuestMsg {}

    /** A Stall / OS sleep finished. */
    record Alarm(long token) implements GuestMsg {}

    /** The UEFI platform timer fired for an event. */
    record TimerTick(int eventId, long generation) implements GuestMsg {}

    /** A hypercall returned (one of the hypervisor's reply records). */
    record HvReply(Object reply) implements GuestMsg {}

    /** Power on. */
    record PowerOn() implements GuestMsg {}
}
