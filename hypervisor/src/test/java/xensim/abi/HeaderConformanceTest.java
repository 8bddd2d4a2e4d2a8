package xensim.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles a C program against the real Xen public headers (Debian's libxen-dev, in
 * /usr/include/xen), runs it, and checks every size, offset and constant it prints against the
 * Java side. In CI ({@code XENSIM_REQUIRE_NATIVE=1}) a missing gcc or header fails the test.
 */
class HeaderConformanceTest {

    /** C expression → the Java value it must equal. */
    private static final Map<String, Object> CHECKS = new LinkedHashMap<>();

    /** Defined only in newer headers than Debian's 4.17: checked when present, listed when not. */
    private static final Map<String, Object> NEWER = new LinkedHashMap<>();

    private static void c(String expr, Object javaValue) {
        CHECKS.put(expr, javaValue);
    }

    static {
        // grant_table.h
        c("sizeof(struct grant_entry_v1)", GrantTableAbi.GRANT_ENTRY_V1_SIZE);
        c("offsetof(struct grant_entry_v1, flags)", GrantTableAbi.GRANT_ENTRY_V1_FLAGS);
        c("offsetof(struct grant_entry_v1, domid)", GrantTableAbi.GRANT_ENTRY_V1_DOMID);
        c("offsetof(struct grant_entry_v1, frame)", GrantTableAbi.GRANT_ENTRY_V1_FRAME);
        c("GNTTAB_NR_RESERVED_ENTRIES", GrantTableAbi.GNTTAB_NR_RESERVED_ENTRIES);
        c("GNTTAB_RESERVED_CONSOLE", GrantTableAbi.GNTTAB_RESERVED_CONSOLE);
        c("GNTTAB_RESERVED_XENSTORE", GrantTableAbi.GNTTAB_RESERVED_XENSTORE);
        c("GTF_invalid", GrantTableAbi.GTF_invalid);
        c("GTF_permit_access", GrantTableAbi.GTF_permit_access);
        c("GTF_accept_transfer", GrantTableAbi.GTF_accept_transfer);
        c("GTF_transitive", GrantTableAbi.GTF_transitive);
        c("GTF_type_mask", GrantTableAbi.GTF_type_mask);
        c("GTF_readonly", GrantTableAbi.GTF_readonly);
        c("GTF_reading", GrantTableAbi.GTF_reading);
        c("GTF_writing", GrantTableAbi.GTF_writing);
        c("GTF_PWT", GrantTableAbi.GTF_PWT);
        c("GTF_PCD", GrantTableAbi.GTF_PCD);
        c("GTF_PAT", GrantTableAbi.GTF_PAT);
        c("GTF_sub_page", GrantTableAbi.GTF_sub_page);
        c("GNTTABOP_map_grant_ref", GrantTableAbi.GNTTABOP_map_grant_ref);
        c("GNTTABOP_unmap_grant_ref", GrantTableAbi.GNTTABOP_unmap_grant_ref);
        c("GNTTABOP_setup_table", GrantTableAbi.GNTTABOP_setup_table);
        c("GNTTABOP_query_size", GrantTableAbi.GNTTABOP_query_size);
        c("GNTMAP_device_map", GrantTableAbi.GNTMAP_device_map);
        c("GNTMAP_host_map", GrantTableAbi.GNTMAP_host_map);
        c("GNTMAP_readonly", GrantTableAbi.GNTMAP_readonly);
        c("GNTST_okay", GrantTableAbi.GNTST_okay);
        c("GNTST_general_error", GrantTableAbi.GNTST_general_error);
        c("GNTST_bad_domain", GrantTableAbi.GNTST_bad_domain);
        c("GNTST_bad_gntref", GrantTableAbi.GNTST_bad_gntref);
        c("GNTST_bad_handle", GrantTableAbi.GNTST_bad_handle);
        c("GNTST_bad_virt_addr", GrantTableAbi.GNTST_bad_virt_addr);
        c("GNTST_bad_dev_addr", GrantTableAbi.GNTST_bad_dev_addr);
        c("GNTST_no_device_space", GrantTableAbi.GNTST_no_device_space);
        c("GNTST_permission_denied", GrantTableAbi.GNTST_permission_denied);
        c("GNTST_bad_page", GrantTableAbi.GNTST_bad_page);
        c("GNTST_bad_copy_arg", GrantTableAbi.GNTST_bad_copy_arg);
        c("GNTST_address_too_big", GrantTableAbi.GNTST_address_too_big);
        c("GNTST_eagain", GrantTableAbi.GNTST_eagain);
        c("GNTST_no_space", GrantTableAbi.GNTST_no_space);
        // errno.h (Xen's own numbering)
        c("XEN_EPERM", XenErrno.EPERM);
        c("XEN_ENOENT", XenErrno.ENOENT);
        c("XEN_ESRCH", XenErrno.ESRCH);
        c("XEN_EIO", XenErrno.EIO);
        c("XEN_E2BIG", XenErrno.E2BIG);
        c("XEN_EBADF", XenErrno.EBADF);
        c("XEN_EAGAIN", XenErrno.EAGAIN);
        c("XEN_ENOMEM", XenErrno.ENOMEM);
        c("XEN_EACCES", XenErrno.EACCES);
        c("XEN_EFAULT", XenErrno.EFAULT);
        c("XEN_EBUSY", XenErrno.EBUSY);
        c("XEN_EEXIST", XenErrno.EEXIST);
        c("XEN_ENODEV", XenErrno.ENODEV);
        c("XEN_EISDIR", XenErrno.EISDIR);
        c("XEN_EINVAL", XenErrno.EINVAL);
        c("XEN_ENOSPC", XenErrno.ENOSPC);
        c("XEN_EROFS", XenErrno.EROFS);
        c("XEN_ENOSYS", XenErrno.ENOSYS);
        c("XEN_ENOTEMPTY", XenErrno.ENOTEMPTY);
        c("XEN_EISCONN", XenErrno.EISCONN);
        // hvm/params.h, memory.h
        c("HVM_PARAM_STORE_PFN", HvmParams.HVM_PARAM_STORE_PFN);
        c("HVM_PARAM_STORE_EVTCHN", HvmParams.HVM_PARAM_STORE_EVTCHN);
        c("HVM_PARAM_CONSOLE_PFN", HvmParams.HVM_PARAM_CONSOLE_PFN);
        c("HVM_PARAM_CONSOLE_EVTCHN", HvmParams.HVM_PARAM_CONSOLE_EVTCHN);
        c("XENMAPSPACE_grant_table", HvmParams.XENMAPSPACE_grant_table);
        c("XENMEM_add_to_physmap", HvmParams.XENMEM_add_to_physmap);
        c("XENMEM_remove_from_physmap", HvmParams.XENMEM_remove_from_physmap);
        // event_channel.h, xen.h
        c("EVTCHNOP_bind_interdomain", EventChannelAbi.EVTCHNOP_bind_interdomain);
        c("EVTCHNOP_bind_virq", EventChannelAbi.EVTCHNOP_bind_virq);
        c("EVTCHNOP_bind_pirq", EventChannelAbi.EVTCHNOP_bind_pirq);
        c("EVTCHNOP_close", EventChannelAbi.EVTCHNOP_close);
        c("EVTCHNOP_send", EventChannelAbi.EVTCHNOP_send);
        c("EVTCHNOP_status", EventChannelAbi.EVTCHNOP_status);
        c("EVTCHNOP_alloc_unbound", EventChannelAbi.EVTCHNOP_alloc_unbound);
        c("EVTCHNOP_bind_ipi", EventChannelAbi.EVTCHNOP_bind_ipi);
        c("EVTCHNOP_bind_vcpu", EventChannelAbi.EVTCHNOP_bind_vcpu);
        c("EVTCHNOP_unmask", EventChannelAbi.EVTCHNOP_unmask);
        c("EVTCHNOP_reset", EventChannelAbi.EVTCHNOP_reset);
        c("EVTCHNSTAT_closed", EventChannelAbi.EVTCHNSTAT_closed);
        c("EVTCHNSTAT_unbound", EventChannelAbi.EVTCHNSTAT_unbound);
        c("EVTCHNSTAT_interdomain", EventChannelAbi.EVTCHNSTAT_interdomain);
        c("EVTCHNSTAT_pirq", EventChannelAbi.EVTCHNSTAT_pirq);
        c("EVTCHNSTAT_virq", EventChannelAbi.EVTCHNSTAT_virq);
        c("EVTCHNSTAT_ipi", EventChannelAbi.EVTCHNSTAT_ipi);
        c("DOMID_FIRST_RESERVED", EventChannelAbi.DOMID_FIRST_RESERVED);
        c("DOMID_SELF", EventChannelAbi.DOMID_SELF);
        c("DOMID_IO", EventChannelAbi.DOMID_IO);
        c("DOMID_XEN", EventChannelAbi.DOMID_XEN);
        c("DOMID_COW", EventChannelAbi.DOMID_COW);
        c("DOMID_INVALID", EventChannelAbi.DOMID_INVALID);
        c("DOMID_IDLE", EventChannelAbi.DOMID_IDLE);
        // io/ring.h (through blkif's instantiation)
        c("offsetof(struct blkif_sring, req_prod)", SharedRing.REQ_PROD);
        c("offsetof(struct blkif_sring, req_event)", SharedRing.REQ_EVENT);
        c("offsetof(struct blkif_sring, rsp_prod)", SharedRing.RSP_PROD);
        c("offsetof(struct blkif_sring, rsp_event)", SharedRing.RSP_EVENT);
        c("offsetof(struct blkif_sring, pvt)", SharedRing.PVT);
        c("offsetof(struct blkif_sring, ring)", SharedRing.RING);
        c("sizeof(union blkif_sring_entry)", Blkif.ENTRY_SIZE);
        c("__CONST_RING_SIZE(blkif, 4096)", Blkif.RING_SIZE);
        // io/blkif.h
        c("BLKIF_OP_READ", Blkif.BLKIF_OP_READ);
        c("BLKIF_OP_WRITE", Blkif.BLKIF_OP_WRITE);
        c("BLKIF_OP_WRITE_BARRIER", Blkif.BLKIF_OP_WRITE_BARRIER);
        c("BLKIF_OP_FLUSH_DISKCACHE", Blkif.BLKIF_OP_FLUSH_DISKCACHE);
        c("BLKIF_OP_RESERVED_1", Blkif.BLKIF_OP_RESERVED_1);
        c("BLKIF_OP_DISCARD", Blkif.BLKIF_OP_DISCARD);
        c("BLKIF_OP_INDIRECT", Blkif.BLKIF_OP_INDIRECT);
        c("BLKIF_MAX_SEGMENTS_PER_REQUEST", Blkif.BLKIF_MAX_SEGMENTS_PER_REQUEST);
        c("BLKIF_DISCARD_SECURE", Blkif.BLKIF_DISCARD_SECURE);
        c("BLKIF_RSP_EOPNOTSUPP", Blkif.BLKIF_RSP_EOPNOTSUPP);
        c("BLKIF_RSP_ERROR", Blkif.BLKIF_RSP_ERROR);
        c("BLKIF_RSP_OKAY", Blkif.BLKIF_RSP_OKAY);
        c("VDISK_CDROM", Blkif.VDISK_CDROM);
        c("VDISK_REMOVABLE", Blkif.VDISK_REMOVABLE);
        c("VDISK_READONLY", Blkif.VDISK_READONLY);
        c("sizeof(struct blkif_request_segment)", Blkif.SEGMENT_SIZE);
        c("offsetof(struct blkif_request_segment, gref)", Blkif.SEG_GREF);
        c("offsetof(struct blkif_request_segment, first_sect)", Blkif.SEG_FIRST_SECT);
        c("offsetof(struct blkif_request_segment, last_sect)", Blkif.SEG_LAST_SECT);
        c("sizeof(struct blkif_request)", Blkif.REQUEST_SIZE);
        c("offsetof(struct blkif_request, operation)", Blkif.REQ_OPERATION);
        c("offsetof(struct blkif_request, nr_segments)", Blkif.REQ_NR_SEGMENTS);
        c("offsetof(struct blkif_request, handle)", Blkif.REQ_HANDLE);
        c("offsetof(struct blkif_request, id)", Blkif.REQ_ID);
        c("offsetof(struct blkif_request, sector_number)", Blkif.REQ_SECTOR_NUMBER);
        c("offsetof(struct blkif_request, seg)", Blkif.REQ_SEG);
        c("offsetof(struct blkif_request_discard, flag)", Blkif.DISCARD_FLAG);
        c("offsetof(struct blkif_request_discard, nr_sectors)", Blkif.DISCARD_NR_SECTORS);
        c("sizeof(struct blkif_response)", Blkif.RESPONSE_SIZE);
        c("offsetof(struct blkif_response, id)", Blkif.RSP_ID);
        c("offsetof(struct blkif_response, operation)", Blkif.RSP_OPERATION);
        c("offsetof(struct blkif_response, status)", Blkif.RSP_STATUS);
        // io/xenbus.h
        for (XenbusState s : XenbusState.values()) c("XenbusState" + s.name(), s.code());
        // io/console.h
        c("sizeof(struct xencons_interface)", XenconsInterface.SIZE);
        c("offsetof(struct xencons_interface, in)", XenconsInterface.IN);
        c("sizeof(((struct xencons_interface *)0)->in)", XenconsInterface.IN_SIZE);
        c("offsetof(struct xencons_interface, out)", XenconsInterface.OUT);
        c("sizeof(((struct xencons_interface *)0)->out)", XenconsInterface.OUT_SIZE);
        c("offsetof(struct xencons_interface, in_cons)", XenconsInterface.IN_CONS);
        c("offsetof(struct xencons_interface, in_prod)", XenconsInterface.IN_PROD);
        c("offsetof(struct xencons_interface, out_cons)", XenconsInterface.OUT_CONS);
        c("offsetof(struct xencons_interface, out_prod)", XenconsInterface.OUT_PROD);
        // io/xs_wire.h
        c("sizeof(struct xsd_sockmsg)", XsWire.HEADER_SIZE);
        c("offsetof(struct xsd_sockmsg, type)", XsWire.HDR_TYPE);
        c("offsetof(struct xsd_sockmsg, req_id)", XsWire.HDR_REQ_ID);
        c("offsetof(struct xsd_sockmsg, tx_id)", XsWire.HDR_TX_ID);
        c("offsetof(struct xsd_sockmsg, len)", XsWire.HDR_LEN);
        String[] types = {"XS_CONTROL", "XS_DEBUG", "XS_DIRECTORY", "XS_READ", "XS_GET_PERMS", "XS_WATCH",
            "XS_UNWATCH", "XS_TRANSACTION_START", "XS_TRANSACTION_END", "XS_INTRODUCE", "XS_RELEASE",
            "XS_GET_DOMAIN_PATH", "XS_WRITE", "XS_MKDIR", "XS_RM", "XS_SET_PERMS", "XS_WATCH_EVENT", "XS_ERROR",
            "XS_IS_DOMAIN_INTRODUCED", "XS_RESUME", "XS_SET_TARGET", "XS_RESET_WATCHES", "XS_DIRECTORY_PART",
            "XS_INVALID"};
        for (String t : types) c(t, xsConstant(t));
        c("XS_WATCH_PATH", XsWire.XS_WATCH_PATH);
        c("XS_WATCH_TOKEN", XsWire.XS_WATCH_TOKEN);
        c("XENSTORE_RING_SIZE", XsWire.XENSTORE_RING_SIZE);
        c("XENSTORE_PAYLOAD_MAX", XsWire.XENSTORE_PAYLOAD_MAX);
        c("XENSTORE_ABS_PATH_MAX", XsWire.XENSTORE_ABS_PATH_MAX);
        c("XENSTORE_REL_PATH_MAX", XsWire.XENSTORE_REL_PATH_MAX);
        c("XENSTORE_SERVER_FEATURE_RECONNECTION", XsWire.XENSTORE_SERVER_FEATURE_RECONNECTION);
        c("XENSTORE_SERVER_FEATURE_ERROR", XsWire.XENSTORE_SERVER_FEATURE_ERROR);
        c("XENSTORE_CONNECTED", XsWire.XENSTORE_CONNECTED);
        c("XENSTORE_RECONNECT", XsWire.XENSTORE_RECONNECT);
        c("XENSTORE_ERROR_NONE", XsWire.XENSTORE_ERROR_NONE);
        c("XENSTORE_ERROR_COMM", XsWire.XENSTORE_ERROR_COMM);
        c("XENSTORE_ERROR_RINGIDX", XsWire.XENSTORE_ERROR_RINGIDX);
        c("XENSTORE_ERROR_PROTO", XsWire.XENSTORE_ERROR_PROTO);
        c("sizeof(struct xenstore_domain_interface)", XenstoreRing.SIZE);
        c("offsetof(struct xenstore_domain_interface, req)", XenstoreRing.REQ);
        c("offsetof(struct xenstore_domain_interface, rsp)", XenstoreRing.RSP);
        c("offsetof(struct xenstore_domain_interface, req_cons)", XenstoreRing.REQ_CONS);
        c("offsetof(struct xenstore_domain_interface, req_prod)", XenstoreRing.REQ_PROD);
        c("offsetof(struct xenstore_domain_interface, rsp_cons)", XenstoreRing.RSP_CONS);
        c("offsetof(struct xenstore_domain_interface, rsp_prod)", XenstoreRing.RSP_PROD);
        c("offsetof(struct xenstore_domain_interface, server_features)", XenstoreRing.SERVER_FEATURES);
        c("offsetof(struct xenstore_domain_interface, connection)", XenstoreRing.CONNECTION);
        c("offsetof(struct xenstore_domain_interface, error)", XenstoreRing.ERROR);
        c("sizeof(xsd_errors)/sizeof(xsd_errors[0])", XsWire.XSD_ERRORS.size());
        for (int i = 0; i < XsWire.XSD_ERRORS.size(); i++) c("xsd_errors[" + i + "].errstring", XsWire.XSD_ERRORS.get(i));

        NEWER.put("XS_GET_FEATURE", XsWire.XS_GET_FEATURE);
        NEWER.put("XS_SET_FEATURE", XsWire.XS_SET_FEATURE);
        NEWER.put("XS_GET_QUOTA", XsWire.XS_GET_QUOTA);
        NEWER.put("XS_SET_QUOTA", XsWire.XS_SET_QUOTA);
        NEWER.put("XS_TYPE_COUNT", XsWire.XS_TYPE_COUNT);
        NEWER.put("XENSTORE_SERVER_FEATURE_WATCHDEPTH", XsWire.XENSTORE_SERVER_FEATURE_WATCHDEPTH);
        NEWER.put("XENSTORE_SERVER_FEATURE_DOMID_ANY", XsWire.XENSTORE_SERVER_FEATURE_DOMID_ANY);
    }

