package xensim.firmware.uefi;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The firmware's memory map over a guest's RAM: page ranges with an {@link EfiMemoryType}.
 * AllocatePages takes the highest fitting free range (edk2 allocates top-down), FreePages only
 * frees what was allocated, and the map key changes on every change, so a caller holding an old
 * key cannot exit boot services. Pure: no events, no actors.
 */
public final class MemoryMap {

    /** One EFI_MEMORY_DESCRIPTOR: {@code count} 4 KiB pages from {@code gfn}. */
    public record Descriptor(long gfn, long count, EfiMemoryType type) {
        public long end() {
            return gfn + count;
        }
    }

    private final TreeMap<Long, Descriptor> ranges = new TreeMap<>();
    private final long pages;
    private long mapKey = 1;

    /** A map of {@code pages} pages, all conventional memory. */
    public MemoryMap(long pages) {
        if (pages <= 0) throw new IllegalArgumentException("pages " + pages);
        this.pages = pages;
        ranges.put(0L, new Descriptor(0, pages, EfiMemoryType.EfiConventionalMemory));
    }

    public long pages() {
        return pages;
    }

    public long mapKey() {
        return mapKey;
    }

    /** Any service that changes or may change the map (pool included) moves the key. */
    public void touch() {
        mapKey++;
    }

    /** Sets the type of a range at boot (firmware image, reserved pages); moves the key. */
    public void setType(long gfn, long count, EfiMemoryType type) {
        if (gfn < 0 || count <= 0 || gfn + count > pages) throw new IllegalArgumentException("range " + gfn + "+" + count);
        split(gfn);
        split(gfn + count);
        ranges.subMap(gfn, true, gfn + count, false).clear();
        ranges.put(gfn, new Descriptor(gfn, count, type));
        coalesce();
        mapKey++;
    }

    /** AllocateAnyPages: the highest conventional range that fits, or -1 (EFI_OUT_OF_RESOURCES). */
    public long allocatePages(EfiMemoryType type, long count) {
        if (count <= 0 || type == EfiMemoryType.EfiConventionalMemory) return -1;
        for (Descriptor d : ranges.descendingMap().values()) {
            if (d.type() == EfiMemoryType.EfiConventionalMemory && d.count() >= count) {
                long gfn = d.end() - count;
                setType(gfn, count, type);
                return gfn;
            }
        }
        return -1;
    }

    /** FreePages: the whole range must be allocated (not free, not reserved); else false (EFI_NOT_FOUND). */
    public boolean freePages(long gfn, long count) {
        if (gfn < 0 || count <= 0 || gfn + count > pages) return false;
        for (Descriptor d : overlapping(gfn, count)) {
            if (d.type() == EfiMemoryType.EfiConventionalMemory || d.type() == EfiMemoryType.EfiReservedMemoryType) return false;
        }
        setType(gfn, count, EfiMemoryType.EfiConventionalMemory);
        return true;
    }

    public EfiMemoryType typeOf(long gfn) {
        Map.Entry<Long, Descriptor> e = ranges.floorEntry(gfn);
        if (e == null || gfn >= e.getValue().end()) throw new IllegalArgumentException("gfn " + gfn);
        return e.getValue().type();
    }

    /** GetMemoryMap: the descriptors in address order. */
    public List<Descriptor> descriptors() {
        return new ArrayList<>(ranges.values());
    }

    private List<Descriptor> overlapping(long gfn, long count) {
        List<Descriptor> out = new ArrayList<>();
        Long start = ranges.floorKey(gfn);
        for (Descriptor d : ranges.subMap(start == null ? 0 : start, true, gfn + count, false).values()) {
            if (d.end() > gfn) out.add(d);
        }
        return out;
    }

    private void split(long at) {
        if (at >= pages) return;
        Map.Entry<Long, Descriptor> e = ranges.floorEntry(at);
        Descriptor d = e.getValue();
        if (d.gfn() == at) return;
        ranges.put(d.gfn(), new Descriptor(d.gfn(), at - d.gfn(), d.type()));
        ranges.put(at, new Descriptor(at, d.end() - at, d.type()));
    }

    private void coalesce() {
        Descriptor prev = null;
        List<Descriptor> merged = new ArrayList<>();
        for (Descriptor d : ranges.values()) {
            if (prev != null && prev.type() == d.type() && prev.end() == d.gfn()) {
                prev = new Descriptor(prev.gfn(), prev.count() + d.count(), d.type());
            } else {
                if (prev != null) merged.add(prev);
                prev = d;
            }
        }
        if (prev != null) merged.add(prev);
        ranges.clear();
        for (Descriptor d : merged) ranges.put(d.gfn(), d);
    }
}
