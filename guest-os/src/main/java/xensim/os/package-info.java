/**
 * The guest OS after ExitBootServices, modelled on Linux: memory reclaim with poison, xenstore
 * reconnection or fix-up ({@link xensim.os.OsXenStore}), xenbus_reset_state, blkfront and
 * verified I/O ({@link xensim.os.GuestOs}).
 */
package xensim.os;