    private static Object xsConstant(String name) {
        try {
            return XsWire.class.getField(name).getInt(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("XsWire lacks " + name, e);
        }
    }

    private static boolean nativeRequired() {
        return "1".equals(System.getenv("XENSIM_REQUIRE_NATIVE"));
    }

    @BeforeAll
    static void toolsPresent() {
        boolean headers = Files.exists(Path.of("/usr/include/xen/io/ring.h"));
        boolean gcc = Files.isExecutable(Path.of("/usr/bin/gcc"));
        if (!(headers && gcc)) {
            String why = "needs gcc and the Xen headers (apt-get install gcc libxen-dev)";
            if (nativeRequired()) fail(why + " — XENSIM_REQUIRE_NATIVE=1 forbids skipping");
            Assumptions.abort(why);
        }
    }

    private static Map<String, String> runProbe(Path dir, List<String> exprs, boolean ifdefEach) throws IOException, InterruptedException {
        StringBuilder src = new StringBuilder("""
                #include <stdio.h>
                #include <stddef.h>
                #include <stdint.h>
                #include <errno.h>
                #include <xen/xen.h>
                #include <xen/errno.h>
                #include <xen/grant_table.h>
                #include <xen/event_channel.h>
                #include <xen/memory.h>
                #include <xen/hvm/params.h>
                #include <xen/io/ring.h>
                #include <xen/io/blkif.h>
                #include <xen/io/xs_wire.h>
                #include <xen/io/xenbus.h>
                #include <xen/io/console.h>
                #define P(name, v) printf("%s\\t%lld\\n", name, (long long)(v))
                #define S(name, v) printf("%s\\t%s\\n", name, (v))
                int main(void) {
                """);
        for (String e : exprs) {
            String quoted = "\"" + e.replace("\"", "\\\"") + "\"";
            String line = (e.endsWith(".errstring") ? "  S(" : "  P(") + quoted + ", " + e + ");\n";
            src.append(ifdefEach ? "#ifdef " + e + "\n" + line + "#endif\n" : line);
        }
        src.append("  return 0;\n}\n");
        Path c = dir.resolve("probe.c");
        Path exe = dir.resolve("probe");
        Files.writeString(c, src);
        Process gcc = new ProcessBuilder("gcc", "-Wall", "-o", exe.toString(), c.toString()).redirectErrorStream(true).start();
        String gccOut = new String(gcc.getInputStream().readAllBytes());
        assertTrue(gcc.waitFor(60, TimeUnit.SECONDS), "gcc timed out");
        assertEquals(0, gcc.exitValue(), "gcc failed:\n" + gccOut);
        Process run = new ProcessBuilder(exe.toString()).start();
        String out = new String(run.getInputStream().readAllBytes());
        assertTrue(run.waitFor(30, TimeUnit.SECONDS));
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int tab = line.indexOf('\t');
            if (tab > 0) values.put(line.substring(0, tab), line.substring(tab + 1));
        }
        return values;
    }

