package xensim.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import xensim.firmware.FirmwareImpl;
import xensim.firmware.ovmfc.OvmfBuild;
import xensim.firmware.ovmfc.OvmfCFirmware;
import xensim.firmware.pvblk.FirmwareIo;
import xensim.scenario.Scenario;

/**
 * {@code --firmware model|ovmf-c} and {@code --ovmf-patch FILE} (scenario keys
 * {@code firmware.drivers}, {@code firmware.ovmf-patches}): which XenBusDxe and XenPvBlkDxe the
 * guests run. With {@code ovmf-c} the real drivers are built (once per patch set; see
 * {@link OvmfBuild}) before the run starts, so a missing compiler or source package, or a patch
 * that does not apply, is bad input (exit 2) with what to do; and the run must be what edk2 has:
 * strategy disconnect, firmware-io ovmf, one guest.
 */
final class FirmwareOptions {
    @Option(names = "--firmware", paramLabel = "DRIVERS",
            description = "XenBusDxe and XenPvBlkDxe: model (the Java models, default) or ovmf-c (edk2's own C drivers, built from Debian's edk2 source package on first use; strategy disconnect only)")
    String firmware;

    @Option(names = "--ovmf-patch", paramLabel = "FILE",
            description = "with --firmware ovmf-c: a unified diff (-p1, against the edk2 tree) applied to OvmfPkg's Xen drivers before building (repeatable; builds are cached by patch hash)")
    List<Path> patches;

    /** The scenario with these flags over it, checked; builds the real drivers when they are asked for. */
    Scenario apply(Scenario sc) {
        FirmwareImpl impl = sc.firmwareImpl();
        if (firmware != null) {
            try {
                impl = FirmwareImpl.parse(firmware);
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--firmware: " + e.getMessage());
            }
        }
        List<Path> all = new ArrayList<>(sc.ovmfPatches());
        if (patches != null) all.addAll(patches);
        Scenario out = sc.withFirmware(impl, all);
        check(out);
        return out;
    }

    /**
     * These flags as scenario keys over {@code base} (the scenario without them), for commands that
     * hand scenarios on as text (explore's work items): {@code firmware.drivers}, and
     * {@code firmware.ovmf-patches} as absolute paths, the file's own patches first as {@link #apply} does.
     */
    java.util.Map<String, Object> keys(Scenario base) {
        java.util.Map<String, Object> keys = new java.util.LinkedHashMap<>();
        if (firmware != null) {
            try {
                keys.put("firmware.drivers", FirmwareImpl.parse(firmware).cliName());
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--firmware: " + e.getMessage());
            }
        }
        if (patches != null && !patches.isEmpty()) {
            List<String> all = new ArrayList<>();
            for (Path p : base.ovmfPatches()) all.add(p.toAbsolutePath().normalize().toString());
            for (Path p : patches) all.add(p.toAbsolutePath().normalize().toString());
            keys.put("firmware.ovmf-patches", all);
        }
        return keys;
    }

    /** What a run of {@code sc} needs before it starts: the drivers built (exit 2 when they cannot be). */
    static void check(Scenario sc) {
        check(sc, sc.strategy());
    }

    /** As above, for runs of design {@code strategy} (explore runs its designs on one scenario). */
    static void check(Scenario sc, String strategy) {
        if (sc.firmwareImpl() != FirmwareImpl.OVMF_C) {
            if (!sc.ovmfPatches().isEmpty()) throw new BadInputException("--ovmf-patch needs --firmware ovmf-c");
            return;
        }
        if (!"disconnect".equals(strategy)) {
            throw new BadInputException("--firmware ovmf-c runs edk2's own drivers, whose design is disconnect (got --strategy "
                    + strategy + "; the other designs exist only as models, or as your --ovmf-patch with --strategy disconnect)");
        }
        if (sc.firmwareIo() != FirmwareIo.OVMF) throw new BadInputException("--firmware ovmf-c is OVMF's synchronous XenPvBlkDxe: --firmware-io ovmf only");
        if (sc.guests() != 1) throw new BadInputException("--firmware ovmf-c runs one guest per process (its RAM is the process's address space), got --guests " + sc.guests());
        if ((long) sc.memoryPages() * 4096 + (16L << 20) > (2L << 30)) {
            throw new BadInputException("--firmware ovmf-c needs the guest below 2 GiB (guests.memory-pages at most 520000)");
        }
        for (Path p : sc.ovmfPatches()) {
            if (!Files.isRegularFile(p)) throw new BadInputException("--ovmf-patch " + p + ": no such file");
        }
        try {
            OvmfCFirmware.library(sc.ovmfPatches());
        } catch (OvmfBuild.BuildException e) {
            if (e.exitCode == 2) throw new BadInputException(e.getMessage().replaceFirst("^xensim: ", ""));
            throw new IllegalStateException(e.getMessage());
        }
    }
}
