package xensim.firmware.uefi;

import java.util.List;
import java.util.function.Consumer;

/** EFI_DRIVER_BINDING_PROTOCOL. Start and Stop may wait, so they finish through a callback. */
public interface DriverBinding {
    String name();

    boolean supported(BootServices bs, Handle controller);

    void start(BootServices bs, Handle controller, Consumer<EfiStatus> done);

    /** Stop with children (a bus stopping those children) or with none (the controller itself). */
    void stop(BootServices bs, Handle controller, List<Handle> children, Consumer<EfiStatus> done);
}
