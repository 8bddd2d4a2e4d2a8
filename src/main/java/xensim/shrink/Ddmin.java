package xensim.shrink;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * ddmin (Zeller and Hildebrandt, TSE 2002): the smallest subsequence it can find of a failing
 * list that still fails — 1-minimal: removing any one element more makes it pass. Tries the empty
 * list first, then subsets and complements of n chunks, doubling n when neither fails.
 */
public final class Ddmin {
    private Ddmin() {}

    /** @param fails whether a candidate still fails (it is called with sublists in the original order) */
    public static <T> List<T> minimise(List<T> failing, Predicate<List<T>> fails) {
        List<T> c = new ArrayList<>(failing);
        if (c.isEmpty()) return c;
        if (fails.test(List.of())) return new ArrayList<>();
        int n = 2;
        while (c.size() >= 2) {
            List<List<T>> chunks = split(c, n);
            boolean reduced = false;
            for (List<T> chunk : chunks) {
                if (chunk.size() < c.size() && fails.test(chunk)) {
                    c = new ArrayList<>(chunk);
                    n = 2;
                    reduced = true;
                    break;
                }
            }
            if (!reduced && n > 2) {
                for (int i = 0; i < chunks.size(); i++) {
                    List<T> complement = new ArrayList<>();
                    for (int j = 0; j < chunks.size(); j++) if (j != i) complement.addAll(chunks.get(j));
                    if (fails.test(complement)) {
                        c = complement;
                        n = Math.max(n - 1, 2);
                        reduced = true;
                        break;
                    }
                }
            }
            if (!reduced) {
                if (n >= c.size()) break;
                n = Math.min(n * 2, c.size());
            }
        }
        return c;
    }

    static <T> List<List<T>> split(List<T> c, int n) {
        List<List<T>> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < n; i++) {
            int end = start + (c.size() - start) / (n - i);
            if (end > start) out.add(new ArrayList<>(c.subList(start, end)));
            start = end;
        }
        return out;
    }
}
