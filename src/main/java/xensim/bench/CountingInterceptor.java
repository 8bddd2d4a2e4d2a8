package xensim.bench;

import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts every message an actor receives (for messages-per-request figures), whatever its class:
 * an actor that takes replies on its own ref (not through adapters) gets messages outside its
 * public protocol, and they count as well.
 */
public final class CountingInterceptor<T> extends BehaviorInterceptor<T, T> {
    private final AtomicLong count;

    @SuppressWarnings("unchecked")
    private CountingInterceptor(AtomicLong count) {
        super((Class<T>) Object.class);
        this.count = count;
    }

    public static <T> Behavior<T> count(Class<T> type, AtomicLong counter, Behavior<T> behavior) {
        return Behaviors.intercept(() -> new CountingInterceptor<>(counter), behavior);
    }

    @Override
    public Behavior<T> aroundReceive(TypedActorContext<T> ctx, T msg, ReceiveTarget<T> target) {
        count.incrementAndGet();
        return target.apply(ctx, msg);
    }
}