    @Test
    void everySizeOffsetAndConstantMatchesTheRealHeaders(@TempDir Path dir) throws Exception {
        Map<String, String> c = runProbe(dir, new ArrayList<>(CHECKS.keySet()), false);
        assertEquals(CHECKS.size(), c.size(), "the probe printed every check");
        List<String> mismatches = new ArrayList<>();
        CHECKS.forEach((expr, java) -> {
            if (!String.valueOf(java).equals(c.get(expr))) {
                mismatches.add(expr + ": header " + c.get(expr) + ", Java " + java);
            }
        });
        assertTrue(mismatches.isEmpty(), "ABI mismatches:\n" + String.join("\n", mismatches));
    }

    /**
     * Constants newer than the installed header (Xen 4.19+ message types and feature bits) are
     * checked only if this header defines them; the test reports which it could not check.
     */
    @Test
    void newerConstantsMatchWhenTheHeaderHasThem(@TempDir Path dir) throws Exception {
        // enum members are not macros, so probe each through a separate compile
        List<String> unchecked = new ArrayList<>();
        for (Map.Entry<String, Object> e : NEWER.entrySet()) {
            Map<String, String> v;
            try {
                v = runProbe(dir, List.of(e.getKey()), false);
            } catch (AssertionError notDefined) {
                unchecked.add(e.getKey());
                continue;
            }
            if (e.getKey().equals("XS_TYPE_COUNT")) {
                // the count grows with the header version; ours follows the newest header
                assertTrue(Integer.parseInt(v.get(e.getKey())) <= XsWire.XS_TYPE_COUNT, "XS_TYPE_COUNT");
                continue;
            }
            assertEquals(String.valueOf(e.getValue()), v.get(e.getKey()), e.getKey());
        }
        System.out.println("HeaderConformanceTest: not in the installed header, unchecked: " + unchecked);
    }

    @Test
    void javaRingSizesFollowTheMacro() {
        assertEquals(32, Blkif.RING_SIZE);
        assertEquals(0, SharedRing.ringSize(8192, 4096));
        assertEquals(4, SharedRing.ringSize(1000, 4096));
    }
}
