/**
 * Explore and run across machines on an Akka Cluster (issue 19): a coordinator node hands out
 * work items (one deterministic run each) to worker nodes by work pulling, through the
 * Receptionist; every message is a {@link xensim.cluster.ClusterSerializable} record serialized by
 * Akka's Jackson serializer. The bookkeeping is {@link xensim.cluster.WorkQueue}, a plain state
 * machine; {@link xensim.cluster.Coordinator} and {@link xensim.cluster.Worker} are thin actors.
 */
package xensim.cluster;
