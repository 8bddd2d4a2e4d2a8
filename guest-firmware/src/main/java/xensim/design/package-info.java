/**
 * The ExitBootServices design interface: everything a design sees, and nothing else. A design
 * ({@link xensim.design.EbsDesign}) decides which EBS notify functions exist and what they do,
 * through three narrow views: the UEFI boot services it may call ({@link xensim.design.EfiBootServices}),
 * the bus (XenBusDxe, {@link xensim.design.XenBus}) with each child's XENBUS_PROTOCOL
 * ({@link xensim.design.XenBusProtocol}), and the block device's quiesce steps
 * ({@link xensim.design.PvBlockDevice}). This package depends on the JDK alone: a user's design
 * jar compiles against it, the firmware's drivers implement it, and neither the drivers nor the
 * simulator are visible from here. Designs are found with {@link java.util.ServiceLoader}
 * ({@code META-INF/services/xensim.design.EbsDesign}); docs/designs.md is the guide.
 */
package xensim.design;
