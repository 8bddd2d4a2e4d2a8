package xensim.cli;

/** A cluster run that could not finish (its coordinator's node went down): one line, exit 3, no stack trace. */
final class ClusterLostException extends RuntimeException {
    ClusterLostException(String message) {
        super(message);
    }
}
