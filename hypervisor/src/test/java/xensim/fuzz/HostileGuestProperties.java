package xensim.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Group;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Issue 13, item 12: a hostile guest against the host, at least {@link Campaign#REQUIRED_TOTAL}
 * generated inputs per CI run, split across the areas below (each a group of properties). The pure
 * cores take the bulk; whole hosts of actors take fewer, slower inputs. After the last group the
 * per-area counts and times are printed and the total is asserted.
 */
class HostileGuestProperties {

    @Group
    class Hypercalls extends HypercallCampaign {}

    @Group
    class XsWireFrames extends XsWireCampaign {}

    @Group
    class BlkifRequests extends BlkifCampaign {}

    @Group
    class WholeHost extends WholeHostCampaign {}

    @AfterContainer
    static void totalReached() {
        String report = Campaign.report();
        System.out.println(report);
        assertTrue(Campaign.total() >= Campaign.REQUIRED_TOTAL, "the campaign fed fewer inputs than required:\n" + report);
    }
}
