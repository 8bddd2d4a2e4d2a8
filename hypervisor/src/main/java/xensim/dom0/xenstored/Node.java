package xensim.dom0.xenstored;

import java.util.ArrayList;
import java.util.List;

/**
 * A store node: value bytes, permissions, children names in creation order (as xenstore-ls lists
 * them) and the generation of its last change (transactions compare generations). Nodes are
 * copied before modification, never changed in place, so a transaction's view stays isolated.
 */
final class Node {
    final String path;
    byte[] value;
    Permissions perms;
    final List<String> children;
    long generation;

    Node(String path, byte[] value, Permissions perms, List<String> children) {
        this.path = path;
        this.value = value;
        this.perms = perms;
        this.children = children;
    }

    Node copy() {
        Node n = new Node(path, value, perms, new ArrayList<>(children));
        n.generation = generation;
        return n;
    }
}
