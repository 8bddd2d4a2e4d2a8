package xensim.firmware;

import java.nio.charset.StandardCharsets;
import xensim.abi.PageBytes;
import xensim.abi.XenconsInterface;
import xensim.firmware.xenbus.EventChannel;

/** Text out through the Xen console ring (xencons_interface out ring + notify), as OVMF's serial on Xen. */
public final class ConsoleOut {
    private final PageBytes page;
    private final EventChannel evtchn;
    private final int port;

    public ConsoleOut(PageBytes page, EventChannel evtchn, int port) {
        this.page = page;
        this.evtchn = evtchn;
        this.port = port;
    }

    /** Writes what fits (drops the rest, as a full console ring would block or lose output). */
    public void print(String line, Runnable then) {
        byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
        int cons = page.getIntAcquire(XenconsInterface.OUT_CONS);
        int prod = page.getInt(XenconsInterface.OUT_PROD);
        int n = 0;
        while (n < b.length && prod - cons < XenconsInterface.OUT_SIZE) {
            page.putByte(XenconsInterface.OUT + XenconsInterface.maskOut(prod), b[n++]);
            prod++;
        }
        page.putIntRelease(XenconsInterface.OUT_PROD, prod);
        evtchn.notify(port, then);
    }
}
