package xensim.platform;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An event's fields: a small insertion-ordered map over arrays. Events carry a handful of fields
 * and are built by the million, so a linear scan beats hashing and a LinkedHashMap's nodes, and
 * numbers stay unboxed until someone asks for them as objects (the JSON writer writes them
 * straight from {@link #forEach(Visitor)}). Putting an existing key replaces its value in place,
 * as LinkedHashMap does.
 */
final class EventFields extends AbstractMap<String, Object> {
    /** Marks a slot whose value is the long in {@code nums}. */
    private static final Object NUM = new Object();

    private String[] keys = new String[8];
    private Object[] values = new Object[8];
    private long[] nums = new long[8];
    private int size;

    /** Receives each field in order; numbers unboxed. */
    interface Visitor {
        void number(String key, long value);

        void object(String key, Object value);
    }

    private static boolean same(String a, String b) {
        return a == b || (a.length() == b.length() && (a.isEmpty() || a.charAt(0) == b.charAt(0)) && a.equals(b));
    }

    private int indexOf(Object key) {
        if (!(key instanceof String k)) return -1;
        for (int i = 0; i < size; i++) if (same(keys[i], k)) return i;
        return -1;
    }

    private Object valueAt(int i) {
        Object v = values[i];
        return v == NUM ? Long.valueOf(nums[i]) : v;
    }

    private void grow() {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            values = Arrays.copyOf(values, size * 2);
            nums = Arrays.copyOf(nums, size * 2);
        }
    }

    @Override
    public Object put(String key, Object value) {
        if (key == null) throw new NullPointerException("field name");
        int i = indexOf(key);
        if (i >= 0) {
            Object old = valueAt(i);
            values[i] = value;
            return old;
        }
        append(key, value);
        return null;
    }

    /** Adds a field without looking for an earlier one of that name; {@link #seal()} settles repeats. */
    void append(String key, Object value) {
        if (key == null) throw new NullPointerException("field name");
        grow();
        keys[size] = key;
        values[size++] = value;
    }

    /** {@link #append(String, Object)} of a number, kept unboxed. */
    void appendNumber(String key, long value) {
        if (key == null) throw new NullPointerException("field name");
        grow();
        keys[size] = key;
        nums[size] = value;
        values[size++] = NUM;
    }

    /**
     * Makes appended repeats behave as puts: the first position keeps the last value. Field names
     * are compile-time constants (interned), so a repeat is the same object: comparing references
     * keeps this to a few compares per event (EventNamesTest checks every event of real runs for
     * two equal names).
     */
    void seal() {
        for (int i = 1; i < size; i++) {
            String k = keys[i];
            for (int j = 0; j < i; j++) {
                if (keys[j] == k) {
                    values[j] = values[i];
                    nums[j] = nums[i];
                    System.arraycopy(keys, i + 1, keys, i, size - i - 1);
                    System.arraycopy(values, i + 1, values, i, size - i - 1);
                    System.arraycopy(nums, i + 1, nums, i, size - i - 1);
                    keys[--size] = null;
                    values[size] = null;
                    i--;
                    break;
                }
            }
        }
    }

    /** The field as a long without boxing; {@code missing} when absent or not a number. */
    long getLong(String key, long missing) {
        int i = indexOf(key);
        if (i < 0) return missing;
        Object v = values[i];
        if (v == NUM) return nums[i];
        return v instanceof Number n ? n.longValue() : missing;
    }

    /** True when the field is present and numeric. */
    boolean isNumber(String key) {
        int i = indexOf(key);
        return i >= 0 && (values[i] == NUM || values[i] instanceof Number);
    }

    /** The i-th field's name (0 ≤ i < size()). */
    String keyAt(int i) {
        return keys[i];
    }

    /** Whether the i-th field is a number kept unboxed ({@link #numberAt}). */
    boolean isNumberAt(int i) {
        return values[i] == NUM;
    }

    long numberAt(int i) {
        return nums[i];
    }

    /** The i-th field's value as stored (not a number kept unboxed). */
    Object objectAt(int i) {
        return values[i];
    }

    void forEach(Visitor v) {
        for (int i = 0; i < size; i++) {
            if (values[i] == NUM) v.number(keys[i], nums[i]);
            else v.object(keys[i], values[i]);
        }
    }

    @Override
    public Object get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : valueAt(i);
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, Object>> iterator() {
                return new Iterator<>() {
                    int next;

                    @Override
                    public boolean hasNext() {
                        return next < size;
                    }

                    @Override
                    public Entry<String, Object> next() {
                        if (next >= size) throw new NoSuchElementException();
                        int i = next++;
                        return new SimpleImmutableEntry<>(keys[i], valueAt(i));
                    }
                };
            }

            @Override
            public int size() {
                return size;
            }
        };
    }
}
