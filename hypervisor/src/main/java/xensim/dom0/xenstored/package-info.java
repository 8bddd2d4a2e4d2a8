/**
 * xenstored, split by concern as Xen's C xenstored is: {@link xensim.dom0.xenstored.Tree} (the node
 * store, with {@link xensim.dom0.xenstored.Tree.Transaction} overlays), {@link xensim.dom0.xenstored.Permissions},
 * {@link xensim.dom0.xenstored.Watches}, {@link xensim.dom0.xenstored.Quotas},
 * {@link xensim.dom0.xenstored.Connection}s, and {@link xensim.dom0.xenstored.XenstoredCore} (request dispatch,
 * C xenstored semantics). Transports: in-process dom0 components, the unix socket real tools use
 * ({@link xensim.dom0.xenstored.XenstoredSocketServer}, each client with its own bounded
 * {@link xensim.dom0.xenstored.OutputQueue}), and guests' ring pages
 * ({@link xensim.dom0.xenstored.GuestRing}); {@link xensim.dom0.xenstored.XenstoredActor} owns it all.
 */
package xensim.dom0.xenstored;
