/**
 * Controlled schedules for the deterministic executor: which of the runnable steps (one actor
 * message each, or a timed delivery due now) runs next.
 *
 * <ul>
 *   <li>{@link xensim.platform.schedule.ScheduleSpec} — what {@code --schedule} names
 *       ({@code fifo}, {@code random}, {@code pct:D[/K]}, {@code pos}, {@code dev:...}), parsed
 *       and printed canonically for RUN_BEGIN and replay lines.</li>
 *   <li>{@link xensim.platform.schedule.Scheduler} — a pure chooser over a candidate list (no
 *       actors, no clock); {@link xensim.platform.schedule.RandomScheduler},
 *       {@link xensim.platform.schedule.PctScheduler} (Burckhardt et al., ASPLOS 2010),
 *       {@link xensim.platform.schedule.PosScheduler} (Yuan et al., CAV 2018) and
 *       {@link xensim.platform.schedule.DeviationScheduler} (replays recorded deviations from
 *       FIFO: what {@code shrink} and {@code explore --exhaustive} manipulate).</li>
 *   <li>{@link xensim.platform.schedule.Deviation} — one step where a schedule did not take the
 *       FIFO head.</li>
 * </ul>
 */
package xensim.platform.schedule;
