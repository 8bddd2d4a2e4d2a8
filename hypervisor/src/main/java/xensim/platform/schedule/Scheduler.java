package xensim.platform.schedule;

import java.util.List;

/**
 * Chooses the next step among the runnable ones. The candidates come in FIFO order (the run
 * queue in submission order, then the timed deliveries due now by due time and submission), so
 * index 0 is what a FIFO executor would run. Each candidate carries a key naming the "thread"
 * behind it (an actor's mailbox, or the target of a timed delivery): PCT gives priorities per
 * key. Implementations are pure and single-threaded: the executor calls them under its lock.
 */
public interface Scheduler {

    /**
     * @param step the number of steps already taken (0 for the first)
     * @param keys the candidates' keys, FIFO order, at least one
     * @return the index of the candidate to run
     */
    int choose(long step, List<Object> keys);
}
