package xensim.xen;

/**
 * What a domain's kernel registered for an event-channel port (Linux's
 * {@code bind_evtchn_to_irqhandler}). The actor wraps an {@code ActorRef<EvtchnUpcall>}; core tests
 * use a lambda.
 */
@FunctionalInterface
public interface UpcallHandler {
    void upcall(int dom, int port);
}
