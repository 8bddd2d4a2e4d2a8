/**
 * Minimal failing replays: {@link xensim.shrink.Ddmin} (Zeller and Hildebrandt's delta debugging,
 * "Simplifying and Isolating Failure-Inducing Input", TSE 2002) over lists, and
 * {@link xensim.shrink.Shrinker}, which reduces a failing run's {@link xensim.shrink.Shrinker.Variant}
 * — its faults, guests, disks, I/O counts and schedule deviations from FIFO (as DEMi does for
 * Akka message schedules) — to one that still fails with the same invariant. Deterministic runs
 * make every attempt exact. Pure: the run is a predicate the caller gives.
 */
package xensim.shrink;
