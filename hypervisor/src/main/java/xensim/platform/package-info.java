/**
 * The simulation seam: everything that is time, randomness, delayed delivery or logging.
 *
 * <ul>
 *   <li>{@link xensim.platform.Seam} — the interface every actor receives;
 *       {@link xensim.platform.DeterministicSeam} (virtual clock) and
 *       {@link xensim.platform.ThreadedSeam} (real time) implement it.</li>
 *   <li>{@link xensim.platform.VirtualTimeExecutor} and its Akka
 *       {@link xensim.platform.VirtualTimeExecutorConfigurator}: one thread, a FIFO run queue and a
 *       virtual-time queue; per ActorSystem, via {@link xensim.platform.VirtualTimeSetup}. Under a
 *       controlled schedule ({@link xensim.platform.schedule}) each step is chosen among the
 *       runnable ones instead.</li>
 *   <li>{@link xensim.platform.EventLog} and {@link xensim.platform.Event}: the structured event API
 *       (docs/events.md); sinks write JSON lines through Logback or feed the checker.</li>
 *   <li>{@link xensim.platform.SimSystem}: one simulation = one ActorSystem + its seam.</li>
 * </ul>
 */
package xensim.platform;
