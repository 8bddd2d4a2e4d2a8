package xensim.os;

/** What a guest's OS reports when it has finished (or given up). */
public record OsDone(int domid, int devices, int connected, long ios, long verifyFailures, String xenstoreMethod,
                     long handoffNanos, long doneNanos, int deferredGrants, int poisonCorrupted) {}
