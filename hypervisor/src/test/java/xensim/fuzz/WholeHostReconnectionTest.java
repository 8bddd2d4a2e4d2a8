package xensim.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.XENSTORE_CONNECTED;
import static xensim.abi.XsWire.XENSTORE_RECONNECT;

import org.junit.jupiter.api.Test;

/**
 * The campaign's model of which connection-field writes reset A's ring. Regression for seed
 * -5618309784494049749 (i13): A wrote 538 to the connection field with transaction 2 open;
 * oxenstored reconnected (Xb.Reconnect: ml_interface_read sees connection != XENSTORE_CONNECTED),
 * dropping the transaction, while the campaign still thought it open and expected EINVAL/OK
 * where oxenstored answers EIO for an unknown transaction.
 */
class WholeHostReconnectionTest {
    @Test
    void oxenstoredReconnectsOnAnyValueButConnected() {
        assertTrue(WholeHostCampaign.asksReconnection(538, true), "junk from the failing seed");
        assertTrue(WholeHostCampaign.asksReconnection(-477, true));
        assertTrue(WholeHostCampaign.asksReconnection(XENSTORE_RECONNECT, true));
        assertFalse(WholeHostCampaign.asksReconnection(XENSTORE_CONNECTED, true));
    }

    @Test
    void cXenstoredOnlyAnswersReconnect() {
        assertTrue(WholeHostCampaign.asksReconnection(XENSTORE_RECONNECT, false));
        assertFalse(WholeHostCampaign.asksReconnection(538, false));
        assertFalse(WholeHostCampaign.asksReconnection(XENSTORE_CONNECTED, false));
    }
}
