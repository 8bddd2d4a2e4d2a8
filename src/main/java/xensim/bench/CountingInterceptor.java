package xensim.bench;

import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.util.concurrent.atomic.AtomicLong;

/** Counts every message an actor receives (for messages-per-request figures). */
public final class CountingInterceptor<T> extends BehaviorInterceptor<T, T> {
    private final AtomicLong count;

    private CountingInterceptor(Class<T> type, AtomicLong count) {
        super(type);
        this.count = count;
    }

    public static <T> Behavior<T> count(Class<T> type, AtomicLong counter, Behavior<T> behavior) {
        return Behaviors.intercept(() -> new CountingInterceptor<>(type, counter), behavior);
    }

    @Override
    public Behavior<T> aroundReceive(TypedActorContext<T> ctx, T msg, ReceiveTarget<T> target) {
        count.incrementAndGet();
        return target.apply(ctx, msg);
    }
}
