package xensim.cluster;

/**
 * Marker of every message between cluster nodes: bound to Akka's {@code jackson-json} serializer in
 * {@code xensim-cluster.conf} (Java serialization is off there).
 */
public interface ClusterSerializable {}
