package xensim.cli;

/** A run the simulator could not model faithfully (e.g. FW_SPIN): one line on stderr and exit 3, the run's output kept. */
final class ModellingErrorException extends RuntimeException {
    ModellingErrorException(String message) {
        super(message);
    }
}
