/**
 * Checking the Java XenBusDxe/XenPvBlkDxe models against edk2's own C drivers run for run
 * ({@code ./xensim compare}): the protocol-visible event sequences of the two runs of a seed
 * ({@link xensim.compare.ProtocolTrace}) and their first difference.
 */
package xensim.compare;
