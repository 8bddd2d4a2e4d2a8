package xensim.platform;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An event's fields: a small insertion-ordered map over two arrays. Events carry a handful of
 * fields and are built by the million, so a linear scan beats hashing and a LinkedHashMap's nodes;
 * putting an existing key replaces its value in place (as LinkedHashMap does).
 */
final class EventFields extends AbstractMap<String, Object> {
    private String[] keys = new String[8];
    private Object[] values = new Object[8];
    private int size;

    private int indexOf(Object key) {
        for (int i = 0; i < size; i++) if (keys[i] == key) return i; // literals: identity first
        for (int i = 0; i < size; i++) if (keys[i].equals(key)) return i;
        return -1;
    }

    @Override
    public Object put(String key, Object value) {
        if (key == null) throw new NullPointerException("field name");
        int i = indexOf(key);
        if (i >= 0) {
            Object old = values[i];
            values[i] = value;
            return old;
        }
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        keys[size] = key;
        values[size++] = value;
        return null;
    }

    /** Adds a field without looking for an earlier one of that name; {@link #seal()} settles repeats. */
    void append(String key, Object value) {
        if (key == null) throw new NullPointerException("field name");
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        keys[size] = key;
        values[size++] = value;
    }

    /**
     * Makes appended repeats behave as puts: the first position keeps the last value. Names are
     * literals, so identity and then length settle almost every comparison without looking at bytes.
     */
    void seal() {
        for (int i = 1; i < size; i++) {
            String k = keys[i];
            for (int j = 0; j < i; j++) {
                String o = keys[j];
                if (o == k || (o.length() == k.length() && o.equals(k))) {
                    values[j] = values[i];
                    System.arraycopy(keys, i + 1, keys, i, size - i - 1);
                    System.arraycopy(values, i + 1, values, i, size - i - 1);
                    keys[--size] = null;
                    values[size] = null;
                    i--;
                    break;
                }
            }
        }
    }

    @Override
    public Object get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : values[i];
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
                        return new SimpleImmutableEntry<>(keys[i], values[i]);
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
