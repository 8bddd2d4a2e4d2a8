/**
 * blkback: {@link xensim.dom0.blkback.BlkbackActor} (one per vbd) serving the blkif ring from a
 * {@link xensim.dom0.blkback.DiskImage}, with the xenbus handshake of
 * {@link xensim.dom0.blkback.BlkbackXenbus}, request checks of
 * {@link xensim.dom0.blkback.BlkifValidation} and the seeded service latency of
 * {@link xensim.dom0.blkback.LatencyModel} that makes responses race the guest.
 */
package xensim.dom0.blkback;
