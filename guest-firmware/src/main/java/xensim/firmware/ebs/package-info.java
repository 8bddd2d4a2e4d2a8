/**
 * The six built-in ExitBootServices designs of DESIGN.md §3 (the five of the 2019 debate and
 * before-ebs), one class each. They see only the design interface ({@link xensim.design}), as a
 * user's design does, and are found the same way: {@code META-INF/services/xensim.design.EbsDesign}
 * in this jar, read by {@link java.util.ServiceLoader} ({@link xensim.firmware.DesignCatalog}).
 */
package xensim.firmware.ebs;
