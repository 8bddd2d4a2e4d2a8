package xensim.dom0.xenstored;

/** Where a request reads and writes: the live {@link Tree} or a transaction's private view of it. */
interface TreeView {
    Node get(String path);

    /** Stores a (copied, modified) node, creating or replacing it. */
    void put(Node node);

    void remove(String path);
}
