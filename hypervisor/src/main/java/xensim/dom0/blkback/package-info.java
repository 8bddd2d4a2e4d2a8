/**
 * blkback: {@link xensim.dom0.blkback.BlkbackCore} is the protocol of one vbd without Akka (the
 * xenbus state machine of Linux's xenbus.c, with {@link xensim.dom0.blkback.BlkbackXenbus}'s
 * reactions to the frontend's state; the ring consumer of blkback.c; the crash journal), driven
 * by {@link xensim.dom0.blkback.BlkbackActor}, a thin shell turning its calls into hypercall and
 * xenstore messages. Requests are checked by {@link xensim.dom0.blkback.BlkifValidation}, served
 * from a {@link xensim.dom0.blkback.DiskImage} after the seeded service latency of
 * {@link xensim.dom0.blkback.LatencyModel} that makes responses race the guest.
 */
package xensim.dom0.blkback;
