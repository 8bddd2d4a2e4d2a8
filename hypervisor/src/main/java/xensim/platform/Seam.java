package xensim.platform;

import akka.actor.typed.ActorRef;
import java.util.random.RandomGenerator;

/**
 * The one seam between simulation logic and the world: time, randomness, delayed delivery and the
 * event log. Every actor receives it at creation; nothing in the simulation reads the wall clock,
 * uses Akka timers, {@code ask} timeouts or unseeded randomness.
 */
public interface Seam {

    Mode mode();

    long seed();

    /** Nanoseconds since the simulation began: virtual in deterministic mode, real in threaded. */
    long nowNanos();

    /**
     * A random stream for one component, derived from the run's seed and {@code component} only
     * (not from creation order). Names must be unique per user, e.g. {@code "blkback/5/51712"}.
     * The generator is not thread-safe: one actor owns it.
     */
    RandomGenerator random(String component);

    /** Delivers {@code message} to {@code target} after {@code delayNanos} of simulation time. */
    <T> void deliverAfter(long delayNanos, ActorRef<T> target, T message);

    /** The run's structured event log. */
    EventLog events();

    /** Derives a 64-bit seed for {@code component} from {@code seed}; stable across runs. */
    static long deriveSeed(long seed, String component) {
        long h = 0xcbf29ce484222325L; // FNV-1a 64
        for (int i = 0; i < component.length(); i++) {
            h ^= component.charAt(i);
            h *= 0x100000001b3L;
        }
        return mix64(seed * 0x9E3779B97F4A7C15L + h);
    }

    /** Stafford variant 13 finaliser, as SplittableRandom uses. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
