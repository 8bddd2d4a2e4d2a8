/**
 * The simulator's public Java API for testing a design from its own build: {@link xensim.api.Xensim}
 * runs deterministic simulations of a scenario (the defaults of reference.conf, scenario keys over
 * them) with a design chosen by name — a built-in one, one on the caller's class path (found by
 * {@link java.util.ServiceLoader}, as examples/my-design's test does) or one of
 * {@code firmware.design-jars} — and answers each run's verdict.
 */
package xensim.api;
